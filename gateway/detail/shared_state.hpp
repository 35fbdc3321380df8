#pragma once
// What every connection of one server shares: the config, the router, the
// worker pool, and the live connections a graceful stop must reach.
// Private: included only by gateway/*.cpp (it pulls in Boost.Asio).

#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>

#include "gateway/detail/connection_registry.hpp"
#include "gateway/router.hpp"
#include "gateway/server.hpp"

namespace smscoach::gateway::detail {

// Safe defaults that are not worth a config knob.
inline constexpr std::size_t kMaxConnections = 1024;
inline constexpr std::uint32_t kHeaderLimit = 8 * 1024;
// How long a connection closed after an error keeps reading (and discarding)
// what the client still sends, so the client sees our reply instead of a reset.
inline constexpr std::chrono::seconds kDrainTimeout{2};

struct SharedState {
  SharedState(const ServerConfig& server_config, SmsApplication& app,
              boost::asio::thread_pool& worker_pool)
      : config(server_config),
        router(app, WebhookSecurity{server_config.public_url, server_config.twilio_auth_token},
               server_config.metrics ? *server_config.metrics : own_metrics, server_config.admin),
        workers(worker_pool) {}

  const ServerConfig& config;
  Metrics own_metrics;  // used when the config brings none; declared before the router
  const Router router;
  boost::asio::thread_pool& workers;
  ConnectionRegistry connections{kMaxConnections};
};

}  // namespace smscoach::gateway::detail

#pragma once
// The HTTP/1.1 server: owns sockets, timeouts and worker threads, and routes
// requests to the Twilio webhook, the health endpoints, the admin API and the
// operator console.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "gateway/metrics.hpp"
#include "gateway/sms_application.hpp"

namespace smscoach::gateway {

class AdminApi;

struct ServerConfig {
  std::string address = "127.0.0.1";
  std::uint16_t port = 8080;  // 0 picks a free port; port() tells which
  // The base URL the provider signs, e.g. "https://sms.example.com"; the
  // request target as received is appended to it for the signature check.
  std::string public_url;
  std::string twilio_auth_token;  // empty: dev mode, signatures not checked
  std::size_t body_limit = 64 * 1024;
  std::chrono::seconds timeout{30};
  unsigned io_threads = 1;
  unsigned worker_threads = 2;
  std::function<void()> on_reload;  // SIGHUP; none: ignored
  // Shared with whatever else counts (the application, the sender); must
  // outlive the server. None: the server keeps its own.
  Metrics* metrics = nullptr;
  // The admin API under /api/v1/; must outlive the server. None: those paths
  // answer 404.
  const AdminApi* admin = nullptr;
};

class Server {
 public:
  // Binds and listens at once; throws std::runtime_error if it cannot.
  Server(ServerConfig config, SmsApplication& app);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  std::uint16_t port() const;

  // Serves until stop() or SIGTERM/SIGINT; in-flight requests finish first.
  void run();
  // Thread-safe.
  void stop();

  // Runs `job` on a worker thread, as the application's blocking work is.
  // Thread-safe; what it throws is logged. Jobs posted once run() has
  // returned are dropped.
  void post_to_workers(std::function<void()> job);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace smscoach::gateway

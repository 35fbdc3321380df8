#pragma once
// Owns the acceptor and hands every accepted socket to an http_session.
// Private: included only by gateway/*.cpp.

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <memory>

#include "gateway/detail/shared_state.hpp"

namespace smscoach::gateway::detail {

class Listener : public std::enable_shared_from_this<Listener> {
 public:
  // Opens, binds and listens at once; throws boost::system::system_error.
  Listener(boost::asio::io_context& ioc, const boost::asio::ip::tcp::endpoint& endpoint,
           std::shared_ptr<SharedState> state);

  std::uint16_t port() const { return port_; }

  // Starts accepting; returns at once.
  void run();
  // Stops accepting; connections already accepted are not touched.
  // Thread-safe.
  void stop();

 private:
  void do_accept();
  void on_accept(boost::system::error_code ec, boost::asio::ip::tcp::socket socket);

  boost::asio::io_context& ioc_;
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer backoff_;  // after a failed accept (e.g. out of descriptors)
  std::shared_ptr<SharedState> state_;
  std::uint16_t port_ = 0;
};

}  // namespace smscoach::gateway::detail

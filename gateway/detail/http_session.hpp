#pragma once
// One accepted connection. Only Boost.Asio's socket type shows here; Beast
// stays inside http_session.cpp, the one translation unit that pays for it.

#include <boost/asio/ip/tcp.hpp>
#include <memory>

#include "gateway/detail/shared_state.hpp"

namespace smscoach::gateway::detail {

// Serves HTTP/1.1 on `socket` until the peer closes, a timeout, an error, or
// a graceful stop. Closes the socket at once when the server is stopping or
// has kMaxConnections already.
void start_http_session(boost::asio::ip::tcp::socket socket, std::shared_ptr<SharedState> state);

}  // namespace smscoach::gateway::detail

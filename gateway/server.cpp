#include "gateway/server.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <csignal>
#include <exception>
#include <latch>
#include <stdexcept>
#include <thread>
#include <vector>

#include "common/thread_name.hpp"
#include "gateway/detail/listener.hpp"
#include "gateway/detail/shared_state.hpp"

namespace smscoach::gateway {

namespace net = boost::asio;
using tcp = net::ip::tcp;

struct Server::Impl {
  Impl(ServerConfig server_config, SmsApplication& app)
      : config(std::move(server_config)),
        ioc(static_cast<int>(std::max(1U, config.io_threads))),
        workers(std::max(1U, config.worker_threads)),
        control(net::make_strand(ioc)),
        signals(control),
        state(std::make_shared<detail::SharedState>(config, app, workers)) {
    try {
      const tcp::endpoint endpoint(net::ip::make_address(config.address), config.port);
      listener = std::make_shared<detail::Listener>(ioc, endpoint, state);
    } catch (const boost::system::system_error& e) {
      throw std::runtime_error("cannot listen on " + config.address + ":" +
                               std::to_string(config.port) + ": " + e.code().message());
    }
    // Registered here, not in run(): the caller announces the port once this
    // constructor returns, and a SIGTERM sent right then must not kill the
    // process with the default action. Asio queues it until run() waits.
    signals.add(SIGINT);
    signals.add(SIGTERM);
    signals.add(SIGHUP);
    name_workers();
  }

  // One job per worker, each holding its thread until all have started, so
  // every thread of the pool gets its name.
  void name_workers() {
    const auto count = static_cast<std::ptrdiff_t>(std::max(1U, config.worker_threads));
    auto started = std::make_shared<std::latch>(count);
    for (std::ptrdiff_t i = 0; i < count; ++i) {
      net::post(workers, [started] {
        name_this_thread("worker");
        started->arrive_and_wait();
      });
    }
    started->wait();
  }

  void run();
  void begin_stop();
  void wait_for_signal();
  void run_io();

  // Declared in destruction order: the workers (whose jobs hold work on the
  // io_context) go before the io_context.
  ServerConfig config;
  net::io_context ioc;
  net::thread_pool workers;
  // Signals and stop requests are handled on one strand: a signal_set is not
  // safe to use from two I/O threads at once.
  net::strand<net::io_context::executor_type> control;
  net::signal_set signals;
  std::shared_ptr<detail::SharedState> state;
  std::shared_ptr<detail::Listener> listener;
  bool stopping = false;  // only touched on `control`
};

void Server::Impl::run() {
  wait_for_signal();
  listener->run();
  spdlog::info("listening on {}:{}", config.address, listener->port());

  std::vector<std::thread> extra_threads;
  for (unsigned i = 1; i < config.io_threads; ++i) {
    extra_threads.emplace_back([this] {
      name_this_thread("http-io");
      run_io();
    });
  }
  run_io();
  for (auto& thread : extra_threads) thread.join();
  workers.join();
  spdlog::info("server stopped");
}

// A handler that throws must not take the server down: log it and go on.
void Server::Impl::run_io() {
  for (;;) {
    try {
      ioc.run();
      return;
    } catch (const std::exception& e) {
      spdlog::error("unhandled exception in I/O thread: {}", e.what());
    } catch (...) {
      spdlog::error("unhandled exception in I/O thread");
    }
  }
}

void Server::Impl::wait_for_signal() {
  signals.async_wait([this](boost::system::error_code ec, int signal_number) {
    if (ec) return;  // cancelled by a stop
    if (signal_number != SIGHUP) {
      spdlog::info("signal {}: stopping", signal_number);
      begin_stop();
      return;
    }
    if (config.on_reload) {
      // A reload reads files; keep it off the I/O threads.
      net::post(workers, [this] {
        try {
          config.on_reload();
        } catch (const std::exception& e) {
          spdlog::error("reload failed: {}", e.what());
        }
      });
    } else {
      spdlog::info("SIGHUP ignored: nothing to reload");
    }
    wait_for_signal();
  });
}

// Stop accepting, let each connection finish what it is doing, and let the
// io_context run dry. No ioc.stop(): that would cut in-flight requests.
void Server::Impl::begin_stop() {
  if (stopping) return;
  stopping = true;
  // clear() gives the signals back their default action, so a second Ctrl-C
  // during a slow drain still ends the process.
  boost::system::error_code ignored;
  signals.clear(ignored);
  signals.cancel(ignored);
  listener->stop();
  state->connections.stop_all();
}

Server::Server(ServerConfig config, SmsApplication& app)
    : impl_(std::make_unique<Impl>(std::move(config), app)) {}

Server::~Server() {
  // Normally run() has returned and this is a no-op; otherwise (run() never
  // called) nothing may be left running when the members go.
  impl_->ioc.stop();
  impl_->workers.stop();
  impl_->workers.join();
}

std::uint16_t Server::port() const { return impl_->listener->port(); }

void Server::run() { impl_->run(); }

void Server::post_to_workers(std::function<void()> job) {
  net::post(impl_->workers, [job = std::move(job)] {
    try {
      job();
    } catch (const std::exception& e) {
      spdlog::error("unhandled exception in a worker job: {}", e.what());
    } catch (...) {
      spdlog::error("unhandled exception in a worker job");
    }
  });
}

void Server::stop() {
  net::post(impl_->control, [impl = impl_.get()] { impl->begin_stop(); });
}

}  // namespace smscoach::gateway

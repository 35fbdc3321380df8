#include "gateway/detail/http_session.hpp"

#include <spdlog/spdlog.h>

#include <array>
#include <atomic>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <exception>
#include <functional>
#include <optional>
#include <string>
#include <utility>

#include "common/request_context.hpp"

namespace smscoach::gateway::detail {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

using Clock = std::chrono::steady_clock;

std::string_view view(beast::string_view text) { return {text.data(), text.size()}; }

// Request paths are chosen by whoever connects: keep log lines one line long
// and short whatever they send.
std::string printable_for_log(std::string_view text) {
  constexpr std::size_t kMax = 200;
  std::string out;
  for (const char c : text.substr(0, kMax)) {
    const auto byte = static_cast<unsigned char>(c);
    out += (byte < 0x20 || byte == 0x7F || byte == '"') ? '?' : c;
  }
  if (text.size() > kMax) out += "...";
  return out;
}

// Errors that are part of normal life for a server on the internet.
bool is_routine(const beast::error_code& ec) {
  return ec == net::error::operation_aborted || ec == beast::error::timeout ||
         ec == net::error::eof || ec == net::error::connection_reset ||
         ec == net::error::broken_pipe || ec == http::error::end_of_stream ||
         ec == http::error::partial_message;
}

void fail(const beast::error_code& ec, const char* what) {
  if (is_routine(ec)) {
    spdlog::debug("http session {}: {}", what, ec.message());
  } else {
    spdlog::warn("http session {}: {}", what, ec.message());
  }
}

HttpRequest to_http_request(http::request<http::string_body>&& request) {
  HttpRequest out;
  out.method = std::string(view(request.method_string()));
  out.target = std::string(view(request.target()));
  out.headers.reserve(static_cast<std::size_t>(std::distance(request.begin(), request.end())));
  for (const auto& field : request) {
    out.headers.emplace_back(std::string(view(field.name_string())),
                             std::string(view(field.value())));
  }
  out.body = std::move(request.body());
  return out;
}

HttpResponse internal_error() { return error_response(500, "internal error"); }

// The caller's X-Request-Id when it is safe to log and echo (a proxy in front
// may have chosen it, and its logs should match ours), else a fresh one.
std::string request_id_for(const HttpRequest& request) {
  const std::string_view given = request.header("X-Request-Id");
  return acceptable_request_id(given) ? std::string(given) : new_request_id();
}

class HttpSession : public std::enable_shared_from_this<HttpSession> {
 public:
  HttpSession(tcp::socket&& socket, std::shared_ptr<SharedState> state)
      : stream_(std::move(socket)), state_(std::move(state)) {}

  ~HttpSession() {
    if (id_) state_->connections.remove(*id_);
  }

  void start() {
    // The registry holds only a weak reference: a stop request must not keep
    // a finished connection alive.
    std::weak_ptr<HttpSession> weak = weak_from_this();
    id_ = state_->connections.add([weak] {
      if (auto self = weak.lock()) {
        net::post(self->stream_.get_executor(), [self] { self->request_stop(); });
      }
    });
    if (!id_) {
      spdlog::warn("refusing connection: server stopping or at {} connections", kMaxConnections);
      beast::error_code ignored;
      stream_.socket().close(ignored);
      return;
    }
    net::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->do_read_header(); });
  }

 private:
  // A graceful stop: an idle connection closes now, a busy one after its
  // response (which then says "Connection: close").
  void request_stop() {
    stopping_ = true;
    if (!busy_) {
      beast::error_code ignored;
      stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
      stream_.close();
    }
  }

  void do_read_header() {
    if (stopping_) return do_close(false);
    parser_.emplace();
    parser_->header_limit(kHeaderLimit);
    parser_->body_limit(state_->config.body_limit);
    // One deadline for header and body together: a slow sender cannot stretch
    // it by trickling bytes.
    stream_.expires_after(state_->config.timeout);
    http::async_read_header(
        stream_, buffer_, *parser_,
        beast::bind_front_handler(&HttpSession::on_read_header, shared_from_this()));
  }

  void on_read_header(beast::error_code ec, std::size_t) {
    if (ec) return on_read_error(ec);
    busy_ = true;
    const auto& header = parser_->get();
    if (beast::iequals(header[http::field::expect], "100-continue")) {
      continue_.emplace(http::status::continue_, header.version());
      return http::async_write(
          stream_, *continue_,
          beast::bind_front_handler(&HttpSession::on_write_continue, shared_from_this()));
    }
    do_read_body();
  }

  void on_write_continue(beast::error_code ec, std::size_t) {
    continue_.reset();
    if (ec) return fail(ec, "write 100-continue");
    do_read_body();
  }

  void do_read_body() {
    http::async_read(stream_, buffer_, *parser_,
                     beast::bind_front_handler(&HttpSession::on_read, shared_from_this()));
  }

  void on_read(beast::error_code ec, std::size_t) {
    if (ec) return on_read_error(ec);
    stream_.expires_never();  // the application may take its time; Twilio allows 15 s
    auto request = parser_->release();
    keep_alive_ = request.keep_alive();
    version_ = request.version();
    started_ = Clock::now();
    handle(to_http_request(std::move(request)));
  }

  void on_read_error(const beast::error_code& ec) {
    keep_alive_ = false;
    started_ = Clock::now();
    if (ec == http::error::end_of_stream) return do_close(false);
    const bool from_parser =
        &ec.category() == &http::make_error_code(http::error::bad_target).category();
    // A peer that hung up mid-request or went quiet gets no reply: nobody is
    // there to read it.
    if (!from_parser || ec == http::error::partial_message) return fail(ec, "read");

    // An unparsed request's headers cannot be trusted, its id included.
    request_id_ = new_request_id();
    remember_request_line();
    if (ec == http::error::body_limit) {
      return send(error_response(413, "request body larger than " +
                                          std::to_string(state_->config.body_limit) + " bytes"),
                  true);
    }
    if (ec == http::error::header_limit) {
      return send(error_response(
                      431, "request header larger than " + std::to_string(kHeaderLimit) + " bytes"),
                  true);
    }
    send(error_response(400, "malformed HTTP request: " + ec.message()), true);
  }

  // What the request log can still say about a request that failed to parse.
  void remember_request_line() {
    log_ = {"-", "-", {}, {}};
    version_ = 11;
    if (!parser_) return;
    // The request line is stored as soon as it is parsed, even when a later
    // header or the body limit fails the request.
    const auto& header = parser_->get();
    const std::string_view target = view(header.target());
    if (target.empty()) return;
    log_.method = printable_for_log(view(header.method_string()));
    log_.path = printable_for_log(target.substr(0, target.find('?')));
    version_ = header.version();
  }

  void handle(HttpRequest request) {
    request_id_ = request_id_for(request);
    const RequestIdScope scope(request_id_);
    // Twilio's retry key: ties a retried webhook to its first attempt in the
    // log; it identifies a delivery, not a person.
    log_ = {request.method,
            printable_for_log(request.path()),
            {},
            printable_for_log(request.header("I-Twilio-Idempotency-Token"))};
    Route route;
    try {
      route = state_->router.route(request);
    } catch (const std::exception& e) {
      spdlog::error("routing {} {} threw: {}", log_.method, log_.path, e.what());
      return send(internal_error(), false);
    }
    log_.masked_from = std::move(route.masked_from);
    if (auto* response = std::get_if<HttpResponse>(&route.action)) {
      return send(std::move(*response), false);
    }
    if (auto* job = std::get_if<std::function<HttpResponse()>>(&route.action)) {
      return run_on_workers(std::move(*job));
    }
    run_async_on_workers(std::move(std::get<AsyncJob>(route.action)));
  }

  // The job blocks, so it runs on the worker pool; its response comes back
  // to this connection's executor. The tracked executor keeps the io_context
  // running until it does, so a graceful stop waits for the job.
  void run_on_workers(std::function<HttpResponse()> job) {
    auto home = net::prefer(stream_.get_executor(), net::execution::outstanding_work.tracked);
    net::post(state_->workers, [self = shared_from_this(), job = std::move(job), home,
                                id = request_id_]() mutable {
      // The request id is thread-local: the worker thread needs its own scope
      // for whatever the application logs.
      const RequestIdScope scope(std::move(id));
      HttpResponse response;
      try {
        response = job();
      } catch (const std::exception& e) {
        spdlog::error("handler for {} {} threw: {}", self->log_.method, self->log_.path, e.what());
        response = internal_error();
      } catch (...) {
        spdlog::error("handler for {} {} threw", self->log_.method, self->log_.path);
        response = internal_error();
      }
      net::post(home, [self = std::move(self), response = std::move(response)]() mutable {
        self->send(std::move(response), false);
      });
    });
  }

  // The job starts on the worker pool and answers whenever, from whichever
  // thread; the answer comes back to this connection's executor, once. The
  // tracked executor, held by the answer, keeps the io_context running
  // until it comes (or the job lets go of it unanswered).
  void run_async_on_workers(AsyncJob job) {
    auto home = net::prefer(stream_.get_executor(), net::execution::outstanding_work.tracked);
    net::post(state_->workers, [self = shared_from_this(), job = std::move(job), home,
                                id = request_id_]() mutable {
      const RequestIdScope scope(std::move(id));
      auto answered = std::make_shared<std::atomic<bool>>(false);
      Respond respond = [self, home, answered](HttpResponse response) {
        if (answered->exchange(true)) return;
        net::post(home, [self, response = std::move(response)]() mutable {
          self->send(std::move(response), false);
        });
      };
      try {
        job(respond);
      } catch (const std::exception& e) {
        spdlog::error("handler for {} {} threw: {}", self->log_.method, self->log_.path, e.what());
        respond(internal_error());
      } catch (...) {
        spdlog::error("handler for {} {} threw", self->log_.method, self->log_.path);
        respond(internal_error());
      }
    });
  }

  void send(HttpResponse response, bool close_after) {
    busy_ = true;
    log_response(response);
    if (response.stream) return send_streamed(std::move(response));

    response_.emplace();
    auto& res = *response_;
    set_header_fields(res, response);
    res.body() = std::move(response.body);
    res.keep_alive(keep_alive_ && !close_after && !stopping_);
    res.prepare_payload();

    stream_.expires_after(state_->config.timeout);
    http::async_write(
        stream_, res,
        beast::bind_front_handler(&HttpSession::on_write, shared_from_this(), close_after));
  }

  void log_response(const HttpResponse& response) {
    const auto elapsed =
        std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started_).count();
    const RequestIdScope scope(request_id_);
    spdlog::info(
        "{} {} {} {}ms from={}{}{}", log_.method, log_.path, response.status, elapsed,
        log_.masked_from.empty() ? "-" : log_.masked_from,
        log_.idempotency_token.empty() ? "" : " idempotency_token=", log_.idempotency_token);
  }

  template <class Body>
  void set_header_fields(http::response<Body>& res, const HttpResponse& response) {
    res.version(version_);
    res.result(static_cast<unsigned>(response.status));
    res.set(http::field::server, "smscoach");
    res.set(http::field::content_type, response.content_type);
    for (const auto& [name, value] : response.extra_headers) res.set(name, value);
    res.set("X-Request-Id", request_id_);  // so a caller can quote it when asking about a request
  }

  // A streamed body: the header, then each chunk as the producer hands it
  // over. One chunk is in flight at a time, so a slow client slows the
  // producer down instead of filling memory. The producer may block, so it
  // is called on the worker pool, like a job.
  void send_streamed(HttpResponse response) {
    // HTTP/1.0 has no chunked encoding: there the body ends with the connection.
    chunked_ = version_ >= 11;
    stream_header_.emplace();
    auto& res = *stream_header_;
    set_header_fields(res, response);
    res.keep_alive(chunked_ && keep_alive_ && !stopping_);
    if (chunked_) res.chunked(true);
    producer_ = std::move(response.stream);
    chunk_ = std::move(response.body);
    producer_done_ = false;
    stream_serializer_.emplace(res);

    stream_.expires_after(state_->config.timeout);
    http::async_write_header(
        stream_, *stream_serializer_,
        beast::bind_front_handler(&HttpSession::on_write_stream_header, shared_from_this()));
  }

  void on_write_stream_header(beast::error_code ec, std::size_t) {
    if (ec) return abort_stream(ec, "write stream header");
    if (!chunk_.empty()) return write_chunk();
    pull_chunk();
  }

  void pull_chunk() {
    auto home = net::prefer(stream_.get_executor(), net::execution::outstanding_work.tracked);
    net::post(state_->workers, [self = shared_from_this(), home, id = request_id_]() mutable {
      const RequestIdScope scope(std::move(id));
      std::string chunk;
      bool more = false;
      bool failed = false;
      try {
        more = self->producer_(chunk);
      } catch (const std::exception& e) {
        spdlog::error("stream for {} {} failed: {}", self->log_.method, self->log_.path, e.what());
        failed = true;
      } catch (...) {
        spdlog::error("stream for {} {} failed", self->log_.method, self->log_.path);
        failed = true;
      }
      net::post(home, [self = std::move(self), chunk = std::move(chunk), more, failed]() mutable {
        self->on_chunk(std::move(chunk), more, failed);
      });
    });
  }

  void on_chunk(std::string chunk, bool more, bool failed) {
    if (failed) return abort_stream({}, "stream");
    chunk_ = std::move(chunk);
    producer_done_ = !more;
    if (!chunk_.empty()) return write_chunk();
    if (producer_done_) return write_last_chunk();
    pull_chunk();
  }

  void write_chunk() {
    stream_.expires_after(state_->config.timeout);
    auto next = beast::bind_front_handler(&HttpSession::on_write_chunk, shared_from_this());
    if (chunked_) {
      net::async_write(stream_, http::make_chunk(net::buffer(chunk_)), std::move(next));
    } else {
      net::async_write(stream_, net::buffer(chunk_), std::move(next));
    }
  }

  void on_write_chunk(beast::error_code ec, std::size_t) {
    if (ec) return abort_stream(ec, "write chunk");
    chunk_.clear();
    if (producer_done_) return write_last_chunk();
    pull_chunk();
  }

  void write_last_chunk() {
    release_producer();
    if (!chunked_) return end_stream({});
    stream_.expires_after(state_->config.timeout);
    net::async_write(
        stream_, http::make_chunk_last(),
        beast::bind_front_handler(&HttpSession::on_write_last_chunk, shared_from_this()));
  }

  void on_write_last_chunk(beast::error_code ec, std::size_t) { end_stream(ec); }

  void end_stream(beast::error_code ec) {
    const bool keep_alive = stream_header_->keep_alive();
    stream_serializer_.reset();
    stream_header_.reset();
    chunk_.clear();
    chunk_.shrink_to_fit();
    busy_ = false;
    if (ec) {
      const RequestIdScope scope(request_id_);
      return fail(ec, "write last chunk");
    }
    if (!keep_alive) return do_close(false);
    do_read_header();
  }

  // The response is already under way: the only honest way left to say it
  // failed is to cut the connection before the last chunk.
  void abort_stream(beast::error_code ec, const char* what) {
    {
      const RequestIdScope scope(request_id_);
      if (ec) {
        fail(ec, what);
      } else {
        spdlog::warn("{} {}: response cut short", log_.method, log_.path);
      }
    }
    release_producer();
    stream_serializer_.reset();
    stream_header_.reset();
    busy_ = false;
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.close();
  }

  // The producer may own a thread that takes a moment to stop (an export
  // waits for its next row), so it is let go of on the worker pool, never on
  // this I/O thread.
  void release_producer() {
    if (!producer_) return;
    net::post(state_->workers, [producer = std::move(producer_)] {});
    producer_ = nullptr;
  }

  void on_write(bool drain, beast::error_code ec, std::size_t) {
    const bool keep_alive = response_->keep_alive();
    response_.reset();
    busy_ = false;
    if (ec) {
      const RequestIdScope scope(request_id_);
      return fail(ec, "write");
    }
    if (!keep_alive) return do_close(drain);
    do_read_header();
  }

  // After an error the client may still be sending a body we refused; reading
  // it to the end (for a short while) lets it see our reply before the
  // connection goes away, instead of a reset.
  void do_close(bool drain) {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    if (!drain || ec) return;
    stream_.expires_after(kDrainTimeout);
    do_drain();
  }

  void do_drain() {
    stream_.async_read_some(net::buffer(drain_buffer_),
                            beast::bind_front_handler(&HttpSession::on_drain, shared_from_this()));
  }

  void on_drain(beast::error_code ec, std::size_t) {
    if (!ec) return do_drain();
    // Any error (end of stream, timeout) ends the drain; the socket closes
    // when the last handler lets go of this session.
  }

  struct LogContext {
    std::string method;
    std::string path;
    std::string masked_from;
    std::string idempotency_token;  // I-Twilio-Idempotency-Token; empty when absent
  };

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::shared_ptr<SharedState> state_;
  std::optional<std::uint64_t> id_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::optional<http::response<http::empty_body>> continue_;
  std::optional<http::response<http::string_body>> response_;
  // A streamed response: its header, the serializer that wrote it, the
  // producer of its chunks and the chunk being written.
  std::optional<http::response<http::empty_body>> stream_header_;
  std::optional<http::response_serializer<http::empty_body>> stream_serializer_;
  std::function<bool(std::string&)> producer_;
  std::string chunk_;
  bool producer_done_ = false;
  bool chunked_ = true;
  std::array<char, 4096> drain_buffer_{};
  LogContext log_;
  std::string request_id_;  // of the request being handled or answered
  Clock::time_point started_ = Clock::now();
  unsigned version_ = 11;
  bool keep_alive_ = false;
  bool busy_ = false;      // a request is being read, handled or answered
  bool stopping_ = false;  // a graceful stop was asked for
};

}  // namespace

void start_http_session(tcp::socket socket, std::shared_ptr<SharedState> state) {
  std::make_shared<HttpSession>(std::move(socket), std::move(state))->start();
}

}  // namespace smscoach::gateway::detail

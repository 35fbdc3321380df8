// The server over real loopback sockets, with a plain POSIX client so that
// every byte on the wire is the test's choice.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <future>
#include <map>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>

#include "common/request_context.hpp"
#include "gateway/admin_api.hpp"
#include "gateway/form.hpp"
#include "gateway/server.hpp"
#include "gateway/signature.hpp"
#include "gateway_fake_conversation_admin.hpp"
#include "gateway_fake_sms_application.hpp"

using namespace smscoach::gateway;
using namespace std::chrono_literals;
using smscoach::ErrorCode;
using smscoach::gateway::testing::FakeConversationAdmin;
using smscoach::gateway::testing::FakeSmsApplication;

namespace {

struct RawResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
  std::size_t chunks = 0;  // data chunks of a chunked body

  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string{} : it->second;
  }
};

// Throws instead of using Catch's macros, which are not thread-safe: the
// concurrency test drives several connections from threads of its own.
void ensure(bool condition, const char* what) {
  if (!condition) throw std::runtime_error(std::string("client: ") + what);
}

class Connection {
 public:
  // A small `receive_buffer` keeps the kernel from soaking up a streamed body
  // the test wants to read slowly.
  explicit Connection(std::uint16_t port, int receive_buffer = 0)
      : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    ensure(fd_ >= 0, "socket");
    if (receive_buffer > 0) {
      ensure(::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof receive_buffer) == 0,
             "SO_RCVBUF");
    }
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ensure(::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0, "connect");
  }
  ~Connection() { ::close(fd_); }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  void send(std::string_view bytes) {
    while (!bytes.empty()) {
      const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      ensure(n > 0, "send");
      bytes.remove_prefix(static_cast<std::size_t>(n));
    }
  }

  // Reads one response, framed by Content-Length or chunked encoding.
  RawResponse read_response() {
    RawResponse response = read_head();
    if (response.status < 200) return response;  // 100 Continue has no body
    if (response.header("transfer-encoding") == "chunked") {
      std::string chunk;
      while (read_chunk(chunk)) {
        response.body += chunk;
        ++response.chunks;
      }
      return response;
    }
    ensure(response.headers.count("content-length") == 1, "no Content-Length");
    const auto length = std::stoul(response.headers["content-length"]);
    while (pending_.size() < length) ensure(fill(), "body shorter than Content-Length");
    response.body = pending_.substr(0, length);
    pending_.erase(0, length);
    return response;
  }

  // The status line and headers of a response.
  RawResponse read_head() {
    std::size_t header_end;
    while ((header_end = pending_.find("\r\n\r\n")) == std::string::npos) {
      ensure(fill(), "no complete response header");
    }
    RawResponse response;
    const std::string head = pending_.substr(0, header_end);
    pending_.erase(0, header_end + 4);
    std::size_t line_end = head.find("\r\n");
    const std::string status_line = head.substr(0, line_end);
    ensure(status_line.rfind("HTTP/1.", 0) == 0, "not an HTTP status line");
    response.status = std::stoi(status_line.substr(9, 3));
    while (line_end != std::string::npos) {
      const std::size_t start = line_end + 2;
      line_end = head.find("\r\n", start);
      const std::string line = head.substr(start, line_end - start);
      const std::size_t colon = line.find(':');
      std::string name = line.substr(0, colon);
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      response.headers[name] = line.substr(line.find_first_not_of(' ', colon + 1));
    }
    return response;
  }

  // One chunk of a chunked body into `chunk`: true, or false at the last
  // chunk (a body without one is cut short, and throws).
  bool read_chunk(std::string& chunk) {
    std::size_t line_end;
    while ((line_end = pending_.find("\r\n")) == std::string::npos) {
      ensure(fill(), "chunked body cut short");
    }
    const std::size_t size = std::stoul(pending_.substr(0, line_end), nullptr, 16);
    pending_.erase(0, line_end + 2);
    while (pending_.size() < size + 2) ensure(fill(), "chunked body cut short");
    ensure(pending_.compare(size, 2, "\r\n") == 0, "chunk not followed by CRLF");
    chunk = pending_.substr(0, size);
    pending_.erase(0, size + 2);
    return size > 0;
  }

  // True when the server closed the connection within `timeout`.
  bool closed_by_peer(std::chrono::milliseconds timeout = 3000ms) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) > 0) {
        char buf[4096];
        const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
        if (n <= 0) return true;
      }
    }
    return false;
  }

 private:
  bool fill() {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, 5000) <= 0) return false;
    char buf[4096];
    const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) return false;
    pending_.append(buf, static_cast<std::size_t>(n));
    return true;
  }

  int fd_;
  std::string pending_;
};

std::string http_request(const std::string& method, const std::string& target,
                         const std::string& body = {},
                         const std::string& content_type = "application/x-www-form-urlencoded",
                         const std::string& extra_headers = {}) {
  std::string out = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  if (!body.empty() || method == "POST") {
    out += "Content-Type: " + content_type + "\r\nContent-Length: " + std::to_string(body.size()) +
           "\r\n";
  }
  return out + extra_headers + "\r\n" + body;
}

RawResponse exchange(std::uint16_t port, const std::string& request) {
  Connection connection(port);
  connection.send(request);
  return connection.read_response();
}

const std::string kSms =
    "MessageSid=SM11111111111111111111111111111111&From=%2B15551234567&To=%2B15557654321"
    "&Body=how+much+creatine";

// A server on an ephemeral loopback port, served by a background thread.
class RunningServer {
 public:
  explicit RunningServer(SmsApplication& app, ServerConfig config = {}) {
    config.address = "127.0.0.1";
    config.port = 0;
    server_ = std::make_unique<Server>(std::move(config), app);
    thread_ = std::thread([this] {
      server_->run();
      finished_.set_value();
    });
  }
  ~RunningServer() {
    server_->stop();
    if (thread_.joinable()) thread_.join();
  }

  std::uint16_t port() const { return server_->port(); }
  Server& server() { return *server_; }
  // Waits for run() to return.
  bool finished_within(std::chrono::milliseconds timeout) {
    return finished_future_.wait_for(timeout) == std::future_status::ready;
  }

 private:
  std::unique_ptr<Server> server_;
  std::promise<void> finished_;
  std::future<void> finished_future_ = finished_.get_future();
  std::thread thread_;
};

}  // namespace

TEST_CASE("server answers a webhook with TwiML", "[gateway][server]") {
  FakeSmsApplication app;
  app.reply_with({"Take 3-5 g a day <daily>"});
  RunningServer server(app);

  const RawResponse response = exchange(server.port(), http_request("POST", "/sms/twilio", kSms));
  CHECK(response.status == 200);
  CHECK(response.header("content-type") == "text/xml");
  CHECK(response.header("server") == "smscoach");
  CHECK(response.header("content-length") == std::to_string(response.body.size()));
  CHECK(
      response.body ==
      R"(<?xml version="1.0" encoding="UTF-8"?><Response><Message>Take 3-5 g a day &lt;daily&gt;</Message></Response>)");
  REQUIRE(app.calls().size() == 1);
  CHECK(app.calls()[0].from == "+15551234567");
  CHECK(app.calls()[0].body == "how much creatine");
}

TEST_CASE("server answers an empty Response when there is nothing to say", "[gateway][server]") {
  FakeSmsApplication app;
  RunningServer server(app);
  const RawResponse response = exchange(server.port(), http_request("POST", "/sms/twilio", kSms));
  CHECK(response.status == 200);
  CHECK(response.body == R"(<?xml version="1.0" encoding="UTF-8"?><Response/>)");
}

TEST_CASE("server checks the Twilio signature when it has a token", "[gateway][server]") {
  FakeSmsApplication app;
  ServerConfig config;
  config.public_url = "https://sms.example.com";
  config.twilio_auth_token = "12345";
  RunningServer server(app, config);

  const auto form = parse_form(kSms);
  REQUIRE(form.has_value());
  const std::string signature =
      twilio_signature("12345", "https://sms.example.com/sms/twilio", *form);

  CHECK(exchange(server.port(),
                 http_request("POST", "/sms/twilio", kSms, "application/x-www-form-urlencoded",
                              "X-Twilio-Signature: " + signature + "\r\n"))
            .status == 200);
  const RawResponse forged =
      exchange(server.port(),
               http_request("POST", "/sms/twilio", kSms + "x", "application/x-www-form-urlencoded",
                            "X-Twilio-Signature: " + signature + "\r\n"));
  CHECK(forged.status == 403);
  CHECK(exchange(server.port(), http_request("POST", "/sms/twilio", kSms)).status == 403);
  CHECK(app.calls().size() == 1);
}

TEST_CASE("server answers 404, 405, 415 and 400", "[gateway][server]") {
  FakeSmsApplication app;
  RunningServer server(app);

  CHECK(exchange(server.port(), http_request("GET", "/nope")).status == 404);

  const RawResponse not_allowed = exchange(server.port(), http_request("GET", "/sms/twilio"));
  CHECK(not_allowed.status == 405);
  CHECK(not_allowed.header("allow") == "POST");

  CHECK(exchange(server.port(), http_request("POST", "/sms/twilio", kSms, "application/json"))
            .status == 415);

  const RawResponse bad = exchange(server.port(), http_request("POST", "/sms/twilio", "From=%zz"));
  CHECK(bad.status == 400);
  CHECK_THAT(bad.body, Catch::Contains("percent escape"));

  const RawResponse missing =
      exchange(server.port(), http_request("POST", "/sms/twilio", "MessageSid=SM1&From=%2B1"));
  CHECK(missing.status == 400);
  CHECK_THAT(missing.body, Catch::Contains("Body"));
  CHECK(app.calls().empty());
}

TEST_CASE("server answers 400 to a request that is not HTTP, then closes", "[gateway][server]") {
  FakeSmsApplication app;
  RunningServer server(app);
  Connection connection(server.port());
  connection.send("GARBAGE\r\n\r\n");
  CHECK(connection.read_response().status == 400);
  CHECK(connection.closed_by_peer());
}

TEST_CASE("server refuses an oversized body with 413 and closes", "[gateway][server]") {
  FakeSmsApplication app;
  ServerConfig config;
  config.body_limit = 1024;
  RunningServer server(app, config);

  Connection connection(server.port());
  connection.send(http_request("POST", "/sms/twilio", kSms + "&Pad=" + std::string(4096, 'a')));
  const RawResponse response = connection.read_response();
  CHECK(response.status == 413);
  CHECK_THAT(response.body, Catch::Contains("1024"));
  CHECK(response.header("connection") == "close");
  CHECK(connection.closed_by_peer());
  CHECK(app.calls().empty());

  // A body just under the limit is fine.
  CHECK(exchange(server.port(), http_request("POST", "/sms/twilio", kSms)).status == 200);
}

TEST_CASE("server answers 503 when the application is unavailable", "[gateway][server]") {
  FakeSmsApplication app;
  app.fail_with(ErrorCode::unavailable, "store unavailable");
  RunningServer server(app);
  const RawResponse response = exchange(server.port(), http_request("POST", "/sms/twilio", kSms));
  CHECK(response.status == 503);
  CHECK(response.body == "store unavailable");
}

TEST_CASE("server turns a throwing application into a 500 and keeps serving", "[gateway][server]") {
  FakeSmsApplication app;
  app.throw_on_handle();
  RunningServer server(app);
  CHECK(exchange(server.port(), http_request("POST", "/sms/twilio", kSms)).status == 500);
  CHECK(exchange(server.port(), http_request("GET", "/healthz")).status == 200);
}

TEST_CASE("server answers health and readiness", "[gateway][server]") {
  FakeSmsApplication app;
  RunningServer server(app);

  const RawResponse health = exchange(server.port(), http_request("GET", "/healthz"));
  CHECK(health.status == 200);
  CHECK(health.body == "ok");

  const RawResponse ready = exchange(server.port(), http_request("GET", "/readyz"));
  CHECK(ready.status == 200);
  CHECK(ready.body == "ready");

  app.set_ready(false);
  const RawResponse not_ready = exchange(server.port(), http_request("GET", "/readyz"));
  CHECK(not_ready.status == 503);
  CHECK(app.ready_calls() == 2);
}

TEST_CASE("server keeps a connection alive across requests", "[gateway][server]") {
  FakeSmsApplication app;
  app.reply_with({"hi"});
  RunningServer server(app);
  Connection connection(server.port());

  connection.send(http_request("GET", "/healthz"));
  const RawResponse first = connection.read_response();
  CHECK(first.status == 200);
  CHECK(first.header("connection") != "close");

  connection.send(http_request("POST", "/sms/twilio", kSms));
  CHECK(connection.read_response().status == 200);

  // Two requests in one write are answered in order.
  connection.send(http_request("GET", "/nope") + http_request("GET", "/healthz"));
  CHECK(connection.read_response().status == 404);
  CHECK(connection.read_response().status == 200);

  // "Connection: close" is honoured.
  connection.send(http_request("GET", "/healthz", {}, {}, "Connection: close\r\n"));
  CHECK(connection.read_response().header("connection") == "close");
  CHECK(connection.closed_by_peer());
}

TEST_CASE("server answers Expect: 100-continue before reading the body", "[gateway][server]") {
  FakeSmsApplication app;
  RunningServer server(app);
  Connection connection(server.port());
  std::string request = http_request(
      "POST", "/sms/twilio", kSms, "application/x-www-form-urlencoded", "Expect: 100-continue\r\n");
  const std::size_t head_end = request.find("\r\n\r\n") + 4;
  connection.send(request.substr(0, head_end));
  CHECK(connection.read_response().status == 100);
  connection.send(request.substr(head_end));
  CHECK(connection.read_response().status == 200);
}

TEST_CASE("server closes a connection that sends nothing within the timeout", "[gateway][server]") {
  FakeSmsApplication app;
  ServerConfig config;
  config.timeout = std::chrono::seconds(1);
  RunningServer server(app, config);
  Connection connection(server.port());
  connection.send("GET /healthz HTTP/1.1\r\n");  // and never the rest
  CHECK(connection.closed_by_peer(4000ms));
}

TEST_CASE("server stop() returns promptly, even with an idle connection open",
          "[gateway][server]") {
  FakeSmsApplication app;
  RunningServer server(app);
  Connection idle(server.port());
  idle.send(http_request("GET", "/healthz"));
  REQUIRE(idle.read_response().status == 200);

  const auto start = std::chrono::steady_clock::now();
  server.server().stop();
  REQUIRE(server.finished_within(2s));
  CHECK(std::chrono::steady_clock::now() - start < 1s);
  CHECK(idle.closed_by_peer(1000ms));
  server.server().stop();  // a second stop is harmless
}

TEST_CASE("server stop() lets an in-flight request finish", "[gateway][server]") {
  // An application that blocks until the test lets it go.
  class SlowApplication : public FakeSmsApplication {
   public:
    smscoach::Expected<std::vector<std::string>> handle_sms(
        const smscoach::InboundSms& sms) override {
      {
        std::unique_lock lock(mutex_);
        entered_ = true;
        cv_.notify_all();
        cv_.wait(lock, [this] { return released_; });
      }
      return FakeSmsApplication::handle_sms(sms);
    }
    void wait_until_entered() {
      std::unique_lock lock(mutex_);
      REQUIRE(cv_.wait_for(lock, 5s, [this] { return entered_; }));
    }
    void release() {
      const std::lock_guard lock(mutex_);
      released_ = true;
      cv_.notify_all();
    }

   private:
    std::mutex mutex_;
    std::condition_variable cv_;
    bool entered_ = false;
    bool released_ = false;
  };

  SlowApplication app;
  app.reply_with({"done"});
  RunningServer server(app);
  Connection connection(server.port());
  connection.send(http_request("POST", "/sms/twilio", kSms));
  app.wait_until_entered();

  server.server().stop();
  CHECK_FALSE(server.finished_within(300ms));
  app.release();
  const RawResponse response = connection.read_response();
  CHECK(response.status == 200);
  CHECK_THAT(response.body, Catch::Contains("done"));
  CHECK(response.header("connection") == "close");
  CHECK(server.finished_within(2s));
}

TEST_CASE("server reloads on SIGHUP and stops on SIGTERM", "[gateway][server]") {
  FakeSmsApplication app;
  std::atomic<int> reloads{0};
  ServerConfig config;
  config.on_reload = [&reloads] { reloads++; };
  RunningServer server(app, config);
  // Once a request is answered, run() has installed its signal handlers.
  REQUIRE(exchange(server.port(), http_request("GET", "/healthz")).status == 200);

  std::raise(SIGHUP);
  for (int i = 0; i < 100 && reloads == 0; ++i) std::this_thread::sleep_for(20ms);
  CHECK(reloads == 1);
  CHECK(exchange(server.port(), http_request("GET", "/healthz")).status == 200);

  std::raise(SIGTERM);
  CHECK(server.finished_within(2s));
}

TEST_CASE("server serves many connections at once on several threads", "[gateway][server]") {
  FakeSmsApplication app;
  app.reply_with({"ok"});
  ServerConfig config;
  config.io_threads = 3;
  config.worker_threads = 3;
  RunningServer server(app, config);

  constexpr int kClients = 8;
  constexpr int kRequestsEach = 25;
  std::atomic<int> successes{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      try {
        Connection connection(server.port());
        for (int i = 0; i < kRequestsEach; ++i) {
          const bool sms = (i + c) % 2 == 0;
          connection.send(sms ? http_request("POST", "/sms/twilio", kSms)
                              : http_request("GET", "/readyz"));
          if (connection.read_response().status == 200) successes++;
        }
      } catch (const std::exception&) {
        // counted as missing successes below
      }
    });
  }
  for (auto& client : clients) client.join();
  CHECK(successes == kClients * kRequestsEach);
  CHECK(app.calls().size() == kClients * kRequestsEach / 2);
}

TEST_CASE("server stop() before run() makes run() return at once", "[gateway][server]") {
  FakeSmsApplication app;
  ServerConfig config;
  config.port = 0;
  Server server(config, app);
  server.stop();
  const auto start = std::chrono::steady_clock::now();
  server.run();
  CHECK(std::chrono::steady_clock::now() - start < 1s);
}

TEST_CASE("server refuses to start on an address it cannot bind", "[gateway][server]") {
  FakeSmsApplication app;
  RunningServer first(app);
  ServerConfig config;
  config.address = "127.0.0.1";
  config.port = first.port();
  // reuse_address does not allow two listeners on one port on Linux.
  CHECK_THROWS_AS(Server(config, app), std::runtime_error);
  config.address = "not an address";
  config.port = 0;
  CHECK_THROWS_AS(Server(config, app), std::runtime_error);
}

namespace {

// Records each log line with the request id in scope when it was logged.
class RequestIdSink : public spdlog::sinks::base_sink<std::mutex> {
 public:
  // The request id of the first line starting with `prefix`; nullopt if none.
  std::optional<std::string> id_of(const std::string& prefix) {
    const std::lock_guard lock(mutex_);
    for (const auto& [line, id] : lines_) {
      if (line.rfind(prefix, 0) == 0) return id;
    }
    return std::nullopt;
  }
  bool any_line_contains(const std::string& text) {
    const std::lock_guard lock(mutex_);
    for (const auto& entry : lines_) {
      if (entry.first.find(text) != std::string::npos) return true;
    }
    return false;
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    lines_.emplace_back(std::string(msg.payload.data(), msg.payload.size()),
                        std::string(smscoach::current_request_id()));
  }
  void flush_() override {}

 private:
  std::vector<std::pair<std::string, std::string>> lines_;
};

// Routes the default logger to a sink for the test, then puts stderr back.
class DefaultLoggerSwap {
 public:
  explicit DefaultLoggerSwap(std::shared_ptr<spdlog::sinks::sink> sink)
      : previous_(spdlog::default_logger()) {
    spdlog::set_default_logger(std::make_shared<spdlog::logger>("test", std::move(sink)));
  }
  ~DefaultLoggerSwap() { spdlog::set_default_logger(previous_); }
  DefaultLoggerSwap(const DefaultLoggerSwap&) = delete;
  DefaultLoggerSwap& operator=(const DefaultLoggerSwap&) = delete;

 private:
  std::shared_ptr<spdlog::logger> previous_;
};

bool is_generated_id(const std::string& id) {
  return id.size() == 16 && id.find_first_not_of("0123456789abcdef") == std::string::npos;
}

}  // namespace

TEST_CASE("server gives every response an X-Request-Id and logs under it", "[gateway][server]") {
  // Sees the request id on the worker thread, where the application runs.
  class IdRecordingApplication : public FakeSmsApplication {
   public:
    smscoach::Expected<std::vector<std::string>> handle_sms(
        const smscoach::InboundSms& sms) override {
      {
        const std::lock_guard lock(mutex_);
        ids_.emplace_back(smscoach::current_request_id());
      }
      return FakeSmsApplication::handle_sms(sms);
    }
    std::vector<std::string> ids() {
      const std::lock_guard lock(mutex_);
      return ids_;
    }

   private:
    std::mutex mutex_;
    std::vector<std::string> ids_;
  };

  auto sink = std::make_shared<RequestIdSink>();
  const DefaultLoggerSwap swap(sink);  // outlives the server and its threads
  IdRecordingApplication app;
  RunningServer server(app);

  SECTION("a fresh id when the request brings none") {
    const RawResponse response = exchange(server.port(), http_request("GET", "/healthz"));
    CHECK(response.status == 200);
    const std::string id = response.header("x-request-id");
    CHECK(is_generated_id(id));
    CHECK(sink->id_of("GET /healthz 200") == id);  // the access line
  }

  SECTION("a valid incoming id is echoed and used for the whole request") {
    const RawResponse response =
        exchange(server.port(),
                 http_request("POST", "/sms/twilio", kSms, "application/x-www-form-urlencoded",
                              "X-Request-Id: proxy.Req_42-a\r\n"
                              "I-Twilio-Idempotency-Token: AC1-tok-2\r\n"));
    CHECK(response.status == 200);
    CHECK(response.header("x-request-id") == "proxy.Req_42-a");
    CHECK(app.ids() == std::vector<std::string>{"proxy.Req_42-a"});
    CHECK(sink->id_of("POST /sms/twilio 200") == "proxy.Req_42-a");
    CHECK(sink->any_line_contains("idempotency_token=AC1-tok-2"));
  }

  SECTION("an unacceptable incoming id is replaced") {
    const std::string too_long(65, 'a');
    for (const std::string& given : {std::string("has space"), std::string("a\"b"), too_long}) {
      const RawResponse response =
          exchange(server.port(),
                   http_request("GET", "/healthz", {}, {}, "X-Request-Id: " + given + "\r\n"));
      CHECK(response.status == 200);
      CHECK(is_generated_id(response.header("x-request-id")));
    }
    CHECK_FALSE(sink->any_line_contains("idempotency_token="));
  }

  SECTION("requests on one connection get their own ids") {
    Connection connection(server.port());
    connection.send(http_request("GET", "/healthz") + http_request("GET", "/nope"));
    const std::string first = connection.read_response().header("x-request-id");
    const std::string second = connection.read_response().header("x-request-id");
    CHECK(is_generated_id(first));
    CHECK(is_generated_id(second));
    CHECK(first != second);
  }

  SECTION("an error response to an unparseable request has an id too") {
    Connection connection(server.port());
    connection.send("GARBAGE\r\nX-Request-Id: mine\r\n\r\n");
    const RawResponse response = connection.read_response();
    CHECK(response.status == 400);
    const std::string id = response.header("x-request-id");
    CHECK(is_generated_id(id));
    CHECK(sink->id_of("- - 400") == id);
  }
}

// ---- the admin API ------------------------------------------------------------------

namespace {

const std::string kViewerToken = "viewer-token-0000001";
const std::string kBearer = "Authorization: Bearer " + kViewerToken + "\r\n";

// Row i of an export, made only when the store's cursor gets to it.
void lazy_export(FakeConversationAdmin& store, std::size_t rows) {
  store.set_export_generator([rows](std::size_t i) -> std::optional<smscoach::ExportRow> {
    if (i >= rows) return std::nullopt;
    return smscoach::ExportRow{"+15551234567",
                               i % 2 == 0 ? "in" : "out",
                               "row " + std::to_string(i) + " " + std::string(120, '.'),
                               1'795'255'200'000 + static_cast<std::int64_t>(i),
                               "dose",
                               "texter"};
  });
}

}  // namespace

TEST_CASE("server serves the admin API when it has one", "[gateway][server]") {
  FakeSmsApplication app;
  FakeConversationAdmin store;
  const AdminApi api(store, AdminAuth({{Role::viewer, "vera", kViewerToken}}));
  ServerConfig config;
  config.admin = &api;
  RunningServer server(app, config);

  const RawResponse me =
      exchange(server.port(), http_request("GET", "/api/v1/me", {}, {}, kBearer));
  CHECK(me.status == 200);
  CHECK(me.header("content-type") == "application/json");
  CHECK(me.body == R"({"name":"vera","role":"viewer"})");
  const RawResponse anonymous = exchange(server.port(), http_request("GET", "/api/v1/me"));
  CHECK(anonymous.status == 401);
  CHECK(anonymous.header("www-authenticate") == "Bearer");

  FakeSmsApplication other_app;
  RunningServer without_api(other_app);
  CHECK(exchange(without_api.port(), http_request("GET", "/api/v1/me", {}, {}, kBearer)).status ==
        404);
}

TEST_CASE("server streams a large export in chunks without gathering it", "[gateway][server]") {
  constexpr std::size_t kRows = 100'000;  // about 17 MB of CSV
  FakeSmsApplication app;
  FakeConversationAdmin store;
  lazy_export(store, kRows);
  const AdminApi api(store, AdminAuth({{Role::viewer, "vera", kViewerToken}}));
  ServerConfig config;
  config.admin = &api;
  RunningServer server(app, config);

  Connection connection(server.port(), /*receive_buffer=*/16 * 1024);
  connection.send(http_request("GET", "/api/v1/export?format=csv", {}, {}, kBearer));
  const RawResponse head = connection.read_head();
  CHECK(head.status == 200);
  CHECK(head.header("transfer-encoding") == "chunked");
  CHECK(head.header("content-length").empty());
  CHECK(head.header("content-type") == "text/csv; charset=utf-8");
  CHECK(head.header("content-disposition") == "attachment; filename=\"smscoach-messages.csv\"");

  std::string body;
  std::string chunk;
  REQUIRE(connection.read_chunk(chunk));
  body += chunk;
  // The client stops reading: the export must wait for it instead of
  // running ahead into memory. What may be ahead: the queue, the chunk in
  // flight, and what the kernel's socket buffers hold (a few MB).
  std::this_thread::sleep_for(300ms);
  const std::size_t produced_while_paused = store.rows_produced();
  CHECK(produced_while_paused < kRows / 2);

  std::size_t chunks = 1;
  while (connection.read_chunk(chunk)) {
    body += chunk;
    ++chunks;
  }
  CHECK(chunks > 100);  // ~64 KiB each
  CHECK(store.rows_produced() == kRows);
  CHECK(std::count(body.begin(), body.end(), '\n') == static_cast<long>(kRows + 1));
  CHECK(body.rfind("number,direction,body,at,intent,author\r\n+15551234567,in,row 0 ", 0) == 0);
  const std::string last_row = "+15551234567,out,row 99999 " + std::string(120, '.') +
                               ",2026-11-21T10:01:39.999Z,dose,texter\r\n";
  CHECK(body.size() > last_row.size());
  CHECK(body.compare(body.size() - last_row.size(), last_row.size(), last_row) == 0);

  // The connection is still good for the next request.
  connection.send(http_request("GET", "/healthz"));
  CHECK(connection.read_response().status == 200);
}

TEST_CASE("server cuts an export short when the store fails midway", "[gateway][server]") {
  FakeSmsApplication app;
  FakeConversationAdmin store;
  lazy_export(store, 10'000);
  store.fail_export_after(5'000);  // well past the first chunk
  const AdminApi api(store, AdminAuth({{Role::viewer, "vera", kViewerToken}}));
  ServerConfig config;
  config.admin = &api;
  RunningServer server(app, config);

  Connection connection(server.port());
  connection.send(http_request("GET", "/api/v1/export?format=jsonl", {}, {}, kBearer));
  const RawResponse head = connection.read_head();
  CHECK(head.status == 200);
  REQUIRE(head.header("transfer-encoding") == "chunked");
  // No last chunk: the client can tell the file is incomplete.
  std::string chunk;
  CHECK_THROWS_WITH(
      [&] {
        while (connection.read_chunk(chunk)) {
        }
      }(),
      Catch::Contains("cut short"));
  // The server goes on serving.
  CHECK(exchange(server.port(), http_request("GET", "/healthz")).status == 200);
}

TEST_CASE("server stops an export whose client goes away", "[gateway][server]") {
  FakeSmsApplication app;
  FakeConversationAdmin store;
  lazy_export(store, 1'000'000);
  const AdminApi api(store, AdminAuth({{Role::viewer, "vera", kViewerToken}}));
  ServerConfig config;
  config.admin = &api;
  config.timeout = std::chrono::seconds(1);
  RunningServer server(app, config);
  {
    Connection connection(server.port(), /*receive_buffer=*/16 * 1024);
    connection.send(http_request("GET", "/api/v1/export", {}, {}, kBearer));
    CHECK(connection.read_head().status == 200);
  }  // closed without reading the body
  // The export notices at its next write and stops.
  std::size_t before = 0;
  for (int i = 0; i < 100; ++i) {
    before = store.rows_produced();
    std::this_thread::sleep_for(50ms);
    if (store.rows_produced() == before) break;
  }
  CHECK(store.rows_produced() == before);
  CHECK(store.rows_produced() < 1'000'000);
  CHECK(exchange(server.port(), http_request("GET", "/healthz")).status == 200);
}

TEST_CASE("a webhook answered later, from another thread, holds no worker meanwhile",
          "[gateway][server]") {
  // Holds every answer until four texts have arrived, then answers them all
  // from a thread of its own, as the store does once a batch is on disk.
  // With one worker, a worker held per text would never see the second.
  class LaterApplication : public FakeSmsApplication {
   public:
    void handle_sms_then(const smscoach::InboundSms& sms, SmsDone done) override {
      std::lock_guard lock(mutex_);
      waiting_.push_back({sms.body, std::move(done)});
      if (waiting_.size() < 4) return;
      answering_ = std::thread([answers = std::move(waiting_)] {
        for (const auto& [body, answer] : answers) answer(std::vector<std::string>{"re: " + body});
      });
    }
    ~LaterApplication() override {
      if (answering_.joinable()) answering_.join();
    }

   private:
    std::mutex mutex_;
    std::vector<std::pair<std::string, SmsDone>> waiting_;
    std::thread answering_;
  };

  LaterApplication app;
  ServerConfig config;
  config.worker_threads = 1;
  RunningServer server(app, config);
  std::vector<std::unique_ptr<Connection>> connections;
  for (int i = 0; i < 4; ++i) {
    connections.push_back(std::make_unique<Connection>(server.port()));
    const std::string body = "MessageSid=SM" + std::to_string(i) + "&From=%2B15551234567&Body=t" +
                             std::to_string(i);
    connections.back()->send(http_request("POST", "/sms/twilio", body));
  }
  for (int i = 0; i < 4; ++i) {
    const RawResponse response = connections[static_cast<std::size_t>(i)]->read_response();
    CHECK(response.status == 200);
    CHECK(response.body.find("<Message>re: t" + std::to_string(i) + "</Message>") !=
          std::string::npos);
  }
}

#include "fake_messages_api.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <regex>
#include <stdexcept>
#include <string>
#include <string_view>

#include "http_client.hpp"
#include "server_process.hpp"

using namespace std::chrono_literals;
using smscoach::test::FakeMessagesApi;
using smscoach::test::FakeReply;
using smscoach::test::Fields;
using smscoach::test::Headers;
using smscoach::test::HttpClient;
using smscoach::test::HttpResult;
using Json = nlohmann::json;

namespace {

const std::string kAccountSid = "AC0123456789abcdef0123456789abcdef";
const std::string kAuthToken = "secret_token";
// base64("AC0123456789abcdef0123456789abcdef:secret_token"), worked out with
// base64(1) rather than with the fake's own encoder.
const std::string kGoodAuthorization =
    "Basic QUMwMTIzNDU2Nzg5YWJjZGVmMDEyMzQ1Njc4OWFiY2RlZjpzZWNyZXRfdG9rZW4=";
const std::string kMessagesPath = "/2010-04-01/Accounts/" + kAccountSid + "/Messages.json";
const std::string kTo = "+15550001111";
const std::string kFrom = "+15559990000";

HttpResult send_message(HttpClient& client, const FakeMessagesApi& api, const Fields& fields,
                        const std::string& authorization = kGoodAuthorization,
                        const std::string& path = kMessagesPath) {
  Headers headers{{"Accept", "application/json"}};
  if (!authorization.empty()) headers.emplace_back("Authorization", authorization);
  return client.post_form(api.port(), path, fields, headers);
}

Fields message_to(const std::string& to, const std::string& body = "Hello") {
  return {{"To", to}, {"From", kFrom}, {"Body", body}};
}

// Checks a Twilio error body field by field, and that nothing else is in it.
void check_twilio_error(const HttpResult& result, int status, int code) {
  CHECK(result.status == status);
  CHECK(result.content_type == "application/json");
  const Json body = Json::parse(result.body);
  CHECK(body.size() == 4);
  CHECK(body.at("code") == code);
  CHECK(body.at("status") == status);
  CHECK(body.at("more_info") == "https://www.twilio.com/docs/errors/" + std::to_string(code));
  CHECK_FALSE(body.at("message").get<std::string>().empty());
}

// One TCP connection, for what libcurl hides: which requests share a
// connection, and the interim 100 Continue.
class RawConnection {
 public:
  explicit RawConnection(std::uint16_t port) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    if (fd_ < 0) throw std::runtime_error("socket failed");
    timeval timeout{5, 0};  // a hung fake fails the test instead of hanging it
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(port);
    if (::connect(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
      ::close(fd_);
      throw std::runtime_error("connect failed");
    }
  }
  ~RawConnection() { ::close(fd_); }
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  void send(std::string_view data) {
    while (!data.empty()) {
      const ssize_t sent = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (sent <= 0) throw std::runtime_error("send failed");
      data.remove_prefix(static_cast<std::size_t>(sent));
    }
  }

  // The next whole response (head and Content-Length body); bytes after it
  // are kept for the next call.
  std::string read_response() {
    std::size_t head_end;
    while ((head_end = buffer_.find("\r\n\r\n")) == std::string::npos) receive();
    const std::string head = buffer_.substr(0, head_end + 4);
    std::size_t body_length = 0;
    static const std::regex kContentLength("\r\nContent-Length: *([0-9]+)\r\n", std::regex::icase);
    if (std::smatch match; std::regex_search(head, match, kContentLength)) {
      body_length = std::stoul(match[1]);
    }
    while (buffer_.size() < head.size() + body_length) receive();
    std::string response = buffer_.substr(0, head.size() + body_length);
    buffer_.erase(0, response.size());
    return response;
  }

  // Whether the peer closed the connection (rather than sending more).
  bool closed_by_peer() {
    char byte;
    return buffer_.empty() && ::recv(fd_, &byte, 1, 0) == 0;
  }

 private:
  void receive() {
    char chunk[4096];
    const ssize_t received = ::recv(fd_, chunk, sizeof chunk, 0);
    if (received <= 0) throw std::runtime_error("connection closed or timed out");
    buffer_.append(chunk, static_cast<std::size_t>(received));
  }

  int fd_;
  std::string buffer_;
};

std::string raw_message_request(const std::string& body, const std::string& extra_headers = {}) {
  return "POST " + kMessagesPath +
         " HTTP/1.1\r\n"
         "Host: 127.0.0.1\r\n"
         "Authorization: " +
         kGoodAuthorization +
         "\r\n"
         "Content-Type: application/x-www-form-urlencoded\r\n"
         "Content-Length: " +
         std::to_string(body.size()) + "\r\n" + extra_headers + "\r\n" + body;
}

bool starts_with(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

}  // namespace

TEST_CASE("fake_messages_api: answers an authenticated message with Twilio's 201 body",
          "[fake_messages_api]") {
  FakeMessagesApi api(kAccountSid, kAuthToken);
  CHECK(api.base_url() == "http://127.0.0.1:" + std::to_string(api.port()));
  HttpClient client;

  const Fields fields{{"To", kTo},
                      {"From", kFrom},
                      {"Body", "a+b & c=d caf\xC3\xA9 100%"},
                      {"StatusCallback", "https://bot.example/status?x=1"}};
  const HttpResult result = send_message(client, api, fields);
  REQUIRE(result.status == 201);
  CHECK(result.content_type == "application/json");
  const Json body = Json::parse(result.body);
  const std::string sid = body.at("sid");
  CHECK(std::regex_match(sid, std::regex("SM[0-9a-f]{32}")));
  CHECK(body.at("account_sid") == kAccountSid);
  CHECK(body.at("to") == kTo);
  CHECK(body.at("from") == kFrom);
  CHECK(body.at("body") == "a+b & c=d caf\xC3\xA9 100%");
  CHECK(body.at("status") == "queued");
  CHECK(body.at("num_segments") == "1");
  CHECK(body.at("direction") == "outbound-api");
  CHECK(body.at("api_version") == "2010-04-01");
  CHECK(std::regex_match(body.at("date_created").get<std::string>(),
                         std::regex("(Mon|Tue|Wed|Thu|Fri|Sat|Sun), [0-9]{2} "
                                    "(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) "
                                    "[0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2} \\+0000")));
  CHECK(body.at("price").is_null());
  CHECK(body.at("error_code").is_null());
  CHECK(body.at("error_message").is_null());
  CHECK(body.at("uri") == "/2010-04-01/Accounts/" + kAccountSid + "/Messages/" + sid + ".json");

  const auto requests = api.requests();
  REQUIRE(requests.size() == 1);
  CHECK(requests[0].path == kMessagesPath);
  CHECK(requests[0].authorization == kGoodAuthorization);
  CHECK(requests[0].form.at("To") == kTo);
  CHECK(requests[0].form.at("Body") == "a+b & c=d caf\xC3\xA9 100%");
  CHECK(requests[0].form.at("StatusCallback") == "https://bot.example/status?x=1");
  CHECK(requests[0].answered_status == 201);
  CHECK(requests[0].sid == sid);
  CHECK(api.accepted().size() == 1);

  const Json second = Json::parse(send_message(client, api, message_to(kTo)).body);
  CHECK(second.at("sid") != sid);
  CHECK(api.wait_for_accepted(2, 0ms));
}

TEST_CASE("fake_messages_api: answers bad credentials with 401 code 20003", "[fake_messages_api]") {
  FakeMessagesApi api(kAccountSid, kAuthToken);
  HttpClient client;

  const HttpResult wrong_token =
      send_message(client, api, message_to(kTo), "Basic QUMwMTIzOndyb25n");  // "AC0123:wrong"
  check_twilio_error(wrong_token, 401, 20003);
  CHECK(wrong_token.header("WWW-Authenticate").find("Basic") == 0);
  check_twilio_error(send_message(client, api, message_to(kTo), ""), 401, 20003);
  // The right credentials for another account's path.
  check_twilio_error(
      send_message(client, api, message_to(kTo), kGoodAuthorization,
                   "/2010-04-01/Accounts/AC99999999999999999999999999999999/Messages.json"),
      401, 20003);

  const auto requests = api.requests();
  REQUIRE(requests.size() == 3);
  for (const auto& request : requests) {
    CHECK(request.answered_status == 401);
    CHECK(request.sid.empty());
  }
  CHECK(requests[1].authorization.empty());
  CHECK(api.accepted().empty());
}

TEST_CASE("fake_messages_api: consumes a plan in order, then answers 201", "[fake_messages_api]") {
  FakeMessagesApi api(kAccountSid, kAuthToken);
  HttpClient client;
  api.plan(kTo, {{500, 0, 0ms}, {429, 20429, 0ms}, {400, 21610, 0ms}});

  // Other recipients are not part of the plan.
  CHECK(send_message(client, api, message_to("+15552220000")).status == 201);

  check_twilio_error(send_message(client, api, message_to(kTo)), 500, 20500);
  check_twilio_error(send_message(client, api, message_to(kTo)), 429, 20429);
  const HttpResult opted_out = send_message(client, api, message_to(kTo));
  CHECK(opted_out.status == 400);
  CHECK(Json::parse(opted_out.body) ==
        Json::parse(R"({"code": 21610, "message": "Attempt to send to unsubscribed recipient",
                        "more_info": "https://www.twilio.com/docs/errors/21610", "status": 400})"));
  CHECK(send_message(client, api, message_to(kTo)).status == 201);
  CHECK(send_message(client, api, message_to(kTo)).status == 201);

  std::vector<int> statuses;
  for (const auto& request : api.requests()) statuses.push_back(request.answered_status);
  CHECK(statuses == std::vector<int>{201, 500, 429, 400, 201, 201});
  CHECK(api.accepted().size() == 3);

  // A new plan replaces what is left of the old one.
  api.plan(kTo, {{503, 0, 0ms}, {503, 0, 0ms}});
  api.plan(kTo, {{429, 0, 0ms}});
  check_twilio_error(send_message(client, api, message_to(kTo)), 429, 20429);
  CHECK(send_message(client, api, message_to(kTo)).status == 201);

  CHECK_THROWS_AS(api.plan(kTo, {{99, 0, 0ms}}), std::invalid_argument);
  CHECK_THROWS_AS(api.plan(kTo, {{201, 0, -1ms}}), std::invalid_argument);
}

TEST_CASE("fake_messages_api: answers missing fields with Twilio's 400 codes",
          "[fake_messages_api]") {
  FakeMessagesApi api(kAccountSid, kAuthToken);
  HttpClient client;

  check_twilio_error(send_message(client, api, {{"From", kFrom}, {"Body", "x"}}), 400, 21604);
  check_twilio_error(send_message(client, api, {{"To", kTo}, {"Body", "x"}}), 400, 21603);
  check_twilio_error(send_message(client, api, {{"To", kTo}, {"From", kFrom}}), 400, 21602);
  check_twilio_error(send_message(client, api, {{"To", ""}, {"From", kFrom}, {"Body", "x"}}), 400,
                     21604);
  CHECK(api.accepted().empty());
  CHECK(api.requests().size() == 4);

  // A Messaging Service stands in for From, as with Twilio.
  const HttpResult via_service =
      send_message(client, api, {{"To", kTo}, {"MessagingServiceSid", "MG0123"}, {"Body", "x"}});
  CHECK(via_service.status == 201);
  CHECK(Json::parse(via_service.body).at("status") == "accepted");

  // A planned answer applies whatever else the request lacks.
  api.plan(kTo, {{201, 0, 0ms}});
  CHECK(send_message(client, api, {{"To", kTo}}).status == 201);
}

TEST_CASE("fake_messages_api: serves several requests on one keep-alive connection",
          "[fake_messages_api]") {
  FakeMessagesApi api(kAccountSid, kAuthToken);
  RawConnection connection(api.port());
  const std::string body = "To=%2B15550001111&From=%2B15559990000&Body=hi";

  // Two pipelined in one write, then one more after their answers.
  connection.send(raw_message_request(body) + raw_message_request(body));
  for (int i = 0; i < 2; ++i) {
    const std::string response = connection.read_response();
    CHECK(starts_with(response, "HTTP/1.1 201 Created\r\n"));
    CHECK(response.find("\r\nConnection: keep-alive\r\n") != std::string::npos);
  }
  connection.send(raw_message_request(body));
  CHECK(starts_with(connection.read_response(), "HTTP/1.1 201 "));

  connection.send(raw_message_request(body, "Connection: close\r\n"));
  const std::string last = connection.read_response();
  CHECK(starts_with(last, "HTTP/1.1 201 "));
  CHECK(last.find("\r\nConnection: close\r\n") != std::string::npos);
  CHECK(connection.closed_by_peer());

  CHECK(api.accepted().size() == 4);
  CHECK(api.requests()[0].form.at("To") == "+15550001111");
}

TEST_CASE("fake_messages_api: answers Expect: 100-continue before the body arrives",
          "[fake_messages_api]") {
  FakeMessagesApi api(kAccountSid, kAuthToken);
  RawConnection connection(api.port());
  const std::string body = "To=%2B15550001111&From=%2B15559990000&Body=hi";
  const std::string request = raw_message_request(body, "Expect: 100-continue\r\n");

  connection.send(request.substr(0, request.size() - body.size()));  // the head only
  CHECK(connection.read_response() == "HTTP/1.1 100 Continue\r\n\r\n");
  connection.send(body);
  CHECK(starts_with(connection.read_response(), "HTTP/1.1 201 "));
  CHECK(api.accepted().size() == 1);
}

TEST_CASE(
    "fake_messages_api: delays make clients time out and the destructor still returns promptly",
    "[fake_messages_api]") {
  auto api = std::make_unique<FakeMessagesApi>(kAccountSid, kAuthToken);
  api->plan(kTo, {{201, 0, 10s}});
  HttpClient impatient_client(200);

  const auto sent_at = std::chrono::steady_clock::now();
  CHECK_THROWS_AS(send_message(impatient_client, *api, message_to(kTo)), std::runtime_error);
  CHECK(std::chrono::steady_clock::now() - sent_at < 5s);
  const auto requests = api->requests();
  REQUIRE(requests.size() == 1);
  CHECK(requests[0].answered_status == 0);  // still waiting out its delay

  // Another client, still connected, is mid-delay too when the fake goes.
  std::thread waiting_client([port = api->port()] {
    HttpClient client(20000);
    try {
      client.post_form(port, kMessagesPath, message_to(kTo),
                       {{"Authorization", kGoodAuthorization}});
    } catch (const std::runtime_error&) {
      // The fake closes the connection unanswered: expected.
    }
  });
  api->plan(kTo, {{201, 0, 10s}});
  while (api->requests().size() < 2) std::this_thread::sleep_for(5ms);

  const auto stopping_at = std::chrono::steady_clock::now();
  api.reset();
  CHECK(std::chrono::steady_clock::now() - stopping_at < 1s);
  waiting_client.join();
}

TEST_CASE("fake_messages_api: survives a client that hangs up during a delay",
          "[fake_messages_api]") {
  FakeMessagesApi api(kAccountSid, kAuthToken);
  api.plan(kTo, {{201, 0, 300ms}});
  HttpClient impatient_client(50);
  CHECK_THROWS_AS(send_message(impatient_client, api, message_to(kTo)), std::runtime_error);

  // Answered into a closed socket: counted (Twilio created the message all
  // the same).
  REQUIRE(api.wait_for_accepted(1, 5s));
  CHECK_FALSE(api.accepted()[0].sid.empty());

  // The first answer into a closed socket draws an RST; the second, to a
  // pipelined request, would raise SIGPIPE and end this process.
  api.plan(kTo, {{201, 0, 100ms}, {201, 0, 100ms}});
  {
    RawConnection connection(api.port());
    const std::string body = "To=%2B15550001111&From=%2B15559990000&Body=hi";
    connection.send(raw_message_request(body) + raw_message_request(body));
  }
  REQUIRE(api.wait_for_accepted(3, 5s));

  HttpClient client;
  CHECK(send_message(client, api, message_to(kTo)).status == 201);
}

TEST_CASE("fake_messages_api: wait_for_accepted gives up at its timeout", "[fake_messages_api]") {
  FakeMessagesApi api(kAccountSid, kAuthToken);
  const auto start = std::chrono::steady_clock::now();
  CHECK_FALSE(api.wait_for_accepted(1, 100ms));
  const auto waited = std::chrono::steady_clock::now() - start;
  CHECK(waited >= 100ms);
  CHECK(waited < 2s);
}

TEST_CASE("fake_messages_api: answers anything but a Messages POST with 404 code 20404",
          "[fake_messages_api]") {
  FakeMessagesApi api(kAccountSid, kAuthToken);
  HttpClient client;
  const Headers auth{{"Authorization", kGoodAuthorization}};

  check_twilio_error(client.get(api.port(), "/nowhere", auth), 404, 20404);
  check_twilio_error(client.get(api.port(), kMessagesPath, auth), 404, 20404);
  check_twilio_error(
      client.post_form(api.port(), "/2010-04-01/Accounts/" + kAccountSid + "/Calls.json",
                       message_to(kTo), auth),
      404, 20404);
  // Control endpoints are off unless enabled.
  check_twilio_error(client.get(api.port(), "/fake/requests"), 404, 20404);
  CHECK(api.requests().empty());
}

TEST_CASE("fake_messages_api: control endpoints plan answers and list requests",
          "[fake_messages_api]") {
  FakeMessagesApi api(kAccountSid, kAuthToken);
  api.enable_control_endpoints();
  HttpClient client;

  const HttpResult planned =
      client.post_raw(api.port(), "/fake/plan", "application/json",
                      R"({"to": "+15550001111", "replies": [{"status": 400, "error_code": 21610},
                                             {"status": 201, "delay_ms": 0}]})");
  CHECK(planned.status == 200);
  CHECK(Json::parse(planned.body).at("planned") == 2);
  CHECK(client.post_raw(api.port(), "/fake/plan", "application/json", R"({"to": 5})").status ==
        400);
  CHECK(client.post_raw(api.port(), "/fake/plan", "application/json", "not json").status == 400);
  CHECK(client
            .post_raw(api.port(), "/fake/plan", "application/json",
                      R"({"to": "+1", "replies": [{"status": 42}]})")
            .status == 400);

  check_twilio_error(send_message(client, api, message_to(kTo)), 400, 21610);
  CHECK(send_message(client, api, message_to(kTo, "second")).status == 201);

  const HttpResult listed = client.get(api.port(), "/fake/requests");
  REQUIRE(listed.status == 200);
  const Json requests = Json::parse(listed.body);
  REQUIRE(requests.size() == 2);
  CHECK(requests[0].at("path") == kMessagesPath);
  CHECK(requests[0].at("form").at("To") == kTo);
  CHECK(requests[0].at("answered_status") == 400);
  CHECK(requests[0].at("sid").is_null());
  CHECK(requests[1].at("form").at("Body") == "second");
  CHECK(requests[1].at("answered_status") == 201);
  CHECK(requests[1].at("sid") == api.accepted().at(0).sid);
}

TEST_CASE("fake_messages_api: the executable serves until SIGTERM", "[fake_messages_api]") {
  smscoach::test::ServerProcess process(FAKE_MESSAGES_API_BINARY,
                                        {"--account-sid", kAccountSid, "--auth-token", kAuthToken});
  HttpClient client;
  const HttpResult sent = client.post_form(process.port(), kMessagesPath, message_to(kTo),
                                           {{"Authorization", kGoodAuthorization}});
  CHECK(sent.status == 201);
  const Json requests = Json::parse(client.get(process.port(), "/fake/requests").body);
  REQUIRE(requests.size() == 1);
  CHECK(requests[0].at("sid") == Json::parse(sent.body).at("sid"));
  CHECK(process.stop() == 0);
}

#include <catch2/catch.hpp>

#include <optional>

#include "gateway/admin_api.hpp"
#include "gateway/router.hpp"
#include "gateway_fake_conversation_admin.hpp"
#include "gateway_fake_sms_application.hpp"

using namespace smscoach::gateway;
using smscoach::ErrorCode;
using smscoach::gateway::testing::FakeConversationAdmin;
using smscoach::gateway::testing::FakeSmsApplication;

namespace {

HttpRequest request(std::string method, std::string target, std::string body = {},
                    std::string content_type = "application/x-www-form-urlencoded") {
  HttpRequest r;
  r.method = std::move(method);
  r.target = std::move(target);
  r.headers = {{"Content-Type", std::move(content_type)}};
  r.body = std::move(body);
  return r;
}

// Runs a job to its response inline: a blocking one, or an asynchronous
// one (which the fake application answers before returning).
HttpResponse run_job(const Route& route) {
  if (auto* job = std::get_if<std::function<HttpResponse()>>(&route.action)) return (*job)();
  std::optional<HttpResponse> answer;
  int answers = 0;
  std::get<AsyncJob>(route.action)([&](HttpResponse response) {
    ++answers;
    answer = std::move(response);
  });
  REQUIRE(answers == 1);
  return *answer;
}

// Runs the route to its response, doing the job inline.
HttpResponse respond(const Router& router, const HttpRequest& req) {
  Route route = router.route(req);
  if (auto* response = std::get_if<HttpResponse>(&route.action)) return *response;
  return run_job(route);
}

bool is_job(const Route& route) { return !std::holds_alternative<HttpResponse>(route.action); }

const std::string kSms = "MessageSid=SM1&From=%2B15551234567&To=%2B15550000000&Body=hi+%26+bye";

}  // namespace

TEST_CASE("router sends a webhook to the application and answers TwiML", "[gateway][router]") {
  FakeSmsApplication app;
  Metrics metrics;
  app.reply_with({"Hello & welcome", "second"});
  const Router router(app, {}, metrics);

  const Route route = router.route(request("POST", "/sms/twilio", kSms));
  REQUIRE(is_job(route));
  CHECK(app.calls().empty());  // nothing blocks before the job runs
  CHECK(route.masked_from == "+1555***4567");

  const HttpResponse response = run_job(route);
  CHECK(response.status == 200);
  CHECK(response.content_type == "text/xml");
  CHECK(
      response.body ==
      R"(<?xml version="1.0" encoding="UTF-8"?><Response><Message>Hello &amp; welcome</Message><Message>second</Message></Response>)");
  REQUIRE(app.calls().size() == 1);
  CHECK(app.calls()[0].body == "hi & bye");
  CHECK(app.calls()[0].message_sid == "SM1");
}

TEST_CASE("router maps application errors to statuses", "[gateway][router]") {
  FakeSmsApplication app;
  Metrics metrics;
  const Router router(app, {}, metrics);
  const auto sms = request("POST", "/sms/twilio", kSms);

  app.fail_with(ErrorCode::unavailable, "store down");
  auto response = respond(router, sms);
  CHECK(response.status == 503);
  CHECK(response.body == "store down");

  app.fail_with(ErrorCode::bad_input, "no thanks");
  CHECK(respond(router, sms).status == 400);

  app.fail_with(ErrorCode::internal, "secret detail");
  response = respond(router, sms);
  CHECK(response.status == 500);
  CHECK(response.body.find("secret") == std::string::npos);

  app.fail_with(ErrorCode::conflict, "x");
  CHECK(respond(router, sms).status == 500);
}

TEST_CASE("router rejects a bad webhook before the application sees it", "[gateway][router]") {
  FakeSmsApplication app;
  Metrics metrics;
  const Router router(app, {"https://sms.example.com", "token"}, metrics);
  const Route route = router.route(request("POST", "/sms/twilio", kSms));
  REQUIRE_FALSE(is_job(route));
  CHECK(std::get<HttpResponse>(route.action).status == 403);
  CHECK(route.masked_from.empty());
  CHECK(respond(router, request("POST", "/sms/twilio", kSms, "text/plain")).status == 415);
  CHECK(app.calls().empty());
}

TEST_CASE("router answers health and readiness", "[gateway][router]") {
  FakeSmsApplication app;
  Metrics metrics;
  const Router router(app, {}, metrics);

  const HttpResponse health = respond(router, request("GET", "/healthz"));
  CHECK(health.status == 200);
  CHECK(health.body == "ok");
  CHECK(app.ready_calls() == 0);

  const Route ready = router.route(request("GET", "/readyz?verbose=1"));
  REQUIRE(is_job(ready));  // ready() may block on the store
  CHECK(run_job(ready).body == "ready");
  CHECK(app.ready_calls() == 1);

  app.set_ready(false);
  CHECK(respond(router, request("GET", "/readyz")).status == 503);
}

TEST_CASE("router answers 405 with Allow and 404 for the rest", "[gateway][router]") {
  FakeSmsApplication app;
  Metrics metrics;
  const Router router(app, {}, metrics);
  const auto allow_of = [](const HttpResponse& r) {
    for (const auto& [name, value] : r.extra_headers) {
      if (name == "Allow") return value;
    }
    return std::string{};
  };

  auto response = respond(router, request("GET", "/sms/twilio"));
  CHECK(response.status == 405);
  CHECK(allow_of(response) == "POST");
  response = respond(router, request("POST", "/healthz"));
  CHECK(response.status == 405);
  CHECK(allow_of(response) == "GET");
  CHECK(respond(router, request("DELETE", "/readyz")).status == 405);

  CHECK(respond(router, request("GET", "/")).status == 404);
  CHECK(respond(router, request("POST", "/sms/twilio/")).status == 404);
  CHECK(respond(router, request("GET", "/HEALTHZ")).status == 404);
  CHECK(app.calls().empty());
}

TEST_CASE("router records status callbacks, ours or not", "[gateway][router]") {
  FakeSmsApplication app;
  Metrics metrics;
  const Router router(app, {}, metrics);
  const std::string callback =
      "MessageSid=SM9&MessageStatus=undelivered&ErrorCode=30007&To=%2B15551234567";

  auto response = respond(router, request("POST", "/sms/twilio/status", callback));
  CHECK(response.status == 200);
  REQUIRE(app.deliveries().size() == 1);
  CHECK(app.deliveries()[0].message_sid == "SM9");
  CHECK(app.deliveries()[0].status == "undelivered");
  CHECK(app.deliveries()[0].error_code == "30007");
  CHECK(app.calls().empty());  // a callback is not a text

  // Not ours: Twilio retrying would not change that.
  app.fail_deliveries_with(ErrorCode::not_found, "unknown message sid");
  CHECK(respond(router, request("POST", "/sms/twilio/status", callback)).status == 200);
  // The store failed: Twilio may try again.
  app.fail_deliveries_with(ErrorCode::unavailable, "store down");
  CHECK(respond(router, request("POST", "/sms/twilio/status", callback)).status == 503);

  response = respond(router, request("POST", "/sms/twilio/status", "MessageSid=SM9"));
  CHECK(response.status == 400);
  CHECK(response.body == "missing form field MessageStatus");
  CHECK(respond(router, request("GET", "/sms/twilio/status")).status == 405);
  CHECK(app.deliveries().size() == 3);
}

TEST_CASE("router checks the signature of a status callback", "[gateway][router]") {
  FakeSmsApplication app;
  Metrics metrics;
  const Router router(app, {"https://sms.example.com", "token"}, metrics);
  const auto response = respond(
      router, request("POST", "/sms/twilio/status", "MessageSid=SM9&MessageStatus=delivered"));
  CHECK(response.status == 403);
  CHECK(app.deliveries().empty());
}

TEST_CASE("router serves metrics with the store's gauges and times webhooks",
          "[gateway][router]") {
  FakeSmsApplication app;
  Metrics metrics;
  const Router router(app, {}, metrics);
  app.set_gauges({3, 7, 1, std::nullopt});
  CHECK(respond(router, request("POST", "/sms/twilio", kSms)).status == 200);
  CHECK(respond(router, request("POST", "/sms/twilio", "From=x")).status == 400);

  const HttpResponse response = respond(router, request("GET", "/metrics"));
  CHECK(response.status == 200);
  CHECK(response.content_type == Metrics::kContentType);
  CHECK(response.body.find("smscoach_handoffs_open 3\n") != std::string::npos);
  CHECK(response.body.find("smscoach_outbox_depth 7\n") != std::string::npos);
  CHECK(response.body.find("smscoach_outbox_failed 1\n") != std::string::npos);
  CHECK(response.body.find("smscoach_webhook_duration_seconds_count 2\n") != std::string::npos);
  CHECK(response.body.find("smscoach_webhook_requests_total{code=\"400\"} 1\n") !=
        std::string::npos);
  CHECK(respond(router, request("POST", "/metrics")).status == 405);
}

TEST_CASE("router hands /api/v1/ to the admin API, or answers 404 without one",
          "[gateway][router]") {
  FakeSmsApplication app;
  Metrics metrics;
  FakeConversationAdmin store;
  const AdminApi api(store, AdminAuth({{Role::viewer, "vera", "viewer-token-0000001"}}));
  const Router with_api(app, {}, metrics, &api);
  const Router without_api(app, {}, metrics);
  auto me = request("GET", "/api/v1/me");
  me.headers.emplace_back("Authorization", "Bearer viewer-token-0000001");

  CHECK(respond(with_api, me).status == 200);
  CHECK(respond(with_api, request("GET", "/api/v1/me")).status == 401);
  CHECK(respond(without_api, me).status == 404);
  CHECK(respond(with_api, request("GET", "/api/v1")).status == 404);  // not under /api/v1/
  CHECK(respond(with_api, request("GET", "/healthz")).status == 200);
}

TEST_CASE("router serves the console and redirects /console to it", "[gateway][router]") {
  FakeSmsApplication app;
  Metrics metrics;
  const Router router(app, {}, metrics);
  const auto header_of = [](const HttpResponse& r, const std::string& name) {
    for (const auto& [key, value] : r.extra_headers) {
      if (key == name) return value;
    }
    return std::string{};
  };

  const HttpResponse redirect = respond(router, request("GET", "/console?x=1"));
  CHECK(redirect.status == 301);
  CHECK(header_of(redirect, "Location") == "/console/");

  const HttpResponse page = respond(router, request("GET", "/console/"));
  CHECK(page.status == 200);
  CHECK_THAT(page.content_type, Catch::StartsWith("text/html"));

  CHECK(respond(router, request("GET", "/console/no-such-file.js")).status == 404);
  CHECK(respond(router, request("GET", "/consoles")).status == 404);
  const HttpResponse post = respond(router, request("POST", "/console/"));
  CHECK(post.status == 405);
  CHECK(header_of(post, "Allow") == "GET");
}

#include <catch2/catch.hpp>

#include "gateway/router.hpp"
#include "gateway_fake_sms_application.hpp"

using namespace smscoach::gateway;
using smscoach::ErrorCode;
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

// Runs the route to its response, doing the blocking job inline.
HttpResponse respond(const Router& router, const HttpRequest& req) {
  Route route = router.route(req);
  if (auto* response = std::get_if<HttpResponse>(&route.action)) return *response;
  return std::get<std::function<HttpResponse()>>(route.action)();
}

bool is_job(const Route& route) {
  return std::holds_alternative<std::function<HttpResponse()>>(route.action);
}

const std::string kSms = "MessageSid=SM1&From=%2B15551234567&To=%2B15550000000&Body=hi+%26+bye";

}  // namespace

TEST_CASE("router sends a webhook to the application and answers TwiML", "[gateway][router]") {
  FakeSmsApplication app;
  app.reply_with({"Hello & welcome", "second"});
  const Router router(app, {});

  const Route route = router.route(request("POST", "/sms/twilio", kSms));
  REQUIRE(is_job(route));
  CHECK(app.calls().empty());  // nothing blocks before the job runs
  CHECK(route.masked_from == "+1555***4567");

  const HttpResponse response = std::get<std::function<HttpResponse()>>(route.action)();
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
  const Router router(app, {});
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
  const Router router(app, {"https://sms.example.com", "token"});
  const Route route = router.route(request("POST", "/sms/twilio", kSms));
  REQUIRE_FALSE(is_job(route));
  CHECK(std::get<HttpResponse>(route.action).status == 403);
  CHECK(route.masked_from.empty());
  CHECK(respond(router, request("POST", "/sms/twilio", kSms, "text/plain")).status == 415);
  CHECK(app.calls().empty());
}

TEST_CASE("router answers health and readiness", "[gateway][router]") {
  FakeSmsApplication app;
  const Router router(app, {});

  const HttpResponse health = respond(router, request("GET", "/healthz"));
  CHECK(health.status == 200);
  CHECK(health.body == "ok");
  CHECK(app.ready_calls() == 0);

  const Route ready = router.route(request("GET", "/readyz?verbose=1"));
  REQUIRE(is_job(ready));  // ready() may block on the store
  CHECK(std::get<std::function<HttpResponse()>>(ready.action)().body == "ready");
  CHECK(app.ready_calls() == 1);

  app.set_ready(false);
  CHECK(respond(router, request("GET", "/readyz")).status == 503);
}

TEST_CASE("router answers 405 with Allow and 404 for the rest", "[gateway][router]") {
  FakeSmsApplication app;
  const Router router(app, {});
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

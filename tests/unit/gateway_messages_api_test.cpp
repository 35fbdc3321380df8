#include <catch2/catch.hpp>

#include "gateway/form.hpp"
#include "gateway/messages_api.hpp"

using namespace smscoach;
using namespace smscoach::gateway;
using std::chrono::milliseconds;

namespace {

OutboxItem item(int attempt = 1) {
  return OutboxItem{42, "+15551234567", "+15550001111", "Creatine: 3-5 g a day & water", attempt};
}

ApiResponse http(long status, std::string body) {
  ApiResponse r;
  r.http_status = status;
  r.body = std::move(body);
  return r;
}

const RetryPolicy kPolicy{milliseconds(1000), milliseconds(60000), 5};

}  // namespace

TEST_CASE("the Messages API request carries To, From, Body and the callback",
          "[gateway][messages_api]") {
  MessagesApiConfig config;
  config.api_base = "http://127.0.0.1:9999/";
  config.account_sid = "AC123";
  config.status_callback_url = "https://sms.example.com/sms/twilio/status";
  CHECK(messages_url(config) == "http://127.0.0.1:9999/2010-04-01/Accounts/AC123/Messages.json");

  auto form = parse_form(messages_form(item(), config));
  REQUIRE(form);
  CHECK(*form->find("To") == "+15551234567");
  CHECK(*form->find("From") == "+15550001111");
  CHECK(*form->find("Body") == "Creatine: 3-5 g a day & water");
  CHECK(*form->find("StatusCallback") == "https://sms.example.com/sms/twilio/status");

  config.status_callback_url.clear();
  CHECK(parse_form(messages_form(item(), config))->find("StatusCallback") == nullptr);
}

TEST_CASE("a 201 with a sid is sent", "[gateway][messages_api]") {
  const auto r = interpret_response(
      item(), http(201, R"({"sid":"SMabc","status":"queued","error_code":null})"), kPolicy, 0, 0.5);
  CHECK(r.id == 42);
  CHECK(r.outcome == SendOutcome::sent);
  CHECK(r.provider_sid == "SMabc");
  CHECK(r.provider_status == "queued");

  // Success without a sid cannot be trusted either way: no blind resend.
  CHECK(interpret_response(item(), http(200, "<html>"), kPolicy, 0, 0.5).outcome ==
        SendOutcome::failed);
}

TEST_CASE("5xx, 429 and transport errors are retried with growing waits",
          "[gateway][messages_api]") {
  const std::int64_t now = 1'000'000;
  for (long status : {500L, 502L, 503L, 429L}) {
    const auto r = interpret_response(item(1), http(status, R"({"code":20429,"message":"Too many"})"),
                                      kPolicy, now, 0.0);
    CHECK(r.outcome == SendOutcome::retry);
    CHECK(r.next_attempt_ms == now + 500);  // the lower half of the first ceiling (1 s)
  }
  ApiResponse refused;
  refused.transport_error = true;
  refused.transport_message = "Connection refused";
  const auto r = interpret_response(item(3), refused, kPolicy, now, 0.0);
  CHECK(r.outcome == SendOutcome::retry);
  CHECK(r.next_attempt_ms == now + 2000);  // ceiling 4 s after the third attempt
  CHECK(r.error == "transport: Connection refused");

  // The last attempt gives up.
  const auto last = interpret_response(item(5), refused, kPolicy, now, 0.0);
  CHECK(last.outcome == SendOutcome::failed);
  CHECK(last.error.find("gave up after 5 attempts") != std::string::npos);
}

TEST_CASE("Retry-After is honoured up to the cap", "[gateway][messages_api]") {
  auto busy = http(429, "{}");
  busy.retry_after = std::chrono::seconds(30);
  CHECK(interpret_response(item(), busy, kPolicy, 0, 0.0).next_attempt_ms == 30000);
  busy.retry_after = std::chrono::seconds(86400);
  CHECK(interpret_response(item(), busy, kPolicy, 0, 0.0).next_attempt_ms == 60000);
}

TEST_CASE("21610 means the texter opted out, other 4xx fail without retry",
          "[gateway][messages_api]") {
  const auto opted_out = interpret_response(
      item(),
      http(400, R"({"code":21610,"message":"Attempt to send to unsubscribed recipient",)"
                R"("more_info":"https://www.twilio.com/docs/errors/21610","status":400})"),
      kPolicy, 0, 0.5);
  CHECK(opted_out.outcome == SendOutcome::recipient_opted_out);
  CHECK(opted_out.error == "HTTP 400, code 21610: Attempt to send to unsubscribed recipient");

  for (long status : {400L, 401L, 403L, 404L}) {
    const auto r = interpret_response(item(), http(status, R"({"code":21211})"), kPolicy, 0, 0.5);
    CHECK(r.outcome == SendOutcome::failed);
  }
  CHECK(interpret_response(item(), http(401, "not json"), kPolicy, 0, 0.5).error == "HTTP 401");
}

TEST_CASE("backoff doubles from the base to the cap, drawn from the upper half",
          "[gateway][messages_api]") {
  const RetryPolicy policy{milliseconds(100), milliseconds(1000), 10};
  CHECK(backoff_delay(1, policy, 0.0) == milliseconds(50));
  CHECK(backoff_delay(1, policy, 0.999) == milliseconds(99));
  CHECK(backoff_delay(2, policy, 0.0) == milliseconds(100));
  CHECK(backoff_delay(4, policy, 0.0) == milliseconds(400));
  CHECK(backoff_delay(5, policy, 0.0) == milliseconds(500));  // 1600 capped to 1000
  CHECK(backoff_delay(60, policy, 0.5) == milliseconds(750));
  for (int attempt = 1; attempt < 12; ++attempt) {
    CHECK(backoff_delay(attempt + 1, policy, 0.0) >= backoff_delay(attempt, policy, 0.0));
  }
}

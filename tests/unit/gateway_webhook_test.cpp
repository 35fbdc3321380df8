#include <catch2/catch.hpp>

#include "gateway/signature.hpp"
#include "gateway/twilio_webhook.hpp"

using namespace smscoach::gateway;

namespace {

constexpr const char* kForm = "application/x-www-form-urlencoded";
const std::string kBody =
    "MessageSid=SM11111111111111111111111111111111&From=%2B15551234567&To=%2B15557654321"
    "&Body=How+much+creatine%3F&NumMedia=0";

HttpRequest post(std::string body, std::string content_type = kForm,
                 std::string target = "/sms/twilio") {
  HttpRequest request;
  request.method = "POST";
  request.target = std::move(target);
  request.headers = {{"Host", "sms.example.com"}, {"Content-Type", std::move(content_type)}};
  request.body = std::move(body);
  return request;
}

// Signs `request` the way Twilio would for `url`.
void sign(HttpRequest& request, const std::string& token, const std::string& url) {
  const auto form = parse_form(request.body);
  REQUIRE(form.has_value());
  request.headers.emplace_back("X-Twilio-Signature", twilio_signature(token, url, *form));
}

int status_of(const WebhookDecode& decoded) {
  REQUIRE_FALSE(decoded.ok());
  return decoded.error().status;
}

const WebhookSecurity kDevMode{"", ""};
const WebhookSecurity kSecured{"https://sms.example.com/", "secret-token"};

}  // namespace

TEST_CASE("decode_twilio_webhook in dev mode yields the InboundSms", "[gateway][webhook]") {
  const auto decoded = decode_twilio_webhook(post(kBody), kDevMode);
  REQUIRE(decoded.ok());
  CHECK(decoded.sms().message_sid == "SM11111111111111111111111111111111");
  CHECK(decoded.sms().from == "+15551234567");
  CHECK(decoded.sms().to == "+15557654321");
  CHECK(decoded.sms().body == "How much creatine?");
  CHECK(decoded.sms().provider_keyword.empty());
}

TEST_CASE("decode_twilio_webhook passes on a keyword Twilio already handled", "[gateway][webhook]") {
  const auto decoded =
      decode_twilio_webhook(post("MessageSid=SM1&From=%2B1555&Body=Stop&OptOutType=STOP"), kDevMode);
  REQUIRE(decoded.ok());
  CHECK(decoded.sms().provider_keyword == "STOP");
}

TEST_CASE("decode_twilio_webhook accepts an empty Body and a missing To", "[gateway][webhook]") {
  const auto decoded = decode_twilio_webhook(post("MessageSid=SM1&From=%2B1555&Body="), kDevMode);
  REQUIRE(decoded.ok());
  CHECK(decoded.sms().body.empty());
  CHECK(decoded.sms().to.empty());
}

TEST_CASE("decode_twilio_webhook wants a form content type", "[gateway][webhook]") {
  CHECK(status_of(decode_twilio_webhook(post(kBody, "application/json"), kDevMode)) == 415);
  CHECK(status_of(decode_twilio_webhook(post(kBody, ""), kDevMode)) == 415);
  CHECK(status_of(decode_twilio_webhook(post(kBody, "application/x-www-form-urlencodedX"),
                                        kDevMode)) == 415);
  HttpRequest no_header = post(kBody);
  no_header.headers.clear();
  CHECK(status_of(decode_twilio_webhook(no_header, kDevMode)) == 415);

  // Parameters and case do not matter.
  CHECK(decode_twilio_webhook(post(kBody, "Application/X-WWW-Form-Urlencoded; charset=UTF-8"),
                              kDevMode)
            .ok());
  CHECK(decode_twilio_webhook(post(kBody, " application/x-www-form-urlencoded ;charset=utf-8"),
                              kDevMode)
            .ok());
}

TEST_CASE("decode_twilio_webhook answers 400 with the reason for a broken form",
          "[gateway][webhook]") {
  const auto decoded = decode_twilio_webhook(post(kBody + "&Bad=%G1"), kDevMode);
  CHECK(status_of(decoded) == 400);
  CHECK_THAT(decoded.error().body, Catch::Contains("invalid percent escape"));
  CHECK(status_of(decode_twilio_webhook(post("Body=%FF&From=x&MessageSid=y"), kDevMode)) == 400);
}

TEST_CASE("decode_twilio_webhook names each missing field", "[gateway][webhook]") {
  for (const std::string field : {"MessageSid", "From", "Body"}) {
    std::string body;
    for (const std::string present : {"MessageSid", "From", "Body"}) {
      if (present != field) body += present + "=x&";
    }
    const auto decoded = decode_twilio_webhook(post(body), kDevMode);
    INFO(field);
    CHECK(status_of(decoded) == 400);
    CHECK_THAT(decoded.error().body, Catch::Contains(field));
  }
}

TEST_CASE("decode_twilio_webhook with a token checks the signature", "[gateway][webhook]") {
  const std::string url = "https://sms.example.com/sms/twilio";

  SECTION("a correct signature passes") {
    HttpRequest request = post(kBody);
    sign(request, kSecured.auth_token, url);
    const auto decoded = decode_twilio_webhook(request, kSecured);
    REQUIRE(decoded.ok());
    CHECK(decoded.sms().body == "How much creatine?");
  }
  SECTION("the query string as received is part of the signed URL") {
    HttpRequest request = post(kBody, kForm, "/sms/twilio?tenant=a%20b");
    sign(request, kSecured.auth_token, url + "?tenant=a%20b");
    CHECK(decode_twilio_webhook(request, kSecured).ok());
  }
  SECTION("a public URL without the trailing slash works the same") {
    HttpRequest request = post(kBody);
    sign(request, kSecured.auth_token, url);
    CHECK(decode_twilio_webhook(request, {"https://sms.example.com", "secret-token"}).ok());
  }
  SECTION("a missing header is forbidden") {
    const auto decoded = decode_twilio_webhook(post(kBody), kSecured);
    CHECK(status_of(decoded) == 403);
    CHECK(decoded.error().body == "invalid signature");
  }
  SECTION("a forged body is forbidden") {
    HttpRequest request = post(kBody);
    sign(request, kSecured.auth_token, url);
    request.body += "&Extra=1";
    CHECK(status_of(decode_twilio_webhook(request, kSecured)) == 403);
  }
  SECTION("a signature made with another token is forbidden") {
    HttpRequest request = post(kBody);
    sign(request, "other-token", url);
    CHECK(status_of(decode_twilio_webhook(request, kSecured)) == 403);
  }
  SECTION("a signature for another URL is forbidden") {
    HttpRequest request = post(kBody);
    sign(request, kSecured.auth_token, "https://evil.example.com/sms/twilio");
    CHECK(status_of(decode_twilio_webhook(request, kSecured)) == 403);
  }
  SECTION("an unsigned request learns nothing about missing fields") {
    CHECK(status_of(decode_twilio_webhook(post("Body=hi"), kSecured)) == 403);
  }
}

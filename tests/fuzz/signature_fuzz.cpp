// The webhook's signature check on attacker-chosen URL, parameters and
// header. The input is four lines: auth token, request target, the
// X-Twilio-Signature value, then the form body (the rest, newlines and all).
//
// Checks: nothing unsigned is ever valid (empty token or header); the
// signature twilio_signature computes always validates, on its own and
// through decode_twilio_webhook (which must then not answer 403); the URL as
// received is always among the candidates, without repeats.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "gateway/form.hpp"
#include "gateway/signature.hpp"
#include "gateway/signature_urls.hpp"
#include "gateway/twilio_webhook.hpp"

namespace {

// The next line of `rest` (without its '\n'); the whole rest when none is left.
std::string_view take_line(std::string_view& rest) {
  const std::size_t newline = rest.find('\n');
  const std::string_view line = rest.substr(0, newline);
  rest.remove_prefix(newline == std::string_view::npos ? rest.size() : newline + 1);
  return line;
}

constexpr std::string_view kPublicUrl = "https://sms.example.com";

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace gw = smscoach::gateway;
  std::string_view rest(reinterpret_cast<const char*>(data), size);
  const std::string_view token = take_line(rest);
  const std::string_view target = take_line(rest);
  const std::string_view header = take_line(rest);
  const std::string_view body = rest;

  // The URL spellings, for any bytes at all.
  const std::string url = std::string(kPublicUrl) + std::string(target);
  for (const std::string_view u : {std::string_view(url), target}) {
    const auto candidates = gw::twilio_signature_url_candidates(u);
    FUZZ_CHECK(std::find(candidates.begin(), candidates.end(), u) != candidates.end());
    for (std::size_t i = 0; i < candidates.size(); ++i) {
      for (std::size_t j = i + 1; j < candidates.size(); ++j) {
        FUZZ_CHECK(candidates[i] != candidates[j]);
      }
    }
    gw::url_with_default_port(u);
    gw::url_without_port(u);
  }

  const auto form = gw::parse_form(body);
  const gw::FormFields params = form ? *form : gw::FormFields{};

  gw::validate_twilio_signature(token, header, target, params);
  gw::validate_twilio_signature(token, header, url, params);
  FUZZ_CHECK(!gw::validate_twilio_signature("", header, url, params));
  FUZZ_CHECK(!gw::validate_twilio_signature(token, "", url, params));

  if (!token.empty()) {
    const std::string signature = gw::twilio_signature(token, url, params);
    FUZZ_CHECK(signature.size() == 28 && signature.back() == '=');  // base64 of 20 bytes
    FUZZ_CHECK(gw::validate_twilio_signature(token, signature, url, params));
  }

  // The same through the webhook decoder, as the router calls it.
  gw::HttpRequest request;
  request.method = "POST";
  request.target = std::string(target);
  request.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
  request.headers.emplace_back("X-Twilio-Signature", std::string(header));
  request.body = std::string(body);
  const gw::WebhookSecurity security{std::string(kPublicUrl), std::string(token)};
  const auto decoded = gw::decode_twilio_webhook(request, security);
  if (!decoded.ok()) {
    const int status = decoded.error().status;
    FUZZ_CHECK(status == 400 || (status == 403 && !token.empty()));
  }
  FUZZ_CHECK(form || (!decoded.ok() && decoded.error().status == 400));
  if (form && !token.empty()) {
    request.headers.back().second = gw::twilio_signature(token, url, params);
    const auto signed_decode = gw::decode_twilio_webhook(request, security);
    FUZZ_CHECK(signed_decode.ok() || signed_decode.error().status == 400);
  }
  gw::decode_status_callback(request, security);
  return 0;
}

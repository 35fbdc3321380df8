#include "gateway/twilio_webhook.hpp"

#include <array>
#include <string_view>

#include "gateway/ascii.hpp"
#include "gateway/form.hpp"
#include "gateway/signature.hpp"

namespace smscoach::gateway {

namespace {

std::string_view trim_ows(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

bool is_form_content_type(std::string_view content_type) {
  const std::string_view media_type = trim_ows(content_type.substr(0, content_type.find(';')));
  return ascii::iequals(media_type, "application/x-www-form-urlencoded");
}

std::string signed_url(const WebhookSecurity& security, std::string_view target) {
  std::string_view base = security.public_url;
  if (!base.empty() && base.back() == '/') base.remove_suffix(1);
  std::string url(base);
  url += target;
  return url;
}

}  // namespace

WebhookDecode decode_twilio_webhook(const HttpRequest& request, const WebhookSecurity& security) {
  if (!is_form_content_type(request.header("Content-Type"))) {
    return {error_response(415, "expected Content-Type application/x-www-form-urlencoded")};
  }
  auto form = parse_form(request.body);
  if (!form) return {error_response(400, "malformed form body: " + form.error().message)};

  if (!security.auth_token.empty() &&
      !validate_twilio_signature(security.auth_token, request.header("X-Twilio-Signature"),
                                 signed_url(security, request.target), *form)) {
    return {error_response(403, "invalid signature")};
  }

  static constexpr std::array<std::string_view, 3> kRequired = {"MessageSid", "From", "Body"};
  for (const std::string_view field : kRequired) {
    if (form->find(field) == nullptr) {
      return {error_response(400, "missing form field " + std::string(field))};
    }
  }
  const std::string* to = form->find("To");
  const std::string* opt_out_type = form->find("OptOutType");
  return {InboundSms{*form->find("MessageSid"), *form->find("From"), to ? *to : std::string{},
                     *form->find("Body"), opt_out_type ? *opt_out_type : std::string{}}};
}

}  // namespace smscoach::gateway

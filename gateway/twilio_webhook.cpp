#include "gateway/twilio_webhook.hpp"

#include <array>
#include <optional>
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

// Content type, form syntax and signature: what every Twilio callback shares.
std::variant<FormFields, HttpResponse> decode_signed_form(const HttpRequest& request,
                                                         const WebhookSecurity& security) {
  if (!is_form_content_type(request.header("Content-Type"))) {
    return error_response(415, "expected Content-Type application/x-www-form-urlencoded");
  }
  auto form = parse_form(request.body);
  if (!form) return error_response(400, "malformed form body: " + form.error().message);

  if (!security.auth_token.empty() &&
      !validate_twilio_signature(security.auth_token, request.header("X-Twilio-Signature"),
                                 signed_url(security, request.target), *form)) {
    return error_response(403, "invalid signature");
  }
  return std::move(*form);
}

// The first required field the form lacks, as a 400.
template <std::size_t N>
std::optional<HttpResponse> missing_field(const FormFields& form,
                                          const std::array<std::string_view, N>& required) {
  for (const std::string_view field : required) {
    if (form.find(field) == nullptr) {
      return error_response(400, "missing form field " + std::string(field));
    }
  }
  return std::nullopt;
}

std::string field_or_empty(const FormFields& form, std::string_view key) {
  const std::string* value = form.find(key);
  return value ? *value : std::string{};
}

}  // namespace

WebhookDecode decode_twilio_webhook(const HttpRequest& request, const WebhookSecurity& security) {
  auto decoded = decode_signed_form(request, security);
  if (auto* error = std::get_if<HttpResponse>(&decoded)) return {std::move(*error)};
  const auto& form = std::get<FormFields>(decoded);
  static constexpr std::array<std::string_view, 3> kRequired = {"MessageSid", "From", "Body"};
  if (auto error = missing_field(form, kRequired)) return {std::move(*error)};
  return {InboundSms{*form.find("MessageSid"), *form.find("From"), field_or_empty(form, "To"),
                     *form.find("Body"), field_or_empty(form, "OptOutType")}};
}

StatusCallbackDecode decode_status_callback(const HttpRequest& request,
                                            const WebhookSecurity& security) {
  auto decoded = decode_signed_form(request, security);
  if (auto* error = std::get_if<HttpResponse>(&decoded)) return {std::move(*error)};
  const auto& form = std::get<FormFields>(decoded);
  static constexpr std::array<std::string_view, 2> kRequired = {"MessageSid", "MessageStatus"};
  if (auto error = missing_field(form, kRequired)) return {std::move(*error)};
  return {DeliveryStatus{*form.find("MessageSid"), *form.find("MessageStatus"),
                         field_or_empty(form, "ErrorCode")}};
}

}  // namespace smscoach::gateway

#pragma once
// Twilio's inbound messaging webhook, from HTTP request to InboundSms, with
// no I/O: everything a forged or malformed request can cause ends here as a
// 4xx response.

#include <string>
#include <variant>

#include "common/inbound_sms.hpp"
#include "gateway/form.hpp"
#include "gateway/http_types.hpp"

namespace smscoach::gateway {

struct WebhookSecurity {
  // The base URL Twilio posts to, e.g. "https://sms.example.com"; a trailing
  // '/' is ignored. The request target as received is appended to it.
  std::string public_url;
  // Empty: dev mode, signatures are not checked.
  std::string auth_token;
};

struct WebhookDecode {
  std::variant<InboundSms, HttpResponse> result;

  bool ok() const { return std::holds_alternative<InboundSms>(result); }
  const InboundSms& sms() const { return std::get<InboundSms>(result); }
  const HttpResponse& error() const { return std::get<HttpResponse>(result); }
};

// Checks, in this order:
//   415 unless Content-Type is application/x-www-form-urlencoded (parameters
//       such as charset allowed, case-insensitive);
//   400 with the reason when the form does not parse (see parse_form);
//   403 "invalid signature" when a token is set and X-Twilio-Signature is
//       missing or does not sign public_url + target and every parameter;
//   400 naming the field when From, Body or MessageSid is absent (an empty
//       Body is a valid text). To is optional.
// Authentication comes before the field checks so that an unsigned caller
// learns nothing about what a valid request looks like.
WebhookDecode decode_twilio_webhook(const HttpRequest& request, const WebhookSecurity& security);

// A status callback for a message we sent through the REST API.
struct DeliveryStatus {
  std::string message_sid;
  std::string status;      // MessageStatus: queued, sent, delivered, undelivered, failed, ...
  std::string error_code;  // ErrorCode, empty when absent
};

struct StatusCallbackDecode {
  std::variant<DeliveryStatus, HttpResponse> result;

  bool ok() const { return std::holds_alternative<DeliveryStatus>(result); }
  const DeliveryStatus& status() const { return std::get<DeliveryStatus>(result); }
  const HttpResponse& error() const { return std::get<HttpResponse>(result); }
};

// The same checks as the webhook (a callback is signed the same way), then
// 400 naming the field when MessageSid or MessageStatus is absent.
StatusCallbackDecode decode_status_callback(const HttpRequest& request,
                                            const WebhookSecurity& security);

}  // namespace smscoach::gateway

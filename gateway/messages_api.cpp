#include "gateway/messages_api.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "gateway/percent_encoding.hpp"

namespace smscoach::gateway {

namespace {

constexpr int kUnsubscribedRecipient = 21610;

void append_field(std::string& form, std::string_view name, std::string_view value) {
  if (!form.empty()) form += '&';
  form += name;
  form += '=';
  form += querystring_escape(value);
}

// "code 21610: Attempt to send to unsubscribed recipient", or what we have.
std::string describe_error(long status, const nlohmann::json& body, int code) {
  std::string out = "HTTP " + std::to_string(status);
  if (code != 0) out += ", code " + std::to_string(code);
  if (body.is_object() && body.contains("message") && body["message"].is_string()) {
    out += ": " + body["message"].get<std::string>();
  }
  return out;
}

int error_code_of(const nlohmann::json& body) {
  if (!body.is_object() || !body.contains("code")) return 0;
  const auto& code = body["code"];
  if (code.is_number_integer()) return code.get<int>();
  return 0;
}

}  // namespace

std::string messages_url(const MessagesApiConfig& config) {
  std::string_view base = config.api_base;
  while (!base.empty() && base.back() == '/') base.remove_suffix(1);
  return std::string(base) + "/2010-04-01/Accounts/" + querystring_escape(config.account_sid) +
         "/Messages.json";
}

std::string messages_form(const OutboxItem& item, const MessagesApiConfig& config) {
  std::string form;
  append_field(form, "To", item.to);
  append_field(form, "From", item.from);
  append_field(form, "Body", item.body);
  if (!config.status_callback_url.empty()) {
    append_field(form, "StatusCallback", config.status_callback_url);
  }
  return form;
}

std::chrono::milliseconds backoff_delay(int attempt, const RetryPolicy& policy, double random01) {
  const auto base = std::max<std::int64_t>(1, policy.backoff_base.count());
  const auto cap = std::max<std::int64_t>(base, policy.backoff_cap.count());
  const int doublings = std::clamp(attempt - 1, 0, 40);
  // Stop doubling once past the cap, so the shift cannot overflow.
  std::int64_t ceiling = base;
  for (int i = 0; i < doublings && ceiling < cap; ++i) ceiling *= 2;
  ceiling = std::min(ceiling, cap);
  const double r = std::clamp(random01, 0.0, 1.0);
  return std::chrono::milliseconds(ceiling / 2 +
                                   static_cast<std::int64_t>(r * static_cast<double>(ceiling / 2)));
}

SendReport interpret_response(const OutboxItem& item, const ApiResponse& response,
                              const RetryPolicy& policy, std::int64_t now_ms, double random01) {
  SendReport report;
  report.id = item.id;
  report.attempt = item.attempt;

  const auto body = nlohmann::json::parse(response.body, nullptr, false);
  const int code = error_code_of(body);
  const bool transient = response.transport_error || response.http_status == 429 ||
                         (response.http_status >= 500 && response.http_status <= 599);

  if (!transient && response.http_status >= 200 && response.http_status <= 299) {
    if (body.is_object() && body.contains("sid") && body["sid"].is_string() &&
        !body["sid"].get<std::string>().empty()) {
      report.outcome = SendOutcome::sent;
      report.provider_sid = body["sid"].get<std::string>();
      if (body.contains("status") && body["status"].is_string()) {
        report.provider_status = body["status"].get<std::string>();
      }
      return report;
    }
    // Accepted or not? Unknowable; sending again could text the person
    // twice, so staff decide.
    report.outcome = SendOutcome::failed;
    report.error = "HTTP " + std::to_string(response.http_status) + " without a message sid";
    return report;
  }

  if (transient) {
    report.error = response.transport_error ? "transport: " + response.transport_message
                                            : describe_error(response.http_status, body, code);
    if (item.attempt >= policy.max_attempts) {
      report.outcome = SendOutcome::failed;
      report.error += " (gave up after " + std::to_string(item.attempt) + " attempts)";
      return report;
    }
    auto delay = backoff_delay(item.attempt, policy, random01);
    if (response.retry_after) {
      // Honoured, but within our cap: a bogus hour-long value must not park a reply.
      delay = std::max<std::chrono::milliseconds>(
          delay, std::min<std::chrono::milliseconds>(*response.retry_after, policy.backoff_cap));
    }
    report.outcome = SendOutcome::retry;
    report.next_attempt_ms = now_ms + delay.count();
    return report;
  }

  report.outcome =
      code == kUnsubscribedRecipient ? SendOutcome::recipient_opted_out : SendOutcome::failed;
  report.error = describe_error(response.http_status, body, code);
  return report;
}

}  // namespace smscoach::gateway

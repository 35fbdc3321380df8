#pragma once
// Twilio's Messages REST API as pure functions: the request for one outbox
// item, and what a response (or a transport failure) means for it. The
// sender (rest_sender) does the I/O; everything decided here is testable
// without sockets.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/outbox.hpp"

namespace smscoach::gateway {

struct MessagesApiConfig {
  std::string api_base = "https://api.twilio.com";  // no trailing '/' needed
  std::string account_sid;
  std::string auth_token;
  std::string status_callback_url;  // empty: no StatusCallback parameter
};

struct RetryPolicy {
  std::chrono::milliseconds backoff_base{1000};
  std::chrono::milliseconds backoff_cap{std::chrono::minutes(5)};
  int max_attempts = 10;  // the last attempt's transient failure fails for good
};

// POST target: {api_base}/2010-04-01/Accounts/{AccountSid}/Messages.json
std::string messages_url(const MessagesApiConfig& config);

// The form body: To, From, Body and, when configured, StatusCallback.
std::string messages_form(const OutboxItem& item, const MessagesApiConfig& config);

// What came back from one attempt.
struct ApiResponse {
  bool transport_error = false;  // no HTTP response: refused, reset, timed out
  std::string transport_message;
  long http_status = 0;
  std::string body;
  std::optional<std::chrono::seconds> retry_after;  // a Retry-After header in seconds
};

// How long to wait before attempt `attempt + 1` after attempt `attempt`
// failed: the ceiling doubles each attempt (base, 2 base, 4 base, ... up to
// the cap) and the wait is drawn from its upper half, so waits grow (unlike
// full jitter, which may retry at once) while instances that failed together
// spread out. `random01` is in [0, 1).
std::chrono::milliseconds backoff_delay(int attempt, const RetryPolicy& policy, double random01);

// The outcome of an attempt:
//   2xx with a "sid"                      -> sent
//   transport error, 429, 5xx             -> retry after backoff_delay (or Retry-After,
//                                            when longer), failed once attempts run out
//   4xx with Twilio code 21610            -> recipient_opted_out
//   any other status (4xx, 2xx w/o sid)   -> failed: retrying cannot help
// Errors carry the provider's code and message for staff.
SendReport interpret_response(const OutboxItem& item, const ApiResponse& response,
                              const RetryPolicy& policy, std::int64_t now_ms, double random01);

}  // namespace smscoach::gateway

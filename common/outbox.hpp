#pragma once
// The persistent outbox as its sender sees it: texts waiting to go out
// through the provider's REST API. The store implements it and the gateway's
// sender drives it, so neither knows the other. Failures come back as
// Errors, never as exceptions.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/expected.hpp"

namespace smscoach {

struct OutboxItem {
  std::int64_t id = 0;
  std::string to;    // the texter
  std::string from;  // the number the texter wrote to
  std::string body;
  int attempt = 1;  // this attempt, counting from 1
};

enum class SendOutcome {
  sent,                 // the provider accepted it
  retry,                // transient (5xx, 429, timeout): try again at next_attempt_ms
  failed,               // permanent: never retried
  recipient_opted_out,  // the provider says the texter opted out (Twilio 21610): failed,
                        // and the texter is marked opted out
};

struct SendReport {
  std::int64_t id = 0;
  // The claim this reports on (OutboxItem::attempt): a sender whose lease
  // ran out and whose item was claimed again cannot overwrite the new claim.
  int attempt = 1;
  SendOutcome outcome = SendOutcome::failed;
  std::string provider_sid;     // sent
  std::string provider_status;  // sent: the provider's first status, e.g. "queued"
  std::string error;            // retry and the failures: why, for staff
  std::int64_t next_attempt_ms = 0;  // retry
};

class Outbox {
 public:
  virtual ~Outbox() = default;

  // Claims up to `limit` items due at now_ms, each for lease_ms: a claimed
  // item is nobody else's until it is completed or its lease runs out (a
  // sender that died). Items of one texter go one at a time, oldest first,
  // so multi-part replies arrive in order. Items for a texter who opted out
  // are cancelled here instead, except an opt-out's own confirmation.
  virtual Expected<std::vector<OutboxItem>> claim_outbox(std::int64_t now_ms,
                                                         std::int64_t lease_ms, int limit) = 0;

  // Records how an attempt on a claimed item ended. conflict when the item
  // is no longer claimed by that attempt (erased, or claimed again after
  // its lease ran out).
  virtual Status complete_outbox(const SendReport& report, std::int64_t now_ms) = 0;

  // When the earliest waiting item falls due; nullopt when none waits.
  virtual Expected<std::optional<std::int64_t>> next_outbox_due() = 0;

  // Ends every lease at once. Only for a store one process owns (SQLite), at
  // start-up: whatever was being sent when the last process died is pending
  // again. A shared store lets leases expire instead.
  virtual Status release_outbox_leases() = 0;

  // A provider status callback for a sent item. Statuses only move forward
  // (callbacks can arrive late or twice); ErrorCode::not_found for a
  // provider sid that is not ours.
  virtual Status record_delivery(std::string_view provider_sid, std::string_view status,
                                 std::string_view error_code, std::int64_t now_ms) = 0;
};

// How far a provider message status has got, so a late callback cannot move
// a message back: queued/accepted < sending < sent < delivered/undelivered/
// failed < read. Unknown statuses rank 0.
inline int delivery_status_rank(std::string_view status) {
  if (status == "read") return 5;
  if (status == "delivered" || status == "undelivered" || status == "failed" ||
      status == "canceled") {
    return 4;
  }
  if (status == "sent" || status == "partially_delivered") return 3;
  if (status == "sending") return 2;
  if (status == "queued" || status == "accepted" || status == "scheduled") return 1;
  return 0;
}

}  // namespace smscoach

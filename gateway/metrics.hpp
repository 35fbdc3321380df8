#pragma once
// Process metrics for `GET /metrics`, rendered in the Prometheus text
// exposition format 0.0.4. Counting is cheap and thread-safe (relaxed atomics;
// one mutex for the intent table) so the webhook path and the outbox sender can
// count from any thread; the store is read only at scrape time, by the caller.

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "common/duration_histogram.hpp"
#include "common/group_commit_figures.hpp"

namespace smscoach::gateway {

// Values read from the store at scrape time; nullopt when the store did not
// answer (the sample is omitted then, rather than reported as a false 0).
struct StoreGauges {
  std::optional<std::int64_t> handoffs_open;  // conversations waiting for a human or flagged
  std::optional<std::int64_t> outbox_depth;   // replies queued or being sent
  std::optional<std::int64_t> outbox_failed;  // replies that failed for good, all time
  std::optional<GroupCommitFigures> group_commit;  // stores that commit in batches (SQLite)
};

class Metrics {
 public:
  static constexpr std::string_view kContentType = "text/plain; version=0.0.4; charset=utf-8";

  // Distinct intent label values kept; later new ones are counted under
  // intent="other", so a caller passing garbage cannot grow the series count.
  static constexpr std::size_t kMaxIntents = 64;
  // Longer intent values are counted as "other" (never truncated: two
  // truncations could collide into one duplicate series, which fails a scrape).
  static constexpr std::size_t kMaxIntentBytes = 128;
  static constexpr std::string_view kOtherIntent = "other";
  // The label value for an empty intent: intent="" would read as no label.
  static constexpr std::string_view kNoIntent = "none";

  // Upper bounds (le) of the webhook latency histogram, in nanoseconds so an
  // observation is bucketed by exact integer comparison.
  static constexpr std::array<std::int64_t, 12> kWebhookBucketsNs = {
      500'000,    1'000'000,   2'500'000,   5'000'000,   10'000'000,    25'000'000,
      50'000'000, 100'000'000, 250'000'000, 500'000'000, 1'000'000'000, 2'500'000'000};

  // Records the creation time as smscoach_process_start_time_seconds.
  Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // smscoach_texts_received_total{intent="..."}. Bytes that are not UTF-8
  // become U+FFFD, as the format requires UTF-8 label values.
  void count_text(std::string_view intent);
  void count_duplicate();             // smscoach_texts_duplicate_total
  void count_rate_limited();          // smscoach_texts_rate_limited_total
  void count_replies(std::size_t n);  // smscoach_replies_total
  void count_opt_out();               // smscoach_opt_outs_total
  void count_opt_in();                // smscoach_opt_ins_total
  void count_outbox_sent();           // smscoach_outbox_sent_total
  void count_outbox_retry();          // smscoach_outbox_retries_total
  void count_outbox_failure();        // smscoach_outbox_failures_total (this process)
  void count_status_callback();       // smscoach_status_callbacks_total

  // Histogram smscoach_webhook_duration_seconds and counter
  // smscoach_webhook_requests_total{code="200"}. A negative duration counts as
  // 0; a status outside 100..599 is counted under code="other".
  void observe_webhook(std::chrono::nanoseconds elapsed, int http_status);

  // Every family with # HELP and # TYPE, in a fixed order; unlabelled counters
  // render from start-up (0), labelled ones only once they have a series.
  std::string render(const StoreGauges& gauges) const;

 private:
  using Counter = std::atomic<std::uint64_t>;
  static constexpr int kMinStatus = 100;
  static constexpr int kMaxStatus = 599;
  static constexpr std::size_t kStatusSlots = kMaxStatus - kMinStatus + 1;

  Counter duplicates_{0};
  Counter rate_limited_{0};
  Counter replies_{0};
  Counter opt_outs_{0};
  Counter opt_ins_{0};
  Counter outbox_sent_{0};
  Counter outbox_retries_{0};
  Counter outbox_failures_{0};
  Counter status_callbacks_{0};

  mutable std::mutex intents_mutex_;
  std::map<std::string, std::uint64_t, std::less<>> intents_;  // guarded; sorted for output
  std::size_t distinct_intents_ = 0;  // guarded; entries other than "other"

  // Per-status counts, index status - kMinStatus; the last slot is "other".
  std::array<Counter, kStatusSlots + 1> webhook_codes_{};
  DurationHistogram<kWebhookBucketsNs.size()> webhook_durations_{kWebhookBucketsNs};

  std::uint64_t start_time_ns_;  // unix time in ns, set once in the constructor
};

}  // namespace smscoach::gateway

#include "gateway/metrics.hpp"

#include <algorithm>
#include <charconv>
#include <utility>
#include <vector>

#include "gateway/utf8.hpp"

namespace smscoach::gateway {

namespace {

// Counters only ever count; nothing else is published through them, so the
// cheapest ordering is enough.
constexpr auto kRelaxed = std::memory_order_relaxed;

constexpr std::string_view kReplacementCharacter = "\xEF\xBF\xBD";

void append_u64(std::string& out, std::uint64_t value) {
  char buf[24];
  const auto res = std::to_chars(buf, buf + sizeof buf, value);
  out.append(buf, res.ptr);
}

void append_i64(std::string& out, std::int64_t value) {
  char buf[24];
  const auto res = std::to_chars(buf, buf + sizeof buf, value);
  out.append(buf, res.ptr);
}

// Exact decimal seconds from integer nanoseconds ("0.0005", "1", "2.5"): no
// binary floating point, so bucket bounds and sums print exactly what was
// counted, and `le` values match what the Go client would write.
void append_seconds(std::string& out, std::uint64_t nanos) {
  append_u64(out, nanos / 1'000'000'000);
  std::uint64_t fraction = nanos % 1'000'000'000;
  if (fraction == 0) return;
  char digits[9];
  for (int i = 8; i >= 0; --i) {
    digits[i] = static_cast<char>('0' + fraction % 10);
    fraction /= 10;
  }
  std::size_t length = 9;
  while (digits[length - 1] == '0') --length;
  out += '.';
  out.append(digits, length);
}

// The format's escapes for label values: backslash, double quote, newline.
void append_label_value(std::string& out, std::string_view value) {
  for (const char c : value) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        out += c;
    }
  }
}

void append_header(std::string& out, std::string_view name, std::string_view type,
                   std::string_view help) {
  out += "# HELP ";
  out += name;
  out += ' ';
  out += help;
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += type;
  out += '\n';
}

// `name{label="value"} ` or `name `, ready for the value.
void append_series(std::string& out, std::string_view name, std::string_view label = {},
                   std::string_view value = {}) {
  out += name;
  if (!label.empty()) {
    out += '{';
    out += label;
    out += "=\"";
    append_label_value(out, value);
    out += "\"}";
  }
  out += ' ';
}

void append_counter(std::string& out, std::string_view name, std::string_view help,
                    std::uint64_t value) {
  append_header(out, name, "counter", help);
  append_series(out, name);
  append_u64(out, value);
  out += '\n';
}

void append_counter(std::string& out, std::string_view name, std::string_view help,
                    const std::atomic<std::uint64_t>& counter) {
  append_counter(out, name, help, counter.load(kRelaxed));
}

void append_gauge(std::string& out, std::string_view name, std::string_view help,
                  std::optional<std::int64_t> value) {
  append_header(out, name, "gauge", help);
  if (!value) return;
  append_series(out, name);
  append_i64(out, *value);
  out += '\n';
}

// The label value an intent is counted under. Repairing bad UTF-8 here, not
// at render time, keeps one key per rendered label: two raw strings that
// rendered alike would be a duplicate series, and Prometheus rejects the scrape.
std::string intent_label(std::string_view intent) {
  if (intent.empty()) return std::string(Metrics::kNoIntent);
  std::string label;
  if (utf8::is_valid(intent)) {
    label = intent;
  } else {
    for (std::size_t pos = 0; pos < intent.size();) {
      const utf8::Decoded d = utf8::decode(intent, pos);
      if (d.length == 0) {
        label += kReplacementCharacter;
        ++pos;
      } else {
        label += intent.substr(pos, d.length);
        pos += d.length;
      }
    }
  }
  if (label.size() > Metrics::kMaxIntentBytes) return std::string(Metrics::kOtherIntent);
  return label;
}

std::uint64_t unix_time_ns() {
  const auto since_epoch = std::chrono::system_clock::now().time_since_epoch();
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(since_epoch).count());
}

// A histogram family: cumulative buckets, then _sum and _count. _count is
// the sum of the buckets copied, so +Inf always equals _count in one
// scrape even while observations land; _sum may run one ahead.
void append_histogram(std::string& out, std::string_view name, std::string_view help,
                      const HistogramSnapshot& histogram) {
  append_header(out, name, "histogram", help);
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < histogram.counts.size(); ++i) {
    cumulative += histogram.counts[i];
    out += name;
    out += "_bucket{le=\"";
    if (i < histogram.bounds_ns.size()) {
      append_seconds(out, static_cast<std::uint64_t>(histogram.bounds_ns[i]));
    } else {
      out += "+Inf";
    }
    out += "\"} ";
    append_u64(out, cumulative);
    out += '\n';
  }
  out += name;
  out += "_sum ";
  append_seconds(out, histogram.sum_ns);
  out += '\n';
  out += name;
  out += "_count ";
  append_u64(out, cumulative);
  out += '\n';
}

}  // namespace

Metrics::Metrics() : start_time_ns_(unix_time_ns()) {}

void Metrics::count_text(std::string_view intent) {
  std::string key = intent_label(intent);
  const std::lock_guard lock(intents_mutex_);
  auto it = intents_.find(key);
  if (it == intents_.end()) {
    // "other" is the overflow series, so it never takes one of the 64 slots.
    const bool is_other = key == kOtherIntent;
    if (is_other || distinct_intents_ < kMaxIntents) {
      it = intents_.emplace(std::move(key), 0).first;
      if (!is_other) ++distinct_intents_;
    } else {
      it = intents_.try_emplace(std::string(kOtherIntent), 0).first;
    }
  }
  ++it->second;
}

void Metrics::count_duplicate() { duplicates_.fetch_add(1, kRelaxed); }
void Metrics::count_rate_limited() { rate_limited_.fetch_add(1, kRelaxed); }
void Metrics::count_replies(std::size_t n) { replies_.fetch_add(n, kRelaxed); }
void Metrics::count_opt_out() { opt_outs_.fetch_add(1, kRelaxed); }
void Metrics::count_opt_in() { opt_ins_.fetch_add(1, kRelaxed); }
void Metrics::count_outbox_sent() { outbox_sent_.fetch_add(1, kRelaxed); }
void Metrics::count_outbox_retry() { outbox_retries_.fetch_add(1, kRelaxed); }
void Metrics::count_outbox_failure() { outbox_failures_.fetch_add(1, kRelaxed); }
void Metrics::count_status_callback() { status_callbacks_.fetch_add(1, kRelaxed); }

void Metrics::observe_webhook(std::chrono::nanoseconds elapsed, int http_status) {
  webhook_durations_.observe(elapsed.count());

  const bool known = http_status >= kMinStatus && http_status <= kMaxStatus;
  const std::size_t slot =
      known ? static_cast<std::size_t>(http_status - kMinStatus) : kStatusSlots;
  webhook_codes_[slot].fetch_add(1, kRelaxed);
}

std::string Metrics::render(const StoreGauges& gauges) const {
  std::string out;
  out.reserve(4096);

  // Copy under the lock and format outside it, so a scrape never holds up texts.
  std::vector<std::pair<std::string, std::uint64_t>> intents;
  {
    const std::lock_guard lock(intents_mutex_);
    intents.assign(intents_.begin(), intents_.end());
  }
  constexpr std::string_view kTexts = "smscoach_texts_received_total";
  append_header(out, kTexts, "counter", "Inbound texts handled, by classified intent.");
  for (const auto& [intent, count] : intents) {
    append_series(out, kTexts, "intent", intent);
    append_u64(out, count);
    out += '\n';
  }

  append_counter(out, "smscoach_texts_duplicate_total",
                 "Inbound texts ignored as redeliveries of a text already handled.", duplicates_);
  append_counter(out, "smscoach_texts_rate_limited_total",
                 "Inbound texts stored but not answered because the texter exceeded the rate "
                 "limit.",
                 rate_limited_);
  append_counter(out, "smscoach_replies_total", "Reply messages produced for texters.", replies_);
  append_counter(out, "smscoach_opt_outs_total", "Texters who opted out.", opt_outs_);
  append_counter(out, "smscoach_opt_ins_total", "Texters who opted back in.", opt_ins_);
  append_counter(out, "smscoach_outbox_sent_total", "Outbox replies accepted by the SMS provider.",
                 outbox_sent_);
  append_counter(out, "smscoach_outbox_retries_total",
                 "Outbox send attempts that failed and were scheduled again.", outbox_retries_);
  append_counter(out, "smscoach_outbox_failures_total",
                 "Outbox replies given up on by this process.", outbox_failures_);
  append_counter(out, "smscoach_status_callbacks_total",
                 "Delivery status callbacks received from the SMS provider.", status_callbacks_);

  constexpr std::string_view kRequests = "smscoach_webhook_requests_total";
  append_header(out, kRequests, "counter", "SMS webhook requests answered, by HTTP status code.");
  for (std::size_t slot = 0; slot < webhook_codes_.size(); ++slot) {
    const std::uint64_t count = webhook_codes_[slot].load(kRelaxed);
    if (count == 0) continue;
    std::string code;
    if (slot == kStatusSlots) {
      code = "other";
    } else {
      append_i64(code, static_cast<std::int64_t>(slot) + kMinStatus);
    }
    append_series(out, kRequests, "code", code);
    append_u64(out, count);
    out += '\n';
  }

  append_histogram(out, "smscoach_webhook_duration_seconds",
                   "Time to answer an SMS webhook request.", webhook_durations_.snapshot());

  append_gauge(out, "smscoach_handoffs_open",
               "Conversations waiting for a human coach or flagged for review.",
               gauges.handoffs_open);
  append_gauge(out, "smscoach_outbox_depth", "Outbox replies queued or being sent.",
               gauges.outbox_depth);
  append_gauge(out, "smscoach_outbox_failed", "Outbox replies that failed for good, all time.",
               gauges.outbox_failed);
  if (gauges.group_commit) {
    const auto& figures = *gauges.group_commit;
    append_histogram(out, "smscoach_store_commit_duration_seconds",
                     "Time to commit one batch of turns to SQLite (its WAL written, not yet "
                     "flushed), the writer's part of a checkpoint included.",
                     figures.commits);
    append_histogram(out, "smscoach_store_flush_duration_seconds",
                     "Time to flush the SQLite WAL to disk (fdatasync), for one or more batches.",
                     figures.flushes);
    append_counter(out, "smscoach_store_committed_turns_total",
                   "Turns committed in batches; per commit, the texts that share one.",
                   figures.committed_turns);
    append_counter(out, "smscoach_store_checkpoints_total",
                   "SQLite checkpoints that copied the whole WAL into the database file, "
                   "letting the WAL start over.",
                   figures.checkpoints);
    append_counter(out, "smscoach_store_checkpoint_frames_total",
                   "WAL frames (pages) those checkpoints copied.", figures.checkpoint_frames);
    append_counter(out, "smscoach_store_checkpoint_writer_frames_total",
                   "Of those, the frames the writer copied itself between two batches (the rest "
                   "the checkpoint thread copied beside it).",
                   figures.checkpoint_writer_frames);
  }

  append_header(out, "smscoach_process_start_time_seconds", "gauge",
                "Start time of the process since unix epoch in seconds.");
  out += "smscoach_process_start_time_seconds ";
  append_seconds(out, start_time_ns_);
  out += '\n';
  return out;
}

}  // namespace smscoach::gateway

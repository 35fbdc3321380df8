#pragma once
// A histogram of durations that any thread records into without a lock, and
// the copy of it that /metrics renders as a Prometheus histogram. Bounds are
// integer nanoseconds, so an observation is bucketed by exact comparison.

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdint>
#include <vector>

namespace smscoach {

struct HistogramSnapshot {
  std::vector<std::int64_t> bounds_ns;  // each bucket's upper bound (le), ascending
  std::vector<std::uint64_t> counts;    // per bucket, not cumulative; one more: over the last bound
  std::uint64_t sum_ns = 0;
};

template <std::size_t N>
class DurationHistogram {
 public:
  explicit constexpr DurationHistogram(const std::array<std::int64_t, N>& bounds_ns)
      : bounds_ns_(bounds_ns) {}
  DurationHistogram(const DurationHistogram&) = delete;
  DurationHistogram& operator=(const DurationHistogram&) = delete;

  // A negative duration counts as 0.
  void observe(std::int64_t ns) {
    ns = std::max<std::int64_t>(ns, 0);
    // The first bound >= ns is its `le` bucket; past the last is +Inf.
    const auto bucket = static_cast<std::size_t>(
        std::lower_bound(bounds_ns_.begin(), bounds_ns_.end(), ns) - bounds_ns_.begin());
    counts_[bucket].fetch_add(1, std::memory_order_relaxed);
    sum_ns_.fetch_add(static_cast<std::uint64_t>(ns), std::memory_order_relaxed);
  }

  HistogramSnapshot snapshot() const {
    HistogramSnapshot out;
    out.bounds_ns.assign(bounds_ns_.begin(), bounds_ns_.end());
    for (const auto& count : counts_) out.counts.push_back(count.load(std::memory_order_relaxed));
    out.sum_ns = sum_ns_.load(std::memory_order_relaxed);
    return out;
  }

 private:
  std::array<std::int64_t, N> bounds_ns_;
  std::array<std::atomic<std::uint64_t>, N + 1> counts_{};
  std::atomic<std::uint64_t> sum_ns_{0};
};

}  // namespace smscoach

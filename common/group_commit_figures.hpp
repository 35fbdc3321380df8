#pragma once
// How a store that commits turns in batches is doing, for /metrics: the
// store fills it, the gateway renders it.

#include <cstdint>

#include "common/duration_histogram.hpp"

namespace smscoach {

struct GroupCommitFigures {
  HistogramSnapshot commits;    // one batch's commit (WAL written, not yet flushed)
  HistogramSnapshot flushes;    // one flush of the WAL to disk (fdatasync)
  std::uint64_t committed_turns = 0;
};

}  // namespace smscoach

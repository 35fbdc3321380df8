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
  // Checkpoints that copied the whole WAL into the database file (letting
  // it restart), the WAL frames (pages) they copied, and of those the ones
  // the writer copied itself, between two batches.
  std::uint64_t checkpoints = 0;
  std::uint64_t checkpoint_frames = 0;
  std::uint64_t checkpoint_writer_frames = 0;
};

}  // namespace smscoach

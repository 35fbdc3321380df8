#pragma once
// An export as a sequence of ~64 KiB chunks, without ever holding the whole
// export. ConversationAdmin::export_messages pushes rows into a callback
// until it is done, so it runs on a thread of its own and hands formatted
// chunks over through a queue of at most kQueuedChunks: when the reader
// (the HTTP connection) is slow, the export waits for it.
//
// Why a thread per export and not a worker of the server's pool: the export
// lasts as long as the slowest client takes to download it, and holding a
// pool worker that long would starve the webhook (and two exports could take
// every worker, leaving none to pull their chunks). The caller caps how many
// run at once.

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "common/conversations.hpp"
#include "gateway/export_format.hpp"

namespace smscoach::gateway {

class ExportStream {
 public:
  static constexpr std::size_t kChunkSize = 64 * 1024;
  static constexpr std::size_t kQueuedChunks = 2;

  // Starts exporting every message at or after `since_ms` at once. `store`
  // must outlive this object. Throws std::system_error if no thread can start.
  ExportStream(ConversationAdmin& store, std::int64_t since_ms, ExportFormat format);
  // Stops the export (at its next row) and waits for its thread.
  ~ExportStream();
  ExportStream(const ExportStream&) = delete;
  ExportStream& operator=(const ExportStream&) = delete;

  // Blocks until the next chunk (never empty) is ready and moves it into
  // `chunk`: true. False once everything was handed over. The store's error
  // if the export failed; the chunks before it were a prefix of the export.
  Expected<bool> next(std::string& chunk);

 private:
  void produce(ConversationAdmin& store, std::int64_t since_ms, ExportFormat format);
  // Queues a chunk, waiting for room; false when the reader went away.
  bool push(std::string chunk);

  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<std::string> chunks_;
  std::optional<Error> error_;
  bool finished_ = false;   // the producer is done, whether it failed or not
  bool cancelled_ = false;  // the reader went away
  std::thread thread_;      // last: starts once everything above exists
};

}  // namespace smscoach::gateway

#pragma once
// Group commit for SQLite turns, with the disk flush off the connection.
//
// A turn is written into an open transaction (a batch) under a savepoint.
// A syncer thread commits the open batch (SQLite's synchronous = NORMAL:
// the commit writes the WAL without flushing it), lets go of the
// connection, and then flushes the WAL to disk (fdatasync). A turn is
// acknowledged once a flush that began after its batch committed has
// returned, so every acknowledged text is on disk, and the next batch is
// written while the last one is flushed: one flush covers every turn that
// arrived during the one before. Private to dialogue/store/sqlite_*.cpp.

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "common/expected.hpp"
#include "dialogue/store/sqlite_connection.hpp"
#include "dialogue/store/store.hpp"

namespace smscoach::dialogue {

class SqliteGroupCommit {
 public:
  // A batch this big commits at once, not waiting for the syncer.
  static constexpr int kMaxTurns = 256;
  // Flushes every WAL write made so far to disk; false if that failed.
  using WalSync = std::function<bool()>;

  // `mutex` guards `connection`; both outlive this. Starts the syncer.
  SqliteGroupCommit(SqliteConnection& connection, std::mutex& mutex, WalSync sync);
  // Commits and flushes what is open, then stops the syncer.
  ~SqliteGroupCommit();
  SqliteGroupCommit(const SqliteGroupCommit&) = delete;
  SqliteGroupCommit& operator=(const SqliteGroupCommit&) = delete;

  // With the mutex held: commits the open batch, if there is one. Its
  // writers are answered once the syncer has flushed it.
  void flush();
  // With the mutex held: whether a batch is open (holds turns not yet committed).
  bool open() const { return open_ != nullptr; }

  // Without the mutex: returns once the connection's first `commits`
  // commits are on disk, true; false if a flush begun after this call
  // failed (a later call flushes again).
  bool await_durable(std::uint64_t commits);

  // Takes the mutex, runs `write` in the open batch (opening one) under a
  // savepoint, and returns once that batch is on disk: `write`'s outcome,
  // or an error if it, the batch's commit or the flush failed (then the
  // text was not acknowledged, and the provider sends it again).
  Expected<RecordOutcome> write(const std::function<Expected<RecordOutcome>(SqlConnection&)>& write);

 private:
  struct Batch {
    std::uint64_t commits = 0;  // the connection's commit count once it committed
    bool done = false;          // on disk, or failed
    bool ok = false;
    std::string error;
  };

  // With the mutex held, after a turn failed: a batch it opened and nobody
  // joined ends now, not holding SQLite's write lock until the next use.
  void end_if_empty();
  void finish(const std::shared_ptr<Batch>& batch, bool ok, std::string error);
  void run_syncer();

  SqliteConnection& connection_;
  std::mutex& mutex_;
  WalSync sync_;
  std::shared_ptr<Batch> open_;  // under mutex_; null when no batch is open
  int turns_ = 0;                // in the open batch, under mutex_

  // The syncer's side, under sync_mutex_ (taken after mutex_, never before).
  std::mutex sync_mutex_;
  std::condition_variable work_;  // to the syncer: something to commit or flush
  std::condition_variable done_;  // from it: batches finished, flushes done
  bool wanted_ = false;
  bool stopping_ = false;
  std::uint64_t durable_ = 0;   // commits on disk
  std::uint64_t flushes_ = 0;   // flushes finished, failed or not
  std::deque<std::shared_ptr<Batch>> committed_;  // not yet flushed, oldest first
  std::thread syncer_;
};

}  // namespace smscoach::dialogue

#pragma once
// Group commit for SQLite turns: a turn is written into an open transaction
// (a batch) under a savepoint, and acknowledged only once the batch it
// joined has committed, so every acknowledged text is on disk while one
// fsync covers every turn that arrived within kLinger of the batch's first.
// The batch is committed when a writer's wait for it runs out, when it
// reaches kMaxTurns, or by any other use of the connection (which must see
// committed data only). Private to dialogue/store/sqlite_*.cpp.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "common/expected.hpp"
#include "dialogue/store/sqlite_connection.hpp"
#include "dialogue/store/store.hpp"

namespace smscoach::dialogue {

class SqliteGroupCommit {
 public:
  static constexpr int kMaxTurns = 256;
  // How long a batch waits for more turns before it commits: what one text
  // may wait for others to share its disk flush.
  static constexpr std::chrono::microseconds kLinger{1000};

  // `mutex` guards `connection`; both outlive this.
  SqliteGroupCommit(SqliteConnection& connection, std::mutex& mutex)
      : connection_(connection), mutex_(mutex) {}

  // With the mutex held: commits the open batch, if there is one, and
  // tells its writers how it went.
  void flush();
  // With the mutex held: whether a batch is open (holds turns not yet on disk).
  bool open() const { return open_ != nullptr; }

  // Takes the mutex, runs `write` in the open batch (opening one) under a
  // savepoint, and returns once that batch is durable: `write`'s outcome,
  // or an error if it or the batch's commit failed (then nothing of it is
  // stored).
  Expected<RecordOutcome> write(const std::function<Expected<RecordOutcome>(SqlConnection&)>& write);

 private:
  struct Batch {
    bool done = false;
    bool ok = false;
    std::string error;
  };

  // With the mutex held, after a turn failed: a batch it opened and nobody
  // joined ends now, not holding SQLite's write lock until the next use.
  void end_if_empty();

  SqliteConnection& connection_;
  std::mutex& mutex_;
  std::condition_variable done_;
  std::shared_ptr<Batch> open_;  // null when no batch is open
  int turns_ = 0;                // in the open batch
};

}  // namespace smscoach::dialogue

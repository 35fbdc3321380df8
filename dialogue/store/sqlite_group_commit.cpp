#include "dialogue/store/sqlite_group_commit.hpp"

#include <chrono>

namespace smscoach::dialogue {

void SqliteGroupCommit::flush() {
  if (!open_) return;
  connection_.finish_statements();
  open_->ok = connection_.commit();
  if (!open_->ok) {
    open_->error = connection_.error_message();
    connection_.rollback();
  }
  open_->done = true;
  open_.reset();
  turns_ = 0;
  done_.notify_all();
}

void SqliteGroupCommit::commit_unless_joined() {
  if (open_ && (writers_waiting_.load() == 0 || turns_ >= kMaxTurns)) flush();
}

Expected<RecordOutcome> SqliteGroupCommit::write(
    const std::function<Expected<RecordOutcome>(SqlConnection&)>& write) {
  ++writers_waiting_;
  std::unique_lock lock(mutex_);
  --writers_waiting_;
  if (!open_) {
    if (!connection_.begin()) {
      return make_error(ErrorCode::unavailable, "begin: " + connection_.error_message());
    }
    open_ = std::make_shared<Batch>();
  }
  const auto batch = open_;
  // A savepoint per turn: one that fails takes only itself back.
  if (!connection_.run("SAVEPOINT turn")) {
    auto error = make_error(ErrorCode::unavailable, "savepoint: " + connection_.error_message());
    commit_unless_joined();
    return error;
  }
  auto outcome = write(connection_);
  if (!outcome) {
    connection_.run("ROLLBACK TO turn");
    connection_.run("RELEASE turn");
    commit_unless_joined();
    return outcome;
  }
  if (!connection_.run("RELEASE turn")) {
    auto error = make_error(ErrorCode::unavailable, "release: " + connection_.error_message());
    connection_.run("ROLLBACK TO turn");
    connection_.run("RELEASE turn");
    commit_unless_joined();
    return error;
  }
  ++turns_;
  commit_unless_joined();
  // Someone joined after us: they, or whoever comes last, commit. A writer
  // that finds this batch still open after a while commits it itself, so
  // no wait depends on another thread's arrival.
  while (!batch->done) {
    if (!done_.wait_for(lock, std::chrono::milliseconds(20), [&] { return batch->done; }) &&
        open_ == batch) {
      flush();
    }
  }
  if (!batch->ok) return make_error(ErrorCode::unavailable, "commit: " + batch->error);
  return outcome;
}

}  // namespace smscoach::dialogue

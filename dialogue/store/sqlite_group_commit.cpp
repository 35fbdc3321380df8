#include "dialogue/store/sqlite_group_commit.hpp"


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

void SqliteGroupCommit::end_if_empty() {
  if (open_ && turns_ == 0) flush();
}

Expected<RecordOutcome> SqliteGroupCommit::write(
    const std::function<Expected<RecordOutcome>(SqlConnection&)>& write) {
  std::unique_lock lock(mutex_);
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
    end_if_empty();
    return error;
  }
  auto outcome = write(connection_);
  if (!outcome) {
    connection_.run("ROLLBACK TO turn");
    connection_.run("RELEASE turn");
    end_if_empty();
    return outcome;
  }
  if (!connection_.run("RELEASE turn")) {
    auto error = make_error(ErrorCode::unavailable, "release: " + connection_.error_message());
    connection_.run("ROLLBACK TO turn");
    connection_.run("RELEASE turn");
    end_if_empty();
    return error;
  }
  ++turns_;
  if (turns_ >= kMaxTurns) flush();
  // The batch stays open for kLinger so that the texts arriving meanwhile
  // share its fsync; whoever's wait runs out first commits it (a general
  // use of the connection commits it at once).
  while (!batch->done) {
    if (!done_.wait_for(lock, kLinger, [&] { return batch->done; }) && open_ == batch) flush();
  }
  if (!batch->ok) return make_error(ErrorCode::unavailable, "commit: " + batch->error);
  return outcome;
}

}  // namespace smscoach::dialogue

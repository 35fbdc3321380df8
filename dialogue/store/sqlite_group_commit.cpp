#include "dialogue/store/sqlite_group_commit.hpp"

#include <utility>

namespace smscoach::dialogue {

SqliteGroupCommit::SqliteGroupCommit(SqliteConnection& connection, std::mutex& mutex, WalSync sync)
    : connection_(connection), mutex_(mutex), sync_(std::move(sync)) {
  // Whatever was committed before (the schema's migrations) counts as on
  // disk: those commits flushed themselves.
  durable_ = connection_.commits();
  syncer_ = std::thread([this] { run_syncer(); });
}

SqliteGroupCommit::~SqliteGroupCommit() {
  {
    std::lock_guard lock(sync_mutex_);
    stopping_ = true;
    wanted_ = true;
  }
  work_.notify_one();
  syncer_.join();
}

void SqliteGroupCommit::finish(const std::shared_ptr<Batch>& batch, bool ok, std::string error) {
  batch->done = true;
  batch->ok = ok;
  batch->error = std::move(error);
}

void SqliteGroupCommit::flush() {
  if (!open_) return;
  const auto batch = std::move(open_);
  open_.reset();
  turns_ = 0;
  connection_.finish_statements();
  if (connection_.commit()) {
    batch->commits = connection_.commits();
    std::lock_guard lock(sync_mutex_);
    committed_.push_back(batch);
    wanted_ = true;
    work_.notify_one();
    return;
  }
  std::string error = "commit: " + connection_.error_message();
  connection_.rollback();
  std::lock_guard lock(sync_mutex_);
  finish(batch, false, std::move(error));
  done_.notify_all();
}

void SqliteGroupCommit::end_if_empty() {
  if (open_ && turns_ == 0) flush();
}

bool SqliteGroupCommit::await_durable(std::uint64_t commits) {
  std::unique_lock lock(sync_mutex_);
  if (durable_ >= commits) return true;
  // The flush under way may have begun before these commits; the one after
  // it began after this call, and covers them.
  const std::uint64_t flushes_before = flushes_;
  wanted_ = true;
  work_.notify_one();
  done_.wait(lock, [&] { return durable_ >= commits || flushes_ >= flushes_before + 2; });
  return durable_ >= commits;
}

void SqliteGroupCommit::run_syncer() {
  std::unique_lock sync_lock(sync_mutex_);
  for (;;) {
    work_.wait(sync_lock, [&] { return wanted_; });
    wanted_ = false;
    const bool stopping = stopping_;
    sync_lock.unlock();

    // Commit what is open, then flush without holding the connection: the
    // next batch is written meanwhile.
    std::uint64_t target = 0;
    {
      std::lock_guard lock(mutex_);
      flush();
      target = connection_.commits();
    }
    sync_lock.lock();
    if (target > durable_) {
      sync_lock.unlock();
      const bool ok = sync_();
      sync_lock.lock();
      if (ok) durable_ = target;
      while (!committed_.empty() && committed_.front()->commits <= target) {
        finish(committed_.front(), ok, ok ? "" : "flushing the database to disk failed");
        committed_.pop_front();
      }
    }
    ++flushes_;
    done_.notify_all();
    if (stopping) return;
  }
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
  if (++turns_ >= kMaxTurns) flush();
  lock.unlock();

  // The syncer commits the batch as soon as it is free: at once when idle,
  // else right after the flush it is doing.
  std::unique_lock sync_lock(sync_mutex_);
  if (!batch->done) {
    wanted_ = true;
    work_.notify_one();
    done_.wait(sync_lock, [&] { return batch->done; });
  }
  if (!batch->ok) return make_error(ErrorCode::unavailable, batch->error);
  return outcome;
}

}  // namespace smscoach::dialogue

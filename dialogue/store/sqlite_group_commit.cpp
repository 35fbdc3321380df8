#include "dialogue/store/sqlite_group_commit.hpp"

#include <algorithm>
#include <chrono>

#include "common/thread_name.hpp"

namespace smscoach::dialogue {

namespace {

std::int64_t elapsed_ns(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() -
                                                              since)
      .count();
}

}  // namespace

SqliteGroupCommit::SqliteGroupCommit(SqliteConnection& connection, std::mutex& mutex, WalSync sync)
    : connection_(connection), mutex_(mutex), sync_(std::move(sync)) {
  // Whatever was committed before (the schema's migrations) counts as on
  // disk: those commits flushed themselves.
  durable_ = taken_ = committed_ = connection_.commits();
  writer_ = std::thread([this] {
    name_this_thread("sqlite-writer");
    run_writer();
  });
  flusher_ = std::thread([this] {
    name_this_thread("wal-flusher");
    run_flusher();
  });
  answerer_ = std::thread([this] {
    name_this_thread("turn-answerer");
    run_answerer();
  });
}

SqliteGroupCommit::~SqliteGroupCommit() {
  {
    std::lock_guard lock(sync_mutex_);
    writer_stopping_ = true;
  }
  writer_wanted_.notify_all();
  writer_.join();  // writes what is queued before it stops
  {
    std::lock_guard lock(mutex_);
    flush();
  }
  {
    std::lock_guard lock(sync_mutex_);
    stopping_ = true;
  }
  flush_wanted_.notify_all();
  answers_ready_.notify_all();
  flusher_.join();  // flushes what is committed before it stops
  answerer_.join();  // answers what is flushed before it stops
}

void SqliteGroupCommit::answer(Batch& batch, bool ok, const std::string& error) {
  for (auto& [outcome, done] : batch.waiting) {
    if (ok) {
      done(std::move(outcome));
    } else {
      done(make_error(ErrorCode::unavailable, error));
    }
  }
  batch.waiting.clear();  // lets go of what the answers owned
}

void SqliteGroupCommit::flush() {
  if (!open_) return;
  const auto batch = std::move(open_);
  open_.reset();
  turns_ = 0;
  connection_.finish_statements();
  batch->writes.clear();  // never written again
  const auto began = std::chrono::steady_clock::now();
  const bool committed = connection_.commit();
  commit_times_.observe(elapsed_ns(began));
  if (committed) {
    batch->commits = connection_.commits();
    // A repeat found at its write stored nothing: not counted.
    const auto stored = std::count_if(batch->waiting.begin(), batch->waiting.end(),
                                      [](const auto& turn) { return !turn.first.duplicate; });
    committed_turns_.fetch_add(static_cast<std::uint64_t>(stored), std::memory_order_relaxed);
  } else {
    // Answered by the answerer too: never with the connection held.
    batch->failed = true;
    batch->error = "commit: " + connection_.error_message();
    connection_.rollback();
  }
  std::lock_guard lock(sync_mutex_);
  turns_open_ = false;
  committed_ = connection_.commits();
  committed_batches_.push_back(batch);
  flush_requested_ = true;
  flush_wanted_.notify_one();
}

bool SqliteGroupCommit::await_durable(std::uint64_t commits) {
  std::unique_lock lock(sync_mutex_);
  if (durable_ >= commits) return true;
  // The flush under way may have begun before these commits; the one after
  // it began after this call, and covers them.
  const std::uint64_t flushes_before = flushes_;
  flush_requested_ = true;
  flush_wanted_.notify_one();
  done_.wait(lock, [&] { return durable_ >= commits || flushes_ >= flushes_before + 2; });
  return durable_ >= commits;
}

// Writes what is queued, all at once, and commits the open batch once the
// flusher has taken every earlier commit: while it flushes those, this
// batch grows; once it starts on them, this batch is committed to be ready
// for the flush after.
void SqliteGroupCommit::run_writer() {
  std::vector<Job> jobs;
  Refusals refused;
  std::unique_lock sync_lock(sync_mutex_);
  for (;;) {
    writer_wanted_.wait(sync_lock, [&] {
      return writer_stopping_ || !queue_.empty() || (turns_open_ && taken_ >= committed_);
    });
    if (writer_stopping_ && queue_.empty()) return;
    jobs.swap(queue_);
    sync_lock.unlock();
    {
      std::lock_guard lock(mutex_);
      for (auto& job : jobs) write_one(job, refused);
      bool commit_now = false;
      {
        std::lock_guard check(sync_mutex_);
        if (turns_ > 0) turns_open_ = true;
        commit_now = turns_open_ && taken_ >= committed_;
      }
      // A batch that failed its every turn ends now rather than holding
      // SQLite's write lock until the next.
      if (commit_now || (open_ && turns_ == 0)) flush();
    }
    jobs.clear();
    for (auto& [done, error] : refused) done(std::move(error));
    refused.clear();
    sync_lock.lock();
  }
}

void SqliteGroupCommit::run_flusher() {
  std::unique_lock sync_lock(sync_mutex_);
  for (;;) {
    flush_wanted_.wait(sync_lock, [&] { return stopping_ || flush_requested_; });
    flush_requested_ = false;
    const bool stopping = stopping_;
    // Every commit counted so far has written its part of the WAL.
    const std::uint64_t target = connection_.commits();
    taken_ = std::max(taken_, committed_);
    writer_wanted_.notify_one();
    bool ok = true;
    if (target > durable_) {
      sync_lock.unlock();
      const auto began = std::chrono::steady_clock::now();
      ok = sync_();
      flush_times_.observe(elapsed_ns(began));
      sync_lock.lock();
      if (ok) durable_ = std::max(durable_, target);
    }
    ++flushes_;
    bool handed = false;
    while (!committed_batches_.empty() && committed_batches_.front()->commits <= target) {
      auto& batch = committed_batches_.front();
      to_answer_.emplace_back(std::move(batch), ok && !batch->failed);
      committed_batches_.pop_front();
      handed = true;
    }
    done_.notify_all();
    if (handed) answers_ready_.notify_one();
    if (stopping && committed_batches_.empty()) {
      flusher_stopped_ = true;
      answers_ready_.notify_one();
      return;
    }
  }
}

void SqliteGroupCommit::run_answerer() {
  std::unique_lock sync_lock(sync_mutex_);
  for (;;) {
    answers_ready_.wait(sync_lock, [&] { return !to_answer_.empty() || flusher_stopped_; });
    if (to_answer_.empty()) return;  // nothing more will come
    auto answers = std::move(to_answer_);
    to_answer_.clear();
    sync_lock.unlock();
    for (auto& [batch, ok] : answers) {
      answer(*batch, ok, batch->failed ? batch->error : "flushing the database to disk failed");
    }
    answers.clear();
    sync_lock.lock();
  }
}

GroupCommitFigures SqliteGroupCommit::figures() const {
  return {commit_times_.snapshot(), flush_times_.snapshot(),
          committed_turns_.load(std::memory_order_relaxed)};
}

void SqliteGroupCommit::write_then(Write write, Done done) {
  bool was_empty = false;
  {
    std::lock_guard lock(sync_mutex_);
    was_empty = queue_.empty();
    queue_.push_back(Job{std::move(write), std::move(done)});
  }
  if (was_empty) writer_wanted_.notify_one();
}

void SqliteGroupCommit::write_one(Job& job, Refusals& refused) {
  if (!open_) {
    if (!connection_.begin()) {
      refused.emplace_back(std::move(job.done),
                           make_error(ErrorCode::unavailable, "begin: " + connection_.error_message()));
      return;
    }
    open_ = std::make_shared<Batch>();
  }
  auto outcome = job.write(connection_);
  if (!outcome) {
    refused.emplace_back(std::move(job.done), outcome.error());
    return rewrite_open_batch(refused);
  }
  open_->waiting.emplace_back(std::move(*outcome), std::move(job.done));
  open_->writes.push_back(std::move(job.write));
  if (++turns_ >= kMaxTurns) flush();
}

void SqliteGroupCommit::rewrite_open_batch(Refusals& refused) {
  connection_.finish_statements();
  connection_.rollback();  // fails harmlessly if SQLite rolled back already (a full disk)
  const auto batch = std::move(open_);
  open_.reset();
  turns_ = 0;
  for (std::size_t i = 0; i < batch->writes.size(); ++i) {
    Job again{std::move(batch->writes[i]), std::move(batch->waiting[i].second)};
    write_one(again, refused);
  }
}

}  // namespace smscoach::dialogue

#pragma once
// Group commit for SQLite turns, with the disk flush off the connection.
//
// Turns queue for one writer thread, which writes each into an open
// transaction (a batch). Three threads, each a stage of a pipeline:
// - the writer writes queued turns and commits the open batch (SQLite's
//   synchronous = NORMAL: the commit writes the WAL, it does not flush it)
//   as soon as the flusher has taken every earlier commit; the threads that
//   work out turns never wait for the connection, nor hand it to each other;
// - the flusher flushes the WAL to disk (fdatasync) for every commit made
//   so far, without the connection, so the next batch is written and
//   committed meanwhile;
// - the answerer tells each turn of a flushed batch, so the flusher can
//   start the next flush at once.
// A turn is acknowledged only once a flush that began after its batch
// committed has returned: every acknowledged text is on disk. Private to
// dialogue/store/sqlite_*.cpp.

#include <array>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "common/duration_histogram.hpp"
#include "common/expected.hpp"
#include "common/group_commit_figures.hpp"
#include "dialogue/store/sqlite_connection.hpp"
#include "dialogue/store/store.hpp"

namespace smscoach::dialogue {

class SqliteGroupCommit {
 public:
  // A batch this big commits at once, not waiting for the flusher.
  static constexpr int kMaxTurns = 256;
  // Flushes every WAL write made so far to disk; false if that failed.
  using WalSync = std::function<bool()>;

  // `mutex` guards `connection`; both outlive this. Starts the threads.
  SqliteGroupCommit(SqliteConnection& connection, std::mutex& mutex, WalSync sync);
  // Writes what is queued, commits, flushes and answers it, then stops the
  // threads.
  ~SqliteGroupCommit();
  SqliteGroupCommit(const SqliteGroupCommit&) = delete;
  SqliteGroupCommit& operator=(const SqliteGroupCommit&) = delete;

  // With the mutex held: commits the open batch, if there is one. Its
  // writers are answered once the flusher has flushed it.
  void flush();

  // Without the mutex: returns once the connection's first `commits`
  // commits are on disk, true; false if a flush begun after this call
  // failed (a later call flushes again).
  bool await_durable(std::uint64_t commits);

  using Write = std::function<Expected<RecordOutcome>(SqlConnection&)>;
  using Done = std::function<void(Expected<RecordOutcome>)>;

  // Queues `write` for the writer, which runs it in the open batch (opening
  // one), perhaps again if another turn of the batch fails (so `write` must
  // write the same each time); calls `done` once that batch is on disk: with
  // `write`'s outcome, or an error if it, the batch's commit or the flush
  // failed (then the text was not acknowledged, and the provider sends it
  // again). `write` must own what it uses. `done` runs on the answerer's
  // thread, or the writer's if `write` failed; never with the mutex held.
  void write_then(Write write, Done done);

  // Every commit of a batch and every WAL flush so far, timed; and the
  // turns committed (not counting repeats found at their write, which store
  // nothing). Thread-safe.
  GroupCommitFigures figures() const;

 private:
  struct Batch {
    std::uint64_t commits = 0;  // the connection's commit count once it committed
    bool failed = false;        // its commit failed
    std::string error;
    // Each turn's outcome and whom to tell, and its write, kept until the
    // batch commits in case it has to be written again.
    std::vector<std::pair<RecordOutcome, Done>> waiting;
    std::vector<Write> writes;
  };

  struct Job {
    Write write;
    Done done;
  };
  // Turns that failed, told without the mutex.
  using Refusals = std::vector<std::pair<Done, Error>>;
  // With the mutex held: writes `job` into the open batch; its `done` joins
  // `refused` if that failed.
  void write_one(Job& job, Refusals& refused);
  // With the mutex held, after a turn failed part-way: SQLite takes back a
  // failed statement, not the turn's earlier ones, so the whole batch goes
  // back and its other turns are written again. Failures are rare; a
  // savepoint around every turn cost every turn about a tenth of the
  // writer's time (its pages copied to a statement journal).
  void rewrite_open_batch(Refusals& refused);
  // Without any lock: tells a batch's writers how it went.
  static void answer(Batch& batch, bool ok, const std::string& error);
  void run_writer();
  void run_flusher();
  void run_answerer();

  SqliteConnection& connection_;
  std::mutex& mutex_;
  WalSync sync_;
  std::shared_ptr<Batch> open_;  // under mutex_; null when no batch is open
  int turns_ = 0;                // in the open batch, under mutex_

  // The pipeline's side, under sync_mutex_ (taken after mutex_, never before).
  std::mutex sync_mutex_;
  std::condition_variable writer_wanted_;  // to the writer: turns queued, or commit
  std::condition_variable flush_wanted_;   // to the flusher
  std::condition_variable answers_ready_;  // to the answerer
  std::condition_variable done_;           // from the flusher: a flush ended
  std::vector<Job> queue_;  // turns waiting for the writer
  bool writer_stopping_ = false;  // write what is queued, then stop
  bool stopping_ = false;         // the flusher and answerer: finish, then stop
  bool flusher_stopped_ = false;   // it has handed over its last answers
  bool turns_open_ = false;        // the open batch holds turns
  bool flush_requested_ = false;
  std::uint64_t committed_ = 0;    // commits made through flush()
  std::uint64_t taken_ = 0;        // commits the flusher has taken on
  std::uint64_t durable_ = 0;      // commits on disk
  std::uint64_t flushes_ = 0;      // flushes finished, failed or not
  // Committed (or failed to), not yet flushed, oldest first.
  std::deque<std::shared_ptr<Batch>> committed_batches_;
  // Flushed (or failed), to be answered: each with whether it is on disk.
  std::deque<std::pair<std::shared_ptr<Batch>, bool>> to_answer_;
  // Bounds for both histograms: a flush is a fraction of a millisecond on
  // a good disk; a commit that checkpoints takes tens.
  static constexpr std::array<std::int64_t, 9> kBucketsNs = {
      100'000, 250'000, 500'000, 1'000'000, 2'500'000, 5'000'000, 10'000'000, 25'000'000,
      100'000'000};
  DurationHistogram<kBucketsNs.size()> commit_times_{kBucketsNs};
  DurationHistogram<kBucketsNs.size()> flush_times_{kBucketsNs};
  std::atomic<std::uint64_t> committed_turns_{0};
  std::thread writer_;
  std::thread flusher_;
  std::thread answerer_;
};

}  // namespace smscoach::dialogue

#include "dialogue/store/sqlite_checkpointer.hpp"

#include <algorithm>
#include <chrono>
#include <stdexcept>

#include "common/thread_name.hpp"

namespace smscoach::dialogue {

namespace {

struct PassResult {
  bool ran = false;  // false: someone else holds the checkpoint, or an error
  int frames = 0;    // in the WAL as the pass began
  int left = 0;      // of those, not copied into the file (a reader needs them)
};

// One PASSIVE pass: copies what no reader still needs, never waits. The
// connection's synchronous setting flushes the WAL before it and, after a
// pass that caught up with every commit (which alone lets the WAL restart),
// the file: a restart never depends on an unflushed copy.
PassResult copy_pass(sqlite3* db) {
  int log = 0;
  int copied = 0;
  const int rc = sqlite3_wal_checkpoint_v2(db, nullptr, SQLITE_CHECKPOINT_PASSIVE, &log, &copied);
  if (rc != SQLITE_OK || log < 0) return {};
  return {true, log, log - copied};
}

// Flushes what the passes wrote into the database file. SQLite flushes it
// only after a pass that finds no newer commit, which under load is the
// writer's last one: it flushed every page the thread's passes copied.
void flush_database_file(sqlite3* db) {
  sqlite3_file* file = nullptr;
  if (sqlite3_file_control(db, "main", SQLITE_FCNTL_FILE_POINTER, &file) == SQLITE_OK && file &&
      file->pMethods) {
    file->pMethods->xSync(file, SQLITE_SYNC_NORMAL);
  }
}

}  // namespace

SqliteCheckpointer::SqliteCheckpointer(sqlite3* writer, const std::string& path, Limits limits)
    : writer_(writer), limits_(limits) {
  if (sqlite3_open_v2(path.c_str(), &own_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr) !=
      SQLITE_OK) {
    const std::string error = own_ ? sqlite3_errmsg(own_) : "out of memory";
    sqlite3_close(own_);
    throw std::runtime_error("cannot open a checkpoint connection to " + path + ": " + error);
  }
  // A connection opens the WAL at its first read; until then it has none
  // to checkpoint. That read waits, as the store's other connections do,
  // while another process opening the file holds it (setting up WAL, or
  // migrating); the passes are PASSIVE and never wait.
  sqlite3_busy_timeout(own_, 5000);
  if (sqlite3_exec(own_, "SELECT 1 FROM sqlite_master LIMIT 1", nullptr, nullptr, nullptr) !=
      SQLITE_OK) {
    const std::string error = sqlite3_errmsg(own_);
    sqlite3_close(own_);
    throw std::runtime_error("cannot read " + path + " to checkpoint it: " + error);
  }
  sqlite3_wal_hook(writer_, &SqliteCheckpointer::on_commit, this);
  thread_ = std::thread([this] {
    name_this_thread("wal-checkpoint");
    run();
  });
}

SqliteCheckpointer::~SqliteCheckpointer() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wanted_.notify_all();
  thread_.join();
  sqlite3_wal_hook(writer_, nullptr, nullptr);
  sqlite3_close(own_);
}

int SqliteCheckpointer::on_commit(void* self, sqlite3* db, const char*, int frames) {
  static_cast<SqliteCheckpointer*>(self)->after_commit(db, frames);
  return SQLITE_OK;  // a failed checkpoint is tried again; the commit stands
}

// On the writer's thread, its commit done and its connection idle.
void SqliteCheckpointer::after_commit(sqlite3* db, int frames) {
  switch (phase_.load(std::memory_order_acquire)) {
    case Phase::idle:
      if (frames >= limits_.start_at_frames) {
        {
          std::lock_guard lock(mutex_);
          phase_.store(Phase::thread_copies, std::memory_order_release);
        }
        wanted_.notify_one();
      }
      break;
    case Phase::thread_copies:
      if (frames >= limits_.writer_alone_at_frames) copy_pass(db);
      break;
    case Phase::writer_finishes: {
      // Nothing is committed while this runs, so it copies everything no
      // reader still needs; a reader in the way makes it try again after
      // the next commit. Once through, the writer's next commit restarts
      // the WAL.
      const PassResult pass = copy_pass(db);
      if (pass.ran && pass.left == 0) {
        const int by_thread = std::min(thread_frames_, pass.frames);
        std::lock_guard lock(figures_mutex_);
        ++figures_.cycles;
        figures_.frames += static_cast<std::uint64_t>(pass.frames);
        figures_.writer_frames += static_cast<std::uint64_t>(pass.frames - by_thread);
        phase_.store(Phase::idle, std::memory_order_release);
      }
      break;
    }
  }
}

void SqliteCheckpointer::run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    wanted_.wait(lock, [&] { return stopping_ || phase_.load() == Phase::thread_copies; });
    if (stopping_) return;
    lock.unlock();
    // Each pass copies what the writer committed during the last one, so
    // the passes shorten until one finds only a few new frames: what the
    // writer commits during that short pass is what it copies itself.
    int frames_before = 0;
    for (int pass = 0; pass < limits_.max_passes; ++pass) {
      const PassResult result = copy_pass(own_);
      if (!result.ran) {
        // Another process checkpointing: let it finish.
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
        continue;
      }
      flush_database_file(own_);
      // Fewer frames than last time: the WAL restarted meanwhile.
      const int found =
          result.frames >= frames_before ? result.frames - frames_before : result.frames;
      frames_before = result.frames;
      if (found <= limits_.hand_over_at_frames) break;
    }
    thread_frames_ = frames_before;
    lock.lock();
    if (stopping_) return;
    phase_.store(Phase::writer_finishes, std::memory_order_release);
  }
}

SqliteCheckpointer::Figures SqliteCheckpointer::figures() const {
  std::lock_guard lock(figures_mutex_);
  return figures_;
}

}  // namespace smscoach::dialogue

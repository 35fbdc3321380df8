#pragma once
// The WAL's checkpoints, off the writer's thread but for a last few pages.
//
// SQLite restarts its WAL from the top only once a checkpoint has copied
// every frame into the database file and flushed it. Run on the writer
// (SQLite's automatic checkpoint), that stopped every text for about 15 ms
// three times a second under load. A thread of its own cannot finish the
// job alone: the writer commits while it copies, so it never catches up.
// So the thread copies pass after pass, each shorter than the last, until
// what is left is a few frames; then the writer, after its next commit,
// copies those itself and the WAL restarts at its commit after. Private to
// dialogue/store/sqlite_*.cpp.

#include <sqlite3.h>

#include <atomic>
#include <cstdint>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

namespace smscoach::dialogue {

class SqliteCheckpointer {
 public:
  struct Limits {
    // A cycle starts once the WAL holds this many frames (pages).
    int start_at_frames = 10'000;
    // The writer takes over once no more than this many are left to copy.
    int hand_over_at_frames = 128;
    // Passes of the thread before the writer takes over whatever is left.
    int max_passes = 12;
    // Should the thread fall behind this far (another process holding the
    // checkpoint, say), the writer checkpoints after every commit, as
    // SQLite's automatic checkpoint would.
    int writer_alone_at_frames = 100'000;
  };

  // Opens a connection of its own on the file at `path` and becomes the
  // WAL hook of `writer` (which replaces SQLite's automatic checkpoint).
  // Throws if the connection cannot be opened.
  SqliteCheckpointer(sqlite3* writer, const std::string& path, Limits limits);
  SqliteCheckpointer(sqlite3* writer, const std::string& path)
      : SqliteCheckpointer(writer, path, Limits{}) {}
  // Stops the thread and removes the hook; the writer must be idle.
  ~SqliteCheckpointer();
  SqliteCheckpointer(const SqliteCheckpointer&) = delete;
  SqliteCheckpointer& operator=(const SqliteCheckpointer&) = delete;

  // Cycles that copied the whole WAL into the file (each lets it restart),
  // the frames they copied, and of those the ones the writer copied.
  struct Figures {
    std::uint64_t cycles = 0;
    std::uint64_t frames = 0;
    std::uint64_t writer_frames = 0;
  };
  Figures figures() const;  // thread-safe

 private:
  enum class Phase { idle, thread_copies, writer_finishes };

  static int on_commit(void* self, sqlite3* db, const char* schema, int frames);
  void after_commit(sqlite3* db, int frames);
  void run();

  sqlite3* writer_;
  sqlite3* own_ = nullptr;
  Limits limits_;
  std::atomic<Phase> phase_{Phase::idle};
  // Frames in the WAL at the thread's last pass, for the writer's turn
  // (handed over through phase_).
  int thread_frames_ = 0;
  mutable std::mutex figures_mutex_;
  Figures figures_;
  std::mutex mutex_;
  std::condition_variable wanted_;
  bool stopping_ = false;  // under mutex_
  std::thread thread_;
};

}  // namespace smscoach::dialogue

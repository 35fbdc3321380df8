#pragma once
// Stands in for fdatasync of a SQLite store's WAL: holds each flush until
// opened, and can fail them, so a test decides when a turn reaches the disk.

#include <unistd.h>

#include <condition_variable>
#include <mutex>

#include "dialogue/store/sqlite_store.hpp"

namespace smscoach::test {

struct FlushGate {
  std::mutex mutex;
  std::condition_variable changed;
  bool open = false;
  bool fail = false;
  int waiting = 0;

  bool flush(int wal_fd) {
    std::unique_lock lock(mutex);
    ++waiting;
    changed.notify_all();
    changed.wait(lock, [&] { return open; });
    --waiting;
    return !fail && ::fdatasync(wal_fd) == 0;
  }
  void set(bool now_open, bool now_fail = false) {
    std::lock_guard lock(mutex);
    open = now_open;
    fail = now_fail;
    changed.notify_all();
  }
  void await_flush() {
    std::unique_lock lock(mutex);
    changed.wait(lock, [&] { return waiting > 0; });
  }
};

inline dialogue::SqliteOptions gated(FlushGate& gate) {
  return dialogue::SqliteOptions{[&gate](int fd) { return gate.flush(fd); }};
}

}  // namespace smscoach::test

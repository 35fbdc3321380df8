#pragma once
// Staff search over message text, indexed in a file of its own by a thread
// of its own, so that indexing never holds up the writer.
//
// The index (FTS5) lives in `<database>-search`. A thread reads new
// messages from the database on a read snapshot and indexes them there;
// the writer's transactions never touch the index, and the index's never
// touch the database. Erased messages reach the index through
// `search_forget`, a queue the erasing transaction fills (a trigger), which
// the thread works through in order before indexing anything newer: SQLite
// gives a new message the id after the highest one left, so an erased id
// can come back with another text.
//
// The index is derived data. At start it is checked against the database:
// if it holds what the database does not (a database restored from a copy,
// or one whose last commits a power cut took back), it is built again from
// the start, in the background. Deleting the file does the same. Private to
// dialogue/store/sqlite_*.cpp.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

#include "dialogue/store/sql_connection.hpp"
#include "dialogue/store/sqlite_connection.hpp"

namespace smscoach::dialogue {

class SqliteSearchIndex {
 public:
  // The index file of the database at `path`.
  static std::string file_for(const std::string& path) { return path + "-search"; }

  // Opens the index beside the database at `path` (creating it), checks it
  // against the database and starts the indexing thread, which looks for
  // new messages every kEvery. Throws if either file cannot be opened.
  explicit SqliteSearchIndex(const std::string& path);
  ~SqliteSearchIndex();  // stops the thread
  SqliteSearchIndex(const SqliteSearchIndex&) = delete;
  SqliteSearchIndex& operator=(const SqliteSearchIndex&) = delete;

  // Returns once the index holds every message committed before this call,
  // true; false if that took longer than `wait` (a first build of a large
  // index) or indexing failed, and the index is behind.
  bool catch_up(std::chrono::milliseconds wait);

  // A read connection with the index attached as the schema `search`, for
  // one search at a time.
  ConnectionLease searcher();

 private:
  // One round on the thread's connection: forgets what was erased, then
  // indexes up to kRoundMessages new messages. False if it failed.
  bool index_round(bool& more);
  // Drops everything indexed when the index holds what the database does
  // not, so the thread builds it again. Runs once, before the thread.
  void reconcile();
  bool reconcile_once();
  void run();
  bool stopping();

  static constexpr int kRoundMessages = 5000;
  static constexpr std::chrono::milliseconds kEvery{50};

  SqliteConnection indexer_;  // the thread's (and reconcile's, before it)
  std::mutex searcher_mutex_;
  SqliteConnection searcher_;

  std::mutex mutex_;
  std::condition_variable wanted_;  // to the thread: a round is wanted, or stop
  std::condition_variable caught_up_;
  bool stopping_ = false;
  std::uint64_t rounds_wanted_ = 0;     // by catch_up()
  std::uint64_t rounds_started_ = 0;
  std::uint64_t caught_up_through_ = 0;  // the last round that left nothing behind
  std::thread thread_;
};

}  // namespace smscoach::dialogue

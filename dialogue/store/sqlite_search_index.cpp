#include "dialogue/store/sqlite_search_index.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <stdexcept>

#include "common/thread_name.hpp"
#include "dialogue/store/sqlite_wal_batching_vfs.hpp"

namespace smscoach::dialogue {

namespace {

// Opens `path` on `c` with its index attached as `search`; throws. The
// attached file takes the connection's flags: CREATE makes a new index.
void open_with_index(SqliteConnection& c, const std::string& path) {
  sqlite3*& db = c.handle();
  if (sqlite3_open_v2(path.c_str(), &db,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                      wal_batching_vfs()) != SQLITE_OK) {
    throw std::runtime_error("cannot open " + path + " to search it: " + c.error_message());
  }
  sqlite3_busy_timeout(db, 5000);
  SqlStatement& attach = c.prepare("ATTACH DATABASE ? AS search");
  attach.bind(SqliteSearchIndex::file_for(path));
  const bool attached = attach.step() == StepResult::done;
  c.finish_statements();
  if (!attached) {
    throw std::runtime_error("cannot open the search index " + SqliteSearchIndex::file_for(path) +
                             ": " + c.error_message());
  }
}

std::int64_t one_int64(SqliteConnection& c, const char* sql, bool& ok) {
  SqlStatement& s = c.prepare(sql);
  if (s.step() != StepResult::row) {
    ok = false;
    return 0;
  }
  return s.int64(0);
}

bool run_with(SqliteConnection& c, const char* sql, std::int64_t a) {
  return c.prepare(sql).bind(a).step() == StepResult::done;
}

bool run_with(SqliteConnection& c, const char* sql, std::int64_t a, std::int64_t b) {
  return c.prepare(sql).bind(a).bind(b).step() == StepResult::done;
}

// Where the index stands: messages up to `mark` indexed, erasures up to
// `forgotten` applied. In a transaction.
struct IndexState {
  std::int64_t mark = 0;
  std::int64_t forgotten = 0;
  std::int64_t last_forget = 0;  // the newest erasure queued in the database
};

bool read_state(SqliteConnection& c, IndexState& state) {
  SqlStatement& s = c.prepare("SELECT mark, forgotten FROM search.search_state");
  if (s.step() != StepResult::row) return false;
  state.mark = s.int64(0);
  state.forgotten = s.int64(1);
  bool ok = true;
  state.last_forget = one_int64(c, "SELECT COALESCE(MAX(seq), 0) FROM main.search_forget", ok);
  return ok;
}

// Takes erased messages out of the index, and indexes again any message
// that has since taken an erased id at or below the mark (ids above it are
// indexed as new).
bool forget_erased(SqliteConnection& c, IndexState& state) {
  if (state.last_forget <= state.forgotten) return true;
  if (!run_with(c,
                "DELETE FROM search.messages_fts WHERE rowid IN "
                "(SELECT id FROM main.search_forget WHERE seq > ?)",
                state.forgotten) ||
      !run_with(c,
                "INSERT INTO search.messages_fts (rowid, body) SELECT id, body FROM main.messages "
                "WHERE id IN (SELECT id FROM main.search_forget WHERE seq > ?) AND id <= ?",
                state.forgotten, state.mark)) {
    return false;
  }
  state.forgotten = state.last_forget;
  return true;
}

// The newest message's id, 0 for none; `ok` false if it could not be read.
std::int64_t newest_message(SqliteConnection& c, bool& ok) {
  return one_int64(c, "SELECT COALESCE(MAX(id), 0) FROM main.messages", ok);
}

bool save_state(SqliteConnection& c, const IndexState& state) {
  return run_with(c, "UPDATE search.search_state SET mark = ?, forgotten = ?", state.mark,
                  state.forgotten);
}

// Runs `work` in one transaction on `c`: it reads the database on one
// snapshot and writes only the index, so the database's writer never
// waits for it.
template <class Work>
bool in_transaction(SqliteConnection& c, Work work) {
  if (!c.run("BEGIN")) return false;
  const bool ok = work();
  c.finish_statements();
  if (ok && c.run("COMMIT")) return true;
  c.rollback();
  return false;
}

}  // namespace

SqliteSearchIndex::SqliteSearchIndex(const std::string& path) {
  open_with_index(indexer_, path);
  // Derived data, rebuilt when in doubt: WAL for the searches beside the
  // thread, synchronous = NORMAL is enough.
  if (!indexer_.exec("PRAGMA search.journal_mode = WAL") ||
      !indexer_.exec("PRAGMA search.synchronous = NORMAL") ||
      !indexer_.exec("CREATE TABLE IF NOT EXISTS search.search_state "
                     "(mark INTEGER NOT NULL, forgotten INTEGER NOT NULL)") ||
      !indexer_.exec("CREATE VIRTUAL TABLE IF NOT EXISTS search.messages_fts USING fts5(body)") ||
      !indexer_.exec("INSERT INTO search.search_state (mark, forgotten) SELECT 0, 0 "
                     "WHERE NOT EXISTS (SELECT 1 FROM search.search_state)")) {
    throw std::runtime_error("cannot set up the search index " + file_for(path) + ": " +
                             indexer_.error_message());
  }
  reconcile();
  open_with_index(searcher_, path);
  if (!searcher_.exec("PRAGMA query_only = 1")) {
    throw std::runtime_error("cannot configure a search connection: " + searcher_.error_message());
  }
  thread_ = std::thread([this] {
    name_this_thread("search-indexer");
    run();
  });
}

SqliteSearchIndex::~SqliteSearchIndex() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wanted_.notify_all();
  thread_.join();
}

void SqliteSearchIndex::reconcile() {
  // Another process's indexer (a command beside the server) may commit
  // between this transaction's read and its write, which SQLite refuses
  // at once (SQLITE_BUSY_SNAPSHOT): a new snapshot then does.
  for (int tries = 1; !reconcile_once(); ++tries) {
    if (tries == 5) {
      throw std::runtime_error("cannot check the search index: " + indexer_.error_message());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

bool SqliteSearchIndex::reconcile_once() {
  return in_transaction(indexer_, [&] {
    IndexState state;
    if (!read_state(indexer_, state)) return false;
    // Erasures the database does not have: the index is of another history.
    bool rebuild = state.forgotten > state.last_forget;
    if (!rebuild) {
      if (!forget_erased(indexer_, state)) return false;
      // Messages above the database's newest that no erasure took out: a
      // database restored from a copy, or one that lost its last commits.
      bool read = true;
      const std::int64_t newest = newest_message(indexer_, read);
      SqlStatement& above =
          indexer_.prepare("SELECT 1 FROM search.messages_fts WHERE rowid > ? LIMIT 1");
      above.bind(newest);
      const StepResult found = above.step();
      if (!read || found == StepResult::error) return false;
      rebuild = found == StepResult::row;
    }
    if (rebuild) {
      if (!indexer_.run("DELETE FROM search.messages_fts")) return false;
      state.mark = 0;
      state.forgotten = state.last_forget;
    }
    return save_state(indexer_, state);
  });
}

bool SqliteSearchIndex::index_round(bool& more) {
  more = false;
  return in_transaction(indexer_, [&] {
    IndexState state;
    if (!read_state(indexer_, state) || !forget_erased(indexer_, state)) return false;
    bool ok = true;
    const std::int64_t newest = newest_message(indexer_, ok);
    if (!ok) return false;
    if (newest > state.mark) {
      // In id order, a round's worth at a time: a first build of a large
      // index commits as it goes, and a search waiting for it is not
      // stuck behind one huge transaction.
      SqlStatement& last = indexer_.prepare(
          "SELECT MAX(id) FROM (SELECT id FROM main.messages WHERE id > ? ORDER BY id LIMIT ?)");
      last.bind(state.mark).bind(std::int64_t{kRoundMessages});
      if (last.step() != StepResult::row) return false;
      const std::int64_t upto = last.int64(0);
      if (!run_with(indexer_,
                    "INSERT INTO search.messages_fts (rowid, body) SELECT id, body "
                    "FROM main.messages WHERE id > ? AND id <= ?",
                    state.mark, upto)) {
        return false;
      }
      state.mark = upto;
      more = upto < newest;
    } else {
      // The newest messages were erased: their ids will be given again.
      state.mark = newest;
    }
    return save_state(indexer_, state);
  });
}

void SqliteSearchIndex::run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    wanted_.wait_for(lock, kEvery, [&] { return stopping_ || rounds_wanted_ > rounds_started_; });
    if (stopping_) return;
    const std::uint64_t round = ++rounds_started_;
    lock.unlock();
    bool more = true;
    bool ok = true;
    while (ok && more && !stopping()) ok = index_round(more);
    lock.lock();
    if (ok && !more) {
      caught_up_through_ = round;
      caught_up_.notify_all();
    }
  }
}

bool SqliteSearchIndex::stopping() {
  std::lock_guard lock(mutex_);
  return stopping_;
}

bool SqliteSearchIndex::catch_up(std::chrono::milliseconds wait) {
  std::unique_lock lock(mutex_);
  // A round that starts after this call sees every commit made before it.
  const std::uint64_t round = rounds_started_ + 1;
  rounds_wanted_ = std::max(rounds_wanted_, round);
  wanted_.notify_one();
  return caught_up_.wait_for(lock, wait, [&] { return caught_up_through_ >= round; });
}

ConnectionLease SqliteSearchIndex::searcher() {
  searcher_mutex_.lock();
  return ConnectionLease(&searcher_, [this](SqlConnection*) {
    searcher_.finish_statements();
    searcher_mutex_.unlock();
  });
}

}  // namespace smscoach::dialogue

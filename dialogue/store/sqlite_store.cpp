// The SQLite backend of SqlStore: one connection, the schema's migrations,
// SQLite's dialect (FTS5 search), and turns written by group commit.

#include "dialogue/store/sqlite_store.hpp"
#include "dialogue/store/schema.hpp"
#include "dialogue/store/sql_store_detail.hpp"
#include "dialogue/store/sqlite_checkpointer.hpp"
#include "dialogue/store/sqlite_connection.hpp"
#include "dialogue/store/sqlite_group_commit.hpp"
#include "dialogue/store/sqlite_readers.hpp"
#include "dialogue/store/sqlite_search_index.hpp"
#include "dialogue/store/sqlite_wal_batching_vfs.hpp"
#include "common/await_callback.hpp"
#include "common/keyed_mutex.hpp"

#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <array>
#include <functional>
#include <chrono>
#include <mutex>
#include <thread>
#include <stdexcept>
#include <unordered_map>
#include <utility>
#include <vector>

namespace smscoach::dialogue {

namespace {

const SchemaDialect kSqliteSchema{
    "INTEGER PRIMARY KEY",
    "INTEGER",
    "REAL",
    // Full-text search over message text, kept in step by triggers.
    R"sql(
    CREATE VIRTUAL TABLE messages_fts USING fts5(body, content = 'messages', content_rowid = 'id');
    CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
      INSERT INTO messages_fts (rowid, body) VALUES (new.id, new.body);
    END;
    CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
      INSERT INTO messages_fts (messages_fts, rowid, body) VALUES ('delete', old.id, old.body);
    END;
    INSERT INTO messages_fts (messages_fts) VALUES ('rebuild');
    )sql",
    // Indexing each message as it was inserted cost a third of a turn's
    // instructions: FTS5 flushes its pending terms at every statement's
    // savepoint. New messages now only join search_pending, and the lot is
    // indexed in one statement just before each commit
    // (SqliteConnection::commit). A message deleted before that leaves the
    // queue instead of the index.
    R"sql(
    CREATE TABLE search_pending (id INTEGER PRIMARY KEY);
    DROP TRIGGER messages_fts_insert;
    DROP TRIGGER messages_fts_delete;
    CREATE TRIGGER messages_search_pending AFTER INSERT ON messages BEGIN
      INSERT INTO search_pending (id) VALUES (new.id);
    END;
    CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
      INSERT INTO messages_fts (messages_fts, rowid, body) SELECT 'delete', old.id, old.body
        WHERE NOT EXISTS (SELECT 1 FROM search_pending WHERE id = old.id);
      DELETE FROM search_pending WHERE id = old.id;
    END;
    )sql",
    // Even queueing each message for search cost a trigger per insert. Now
    // the messages above a mark (the newest indexed) are indexed every few
    // commits and before every search (SqliteConnection::commit,
    // refresh_search, since gone: see version 7). A deleted message
    // leaves the index if it was in it; as a new message may take a
    // deleted id again, the mark never stays above the newest message left.
    R"sql(
    INSERT INTO messages_fts (rowid, body)
      SELECT m.id, m.body FROM search_pending AS p JOIN messages AS m ON m.id = p.id;
    DROP TRIGGER messages_search_pending;
    DROP TRIGGER messages_fts_delete;
    DROP TABLE search_pending;
    CREATE TABLE search_indexed (last_id INTEGER NOT NULL);
    INSERT INTO search_indexed (last_id) SELECT COALESCE(MAX(id), 0) FROM messages;
    CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
      INSERT INTO messages_fts (messages_fts, rowid, body) SELECT 'delete', old.id, old.body
        WHERE old.id <= (SELECT last_id FROM search_indexed);
      UPDATE search_indexed SET last_id = (SELECT COALESCE(MAX(id), 0) FROM messages)
        WHERE last_id > (SELECT COALESCE(MAX(id), 0) FROM messages);
    END;
    )sql",
    // Indexing, even every 16 commits, stopped the writer for 2 to 7 ms
    // (FTS5 merging its segments): the index now lives in a file of its
    // own, kept by a thread of its own (sqlite_search_index.hpp), and
    // learns of erased messages from search_forget.
    R"sql(
    DROP TRIGGER messages_fts_delete;
    DROP TABLE messages_fts;
    DROP TABLE search_indexed;
    CREATE TABLE search_forget (seq INTEGER PRIMARY KEY, id INTEGER NOT NULL);
    CREATE TRIGGER messages_search_forget AFTER DELETE ON messages BEGIN
      INSERT INTO search_forget (id) VALUES (old.id);
    END;
    )sql",
};


// Each word a quoted prefix term, all required. Quoting keeps FTS5's own
// syntax (AND, NEAR, column filters) out of reach of whatever staff type.
std::string fts5_query(std::string_view text) {
  std::string out;
  for (const auto& word : search_words(text)) {
    if (!out.empty()) out += ' ';
    out += '"' + word + "\"*";
  }
  return out;
}

const SqlDialect kSqliteDialect{
    "SELECT number, mode, flagged, opted_out, last_at, last_text, handoff_reason, "
    "handoff_since FROM texters "
    "WHERE last_at > 0 AND (?1 = '' OR mode = ?1) AND (?2 < 0 OR flagged = ?2) "
    "AND (?3 = '' OR number IN (SELECT m.number FROM messages AS m WHERE m.id IN "
    "(SELECT rowid FROM search.messages_fts WHERE messages_fts MATCH ?3))) "
    "AND (?4 = 0 OR last_at < ?5 OR (last_at = ?5 AND number > ?6)) "
    "ORDER BY last_at DESC, number ASC LIMIT ?7",
    fts5_query,
    // One connection and BEGIN IMMEDIATE: nobody else can be claiming.
    "SELECT id, number, from_number, body, attempts FROM outbox AS o "
    "WHERE status = 'pending' AND next_attempt_ms <= ?1 AND NOT EXISTS "
    "(SELECT 1 FROM outbox AS p WHERE p.number = o.number AND p.id < o.id "
    "AND p.status IN ('pending', 'sending')) ORDER BY id LIMIT ?2",
    "SELECT id, delivery_status FROM outbox WHERE provider_sid = ?",
};

// The -wal file, opened to flush it (fdatasync flushes the file whichever
// descriptor asks). SQLite keeps no locks on it, so closing ours is safe.
class WalFile {
 public:
  WalFile() = default;
  explicit WalFile(const char* path) : fd_(::open(path, O_RDONLY | O_CLOEXEC)) {}
  ~WalFile() {
    if (fd_ >= 0) ::close(fd_);
  }
  WalFile(WalFile&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  WalFile& operator=(WalFile&& other) noexcept {
    std::swap(fd_, other.fd_);
    return *this;
  }
  int fd() const { return fd_; }

 private:
  int fd_ = -1;
};

}  // namespace

struct SqliteStore::Impl {
  std::mutex mutex;  // one connection, one caller at a time
  SqliteConnection connection;
  WalFile wal;
  // Before the group commit: its last commits, when it stops, call on it.
  std::unique_ptr<SqliteCheckpointer> checkpointer;
  std::unique_ptr<SqliteGroupCommit> group;  // once migrated
  std::unique_ptr<SqliteReaders> readers;    // once migrated, if the file has a name
  std::unique_ptr<SqliteSearchIndex> search;  // likewise
  // Held by a turn from its load to its write, and by every other change
  // to the texter (hold_texter).
  KeyedMutex texters;

  class Turn;

  // `read(connection)` on a read connection of its own (or, for a file
  // with no name to open again, on the writer's between its other uses).
  template <class Read>
  auto read(Read read) -> decltype(read(connection)) {
    if (readers) {
      auto lease = readers->take();
      if (!lease) return lease.error();
      return read(**lease);
    }
    std::lock_guard lock(mutex);
    auto result = read(connection);
    connection.finish_statements();
    return result;
  }

  // With the mutex not held: whether everything committed so far (all a
  // read may have seen) is on disk, once it is. The count is read under the
  // mutex, which a commit holds until it is counted.
  bool await_committed_durable() {
    std::uint64_t commits = 0;
    {
      std::lock_guard lock(mutex);
      commits = connection.commits();
    }
    return group->await_durable(commits);
  }

  // Its statement is reset at once: a migration cannot drop a table while
  // a statement of the connection is still running.
  int user_version() {
    SqlStatement& s = connection.prepare("PRAGMA user_version");
    const int version = s.step() == StepResult::row ? static_cast<int>(s.int64(0)) : -1;
    connection.finish_statements();
    return version;
  }

  // One version per transaction, the version read inside it: a second
  // process opening a new file at the same moment waits for the first and
  // then finds the work done.
  void migrate() {
    const auto migrations = schema_migrations(kSqliteSchema);
    const int want = static_cast<int>(migrations.size());
    for (;;) {
      SqlTransaction tx(connection);
      const int have = tx.began() ? user_version() : -1;
      if (have < 0) {
        throw std::runtime_error("cannot read the schema version: " + connection.error_message());
      }
      if (have > want) {
        throw std::runtime_error("database schema version " + std::to_string(have) +
                                 " is newer than this smscoach (" + std::to_string(want) + ")");
      }
      if (have == want) break;
      const std::string bump = "PRAGMA user_version = " + std::to_string(have + 1);
      if (!connection.exec(migrations[have].c_str()) || !connection.exec(bump.c_str()) ||
          !tx.commit()) {
        throw std::runtime_error("schema migration to version " + std::to_string(have + 1) +
                                 " failed: " + connection.error_message());
      }
    }
    connection.finish_statements();
  }

  std::string journal_mode() {
    SqlStatement& s = connection.prepare("PRAGMA journal_mode");
    std::string mode = s.step() == StepResult::row ? s.text(0) : "";
    connection.finish_statements();
    return mode;
  }

  // Commits stop flushing the WAL themselves (synchronous = NORMAL); the
  // group commit's flusher flushes it for them, off the connection. Where
  // the file is not in WAL mode or its -wal cannot be opened, commits stay
  // synchronous = FULL and the flusher has nothing left to do.
  void start_group_commit(const std::filesystem::path& path,
                          std::function<bool(int)> flush_wal) {
    sqlite3* db = connection.handle();
    if (journal_mode() == "wal") {
      if (const char* name = sqlite3_db_filename(db, "main"); name && *name) {
        wal = WalFile(sqlite3_filename_wal(name));
        readers = std::make_unique<SqliteReaders>(name);
        search = std::make_unique<SqliteSearchIndex>(name);
      }
    }
    SqliteGroupCommit::WalSync sync = [] { return true; };
    if (wal.fd() >= 0) {
      if (!connection.exec("PRAGMA synchronous = NORMAL")) {
        throw std::runtime_error("cannot configure database " + path.string() + ": " +
                                 sqlite3_errmsg(db));
      }
      checkpointer = std::make_unique<SqliteCheckpointer>(db, sqlite3_db_filename(db, "main"));
      if (!flush_wal) flush_wal = [](int fd) { return ::fdatasync(fd) == 0; };
      sync = [fd = wal.fd(), flush = std::move(flush_wal)] { return flush(fd); };
    }
    group = std::make_unique<SqliteGroupCommit>(connection, mutex, std::move(sync));
  }
};

SqliteStore::SqliteStore(const std::filesystem::path& path, SqliteOptions options)
    : SqlStore(kSqliteDialect), impl_(std::make_unique<Impl>()) {
  if (path.has_parent_path()) {
    std::error_code ec;
    std::filesystem::create_directories(path.parent_path(), ec);
    if (ec) throw std::runtime_error("cannot create " + path.parent_path().string() + ": " + ec.message());
  }
  sqlite3*& db = impl_->connection.handle();
  // NOMUTEX: every use holds Impl::mutex (the writer thread's batches,
  // acquire(), the migrations before any thread starts), so SQLite's own
  // lock on each call would only be taken uncontended, twice a call.
  if (sqlite3_open_v2(path.c_str(), &db,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                      wal_batching_vfs()) != SQLITE_OK) {
    throw std::runtime_error("cannot open database " + path.string() + ": " + sqlite3_errmsg(db));
  }
  sqlite3_busy_timeout(db, 5000);
  // WAL lets readers run beside the writer; FULL sync makes an acknowledged
  // text survive power loss, not just a crash. Switching a new file to WAL
  // needs it to itself and does not wait on the busy timeout, so a process
  // opening it at the same moment (a CLI beside a starting server) retries.
  bool wal = impl_->connection.exec("PRAGMA journal_mode = WAL");
  for (int tries = 0; !wal && tries < 500 && (sqlite3_errcode(db) == SQLITE_BUSY ||
                                              sqlite3_errcode(db) == SQLITE_LOCKED);
       ++tries) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    wal = impl_->connection.exec("PRAGMA journal_mode = WAL");
  }
  if (!wal || !impl_->connection.exec("PRAGMA synchronous = FULL") ||
      !impl_->connection.exec("PRAGMA temp_store = MEMORY") ||
      !impl_->connection.exec("PRAGMA foreign_keys = ON")) {
    throw std::runtime_error("cannot configure database " + path.string() + ": " +
                             sqlite3_errmsg(db));
  }
  impl_->migrate();
  impl_->start_group_commit(path, std::move(options.flush_wal));
}

SqliteStore::~SqliteStore() = default;

std::optional<GroupCommitFigures> SqliteStore::group_commit_figures() const {
  if (!impl_->group) return std::nullopt;
  GroupCommitFigures figures = impl_->group->figures();
  if (impl_->checkpointer) {
    const auto checkpoints = impl_->checkpointer->figures();
    figures.checkpoints = checkpoints.cycles;
    figures.checkpoint_frames = checkpoints.frames;
    figures.checkpoint_writer_frames = checkpoints.writer_frames;
  }
  return figures;
}

// A turn on SQLite: the texter held by a lock of this process (one process
// owns the file), its reads on a read connection, and the write joined to
// a group commit. No connection is held while the caller works out the
// turn.
class SqliteStore::Impl::Turn final : public TurnSession {
 public:
  Turn(Impl& store, KeyedMutex::Guard texter, std::string number)
      : store_(store), texter_(std::move(texter)), number_(std::move(number)) {}

  Expected<TexterState> load_texter() override {
    return store_.read([&](SqliteConnection& c) { return sql_detail::load(c, number_); });
  }
  Expected<int> inbound_count_since(std::int64_t since_ms) override {
    return store_.read(
        [&](SqliteConnection& c) { return sql_detail::count_inbound(c, number_, since_ms); });
  }
  Expected<RecordOutcome> record_turn(const TurnRecord& turn) override {
    return await_callback<Expected<RecordOutcome>>(
        [&](RecordDone done) { record_turn_then(turn, std::move(done)); });
  }
  void record_turn_then(const TurnRecord& turn, RecordDone done) override {
    if (turn.sms.message_sid.empty() || turn.sms.from.empty()) return done(sql_detail::bad_turn());
    if (turn.sms.from != number_) {
      return done(make_error(ErrorCode::internal, "a turn recorded in another texter's session"));
    }
    // The writer thread runs it later: it takes its own copy.
    store_.group->write_then(
        [turn](SqlConnection& c) { return sql_detail::record_locked_turn(c, turn); },
        std::move(done));
  }

 private:
  Impl& store_;
  KeyedMutex::Guard texter_;
  std::string number_;
};

Expected<std::unique_ptr<TurnSession>> SqliteStore::begin_turn(std::string_view number) {
  return std::unique_ptr<TurnSession>(
      std::make_unique<Impl::Turn>(*impl_, impl_->texters.lock(number), std::string(number)));
}

SqlStore::TexterHold SqliteStore::hold_texter(std::string_view number) {
  return std::make_shared<KeyedMutex::Guard>(impl_->texters.lock(number));
}

Expected<std::optional<std::vector<std::string>>> SqliteStore::processed_replies(
    std::string_view message_sid) {
  // Every text asks this first: on a read connection, beside the writer.
  // It sees committed turns only; a turn with this id still in the open
  // batch is caught when the turn is written (record_locked_turn). A hit
  // may be committed but not yet on disk, and answering a repeat from it
  // would acknowledge a text that could still be lost: it waits for that.
  auto found = impl_->read(
      [&](SqliteConnection& c) { return sql_detail::read_processed(c, message_sid); });
  if (!found || !found->has_value()) return found;
  if (!impl_->await_committed_durable()) {
    return make_error(ErrorCode::unavailable, "flushing the database to disk failed");
  }
  return found;
}

ConnectionLease SqliteStore::acquire() {
  impl_->mutex.lock();
  // Whatever this is for sees only committed turns.
  impl_->group->flush();
  const std::uint64_t commits_before = impl_->connection.commits();
  // What the caller commits is on disk before the lease is back: a staff
  // action is answered, an outbox row claimed for sending, only then.
  return ConnectionLease(&impl_->connection, [impl = impl_.get(), commits_before](SqlConnection*) {
    impl->connection.finish_statements();
    const std::uint64_t commits = impl->connection.commits();
    impl->mutex.unlock();
    if (commits > commits_before) impl->group->await_durable(commits);
  });
}

ConnectionLease SqliteStore::acquire_for_list(bool searching) {
  if (!impl_->search) return acquire();  // no file to keep an index beside: fails to prepare
  {
    // Staff see every turn so far, and a search finds them: the open
    // batch commits.
    std::lock_guard lock(impl_->mutex);
    impl_->group->flush();
  }
  // A first build of a large index may take longer: the search then finds
  // what is indexed so far rather than keep staff waiting.
  if (searching) impl_->search->catch_up(std::chrono::seconds(2));
  return impl_->search->searcher();
}

int SqliteStore::schema_version() {
  auto c = acquire();
  return impl_->user_version();
}

}  // namespace smscoach::dialogue

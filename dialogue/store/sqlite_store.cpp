// The SQLite backend of SqlStore: one connection, the schema's migrations,
// SQLite's dialect (FTS5 search), and turns written by group commit.

#include "dialogue/store/sqlite_store.hpp"
#include "dialogue/store/schema.hpp"
#include "dialogue/store/sql_store_detail.hpp"
#include "dialogue/store/sqlite_connection.hpp"
#include "dialogue/store/sqlite_group_commit.hpp"

#include <sqlite3.h>

#include <array>
#include <functional>
#include <chrono>
#include <mutex>
#include <thread>
#include <stdexcept>
#include <unordered_map>
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
    "(SELECT rowid FROM messages_fts WHERE messages_fts MATCH ?3))) "
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

}  // namespace

struct SqliteStore::Impl {
  std::mutex mutex;  // one connection, one caller at a time
  SqliteConnection connection;
  SqliteGroupCommit group{connection, mutex};
  // Turns of one texter one at a time (striped by number).
  std::array<std::mutex, 64> texter_locks;

  std::mutex& texter_lock(std::string_view number) {
    return texter_locks[std::hash<std::string_view>{}(number) % texter_locks.size()];
  }

  int user_version() {
    SqlStatement& s = connection.prepare("PRAGMA user_version");
    return s.step() == StepResult::row ? static_cast<int>(s.int64(0)) : -1;
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
    connection.index_search_on_commit();
  }
};

SqliteStore::SqliteStore(const std::filesystem::path& path)
    : SqlStore(kSqliteDialect), impl_(std::make_unique<Impl>()) {
  if (path.has_parent_path()) {
    std::error_code ec;
    std::filesystem::create_directories(path.parent_path(), ec);
    if (ec) throw std::runtime_error("cannot create " + path.parent_path().string() + ": " + ec.message());
  }
  sqlite3*& db = impl_->connection.handle();
  if (sqlite3_open_v2(path.c_str(), &db,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                      nullptr) != SQLITE_OK) {
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
}

SqliteStore::~SqliteStore() = default;

namespace {

// A turn on SQLite: the texter held by a lock of this process (one process
// owns the file), reads between turns of other texters, and the write
// joined to a group commit. No connection is held while the caller works
// out the turn.
class SqliteTurnSession final : public TurnSession {
 public:
  SqliteTurnSession(std::mutex& connection_mutex, SqliteConnection& connection,
                    SqliteGroupCommit& group, std::mutex& texter, std::string number)
      : connection_mutex_(connection_mutex),
        connection_(connection),
        group_(group),
        texter_(texter),
        number_(std::move(number)) {}

  Expected<TexterState> load_texter() override {
    std::lock_guard lock(connection_mutex_);
    auto state = sql_detail::load(connection_, number_);
    connection_.finish_statements();
    return state;
  }
  Expected<int> inbound_count_since(std::int64_t since_ms) override {
    std::lock_guard lock(connection_mutex_);
    auto count = sql_detail::count_inbound(connection_, number_, since_ms);
    connection_.finish_statements();
    return count;
  }
  Expected<RecordOutcome> record_turn(const TurnRecord& turn) override {
    if (turn.sms.message_sid.empty() || turn.sms.from.empty()) return sql_detail::bad_turn();
    if (turn.sms.from != number_) {
      return make_error(ErrorCode::internal, "a turn recorded in another texter's session");
    }
    return group_.write(
        [&](SqlConnection& c) { return sql_detail::record_locked_turn(c, turn); });
  }

 private:
  std::mutex& connection_mutex_;
  SqliteConnection& connection_;
  SqliteGroupCommit& group_;
  std::lock_guard<std::mutex> texter_;
  std::string number_;
};

}  // namespace

Expected<std::unique_ptr<TurnSession>> SqliteStore::begin_turn(std::string_view number) {
  return std::unique_ptr<TurnSession>(std::make_unique<SqliteTurnSession>(
      impl_->mutex, impl_->connection, impl_->group, impl_->texter_lock(number),
      std::string(number)));
}

Expected<std::optional<std::vector<std::string>>> SqliteStore::processed_replies(
    std::string_view message_sid) {
  const auto read = [&] {
    auto found = sql_detail::read_processed(impl_->connection, message_sid);
    impl_->connection.finish_statements();
    return found;
  };
  // Every text asks this first, so it must not end the open batch. A hit
  // may be a turn not yet on disk: answering a repeat from it would
  // acknowledge a text that could still be lost, so that batch commits
  // first and the answer is read again.
  std::lock_guard lock(impl_->mutex);
  auto found = read();
  if (!found || !found->has_value() || !impl_->group.open()) return found;
  impl_->group.flush();
  return read();
}

ConnectionLease SqliteStore::acquire() {
  impl_->mutex.lock();
  // Whatever this is for sees only committed turns.
  impl_->group.flush();
  return ConnectionLease(&impl_->connection, [impl = impl_.get()](SqlConnection*) {
    impl->connection.finish_statements();
    impl->mutex.unlock();
  });
}

int SqliteStore::schema_version() {
  auto c = acquire();
  return impl_->user_version();
}

}  // namespace smscoach::dialogue

// The SQLite backend of SqlStore: a connection with a statement cache, the
// schema's migrations, and SQLite's dialect (FTS5 search).

#include "dialogue/store/sqlite_store.hpp"
#include "dialogue/store/schema.hpp"

#include <sqlite3.h>

#include <mutex>
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
};

class SqliteStatement final : public SqlStatement {
 public:
  SqliteStatement(sqlite3* db, const char* sql) {
    if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt_, nullptr) != SQLITE_OK) {
      throw std::runtime_error(std::string("sqlite prepare: ") + sqlite3_errmsg(db) + " in " + sql);
    }
  }
  ~SqliteStatement() override { sqlite3_finalize(stmt_); }
  SqliteStatement(const SqliteStatement&) = delete;
  SqliteStatement& operator=(const SqliteStatement&) = delete;

  // Rebinds from scratch: the previous use is reset and its bindings cleared.
  SqliteStatement& start() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
    next_ = 1;
    return *this;
  }

  using SqlStatement::bind;
  SqlStatement& bind(std::string_view s) override {
    // A default string_view has no data pointer, which SQLite would bind as
    // NULL; text columns are NOT NULL, and empty means empty.
    sqlite3_bind_text(stmt_, next_++, s.data() ? s.data() : "", static_cast<int>(s.size()),
                      SQLITE_TRANSIENT);
    return *this;
  }
  SqlStatement& bind(std::int64_t v) override {
    sqlite3_bind_int64(stmt_, next_++, v);
    return *this;
  }
  SqlStatement& bind(double v) override {
    sqlite3_bind_double(stmt_, next_++, v);
    return *this;
  }
  SqlStatement& bind_null() override {
    sqlite3_bind_null(stmt_, next_++);
    return *this;
  }
  StepResult step() override {
    switch (sqlite3_step(stmt_)) {
      case SQLITE_ROW:
        return StepResult::row;
      case SQLITE_DONE:
        return StepResult::done;
      default:
        return StepResult::error;
    }
  }

  std::string text(int col) const override {
    const auto* p = sqlite3_column_text(stmt_, col);
    return p ? std::string(reinterpret_cast<const char*>(p),
                           static_cast<std::size_t>(sqlite3_column_bytes(stmt_, col)))
             : std::string();
  }
  std::int64_t int64(int col) const override { return sqlite3_column_int64(stmt_, col); }
  std::optional<double> optional_double(int col) const override {
    if (sqlite3_column_type(stmt_, col) == SQLITE_NULL) return std::nullopt;
    return sqlite3_column_double(stmt_, col);
  }

 private:
  sqlite3_stmt* stmt_ = nullptr;
  int next_ = 1;
};

class SqliteConnection final : public SqlConnection {
 public:
  ~SqliteConnection() override {
    statements_.clear();
    if (db_) sqlite3_close(db_);
  }

  sqlite3*& handle() { return db_; }

  SqlStatement& prepare(const char* sql) override {
    auto& slot = statements_[sql];
    if (!slot) slot = std::make_unique<SqliteStatement>(db_, sql);
    used_.push_back(slot.get());
    return slot->start();
  }
  bool exec(const char* sql) override {
    return sqlite3_exec(db_, sql, nullptr, nullptr, nullptr) == SQLITE_OK;
  }
  bool begin() override {
    finish_statements();
    return exec("BEGIN IMMEDIATE");
  }

  // A statement stopped on a row keeps a read transaction, and with it an
  // old snapshot, open: another process's write then makes our next BEGIN
  // IMMEDIATE fail at once ("database is locked"), and the WAL cannot be
  // checkpointed past it. Reset every statement used when an operation ends.
  void finish_statements() {
    for (auto* statement : used_) statement->start();
    used_.clear();
  }
  bool commit() override { return exec("COMMIT"); }
  void rollback() override { exec("ROLLBACK"); }
  // One process owns the file and BEGIN IMMEDIATE admits one writer at a
  // time: every transaction holds every texter already.
  bool lock_texter(std::string_view) override { return true; }
  std::string error_message() const override {
    return db_ ? sqlite3_errmsg(db_) : "no database";
  }

 private:
  sqlite3* db_ = nullptr;
  std::unordered_map<const char*, std::unique_ptr<SqliteStatement>> statements_;
  std::vector<SqliteStatement*> used_;  // since finish_statements()
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
  // text survive power loss, not just a crash.
  if (!impl_->connection.exec("PRAGMA journal_mode = WAL") ||
      !impl_->connection.exec("PRAGMA synchronous = FULL") ||
      !impl_->connection.exec("PRAGMA foreign_keys = ON")) {
    throw std::runtime_error("cannot configure database " + path.string() + ": " +
                             sqlite3_errmsg(db));
  }
  impl_->migrate();
}

SqliteStore::~SqliteStore() = default;

ConnectionLease SqliteStore::acquire() {
  impl_->mutex.lock();
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

#pragma once
// SQLite's side of SqlConnection: a connection with a cache of prepared
// statements. Private to dialogue/store/sqlite_*.cpp.

#include <sqlite3.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

#include "dialogue/store/sql_connection.hpp"

namespace smscoach::dialogue {

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
  SqlStatement& prepare_insert(const char* sql, const char*) override { return prepare(sql); }
  std::optional<Inserted> run_insert(SqlStatement& insert) override {
    if (insert.step() != StepResult::done) return std::nullopt;
    return Inserted{sqlite3_changes(db_) > 0, sqlite3_last_insert_rowid(db_)};
  }
  bool exec(const char* sql) override {
    return sqlite3_exec(db_, sql, nullptr, nullptr, nullptr) == SQLITE_OK;
  }
  bool begin() override {
    finish_statements();
    return run("BEGIN IMMEDIATE");
  }

  // A statement stopped on a row keeps a read transaction, and with it an
  // old snapshot, open: another process's write then makes our next BEGIN
  // IMMEDIATE fail at once ("database is locked"), and the WAL cannot be
  // checkpointed past it. Reset every statement used when an operation ends.
  void finish_statements() {
    for (auto* statement : used_) statement->start();
    used_.clear();
  }
  bool commit() override {
    if (!run("COMMIT")) return false;
    ++commits_;
    return true;
  }
  // Transactions committed on this connection so far; readable from any
  // thread (counted once each commit's WAL writes are done).
  std::uint64_t commits() const { return commits_.load(std::memory_order_acquire); }
  // One statement without parameters, prepared once: what every turn runs
  // (BEGIN, COMMIT, ROLLBACK) should not be parsed every time.
  bool run(const char* sql) {
    auto& s = static_cast<SqliteStatement&>(prepare(sql));
    const bool ok = s.run();
    s.start();
    return ok;
  }
  void rollback() override { run("ROLLBACK"); }
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
  std::atomic<std::uint64_t> commits_{0};
};

}  // namespace smscoach::dialogue

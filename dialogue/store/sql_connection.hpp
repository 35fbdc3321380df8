#pragma once
// What the store's logic needs from a SQL database, and no more: prepared
// statements with positional parameters, transactions, a per-texter lock.
// SQLite and PostgreSQL each implement it (sqlite_store.cpp,
// postgres_store.cpp), so the store's logic (sql_store.cpp, sql_admin.cpp)
// is written once and behaves the same on both. Private to dialogue/store/.
//
// SQL given to prepare() uses SQLite's placeholders, `?` (the next one) or
// `?N` (the Nth), never both in one statement; PostgreSQL's connection
// rewrites them to `$N`. Write SQL both databases accept: RETURNING, ON
// CONFLICT, CASE rather than two-argument MAX, CAST(? AS BIGINT) where a
// parameter's type cannot be inferred. An INSERT whose caller needs to know
// what it added goes through prepare_insert() instead of RETURNING.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace smscoach::dialogue {

enum class StepResult { row, done, error };

class SqlStatement {
 public:
  virtual ~SqlStatement() = default;

  virtual SqlStatement& bind(std::string_view text) = 0;
  virtual SqlStatement& bind(std::int64_t value) = 0;
  virtual SqlStatement& bind(double value) = 0;
  virtual SqlStatement& bind_null() = 0;
  SqlStatement& bind(const char* text) { return bind(std::string_view(text)); }
  SqlStatement& bind(const std::string& text) { return bind(std::string_view(text)); }
  SqlStatement& bind(std::optional<double> value) { return value ? bind(*value) : bind_null(); }

  // The first call runs the statement; each call moves to the next row.
  virtual StepResult step() = 0;
  // Runs it, ignoring any rows; false on an error. Inside a transaction a
  // connection may instead send it with the next statement whose rows are
  // read, or with the commit (PostgreSQL's pipeline): true then means sent,
  // and an error fails that later statement or the commit.
  virtual bool run() { return step() != StepResult::error; }

  // Columns of the current row. NULL reads as "" or 0.
  virtual std::string text(int col) const = 0;
  virtual std::int64_t int64(int col) const = 0;
  virtual std::optional<double> optional_double(int col) const = 0;
};

class SqlConnection {
 public:
  virtual ~SqlConnection() = default;

  // A statement ready for binding, its previous use finished. `sql` must be
  // a string literal: it keys a per-connection cache of prepared statements.
  virtual SqlStatement& prepare(const char* sql) = 0;
  // An INSERT of one row, without RETURNING (a string literal, which
  // prepare() may also take where nobody needs the new row): `returning` is
  // what identifies the new row, the table's {id} column, or a constant
  // where the caller gives the key. Bind it, then run it with run_insert().
  virtual SqlStatement& prepare_insert(const char* sql, const char* returning) = 0;
  struct Inserted {
    bool added = false;  // false: ON CONFLICT DO NOTHING met a row
    std::int64_t id = 0;
  };
  // Runs a statement from prepare_insert(); nullopt on an error. This reads
  // the row a RETURNING clause hands back; SQLite asks the connection
  // instead, as RETURNING there gathers the row in a temporary table first.
  virtual std::optional<Inserted> run_insert(SqlStatement& insert) {
    switch (insert.step()) {
      case StepResult::row: {
        const std::int64_t id = insert.int64(0);
        if (insert.step() != StepResult::done) return std::nullopt;
        return Inserted{true, id};
      }
      case StepResult::done:
        return Inserted{false, 0};
      case StepResult::error:
        break;
    }
    return std::nullopt;
  }
  // Runs SQL without parameters (several statements allowed); false on error.
  virtual bool exec(const char* sql) = 0;

  // A write transaction: SQLite takes its write lock at once (BEGIN
  // IMMEDIATE), so a transaction never fails half-way on a busy lock.
  virtual bool begin() = 0;
  virtual bool commit() = 0;
  virtual void rollback() = 0;

  // Inside a transaction: waits until no other transaction on the store,
  // in any process, holds this texter, and holds it until commit or
  // rollback. What keeps two instances from interleaving one texter's turns.
  virtual bool lock_texter(std::string_view number) = 0;

  // The last error, for messages.
  virtual std::string error_message() const = 0;
};

// A connection borrowed for one operation; returned when destroyed.
using ConnectionLease = std::unique_ptr<SqlConnection, std::function<void(SqlConnection*)>>;

// Rolls back unless committed, so an early return never leaves a
// transaction open.
class SqlTransaction {
 public:
  explicit SqlTransaction(SqlConnection& connection)
      : connection_(connection), open_(connection.begin()) {}
  ~SqlTransaction() {
    if (open_) connection_.rollback();
  }
  SqlTransaction(const SqlTransaction&) = delete;
  SqlTransaction& operator=(const SqlTransaction&) = delete;

  bool began() const { return open_; }
  bool commit() {
    if (!open_ || !connection_.commit()) return false;
    open_ = false;
    return true;
  }

 private:
  SqlConnection& connection_;
  bool open_;
};

}  // namespace smscoach::dialogue

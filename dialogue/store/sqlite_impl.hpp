#pragma once
// The SQLite store's private parts, shared by its .cpp files (turns and
// texters, the outbox, the staff view): one connection, prepared statements,
// transactions. Included only by dialogue/store/sqlite_*.cpp.

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "dialogue/store/sqlite_store.hpp"

namespace smscoach::dialogue {

namespace sqlite_detail {

inline Error db_error(sqlite3* db, std::string_view what) {
  return make_error(ErrorCode::unavailable,
                    std::string(what) + ": " + (db ? sqlite3_errmsg(db) : "no database"));
}

// A prepared statement, reset (not finalized) after each use so it is reused.
class Statement {
 public:
  Statement(sqlite3* db, const char* sql) : db_(db) {
    if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt_, nullptr) != SQLITE_OK) {
      throw std::runtime_error(std::string("sqlite prepare: ") + sqlite3_errmsg(db) + " in " + sql);
    }
  }
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  // Rebinds from scratch: the previous use is reset and its bindings cleared.
  Statement& start() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
    next_ = 1;
    return *this;
  }
  Statement& bind(std::string_view s) {
    // A default string_view has no data pointer, which SQLite would bind as
    // NULL; text columns are NOT NULL, and empty means empty.
    sqlite3_bind_text(stmt_, next_++, s.data() ? s.data() : "", static_cast<int>(s.size()),
                      SQLITE_TRANSIENT);
    return *this;
  }
  Statement& bind(std::int64_t v) {
    sqlite3_bind_int64(stmt_, next_++, v);
    return *this;
  }
  Statement& bind(double v) {
    sqlite3_bind_double(stmt_, next_++, v);
    return *this;
  }
  Statement& bind(std::optional<double> v) {
    if (v) return bind(*v);
    sqlite3_bind_null(stmt_, next_++);
    return *this;
  }
  // SQLITE_ROW, SQLITE_DONE or an error code.
  int step() { return sqlite3_step(stmt_); }
  bool run() {
    const int rc = step();
    return rc == SQLITE_DONE || rc == SQLITE_ROW;
  }

  std::string text(int col) const {
    const auto* p = sqlite3_column_text(stmt_, col);
    return p ? std::string(reinterpret_cast<const char*>(p),
                           static_cast<std::size_t>(sqlite3_column_bytes(stmt_, col)))
             : std::string();
  }
  std::int64_t int64(int col) const { return sqlite3_column_int64(stmt_, col); }
  std::optional<double> optional_double(int col) const {
    if (sqlite3_column_type(stmt_, col) == SQLITE_NULL) return std::nullopt;
    return sqlite3_column_double(stmt_, col);
  }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
  int next_ = 1;
};

inline std::string to_json_text(const std::vector<std::string>& list) {
  return nlohmann::json(list).dump();
}

inline std::vector<std::string> from_json_text(const std::string& text) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  std::vector<std::string> out;
  if (j.is_array()) {
    for (const auto& item : j) {
      if (item.is_string()) out.push_back(item.get<std::string>());
    }
  }
  return out;
}


}  // namespace sqlite_detail

using sqlite_detail::db_error;
using sqlite_detail::from_json_text;
using sqlite_detail::to_json_text;

struct SqliteStore::Impl {
  using Statement = sqlite_detail::Statement;
  sqlite3* db = nullptr;
  std::mutex mutex;  // one connection, one caller at a time
  std::unordered_map<const char*, std::unique_ptr<Statement>> statements;

  ~Impl() {
    statements.clear();
    if (db) sqlite3_close(db);
  }

  Statement& prepare(const char* sql) {
    auto& slot = statements[sql];
    if (!slot) slot = std::make_unique<Statement>(db, sql);
    return slot->start();
  }

  // Every row of a query, each made by make_row(statement).
  template <class Row, class MakeRow>
  Expected<std::vector<Row>> collect(Statement& s, std::string_view what, MakeRow make_row) {
    std::vector<Row> out;
    int rc;
    while ((rc = s.step()) == SQLITE_ROW) out.push_back(make_row(s));
    if (rc != SQLITE_DONE) return db_error(db, what);
    return out;
  }

  bool exec(const char* sql) { return sqlite3_exec(db, sql, nullptr, nullptr, nullptr) == SQLITE_OK; }

  // Rolls back unless committed, so an early return never leaves a transaction open.
  class Transaction {
   public:
    explicit Transaction(Impl& impl) : impl_(impl), open_(impl.exec("BEGIN IMMEDIATE")) {}
    ~Transaction() {
      if (open_) impl_.exec("ROLLBACK");
    }
    bool began() const { return open_; }
    bool commit() {
      if (!impl_.exec("COMMIT")) return false;
      open_ = false;
      return true;
    }

   private:
    Impl& impl_;
    bool open_;
  };

  int user_version() {
    Statement& s = prepare("PRAGMA user_version");
    return s.step() == SQLITE_ROW ? static_cast<int>(s.int64(0)) : -1;
  }

  // Brings the schema up to date (sqlite_store.cpp holds the migrations).
  void migrate();

  // False on a database error; `found` tells whether the number has a row.
  bool read_texter(std::string_view number, TexterState& state, bool& found) {
    Statement& s = prepare(
        "SELECT weight_kg, goal, medications, opted_out, mode, flagged, misses, holding_sent, "
        "weight_unit, conditions, pending, pending_subject, pending_until, last_supplement, "
        "more_text, age_years, handoff_reason, handoff_since FROM texters WHERE number = ?");
    s.bind(number);
    state = TexterState{};
    state.number = std::string(number);
    const int rc = s.step();
    found = rc == SQLITE_ROW;
    if (found) {
      state.weight_kg = s.optional_double(0);
      state.goal = s.text(1);
      state.medications = from_json_text(s.text(2));
      state.opted_out = s.int64(3) != 0;
      state.mode = parse_mode(s.text(4)).value_or(Mode::bot);
      state.flagged = s.int64(5) != 0;
      state.misses = static_cast<int>(s.int64(6));
      state.holding_sent = s.int64(7) != 0;
      state.weight_unit = s.text(8);
      state.conditions = from_json_text(s.text(9));
      state.pending = s.text(10);
      state.pending_subject = s.text(11);
      state.pending_until_ms = s.int64(12);
      state.last_supplement = s.text(13);
      state.more_text = s.text(14);
      if (const auto age = s.optional_double(15)) state.age_years = static_cast<int>(*age);
      state.handoff_reason = s.text(16);
      state.handoff_since_ms = s.int64(17);
    }
    return rc == SQLITE_ROW || rc == SQLITE_DONE;
  }

  bool write_texter(const TexterState& t, std::int64_t now_ms) {
    return prepare(
               "INSERT INTO texters (number, weight_kg, goal, medications, opted_out, mode, "
               "flagged, misses, holding_sent, weight_unit, conditions, pending, "
               "pending_subject, pending_until, last_supplement, more_text, age_years, "
               "handoff_reason, handoff_since, updated_at) "
               "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
               "ON CONFLICT (number) DO UPDATE SET weight_kg = excluded.weight_kg, "
               "goal = excluded.goal, medications = excluded.medications, "
               "opted_out = excluded.opted_out, mode = excluded.mode, flagged = excluded.flagged, "
               "misses = excluded.misses, holding_sent = excluded.holding_sent, "
               "weight_unit = excluded.weight_unit, conditions = excluded.conditions, "
               "pending = excluded.pending, pending_subject = excluded.pending_subject, "
               "pending_until = excluded.pending_until, last_supplement = excluded.last_supplement, "
               "more_text = excluded.more_text, age_years = excluded.age_years, "
               "handoff_reason = excluded.handoff_reason, handoff_since = excluded.handoff_since, "
               "updated_at = excluded.updated_at")
        .bind(t.number)
        .bind(t.weight_kg)
        .bind(t.goal)
        .bind(to_json_text(t.medications))
        .bind(std::int64_t{t.opted_out})
        .bind(to_string(t.mode))
        .bind(std::int64_t{t.flagged})
        .bind(std::int64_t{t.misses})
        .bind(std::int64_t{t.holding_sent})
        .bind(t.weight_unit)
        .bind(to_json_text(t.conditions))
        .bind(t.pending)
        .bind(t.pending_subject)
        .bind(t.pending_until_ms)
        .bind(t.last_supplement)
        .bind(t.more_text)
        .bind(t.age_years ? std::optional<double>(*t.age_years) : std::nullopt)
        .bind(t.handoff_reason)
        .bind(t.handoff_since_ms)
        .bind(now_ms)
        .run();
  }

  bool insert_message(std::string_view number, Direction dir, std::string_view body,
                      std::int64_t at_ms, std::string_view intent, std::optional<double> confidence,
                      std::string_view author, std::string_view sid) {
    return prepare(
               "INSERT INTO messages (number, direction, body, at_ms, intent, confidence, author, "
               "message_sid) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
        .bind(number)
        .bind(dir == Direction::in ? "in" : "out")
        .bind(body)
        .bind(at_ms)
        .bind(intent)
        .bind(confidence)
        .bind(author)
        .bind(sid)
        .run();
  }

  bool queue_outbound(std::string_view to, std::string_view from, std::string_view body,
                      std::int64_t message_id, bool confirms_opt_out, std::int64_t now_ms) {
    return prepare(
               "INSERT INTO outbox (number, from_number, body, message_id, confirms_opt_out, "
               "next_attempt_ms, created_ms, updated_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
        .bind(to)
        .bind(from)
        .bind(body)
        .bind(message_id)
        .bind(std::int64_t{confirms_opt_out})
        .bind(now_ms)
        .bind(now_ms)
        .bind(now_ms)
        .run();
  }

  // Runs `change` for an existing texter, with its audit entry, in one
  // transaction (sqlite_admin.cpp).
  template <class Change>
  Status audited(std::string_view number, const AuditEntry& entry, Change change);

  // Back to the bot: out of the handoff queue, with a clean slate.
  static void hand_back(TexterState& state) {
    state.mode = Mode::bot;
    state.flagged = false;
    state.handoff_reason.clear();
    state.handoff_since_ms = 0;
    state.holding_sent = false;
    state.misses = 0;
  }

  // The newest message of a conversation, for the staff list, and the
  // number the texter last wrote to (operator messages go out from it);
  // an empty `line` keeps the one known.
  bool touch_conversation(std::string_view number, std::int64_t at_ms, std::string_view text,
                          std::string_view line = {}) {
    return prepare("UPDATE texters SET last_at = ?1, last_text = ?2, "
                   "line_number = CASE WHEN ?3 = '' THEN line_number ELSE ?3 END "
                   "WHERE number = ?4")
        .bind(at_ms)
        .bind(text)
        .bind(line)
        .bind(number)
        .run();
  }

  bool write_audit(const AuditEntry& e) {
    return prepare("INSERT INTO audit_log (at_ms, actor, action, number, detail) "
                   "VALUES (?, ?, ?, ?, ?)")
        .bind(e.at_ms)
        .bind(e.actor)
        .bind(e.action)
        .bind(e.number)
        .bind(e.detail)
        .run();
  }

  // Nothing more goes to a texter who opted out, except the confirmation.
  bool cancel_waiting(std::string_view number, std::int64_t now_ms) {
    return prepare(
               "UPDATE outbox SET status = 'cancelled', error = 'recipient opted out', "
               "updated_ms = ? WHERE number = ? AND status = 'pending' AND confirms_opt_out = 0")
        .bind(now_ms)
        .bind(number)
        .run();
  }

  bool mark_opted_out(std::string_view number, std::int64_t now_ms) {
    bool found = false;
    TexterState state;
    if (!read_texter(number, state, found)) return false;
    state.opted_out = true;
    return write_texter(state, now_ms) && cancel_waiting(number, now_ms);
  }

  // Wipes what the texter told us and what we said; the opt-out choice stays.
  bool erase(std::string_view number, std::string_view keep_sid) {
    bool found = false;
    TexterState old;
    if (!read_texter(number, old, found)) return false;
    if (!prepare("DELETE FROM messages WHERE number = ?").bind(number).run()) return false;
    if (!prepare("DELETE FROM outbox WHERE number = ?").bind(number).run()) return false;
    if (!prepare("DELETE FROM notes WHERE number = ?").bind(number).run()) return false;
    if (!prepare("UPDATE processed_messages SET replies = '[]', number = '' "
                 "WHERE number = ? AND message_sid <> ?")
             .bind(number)
             .bind(keep_sid)
             .run()) {
      return false;
    }
    if (found && old.opted_out) {
      TexterState kept;
      kept.number = std::string(number);
      kept.opted_out = true;
      return write_texter(kept, 0) && touch_conversation(number, 0, "");
    }
    return prepare("DELETE FROM texters WHERE number = ?").bind(number).run();
  }
};

}  // namespace smscoach::dialogue

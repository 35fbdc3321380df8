#pragma once
// The store's private building blocks, shared by sql_store.cpp and
// sql_admin.cpp: texter rows, messages, outbox rows and audit entries read
// and written through any SqlConnection. Each returns false (or an empty
// optional) on a database error; the caller reports
// connection.error_message(). Included only by dialogue/store/sql_*.cpp.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dialogue/store/json_list.hpp"
#include "dialogue/store/sql_connection.hpp"
#include "dialogue/store/store.hpp"

namespace smscoach::dialogue::sql_detail {

inline Error db_error(const SqlConnection& c, std::string_view what) {
  return make_error(ErrorCode::unavailable, std::string(what) + ": " + c.error_message());
}

inline Error not_found(std::string_view number) {
  return make_error(ErrorCode::not_found, "no conversation with " + std::string(number));
}

inline std::string to_json_text(const std::vector<std::string>& list) {
  return json_list_text(list);
}

inline std::vector<std::string> from_json_text(const std::string& text) {
  if (text == "[]") return {};  // most texters' lists: no parser needed
  auto j = nlohmann::json::parse(text, nullptr, false);
  std::vector<std::string> out;
  if (j.is_array()) {
    for (const auto& item : j) {
      if (item.is_string()) out.push_back(item.get<std::string>());
    }
  }
  return out;
}

// Every row of a query, each made by make_row(statement).
template <class Row, class MakeRow>
Expected<std::vector<Row>> collect(SqlConnection& c, SqlStatement& s, std::string_view what,
                                   MakeRow make_row) {
  std::vector<Row> out;
  StepResult r;
  while ((r = s.step()) == StepResult::row) out.push_back(make_row(s));
  if (r == StepResult::error) return db_error(c, what);
  return out;
}

// False on a database error; `found` tells whether the number has a row.
inline bool read_texter(SqlConnection& c, std::string_view number, TexterState& state,
                        bool& found) {
  SqlStatement& s = c.prepare(
      "SELECT weight_kg, goal, medications, opted_out, mode, flagged, misses, holding_sent, "
      "weight_unit, conditions, pending, pending_subject, pending_until, last_supplement, "
      "more_text, age_years, handoff_reason, handoff_since FROM texters WHERE number = ?");
  s.bind(number);
  state = TexterState{};
  state.number = std::string(number);
  const StepResult r = s.step();
  found = r == StepResult::row;
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
  return r != StepResult::error;
}

// The newest message of a conversation, for the staff list, and the number
// the texter last wrote to (operator messages go out from it); an empty
// `line` keeps the one known.
struct ConversationTouch {
  std::int64_t at_ms = 0;
  std::string_view text;
  std::string_view line;
};

// One upsert of a texter row; `extra_*` add columns to it.
#define SMSCOACH_TEXTER_UPSERT(extra_columns, extra_values, extra_set)                          \
  "INSERT INTO texters (number, weight_kg, goal, medications, opted_out, mode, "                \
  "flagged, misses, holding_sent, weight_unit, conditions, pending, "                           \
  "pending_subject, pending_until, last_supplement, more_text, age_years, "                     \
  "handoff_reason, handoff_since, updated_at" extra_columns ") "                                \
  "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?" extra_values ") "         \
  "ON CONFLICT (number) DO UPDATE SET weight_kg = excluded.weight_kg, "                         \
  "goal = excluded.goal, medications = excluded.medications, "                                  \
  "opted_out = excluded.opted_out, mode = excluded.mode, flagged = excluded.flagged, "          \
  "misses = excluded.misses, holding_sent = excluded.holding_sent, "                            \
  "weight_unit = excluded.weight_unit, conditions = excluded.conditions, "                      \
  "pending = excluded.pending, pending_subject = excluded.pending_subject, "                    \
  "pending_until = excluded.pending_until, last_supplement = excluded.last_supplement, "        \
  "more_text = excluded.more_text, age_years = excluded.age_years, "                            \
  "handoff_reason = excluded.handoff_reason, handoff_since = excluded.handoff_since, "           \
  "updated_at = excluded.updated_at" extra_set

// The texter's state; with `touch`, the conversation's newest message in
// the same statement (a turn writes both).
inline bool write_texter(SqlConnection& c, const TexterState& t, std::int64_t now_ms,
                         const std::optional<ConversationTouch>& touch = std::nullopt) {
  SqlStatement& s =
      touch ? c.prepare(SMSCOACH_TEXTER_UPSERT(
                  ", last_at, last_text, line_number", ", ?, ?, ?",
                  ", last_at = excluded.last_at, last_text = excluded.last_text, "
                  "line_number = CASE WHEN excluded.line_number = '' THEN texters.line_number "
                  "ELSE excluded.line_number END"))
            : c.prepare(SMSCOACH_TEXTER_UPSERT("", "", ""));
  s.bind(t.number)
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
      .bind(now_ms);
  if (touch) s.bind(touch->at_ms).bind(touch->text).bind(touch->line);
  return s.run();
}

#undef SMSCOACH_TEXTER_UPSERT

constexpr const char* kMessageInsert =
    "INSERT INTO messages (number, direction, body, at_ms, intent, confidence, author, "
    "message_sid) VALUES (?, ?, ?, ?, ?, ?, ?, ?)";

inline SqlStatement& bind_message(SqlStatement& s, std::string_view number, Direction dir,
                                  std::string_view body, std::int64_t at_ms,
                                  std::string_view intent, std::optional<double> confidence,
                                  std::string_view author, std::string_view sid) {
  return s.bind(number)
      .bind(dir == Direction::in ? "in" : "out")
      .bind(body)
      .bind(at_ms)
      .bind(intent)
      .bind(confidence)
      .bind(author)
      .bind(sid);
}

// The new message's id; nullopt on a database error.
inline std::optional<std::int64_t> insert_message(SqlConnection& c, std::string_view number,
                                                  Direction dir, std::string_view body,
                                                  std::int64_t at_ms, std::string_view intent,
                                                  std::optional<double> confidence,
                                                  std::string_view author, std::string_view sid) {
  SqlStatement& s = c.prepare_insert(kMessageInsert, "id");
  bind_message(s, number, dir, body, at_ms, intent, confidence, author, sid);
  const auto inserted = c.run_insert(s);
  if (!inserted || !inserted->added) return std::nullopt;
  return inserted->id;
}

// The same where nobody needs the id: in a transaction on PostgreSQL it
// goes with the commit rather than costing a round trip of its own.
inline bool insert_message_without_id(SqlConnection& c, std::string_view number, Direction dir,
                                      std::string_view body, std::int64_t at_ms,
                                      std::string_view intent, std::optional<double> confidence,
                                      std::string_view author, std::string_view sid) {
  SqlStatement& s = c.prepare(kMessageInsert);
  return bind_message(s, number, dir, body, at_ms, intent, confidence, author, sid).run();
}

inline bool queue_outbound(SqlConnection& c, std::string_view to, std::string_view from,
                           std::string_view body, std::int64_t message_id, bool confirms_opt_out,
                           std::int64_t now_ms) {
  return c.prepare(
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

// A message from us stored and queued to the outbox, from `line`.
inline bool store_and_queue(SqlConnection& c, std::string_view number, std::string_view line,
                            std::string_view body, std::int64_t now_ms, std::string_view intent,
                            std::string_view author) {
  const auto id =
      insert_message(c, number, Direction::out, body, now_ms, intent, std::nullopt, author, "");
  return id && queue_outbound(c, number, line, body, *id, false, now_ms);
}

// Back to the bot: out of the handoff queue, with a clean slate.
inline void hand_back(TexterState& state) {
  state.mode = Mode::bot;
  state.flagged = false;
  state.handoff_reason.clear();
  state.handoff_since_ms = 0;
  state.holding_sent = false;
  state.misses = 0;
}

// The conversation's newest message alone (ConversationTouch).
inline bool touch_conversation(SqlConnection& c, std::string_view number, std::int64_t at_ms,
                               std::string_view text, std::string_view line = {}) {
  return c.prepare("UPDATE texters SET last_at = ?1, last_text = ?2, "
                   "line_number = CASE WHEN ?3 = '' THEN line_number ELSE ?3 END "
                   "WHERE number = ?4")
      .bind(at_ms)
      .bind(text)
      .bind(line)
      .bind(number)
      .run();
}

inline bool mark_operator_activity(SqlConnection& c, std::string_view number,
                                   std::int64_t now_ms) {
  return c.prepare("UPDATE texters SET last_operator_at = ? WHERE number = ?")
      .bind(now_ms)
      .bind(number)
      .run();
}

inline bool write_audit(SqlConnection& c, const AuditEntry& e) {
  return c.prepare("INSERT INTO audit_log (at_ms, actor, action, number, detail) "
                   "VALUES (?, ?, ?, ?, ?)")
      .bind(e.at_ms)
      .bind(e.actor)
      .bind(e.action)
      .bind(e.number)
      .bind(e.detail)
      .run();
}

// Nothing more goes to a texter who opted out, except the confirmation.
inline bool cancel_waiting(SqlConnection& c, std::string_view number, std::int64_t now_ms) {
  return c.prepare("UPDATE outbox SET status = 'cancelled', error = 'recipient opted out', "
                   "updated_ms = ? WHERE number = ? AND status = 'pending' "
                   "AND confirms_opt_out = 0")
      .bind(now_ms)
      .bind(number)
      .run();
}

// Needs the texter locked (SqlConnection::lock_texter).
inline bool mark_opted_out(SqlConnection& c, std::string_view number, std::int64_t now_ms) {
  bool found = false;
  TexterState state;
  if (!read_texter(c, number, state, found)) return false;
  state.opted_out = true;
  return write_texter(c, state, now_ms) && cancel_waiting(c, number, now_ms);
}

// Wipes what the texter told us and what we said; the opt-out choice stays.
// Needs the texter locked.
inline bool erase(SqlConnection& c, std::string_view number, std::string_view keep_sid) {
  bool found = false;
  TexterState old;
  if (!read_texter(c, number, old, found)) return false;
  // The message ids stay (a repeat of one is still not a new text); what
  // they were answered with goes. Found through the texter's own texts,
  // so before those go.
  if (!c.prepare("UPDATE processed_messages SET replies = '[]', number = '' "
                 "WHERE message_sid IN (SELECT message_sid FROM messages WHERE number = ?1 "
                 "AND direction = 'in' AND message_sid IS NOT NULL AND message_sid <> ?2)")
           .bind(number)
           .bind(keep_sid)
           .run()) {
    return false;
  }
  if (!c.prepare("DELETE FROM messages WHERE number = ?").bind(number).run()) return false;
  if (!c.prepare("DELETE FROM outbox WHERE number = ?").bind(number).run()) return false;
  if (!c.prepare("DELETE FROM notes WHERE number = ?").bind(number).run()) return false;
  if (found && old.opted_out) {
    TexterState kept;
    kept.number = std::string(number);
    kept.opted_out = true;
    return write_texter(c, kept, 0, ConversationTouch{});
  }
  return c.prepare("DELETE FROM texters WHERE number = ?").bind(number).run();
}

// A turn written whole, in a transaction that holds the texter
// (sql_store.cpp): the message id claimed (a duplicate writes nothing and
// returns the first replies), the inbound text, the replies and their
// outbox rows, the new state.
Expected<RecordOutcome> record_locked_turn(SqlConnection& c, const TurnRecord& turn);
Expected<TexterState> load(SqlConnection& c, std::string_view number);
// The replies first given to a message id; nullopt if it was never processed.
Expected<std::optional<std::vector<std::string>>> read_processed(SqlConnection& c,
                                                                 std::string_view message_sid);
Expected<int> count_inbound(SqlConnection& c, std::string_view number, std::int64_t since_ms);
Error bad_turn();

}  // namespace smscoach::dialogue::sql_detail

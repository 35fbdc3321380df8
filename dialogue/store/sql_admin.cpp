// The staff side of the store: conversation lists and search, the handoff
// queue, takeover and hand-back, operator messages, notes, relabels, export
// and erase, each action audited in its own transaction.

#include <algorithm>
#include <cctype>
#include <charconv>

#include "dialogue/store/sql_store.hpp"
#include "dialogue/store/sql_store_detail.hpp"

namespace smscoach::dialogue {

namespace {

using namespace sql_detail;

ConversationSummary summary_from(const SqlStatement& row) {
  ConversationSummary s;
  s.number = row.text(0);
  s.mode = row.text(1);
  s.flagged = row.int64(2) != 0;
  s.opted_out = row.int64(3) != 0;
  s.last_at_ms = row.int64(4);
  s.last_text = row.text(5);
  s.reason = row.text(6);
  s.waiting_since_ms = row.int64(7);
  return s;
}

// Cursor "LAST_AT:NUMBER": the last row of the previous page.
struct Cursor {
  std::int64_t last_at = 0;
  std::string number;
};

std::optional<Cursor> parse_cursor(std::string_view text) {
  const auto colon = text.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == text.size()) return {};
  Cursor c;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + colon, c.last_at);
  if (ec != std::errc{} || end != text.data() + colon) return {};
  c.number = std::string(text.substr(colon + 1));
  return c;
}

}  // namespace

std::vector<std::string> search_words(std::string_view text) {
  std::vector<std::string> words(1);
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || u >= 0x80) {
      words.back() += c;
    } else if (!words.back().empty()) {
      words.emplace_back();
    }
  }
  if (words.back().empty()) words.pop_back();
  return words;
}

Expected<ConversationPage> SqlStore::list_conversations(const ConversationQuery& query) {
  std::optional<Cursor> cursor;
  if (!query.cursor.empty()) {
    cursor = parse_cursor(query.cursor);
    if (!cursor) return make_error(ErrorCode::bad_input, "invalid cursor");
  }
  const int limit = std::clamp(query.limit, 1, 200);
  const std::string match = dialect_.search_query(query.text);

  auto c = acquire_for_list(!match.empty());
  SqlStatement& s = c->prepare(dialect_.list_conversations);
  s.bind(query.mode.value_or(""))
      .bind(std::int64_t{query.flagged ? (*query.flagged ? 1 : 0) : -1})
      .bind(match)
      .bind(std::int64_t{cursor.has_value()})
      .bind(cursor ? cursor->last_at : std::int64_t{0})
      .bind(cursor ? cursor->number : std::string())
      .bind(std::int64_t{limit + 1});
  auto rows = collect<ConversationSummary>(*c, s, "listing conversations", summary_from);
  if (!rows) return rows.error();
  ConversationPage page;
  page.conversations = std::move(*rows);
  if (page.conversations.size() > static_cast<std::size_t>(limit)) {
    page.conversations.resize(static_cast<std::size_t>(limit));
    const auto& last = page.conversations.back();
    page.next_cursor = std::to_string(last.last_at_ms) + ":" + last.number;
  }
  return page;
}

Expected<std::vector<ConversationSummary>> SqlStore::handoffs() {
  auto c = acquire();
  SqlStatement& s = c->prepare(
      "SELECT number, mode, flagged, opted_out, last_at, last_text, handoff_reason, "
      "handoff_since FROM texters WHERE mode = 'human' OR flagged = 1 "
      "ORDER BY handoff_since ASC, number ASC");
  return collect<ConversationSummary>(*c, s, "listing handoffs", summary_from);
}

Expected<ConversationDetail> SqlStore::conversation(std::string_view number) {
  auto c = acquire();
  ConversationDetail out;
  {
    SqlStatement& s = c->prepare(
        "SELECT number, mode, flagged, opted_out, last_at, last_text, handoff_reason, "
        "handoff_since FROM texters WHERE number = ?");
    s.bind(number);
    const StepResult r = s.step();
    if (r == StepResult::done) return not_found(number);
    if (r == StepResult::error) return db_error(*c, "reading conversation");
    out.summary = summary_from(s);
  }
  bool found = false;
  TexterState state;
  if (!read_texter(*c, number, state, found)) return db_error(*c, "reading texter");
  out.weight_kg = state.weight_kg;
  out.goal = state.goal;
  out.medications = state.medications;

  // A reply sent through the REST API shows how far it got.
  SqlStatement& m = c->prepare(
      "SELECT m.id, m.direction, m.body, m.at_ms, m.intent, m.author, m.relabel, "
      "COALESCE(NULLIF(o.delivery_status, ''), o.status, '') FROM messages AS m "
      "LEFT JOIN outbox AS o ON o.message_id = m.id WHERE m.number = ? ORDER BY m.id");
  m.bind(number);
  auto messages = collect<ConversationMessage>(*c, m, "reading messages", [](const SqlStatement& r) {
    return ConversationMessage{r.int64(0), r.text(1), r.text(2), r.int64(3),
                               r.text(4),  r.text(5), r.text(6), r.text(7)};
  });
  if (!messages) return messages.error();
  out.messages = std::move(*messages);

  SqlStatement& n =
      c->prepare("SELECT id, author, body, at_ms FROM notes WHERE number = ? ORDER BY id");
  n.bind(number);
  auto notes = collect<ConversationNote>(*c, n, "reading notes", [](const SqlStatement& r) {
    return ConversationNote{r.int64(0), r.text(1), r.text(2), r.int64(3)};
  });
  if (!notes) return notes.error();
  out.notes = std::move(*notes);
  return out;
}

// Runs `change(connection, state)` for an existing texter, locked, in one
// transaction with its audit entry.
template <class Change>
Status SqlStore::audited(std::string_view number, const AuditEntry& entry, Change change) {
  const auto hold = hold_texter(number);
  auto c = acquire();
  SqlTransaction tx(*c);
  if (!tx.began() || !c->lock_texter(number)) return db_error(*c, "begin");
  bool found = false;
  TexterState state;
  if (!read_texter(*c, number, state, found)) return db_error(*c, "reading texter");
  if (!found) return not_found(number);
  if (Status changed = change(*c, state); !changed) return changed;
  if (!write_audit(*c, entry)) return db_error(*c, "writing audit log");
  if (!tx.commit()) return db_error(*c, "commit");
  return Ok{};
}

Status SqlStore::take_over(std::string_view number, std::string_view actor, std::int64_t now_ms) {
  return audited(number, {now_ms, std::string(actor), "takeover", std::string(number), ""},
                 [&](SqlConnection& c, TexterState& state) -> Status {
                   if (state.handoff_reason.empty()) state.handoff_reason = "taken over by staff";
                   if (state.handoff_since_ms == 0) state.handoff_since_ms = now_ms;
                   state.mode = Mode::human;
                   // A person has it now: no bot holding message either, compliance aside.
                   state.holding_sent = true;
                   if (!write_texter(c, state, now_ms) ||
                       !mark_operator_activity(c, number, now_ms)) {
                     return db_error(c, "taking over");
                   }
                   return Ok{};
                 });
}

Status SqlStore::release(std::string_view number, std::string_view actor, std::int64_t now_ms) {
  return audited(number, {now_ms, std::string(actor), "release", std::string(number), ""},
                 [&](SqlConnection& c, TexterState& state) -> Status {
                   hand_back(state);
                   if (!write_texter(c, state, now_ms)) return db_error(c, "handing back");
                   return Ok{};
                 });
}

Status SqlStore::send_operator_message(std::string_view number, std::string_view operator_name,
                                       std::string_view body, std::int64_t now_ms) {
  const std::string author = "operator:" + std::string(operator_name);
  return audited(
      number, {now_ms, author, "message", std::string(number), ""},
      [&](SqlConnection& c, TexterState& state) -> Status {
        if (state.opted_out) {
          return make_error(ErrorCode::conflict, "the texter opted out: nothing may be sent");
        }
        std::string line;
        {
          SqlStatement& s = c.prepare("SELECT line_number FROM texters WHERE number = ?");
          s.bind(number);
          if (s.step() == StepResult::row) line = s.text(0);
        }
        if (line.empty()) {
          return make_error(ErrorCode::conflict, "no number to send from: the texter never wrote in");
        }
        // A person is answering: the bot stays out of the way.
        if (state.mode != Mode::human) {
          state.mode = Mode::human;
          if (state.handoff_reason.empty()) state.handoff_reason = "staff wrote first";
          if (state.handoff_since_ms == 0) state.handoff_since_ms = now_ms;
        }
        state.holding_sent = true;
        if (!write_texter(c, state, now_ms) ||
            !store_and_queue(c, number, line, body, now_ms, "", author) ||
            !touch_conversation(c, number, now_ms, body) ||
            !mark_operator_activity(c, number, now_ms)) {
          return db_error(c, "queueing operator message");
        }
        return Ok{};
      });
}

Status SqlStore::add_note(std::string_view number, std::string_view author, std::string_view body,
                          std::int64_t now_ms) {
  return audited(number, {now_ms, std::string(author), "note", std::string(number), ""},
                 [&](SqlConnection& c, TexterState&) -> Status {
                   if (!c.prepare("INSERT INTO notes (number, author, body, at_ms) "
                                  "VALUES (?, ?, ?, ?)")
                            .bind(number)
                            .bind(author)
                            .bind(body)
                            .bind(now_ms)
                            .run()) {
                     return db_error(c, "adding note");
                   }
                   return Ok{};
                 });
}

Status SqlStore::relabel(std::int64_t message_id, std::string_view intent, std::string_view actor,
                         std::int64_t now_ms) {
  std::string number;
  {
    auto c = acquire();
    SqlStatement& s = c->prepare("SELECT number FROM messages WHERE id = ? AND direction = 'in'");
    s.bind(message_id);
    const StepResult r = s.step();
    if (r == StepResult::done) {
      return make_error(ErrorCode::not_found, "no inbound message " + std::to_string(message_id));
    }
    if (r == StepResult::error) return db_error(*c, "reading message");
    number = s.text(0);
  }
  const std::string detail =
      "message " + std::to_string(message_id) + " relabelled " + std::string(intent);
  return audited(number, {now_ms, std::string(actor), "relabel", number, detail},
                 [&](SqlConnection& c, TexterState&) -> Status {
                   SqlStatement& s =
                       c.prepare("UPDATE messages SET relabel = ? WHERE id = ? RETURNING id");
                   s.bind(intent).bind(message_id);
                   switch (s.step()) {
                     case StepResult::row:
                       return s.run() ? Status(Ok{}) : db_error(c, "relabelling");
                     case StepResult::done:  // erased meanwhile
                       return make_error(ErrorCode::not_found,
                                         "no inbound message " + std::to_string(message_id));
                     case StepResult::error:
                       break;
                   }
                   return db_error(c, "relabelling");
                 });
}

Expected<std::vector<RelabelRow>> SqlStore::relabels() {
  auto c = acquire();
  SqlStatement& s = c->prepare(
      "SELECT body, relabel FROM messages WHERE relabel <> '' AND direction = 'in' ORDER BY id");
  return collect<RelabelRow>(*c, s, "reading relabels", [](const SqlStatement& r) {
    return RelabelRow{r.text(0), r.text(1)};
  });
}

Status SqlStore::export_messages(std::int64_t since_ms,
                                 const std::function<bool(const ExportRow&)>& sink) {
  // A page at a time, the connection given back between pages: a long
  // export must not hold up the texts arriving meanwhile.
  constexpr std::int64_t kPage = 500;
  std::int64_t after_at = since_ms;
  std::int64_t after_id = -1;
  for (;;) {
    std::vector<std::pair<ExportRow, std::int64_t>> page;
    {
      auto c = acquire();
      SqlStatement& s = c->prepare(
          "SELECT number, direction, body, at_ms, intent, author, id FROM messages "
          "WHERE at_ms > ? OR (at_ms = ? AND id > ?) ORDER BY at_ms, id LIMIT ?");
      s.bind(after_id < 0 ? after_at - 1 : after_at).bind(after_at).bind(after_id).bind(kPage);
      auto rows = collect<std::pair<ExportRow, std::int64_t>>(
          *c, s, "exporting", [](const SqlStatement& r) {
            return std::pair{ExportRow{r.text(0), r.text(1), r.text(2), r.int64(3), r.text(4),
                                       r.text(5)},
                             r.int64(6)};
          });
      if (!rows) return rows.error();
      page = std::move(*rows);
    }
    for (const auto& [row, id] : page) {
      if (!sink(row)) return Ok{};
      after_at = row.at_ms;
      after_id = id;
    }
    if (page.size() < static_cast<std::size_t>(kPage)) return Ok{};
  }
}

Status SqlStore::erase(std::string_view number, std::string_view actor, std::int64_t now_ms) {
  return audited(number, {now_ms, std::string(actor), "erase", std::string(number), ""},
                 [&](SqlConnection& c, TexterState&) -> Status {
                   if (!sql_detail::erase(c, number, "")) return db_error(c, "erasing");
                   return Ok{};
                 });
}

Status SqlStore::audit(const AuditEntry& entry) {
  auto c = acquire();
  if (!write_audit(*c, entry)) return db_error(*c, "writing audit log");
  return Ok{};
}

Expected<std::vector<AuditEntry>> SqlStore::audit_log(int limit) {
  auto c = acquire();
  SqlStatement& s = c->prepare(
      "SELECT at_ms, actor, action, number, detail FROM audit_log ORDER BY id DESC LIMIT ?");
  s.bind(std::int64_t{std::clamp(limit, 1, 10000)});
  return collect<AuditEntry>(*c, s, "reading audit log", [](const SqlStatement& r) {
    return AuditEntry{r.int64(0), r.text(1), r.text(2), r.text(3), r.text(4)};
  });
}

// Idle: in human mode, and neither the handoff nor the last operator
// message is as recent as idle_since_ms.
#define SMSCOACH_IDLE_HANDOFF                                                     \
  "mode = 'human' AND CASE WHEN last_operator_at > handoff_since THEN last_operator_at " \
  "ELSE handoff_since END < "

Expected<std::vector<std::string>> SqlStore::idle_handoffs(std::int64_t idle_since_ms) {
  auto c = acquire();
  SqlStatement& s = c->prepare(
      "SELECT number FROM texters WHERE " SMSCOACH_IDLE_HANDOFF "? ORDER BY number");
  s.bind(idle_since_ms);
  return collect<std::string>(*c, s, "reading idle handoffs",
                              [](const SqlStatement& r) { return r.text(0); });
}

Expected<bool> SqlStore::release_idle(std::string_view number, std::int64_t idle_since_ms,
                                      std::string_view notice, std::int64_t now_ms) {
  const auto hold = hold_texter(number);
  auto c = acquire();
  SqlTransaction tx(*c);
  if (!tx.began() || !c->lock_texter(number)) return db_error(*c, "begin");
  std::string line;
  {
    // Checked again under the lock: an operator may have written meanwhile.
    SqlStatement& s = c->prepare(
        "SELECT line_number FROM texters WHERE number = ? AND " SMSCOACH_IDLE_HANDOFF "?");
    s.bind(number).bind(idle_since_ms);
    const StepResult r = s.step();
    if (r == StepResult::done) return false;
    if (r == StepResult::error) return db_error(*c, "reading texter");
    line = s.text(0);
  }
  bool found = false;
  TexterState state;
  if (!read_texter(*c, number, state, found)) return db_error(*c, "reading texter");
  hand_back(state);
  if (!write_texter(*c, state, now_ms)) return db_error(*c, "handing back");
  if (!notice.empty() && !state.opted_out && !line.empty()) {
    if (!store_and_queue(*c, number, line, notice, now_ms, "human_timeout", "bot") ||
        !touch_conversation(*c, number, now_ms, notice)) {
      return db_error(*c, "telling the texter");
    }
  }
  if (!write_audit(*c, {now_ms, "bot", "auto_release", std::string(number),
                        "no operator message since " + std::to_string(idle_since_ms)})) {
    return db_error(*c, "writing audit log");
  }
  if (!tx.commit()) return db_error(*c, "commit");
  return true;
}

#undef SMSCOACH_IDLE_HANDOFF

}  // namespace smscoach::dialogue

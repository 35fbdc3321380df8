// The staff side of the SQLite store: conversation lists and search, the
// handoff queue, takeover and hand-back, operator messages, notes, relabels,
// export and erase, each action audited in its own transaction.

#include <algorithm>
#include <cctype>
#include <charconv>

#include "dialogue/store/sqlite_impl.hpp"
#include "dialogue/store/sqlite_store.hpp"

namespace smscoach::dialogue {

namespace {

using sqlite_detail::Statement;

constexpr const char* kSummaryColumns =
    "number, mode, flagged, opted_out, last_at, last_text, handoff_reason, handoff_since";

ConversationSummary summary_from(const Statement& row) {
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

// Free text to an FTS5 query: each word a quoted prefix term, all required.
// Quoting keeps FTS5's own syntax (AND, NEAR, column filters) out of reach of
// whatever staff type.
std::string fts_query(std::string_view text) {
  std::string out;
  std::string word;
  const auto flush = [&] {
    if (word.empty()) return;
    if (!out.empty()) out += ' ';
    out += '"' + word + "\"*";
    word.clear();
  };
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || u >= 0x80) {
      word += c;
    } else {
      flush();
    }
  }
  flush();
  return out;
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

Error not_found(std::string_view number) {
  return make_error(ErrorCode::not_found, "no conversation with " + std::string(number));
}

}  // namespace

Expected<ConversationPage> SqliteStore::list_conversations(const ConversationQuery& query) {
  std::optional<Cursor> cursor;
  if (!query.cursor.empty()) {
    cursor = parse_cursor(query.cursor);
    if (!cursor) return make_error(ErrorCode::bad_input, "invalid cursor");
  }
  const int limit = std::clamp(query.limit, 1, 200);
  const std::string match = fts_query(query.text);

  std::lock_guard lock(impl_->mutex);
  Statement& s = impl_->prepare(
      "SELECT number, mode, flagged, opted_out, last_at, last_text, handoff_reason, "
      "handoff_since FROM texters "
      "WHERE last_at > 0 AND (?1 = '' OR mode = ?1) AND (?2 < 0 OR flagged = ?2) "
      "AND (?3 = '' OR number IN (SELECT m.number FROM messages AS m WHERE m.id IN "
      "(SELECT rowid FROM messages_fts WHERE messages_fts MATCH ?3))) "
      "AND (?4 = 0 OR last_at < ?5 OR (last_at = ?5 AND number > ?6)) "
      "ORDER BY last_at DESC, number ASC LIMIT ?7");
  s.bind(query.mode.value_or(""))
      .bind(std::int64_t{query.flagged ? (*query.flagged ? 1 : 0) : -1})
      .bind(match)
      .bind(std::int64_t{cursor.has_value()})
      .bind(cursor ? cursor->last_at : std::int64_t{0})
      .bind(cursor ? cursor->number : std::string())
      .bind(std::int64_t{limit + 1});
  auto rows = impl_->collect<ConversationSummary>(s, "listing conversations", summary_from);
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

Expected<std::vector<ConversationSummary>> SqliteStore::handoffs() {
  std::lock_guard lock(impl_->mutex);
  Statement& s = impl_->prepare(
      "SELECT number, mode, flagged, opted_out, last_at, last_text, handoff_reason, "
      "handoff_since FROM texters WHERE mode = 'human' OR flagged = 1 "
      "ORDER BY handoff_since ASC, number ASC");
  return impl_->collect<ConversationSummary>(s, "listing handoffs", summary_from);
}

Expected<ConversationDetail> SqliteStore::conversation(std::string_view number) {
  std::lock_guard lock(impl_->mutex);
  ConversationDetail out;
  {
    Statement& s = impl_->prepare(
        "SELECT number, mode, flagged, opted_out, last_at, last_text, handoff_reason, "
        "handoff_since FROM texters WHERE number = ?");
    s.bind(number);
    const int rc = s.step();
    if (rc == SQLITE_DONE) return not_found(number);
    if (rc != SQLITE_ROW) return db_error(impl_->db, "reading conversation");
    out.summary = summary_from(s);
  }
  bool found = false;
  TexterState state;
  if (!impl_->read_texter(number, state, found)) return db_error(impl_->db, "reading texter");
  out.weight_kg = state.weight_kg;
  out.goal = state.goal;
  out.medications = state.medications;

  // A reply sent through the REST API shows how far it got.
  Statement& m = impl_->prepare(
      "SELECT m.id, m.direction, m.body, m.at_ms, m.intent, m.author, m.relabel, "
      "COALESCE(NULLIF(o.delivery_status, ''), o.status, '') FROM messages AS m "
      "LEFT JOIN outbox AS o ON o.message_id = m.id WHERE m.number = ? ORDER BY m.id");
  m.bind(number);
  auto messages = impl_->collect<ConversationMessage>(m, "reading messages", [](const Statement& r) {
    return ConversationMessage{r.int64(0), r.text(1), r.text(2), r.int64(3),
                               r.text(4),  r.text(5), r.text(6), r.text(7)};
  });
  if (!messages) return messages.error();
  out.messages = std::move(*messages);

  Statement& n =
      impl_->prepare("SELECT id, author, body, at_ms FROM notes WHERE number = ? ORDER BY id");
  n.bind(number);
  auto notes = impl_->collect<ConversationNote>(n, "reading notes", [](const Statement& r) {
    return ConversationNote{r.int64(0), r.text(1), r.text(2), r.int64(3)};
  });
  if (!notes) return notes.error();
  out.notes = std::move(*notes);
  return out;
}

// Runs `change` for an existing texter in one transaction with its audit entry.
template <class Change>
Status SqliteStore::Impl::audited(std::string_view number, const AuditEntry& entry, Change change) {
  Transaction tx(*this);
  if (!tx.began()) return db_error(db, "begin");
  bool found = false;
  TexterState state;
  if (!read_texter(number, state, found)) return db_error(db, "reading texter");
  if (!found) return not_found(number);
  if (Status changed = change(state); !changed) return changed;
  if (!write_audit(entry)) return db_error(db, "writing audit log");
  if (!tx.commit()) return db_error(db, "commit");
  return Ok{};
}

Status SqliteStore::take_over(std::string_view number, std::string_view actor,
                              std::int64_t now_ms) {
  std::lock_guard lock(impl_->mutex);
  return impl_->audited(
      number, {now_ms, std::string(actor), "takeover", std::string(number), ""},
      [&](TexterState& state) -> Status {
        if (state.handoff_reason.empty()) state.handoff_reason = "taken over by staff";
        if (state.handoff_since_ms == 0) state.handoff_since_ms = now_ms;
        state.mode = Mode::human;
        // A person has it now: no bot holding message either, compliance aside.
        state.holding_sent = true;
        if (!impl_->write_texter(state, now_ms) ||
            !impl_->prepare("UPDATE texters SET last_operator_at = ? WHERE number = ?")
                 .bind(now_ms)
                 .bind(number)
                 .run()) {
          return db_error(impl_->db, "taking over");
        }
        return Ok{};
      });
}

Status SqliteStore::release(std::string_view number, std::string_view actor,
                            std::int64_t now_ms) {
  std::lock_guard lock(impl_->mutex);
  return impl_->audited(number, {now_ms, std::string(actor), "release", std::string(number), ""},
                        [&](TexterState& state) -> Status {
                          impl_->hand_back(state);
                          if (!impl_->write_texter(state, now_ms)) {
                            return db_error(impl_->db, "handing back");
                          }
                          return Ok{};
                        });
}

Status SqliteStore::send_operator_message(std::string_view number, std::string_view operator_name,
                                          std::string_view body, std::int64_t now_ms) {
  std::lock_guard lock(impl_->mutex);
  const std::string author = "operator:" + std::string(operator_name);
  return impl_->audited(
      number, {now_ms, author, "message", std::string(number), ""},
      [&](TexterState& state) -> Status {
        if (state.opted_out) {
          return make_error(ErrorCode::conflict, "the texter opted out: nothing may be sent");
        }
        std::string line;
        {
          Statement& s = impl_->prepare("SELECT line_number FROM texters WHERE number = ?");
          s.bind(number);
          if (s.step() == SQLITE_ROW) line = s.text(0);
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
        if (!impl_->write_texter(state, now_ms) ||
            !impl_->insert_message(number, Direction::out, body, now_ms, "", std::nullopt, author,
                                   "") ||
            !impl_->queue_outbound(number, line, body, sqlite3_last_insert_rowid(impl_->db), false,
                                   now_ms) ||
            !impl_->touch_conversation(number, now_ms, body) ||
            !impl_->prepare("UPDATE texters SET last_operator_at = ? WHERE number = ?")
                 .bind(now_ms)
                 .bind(number)
                 .run()) {
          return db_error(impl_->db, "queueing operator message");
        }
        return Ok{};
      });
}

Status SqliteStore::add_note(std::string_view number, std::string_view author,
                             std::string_view body, std::int64_t now_ms) {
  std::lock_guard lock(impl_->mutex);
  return impl_->audited(number, {now_ms, std::string(author), "note", std::string(number), ""},
                        [&](TexterState&) -> Status {
                          if (!impl_->prepare("INSERT INTO notes (number, author, body, at_ms) "
                                              "VALUES (?, ?, ?, ?)")
                                   .bind(number)
                                   .bind(author)
                                   .bind(body)
                                   .bind(now_ms)
                                   .run()) {
                            return db_error(impl_->db, "adding note");
                          }
                          return Ok{};
                        });
}

Status SqliteStore::relabel(std::int64_t message_id, std::string_view intent,
                            std::string_view actor, std::int64_t now_ms) {
  std::lock_guard lock(impl_->mutex);
  std::string number;
  {
    Statement& s =
        impl_->prepare("SELECT number FROM messages WHERE id = ? AND direction = 'in'");
    s.bind(message_id);
    const int rc = s.step();
    if (rc == SQLITE_DONE) {
      return make_error(ErrorCode::not_found, "no inbound message " + std::to_string(message_id));
    }
    if (rc != SQLITE_ROW) return db_error(impl_->db, "reading message");
    number = s.text(0);
  }
  const std::string detail =
      "message " + std::to_string(message_id) + " relabelled " + std::string(intent);
  return impl_->audited(number, {now_ms, std::string(actor), "relabel", number, detail},
                        [&](TexterState&) -> Status {
                          if (!impl_->prepare("UPDATE messages SET relabel = ? WHERE id = ?")
                                   .bind(intent)
                                   .bind(message_id)
                                   .run()) {
                            return db_error(impl_->db, "relabelling");
                          }
                          return Ok{};
                        });
}

Expected<std::vector<RelabelRow>> SqliteStore::relabels() {
  std::lock_guard lock(impl_->mutex);
  Statement& s = impl_->prepare(
      "SELECT body, relabel FROM messages WHERE relabel <> '' AND direction = 'in' ORDER BY id");
  return impl_->collect<RelabelRow>(s, "reading relabels", [](const Statement& r) {
    return RelabelRow{r.text(0), r.text(1)};
  });
}

Status SqliteStore::export_messages(std::int64_t since_ms,
                                    const std::function<bool(const ExportRow&)>& sink) {
  // A page at a time, the lock released between pages: a long export must
  // not hold up the texts arriving meanwhile.
  constexpr std::int64_t kPage = 500;
  std::int64_t after_at = since_ms;
  std::int64_t after_id = -1;
  for (;;) {
    std::vector<std::pair<ExportRow, std::int64_t>> page;
    {
      std::lock_guard lock(impl_->mutex);
      Statement& s = impl_->prepare(
          "SELECT number, direction, body, at_ms, intent, author, id FROM messages "
          "WHERE at_ms > ? OR (at_ms = ? AND id > ?) ORDER BY at_ms, id LIMIT ?");
      s.bind(after_id < 0 ? after_at - 1 : after_at).bind(after_at).bind(after_id).bind(kPage);
      auto rows = impl_->collect<std::pair<ExportRow, std::int64_t>>(
          s, "exporting", [](const Statement& r) {
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

Status SqliteStore::erase(std::string_view number, std::string_view actor, std::int64_t now_ms) {
  std::lock_guard lock(impl_->mutex);
  return impl_->audited(number, {now_ms, std::string(actor), "erase", std::string(number), ""},
                        [&](TexterState&) -> Status {
                          if (!impl_->erase(number, "")) return db_error(impl_->db, "erasing");
                          return Ok{};
                        });
}

Status SqliteStore::audit(const AuditEntry& entry) {
  std::lock_guard lock(impl_->mutex);
  if (!impl_->write_audit(entry)) return db_error(impl_->db, "writing audit log");
  return Ok{};
}

Expected<std::vector<AuditEntry>> SqliteStore::audit_log(int limit) {
  std::lock_guard lock(impl_->mutex);
  Statement& s = impl_->prepare(
      "SELECT at_ms, actor, action, number, detail FROM audit_log ORDER BY id DESC LIMIT ?");
  s.bind(std::int64_t{std::clamp(limit, 1, 10000)});
  return impl_->collect<AuditEntry>(s, "reading audit log", [](const Statement& r) {
    return AuditEntry{r.int64(0), r.text(1), r.text(2), r.text(3), r.text(4)};
  });
}

Expected<std::vector<std::string>> SqliteStore::idle_handoffs(std::int64_t idle_since_ms) {
  std::lock_guard lock(impl_->mutex);
  Statement& s = impl_->prepare(
      "SELECT number FROM texters WHERE mode = 'human' "
      "AND MAX(last_operator_at, handoff_since) < ? ORDER BY number");
  s.bind(idle_since_ms);
  return impl_->collect<std::string>(s, "reading idle handoffs",
                                     [](const Statement& r) { return r.text(0); });
}

Expected<bool> SqliteStore::release_idle(std::string_view number, std::int64_t idle_since_ms,
                                         std::string_view notice, std::int64_t now_ms) {
  std::lock_guard lock(impl_->mutex);
  Impl::Transaction tx(*impl_);
  if (!tx.began()) return db_error(impl_->db, "begin");
  std::string line;
  {
    Statement& s = impl_->prepare(
        "SELECT line_number FROM texters WHERE number = ? AND mode = 'human' "
        "AND MAX(last_operator_at, handoff_since) < ?");
    s.bind(number).bind(idle_since_ms);
    const int rc = s.step();
    if (rc == SQLITE_DONE) return false;
    if (rc != SQLITE_ROW) return db_error(impl_->db, "reading texter");
    line = s.text(0);
  }
  bool found = false;
  TexterState state;
  if (!impl_->read_texter(number, state, found)) return db_error(impl_->db, "reading texter");
  impl_->hand_back(state);
  if (!impl_->write_texter(state, now_ms)) return db_error(impl_->db, "handing back");
  if (!notice.empty() && !state.opted_out && !line.empty()) {
    if (!impl_->insert_message(number, Direction::out, notice, now_ms, "human_timeout",
                               std::nullopt, "bot", "") ||
        !impl_->queue_outbound(number, line, notice, sqlite3_last_insert_rowid(impl_->db), false,
                               now_ms) ||
        !impl_->touch_conversation(number, now_ms, notice)) {
      return db_error(impl_->db, "telling the texter");
    }
  }
  if (!impl_->write_audit({now_ms, "bot", "auto_release", std::string(number),
                           "no operator message since " + std::to_string(idle_since_ms)})) {
    return db_error(impl_->db, "writing audit log");
  }
  if (!tx.commit()) return db_error(impl_->db, "commit");
  return true;
}

}  // namespace smscoach::dialogue

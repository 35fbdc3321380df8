#include "dialogue/store/sqlite_store.hpp"
#include "dialogue/store/sqlite_impl.hpp"

#include <sqlite3.h>

#include <mutex>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <unordered_map>

namespace smscoach::dialogue {

namespace {

// Each entry moves the schema one version up; never edit a shipped entry.
const char* const kMigrations[] = {
    R"sql(
    CREATE TABLE texters (
      number       TEXT PRIMARY KEY,
      weight_kg    REAL,
      goal         TEXT NOT NULL DEFAULT '',
      medications  TEXT NOT NULL DEFAULT '[]',
      opted_out    INTEGER NOT NULL DEFAULT 0,
      mode         TEXT NOT NULL DEFAULT 'bot',
      flagged      INTEGER NOT NULL DEFAULT 0,
      misses       INTEGER NOT NULL DEFAULT 0,
      holding_sent INTEGER NOT NULL DEFAULT 0,
      updated_at   INTEGER NOT NULL
    );
    CREATE TABLE messages (
      id          INTEGER PRIMARY KEY,
      number      TEXT NOT NULL,
      direction   TEXT NOT NULL CHECK (direction IN ('in', 'out')),
      body        TEXT NOT NULL,
      at_ms       INTEGER NOT NULL,
      intent      TEXT NOT NULL DEFAULT '',
      confidence  REAL,
      author      TEXT NOT NULL,
      message_sid TEXT
    );
    CREATE INDEX messages_by_number ON messages (number, id);
    CREATE TABLE processed_messages (
      message_sid TEXT PRIMARY KEY,
      number      TEXT NOT NULL,
      replies     TEXT NOT NULL,
      at_ms       INTEGER NOT NULL
    );
    CREATE INDEX processed_by_number ON processed_messages (number);
    )sql",
    R"sql(
    ALTER TABLE texters ADD COLUMN weight_unit TEXT NOT NULL DEFAULT 'kg';
    ALTER TABLE texters ADD COLUMN conditions TEXT NOT NULL DEFAULT '[]';
    ALTER TABLE texters ADD COLUMN pending TEXT NOT NULL DEFAULT '';
    ALTER TABLE texters ADD COLUMN pending_subject TEXT NOT NULL DEFAULT '';
    ALTER TABLE texters ADD COLUMN pending_until INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE texters ADD COLUMN last_supplement TEXT NOT NULL DEFAULT '';
    ALTER TABLE texters ADD COLUMN more_text TEXT NOT NULL DEFAULT '';
    ALTER TABLE texters ADD COLUMN age_years INTEGER;
    )sql",
    R"sql(
    CREATE TABLE outbox (
      id               INTEGER PRIMARY KEY,
      number           TEXT NOT NULL,
      from_number      TEXT NOT NULL,
      body             TEXT NOT NULL,
      message_id       INTEGER,
      confirms_opt_out INTEGER NOT NULL DEFAULT 0,
      status           TEXT NOT NULL DEFAULT 'pending'
                       CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'cancelled')),
      attempts         INTEGER NOT NULL DEFAULT 0,
      next_attempt_ms  INTEGER NOT NULL,
      lease_until_ms   INTEGER NOT NULL DEFAULT 0,
      provider_sid     TEXT,
      delivery_status  TEXT NOT NULL DEFAULT '',
      error            TEXT NOT NULL DEFAULT '',
      created_ms       INTEGER NOT NULL,
      updated_ms       INTEGER NOT NULL
    );
    CREATE INDEX outbox_waiting ON outbox (status, next_attempt_ms);
    CREATE INDEX outbox_by_number ON outbox (number, id);
    CREATE UNIQUE INDEX outbox_by_provider_sid ON outbox (provider_sid);
    CREATE INDEX texters_needing_human ON texters (number) WHERE mode = 'human' OR flagged = 1;
    )sql",
    R"sql(
    ALTER TABLE texters ADD COLUMN line_number TEXT NOT NULL DEFAULT '';
    ALTER TABLE texters ADD COLUMN handoff_reason TEXT NOT NULL DEFAULT '';
    ALTER TABLE texters ADD COLUMN handoff_since INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE texters ADD COLUMN last_at INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE texters ADD COLUMN last_text TEXT NOT NULL DEFAULT '';
    ALTER TABLE texters ADD COLUMN last_operator_at INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE messages ADD COLUMN relabel TEXT NOT NULL DEFAULT '';
    UPDATE texters SET
      last_at = COALESCE((SELECT MAX(at_ms) FROM messages m WHERE m.number = texters.number), 0),
      last_text = COALESCE((SELECT body FROM messages m WHERE m.number = texters.number
                            ORDER BY id DESC LIMIT 1), '');
    CREATE INDEX texters_by_last ON texters (last_at DESC, number);
    CREATE INDEX messages_by_time ON messages (at_ms, id);
    CREATE TABLE notes (
      id     INTEGER PRIMARY KEY,
      number TEXT NOT NULL,
      author TEXT NOT NULL,
      body   TEXT NOT NULL,
      at_ms  INTEGER NOT NULL
    );
    CREATE INDEX notes_by_number ON notes (number, id);
    CREATE TABLE audit_log (
      id     INTEGER PRIMARY KEY,
      at_ms  INTEGER NOT NULL,
      actor  TEXT NOT NULL,
      action TEXT NOT NULL,
      number TEXT NOT NULL DEFAULT '',
      detail TEXT NOT NULL DEFAULT ''
    );
    -- Full-text search over message text, kept in step by triggers.
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

}  // namespace

using sqlite_detail::Statement;

void SqliteStore::Impl::migrate() {
  const int have = user_version();
  const int want = static_cast<int>(std::size(kMigrations));
  if (have > want) {
    throw std::runtime_error("database schema version " + std::to_string(have) +
                             " is newer than this smscoach (" + std::to_string(want) + ")");
  }
  for (int v = have; v < want; ++v) {
    Transaction tx(*this);
    const std::string bump = "PRAGMA user_version = " + std::to_string(v + 1);
    if (!tx.began() || !exec(kMigrations[v]) || !exec(bump.c_str()) || !tx.commit()) {
      throw std::runtime_error("schema migration to version " + std::to_string(v + 1) +
                               " failed: " + sqlite3_errmsg(db));
    }
  }
}


SqliteStore::SqliteStore(const std::filesystem::path& path) : impl_(std::make_unique<Impl>()) {
  if (path.has_parent_path()) {
    std::error_code ec;
    std::filesystem::create_directories(path.parent_path(), ec);
    if (ec) throw std::runtime_error("cannot create " + path.parent_path().string() + ": " + ec.message());
  }
  if (sqlite3_open_v2(path.c_str(), &impl_->db,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                      nullptr) != SQLITE_OK) {
    throw std::runtime_error("cannot open database " + path.string() + ": " +
                             sqlite3_errmsg(impl_->db));
  }
  sqlite3_busy_timeout(impl_->db, 5000);
  // WAL lets readers run beside the writer; FULL sync makes an acknowledged
  // text survive power loss, not just a crash.
  if (!impl_->exec("PRAGMA journal_mode = WAL") || !impl_->exec("PRAGMA synchronous = FULL") ||
      !impl_->exec("PRAGMA foreign_keys = ON")) {
    throw std::runtime_error("cannot configure database " + path.string() + ": " +
                             sqlite3_errmsg(impl_->db));
  }
  impl_->migrate();
}

SqliteStore::~SqliteStore() = default;

int SqliteStore::schema_version() {
  std::lock_guard lock(impl_->mutex);
  return impl_->user_version();
}

Expected<std::optional<std::vector<std::string>>> SqliteStore::processed_replies(
    std::string_view message_sid) {
  std::lock_guard lock(impl_->mutex);
  Statement& s = impl_->prepare("SELECT replies FROM processed_messages WHERE message_sid = ?");
  s.bind(message_sid);
  const int rc = s.step();
  if (rc == SQLITE_ROW) return std::optional<std::vector<std::string>>(from_json_text(s.text(0)));
  if (rc == SQLITE_DONE) return std::optional<std::vector<std::string>>();
  return db_error(impl_->db, "reading processed message");
}

Expected<TexterState> SqliteStore::load_texter(std::string_view number) {
  std::lock_guard lock(impl_->mutex);
  bool found = false;
  TexterState state;
  if (!impl_->read_texter(number, state, found)) return db_error(impl_->db, "reading texter");
  return state;
}

Expected<RecordOutcome> SqliteStore::record_turn(const TurnRecord& turn) {
  if (turn.sms.message_sid.empty() || turn.sms.from.empty()) {
    return make_error(ErrorCode::bad_input, "a turn needs a message id and a sender");
  }
  std::lock_guard lock(impl_->mutex);
  Impl::Transaction tx(*impl_);
  if (!tx.began()) return db_error(impl_->db, "begin");

  Statement& claim = impl_->prepare(
      "INSERT INTO processed_messages (message_sid, number, replies, at_ms) VALUES (?, ?, ?, ?) "
      "ON CONFLICT (message_sid) DO NOTHING");
  if (!claim.bind(turn.sms.message_sid).bind(turn.sms.from).bind(to_json_text(turn.replies))
           .bind(turn.at_ms).run()) {
    return db_error(impl_->db, "recording message id");
  }
  if (sqlite3_changes(impl_->db) == 0) {
    Statement& s = impl_->prepare("SELECT replies FROM processed_messages WHERE message_sid = ?");
    s.bind(turn.sms.message_sid);
    if (s.step() != SQLITE_ROW) return db_error(impl_->db, "reading processed message");
    return RecordOutcome{true, from_json_text(s.text(0))};
  }

  const std::string& number = turn.sms.from;
  if (turn.erase_history && !impl_->erase(number, turn.sms.message_sid)) {
    return db_error(impl_->db, "erasing history");
  }
  if (!impl_->insert_message(number, Direction::in, turn.sms.body, turn.at_ms, turn.intent,
                             turn.confidence, "texter", turn.sms.message_sid)) {
    return db_error(impl_->db, "storing inbound message");
  }
  TexterState state = turn.state;
  state.number = number;
  if (state.opted_out && !impl_->cancel_waiting(number, turn.at_ms)) {
    return db_error(impl_->db, "cancelling queued replies");
  }
  for (const auto& reply : turn.replies) {
    if (!impl_->insert_message(number, Direction::out, reply, turn.at_ms, turn.intent,
                               std::nullopt, "bot", "")) {
      return db_error(impl_->db, "storing reply");
    }
    // A turn that leaves the texter opted out can only be saying the
    // confirmation, which is the one text an opted-out number still gets.
    if (turn.queue_replies &&
        !impl_->queue_outbound(number, turn.sms.to, reply, sqlite3_last_insert_rowid(impl_->db),
                               state.opted_out, turn.at_ms)) {
      return db_error(impl_->db, "queueing reply");
    }
  }
  if (!impl_->write_texter(state, turn.at_ms)) return db_error(impl_->db, "storing texter");
  const std::string& newest = turn.replies.empty() ? turn.sms.body : turn.replies.back();
  if (!impl_->touch_conversation(number, turn.at_ms, newest, turn.sms.to)) {
    return db_error(impl_->db, "storing texter");
  }
  if (!tx.commit()) return db_error(impl_->db, "commit");
  return RecordOutcome{false, turn.replies};
}

Expected<std::vector<StoredMessage>> SqliteStore::messages(std::string_view number) {
  std::lock_guard lock(impl_->mutex);
  Statement& s = impl_->prepare(
      "SELECT id, direction, body, at_ms, intent, author FROM messages WHERE number = ? "
      "ORDER BY id");
  s.bind(number);
  return impl_->collect<StoredMessage>(s, "reading messages", [&](const Statement& row) {
    return StoredMessage{row.int64(0), std::string(number),
                         row.text(1) == "in" ? Direction::in : Direction::out, row.text(2),
                         row.int64(3), row.text(4), row.text(5)};
  });
}

Expected<int> SqliteStore::inbound_count_since(std::string_view number, std::int64_t since_ms) {
  std::lock_guard lock(impl_->mutex);
  Statement& s = impl_->prepare(
      "SELECT COUNT(*) FROM messages WHERE number = ? AND direction = 'in' AND at_ms >= ?");
  s.bind(number).bind(since_ms);
  if (s.step() != SQLITE_ROW) return db_error(impl_->db, "counting texts");
  return static_cast<int>(s.int64(0));
}

Status SqliteStore::forget(std::string_view number) {
  std::lock_guard lock(impl_->mutex);
  Impl::Transaction tx(*impl_);
  if (!tx.began()) return db_error(impl_->db, "begin");
  if (!impl_->erase(number, "")) return db_error(impl_->db, "erasing texter");
  if (!tx.commit()) return db_error(impl_->db, "commit");
  return Ok{};
}

Expected<std::vector<OutboxRecord>> SqliteStore::outbox(std::string_view number) {
  std::lock_guard lock(impl_->mutex);
  Statement& s = impl_->prepare(
      "SELECT id, number, from_number, body, status, attempts, COALESCE(provider_sid, ''), "
      "delivery_status, error, created_ms FROM outbox WHERE number = ? ORDER BY id");
  s.bind(number);
  return impl_->collect<OutboxRecord>(s, "reading outbox", [](const Statement& row) {
    return OutboxRecord{row.int64(0), row.text(1), row.text(2), row.text(3),
                        row.text(4),  static_cast<int>(row.int64(5)), row.text(6),
                        row.text(7),  row.text(8), row.int64(9)};
  });
}

Expected<StoreCounts> SqliteStore::counts() {
  std::lock_guard lock(impl_->mutex);
  StoreCounts out;
  const std::pair<const char*, std::int64_t*> queries[] = {
      {"SELECT COUNT(*) FROM texters WHERE mode = 'human' OR flagged = 1", &out.handoffs_open},
      {"SELECT COUNT(*) FROM outbox WHERE status IN ('pending', 'sending')", &out.outbox_depth},
      {"SELECT COUNT(*) FROM outbox WHERE status = 'failed'", &out.outbox_failed},
  };
  for (const auto& [sql, slot] : queries) {
    Statement& s = impl_->prepare(sql);
    if (s.step() != SQLITE_ROW) return db_error(impl_->db, "counting");
    *slot = s.int64(0);
  }
  return out;
}

Expected<std::vector<OutboxItem>> SqliteStore::claim_outbox(std::int64_t now_ms,
                                                            std::int64_t lease_ms, int limit) {
  std::lock_guard lock(impl_->mutex);
  Impl::Transaction tx(*impl_);
  if (!tx.began()) return db_error(impl_->db, "begin");
  // Belt and braces: an opt-out cancels waiting rows when it is recorded, and
  // nothing reaches an opted-out number even if one slipped through.
  if (!impl_->prepare(
               "UPDATE outbox SET status = 'cancelled', error = 'recipient opted out', "
               "updated_ms = ? WHERE status = 'pending' AND confirms_opt_out = 0 AND EXISTS "
               "(SELECT 1 FROM texters t WHERE t.number = outbox.number AND t.opted_out = 1)")
           .bind(now_ms)
           .run() ||
      !impl_->prepare(
               "UPDATE outbox SET status = 'pending', lease_until_ms = 0, updated_ms = ? "
               "WHERE status = 'sending' AND lease_until_ms <= ?")
           .bind(now_ms)
           .bind(now_ms)
           .run()) {
    return db_error(impl_->db, "preparing outbox claim");
  }
  Statement& pick = impl_->prepare(
      "SELECT id, number, from_number, body, attempts FROM outbox AS o "
      "WHERE status = 'pending' AND next_attempt_ms <= ? AND NOT EXISTS "
      "(SELECT 1 FROM outbox AS p WHERE p.number = o.number AND p.id < o.id "
      "AND p.status IN ('pending', 'sending')) ORDER BY id LIMIT ?");
  pick.bind(now_ms).bind(std::int64_t{limit});
  auto items = impl_->collect<OutboxItem>(pick, "claiming outbox", [](const Statement& row) {
    return OutboxItem{row.int64(0), row.text(1), row.text(2), row.text(3),
                      static_cast<int>(row.int64(4)) + 1};
  });
  if (!items) return items;
  for (const auto& item : *items) {
    if (!impl_->prepare(
                  "UPDATE outbox SET status = 'sending', attempts = ?, lease_until_ms = ?, "
                  "updated_ms = ? WHERE id = ?")
             .bind(std::int64_t{item.attempt})
             .bind(now_ms + lease_ms)
             .bind(now_ms)
             .bind(item.id)
             .run()) {
      return db_error(impl_->db, "claiming outbox");
    }
  }
  if (!tx.commit()) return db_error(impl_->db, "commit");
  return items;
}

Status SqliteStore::complete_outbox(const SendReport& report, std::int64_t now_ms) {
  std::lock_guard lock(impl_->mutex);
  Impl::Transaction tx(*impl_);
  if (!tx.began()) return db_error(impl_->db, "begin");
  std::string number;
  {
    Statement& s = impl_->prepare("SELECT number, status FROM outbox WHERE id = ?");
    s.bind(report.id);
    const int rc = s.step();
    if (rc == SQLITE_DONE) return make_error(ErrorCode::not_found, "no such outbox row");
    if (rc != SQLITE_ROW) return db_error(impl_->db, "reading outbox row");
    // Erased (users forget) or re-claimed after a lease ran out: not ours to change.
    if (s.text(1) != "sending") return make_error(ErrorCode::conflict, "outbox row not claimed");
    number = s.text(0);
  }
  bool ok = false;
  switch (report.outcome) {
    case SendOutcome::sent:
      ok = impl_->prepare(
                    "UPDATE outbox SET status = 'sent', provider_sid = ?, delivery_status = ?, "
                    "error = '', lease_until_ms = 0, updated_ms = ? WHERE id = ?")
               .bind(report.provider_sid)
               .bind(report.provider_status)
               .bind(now_ms)
               .bind(report.id)
               .run();
      break;
    case SendOutcome::retry:
      ok = impl_->prepare(
                    "UPDATE outbox SET status = 'pending', next_attempt_ms = ?, error = ?, "
                    "lease_until_ms = 0, updated_ms = ? WHERE id = ?")
               .bind(report.next_attempt_ms)
               .bind(report.error)
               .bind(now_ms)
               .bind(report.id)
               .run();
      break;
    case SendOutcome::failed:
    case SendOutcome::recipient_opted_out:
      ok = impl_->prepare(
                    "UPDATE outbox SET status = 'failed', error = ?, lease_until_ms = 0, "
                    "updated_ms = ? WHERE id = ?")
               .bind(report.error)
               .bind(now_ms)
               .bind(report.id)
               .run();
      if (ok && report.outcome == SendOutcome::recipient_opted_out) {
        ok = impl_->mark_opted_out(number, now_ms);
      }
      break;
  }
  if (!ok) return db_error(impl_->db, "completing outbox row");
  if (!tx.commit()) return db_error(impl_->db, "commit");
  return Ok{};
}

Expected<std::optional<std::int64_t>> SqliteStore::next_outbox_due() {
  std::lock_guard lock(impl_->mutex);
  // A lease running out makes a row due again too (its sender died).
  Statement& s = impl_->prepare(
      "SELECT MIN(due) FROM (SELECT MIN(next_attempt_ms) AS due FROM outbox WHERE status = "
      "'pending' UNION ALL SELECT MIN(lease_until_ms) FROM outbox WHERE status = 'sending')");
  if (s.step() != SQLITE_ROW) return db_error(impl_->db, "reading outbox");
  if (!s.optional_double(0)) return std::optional<std::int64_t>();
  return std::optional<std::int64_t>(s.int64(0));
}

Status SqliteStore::release_outbox_leases() {
  std::lock_guard lock(impl_->mutex);
  if (!impl_->prepare("UPDATE outbox SET status = 'pending', lease_until_ms = 0 "
                      "WHERE status = 'sending'")
           .run()) {
    return db_error(impl_->db, "releasing outbox leases");
  }
  return Ok{};
}

Status SqliteStore::record_delivery(std::string_view provider_sid, std::string_view status,
                                    std::string_view error_code, std::int64_t now_ms) {
  std::lock_guard lock(impl_->mutex);
  Impl::Transaction tx(*impl_);
  if (!tx.began()) return db_error(impl_->db, "begin");
  Statement& s =
      impl_->prepare("SELECT id, delivery_status FROM outbox WHERE provider_sid = ?");
  s.bind(provider_sid);
  const int rc = s.step();
  if (rc == SQLITE_DONE) return make_error(ErrorCode::not_found, "unknown message sid");
  if (rc != SQLITE_ROW) return db_error(impl_->db, "reading outbox row");
  const std::int64_t id = s.int64(0);
  if (delivery_status_rank(status) <= delivery_status_rank(s.text(1))) return Ok{};
  const std::string error =
      error_code.empty() || error_code == "0" ? "" : "provider error " + std::string(error_code);
  if (!impl_->prepare("UPDATE outbox SET delivery_status = ?, error = ?, updated_ms = ? "
                      "WHERE id = ?")
           .bind(status)
           .bind(error)
           .bind(now_ms)
           .bind(id)
           .run()) {
    return db_error(impl_->db, "recording delivery");
  }
  if (!tx.commit()) return db_error(impl_->db, "commit");
  return Ok{};
}

Status SqliteStore::ping() {
  std::lock_guard lock(impl_->mutex);
  Statement& s = impl_->prepare("SELECT 1");
  if (s.step() != SQLITE_ROW) return db_error(impl_->db, "ping");
  return Ok{};
}

}  // namespace smscoach::dialogue

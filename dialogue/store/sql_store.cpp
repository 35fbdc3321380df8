// The store's logic over any SqlConnection: turns and texters, the outbox,
// idle handoffs. The staff side is in sql_admin.cpp.

#include "dialogue/store/sql_store.hpp"

#include "dialogue/store/sql_store_detail.hpp"

namespace smscoach::dialogue {

using namespace sql_detail;

Expected<RecordOutcome> sql_detail::record_locked_turn(SqlConnection& c, const TurnRecord& turn) {
  SqlStatement& claim = c.prepare_insert(
      "INSERT INTO processed_messages (message_sid, number, replies, at_ms) VALUES (?, ?, ?, ?) "
      "ON CONFLICT (message_sid) DO NOTHING",
      "1");
  claim.bind(turn.sms.message_sid).bind(turn.sms.from).bind(to_json_text(turn.replies))
      .bind(turn.at_ms);
  const auto claimed = c.run_insert(claim);
  if (!claimed) return db_error(c, "recording message id");
  if (!claimed->added) {
    // Processed already, here or by another instance.
    auto first = read_processed(c, turn.sms.message_sid);
    if (!first) return first.error();
    if (!first->has_value()) return db_error(c, "reading processed message");
    return RecordOutcome{true, std::move(**first)};
  }

  const std::string& number = turn.sms.from;
  if (turn.erase_history && !sql_detail::erase(c, number, turn.sms.message_sid)) {
    return db_error(c, "erasing history");
  }
  if (!insert_message_without_id(c, number, Direction::in, turn.sms.body, turn.at_ms, turn.intent,
                                 turn.confidence, "texter", turn.sms.message_sid)) {
    return db_error(c, "storing inbound message");
  }
  TexterState state = turn.state;
  state.number = number;
  if (state.opted_out && !cancel_waiting(c, number, turn.at_ms)) {
    return db_error(c, "cancelling queued replies");
  }
  for (const auto& reply : turn.replies) {
    if (!turn.queue_replies) {
      if (!insert_message_without_id(c, number, Direction::out, reply, turn.at_ms, turn.intent,
                                     std::nullopt, "bot", "")) {
        return db_error(c, "storing reply");
      }
      continue;
    }
    const auto id = insert_message(c, number, Direction::out, reply, turn.at_ms, turn.intent,
                                   std::nullopt, "bot", "");
    if (!id) return db_error(c, "storing reply");
    // A turn that leaves the texter opted out can only be saying the
    // confirmation, which is the one text an opted-out number still gets.
    if (!queue_outbound(c, number, turn.sms.to, reply, *id, state.opted_out, turn.at_ms)) {
      return db_error(c, "queueing reply");
    }
  }
  const std::string& newest = turn.replies.empty() ? turn.sms.body : turn.replies.back();
  if (!write_texter(c, state, turn.at_ms, ConversationTouch{turn.at_ms, newest, turn.sms.to})) {
    return db_error(c, "storing texter");
  }
  return RecordOutcome{false, turn.replies};
}

Expected<TexterState> sql_detail::load(SqlConnection& c, std::string_view number) {
  bool found = false;
  TexterState state;
  if (!read_texter(c, number, state, found)) return db_error(c, "reading texter");
  return state;
}

Expected<int> sql_detail::count_inbound(SqlConnection& c, std::string_view number,
                                        std::int64_t since_ms) {
  SqlStatement& s = c.prepare(
      "SELECT COUNT(*) FROM messages WHERE number = ? AND direction = 'in' AND at_ms >= ?");
  s.bind(number).bind(since_ms);
  if (s.step() != StepResult::row) return db_error(c, "counting texts");
  return static_cast<int>(s.int64(0));
}

Error sql_detail::bad_turn() {
  return make_error(ErrorCode::bad_input, "a turn needs a message id and a sender");
}

namespace {

// A connection and a transaction holding one texter, from begin_turn to
// record_turn.
class SqlTurnSession final : public TurnSession {
 public:
  SqlTurnSession(ConnectionLease connection, std::string number)
      : connection_(std::move(connection)),
        tx_(std::make_unique<SqlTransaction>(*connection_)),
        number_(std::move(number)) {}

  bool began() { return tx_->began() && connection_->lock_texter(number_); }
  const SqlConnection& connection() const { return *connection_; }

  Expected<TexterState> load_texter() override {
    if (!tx_) return ended();
    return load(*connection_, number_);
  }
  Expected<int> inbound_count_since(std::int64_t since_ms) override {
    if (!tx_) return ended();
    return count_inbound(*connection_, number_, since_ms);
  }
  Expected<RecordOutcome> record_turn(const TurnRecord& turn) override {
    if (!tx_) return ended();
    if (turn.sms.message_sid.empty() || turn.sms.from.empty()) return bad_turn();
    if (turn.sms.from != number_) {
      return make_error(ErrorCode::internal, "a turn recorded in another texter's session");
    }
    auto outcome = record_locked_turn(*connection_, turn);
    if (outcome && !tx_->commit()) outcome = db_error(*connection_, "commit");
    tx_.reset();  // rolls back whatever did not commit
    return outcome;
  }

 private:
  static Error ended() { return make_error(ErrorCode::internal, "turn session already ended"); }

  ConnectionLease connection_;
  std::unique_ptr<SqlTransaction> tx_;
  std::string number_;
};

}  // namespace

SqlStore::~SqlStore() = default;

Expected<std::optional<std::vector<std::string>>> sql_detail::read_processed(
    SqlConnection& c, std::string_view message_sid) {
  SqlStatement& s = c.prepare("SELECT replies FROM processed_messages WHERE message_sid = ?");
  s.bind(message_sid);
  switch (s.step()) {
    case StepResult::row:
      return std::optional<std::vector<std::string>>(from_json_text(s.text(0)));
    case StepResult::done:
      return std::optional<std::vector<std::string>>();
    case StepResult::error:
      break;
  }
  return db_error(c, "reading processed message");
}

Expected<std::optional<std::vector<std::string>>> SqlStore::processed_replies(
    std::string_view message_sid) {
  auto c = acquire();
  return read_processed(*c, message_sid);
}

Expected<TexterState> SqlStore::load_texter(std::string_view number) {
  auto c = acquire();
  return load(*c, number);
}

Expected<std::unique_ptr<TurnSession>> SqlStore::begin_turn(std::string_view number) {
  auto session = std::make_unique<SqlTurnSession>(acquire(), std::string(number));
  if (!session->began()) return db_error(session->connection(), "starting a turn");
  return std::unique_ptr<TurnSession>(std::move(session));
}

Expected<RecordOutcome> SqlStore::record_turn(const TurnRecord& turn) {
  if (turn.sms.message_sid.empty() || turn.sms.from.empty()) return bad_turn();
  auto session = begin_turn(turn.sms.from);
  if (!session) return session.error();
  return (*session)->record_turn(turn);
}

Expected<std::vector<StoredMessage>> SqlStore::messages(std::string_view number) {
  auto c = acquire();
  SqlStatement& s = c->prepare(
      "SELECT id, direction, body, at_ms, intent, author FROM messages WHERE number = ? "
      "ORDER BY id");
  s.bind(number);
  return collect<StoredMessage>(*c, s, "reading messages", [&](const SqlStatement& row) {
    return StoredMessage{row.int64(0), std::string(number),
                         row.text(1) == "in" ? Direction::in : Direction::out, row.text(2),
                         row.int64(3), row.text(4), row.text(5)};
  });
}

Expected<int> SqlStore::inbound_count_since(std::string_view number, std::int64_t since_ms) {
  auto c = acquire();
  return count_inbound(*c, number, since_ms);
}

Status SqlStore::forget(std::string_view number) {
  const auto hold = hold_texter(number);
  auto c = acquire();
  SqlTransaction tx(*c);
  if (!tx.began() || !c->lock_texter(number)) return db_error(*c, "begin");
  if (!sql_detail::erase(*c, number, "")) return db_error(*c, "erasing texter");
  if (!tx.commit()) return db_error(*c, "commit");
  return Ok{};
}

Expected<std::vector<OutboxRecord>> SqlStore::outbox(std::string_view number) {
  auto c = acquire();
  SqlStatement& s = c->prepare(
      "SELECT id, number, from_number, body, status, attempts, COALESCE(provider_sid, ''), "
      "delivery_status, error, created_ms FROM outbox WHERE number = ? ORDER BY id");
  s.bind(number);
  return collect<OutboxRecord>(*c, s, "reading outbox", [](const SqlStatement& row) {
    return OutboxRecord{row.int64(0), row.text(1), row.text(2), row.text(3),
                        row.text(4),  static_cast<int>(row.int64(5)), row.text(6),
                        row.text(7),  row.text(8), row.int64(9)};
  });
}

Expected<StoreCounts> SqlStore::counts() {
  auto c = acquire();
  StoreCounts out;
  const std::pair<const char*, std::int64_t*> queries[] = {
      {"SELECT COUNT(*) FROM texters WHERE mode = 'human' OR flagged = 1", &out.handoffs_open},
      {"SELECT COUNT(*) FROM outbox WHERE status IN ('pending', 'sending')", &out.outbox_depth},
      {"SELECT COUNT(*) FROM outbox WHERE status = 'failed'", &out.outbox_failed},
  };
  for (const auto& [sql, slot] : queries) {
    SqlStatement& s = c->prepare(sql);
    if (s.step() != StepResult::row) return db_error(*c, "counting");
    *slot = s.int64(0);
  }
  return out;
}

Expected<std::vector<OutboxItem>> SqlStore::claim_outbox(std::int64_t now_ms,
                                                         std::int64_t lease_ms, int limit) {
  auto c = acquire();
  SqlTransaction tx(*c);
  if (!tx.began()) return db_error(*c, "begin");
  // Belt and braces: an opt-out cancels waiting rows when it is recorded, and
  // nothing reaches an opted-out number even if one slipped through. A lease
  // that ran out means its sender died: the row waits again.
  if (!c->prepare("UPDATE outbox SET status = 'cancelled', error = 'recipient opted out', "
                  "updated_ms = ? WHERE status = 'pending' AND confirms_opt_out = 0 AND EXISTS "
                  "(SELECT 1 FROM texters t WHERE t.number = outbox.number AND t.opted_out = 1)")
           .bind(now_ms)
           .run() ||
      !c->prepare("UPDATE outbox SET status = 'pending', lease_until_ms = 0, updated_ms = ? "
                  "WHERE status = 'sending' AND lease_until_ms <= ?")
           .bind(now_ms)
           .bind(now_ms)
           .run()) {
    return db_error(*c, "preparing outbox claim");
  }
  SqlStatement& pick = c->prepare(dialect_.claim_outbox);
  pick.bind(now_ms).bind(std::int64_t{limit});
  auto items = collect<OutboxItem>(*c, pick, "claiming outbox", [](const SqlStatement& row) {
    return OutboxItem{row.int64(0), row.text(1), row.text(2), row.text(3),
                      static_cast<int>(row.int64(4)) + 1};
  });
  if (!items) return items;
  for (const auto& item : *items) {
    if (!c->prepare("UPDATE outbox SET status = 'sending', attempts = ?, lease_until_ms = ?, "
                    "updated_ms = ? WHERE id = ?")
             .bind(std::int64_t{item.attempt})
             .bind(now_ms + lease_ms)
             .bind(now_ms)
             .bind(item.id)
             .run()) {
      return db_error(*c, "claiming outbox");
    }
  }
  if (!tx.commit()) return db_error(*c, "commit");
  return items;
}

namespace {

// An outbox row's number; rows never change hands.
Expected<std::string> outbox_number(SqlConnection& c, std::int64_t id) {
  SqlStatement& s = c.prepare("SELECT number FROM outbox WHERE id = ?");
  s.bind(id);
  const StepResult r = s.step();
  if (r == StepResult::done) return make_error(ErrorCode::not_found, "no such outbox row");
  if (r == StepResult::error) return db_error(c, "reading outbox row");
  return s.text(0);
}

}  // namespace

Status SqlStore::complete_outbox(const SendReport& report, std::int64_t now_ms) {
  // An opt-out reported by the provider changes the texter.
  TexterHold hold;
  if (report.outcome == SendOutcome::recipient_opted_out) {
    auto number = outbox_number(*acquire(), report.id);
    if (!number) return number.error();
    hold = hold_texter(*number);
  }
  auto c = acquire();
  SqlTransaction tx(*c);
  if (!tx.began()) return db_error(*c, "begin");
  auto found = outbox_number(*c, report.id);
  if (!found) return found.error();
  const std::string number = std::move(*found);
  // The texter first, as every turn takes it: an opt-out below changes them.
  if (!c->lock_texter(number)) return db_error(*c, "locking texter");
  {
    SqlStatement& s = c->prepare("SELECT status, attempts FROM outbox WHERE id = ?");
    s.bind(report.id);
    const StepResult r = s.step();
    if (r == StepResult::done) return make_error(ErrorCode::not_found, "no such outbox row");
    if (r == StepResult::error) return db_error(*c, "reading outbox row");
    // Erased (users forget) or claimed again after this lease ran out: not ours to change.
    if (s.text(0) != "sending" || s.int64(1) != report.attempt) {
      return make_error(ErrorCode::conflict, "outbox row not claimed by this attempt");
    }
  }
  bool ok = false;
  switch (report.outcome) {
    case SendOutcome::sent:
      ok = c->prepare("UPDATE outbox SET status = 'sent', provider_sid = ?, delivery_status = ?, "
                      "error = '', lease_until_ms = 0, updated_ms = ? WHERE id = ?")
               .bind(report.provider_sid)
               .bind(report.provider_status)
               .bind(now_ms)
               .bind(report.id)
               .run();
      break;
    case SendOutcome::retry:
      ok = c->prepare("UPDATE outbox SET status = 'pending', next_attempt_ms = ?, error = ?, "
                      "lease_until_ms = 0, updated_ms = ? WHERE id = ?")
               .bind(report.next_attempt_ms)
               .bind(report.error)
               .bind(now_ms)
               .bind(report.id)
               .run();
      break;
    case SendOutcome::failed:
    case SendOutcome::recipient_opted_out:
      ok = c->prepare("UPDATE outbox SET status = 'failed', error = ?, lease_until_ms = 0, "
                      "updated_ms = ? WHERE id = ?")
               .bind(report.error)
               .bind(now_ms)
               .bind(report.id)
               .run();
      if (ok && report.outcome == SendOutcome::recipient_opted_out) {
        ok = mark_opted_out(*c, number, now_ms);
      }
      break;
  }
  if (!ok) return db_error(*c, "completing outbox row");
  if (!tx.commit()) return db_error(*c, "commit");
  return Ok{};
}

Expected<std::optional<std::int64_t>> SqlStore::next_outbox_due() {
  auto c = acquire();
  // A lease running out makes a row due again too (its sender died).
  SqlStatement& s = c->prepare(
      "SELECT MIN(due) FROM (SELECT MIN(next_attempt_ms) AS due FROM outbox WHERE status = "
      "'pending' UNION ALL SELECT MIN(lease_until_ms) FROM outbox WHERE status = 'sending') "
      "AS waiting");
  if (s.step() != StepResult::row) return db_error(*c, "reading outbox");
  if (!s.optional_double(0)) return std::optional<std::int64_t>();
  return std::optional<std::int64_t>(s.int64(0));
}

Status SqlStore::release_outbox_leases() {
  auto c = acquire();
  if (!c->prepare("UPDATE outbox SET status = 'pending', lease_until_ms = 0 "
                  "WHERE status = 'sending'")
           .run()) {
    return db_error(*c, "releasing outbox leases");
  }
  return Ok{};
}

Status SqlStore::record_delivery(std::string_view provider_sid, std::string_view status,
                                 std::string_view error_code, std::int64_t now_ms) {
  auto c = acquire();
  SqlTransaction tx(*c);
  if (!tx.began()) return db_error(*c, "begin");
  // Locked, so two callbacks for one message at two instances cannot both
  // read the old status.
  SqlStatement& s = c->prepare(dialect_.delivery_status_for_update);
  s.bind(provider_sid);
  const StepResult r = s.step();
  if (r == StepResult::done) return make_error(ErrorCode::not_found, "unknown message sid");
  if (r == StepResult::error) return db_error(*c, "reading outbox row");
  const std::int64_t id = s.int64(0);
  if (delivery_status_rank(status) <= delivery_status_rank(s.text(1))) return Ok{};
  const std::string error =
      error_code.empty() || error_code == "0" ? "" : "provider error " + std::string(error_code);
  if (!c->prepare("UPDATE outbox SET delivery_status = ?, error = ?, updated_ms = ? "
                  "WHERE id = ?")
           .bind(status)
           .bind(error)
           .bind(now_ms)
           .bind(id)
           .run()) {
    return db_error(*c, "recording delivery");
  }
  if (!tx.commit()) return db_error(*c, "commit");
  return Ok{};
}

Status SqlStore::ping() {
  auto c = acquire();
  SqlStatement& s = c->prepare("SELECT 1");
  if (s.step() != StepResult::row) return db_error(*c, "ping");
  return Ok{};
}

}  // namespace smscoach::dialogue

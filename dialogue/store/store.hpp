#pragma once
// The conversation store: texters, every message in and out, the provider
// message ids already processed, and the outbox. SQLite embedded or
// PostgreSQL shared, one interface. Every method is safe to call from
// several threads (and, on PostgreSQL, several processes); failures come
// back as ErrorCode::unavailable, never as exceptions.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/expected.hpp"
#include "common/group_commit_figures.hpp"
#include "common/inbound_sms.hpp"
#include "common/conversations.hpp"
#include "common/outbox.hpp"
#include "dialogue/texter_state.hpp"

namespace smscoach::dialogue {

enum class Direction { in, out };

struct StoredMessage {
  std::int64_t id = 0;
  std::string number;
  Direction direction = Direction::in;
  std::string body;
  std::int64_t at_ms = 0;  // Unix time, milliseconds
  std::string intent;      // inbound: what we understood; outbound: what it answered
  std::string author;      // "texter", "bot" or "operator:NAME"
};

// One inbound text and everything it caused, written in one transaction.
struct TurnRecord {
  InboundSms sms;
  std::int64_t at_ms = 0;
  std::string intent;
  double confidence = 0.0;
  std::vector<std::string> replies;
  TexterState state;           // the texter after the turn
  bool erase_history = false;  // delete the texter's messages and profile first
  // Also queue the replies to the outbox, to be sent through the provider's
  // REST API from the number the texter wrote to (sms.to).
  bool queue_replies = false;
};

struct RecordOutcome {
  bool duplicate = false;  // the message id was already processed: nothing written
  std::vector<std::string> replies;  // for a duplicate, what the first delivery answered
};

// An outbox row as staff and tests see it.
struct OutboxRecord {
  std::int64_t id = 0;
  std::string to;
  std::string from;
  std::string body;
  std::string status;  // pending, sending, sent, failed, cancelled
  int attempts = 0;
  std::string provider_sid;
  std::string delivery_status;  // the provider's latest status callback
  std::string error;
  std::int64_t created_ms = 0;
};

// Figures for /metrics, counted in the store so they hold across restarts
// and instances.
struct StoreCounts {
  std::int64_t handoffs_open = 0;  // texters in human mode or flagged
  std::int64_t outbox_depth = 0;   // pending or being sent
  std::int64_t outbox_failed = 0;  // failed for good
};

// One texter's turn: their state read, their recent texts counted, the turn
// recorded, with no other turn of the same texter in between, in this
// process or any other sharing the store. Destroyed without record_turn, it
// writes nothing. Hold one only for the turn: it holds a connection.
class TurnSession {
 public:
  virtual ~TurnSession() = default;
  virtual Expected<TexterState> load_texter() = 0;
  virtual Expected<int> inbound_count_since(std::int64_t since_ms) = 0;
  // As Store::record_turn; turn.sms.from must be this session's texter.
  // Ends the session either way.
  virtual Expected<RecordOutcome> record_turn(const TurnRecord& turn) = 0;

  // record_turn, answered through `done` once the turn is stored: maybe
  // after this returns and on another thread (SQLite's group commit answers
  // from a thread of its own once the disk is flushed, so no thread waits
  // for it).
  // `done` may own this session: it is not used once `done` is called.
  // By default, record_turn and then `done`.
  using RecordDone = std::function<void(Expected<RecordOutcome>)>;
  virtual void record_turn_then(const TurnRecord& turn, RecordDone done) {
    done(record_turn(turn));
  }
};

class Store : public Outbox, public ConversationAdmin {
 public:
  virtual ~Store() = default;

  // The replies first given to this provider message id, if it was processed.
  virtual Expected<std::optional<std::vector<std::string>>> processed_replies(
      std::string_view message_sid) = 0;

  // The texter's state; a fresh default state for a number never seen.
  virtual Expected<TexterState> load_texter(std::string_view number) = 0;

  // Starts a turn of this texter, waiting while another is under way.
  virtual Expected<std::unique_ptr<TurnSession>> begin_turn(std::string_view number) = 0;

  // Atomically: the message id, the inbound text, the replies, the new state.
  // A turn on its own; begin_turn when the state was read for it.
  virtual Expected<RecordOutcome> record_turn(const TurnRecord& turn) = 0;

  // Oldest first.
  virtual Expected<std::vector<StoredMessage>> messages(std::string_view number) = 0;

  // Texts received from a number at or after since_ms (for the rate limit).
  virtual Expected<int> inbound_count_since(std::string_view number, std::int64_t since_ms) = 0;

  // Erases profile, messages, replies and outbox rows of one texter; keeps an opt-out.
  virtual Status forget(std::string_view number) = 0;

  // A texter's outbox rows, oldest first.
  virtual Expected<std::vector<OutboxRecord>> outbox(std::string_view number) = 0;

  virtual Expected<StoreCounts> counts() = 0;

  // How batched commits are going, for /metrics; nullopt where each turn
  // commits on its own (PostgreSQL).
  virtual std::optional<GroupCommitFigures> group_commit_figures() const { return std::nullopt; }

  // Conversations in human mode whose last operator message (or takeover)
  // is older than idle_since_ms: a coach went quiet.
  virtual Expected<std::vector<std::string>> idle_handoffs(std::int64_t idle_since_ms) = 0;

  // Hands one of those back to the bot, if it is still idle, and queues
  // `notice` to tell the texter (unless they opted out or notice is empty).
  // False when it was no longer idle (an operator wrote meanwhile).
  virtual Expected<bool> release_idle(std::string_view number, std::int64_t idle_since_ms,
                                      std::string_view notice, std::int64_t now_ms) = 0;

  // Readiness: the store answers a trivial query.
  virtual Status ping() = 0;
};

}  // namespace smscoach::dialogue

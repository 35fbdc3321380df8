#pragma once
// Conversations as staff see them: the admin API's view of the store. The
// store implements it and the gateway's admin API drives it, so neither
// knows the other. Times are Unix milliseconds. Failures come back as
// Errors: not_found for a number or message never seen, conflict for an
// action the conversation's state forbids, unavailable when the store fails.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/expected.hpp"

namespace smscoach {

struct ConversationSummary {
  std::string number;
  std::string mode = "bot";  // "bot" or "human"
  bool flagged = false;
  bool opted_out = false;
  std::int64_t last_at_ms = 0;
  std::string last_text;  // the newest message either way
  // Why a human is wanted ("asked for a human", "medication question", ...)
  // and since when; set while the conversation is in the handoff queue.
  std::string reason;
  std::int64_t waiting_since_ms = 0;
};

struct ConversationMessage {
  std::int64_t id = 0;
  std::string direction;  // "in" or "out"
  std::string body;
  std::int64_t at_ms = 0;
  std::string intent;   // what the bot understood (in) or answered (out)
  std::string author;   // "texter", "bot" or "operator:NAME"
  std::string relabel;  // the intent staff say was right; empty when not relabelled
  std::string delivery;  // out, sent through the REST API: pending, sent, delivered, failed, ...
};

struct ConversationNote {
  std::int64_t id = 0;
  std::string author;  // operator name
  std::string body;
  std::int64_t at_ms = 0;
};

struct ConversationDetail {
  ConversationSummary summary;
  std::optional<double> weight_kg;
  std::string goal;
  std::vector<std::string> medications;
  std::vector<ConversationMessage> messages;  // oldest first
  std::vector<ConversationNote> notes;        // oldest first; staff only, never sent
};

struct ConversationQuery {
  std::string text;                 // full-text search over message text; empty: all
  std::optional<std::string> mode;  // "bot" or "human"
  std::optional<bool> flagged;
  int limit = 50;      // 1..200
  std::string cursor;  // empty: the first page; else a next_cursor from a previous page
};

struct ConversationPage {
  std::vector<ConversationSummary> conversations;  // newest last_at first
  std::string next_cursor;                         // empty on the last page
};

struct ExportRow {
  std::string number;
  std::string direction;  // "in" or "out"
  std::string body;
  std::int64_t at_ms = 0;
  std::string intent;
  std::string author;
};

struct RelabelRow {
  std::string text;    // the texter's message
  std::string intent;  // the intent staff gave
};

struct AuditEntry {
  std::int64_t at_ms = 0;
  std::string actor;   // "operator:NAME", "admin:NAME", "cli" or "bot"
  std::string action;  // "takeover", "release", "message", "note", "relabel", "erase", "auto_release"
  std::string number;  // the conversation, when there is one
  std::string detail;  // never message text
};

// A ready answer an operator can insert: the knowledge base's FAQ answers.
struct CannedReply {
  std::string id;     // the FAQ id
  std::string title;  // its question, short
  std::string text;
};

// Each action method (take_over, release, send_operator_message, add_note,
// relabel, erase) writes its own audit entry in the same transaction; audit()
// is for actions that change nothing in the store (an export, say).
class ConversationAdmin {
 public:
  virtual ~ConversationAdmin() = default;

  // Newest first. An unparseable cursor is ErrorCode::bad_input.
  virtual Expected<ConversationPage> list_conversations(const ConversationQuery& query) = 0;

  // Conversations in human mode or flagged, oldest waiting first.
  virtual Expected<std::vector<ConversationSummary>> handoffs() = 0;

  virtual Expected<ConversationDetail> conversation(std::string_view number) = 0;

  // Mode becomes human (the bot stops answering but for compliance keywords).
  // Taking over a conversation already in human mode is fine (idempotent).
  virtual Status take_over(std::string_view number, std::string_view actor, std::int64_t now_ms) = 0;

  // Mode back to bot; the flag is cleared and the handoff leaves the queue.
  virtual Status release(std::string_view number, std::string_view actor, std::int64_t now_ms) = 0;

  // Stores an operator's message and queues it to the outbox, from the number
  // the texter last wrote to. conflict if the texter opted out.
  virtual Status send_operator_message(std::string_view number, std::string_view operator_name,
                                       std::string_view body, std::int64_t now_ms) = 0;

  virtual Status add_note(std::string_view number, std::string_view author, std::string_view body,
                          std::int64_t now_ms) = 0;

  // Staff say the bot misread an inbound message: `intent` is the right one.
  // not_found for no such inbound message.
  virtual Status relabel(std::int64_t message_id, std::string_view intent, std::string_view actor,
                         std::int64_t now_ms) = 0;

  virtual Expected<std::vector<RelabelRow>> relabels() = 0;

  // Every message at or after since_ms, oldest first, handed to `sink` one at
  // a time (not gathered in memory); stops early when sink returns false.
  virtual Status export_messages(std::int64_t since_ms,
                                 const std::function<bool(const ExportRow&)>& sink) = 0;

  // As `users forget`: profile, messages, notes and outbox rows; an opt-out is kept.
  virtual Status erase(std::string_view number, std::string_view actor, std::int64_t now_ms) = 0;

  virtual Status audit(const AuditEntry& entry) = 0;
  // Newest first.
  virtual Expected<std::vector<AuditEntry>> audit_log(int limit) = 0;
};

}  // namespace smscoach

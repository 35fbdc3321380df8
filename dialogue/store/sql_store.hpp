#pragma once
// The store's logic, written once over SqlConnection: SqliteStore and
// PostgresStore supply connections, migrations and the few statements whose
// SQL must differ (full-text search, the outbox claim).

#include <memory>
#include <string>

#include "dialogue/store/sql_connection.hpp"
#include "dialogue/store/store.hpp"

namespace smscoach::dialogue {

// The words of a staff search: runs of letters, digits and non-ASCII bytes.
// Nothing else reaches a database's search syntax.
std::vector<std::string> search_words(std::string_view text);

// What differs between the databases beyond SqlConnection.
struct SqlDialect {
  // Conversations for the staff list, newest first. Parameters: ?1 mode or
  // '', ?2 flagged 0/1 or -1, ?3 search_query(text) or '', ?4 1 when a
  // cursor is given, ?5 its last_at, ?6 its number, ?7 the row limit.
  // Columns: number, mode, flagged, opted_out, last_at, last_text,
  // handoff_reason, handoff_since.
  const char* list_conversations;
  // Free text as the search language of list_conversations: every word a
  // required prefix, the database's own syntax out of reach.
  std::string (*search_query)(std::string_view text);
  // Outbox rows due (?1 now), oldest first, at most ?2, none behind an
  // earlier waiting row of the same texter, locked against other claimers
  // where the database can. Columns: id, number, from_number, body, attempts.
  const char* claim_outbox;
  // An outbox row by provider sid (?1), locked for update where the
  // database can. Columns: id, delivery_status.
  const char* delivery_status_for_update;
};

class SqlStore : public Store {
 public:
  ~SqlStore() override;

  Expected<std::optional<std::vector<std::string>>> processed_replies(
      std::string_view message_sid) override;
  Expected<TexterState> load_texter(std::string_view number) override;
  Expected<std::unique_ptr<TurnSession>> begin_turn(std::string_view number) override;
  Expected<RecordOutcome> record_turn(const TurnRecord& turn) override;
  Expected<std::vector<StoredMessage>> messages(std::string_view number) override;
  Expected<int> inbound_count_since(std::string_view number, std::int64_t since_ms) override;
  Status forget(std::string_view number) override;
  Status ping() override;
  Expected<std::vector<OutboxRecord>> outbox(std::string_view number) override;
  Expected<StoreCounts> counts() override;

  Expected<std::vector<OutboxItem>> claim_outbox(std::int64_t now_ms, std::int64_t lease_ms,
                                                 int limit) override;
  Status complete_outbox(const SendReport& report, std::int64_t now_ms) override;
  Expected<std::optional<std::int64_t>> next_outbox_due() override;
  Status release_outbox_leases() override;
  Status record_delivery(std::string_view provider_sid, std::string_view status,
                         std::string_view error_code, std::int64_t now_ms) override;

  Expected<std::vector<std::string>> idle_handoffs(std::int64_t idle_since_ms) override;
  Expected<bool> release_idle(std::string_view number, std::int64_t idle_since_ms,
                              std::string_view notice, std::int64_t now_ms) override;

  // ConversationAdmin (sql_admin.cpp)
  Expected<ConversationPage> list_conversations(const ConversationQuery& query) override;
  Expected<std::vector<ConversationSummary>> handoffs() override;
  Expected<ConversationDetail> conversation(std::string_view number) override;
  Status take_over(std::string_view number, std::string_view actor, std::int64_t now_ms) override;
  Status release(std::string_view number, std::string_view actor, std::int64_t now_ms) override;
  Status send_operator_message(std::string_view number, std::string_view operator_name,
                               std::string_view body, std::int64_t now_ms) override;
  Status add_note(std::string_view number, std::string_view author, std::string_view body,
                  std::int64_t now_ms) override;
  Status relabel(std::int64_t message_id, std::string_view intent, std::string_view actor,
                 std::int64_t now_ms) override;
  Expected<std::vector<RelabelRow>> relabels() override;
  Status export_messages(std::int64_t since_ms,
                         const std::function<bool(const ExportRow&)>& sink) override;
  Status erase(std::string_view number, std::string_view actor, std::int64_t now_ms) override;
  Status audit(const AuditEntry& entry) override;
  Expected<std::vector<AuditEntry>> audit_log(int limit) override;

 protected:
  explicit SqlStore(const SqlDialect& dialect) : dialect_(dialect) {}

  // A connection for one operation, waiting for one to be free.
  virtual ConnectionLease acquire() = 0;
  // A connection for listing conversations, which sees the search index;
  // when `searching`, the index is up to date with every committed message
  // (as far as that can be waited for). Where the index is kept apart
  // (SQLite), a connection of its own.
  virtual ConnectionLease acquire_for_list(bool /*searching*/) { return acquire(); }

  // Taken before acquire() by every change to a texter made outside a turn
  // session, and held until it commits: SQLite's turn sessions hold their
  // texter from load to write outside any transaction (sqlite_store.cpp),
  // so a staff change must wait for them. Nothing by default: PostgreSQL's
  // lock_texter does this inside the transaction.
  using TexterHold = std::shared_ptr<void>;
  virtual TexterHold hold_texter(std::string_view /*number*/) { return nullptr; }

 private:
  // Runs `change` for an existing texter, locked, in one transaction with
  // its audit entry (sql_admin.cpp).
  template <class Change>
  Status audited(std::string_view number, const AuditEntry& entry, Change change);

  const SqlDialect& dialect_;
};

}  // namespace smscoach::dialogue

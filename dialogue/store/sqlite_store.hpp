#pragma once
// The embedded store: one SQLite file in WAL mode, schema migrated at open.

#include <filesystem>
#include <memory>

#include "dialogue/store/store.hpp"

namespace smscoach::dialogue {

class SqliteStore final : public Store {
 public:
  // Opens or creates the file (and its folder) and migrates the schema;
  // throws std::runtime_error with the reason if it cannot.
  explicit SqliteStore(const std::filesystem::path& path);
  ~SqliteStore() override;

  Expected<std::optional<std::vector<std::string>>> processed_replies(
      std::string_view message_sid) override;
  Expected<TexterState> load_texter(std::string_view number) override;
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

  // ConversationAdmin (sqlite_admin.cpp)
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

  // The schema version after migration, for tests.
  int schema_version();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace smscoach::dialogue

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

  // The schema version after migration, for tests.
  int schema_version();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace smscoach::dialogue

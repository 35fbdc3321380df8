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

  // The schema version after migration, for tests.
  int schema_version();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace smscoach::dialogue

#pragma once
// The embedded store: one SQLite file in WAL mode, schema migrated at open,
// one connection shared by the process's threads. One serving process per
// file (a CLI command beside it is fine).

#include <filesystem>
#include <memory>

#include "dialogue/store/sql_store.hpp"

namespace smscoach::dialogue {

class SqliteStore final : public SqlStore {
 public:
  // Opens or creates the file (and its folder) and migrates the schema;
  // throws std::runtime_error with the reason if it cannot.
  explicit SqliteStore(const std::filesystem::path& path);
  ~SqliteStore() override;

  // Turns are serialised per texter within this process, and written by
  // group commit: acknowledged once on disk, one fsync for every turn that
  // queued behind the last.
  Expected<std::unique_ptr<TurnSession>> begin_turn(std::string_view number) override;
  // Asked before every turn: reads without ending the open batch.
  Expected<std::optional<std::vector<std::string>>> processed_replies(
      std::string_view message_sid) override;

  // The schema version after migration, for tests.
  int schema_version();

 protected:
  ConnectionLease acquire() override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace smscoach::dialogue

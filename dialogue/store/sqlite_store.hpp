#pragma once
// The embedded store: one SQLite file in WAL mode, schema migrated at open,
// one write connection shared by the process's threads (turns reach it
// through group commit) and read connections for each text's reads. One
// serving process per file (a CLI command beside it is fine).

#include <filesystem>
#include <functional>
#include <memory>

#include "dialogue/store/sql_store.hpp"

namespace smscoach::dialogue {

struct SqliteOptions {
  // How the -wal file reaches the disk: fdatasync(wal_fd) unless set; true
  // on success. Tests set it to count, hold back or fail flushes.
  std::function<bool(int wal_fd)> flush_wal;
};

class SqliteStore final : public SqlStore {
 public:
  // Opens or creates the file (and its folder) and migrates the schema;
  // throws std::runtime_error with the reason if it cannot.
  explicit SqliteStore(const std::filesystem::path& path, SqliteOptions options = {});
  ~SqliteStore() override;

  // Turns are serialised per texter within this process, and written by
  // group commit: acknowledged once on disk, one flush of the WAL for
  // every turn that arrived during the flush before.
  Expected<std::unique_ptr<TurnSession>> begin_turn(std::string_view number) override;
  // Asked before every turn: reads without ending the open batch.
  Expected<std::optional<std::vector<std::string>>> processed_replies(
      std::string_view message_sid) override;

  // Commit and WAL flush durations, and the turns committed.
  std::optional<GroupCommitFigures> group_commit_figures() const override;

  // The schema version after migration, for tests.
  int schema_version();

 protected:
  ConnectionLease acquire() override;
  ConnectionLease acquire_for_list(bool searching) override;
  TexterHold hold_texter(std::string_view number) override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace smscoach::dialogue

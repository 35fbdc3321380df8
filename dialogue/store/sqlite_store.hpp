#pragma once
// The embedded store: one SQLite file in WAL mode, schema migrated at open,
// one connection shared by the process's threads. One process per file.

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

  // The schema version after migration, for tests.
  int schema_version();

 protected:
  ConnectionLease acquire() override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace smscoach::dialogue

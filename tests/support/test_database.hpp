#pragma once
// The database a test runs on, so the same store and integration tests run
// against both backends (CTest registers them twice; see tests/CMakeLists.txt).
// With SMSCOACH_TEST_STORE=postgresql each test gets a fresh schema of the
// PostgreSQL server at SMSCOACH_TEST_POSTGRES_URL (deploy/test.sh starts
// one), dropped afterwards; otherwise a SQLite file in a fresh temp dir.

#include <filesystem>
#include <memory>
#include <string>

#include "dialogue/store/store.hpp"
#include "support/temp_dir.hpp"

namespace smscoach::test {

class TestDatabase {
 public:
  // Throws std::runtime_error if PostgreSQL is asked for and not reachable.
  TestDatabase();
  ~TestDatabase();
  TestDatabase(const TestDatabase&) = delete;
  TestDatabase& operator=(const TestDatabase&) = delete;

  // Whether this run is on PostgreSQL.
  static bool postgres();

  // The --db value naming it.
  const std::string& url() const { return url_; }
  // A store on it (the first one migrates the schema).
  std::unique_ptr<dialogue::Store> open() const;
  // Runs SQL on it directly (to set up what the store would refuse to
  // write); throws std::runtime_error with the database's reason.
  void execute(const std::string& sql) const;
  // A temp dir of the test's own for other files.
  const std::filesystem::path& dir() const { return dir_.path(); }

 private:
  TempDir dir_;
  std::string schema_;  // PostgreSQL: the test's own schema
  std::string url_;
};

// A fresh, migrated store for one test.
class FreshStore {
 public:
  FreshStore() : store_(db_.open()) {}
  dialogue::Store& operator*() { return *store_; }
  dialogue::Store* operator->() { return store_.get(); }
  const TestDatabase& database() const { return db_; }

 private:
  TestDatabase db_;  // outlives the store
  std::unique_ptr<dialogue::Store> store_;
};

}  // namespace smscoach::test

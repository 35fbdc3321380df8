#pragma once
// A bare SQLite connection for tests of the store's SQLite parts: WAL mode,
// synchronous NORMAL (as the store's writer runs), and REQUIREs on every call.

#include <catch2/catch.hpp>

#include <sqlite3.h>

#include <filesystem>
#include <string>

namespace smscoach::test {

struct RawSqlite {
  // `vfs` null: SQLite's default.
  explicit RawSqlite(const std::filesystem::path& path, const char* vfs = nullptr) {
    REQUIRE(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, vfs) ==
            SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    exec("PRAGMA journal_mode = WAL");
    exec("PRAGMA synchronous = NORMAL");
  }
  ~RawSqlite() { sqlite3_close(db); }
  RawSqlite(const RawSqlite&) = delete;
  RawSqlite& operator=(const RawSqlite&) = delete;

  void exec(const std::string& sql) {
    char* error = nullptr;
    const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error);
    INFO(sql << ": " << (error ? error : ""));
    sqlite3_free(error);
    REQUIRE(rc == SQLITE_OK);
  }

  // The first column of the first row `sql` returns.
  sqlite3_int64 count(const std::string& sql) {
    sqlite3_stmt* s = nullptr;
    INFO(sql);
    REQUIRE(sqlite3_prepare_v2(db, sql.c_str(), -1, &s, nullptr) == SQLITE_OK);
    const int rc = sqlite3_step(s);
    INFO(sqlite3_errmsg(db));
    REQUIRE(rc == SQLITE_ROW);
    const auto n = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    return n;
  }

  sqlite3* db = nullptr;
};

}  // namespace smscoach::test

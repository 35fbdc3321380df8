// The VFS that holds a transaction's WAL frames and writes them together:
// nothing written through it is lost, misplaced or late for a reader.

#include <catch2/catch.hpp>

#include <sqlite3.h>

#include <string>

#include "dialogue/store/sqlite_wal_batching_vfs.hpp"
#include "support/raw_sqlite.hpp"
#include "support/temp_dir.hpp"

using smscoach::dialogue::wal_batching_vfs;
using smscoach::test::RawSqlite;

namespace {

std::int64_t damage(RawSqlite& c) {
  return c.count("SELECT COUNT(*) FROM pragma_integrity_check WHERE integrity_check != 'ok'");
}

}  // namespace

TEST_CASE(
    "a transaction far larger than one write, spilled and read back before its commit, is whole",
    "[sqlite]") {
  smscoach::test::TempDir dir;
  const auto path = dir.path() / "big.db";
  constexpr int kRows = 600;  // about 2 MB of pages in one transaction
  {
    RawSqlite writer(path, wal_batching_vfs());
    // A small cache makes SQLite write pages to the WAL before the commit
    // and read them back from it while the transaction goes on.
    writer.exec("PRAGMA cache_size = 16");
    writer.exec("CREATE TABLE t (i INTEGER PRIMARY KEY, pad BLOB NOT NULL)");
    writer.exec("BEGIN");
    for (int i = 0; i < kRows; ++i) {
      writer.exec("INSERT INTO t (i, pad) VALUES (" + std::to_string(i) + ", zeroblob(3000))");
    }
    CHECK(writer.count("SELECT SUM(length(pad)) FROM t") == kRows * 3000);
    writer.exec("UPDATE t SET pad = randomblob(2000) WHERE i % 3 = 0");
    writer.exec("COMMIT");

    // Another connection, on SQLite's own VFS, sees all of it at once.
    RawSqlite reader(path);
    CHECK(reader.count("SELECT COUNT(*) FROM t") == kRows);
    CHECK(reader.count("SELECT SUM(length(pad)) FROM t") ==
          kRows / 3 * 2000 + kRows * 2 / 3 * 3000);
    CHECK(damage(reader) == 0);
  }
  // And so does a fresh process's view, once every connection has closed
  // (the last one checkpoints the WAL into the file).
  RawSqlite reopened(path);
  CHECK(reopened.count("SELECT COUNT(*) FROM t") == kRows);
  CHECK(damage(reopened) == 0);
}

TEST_CASE(
    "a reader sees every commit written through the VFS as soon as it returns, across WAL restarts",
    "[sqlite]") {
  smscoach::test::TempDir dir;
  const auto path = dir.path() / "commits.db";
  RawSqlite writer(path, wal_batching_vfs());
  // Checkpoints every few commits, so the WAL starts over many times and
  // its header is written again between held frames.
  writer.exec("PRAGMA wal_autocheckpoint = 40");
  writer.exec("CREATE TABLE t (i INTEGER PRIMARY KEY, pad BLOB NOT NULL)");
  writer.exec("CREATE TABLE total (n INTEGER NOT NULL)");
  writer.exec("INSERT INTO total VALUES (0)");
  RawSqlite reader(path);
  int rows = 0;
  for (int commit = 0; commit < 400; ++commit) {
    // One to three rows of one to four pages' worth: commits of different sizes.
    const int add = 1 + commit % 3;
    writer.exec("BEGIN");
    for (int k = 0; k < add; ++k) {
      writer.exec("INSERT INTO t (i, pad) VALUES (" + std::to_string(rows++) + ", randomblob(" +
                  std::to_string(500 + (commit * 977) % 15000) + "))");
    }
    writer.exec("UPDATE total SET n = " + std::to_string(rows));
    writer.exec("COMMIT");
    // A new read transaction each time: it must find the commit's frames in
    // the file, not just the wal-index entry pointing at them.
    REQUIRE(reader.count("SELECT COUNT(*) FROM t") == rows);
    REQUIRE(reader.count("SELECT n FROM total") == rows);
    if (commit % 100 == 99) REQUIRE(damage(reader) == 0);
  }
}

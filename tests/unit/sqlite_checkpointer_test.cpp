#include <catch2/catch.hpp>

#include <sqlite3.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

#include "dialogue/store/sqlite_checkpointer.hpp"
#include "support/raw_sqlite.hpp"
#include "support/temp_dir.hpp"

using namespace smscoach::dialogue;

namespace {

using Connection = smscoach::test::RawSqlite;

// Commits one row of about a page, so each commit adds a frame or two.
void commit_row(Connection& c, int i) {
  c.exec("INSERT INTO t (i, pad) VALUES (" + std::to_string(i) + ", randomblob(3000))");
}

// The WAL header's checkpoint sequence number (bytes 12 to 15, big-endian),
// which SQLite adds one to each time the WAL starts over.
std::uint32_t wal_restarts(const std::filesystem::path& db) {
  std::ifstream wal(db.string() + "-wal", std::ios::binary);
  unsigned char header[16] = {};
  wal.read(reinterpret_cast<char*>(header), sizeof header);
  REQUIRE(wal.gcount() == sizeof header);
  return (std::uint32_t{header[12]} << 24) | (std::uint32_t{header[13]} << 16) |
         (std::uint32_t{header[14]} << 8) | header[15];
}

// Commits rows until there are at least `at_least` and the checkpointer has
// finished `cycles` cycles; gives up after a minute, so that a checkpointer
// that never finishes fails the test rather than hangs it.
void commit_until(Connection& c, const SqliteCheckpointer& checkpointer, int& rows, int at_least,
                  std::uint64_t cycles) {
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (rows < at_least || (checkpointer.figures().cycles < cycles &&
                             std::chrono::steady_clock::now() < give_up)) {
    commit_row(c, rows++);
  }
}

constexpr SqliteCheckpointer::Limits kSmall{
    /*start_at_frames=*/200, /*hand_over_at_frames=*/32, /*max_passes=*/12,
    /*writer_alone_at_frames=*/100'000};

}  // namespace

TEST_CASE("the WAL starts over while the writer keeps committing, and nothing is lost",
          "[sqlite]") {
  smscoach::test::TempDir dir;
  const auto path = dir.path() / "checkpoint.db";
  Connection writer(path);
  writer.exec("CREATE TABLE t (i INTEGER PRIMARY KEY, pad BLOB)");
  int rows = 0;
  {
    SqliteCheckpointer checkpointer(writer.db, path.string(), kSmall);
    // Commits go on throughout: the thread has to catch up with a moving
    // WAL, and the writer finish each cycle between two commits.
    commit_until(writer, checkpointer, rows, 2000, 3);
    const auto figures = checkpointer.figures();
    CHECK(figures.cycles >= 3);
    CHECK(figures.frames >= figures.cycles * kSmall.start_at_frames);
    CHECK(figures.writer_frames <= figures.frames);
    // Each cycle let the WAL start over at the writer's next commit: its
    // header counts the restarts.
    commit_row(writer, rows++);
    CHECK(wal_restarts(path) >= figures.cycles);
  }
  CHECK(writer.count("SELECT COUNT(*) FROM t") == rows);
  CHECK(writer.count("SELECT COUNT(*) FROM pragma_integrity_check WHERE integrity_check != 'ok'") ==
        0);
  // The rows the checkpoints copied are in the database file itself.
  writer.exec("PRAGMA wal_checkpoint(TRUNCATE)");
  CHECK(std::filesystem::file_size(path.string() + "-wal") == 0);
  Connection reopened(path);
  CHECK(reopened.count("SELECT COUNT(*) FROM t") == rows);
}

TEST_CASE("a reader on an old snapshot keeps the WAL until it is done, then it starts over",
          "[sqlite]") {
  smscoach::test::TempDir dir;
  const auto path = dir.path() / "reader.db";
  Connection writer(path);
  writer.exec("CREATE TABLE t (i INTEGER PRIMARY KEY, pad BLOB)");
  Connection reader(path);
  SqliteCheckpointer checkpointer(writer.db, path.string(), kSmall);
  int rows = 0;
  for (; rows < 50; ++rows) commit_row(writer, rows);
  reader.exec("BEGIN");
  REQUIRE(reader.count("SELECT COUNT(*) FROM t") == 50);
  // The reader needs the frames after its snapshot's: no cycle can copy
  // the whole WAL, however many passes are made.
  for (; rows < 1500; ++rows) commit_row(writer, rows);
  CHECK(checkpointer.figures().cycles == 0);
  CHECK(reader.count("SELECT COUNT(*) FROM t") == 50);
  CHECK(wal_restarts(path) == 0);
  reader.exec("COMMIT");
  commit_until(writer, checkpointer, rows, rows, 1);
  CHECK(checkpointer.figures().cycles >= 1);
  CHECK(reader.count("SELECT COUNT(*) FROM t") == rows);
}

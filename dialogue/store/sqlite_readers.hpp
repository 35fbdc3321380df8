#pragma once
// Read-only work on the SQLite file through connections of its own: the
// reads every text makes (has its message id been seen, what do we know of
// the texter) run beside the writer instead of queueing for its
// connection. WAL gives each read a snapshot of what is committed. Private
// to dialogue/store/sqlite_*.cpp.

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/expected.hpp"
#include "dialogue/store/sqlite_connection.hpp"

namespace smscoach::dialogue {

class SqliteReaders {
 public:
  // Connections open on `path` when first needed, one per concurrent reader.
  explicit SqliteReaders(std::string path) : path_(std::move(path)) {}

  // A connection for one read, its statements reset (its snapshot let go)
  // when the lease ends.
  class Lease {
   public:
    Lease(SqliteReaders& pool, std::unique_ptr<SqliteConnection> connection)
        : pool_(&pool), connection_(std::move(connection)) {}
    Lease(Lease&&) noexcept = default;
    Lease& operator=(Lease&&) = delete;
    ~Lease();
    SqliteConnection& operator*() { return *connection_; }

   private:
    SqliteReaders* pool_;
    std::unique_ptr<SqliteConnection> connection_;
  };

  // An idle connection, or a new one; an error if the file cannot be opened.
  Expected<Lease> take();

 private:
  std::string path_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<SqliteConnection>> idle_;
};

}  // namespace smscoach::dialogue

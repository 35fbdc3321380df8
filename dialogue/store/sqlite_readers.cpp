#include "dialogue/store/sqlite_readers.hpp"

#include <sqlite3.h>

namespace smscoach::dialogue {

SqliteReaders::Lease::~Lease() {
  if (!connection_) return;
  connection_->finish_statements();
  std::lock_guard lock(pool_->mutex_);
  pool_->idle_.push_back(std::move(connection_));
}

Expected<SqliteReaders::Lease> SqliteReaders::take() {
  {
    std::lock_guard lock(mutex_);
    if (!idle_.empty()) {
      auto connection = std::move(idle_.back());
      idle_.pop_back();
      return Lease(*this, std::move(connection));
    }
  }
  auto connection = std::make_unique<SqliteConnection>();
  sqlite3*& db = connection->handle();
  if (sqlite3_open_v2(path_.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr) !=
      SQLITE_OK) {
    return make_error(ErrorCode::unavailable,
                      "opening a read connection: " + connection->error_message());
  }
  sqlite3_busy_timeout(db, 5000);
  // Reads only; a small page cache each, the OS caches the file for all.
  if (!connection->exec("PRAGMA query_only = 1") || !connection->exec("PRAGMA cache_size = -1024")) {
    return make_error(ErrorCode::unavailable,
                      "configuring a read connection: " + connection->error_message());
  }
  return Lease(*this, std::move(connection));
}

}  // namespace smscoach::dialogue

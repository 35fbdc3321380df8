#include "dialogue/store/open_store.hpp"

#include "dialogue/store/postgres_store.hpp"
#include "dialogue/store/sqlite_store.hpp"

namespace smscoach::dialogue {

std::unique_ptr<Store> open_store(const std::string& db, const StoreOptions& options) {
  if (is_postgres_url(db)) return std::make_unique<PostgresStore>(db, options.postgres_pool_size);
  return std::make_unique<SqliteStore>(db);
}

}  // namespace smscoach::dialogue

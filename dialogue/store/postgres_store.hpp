#pragma once
// The shared store: PostgreSQL through libpq, for several smscoach
// instances behind a load balancer. A pool of connections; the schema
// migrated at open under an advisory lock, so instances starting together
// migrate once; each texter's turns serialised across instances by a
// transaction-scoped advisory lock; outbox rows claimed with FOR UPDATE
// SKIP LOCKED and a lease.

#include <memory>
#include <string>

#include "dialogue/store/sql_store.hpp"

namespace smscoach::dialogue {

class PostgresStore final : public SqlStore {
 public:
  // `url` is a libpq connection URI (postgresql://user@host:port/db?...).
  // Opens `pool_size` connections and migrates the schema; throws
  // std::runtime_error with the reason if it cannot.
  explicit PostgresStore(const std::string& url, int pool_size = 8);
  ~PostgresStore() override;

  // The schema version after migration, for tests.
  int schema_version();

 protected:
  ConnectionLease acquire() override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// True for a --db value naming PostgreSQL rather than a SQLite file.
bool is_postgres_url(std::string_view db);

// The URL with any password replaced by "***", for logs and errors.
std::string redact_postgres_url(std::string_view url);

}  // namespace smscoach::dialogue

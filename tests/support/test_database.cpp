#include "support/test_database.hpp"

#include <libpq-fe.h>
#include <sqlite3.h>

#include <cstdlib>
#include <random>
#include <stdexcept>

#include "dialogue/store/open_store.hpp"

namespace smscoach::test {

namespace {

std::string postgres_server_url() {
  const char* url = std::getenv("SMSCOACH_TEST_POSTGRES_URL");
  if (!url || !*url) {
    throw std::runtime_error(
        "SMSCOACH_TEST_STORE=postgresql needs SMSCOACH_TEST_POSTGRES_URL (deploy/test.sh starts "
        "a server with deploy/postgres-local.sh and sets it)");
  }
  return url;
}

// Runs SQL on a PostgreSQL URL; throws with the server's reason.
void run_postgres(const std::string& url, const std::string& sql) {
  PGconn* conn = PQconnectdb(url.c_str());
  std::string error;
  if (PQstatus(conn) != CONNECTION_OK) {
    error = PQerrorMessage(conn);
  } else {
    PQsetNoticeProcessor(conn, [](void*, const char*) {}, nullptr);  // "drop cascades to ..."
    PGresult* r = PQexec(conn, sql.c_str());
    if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK) {
      error = PQresultErrorMessage(r);
    }
    PQclear(r);
  }
  PQfinish(conn);
  if (!error.empty()) throw std::runtime_error("test PostgreSQL: " + error);
}

void run_on_server(const std::string& sql) { run_postgres(postgres_server_url(), sql); }

}  // namespace

bool TestDatabase::postgres() {
  const char* store = std::getenv("SMSCOACH_TEST_STORE");
  return store && std::string_view(store) == "postgresql";
}

TestDatabase::TestDatabase() {
  if (!postgres()) {
    url_ = (dir_.path() / "smscoach.db").string();
    return;
  }
  std::mt19937_64 rng{std::random_device{}()};
  schema_ = "test_" + std::to_string(rng() % 1'000'000'000'000ULL);
  run_on_server("CREATE SCHEMA " + schema_);
  // Every connection of the store (and of a server process given this URL)
  // works in the test's schema, and is named after it in pg_stat_activity.
  const std::string base = postgres_server_url();
  url_ = base + (base.find('?') == std::string::npos ? "?" : "&") +
         "options=-csearch_path%3D" + schema_ + "&application_name=" + schema_;
}

TestDatabase::~TestDatabase() {
  if (schema_.empty()) return;
  try {
    run_on_server("DROP SCHEMA " + schema_ + " CASCADE");
  } catch (const std::exception&) {
    // A schema left behind costs disk, not correctness: every test has its own.
  }
}

std::unique_ptr<dialogue::Store> TestDatabase::open() const {
  dialogue::StoreOptions options;
  options.postgres_pool_size = 4;
  return dialogue::open_store(url_, options);
}

}  // namespace smscoach::test

namespace smscoach::test {

void TestDatabase::execute(const std::string& sql) const {
  if (postgres()) {
    run_postgres(url_, sql);
    return;
  }
  sqlite3* db = nullptr;
  std::string error;
  if (sqlite3_open(url_.c_str(), &db) != SQLITE_OK ||
      sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) {
    error = sqlite3_errmsg(db);
  }
  sqlite3_close(db);
  if (!error.empty()) throw std::runtime_error("test SQLite: " + error);
}

}  // namespace smscoach::test

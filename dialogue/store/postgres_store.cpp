// The PostgreSQL backend of SqlStore: libpq connections in a pool, lazily
// prepared statements, the schema's migrations, and PostgreSQL's dialect
// (tsvector search, SKIP LOCKED claims, advisory locks per texter).

#include "dialogue/store/postgres_store.hpp"
#include "dialogue/store/schema.hpp"

#include <libpq-fe.h>

#include <cctype>
#include <charconv>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <stdexcept>
#include <unordered_map>
#include <vector>

namespace smscoach::dialogue {

namespace {

// SQLite's `?` and `?N` placeholders as PostgreSQL's `$N`.
std::string postgres_placeholders(std::string_view sql) {
  std::string out;
  out.reserve(sql.size() + 16);
  int next = 0;
  for (std::size_t i = 0; i < sql.size(); ++i) {
    if (sql[i] != '?') {
      out += sql[i];
      continue;
    }
    out += '$';
    if (i + 1 < sql.size() && std::isdigit(static_cast<unsigned char>(sql[i + 1]))) continue;
    out += std::to_string(++next);
  }
  return out;
}

std::string trimmed(const char* message) {
  std::string s = message ? message : "";
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

class PostgresConnection;

class PostgresStatement final : public SqlStatement {
 public:
  PostgresStatement(PostgresConnection& connection, std::string name, std::string sql)
      : connection_(connection), name_(std::move(name)), sql_(std::move(sql)) {}
  ~PostgresStatement() override { clear(); }
  PostgresStatement(const PostgresStatement&) = delete;
  PostgresStatement& operator=(const PostgresStatement&) = delete;

  PostgresStatement& start() {
    clear();
    values_.clear();
    nulls_.clear();
    return *this;
  }
  void forget_prepared() { prepared_ = false; }
  // Sends it (preparing it first, once), without reading what comes back;
  // false if it could not be sent.
  bool send();

  using SqlStatement::bind;
  SqlStatement& bind(std::string_view text) override {
    values_.emplace_back(text);
    nulls_.push_back(false);
    return *this;
  }
  SqlStatement& bind(std::int64_t value) override { return bind(std::to_string(value)); }
  SqlStatement& bind(double value) override {
    char buf[32];
    const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
    return bind(std::string_view(buf, ec == std::errc{} ? static_cast<std::size_t>(end - buf) : 0));
  }
  SqlStatement& bind_null() override {
    values_.emplace_back();
    nulls_.push_back(true);
    return *this;
  }

  StepResult step() override;
  bool run() override;

  std::string text(int col) const override {
    if (!result_ || PQgetisnull(result_, row_, col)) return {};
    return std::string(PQgetvalue(result_, row_, col),
                       static_cast<std::size_t>(PQgetlength(result_, row_, col)));
  }
  std::int64_t int64(int col) const override {
    if (!result_ || PQgetisnull(result_, row_, col)) return 0;
    const char* v = PQgetvalue(result_, row_, col);
    std::int64_t out = 0;
    std::from_chars(v, v + PQgetlength(result_, row_, col), out);
    return out;
  }
  std::optional<double> optional_double(int col) const override {
    if (!result_ || PQgetisnull(result_, row_, col)) return std::nullopt;
    return std::strtod(PQgetvalue(result_, row_, col), nullptr);
  }

 private:
  void clear() {
    if (result_) PQclear(result_);
    result_ = nullptr;
    executed_ = false;
    row_ = -1;
  }

  // The bound values as libpq takes them, a null pointer for NULL.
  std::vector<const char*> parameters() const {
    std::vector<const char*> out(values_.size());
    for (std::size_t i = 0; i < values_.size(); ++i) {
      out[i] = nulls_[i] ? nullptr : values_[i].c_str();
    }
    return out;
  }

  PostgresConnection& connection_;
  std::string name_;
  std::string sql_;
  bool prepared_ = false;
  std::vector<std::string> values_;
  std::vector<bool> nulls_;
  bool executed_ = false;
  PGresult* result_ = nullptr;
  int row_ = -1;
};

class PostgresConnection final : public SqlConnection {
 public:
  explicit PostgresConnection(const std::string& url) : conn_(connect(url)) {
    if (!conn_ || PQstatus(conn_) != CONNECTION_OK) {
      const std::string why = conn_ ? trimmed(PQerrorMessage(conn_)) : "out of memory";
      if (conn_) PQfinish(conn_);
      throw std::runtime_error("cannot connect to PostgreSQL at " + redact_postgres_url(url) +
                               ": " + why);
    }
    configure();
  }
  ~PostgresConnection() override {
    statements_.clear();
    inserts_.clear();
    PQfinish(conn_);
  }

  PGconn* handle() { return conn_; }
  void set_error(std::string message) { error_ = std::move(message); }

  // A connection the server closed (restart, failover, an administrator) is
  // opened again before use; its prepared statements went with the old
  // session. Reading what the server sent meanwhile finds a close that no
  // query has met yet.
  void ensure_open() {
    // A pipeline left unfinished (its link broke as it ended) starts over too.
    if (PQconsumeInput(conn_) == 1 && PQstatus(conn_) == CONNECTION_OK &&
        PQpipelineStatus(conn_) == PQ_PIPELINE_OFF) {
      return;
    }
    pipelined_ = false;
    waiting_.clear();
    PQreset(conn_);
    for (auto& [sql, statement] : statements_) statement->forget_prepared();
    for (auto& [sql, statement] : inserts_) statement->forget_prepared();
    if (PQstatus(conn_) == CONNECTION_OK) configure();
  }

  SqlStatement& prepare(const char* sql) override {
    auto& slot = statements_[sql];
    if (!slot) {
      slot = std::make_unique<PostgresStatement>(
          *this, "s" + std::to_string(statements_.size()), postgres_placeholders(sql));
    }
    return slot->start();
  }

  // Kept apart from prepare()'s statements: the same SQL there has no
  // RETURNING.
  SqlStatement& prepare_insert(const char* sql, const char* returning) override {
    auto& slot = inserts_[sql];
    if (!slot) {
      slot = std::make_unique<PostgresStatement>(
          *this, "i" + std::to_string(inserts_.size()),
          postgres_placeholders(sql) + " RETURNING " + returning);
    }
    return slot->start();
  }

  bool exec(const char* sql) override {
    // Several statements in one string cannot go down a pipeline.
    if (pipelined_ && !end_pipeline()) return false;
    PGresult* r = PQexec(conn_, sql);
    const bool ok = r && (PQresultStatus(r) == PGRES_COMMAND_OK ||
                          PQresultStatus(r) == PGRES_TUPLES_OK);
    if (!ok) error_ = trimmed(r ? PQresultErrorMessage(r) : PQerrorMessage(conn_));
    if (r) PQclear(r);
    return ok;
  }
  // A transaction runs in libpq's pipeline mode: BEGIN and every statement
  // run() (whose rows nobody reads) wait in libpq's buffer and go to the
  // server with the next statement whose rows are read, or the COMMIT, in
  // one write, their answers read back together. A turn's transaction is
  // then three round trips (four with the rate limit's count), not eight
  // (nine). An error in a waiting statement fails the statement that sent
  // it, or the commit, with its message.
  bool begin() override {
    if (PQenterPipelineMode(conn_) != 1) return exec("BEGIN");
    pipelined_ = true;
    sent_failed_ = false;
    if (send_command("BEGIN")) return true;
    end_pipeline();
    return false;
  }
  bool commit() override {
    PGresult* r = nullptr;
    bool earlier_ok = true;
    if (pipelined_) {
      earlier_ok = send_command("COMMIT") && sync(&r);
      if (!end_pipeline()) earlier_ok = false;
    } else {
      r = PQexec(conn_, "COMMIT");
    }
    // A transaction that failed part-way answers COMMIT with ROLLBACK.
    const bool ok = earlier_ok && r && PQresultStatus(r) == PGRES_COMMAND_OK &&
                    std::string_view(PQcmdStatus(r)) == "COMMIT";
    if (!ok && earlier_ok) {
      error_ = r && PQresultStatus(r) == PGRES_COMMAND_OK
                   ? "transaction rolled back"
                   : trimmed(r ? PQresultErrorMessage(r) : PQerrorMessage(conn_));
    }
    if (r) PQclear(r);
    return ok;
  }
  void rollback() override {
    // What went wrong was reported already; this only ends the transaction.
    const std::string reported = error_;
    if (pipelined_) {
      if (send_command("ROLLBACK")) sync(nullptr);
      end_pipeline();
    } else {
      exec("ROLLBACK");
    }
    error_ = reported;
  }

  bool pipelined() const { return pipelined_; }

  // Counts a command sent down the pipeline; `prepares` is the statement a
  // PQsendPrepare was for, so a failed one is prepared again next time.
  void sent(PostgresStatement* prepares = nullptr) { waiting_.push_back(prepares); }
  bool send_failed() {
    sent_failed_ = true;
    error_ = trimmed(PQerrorMessage(conn_));
    return false;
  }

  // Sends what waits and reads every answer up to the sync. `keep`, if
  // given, takes the last command's result (the caller's rows). False if
  // anything sent failed (error_ says what first) or the connection broke.
  bool sync(PGresult** keep) {
    bool ok = !sent_failed_;
    if (PQpipelineSync(conn_) != 1) {
      waiting_.clear();
      return send_failed();
    }
    std::size_t at = 0;  // the command whose answers come next
    for (;;) {
      PGresult* r = PQgetResult(conn_);
      if (!r) {
        // Each command's answers end with a null; one more is a broken link.
        if (at >= waiting_.size() || PQstatus(conn_) == CONNECTION_BAD) {
          if (ok) error_ = trimmed(PQerrorMessage(conn_));
          ok = false;
          break;
        }
        ++at;
        continue;
      }
      const auto status = PQresultStatus(r);
      if (status == PGRES_PIPELINE_SYNC) {
        PQclear(r);
        break;
      }
      if (status == PGRES_FATAL_ERROR || status == PGRES_PIPELINE_ABORTED) {
        if (ok) error_ = trimmed(PQresultErrorMessage(r));
        ok = false;
        if (at < waiting_.size() && waiting_[at]) waiting_[at]->forget_prepared();
      } else if (keep && !*keep && at + 1 == waiting_.size()) {
        *keep = r;
        continue;
      }
      PQclear(r);
    }
    waiting_.clear();
    sent_failed_ = false;
    return ok;
  }

  bool lock_texter(std::string_view number) override {
    return prepare("SELECT pg_advisory_xact_lock(hashtextextended(?, 0))").bind(number).run();
  }

  std::string error_message() const override { return error_; }

 private:
  friend class PostgresStatement;

  // A server that does not answer fails a connect in 5 s rather than the
  // operating system's minutes; a connect_timeout in the URL wins.
  static PGconn* connect(const std::string& url) {
    const char* keys[] = {"connect_timeout", "dbname", nullptr};
    const char* values[] = {"5", url.c_str(), nullptr};
    return PQconnectdbParams(keys, values, 1);
  }

  void configure() {
    // Server notices (an empty search, say) are not ours to print.
    PQsetNoticeProcessor(conn_, [](void*, const char*) {}, nullptr);
    // A texter lock held for longer than this is a stuck instance: the
    // webhook gets a 503 and Twilio retries, rather than waiting forever.
    exec("SET lock_timeout = '10s'");
    // Named for pg_stat_activity, unless the URL named it already.
    const char* name = PQparameterStatus(conn_, "application_name");
    if (!name || !*name) exec("SET application_name = 'smscoach'");
  }

  bool send_command(const char* sql) {
    if (PQsendQueryParams(conn_, sql, 0, nullptr, nullptr, nullptr, nullptr, 0) != 1) {
      return send_failed();
    }
    sent();
    return true;
  }

  // Reads what is still to come and leaves pipeline mode; false if that
  // found an error or the connection would not leave it.
  bool end_pipeline() {
    bool ok = waiting_.empty() && !sent_failed_ ? true : sync(nullptr);
    pipelined_ = false;
    if (PQexitPipelineMode(conn_) != 1) {
      if (ok) error_ = trimmed(PQerrorMessage(conn_));
      ok = false;
    }
    return ok;
  }

  PGconn* conn_;
  std::string error_;
  std::unordered_map<const char*, std::unique_ptr<PostgresStatement>> statements_;
  std::unordered_map<const char*, std::unique_ptr<PostgresStatement>> inserts_;
  bool pipelined_ = false;
  bool sent_failed_ = false;
  // Commands sent since the last sync, each with the statement it prepared.
  std::vector<PostgresStatement*> waiting_;
};

bool PostgresStatement::send() {
  PGconn* conn = connection_.handle();
  if (!prepared_) {
    if (PQsendPrepare(conn, name_.c_str(), sql_.c_str(), 0, nullptr) != 1) {
      return connection_.send_failed();
    }
    prepared_ = true;
    connection_.sent(this);
  }
  const auto params = parameters();
  if (PQsendQueryPrepared(conn, name_.c_str(), static_cast<int>(params.size()), params.data(),
                          nullptr, nullptr, 0) != 1) {
    return connection_.send_failed();
  }
  connection_.sent();
  return true;
}

bool PostgresStatement::run() {
  // A statement already stepped is finished by stepping.
  if (!connection_.pipelined() || executed_) return step() != StepResult::error;
  executed_ = true;
  return send();
}

StepResult PostgresStatement::step() {
  if (!executed_ && connection_.pipelined()) {
    executed_ = true;
    if (!send() || !connection_.sync(&result_)) return StepResult::error;
    if (!result_) {
      connection_.set_error("no result");
      return StepResult::error;
    }
  }
  if (!executed_) {
    executed_ = true;
    PGconn* conn = connection_.handle();
    if (!prepared_) {
      PGresult* r = PQprepare(conn, name_.c_str(), sql_.c_str(), 0, nullptr);
      const bool ok = r && PQresultStatus(r) == PGRES_COMMAND_OK;
      if (!ok) connection_.set_error(trimmed(r ? PQresultErrorMessage(r) : PQerrorMessage(conn)));
      if (r) PQclear(r);
      if (!ok) return StepResult::error;
      prepared_ = true;
    }
    const auto params = parameters();
    result_ = PQexecPrepared(conn, name_.c_str(), static_cast<int>(params.size()), params.data(),
                             nullptr, nullptr, 0);
    const auto status = result_ ? PQresultStatus(result_) : PGRES_FATAL_ERROR;
    if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
      connection_.set_error(
          trimmed(result_ ? PQresultErrorMessage(result_) : PQerrorMessage(conn)));
      return StepResult::error;
    }
  }
  if (PQresultStatus(result_) != PGRES_TUPLES_OK) return StepResult::done;
  if (row_ + 1 >= PQntuples(result_)) return StepResult::done;
  ++row_;
  return StepResult::row;
}

// Each word a quoted prefix term, all required. Only letters, digits and
// non-ASCII bytes are in a word, so tsquery's own syntax (| ! <-> :) is out
// of reach of whatever staff type.
std::string tsquery(std::string_view text) {
  std::string out;
  for (const auto& word : search_words(text)) {
    if (!out.empty()) out += " & ";
    out += '\'' + word + "':*";
  }
  return out;
}

const SchemaDialect kPostgresSchema{
    "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
    "BIGINT",
    "DOUBLE PRECISION",
    // The 'simple' configuration (no stemming, no stop words), as SQLite's
    // FTS5 unicode61 tokenizer.
    "CREATE INDEX messages_search ON messages USING GIN (to_tsvector('simple', body));",
    // A GIN index is kept by PostgreSQL itself, cheaply enough per row.
    "SELECT 1;",
    "SELECT 1;",
    "SELECT 1;",
};

const SqlDialect kPostgresDialect{
    "SELECT number, mode, flagged, opted_out, last_at, last_text, handoff_reason, "
    "handoff_since FROM texters "
    "WHERE last_at > 0 AND (?1 = '' OR mode = ?1) AND (?2 < 0 OR flagged = ?2) "
    "AND (?3 = '' OR number IN (SELECT m.number FROM messages AS m WHERE "
    "to_tsvector('simple', m.body) @@ to_tsquery('simple', ?3))) "
    "AND (?4 = 0 OR last_at < ?5 OR (last_at = ?5 AND number > ?6)) "
    "ORDER BY last_at DESC, number ASC LIMIT ?7",
    tsquery,
    // Rows another instance is claiming right now are skipped, not waited
    // for; one it claimed and committed is 'sending' and fails the filter
    // when rechecked, and so does every later row of the same texter.
    "SELECT id, number, from_number, body, attempts FROM outbox AS o "
    "WHERE status = 'pending' AND next_attempt_ms <= ?1 AND NOT EXISTS "
    "(SELECT 1 FROM outbox AS p WHERE p.number = o.number AND p.id < o.id "
    "AND p.status IN ('pending', 'sending')) ORDER BY id LIMIT ?2 FOR UPDATE SKIP LOCKED",
    "SELECT id, delivery_status FROM outbox WHERE provider_sid = ? FOR UPDATE",
};

}  // namespace

bool is_postgres_url(std::string_view db) {
  return db.starts_with("postgresql://") || db.starts_with("postgres://");
}

std::string redact_postgres_url(std::string_view url) {
  // scheme://user:password@host...: the password is between the first ':'
  // after the scheme and the '@'.
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return std::string(url);
  const auto authority = scheme_end + 3;
  const auto at = url.find('@', authority);
  const auto slash = url.find('/', authority);
  if (at == std::string_view::npos || (slash != std::string_view::npos && slash < at)) {
    return std::string(url);
  }
  const auto colon = url.find(':', authority);
  if (colon == std::string_view::npos || colon > at) return std::string(url);
  return std::string(url.substr(0, colon + 1)) + "***" + std::string(url.substr(at));
}

struct PostgresStore::Impl {
  std::vector<std::unique_ptr<PostgresConnection>> connections;
  std::mutex mutex;
  std::condition_variable returned;
  std::vector<PostgresConnection*> idle;

  int read_version(PostgresConnection& c) {
    SqlStatement& s = c.prepare("SELECT COALESCE(MAX(version), 0) FROM smscoach_schema");
    return s.step() == StepResult::row ? static_cast<int>(s.int64(0)) : -1;
  }

  // Every instance migrates at start; the advisory lock makes the first do
  // it and the others wait and find nothing left to do.
  void migrate(PostgresConnection& c) {
    const auto fail = [&](const std::string& what) {
      throw std::runtime_error(what + ": " + c.error_message());
    };
    SqlTransaction tx(c);
    if (!tx.began() ||
        !c.exec("SELECT pg_advisory_xact_lock(hashtextextended('smscoach schema ' || "
                "current_schema(), 0))") ||
        !c.exec("CREATE TABLE IF NOT EXISTS smscoach_schema (version INTEGER NOT NULL)")) {
      fail("cannot prepare the schema");
    }
    const int have = read_version(c);
    if (have < 0) fail("cannot read the schema version");
    const auto migrations = schema_migrations(kPostgresSchema);
    const int want = static_cast<int>(migrations.size());
    if (have > want) {
      throw std::runtime_error("database schema version " + std::to_string(have) +
                               " is newer than this smscoach (" + std::to_string(want) + ")");
    }
    for (int v = have; v < want; ++v) {
      const std::string bump =
          "DELETE FROM smscoach_schema; INSERT INTO smscoach_schema VALUES (" +
          std::to_string(v + 1) + ")";
      if (!c.exec(migrations[v].c_str()) || !c.exec(bump.c_str())) {
        fail("schema migration to version " + std::to_string(v + 1) + " failed");
      }
    }
    if (!tx.commit()) fail("schema migration failed");
  }
};

PostgresStore::PostgresStore(const std::string& url, int pool_size)
    : SqlStore(kPostgresDialect), impl_(std::make_unique<Impl>()) {
  if (pool_size < 1) throw std::invalid_argument("PostgreSQL pool size must be at least 1");
  for (int i = 0; i < pool_size; ++i) {
    impl_->connections.push_back(std::make_unique<PostgresConnection>(url));
    impl_->idle.push_back(impl_->connections.back().get());
  }
  impl_->migrate(*impl_->connections.front());
}

PostgresStore::~PostgresStore() = default;

ConnectionLease PostgresStore::acquire() {
  std::unique_lock lock(impl_->mutex);
  impl_->returned.wait(lock, [&] { return !impl_->idle.empty(); });
  PostgresConnection* c = impl_->idle.back();
  impl_->idle.pop_back();
  lock.unlock();
  c->ensure_open();
  return ConnectionLease(c, [impl = impl_.get()](SqlConnection* returned) {
    {
      std::lock_guard guard(impl->mutex);
      impl->idle.push_back(static_cast<PostgresConnection*>(returned));
    }
    impl->returned.notify_one();
  });
}

int PostgresStore::schema_version() {
  auto c = acquire();
  return impl_->read_version(static_cast<PostgresConnection&>(*c));
}

}  // namespace smscoach::dialogue

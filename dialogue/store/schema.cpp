// The schema, version by version, written once for both databases.

#include "dialogue/store/schema.hpp"

#include <string_view>

namespace smscoach::dialogue {

namespace {

// Each entry moves the schema one version up; never edit a shipped entry.
// {id}, {int64}, {real}, {search}, {search_per_batch} and {search_from_mark} are the
// dialect's (schema.hpp).
const char* const kMigrations[] = {
    R"sql(
    CREATE TABLE texters (
      number       TEXT PRIMARY KEY,
      weight_kg    {real},
      goal         TEXT NOT NULL DEFAULT '',
      medications  TEXT NOT NULL DEFAULT '[]',
      opted_out    INTEGER NOT NULL DEFAULT 0,
      mode         TEXT NOT NULL DEFAULT 'bot',
      flagged      INTEGER NOT NULL DEFAULT 0,
      misses       INTEGER NOT NULL DEFAULT 0,
      holding_sent INTEGER NOT NULL DEFAULT 0,
      updated_at   {int64} NOT NULL
    );
    CREATE TABLE messages (
      id          {id},
      number      TEXT NOT NULL,
      direction   TEXT NOT NULL CHECK (direction IN ('in', 'out')),
      body        TEXT NOT NULL,
      at_ms       {int64} NOT NULL,
      intent      TEXT NOT NULL DEFAULT '',
      confidence  {real},
      author      TEXT NOT NULL,
      message_sid TEXT
    );
    CREATE INDEX messages_by_number ON messages (number, id);
    CREATE TABLE processed_messages (
      message_sid TEXT PRIMARY KEY,
      number      TEXT NOT NULL,
      replies     TEXT NOT NULL,
      at_ms       {int64} NOT NULL
    );
    CREATE INDEX processed_by_number ON processed_messages (number);
    )sql",
    R"sql(
    ALTER TABLE texters ADD COLUMN weight_unit TEXT NOT NULL DEFAULT 'kg';
    ALTER TABLE texters ADD COLUMN conditions TEXT NOT NULL DEFAULT '[]';
    ALTER TABLE texters ADD COLUMN pending TEXT NOT NULL DEFAULT '';
    ALTER TABLE texters ADD COLUMN pending_subject TEXT NOT NULL DEFAULT '';
    ALTER TABLE texters ADD COLUMN pending_until {int64} NOT NULL DEFAULT 0;
    ALTER TABLE texters ADD COLUMN last_supplement TEXT NOT NULL DEFAULT '';
    ALTER TABLE texters ADD COLUMN more_text TEXT NOT NULL DEFAULT '';
    ALTER TABLE texters ADD COLUMN age_years INTEGER;
    )sql",
    R"sql(
    CREATE TABLE outbox (
      id               {id},
      number           TEXT NOT NULL,
      from_number      TEXT NOT NULL,
      body             TEXT NOT NULL,
      message_id       {int64},
      confirms_opt_out INTEGER NOT NULL DEFAULT 0,
      status           TEXT NOT NULL DEFAULT 'pending'
                       CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'cancelled')),
      attempts         INTEGER NOT NULL DEFAULT 0,
      next_attempt_ms  {int64} NOT NULL,
      lease_until_ms   {int64} NOT NULL DEFAULT 0,
      provider_sid     TEXT,
      delivery_status  TEXT NOT NULL DEFAULT '',
      error            TEXT NOT NULL DEFAULT '',
      created_ms       {int64} NOT NULL,
      updated_ms       {int64} NOT NULL
    );
    CREATE INDEX outbox_waiting ON outbox (status, next_attempt_ms);
    CREATE INDEX outbox_by_number ON outbox (number, id);
    CREATE UNIQUE INDEX outbox_by_provider_sid ON outbox (provider_sid);
    CREATE INDEX texters_needing_human ON texters (number) WHERE mode = 'human' OR flagged = 1;
    )sql",
    R"sql(
    ALTER TABLE texters ADD COLUMN line_number TEXT NOT NULL DEFAULT '';
    ALTER TABLE texters ADD COLUMN handoff_reason TEXT NOT NULL DEFAULT '';
    ALTER TABLE texters ADD COLUMN handoff_since {int64} NOT NULL DEFAULT 0;
    ALTER TABLE texters ADD COLUMN last_at {int64} NOT NULL DEFAULT 0;
    ALTER TABLE texters ADD COLUMN last_text TEXT NOT NULL DEFAULT '';
    ALTER TABLE texters ADD COLUMN last_operator_at {int64} NOT NULL DEFAULT 0;
    ALTER TABLE messages ADD COLUMN relabel TEXT NOT NULL DEFAULT '';
    UPDATE texters SET
      last_at = COALESCE((SELECT MAX(at_ms) FROM messages m WHERE m.number = texters.number), 0),
      last_text = COALESCE((SELECT body FROM messages m WHERE m.number = texters.number
                            ORDER BY id DESC LIMIT 1), '');
    CREATE INDEX texters_by_last ON texters (last_at DESC, number);
    CREATE INDEX messages_by_time ON messages (at_ms, id);
    CREATE TABLE notes (
      id     {id},
      number TEXT NOT NULL,
      author TEXT NOT NULL,
      body   TEXT NOT NULL,
      at_ms  {int64} NOT NULL
    );
    CREATE INDEX notes_by_number ON notes (number, id);
    CREATE TABLE audit_log (
      id     {id},
      at_ms  {int64} NOT NULL,
      actor  TEXT NOT NULL,
      action TEXT NOT NULL,
      number TEXT NOT NULL DEFAULT '',
      detail TEXT NOT NULL DEFAULT ''
    );
    {search}
    )sql",
    // Version 5: where search indexing is per batch rather than per message.
    R"sql(
    {search_per_batch}
    )sql",
    // Version 6: a text writes fewer index entries. Nothing looks up
    // processed message ids by number any more (erase finds them through
    // the texter's messages), and search indexing needs no queue.
    R"sql(
    DROP INDEX processed_by_number;
    {search_from_mark}
    )sql",
    // Version 7: search indexing off the writer.
    R"sql(
    {search_own_file}
    )sql",
};

void replace_all(std::string& text, std::string_view token, std::string_view with) {
  for (std::size_t at = 0; (at = text.find(token, at)) != std::string::npos; at += with.size()) {
    text.replace(at, token.size(), with);
  }
}

}  // namespace

std::vector<std::string> schema_migrations(const SchemaDialect& dialect) {
  std::vector<std::string> out;
  for (const char* migration : kMigrations) {
    std::string sql = migration;
    replace_all(sql, "{id}", dialect.id_column);
    replace_all(sql, "{int64}", dialect.int64);
    replace_all(sql, "{real}", dialect.real);
    replace_all(sql, "{search_per_batch}", dialect.search_per_batch);
    replace_all(sql, "{search_from_mark}", dialect.search_from_mark);
    replace_all(sql, "{search_own_file}", dialect.search_own_file);
    replace_all(sql, "{search}", dialect.search_index);
    out.push_back(std::move(sql));
  }
  return out;
}

}  // namespace smscoach::dialogue

#pragma once
// The store's schema migrations, written once (schema.cpp) and spelt in each
// database's types, so SQLite and PostgreSQL hold the same tables at the
// same version numbers.

#include <string>
#include <vector>

namespace smscoach::dialogue {

struct SchemaDialect {
  const char* id_column;     // an auto-numbered 64-bit primary key
  const char* int64;         // a 64-bit integer (times in ms, ids)
  const char* real;          // a double
  const char* search_index;  // what makes messages.body searchable (version 4)
  // Version 5: search indexing moved from each message to each commit,
  // where the database needs that (SQLite's FTS5); else a no-op statement.
  const char* search_per_batch;
  // Version 6: search indexing in batches of commits, from a mark (the
  // newest message indexed) rather than a queue filled by a trigger; else
  // a no-op statement.
  const char* search_from_mark;
  // Version 7: the search index moved to a file of its own, which learns of
  // erased messages from a queue in the database; else a no-op statement.
  const char* search_own_file;
};

// The migrations in order: entry v moves the schema from version v to v+1.
std::vector<std::string> schema_migrations(const SchemaDialect& dialect);

}  // namespace smscoach::dialogue

#pragma once
// The store a --db value names: a postgresql:// (or postgres://) URL opens
// PostgreSQL, anything else is a SQLite file path.

#include <memory>
#include <string>

#include "dialogue/store/store.hpp"

namespace smscoach::dialogue {

struct StoreOptions {
  int postgres_pool_size = 8;  // connections per process; SQLite has one
};

// Throws std::runtime_error with the reason if the store cannot be opened.
std::unique_ptr<Store> open_store(const std::string& db, const StoreOptions& options = {});

}  // namespace smscoach::dialogue

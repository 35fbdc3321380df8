#include "bot/runtime.hpp"

#include <iostream>

#include "content/loader.hpp"
#include "dialogue/store/open_store.hpp"
#include "dialogue/store/postgres_store.hpp"

namespace smscoach::bot {

std::vector<FlagSpec> content_flags() {
  return {{"content", "DIR", "knowledge base folder (default: the shipped content/data)"}};
}

std::vector<FlagSpec> store_flags() {
  return {{"db", "PATH|URL",
           "SQLite file (default ./data/smscoach.db) or a postgresql:// URL shared by instances"},
          {"db-pool", "N", "PostgreSQL connections per process (default 8)"}};
}

std::optional<ParsedArgs> parse_or_usage(const std::vector<std::string>& args,
                                         const std::vector<FlagSpec>& specs,
                                         std::string_view command_line, std::string_view summary) {
  auto parsed = parse_args(args, specs, process_env());
  if (!parsed) {
    throw CommandError{kExitUsage,
                       parsed.error().message + " (see smscoach " +
                           std::string(command_line.substr(0, command_line.find(' '))) +
                           " --help)"};
  }
  if (parsed->help) {
    std::cout << usage_text(command_line, summary, specs);
    return std::nullopt;
  }
  return std::move(parsed).value();
}

std::filesystem::path content_dir(const ParsedArgs& args) {
  if (auto dir = args.get("content")) return *dir;
  const std::filesystem::path installed = SMSCOACH_INSTALLED_CONTENT_DIR;
  std::error_code ec;
  if (std::filesystem::exists(installed / "faq.jsonl", ec)) return installed;
  return SMSCOACH_SOURCE_CONTENT_DIR;
}

std::shared_ptr<const dialogue::Knowledge> load_knowledge(const std::filesystem::path& dir) {
  auto loaded = content::load_knowledge_base(dir);
  if (!loaded.ok()) {
    for (const auto& e : loaded.errors) std::cerr << e.to_string() << "\n";
    throw CommandError{kExitFailure, "knowledge base in " + dir.string() + " has " +
                                         std::to_string(loaded.errors.size()) + " error(s)"};
  }
  return std::make_shared<const dialogue::Knowledge>(std::move(loaded.kb));
}

// A whole number flag in [min, max]; `fallback` when absent.
long whole_number_flag(const ParsedArgs& args, const std::string& name, long fallback, long min,
                       long max) {
  const auto value = args.get(name);
  if (!value) return fallback;
  if (value->empty() || value->size() > 9 ||
      value->find_first_not_of("0123456789") != std::string::npos || std::stol(*value) < min ||
      std::stol(*value) > max) {
    throw CommandError{kExitUsage, "--" + name + " " + *value + ": expected a whole number from " +
                                       std::to_string(min) + " to " + std::to_string(max)};
  }
  return std::stol(*value);
}

std::unique_ptr<dialogue::Store> open_store(const ParsedArgs& args) {
  const std::string db = args.get("db").value_or("./data/smscoach.db");
  dialogue::StoreOptions options;
  options.postgres_pool_size = static_cast<int>(whole_number_flag(args, "db-pool", 8, 1, 100));
  try {
    return dialogue::open_store(db, options);
  } catch (const std::exception& e) {
    throw CommandError{kExitFailure, e.what()};
  }
}

}  // namespace smscoach::bot

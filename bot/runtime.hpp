#pragma once
// What every command needs before it works: the knowledge base, the store,
// and one way to fail (one line on stderr, a non-zero exit).

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "bot/cli_options.hpp"
#include "dialogue/knowledge.hpp"
#include "dialogue/store/store.hpp"

namespace smscoach::bot {

inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

// Thrown by commands to end with one line and an exit code; caught in main.
struct CommandError {
  int exit_code;
  std::string message;
};

// The flags every command that reads content or the store takes.
std::vector<FlagSpec> content_flags();
std::vector<FlagSpec> store_flags();

// Parses flags or throws CommandError(kExitUsage); prints usage and returns
// nullopt for --help.
std::optional<ParsedArgs> parse_or_usage(const std::vector<std::string>& args,
                                         const std::vector<FlagSpec>& specs,
                                         std::string_view command_line, std::string_view summary);

// --content, else the installed knowledge base, else the one in the source tree.
std::filesystem::path content_dir(const ParsedArgs& args);

// Loads and validates; on any error prints every `file:line: message` to
// stderr and throws CommandError.
std::shared_ptr<const dialogue::Knowledge> load_knowledge(const std::filesystem::path& dir);

// A whole number flag in [min, max]; `fallback` when absent. CommandError
// (usage) otherwise.
long whole_number_flag(const ParsedArgs& args, const std::string& name, long fallback, long min,
                       long max);

// Opens --db (default ./data/smscoach.db, or a postgresql:// URL) with
// --db-pool connections; throws CommandError on failure.
std::unique_ptr<dialogue::Store> open_store(const ParsedArgs& args);

}  // namespace smscoach::bot

#pragma once
// Flags for every command, each also read from SMSCOACH_<FLAG_IN_CAPS>
// (--db / SMSCOACH_DB); a flag on the command line wins over the environment.

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/expected.hpp"

namespace smscoach::bot {

struct FlagSpec {
  std::string name;  // without the leading "--"
  std::string value_name;  // empty: a switch with no value
  std::string help;
  bool repeatable = false;
};

struct ParsedArgs {
  std::map<std::string, std::vector<std::string>, std::less<>> values;
  std::vector<std::string> positional;
  bool help = false;

  std::optional<std::string> get(std::string_view flag) const;
  bool has(std::string_view flag) const { return values.contains(flag); }
};

// Environment lookup, injectable so tests need not touch the real environment.
using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;
EnvLookup process_env();

// "--twilio-auth-token" -> "SMSCOACH_TWILIO_AUTH_TOKEN".
std::string env_name(std::string_view flag);

// Parses args (after the command words). Unknown flags and missing values are
// ErrorCode::bad_input with a one-line reason.
Expected<ParsedArgs> parse_args(const std::vector<std::string>& args,
                                const std::vector<FlagSpec>& specs, const EnvLookup& env);

std::string usage_text(std::string_view command_line, std::string_view summary,
                       const std::vector<FlagSpec>& specs);

}  // namespace smscoach::bot

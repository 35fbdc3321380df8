#include "bot/cli_options.hpp"

#include <cstdlib>

namespace smscoach::bot {

std::optional<std::string> ParsedArgs::get(std::string_view flag) const {
  const auto it = values.find(flag);
  if (it == values.end() || it->second.empty()) return std::nullopt;
  return it->second.back();
}

EnvLookup process_env() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    if (!v) return std::nullopt;
    return std::string(v);
  };
}

std::string env_name(std::string_view flag) {
  std::string out = "SMSCOACH_";
  for (char c : flag) {
    out.push_back(c == '-' ? '_' : (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c);
  }
  return out;
}

Expected<ParsedArgs> parse_args(const std::vector<std::string>& args,
                                const std::vector<FlagSpec>& specs, const EnvLookup& env) {
  ParsedArgs parsed;
  auto find_spec = [&specs](std::string_view name) -> const FlagSpec* {
    for (const auto& s : specs) {
      if (s.name == name) return &s;
    }
    return nullptr;
  };
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--help" || arg == "-h") {
      parsed.help = true;
      continue;
    }
    if (arg == "--") {
      parsed.positional.insert(parsed.positional.end(), args.begin() + static_cast<long>(i) + 1,
                               args.end());
      break;
    }
    if (!arg.starts_with("--")) {
      parsed.positional.push_back(arg);
      continue;
    }
    std::string name = arg.substr(2);
    std::optional<std::string> value;
    if (const auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name.resize(eq);
    }
    const FlagSpec* spec = find_spec(name);
    if (!spec) return make_error(ErrorCode::bad_input, "unknown flag --" + name);
    if (spec->value_name.empty()) {
      if (value) return make_error(ErrorCode::bad_input, "--" + name + " takes no value");
      value = "true";
    } else if (!value) {
      if (i + 1 >= args.size()) {
        return make_error(ErrorCode::bad_input, "--" + name + " needs a value (" +
                                                    spec->value_name + ")");
      }
      value = args[++i];
    }
    auto& slot = parsed.values[name];
    if (!spec->repeatable) slot.clear();
    slot.push_back(*value);
  }
  // The environment fills only what the command line left unset.
  for (const auto& spec : specs) {
    if (parsed.values.contains(spec.name)) continue;
    if (auto v = env(env_name(spec.name))) {
      if (spec.value_name.empty()) {
        if (*v == "1" || *v == "true") parsed.values[spec.name].push_back("true");
      } else {
        parsed.values[spec.name].push_back(*v);
      }
    }
  }
  return parsed;
}

std::string usage_text(std::string_view command_line, std::string_view summary,
                       const std::vector<FlagSpec>& specs) {
  std::string out = "usage: smscoach " + std::string(command_line) + "\n\n" +
                    std::string(summary) + "\n";
  if (!specs.empty()) out += "\nflags (each also read from SMSCOACH_<FLAG>):\n";
  for (const auto& s : specs) {
    std::string left = "  --" + s.name + (s.value_name.empty() ? "" : " " + s.value_name);
    if (left.size() < 32) left.resize(32, ' ');
    out += left + " " + s.help + (s.repeatable ? " (repeatable)" : "") + "\n";
  }
  out += "  --help                         this text\n";
  return out;
}

}  // namespace smscoach::bot

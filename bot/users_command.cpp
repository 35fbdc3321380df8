#include <iostream>

#include "bot/commands.hpp"
#include "bot/runtime.hpp"

namespace smscoach::bot {

int run_users_forget(const Args& argv) {
  const auto args = parse_or_usage(argv, store_flags(), "users forget NUMBER [flags]",
                                   "Erases one texter's profile and messages; an opt-out is kept.");
  if (!args) return 0;
  if (args->positional.size() != 1 || !args->positional[0].starts_with("+")) {
    throw CommandError{kExitUsage, "users forget needs one E.164 NUMBER, e.g. +15551234567"};
  }
  auto store = open_store(*args);
  if (auto done = store->forget(args->positional[0]); !done) {
    throw CommandError{kExitFailure, done.error().message};
  }
  std::cout << "forgot " << args->positional[0] << "\n";
  return 0;
}

}  // namespace smscoach::bot

#include <chrono>
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
  const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  // Audited like the admin API's erase; a number never seen is already forgotten.
  auto done = store->erase(args->positional[0], "cli", now_ms);
  if (!done && done.error().code != ErrorCode::not_found) {
    throw CommandError{kExitFailure, done.error().message};
  }
  std::cout << "forgot " << args->positional[0] << "\n";
  return 0;
}

}  // namespace smscoach::bot

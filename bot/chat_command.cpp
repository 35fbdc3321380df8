#include <unistd.h>

#include <iostream>
#include <random>

#include "bot/commands.hpp"
#include "bot/runtime.hpp"
#include "dialogue/service.hpp"

namespace smscoach::bot {

namespace {

// Chat turns have no provider id; a random one keeps them distinct in the store.
std::string chat_message_id() {
  static std::mt19937_64 rng{std::random_device{}()};
  static const char* hex = "0123456789abcdef";
  std::string id = "CH";
  auto v = rng();
  for (int i = 0; i < 16; ++i, v >>= 4) id.push_back(hex[v & 0xF]);
  v = rng();
  for (int i = 0; i < 16; ++i, v >>= 4) id.push_back(hex[v & 0xF]);
  return id;
}

}  // namespace

int run_chat(const Args& argv) {
  std::vector<FlagSpec> flags = {{"from", "NUMBER", "the texter's number (default +15550000000)"}};
  for (auto& s : content_flags()) flags.push_back(s);
  for (auto& s : store_flags()) flags.push_back(s);
  const auto args = parse_or_usage(
      argv, flags, "chat [flags]",
      "Talks to the bot through the same pipeline and store as serve. On a terminal:\n"
      "type a text, read the replies. Otherwise: one text per input line, one JSON\n"
      "object per output line with in, replies, intent, confidence, entities, state.");
  if (!args) return 0;

  auto knowledge = load_knowledge(content_dir(*args));
  auto store = open_store(*args);
  // A terminal is not a texter running up a bill: no rate limit here.
  dialogue::ServiceOptions options;
  options.rate_limit_per_minute = 0;
  dialogue::Service service(*store, knowledge, options);
  const std::string from = args->get("from").value_or("+15550000000");
  const bool interactive = isatty(STDIN_FILENO) != 0;

  if (interactive) std::cout << "Texting as " << from << ". Ctrl-D to quit.\n> " << std::flush;
  std::string line;
  while (std::getline(std::cin, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    InboundSms sms{chat_message_id(), from, "", line, ""};
    auto turn = service.handle(sms, dialogue::Clock::now());
    if (!turn) throw CommandError{kExitFailure, turn.error().message};
    if (interactive) {
      for (const auto& r : turn->replies) std::cout << "  " << r << "\n";
      if (turn->replies.empty()) std::cout << "  (no reply)\n";
      std::cout << "> " << std::flush;
      continue;
    }
    nlohmann::json out;
    out["in"] = line;
    out["replies"] = turn->replies;
    out["intent"] = turn->intent;
    out["confidence"] = turn->confidence;
    out["entities"] = turn->entities;
    out["state"] = dialogue::state_to_json(turn->state);
    std::cout << out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << std::endl;
  }
  return 0;
}

}  // namespace smscoach::bot

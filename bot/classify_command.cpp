#include <iostream>

#include "bot/commands.hpp"
#include "bot/runtime.hpp"
#include "dialogue/conversation.hpp"

namespace smscoach::bot {

int run_classify(const Args& argv) {
  const auto flags = content_flags();
  const auto args = parse_or_usage(
      argv, flags, "classify [flags] < texts",
      "Reads texts from stdin (a line each, or JSONL objects with a \"text\" key) and\n"
      "writes one JSON line each: text, intent, confidence, entities. Stateless.");
  if (!args) return 0;
  auto knowledge = load_knowledge(content_dir(*args));

  std::string line;
  while (std::getline(std::cin, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    std::string text = line;
    if (!line.empty() && line.front() == '{') {
      const auto j = nlohmann::json::parse(line, nullptr, false);
      if (j.is_object() && j.contains("text") && j["text"].is_string()) {
        text = j["text"].get<std::string>();
      }
    }
    const auto u = dialogue::understand(text, /*opted_out=*/false, *knowledge);
    nlohmann::json out;
    out["text"] = text;
    out["intent"] = u.intent;
    out["confidence"] = u.confidence;
    out["entities"] = u.entities;
    std::cout << out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  }
  std::cout.flush();
  return 0;
}

}  // namespace smscoach::bot

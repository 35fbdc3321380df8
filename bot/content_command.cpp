#include <iostream>
#include <set>

#include "bot/commands.hpp"
#include "bot/runtime.hpp"
#include "content/loader.hpp"

namespace smscoach::bot {

int run_content_check(const Args& argv) {
  const auto args = parse_or_usage(argv, {}, "content check [DIR]",
                                   "Validates the knowledge base; prints each problem as\n"
                                   "file:line: message and exits 1 if there is any.");
  if (!args) return 0;
  if (args->positional.size() > 1) throw CommandError{kExitUsage, "content check takes one DIR"};
  ParsedArgs with_dir = *args;
  if (!args->positional.empty()) with_dir.values["content"] = {args->positional[0]};
  const auto dir = content_dir(with_dir);

  const auto loaded = content::load_knowledge_base(dir);
  for (const auto& e : loaded.errors) std::cout << e.to_string() << "\n";
  if (!loaded.ok()) {
    std::cerr << "smscoach: " << loaded.errors.size() << " problem(s) in " << dir.string() << "\n";
    return kExitFailure;
  }
  std::cout << "ok: " << dir.string() << ": " << loaded.kb.faqs.size() << " FAQ entries, "
            << loaded.kb.intents.size() << " intents, " << loaded.kb.training_utterances().size()
            << " training utterances\n";
  return 0;
}

int run_content_export_training(const Args& argv) {
  const auto args = parse_or_usage(argv, content_flags(), "content export-training [flags]",
                                   "Writes the training utterances as JSONL {\"text\", \"intent\"}.");
  if (!args) return 0;
  const auto knowledge = load_knowledge(content_dir(*args));
  for (const auto& u : knowledge->kb.training_utterances()) {
    std::cout << nlohmann::json{{"text", u.text}, {"intent", u.intent}}.dump() << "\n";
  }
  std::cout.flush();
  return 0;
}

int run_content_export_relabels(const Args& argv) {
  const auto args = parse_or_usage(
      argv, store_flags(), "content export-relabels [flags]",
      "Writes the texts staff relabelled in the console as JSONL {\"text\", \"intent\"},\n"
      "ready to merge into content/data/intents.jsonl or faq.jsonl examples.");
  if (!args) return 0;
  auto store = open_store(*args);
  auto rows = store->relabels();
  if (!rows) throw CommandError{kExitFailure, rows.error().message};
  std::set<std::pair<std::string, std::string>> seen;  // one line per (text, intent)
  for (const auto& row : *rows) {
    if (!seen.emplace(row.text, row.intent).second) continue;
    std::cout << nlohmann::json{{"text", row.text}, {"intent", row.intent}}.dump(
                     -1, ' ', false, nlohmann::json::error_handler_t::replace)
              << "\n";
  }
  std::cout.flush();
  return 0;
}

}  // namespace smscoach::bot

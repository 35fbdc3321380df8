#include <fstream>
#include <iostream>

#include "bot/commands.hpp"
#include "bot/runtime.hpp"
#include "dialogue/conversation.hpp"
#include "intents/evaluation.hpp"

namespace smscoach::bot {

int run_eval(const Args& argv) {
  std::vector<FlagSpec> flags = {{"json", "", "machine-readable output"},
                                 {"show-misses", "", "list every wrong intent and entity set"}};
  for (auto& s : content_flags()) flags.push_back(s);
  const auto args = parse_or_usage(
      argv, flags, "eval FILE [flags]",
      "Evaluates intent matching on a labelled JSONL file of {\"text\", \"intent\"} lines:\n"
      "accuracy, macro-F1, per-intent precision/recall and the most frequent confusions.");
  if (!args) return 0;
  if (args->positional.size() != 1) throw CommandError{kExitUsage, "eval needs one FILE"};
  const std::string file = args->positional[0];
  std::ifstream in(file);
  if (!in) throw CommandError{kExitFailure, file + ": cannot read"};

  auto knowledge = load_knowledge(content_dir(*args));
  std::vector<intents::LabelledPrediction> results;
  std::vector<std::string> texts;
  std::string line;
  int line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const auto j = nlohmann::json::parse(line, nullptr, false);
    if (!j.is_object() || !j.contains("text") || !j["text"].is_string() ||
        !j.contains("intent") || !j["intent"].is_string()) {
      throw CommandError{kExitFailure,
                         file + ":" + std::to_string(line_no) +
                             ": expected a JSON object with string \"text\" and \"intent\""};
    }
    const std::string text = j["text"].get<std::string>();
    const std::string expected = j["intent"].get<std::string>();
    const auto u = dialogue::understand(text, /*opted_out=*/false, *knowledge);
    intents::LabelledPrediction p{expected, u.intent, nullptr, nullptr};
    if (j.contains("entities")) {
      p.expected_entities = j["entities"];
      p.predicted_entities = u.found.for_intent(expected);
    }
    results.push_back(std::move(p));
    texts.push_back(text);
  }
  const auto report = intents::evaluate(results);
  if (args->has("json")) {
    std::cout << report.to_json().dump(2) << "\n";
  } else {
    std::cout << report.to_text();
    if (args->has("show-misses")) {
      for (std::size_t i = 0; i < results.size(); ++i) {
        if (results[i].expected != results[i].predicted) {
          std::cout << "intent  " << results[i].expected << " -> " << results[i].predicted << " | "
                    << texts[i] << "\n";
        }
      }
      for (std::size_t i : report.entity_misses) {
        std::cout << "entities " << results[i].expected_entities.dump() << " -> "
                  << results[i].predicted_entities.dump() << " | " << texts[i] << "\n";
      }
    }
  }
  return 0;
}

}  // namespace smscoach::bot

// Sweeps the intent engine's options on a labelled file and prints accuracy
// for each setting: how the shipped defaults were chosen. Tune only on
// tests/data/dev_tune.jsonl; dev_heldout.jsonl is for the final figure.
//
//   tune_intents CONTENT_DIR tests/data/dev_tune.jsonl

#include <fstream>
#include <iostream>

#include "content/loader.hpp"
#include "intents/intent_engine.hpp"

using namespace smscoach;

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: tune_intents CONTENT_DIR LABELLED.jsonl\n";
    return 2;
  }
  auto loaded = content::load_knowledge_base(argv[1]);
  if (!loaded.ok()) {
    std::cerr << loaded.errors.front().to_string() << "\n";
    return 1;
  }
  std::vector<std::pair<std::string, std::string>> labelled;
  std::ifstream in(argv[2]);
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    const auto j = nlohmann::json::parse(line);
    labelled.emplace_back(j["text"], j["intent"]);
  }
  std::cout << "epochs  lr    l2      min_conf  accuracy\n";
  for (int epochs : {20, 40, 80}) {
    for (double lr : {0.4, 0.8, 1.6}) {
      for (double l2 : {0.0, 1e-5, 1e-4}) {
        intents::EngineOptions options;
        options.classifier.epochs = epochs;
        options.classifier.learning_rate = lr;
        options.classifier.l2 = l2;
        options.min_confidence = 0.0;
        const intents::IntentEngine engine(loaded.kb, options);
        std::vector<std::pair<std::string, double>> predicted;
        for (const auto& [text, intent] : labelled) {
          const auto ranked = engine.rank(text);
          predicted.emplace_back(ranked.front().intent, ranked.front().probability);
        }
        for (double threshold : {0.1, 0.15, 0.2, 0.25, 0.3}) {
          int correct = 0;
          for (std::size_t i = 0; i < labelled.size(); ++i) {
            const std::string intent =
                predicted[i].second < threshold ? "out_of_scope" : predicted[i].first;
            correct += intent == labelled[i].second;
          }
          std::printf("%6d  %.1f  %.0e  %8.2f  %.4f\n", epochs, lr, l2, threshold,
                      static_cast<double>(correct) / labelled.size());
        }
      }
    }
  }
  return 0;
}

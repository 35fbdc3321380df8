// Chooses the intent engine's options without touching the held-out set:
// for each setting it prints 5-fold cross-validation accuracy on the training
// utterances and accuracy on a labelled tune file. dev_heldout.jsonl is for
// the final figure only.
//
//   tune_intents CONTENT_DIR tests/data/dev_tune.jsonl

#include <cstdio>
#include <fstream>
#include <iostream>

#include "content/loader.hpp"
#include "intents/intent_engine.hpp"

using namespace smscoach;

namespace {

constexpr int kFolds = 5;

// The knowledge base with every example whose running index falls in `fold`
// removed (keep_fold = false) or kept alone (keep_fold = true).
content::KnowledgeBase split(const content::KnowledgeBase& kb, int fold, bool keep_fold) {
  content::KnowledgeBase out = kb;
  int index = 0;
  auto filter = [&](std::vector<std::string>& examples) {
    std::vector<std::string> kept;
    for (auto& e : examples) {
      if (((index++ % kFolds) == fold) == keep_fold) kept.push_back(std::move(e));
    }
    examples = std::move(kept);
  };
  for (auto& f : out.faqs) filter(f.examples);
  for (auto& g : out.intents) filter(g.examples);
  return out;
}

double accuracy(const intents::IntentEngine& engine,
                const std::vector<content::TrainingUtterance>& labelled) {
  int correct = 0;
  for (const auto& u : labelled) correct += engine.analyze(u.text).intent == u.intent;
  return labelled.empty() ? 0.0 : static_cast<double>(correct) / labelled.size();
}

}  // namespace

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
  std::vector<content::TrainingUtterance> tune;
  std::ifstream in(argv[2]);
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    const auto j = nlohmann::json::parse(line);
    tune.push_back({j["text"], j["intent"]});
  }
  std::printf("ngrams  pairs  epochs   lr  min_conf  cv_accuracy  tune_accuracy\n");
  const std::pair<std::size_t, std::size_t> ngram_ranges[] = {{3, 4}, {3, 5}, {2, 4}, {4, 5}};
  for (auto [lo, hi] : ngram_ranges) {
    for (bool pairs : {false, true}) {
      for (double lr : {1.6, 3.2}) {
        for (double min_conf : {0.15, 0.2}) {
          intents::EngineOptions options;
          options.features.char_ngram_min = lo;
          options.features.char_ngram_max = hi;
          options.features.word_pairs = pairs;
          options.classifier.epochs = 40;
          options.classifier.learning_rate = lr;
          options.min_confidence = min_conf;
          double cv = 0;
          for (int fold = 0; fold < kFolds; ++fold) {
            const intents::IntentEngine engine(split(loaded.kb, fold, false), options);
            cv += accuracy(engine, split(loaded.kb, fold, true).training_utterances());
          }
          const intents::IntentEngine engine(loaded.kb, options);
          std::printf("  %zu-%zu  %5d  %6d  %.1f  %8.2f  %11.4f  %13.4f\n", lo, hi, pairs ? 1 : 0,
                      options.classifier.epochs, lr, min_conf, cv / kFolds,
                      accuracy(engine, tune));
        }
      }
    }
  }
  return 0;
}

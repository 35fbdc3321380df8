#pragma once
// What a text means: normalised tokens, entities, and an intent with a
// confidence, "out_of_scope" when nothing fits well. Built once from the
// knowledge base (trains the classifier), then a pure const function.

#include <string>
#include <string_view>
#include <vector>

#include "content/knowledge_base.hpp"
#include "intents/entity_extractor.hpp"
#include "intents/intent_classifier.hpp"
#include "intents/text_normalizer.hpp"

namespace smscoach::intents {

struct Analysis {
  std::string intent;
  double confidence = 0.0;
  Entities entities;
  std::vector<std::string> tokens;
};

struct FeatureOptions {
  std::size_t char_ngram_min = 3;  // character n-grams of each word, for typos
  std::size_t char_ngram_max = 5;
  bool word_pairs = false;  // bigrams of the words as written, besides the generalised ones
};

struct EngineOptions {
  // Below this probability for the best intent, a text is out of scope.
  double min_confidence = 0.20;
  ClassifierOptions classifier;
  FeatureOptions features;
};

class IntentEngine {
 public:
  explicit IntentEngine(const content::KnowledgeBase& kb, EngineOptions options = {});

  // A medication named with a supplement, product or safety word is always
  // med_safety, whatever the classifier says.
  Analysis analyze(std::string_view text) const;
  // Every intent with its probability, best first (for eval and debugging).
  std::vector<ScoredIntent> rank(std::string_view text) const;

 private:
  FeatureList features(const std::vector<std::string>& tokens,
                       const std::vector<PhraseHit>& hits) const;
  static IntentClassifier train(const content::KnowledgeBase& kb, const IntentEngine& engine,
                                const ClassifierOptions& options);

  TextNormalizer normalizer_;
  EntityExtractor extractor_;
  EngineOptions options_;
  IntentClassifier classifier_;
};

}  // namespace smscoach::intents

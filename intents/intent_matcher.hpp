#pragma once
// First-cut intent matcher: TF-IDF vectors of words, word pairs and character
// trigrams, scored against every training example (nearest neighbour).
// Deterministic, trained in memory at start-up, no external service.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "content/knowledge_base.hpp"

namespace smscoach::intents {

struct IntentMatch {
  std::string intent;       // a contract id; "out_of_scope" when nothing fits well
  double confidence = 0.0;  // cosine similarity to the nearest example, 0..1
};

class IntentMatcher {
 public:
  // Below this similarity a text is out of scope.
  static constexpr double kMinConfidence = 0.30;

  explicit IntentMatcher(const std::vector<content::TrainingUtterance>& training);

  IntentMatch match(std::string_view text) const;

 private:
  struct Feature {
    std::uint32_t id;
    float weight;
  };
  using SparseVector = std::vector<Feature>;  // sorted by id, L2-normalised

  std::vector<std::pair<std::uint32_t, float>> raw_features(std::string_view text) const;
  SparseVector vectorize(std::string_view text) const;

  std::vector<std::pair<std::uint32_t, float>> idf_;  // sorted by feature id
  std::vector<SparseVector> examples_;
  std::vector<std::string> labels_;
  float default_idf_ = 1.0f;
};

}  // namespace smscoach::intents

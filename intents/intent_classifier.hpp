#pragma once
// Multinomial logistic regression over sparse hashed features, trained in
// memory at start-up with SGD in a fixed order: deterministic, no external
// service, a few tens of milliseconds on the shipped training set.

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "intents/feature_rows.hpp"

namespace smscoach::intents {

using FeatureList = std::vector<std::uint32_t>;  // hashed feature ids; repeats count

struct ClassifierOptions {
  int epochs = 40;
  double learning_rate = 3.2;
  double l2 = 1e-6;
  std::uint32_t seed = 20261121;  // shuffling order; fixed so every start trains the same model
};

struct ScoredIntent {
  std::string intent;
  double probability = 0.0;
};

class IntentClassifier {
 public:
  IntentClassifier(const std::vector<FeatureList>& examples, const std::vector<std::string>& labels,
                   ClassifierOptions options = {});

  // Every class with its probability, most likely first.
  std::vector<ScoredIntent> predict(const FeatureList& features) const;
  // The most likely class only, without sorting the rest.
  ScoredIntent best(const FeatureList& features) const;

  std::size_t feature_count() const { return rows_.size(); }

 private:
  struct SparseInput {
    std::vector<std::uint32_t> rows;
    std::vector<float> values;
  };
  // While training: features not seen before get the next row.
  static SparseInput to_input(const FeatureList& features,
                              std::unordered_map<std::uint32_t, std::uint32_t>& row_of);
  SparseInput to_input(const FeatureList& features) const;
  void scores(const SparseInput& x, std::vector<double>& out) const;

  std::vector<std::string> classes_;
  FeatureRows rows_;            // feature id -> weight row
  std::vector<float> weights_;  // row-major: rows x classes
  std::vector<float> bias_;
};

}  // namespace smscoach::intents

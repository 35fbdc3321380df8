#pragma once
// Scores predicted intents against labels: accuracy, macro-F1, per-intent
// precision and recall, and the most frequent confusions.

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace smscoach::intents {

struct LabelledPrediction {
  std::string expected;
  std::string predicted;
};

struct IntentScores {
  std::string intent;
  double precision = 0.0;
  double recall = 0.0;
  double f1 = 0.0;
  int support = 0;  // how many examples carry this label
};

struct Confusion {
  std::string expected;
  std::string predicted;
  int count = 0;
};

struct EvaluationReport {
  int total = 0;
  int correct = 0;
  double accuracy = 0.0;
  double macro_f1 = 0.0;  // mean F1 over the labels present in the data
  std::vector<IntentScores> per_intent;  // sorted by intent id
  std::vector<Confusion> confusions;     // most frequent first

  nlohmann::json to_json() const;
  std::string to_text() const;
};

EvaluationReport evaluate(const std::vector<LabelledPrediction>& results,
                          std::size_t max_confusions = 10);

}  // namespace smscoach::intents

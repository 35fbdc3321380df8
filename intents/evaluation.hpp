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
  // Entities: the labelled ones, and those extracted for the labelled intent,
  // so an intent error does not count twice. Null when the line has no label.
  nlohmann::json expected_entities;
  nlohmann::json predicted_entities;
};

// Entity sets equal as SPEC values: same keys, strings and lists equal,
// numbers within 0.1 (weights are rounded to one decimal).
bool entities_match(const nlohmann::json& expected, const nlohmann::json& predicted);

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
  int entity_total = 0;    // lines with labelled entities
  int entity_correct = 0;
  double entity_accuracy = 0.0;
  std::vector<IntentScores> per_intent;  // sorted by intent id
  std::vector<Confusion> confusions;     // most frequent first
  std::vector<std::size_t> entity_misses;  // indexes into the input, for inspection

  nlohmann::json to_json() const;
  std::string to_text() const;
};

EvaluationReport evaluate(const std::vector<LabelledPrediction>& results,
                          std::size_t max_confusions = 10);

}  // namespace smscoach::intents

#include "intents/evaluation.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>

namespace smscoach::intents {

bool entities_match(const nlohmann::json& expected, const nlohmann::json& predicted) {
  if (expected.is_number() && predicted.is_number()) {
    return std::abs(expected.get<double>() - predicted.get<double>()) <= 0.1 + 1e-9;
  }
  if (expected.is_object() && predicted.is_object()) {
    if (expected.size() != predicted.size()) return false;
    for (auto it = expected.begin(); it != expected.end(); ++it) {
      const auto other = predicted.find(it.key());
      if (other == predicted.end() || !entities_match(*it, *other)) return false;
    }
    return true;
  }
  if (expected.is_array() && predicted.is_array()) {
    if (expected.size() != predicted.size()) return false;
    for (std::size_t i = 0; i < expected.size(); ++i) {
      if (!entities_match(expected[i], predicted[i])) return false;
    }
    return true;
  }
  return expected == predicted;
}

EvaluationReport evaluate(const std::vector<LabelledPrediction>& results,
                          std::size_t max_confusions) {
  EvaluationReport report;
  std::map<std::string, int> true_pos, predicted_count, support;
  std::map<std::pair<std::string, std::string>, int> confusions;
  for (std::size_t i = 0; i < results.size(); ++i) {
    const auto& r = results[i];
    if (!r.expected_entities.is_null()) {
      ++report.entity_total;
      if (entities_match(r.expected_entities, r.predicted_entities)) {
        ++report.entity_correct;
      } else {
        report.entity_misses.push_back(i);
      }
    }
    ++report.total;
    ++support[r.expected];
    ++predicted_count[r.predicted];
    if (r.expected == r.predicted) {
      ++report.correct;
      ++true_pos[r.expected];
    } else {
      ++confusions[{r.expected, r.predicted}];
    }
  }
  report.accuracy = report.total ? static_cast<double>(report.correct) / report.total : 0.0;
  report.entity_accuracy =
      report.entity_total ? static_cast<double>(report.entity_correct) / report.entity_total : 0.0;

  double f1_sum = 0.0;
  for (const auto& [intent, n] : support) {
    IntentScores s;
    s.intent = intent;
    s.support = n;
    const int tp = true_pos[intent];
    const int predicted = predicted_count[intent];
    s.precision = predicted ? static_cast<double>(tp) / predicted : 0.0;
    s.recall = static_cast<double>(tp) / n;
    s.f1 = (s.precision + s.recall) > 0 ? 2 * s.precision * s.recall / (s.precision + s.recall) : 0;
    f1_sum += s.f1;
    report.per_intent.push_back(s);
  }
  report.macro_f1 = support.empty() ? 0.0 : f1_sum / static_cast<double>(support.size());

  for (const auto& [pair, count] : confusions) {
    report.confusions.push_back({pair.first, pair.second, count});
  }
  std::stable_sort(report.confusions.begin(), report.confusions.end(),
                   [](const Confusion& a, const Confusion& b) { return a.count > b.count; });
  if (report.confusions.size() > max_confusions) report.confusions.resize(max_confusions);
  return report;
}

nlohmann::json EvaluationReport::to_json() const {
  nlohmann::json j;
  j["total"] = total;
  j["correct"] = correct;
  j["accuracy"] = accuracy;
  j["macro_f1"] = macro_f1;
  j["entity_total"] = entity_total;
  j["entity_correct"] = entity_correct;
  j["entity_accuracy"] = entity_accuracy;
  j["per_intent"] = nlohmann::json::array();
  for (const auto& s : per_intent) {
    j["per_intent"].push_back({{"intent", s.intent},
                               {"precision", s.precision},
                               {"recall", s.recall},
                               {"f1", s.f1},
                               {"support", s.support}});
  }
  j["confusions"] = nlohmann::json::array();
  for (const auto& c : confusions) {
    j["confusions"].push_back(
        {{"expected", c.expected}, {"predicted", c.predicted}, {"count", c.count}});
  }
  return j;
}

std::string EvaluationReport::to_text() const {
  std::string out;
  char buf[256];
  std::snprintf(buf, sizeof buf, "texts %d  correct %d  accuracy %.4f  macro-F1 %.4f\n", total,
                correct, accuracy, macro_f1);
  out += buf;
  if (entity_total > 0) {
    std::snprintf(buf, sizeof buf, "entities: %d of %d lines right, accuracy %.4f\n",
                  entity_correct, entity_total, entity_accuracy);
    out += buf;
  }
  out += "\n";
  std::snprintf(buf, sizeof buf, "%-36s %9s %9s %9s %8s\n", "intent", "precision", "recall", "f1",
                "support");
  out += buf;
  for (const auto& s : per_intent) {
    std::snprintf(buf, sizeof buf, "%-36s %9.3f %9.3f %9.3f %8d\n", s.intent.c_str(), s.precision,
                  s.recall, s.f1, s.support);
    out += buf;
  }
  if (!confusions.empty()) out += "\nmost frequent confusions (expected -> predicted):\n";
  for (const auto& c : confusions) {
    std::snprintf(buf, sizeof buf, "%5d  %s -> %s\n", c.count, c.expected.c_str(),
                  c.predicted.c_str());
    out += buf;
  }
  return out;
}

}  // namespace smscoach::intents

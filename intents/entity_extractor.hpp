#pragma once
// Entities with the values SPEC fixes, from normalised tokens: weight in kg
// (from kg, lb, stone; never a height; the corrected value in "85 kg not
// 58"), goal, supplements and ingredients, category, most/least, and
// medications as generic names from brand or generic spelling.

#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "content/knowledge_base.hpp"
#include "intents/phrase_index.hpp"

namespace smscoach::intents {

struct Entities {
  std::optional<double> weight_kg;
  std::string weight_unit;  // how it was given: "kg", "lb" or "st"
  std::string goal;
  std::string category;
  std::string order;                     // "most" or "least"
  std::vector<std::string> substances;   // supplement/ingredient ids, in text order
  std::vector<std::string> medications;  // generic names, in text order
  std::string implied_category;          // the category of a named supplement ("whey")
  std::vector<std::string> conditions;   // escalating conditions (pregnancy, kidney disease...)
  std::optional<int> age_years;          // only from explicit wording: "70 years old", "68yo"

  // The entities SPEC lists for `intent`, only those found: dose gets
  // supplement, weight_kg, goal; product_compare category, ingredient, order;
  // product_recommend goal, category; med_safety medications, supplement;
  // profile_update weight_kg, goal, medications; other intents none.
  nlohmann::json for_intent(std::string_view intent) const;
};

struct WeightReading {
  double kg = 0;
  std::string unit;  // "kg", "lb" or "st": the unit the texter used
};

// Weight from tokens, or nullopt. Exposed for tests.
std::optional<WeightReading> parse_weight(const std::vector<std::string>& tokens);
inline std::optional<double> parse_weight_kg(const std::vector<std::string>& tokens) {
  const auto w = parse_weight(tokens);
  return w ? std::optional<double>(w->kg) : std::nullopt;
}

// Age from "70 years old", "68 yo", "age 70", "aged 70"; a bare "im 70" is
// not read as an age (it may be a weight). Exposed for tests.
std::optional<int> parse_age(const std::vector<std::string>& tokens);

class EntityExtractor {
 public:
  enum Kind { kSupplement, kMedication, kGoal, kCategory, kOrder, kCondition };

  explicit EntityExtractor(const content::KnowledgeBase& kb);

  Entities extract(const std::vector<std::string>& tokens) const;
  // Phrase hits, for features that replace entity words with their kind.
  std::vector<PhraseHit> find_phrases(const std::vector<std::string>& tokens) const {
    return phrases_.find(tokens);
  }
  Entities from_hits(const std::vector<std::string>& tokens,
                     const std::vector<PhraseHit>& hits) const;

 private:
  PhraseIndex phrases_;
  std::unordered_map<std::string, std::string> category_of_;  // supplement id -> category
};

}  // namespace smscoach::intents

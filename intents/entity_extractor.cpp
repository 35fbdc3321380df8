#include "intents/entity_extractor.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "intents/text_normalizer.hpp"

namespace smscoach::intents {

namespace {

constexpr double kKgPerLb = 0.45359237;
constexpr double kKgPerStone = 6.35029318;
// Outside this range a number with a weight unit is not a person's weight.
constexpr double kMinKg = 25.0, kMaxKg = 350.0;

enum class Unit { none, kg, lb, stone, height };

Unit unit_of(std::string_view w) {
  static const std::pair<std::string_view, Unit> kUnits[] = {
      {"kg", Unit::kg},        {"kgs", Unit::kg},        {"kilo", Unit::kg},
      {"kilos", Unit::kg},     {"kilogram", Unit::kg},   {"kilograms", Unit::kg},
      {"kgz", Unit::kg},       {"lb", Unit::lb},         {"lbs", Unit::lb},
      {"ib", Unit::lb},        {"ibs", Unit::lb},        {"pound", Unit::lb},
      {"pounds", Unit::lb},    {"lbz", Unit::lb},        {"st", Unit::stone},
      {"stone", Unit::stone},  {"stones", Unit::stone},  {"ft", Unit::height},
      {"feet", Unit::height},  {"foot", Unit::height},   {"cm", Unit::height},
      {"in", Unit::height},    {"inch", Unit::height},   {"inches", Unit::height},
      {"m", Unit::height},     {"tall", Unit::height}};
  for (const auto& [name, unit] : kUnits) {
    if (w == name) return unit;
  }
  return Unit::none;
}

// "91" -> 91, "91.5" -> 91.5; nullopt for anything else.
std::optional<double> number_of(std::string_view w) {
  if (w.empty() || w.size() > 7) return std::nullopt;
  int dots = 0;
  for (char c : w) {
    if (c == '.') ++dots;
    else if (c < '0' || c > '9') return std::nullopt;
  }
  if (dots > 1 || w.front() == '.' || w.back() == '.') return std::nullopt;
  return std::strtod(std::string(w).c_str(), nullptr);
}

// Splits "91kg" into 91 and "kg"; nullopt when the token is not number+letters.
std::optional<std::pair<double, std::string_view>> number_with_suffix(std::string_view w) {
  std::size_t k = 0;
  while (k < w.size() && ((w[k] >= '0' && w[k] <= '9') || w[k] == '.')) ++k;
  if (k == 0 || k == w.size()) return std::nullopt;
  const auto n = number_of(w.substr(0, k));
  if (!n) return std::nullopt;
  return std::make_pair(*n, w.substr(k));
}

bool supersedes_next(std::string_view w) {
  return w == "not" || w == "isnt" || w == "wasnt" || w == "from" || w == "was" || w == "no" ||
         w == "used" || w == "instead";
}

double round1(double v) { return std::round(v * 10.0) / 10.0; }

}  // namespace

std::optional<WeightReading> parse_weight(const std::vector<std::string>& tokens) {
  struct Candidate {
    WeightReading reading;
    bool superseded;
  };
  std::vector<Candidate> found;
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    double value = 0;
    Unit unit = Unit::none;
    std::size_t consumed = 1;
    if (auto n = number_of(tokens[i])) {
      value = *n;
      if (i + 1 < tokens.size()) {
        unit = unit_of(tokens[i + 1]);
        if (unit != Unit::none) consumed = 2;
      }
    } else if (auto split = number_with_suffix(tokens[i])) {
      value = split->first;
      unit = unit_of(split->second);
    } else {
      continue;
    }
    if (unit == Unit::none) continue;
    if (unit == Unit::height) {
      // "5ft 10" or "5 ft 10 in": the inches that follow are not a weight either.
      std::size_t j = i + consumed;
      if (auto inches = j < tokens.size() ? number_of(tokens[j]) : std::nullopt;
          inches && *inches < 12) {
        ++j;
        if (j < tokens.size() && unit_of(tokens[j]) == Unit::height) ++j;
      }
      i = j - 1;
      continue;
    }
    double kg = unit == Unit::kg ? value : unit == Unit::lb ? value * kKgPerLb : value * kKgPerStone;
    std::size_t j = i + consumed;
    if (unit == Unit::stone && j < tokens.size()) {
      // "13 stone 4" and "13st 4lb": pounds on top of stones.
      std::optional<double> extra_lb;
      if (auto n = number_of(tokens[j]); n && *n < 14) {
        extra_lb = n;
        ++j;
        if (j < tokens.size() && unit_of(tokens[j]) == Unit::lb) ++j;
      } else if (auto split = number_with_suffix(tokens[j]);
                 split && split->first < 14 && unit_of(split->second) == Unit::lb) {
        extra_lb = split->first;
        ++j;
      }
      if (extra_lb) kg += *extra_lb * kKgPerLb;
    }
    const bool superseded = i > 0 && supersedes_next(tokens[i - 1]);
    if (kg >= kMinKg && kg <= kMaxKg) {
      const char* name = unit == Unit::kg ? "kg" : unit == Unit::lb ? "lb" : "st";
      found.push_back({{round1(kg), name}, superseded});
    }
    i = j - 1;
  }
  // The last weight not marked as replaced: "85kg not 58kg", "from 90kg to 84kg".
  for (auto it = found.rbegin(); it != found.rend(); ++it) {
    if (!it->superseded) return it->reading;
  }
  if (!found.empty()) return found.back().reading;
  return std::nullopt;
}

std::optional<int> parse_age(const std::vector<std::string>& tokens) {
  auto plausible = [](double v) { return v >= 5 && v <= 110 && v == std::floor(v); };
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    std::optional<double> n = number_of(tokens[i]);
    std::string_view suffix;
    if (!n) {
      if (auto split = number_with_suffix(tokens[i])) {
        n = split->first;
        suffix = split->second;
      }
    }
    if (!n || !plausible(*n)) continue;
    const std::string_view next = i + 1 < tokens.size() ? std::string_view(tokens[i + 1]) : "";
    const std::string_view after = i + 2 < tokens.size() ? std::string_view(tokens[i + 2]) : "";
    // "5 years" alone is a duration; "5 years old" an age.
    const bool years = suffix == "yo" || next == "yo" || (next == "y" && after == "o") ||
                       ((next == "years" || next == "year" || next == "yrs" || suffix == "yrs") &&
                        (after == "old" || (suffix == "yrs" && next == "old")));
    const bool after_age = i > 0 && (tokens[i - 1] == "age" || tokens[i - 1] == "aged");
    if (years || after_age) return static_cast<int>(*n);
  }
  return std::nullopt;
}

EntityExtractor::EntityExtractor(const content::KnowledgeBase& kb) {
  auto add = [this](const std::string& phrase, Kind kind, const std::string& value) {
    phrases_.add(TextNormalizer::plain_tokens(phrase), kind, value);
  };
  for (const auto& s : kb.supplements) {
    if (!s.category.empty()) category_of_.emplace(s.id, s.category);
    add(s.id, kSupplement, s.id);
    add(s.name, kSupplement, s.id);
    for (const auto& a : s.aliases) add(a, kSupplement, s.id);
  }
  for (const auto& m : kb.medications) {
    add(m.generic, kMedication, m.generic);
    for (const auto& b : m.brands) add(b, kMedication, m.generic);
    for (const auto& a : m.aliases) add(a, kMedication, m.generic);
  }
  for (const auto& c : kb.conditions) {
    for (const auto& a : c.aliases) add(a, kCondition, c.id);
  }
  for (const auto& v : kb.entity_values) {
    const Kind kind = v.entity == "goal" ? kGoal : v.entity == "order" ? kOrder : kCategory;
    for (const auto& a : v.aliases) add(a, kind, v.id);
  }
}

Entities EntityExtractor::from_hits(const std::vector<std::string>& tokens,
                                    const std::vector<PhraseHit>& hits) const {
  Entities e;
  if (const auto w = parse_weight(tokens)) {
    e.weight_kg = w->kg;
    e.weight_unit = w->unit;
  }
  auto push_unique = [](std::vector<std::string>& list, const std::string& v) {
    if (std::find(list.begin(), list.end(), v) == list.end()) list.push_back(v);
  };
  // A supplement word that is also the category named ("which electrolyte has
  // the most potassium") is the category, not the ingredient compared.
  auto inside_category = [&hits](const PhraseHit& h) {
    return std::any_of(hits.begin(), hits.end(), [&h](const PhraseHit& c) {
      return c.kind == kCategory && c.begin <= h.begin && h.end <= c.end;
    });
  };
  std::vector<std::string> category_words;
  for (const auto& h : hits) {
    // "im 13" is an age, "im 13 stone" a weight: a condition phrase followed by a unit is not one.
    if (h.kind == kCondition && h.end < tokens.size() && unit_of(tokens[h.end]) != Unit::none) {
      continue;
    }
    switch (h.kind) {
      case kSupplement:
        if (inside_category(h)) {
          category_words.push_back(h.value);
        } else {
          push_unique(e.substances, h.value);
        }
        break;
      case kMedication: push_unique(e.medications, h.value); break;
      case kGoal: if (e.goal.empty()) e.goal = h.value; break;
      case kCategory: if (e.category.empty()) e.category = h.value; break;
      case kOrder: if (e.order.empty()) e.order = h.value; break;
      case kCondition: push_unique(e.conditions, h.value); break;
      default: break;
    }
  }
  for (const auto& v : category_words) push_unique(e.substances, v);
  e.age_years = parse_age(tokens);
  // Under 18 escalates like the conditions DOMAIN lists.
  if (e.age_years && *e.age_years < 18) push_unique(e.conditions, "under_18");
  // "any good creatine?", "which whey has the most protein": the product
  // category a supplement implies, when no category was named.
  for (const auto& s : e.substances) {
    if (auto it = category_of_.find(s); it != category_of_.end()) {
      e.implied_category = it->second;
      break;
    }
  }
  return e;
}

Entities EntityExtractor::extract(const std::vector<std::string>& tokens) const {
  return from_hits(tokens, phrases_.find(tokens));
}

nlohmann::json Entities::for_intent(std::string_view intent) const {
  nlohmann::json j = nlohmann::json::object();
  const std::string first_substance = substances.empty() ? "" : substances.front();
  if (intent == "dose") {
    if (!first_substance.empty()) j["supplement"] = first_substance;
    if (weight_kg) j["weight_kg"] = *weight_kg;
    if (!goal.empty()) j["goal"] = goal;
  } else if (intent == "product_compare") {
    if (!category.empty()) j["category"] = category;
    else if (!implied_category.empty()) j["category"] = implied_category;
    if (!first_substance.empty()) j["ingredient"] = first_substance;
    if (!order.empty()) j["order"] = order;
  } else if (intent == "product_recommend") {
    if (!goal.empty()) j["goal"] = goal;
    if (!category.empty()) j["category"] = category;
    else if (!implied_category.empty()) j["category"] = implied_category;
  } else if (intent == "med_safety") {
    if (!medications.empty()) j["medications"] = medications;
    if (!first_substance.empty()) j["supplement"] = first_substance;
  } else if (intent == "profile_update") {
    if (weight_kg) j["weight_kg"] = *weight_kg;
    if (!goal.empty()) j["goal"] = goal;
    if (!medications.empty()) j["medications"] = medications;
  }
  return j;
}

}  // namespace smscoach::intents

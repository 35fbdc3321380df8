// Dose rules, interaction flags and escalating conditions: the data the
// coaching skills compute and warn from.

#include <map>
#include <set>

#include "content/loader_parts.hpp"

namespace smscoach::content::detail {

namespace {

const std::set<std::string, std::less<>> kGoals = {"", "lose_fat", "build_muscle", "maintain",
                                                   "endurance"};
const std::set<std::string, std::less<>> kKinds = {"daily", "pre_exercise", "loading", "per_meal"};
const std::set<std::string, std::less<>> kUnits = {"g", "mg", "mmol"};

}  // namespace

void load_dose_rules(const std::string& file, std::string_view text, std::vector<DoseRule>& out,
                     std::vector<ContentError>& errors) {
  for (const auto& record : parse_jsonl(file, text, errors)) {
    RecordChecker check(file, record, errors);
    DoseRule r;
    std::string basis;
    double doses = 0;
    check.string_field("supplement", r.supplement);
    check.optional_string("goal", r.goal);
    check.optional_string("population", r.population);
    check.string_field("kind", r.kind);
    check.string_field("basis", basis);
    check.number_field("low", r.low, true);
    check.number_field("high", r.high, true);
    check.string_field("unit", r.unit);
    check.string_field("per", r.per);
    check.number_field("doses", doses, false);
    check.optional_string("days", r.days);
    check.number_field("max_per_dose", r.max_per_dose, false);
    check.number_field("max_per_day", r.max_per_day, false);
    check.optional_string("timing", r.timing);
    check.optional_string("note", r.note);
    check.string_field("source", r.source);
    if (!check.ok()) continue;
    r.per_kg = basis == "per_kg";
    r.doses = static_cast<int>(doses);
    if (basis != "per_kg" && basis != "fixed") check.fail("basis must be per_kg or fixed");
    if (!kGoals.contains(r.goal)) check.fail("goal \"" + r.goal + "\" is not a SPEC goal");
    if (!r.population.empty() && r.population != "over_65") {
      check.fail("population must be \"over_65\" or absent");
    }
    if (!kKinds.contains(r.kind)) check.fail("kind must be daily, pre_exercise, loading or per_meal");
    if (!kUnits.contains(r.unit)) check.fail("unit must be g, mg or mmol");
    if (r.per != "day" && r.per != "dose") check.fail("per must be day or dose");
    if (r.low <= 0 || r.high < r.low) check.fail("need 0 < low <= high");
    if (doses < 0 || doses != static_cast<double>(r.doses)) check.fail("doses must be a whole number");
    for (const auto* t : {&r.timing, &r.note}) {
      if (!t->empty()) check_sms_text(check, "rule text", *t);
    }
    r.line = record.line;
    if (check.ok()) out.push_back(std::move(r));
  }
}

void load_interactions(const std::string& file, std::string_view text,
                       std::vector<Interaction>& out, std::vector<ContentError>& errors) {
  for (const auto& record : parse_jsonl(file, text, errors)) {
    RecordChecker check(file, record, errors);
    Interaction i;
    check.optional_string_list("substances", i.substances);
    check.optional_string_list("categories", i.categories);
    check.optional_string_list("medications", i.medications);
    check.optional_string_list("classes", i.classes);
    check.string_field("flag", i.flag);
    check.string_field("source", i.source);
    if (!check.ok()) continue;
    if (i.substances.empty() && i.categories.empty()) {
      check.fail("an interaction needs \"substances\" or \"categories\"");
    }
    if (i.medications.empty() && i.classes.empty()) {
      check.fail("an interaction needs \"medications\" or \"classes\"");
    }
    check_sms_text(check, "flag", i.flag);
    i.line = record.line;
    if (check.ok()) out.push_back(std::move(i));
  }
}

void load_conditions(const std::string& file, std::string_view text, std::vector<Condition>& out,
                     std::vector<ContentError>& errors) {
  std::set<std::string, std::less<>> ids;
  for (const auto& record : parse_jsonl(file, text, errors)) {
    RecordChecker check(file, record, errors);
    Condition c;
    check.string_field("id", c.id);
    check.string_list("aliases", c.aliases, 1);
    check.string_field("message", c.message);
    if (!check.ok()) continue;
    if (!is_value_id(c.id)) check.fail("id \"" + c.id + "\" must be lower case snake_case");
    if (!ids.insert(c.id).second) check.fail("condition \"" + c.id + "\" given twice");
    check_sms_text(check, "message", c.message);
    if (check.ok()) out.push_back(std::move(c));
  }
}

void load_recommendations(const std::string& file, std::string_view text,
                          std::vector<Recommendation>& out, std::vector<ContentError>& errors) {
  std::set<std::string, std::less<>> goals;
  for (const auto& record : parse_jsonl(file, text, errors)) {
    RecordChecker check(file, record, errors);
    Recommendation r;
    check.string_field("goal", r.goal);
    check.string_list("supplements", r.supplements, 1);
    check.optional_string_list("categories", r.categories);
    if (!check.ok()) continue;
    if (r.goal.empty() || !kGoals.contains(r.goal)) check.fail("goal \"" + r.goal + "\" is not a SPEC goal");
    if (!goals.insert(r.goal).second) check.fail("goal \"" + r.goal + "\" given twice");
    r.line = record.line;
    if (check.ok()) out.push_back(std::move(r));
  }
}

void check_references(const std::string& dir, const KnowledgeBase& kb,
                      std::vector<ContentError>& errors) {
  std::set<std::string, std::less<>> classes, categories;
  for (const auto& m : kb.medications) classes.insert(m.classes.begin(), m.classes.end());
  for (const auto& v : kb.entity_values) {
    if (v.entity == "category") categories.insert(v.id);
  }
  const std::string rules_file = dir + "/dose_rules.jsonl";
  for (const auto& r : kb.dose_rules) {
    const auto* s = kb.find_supplement(r.supplement);
    if (!s) {
      errors.push_back({rules_file, r.line, "unknown supplement \"" + r.supplement + "\""});
    } else if (!s->never_dose.empty() || !s->no_dose.empty()) {
      errors.push_back({rules_file, r.line,
                        "\"" + r.supplement + "\" is marked never_dose/no_dose but has a dose rule"});
    }
  }
  const std::string interactions_file = dir + "/interactions.jsonl";
  for (const auto& i : kb.interactions) {
    auto fail = [&](const std::string& what) {
      errors.push_back({interactions_file, i.line, what});
    };
    for (const auto& s : i.substances) {
      if (!kb.find_supplement(s)) fail("unknown supplement \"" + s + "\"");
    }
    for (const auto& c : i.categories) {
      if (!categories.contains(c)) fail("unknown category \"" + c + "\"");
    }
    for (const auto& m : i.medications) {
      if (!kb.find_medication(m)) fail("unknown medication \"" + m + "\"");
    }
    for (const auto& c : i.classes) {
      if (!classes.contains(c)) fail("no medication has the class \"" + c + "\"");
    }
  }
  const std::string recommendations_file = dir + "/recommendations.jsonl";
  for (const auto& r : kb.recommendations) {
    for (const auto& s : r.supplements) {
      if (!kb.find_supplement(s)) {
        errors.push_back({recommendations_file, r.line, "unknown supplement \"" + s + "\""});
      }
    }
    for (const auto& c : r.categories) {
      if (!categories.contains(c)) {
        errors.push_back({recommendations_file, r.line, "unknown category \"" + c + "\""});
      }
    }
  }
  const std::string catalog_file = dir + "/products.json";
  for (const auto& p : kb.catalog.products) {
    for (const auto& [ingredient, mg] : p.per_serving_mg) {
      if (!kb.find_supplement(ingredient)) {
        errors.push_back({catalog_file, p.line, "product \"" + p.id + "\": unknown ingredient \"" +
                                                    ingredient + "\" (an id from supplements.jsonl)"});
      }
    }
  }
}

}  // namespace smscoach::content::detail

#include "dialogue/skills/dose_skill.hpp"

#include "dialogue/reply_composer.hpp"

#include <cmath>
#include <cstdio>
#include <vector>

namespace smscoach::dialogue {

namespace {

constexpr double kKgPerLb = 0.45359237;

// Amounts as a person would say them: 24 g, 3.2 g, 210 mg, 8.1 mmol.
std::string amount(double v, const std::string& unit) {
  char buf[32];
  if (v < 1) {  // per-kg factors: 0.25, 0.3
    std::snprintf(buf, sizeof buf, "%.2f", v);
    std::string s = buf;
    while (s.back() == '0') s.pop_back();
    if (s.back() == '.') s.pop_back();
    return s;
  }
  if (unit == "mg" || v >= 10) {
    std::snprintf(buf, sizeof buf, "%.0f", v);
  } else {
    std::snprintf(buf, sizeof buf, "%.1f", v);
    std::string s = buf;
    if (s.size() > 2 && s.compare(s.size() - 2, 2, ".0") == 0) s.resize(s.size() - 2);
    return s;
  }
  return buf;
}

std::string range(double low, double high, const std::string& unit) {
  const std::string a = amount(low, unit), b = amount(high, unit);
  return (a == b ? a : a + "-" + b) + " " + unit;
}

std::string per_text(const content::DoseRule& r) { return r.per == "day" ? "a day" : "per dose"; }

// One rule as a sentence: "24 g a day (0.3 g/kg at 80 kg), split into 4 doses, for 5-7 days."
std::string rule_sentence(const content::DoseRule& r, std::optional<double> kg, WeightUnit unit) {
  std::string s;
  const double cap = r.per == "dose" ? r.max_per_dose : r.max_per_day;
  if (r.per_kg && kg) {
    double low = r.low * *kg, high = r.high * *kg;
    const std::string basis = range(r.low, r.high, r.unit) + "/kg at " + describe_weight(*kg, unit);
    if (cap > 0 && low >= cap) {
      s = amount(cap, r.unit) + " " + r.unit + " " + per_text(r) + " (" + basis + " would be " +
          range(low, high, r.unit) + ", over the " + amount(cap, r.unit) + " " + r.unit +
          " limit)";
    } else {
      if (cap > 0 && high > cap) high = cap;
      s = range(low, high, r.unit) + " " + per_text(r) + " (" + basis + ")";
    }
  } else if (r.per_kg) {
    s = range(r.low, r.high, r.unit) + "/kg " + per_text(r);
  } else {
    s = range(r.low, r.high, r.unit) + " " + per_text(r);
  }
  if (r.doses > 1) s += ", split into " + std::to_string(r.doses) + " doses";
  if (!r.days.empty()) s += ", for " + r.days + " days";
  if (r.per == "dose" && r.max_per_day > 0) {
    s += "; no more than " + amount(r.max_per_day, r.unit) + " " + r.unit + " a day in all";
  }
  if (!r.timing.empty()) {
    std::string timing = r.timing;
    if (timing[0] >= 'A' && timing[0] <= 'Z') timing[0] = static_cast<char>(timing[0] - 'A' + 'a');
    s += ", " + timing;
  }
  if (s.back() == '.') s.pop_back();
  return s + ".";
}

// The main rule: one for the texter's age group, else one for their goal, else the general one.
const content::DoseRule* main_rule(const std::vector<const content::DoseRule*>& rules,
                                   const std::string& goal, std::optional<int> age) {
  const std::string population = age && *age >= 65 ? "over_65" : "";
  for (const auto* r : rules) {
    if (!population.empty() && r->population == population && r->kind != "loading" &&
        r->kind != "per_meal") {
      return r;
    }
  }
  const content::DoseRule* general = nullptr;
  for (const auto* r : rules) {
    if (r->kind == "loading" || r->kind == "per_meal" || !r->population.empty()) continue;
    if (!goal.empty() && r->goal == goal) return r;
    if (r->goal.empty() && !general) general = r;
  }
  if (general) return general;
  for (const auto* r : rules) {
    if (r->kind != "loading" && r->kind != "per_meal" && r->population.empty()) return r;
  }
  return nullptr;
}

}  // namespace

std::string describe_weight(double kg, WeightUnit unit) {
  char buf[64];
  if (unit == WeightUnit::lb) {
    std::snprintf(buf, sizeof buf, "%.0f lb (%.0f kg)", kg / kKgPerLb, kg);
  } else if (unit == WeightUnit::stone) {
    const double lb = kg / kKgPerLb;
    const int st = static_cast<int>(lb / 14);
    std::snprintf(buf, sizeof buf, "%d st %.0f lb (%.0f kg)", st, lb - st * 14.0, kg);
  } else {
    std::snprintf(buf, sizeof buf, "%s kg", amount(kg, "kg").c_str());
  }
  return buf;
}

DoseAnswer answer_dose(const DoseRequest& request, const content::KnowledgeBase& kb) {
  DoseAnswer a;
  const auto& program = kb.program;
  if (request.supplement.empty()) {
    a.need = DoseAnswer::Need::supplement;
    a.text = program.dose_ask_supplement;
    return a;
  }
  const auto* supplement = kb.find_supplement(request.supplement);
  const std::string name = supplement ? supplement->name : request.supplement;
  if (supplement && !supplement->never_dose.empty()) {
    a.text = "I won't give a dose for " + name + ": " + supplement->never_dose + " " +
             program.escalation_note;
    a.escalate = true;
    return a;
  }
  std::vector<const content::DoseRule*> rules;
  for (const auto& r : kb.dose_rules) {
    if (r.supplement == request.supplement) rules.push_back(&r);
  }
  const auto* rule = main_rule(rules, request.goal, request.age_years);
  if (!rule) {
    a.text = supplement && !supplement->no_dose.empty()
                 ? capitalise_first(name) + ": " + supplement->no_dose
                 : program.dose_no_rule;
    return a;
  }
  if (rule->per_kg && !request.weight_kg) {
    a.need = DoseAnswer::Need::weight;
    a.text = program.dose_ask_weight;
    return a;
  }
  std::string text = capitalise_first(name) + ": " + rule_sentence(*rule, request.weight_kg, request.unit);
  if (!rule->note.empty()) text += " " + rule->note;
  for (const auto* extra : rules) {
    if (extra->kind == "loading") {
      text += " Optional loading: " + rule_sentence(*extra, request.weight_kg, request.unit);
      if (!extra->note.empty()) text += " " + extra->note;
    } else if (extra->kind == "per_meal" && (extra->goal.empty() || extra->goal == request.goal)) {
      text += " Per meal: " + rule_sentence(*extra, request.weight_kg, request.unit);
    }
  }
  if (supplement) text += std::string(" Evidence: ") + content::tier_letter(supplement->tier) + ".";
  text += " Source: " + rule->source + ".";
  a.text = std::move(text);
  a.dosed = true;
  return a;
}

}  // namespace smscoach::dialogue

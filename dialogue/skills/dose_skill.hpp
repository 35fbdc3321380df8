#pragma once
// Doses from the knowledge base's rules only: the texter's weight when a rule
// is per kg, the rule that matches their goal, caps applied, in the units
// they used. Asks for what it needs instead of guessing; refuses what must
// never be dosed.

#include <optional>
#include <string>

#include "content/knowledge_base.hpp"

namespace smscoach::dialogue {

// How the texter gave their weight, so answers use the same units.
enum class WeightUnit { kg, lb, stone };

struct DoseRequest {
  std::string supplement;  // knowledge-base id; "" when none named
  std::optional<double> weight_kg;
  WeightUnit unit = WeightUnit::kg;
  std::string goal;  // "" unknown
  std::optional<int> age_years;
};

struct DoseAnswer {
  enum class Need { nothing, supplement, weight };
  Need need = Need::nothing;  // when not nothing, `text` is the question to ask
  std::string text;
  bool escalate = false;  // never-dose substances: a human should look
  bool dosed = false;     // a dose was given (not a question, refusal or "no rule")
};

DoseAnswer answer_dose(const DoseRequest& request, const content::KnowledgeBase& kb);

// "80 kg", "176 lb (80 kg)", "12 st 8 lb (80 kg)".
std::string describe_weight(double kg, WeightUnit unit);

}  // namespace smscoach::dialogue

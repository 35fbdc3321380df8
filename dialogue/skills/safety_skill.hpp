#pragma once
// Medication and condition questions: names the known interaction flags for
// what the texter takes (by drug or drug class) and the supplements or
// products they named, adds what to do about any escalating condition, and
// always ends by sending them to a pharmacist or doctor. Never says "safe".

#include <string>
#include <vector>

#include "content/knowledge_base.hpp"

namespace smscoach::dialogue {

struct SafetyRequest {
  std::vector<std::string> medications;  // generic ids
  std::vector<std::string> substances;   // supplement ids
  std::string category;                  // product category, e.g. pre_workout
  std::vector<std::string> conditions;   // condition ids
};

// The flags that apply, most specific first: a named supplement with a
// texter's drug; with no supplement named, every flag for their drugs.
std::vector<const content::Interaction*> applicable_interactions(const SafetyRequest& request,
                                                                 const content::KnowledgeBase& kb);

std::string answer_med_safety(const SafetyRequest& request, const content::KnowledgeBase& kb);

}  // namespace smscoach::dialogue

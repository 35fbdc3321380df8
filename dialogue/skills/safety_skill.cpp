#include "dialogue/skills/safety_skill.hpp"

#include <algorithm>

namespace smscoach::dialogue {

namespace {

// Most flags one reply names; the rest wait for the coach.
constexpr std::size_t kMaxFlags = 3;

template <class T>
bool contains(const std::vector<T>& list, const T& value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

bool covers_medication(const content::Interaction& i, const std::string& generic,
                       const content::KnowledgeBase& kb) {
  if (contains(i.medications, generic)) return true;
  if (const auto* m = kb.find_medication(generic)) {
    for (const auto& c : m->classes) {
      if (contains(i.classes, c)) return true;
    }
  }
  return false;
}

}  // namespace

std::vector<const content::Interaction*> applicable_interactions(const SafetyRequest& request,
                                                                 const content::KnowledgeBase& kb) {
  const bool named_something = !request.substances.empty() || !request.category.empty();
  std::vector<const content::Interaction*> out;
  for (const auto& i : kb.interactions) {
    const bool drug = std::any_of(request.medications.begin(), request.medications.end(),
                                  [&](const std::string& g) { return covers_medication(i, g, kb); });
    if (!drug) continue;
    const bool substance =
        std::any_of(request.substances.begin(), request.substances.end(),
                    [&](const std::string& s) { return contains(i.substances, s); }) ||
        (!request.category.empty() && contains(i.categories, request.category));
    if (substance || !named_something) out.push_back(&i);
  }
  return out;
}

std::string answer_med_safety(const SafetyRequest& request, const content::KnowledgeBase& kb) {
  const auto& program = kb.program;
  std::string text;
  const auto flags = applicable_interactions(request, kb);
  for (std::size_t k = 0; k < flags.size() && k < kMaxFlags; ++k) {
    text += (text.empty() ? "" : " ") + flags[k]->flag;
  }
  for (const auto& id : request.conditions) {
    for (const auto& c : kb.conditions) {
      if (c.id == id) text += (text.empty() ? "" : " ") + c.message;
    }
  }
  if (text.empty() && !request.medications.empty()) text = program.med_no_known_flag;
  return text.empty() ? program.med_safety_generic : text + " " + program.med_safety_generic;
}

}  // namespace smscoach::dialogue

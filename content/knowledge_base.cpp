#include "content/knowledge_base.hpp"

#include "content/intent_ids.hpp"

namespace smscoach::content {

char tier_letter(EvidenceTier tier) {
  return static_cast<char>('A' + static_cast<int>(tier));
}

const FaqEntry* KnowledgeBase::find_faq(std::string_view id) const {
  for (const auto& faq : faqs) {
    if (faq.id == id) return &faq;
  }
  return nullptr;
}

const Supplement* KnowledgeBase::find_supplement(std::string_view id) const {
  for (const auto& s : supplements) {
    if (s.id == id) return &s;
  }
  return nullptr;
}

const Medication* KnowledgeBase::find_medication(std::string_view generic) const {
  for (const auto& m : medications) {
    if (m.generic == generic) return &m;
  }
  return nullptr;
}

std::vector<TrainingUtterance> KnowledgeBase::training_utterances() const {
  std::vector<TrainingUtterance> out;
  for (const auto& faq : faqs) {
    const std::string intent = std::string(kFaqPrefix) + faq.id;
    for (const auto& text : faq.examples) out.push_back({text, intent});
  }
  for (const auto& group : intents) {
    for (const auto& text : group.examples) out.push_back({text, group.intent});
  }
  return out;
}

}  // namespace smscoach::content

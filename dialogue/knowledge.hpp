#pragma once
// A loaded knowledge base with the matcher trained on it: swapped as one
// immutable unit on reload, so a turn never sees half of each.

#include <memory>

#include "content/knowledge_base.hpp"
#include "intents/intent_matcher.hpp"

namespace smscoach::dialogue {

struct Knowledge {
  explicit Knowledge(content::KnowledgeBase knowledge_base)
      : kb(std::move(knowledge_base)), matcher(kb.training_utterances()) {}

  const content::KnowledgeBase kb;
  const intents::IntentMatcher matcher;
};

}  // namespace smscoach::dialogue

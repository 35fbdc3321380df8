#pragma once
// A loaded knowledge base with the intent engine trained on it: swapped as
// one immutable unit on reload, so a turn never sees half of each.

#include <memory>

#include "content/knowledge_base.hpp"
#include "intents/intent_engine.hpp"

namespace smscoach::dialogue {

struct Knowledge {
  explicit Knowledge(content::KnowledgeBase knowledge_base)
      : kb(std::move(knowledge_base)), engine(kb) {}

  const content::KnowledgeBase kb;
  const intents::IntentEngine engine;
};

}  // namespace smscoach::dialogue

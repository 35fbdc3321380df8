#pragma once
// The shipped knowledge base, loaded once per test binary (training the
// classifier takes a while). Fails loudly if the shipped content is invalid.

#include <stdexcept>

#include "content/loader.hpp"
#include "dialogue/knowledge.hpp"

namespace smscoach::test {

inline const content::KnowledgeBase& shipped_kb() {
  static const content::KnowledgeBase kb = [] {
    auto r = content::load_knowledge_base(SMSCOACH_CONTENT_DIR);
    if (!r.ok()) throw std::runtime_error(r.errors.front().to_string());
    return std::move(r.kb);
  }();
  return kb;
}

inline const dialogue::Knowledge& shipped_knowledge() {
  static const dialogue::Knowledge knowledge(shipped_kb());
  return knowledge;
}

}  // namespace smscoach::test

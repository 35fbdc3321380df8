#pragma once
// Loads and validates content/data/. A knowledge base with any error is never
// used: the server refuses to start on it and keeps the old one on reload.

#include <filesystem>
#include <vector>

#include "content/jsonl_reader.hpp"
#include "content/knowledge_base.hpp"

namespace smscoach::content {

// Most segments any single stored text may take; longer answers are split later.
inline constexpr std::size_t kMaxSegmentsPerText = 3;

struct LoadResult {
  KnowledgeBase kb;
  std::vector<ContentError> errors;  // empty means kb is complete and valid

  bool ok() const { return errors.empty(); }
};

// Reads every knowledge-base file from dir: program, faq, intents, slang,
// entity_values, supplements, medications, dose_rules, interactions,
// conditions (.jsonl) and products.json.
LoadResult load_knowledge_base(const std::filesystem::path& dir);

}  // namespace smscoach::content

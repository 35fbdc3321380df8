#pragma once
// Product questions from the catalog on disk (operator data: it gets
// swapped, so nothing here knows a product by name). Amounts are always
// "per label": labels are not lab results.

#include <string>

#include "content/knowledge_base.hpp"

namespace smscoach::dialogue {

struct CompareRequest {
  std::string category;    // "" = every product
  std::string ingredient;  // supplement id; "" = ask "most of what?"
  bool least = false;
};

struct ProductAnswer {
  bool needs_input = false;  // the text is a question back to the texter
  std::string text;
};

// The top products by the ingredient per serving (most or least).
ProductAnswer compare_products(const CompareRequest& request, const content::KnowledgeBase& kb);

// For a goal: the supplements with the best evidence for it, and catalog
// products of the categories that go with it (or of the category named).
ProductAnswer recommend_products(const std::string& goal, const std::string& category,
                                 const content::KnowledgeBase& kb);

}  // namespace smscoach::dialogue

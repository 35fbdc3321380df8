#include "dialogue/skills/product_skill.hpp"

#include "dialogue/reply_composer.hpp"

#include <algorithm>
#include <cstdio>
#include <vector>

namespace smscoach::dialogue {

namespace {

// How many products one reply lists.
constexpr std::size_t kListed = 3;

double mg_of(const content::Product& p, const std::string& ingredient) {
  for (const auto& [id, mg] : p.per_serving_mg) {
    if (id == ingredient) return mg;
  }
  return -1;  // not on the label
}

// 300 mg, 3.2 g, 25 g.
std::string label_amount(double mg) {
  char buf[32];
  if (mg >= 1000) {
    std::snprintf(buf, sizeof buf, "%.1f g", mg / 1000);
    std::string s = buf;
    const auto dot = s.find(".0 g");
    if (dot != std::string::npos) s.erase(dot, 2);
    return s;
  }
  std::snprintf(buf, sizeof buf, "%.0f mg", mg);
  return buf;
}

std::string display_name(const content::KnowledgeBase& kb, const std::string& id) {
  const auto* s = kb.find_supplement(id);
  return s ? s->name : id;
}

std::string category_words(const std::string& category) {
  std::string out = category;
  std::replace(out.begin(), out.end(), '_', ' ');
  return out;
}

std::string with_demo_note(std::string text, const content::KnowledgeBase& kb) {
  if (kb.catalog.demo) text += " " + kb.program.catalog_demo_note;
  return text;
}

}  // namespace

ProductAnswer compare_products(const CompareRequest& request, const content::KnowledgeBase& kb) {
  if (request.ingredient.empty()) return {true, kb.program.compare_ask_ingredient};
  std::vector<std::pair<double, const content::Product*>> ranked;
  for (const auto& p : kb.catalog.products) {
    if (!request.category.empty() && p.category != request.category) continue;
    const double mg = mg_of(p, request.ingredient);
    // "least caffeine" includes products with none on the label; "most" needs some.
    if (mg > 0 || (request.least && mg == 0)) ranked.emplace_back(mg, &p);
    else if (request.least && mg < 0 && request.category == p.category && !request.category.empty())
      ranked.emplace_back(0, &p);
  }
  if (ranked.empty()) return {false, kb.program.compare_none};
  std::stable_sort(ranked.begin(), ranked.end(), [&](const auto& a, const auto& b) {
    return request.least ? a.first < b.first : a.first > b.first;
  });
  std::string text = "Per label, " + std::string(request.least ? "least " : "most ") +
                     display_name(kb, request.ingredient) + " per serving";
  if (!request.category.empty()) text += " (" + category_words(request.category) + ")";
  text += ": ";
  for (std::size_t i = 0; i < ranked.size() && i < kListed; ++i) {
    const auto& [mg, p] = ranked[i];
    text += (i ? "; " : "") + p->name + " " + label_amount(mg) + " per " + p->serving;
  }
  text += ".";
  if (request.ingredient == "caffeine") text += " " + kb.program.compare_caveat;
  return {false, with_demo_note(std::move(text), kb)};
}

ProductAnswer recommend_products(const std::string& goal, const std::string& category,
                                 const content::KnowledgeBase& kb) {
  std::vector<std::string> categories;
  std::string text;
  if (!category.empty()) {
    categories.push_back(category);
  } else {
    if (goal.empty()) return {true, kb.program.recommend_ask_goal};
    for (const auto& r : kb.recommendations) {
      if (r.goal != goal) continue;
      for (const auto& id : r.supplements) {
        if (const auto* s = kb.find_supplement(id)) {
          if (!text.empty()) text += " ";
          text += capitalise_first(s->name) + " (evidence " + content::tier_letter(s->tier) +
                  "): " + s->summary;
        }
      }
      categories = r.categories;
    }
  }
  std::string listed;
  for (const auto& c : categories) {
    for (const auto& p : kb.catalog.products) {
      if (p.category != c) continue;
      listed += (listed.empty() ? "" : "; ") + p.name;
      break;  // one per category keeps the reply short
    }
  }
  if (!listed.empty()) text += (text.empty() ? "" : " ") + std::string("From our catalog: ") + listed + ".";
  if (text.empty()) return {false, kb.program.compare_none};
  return {false, with_demo_note(std::move(text), kb)};
}

}  // namespace smscoach::dialogue

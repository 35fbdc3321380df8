#pragma once
// Raw SMS to the tokens every later stage reads: normalize() folding, then
// shorthand expanded from the knowledge base's slang list ("u" -> "you",
// "b4" -> "before"), then misspellings of knowledge-base words corrected
// ("creatien" -> "creatine", "zolft" -> "zoloft"). Only words the knowledge
// base names are correction targets, so an ordinary word the base never saw
// ("bike") is left alone rather than "corrected" into one it did ("like").

#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "content/knowledge_base.hpp"

namespace smscoach::intents {

class TextNormalizer {
 public:
  explicit TextNormalizer(const content::KnowledgeBase& kb);

  std::vector<std::string> tokens(std::string_view raw) const;

  // normalize() + split only: how knowledge-base phrases themselves are tokenised.
  static std::vector<std::string> plain_tokens(std::string_view raw);

  // Registers a word as a spelling target (entity vocabulary).
  void add_target_word(const std::string& word);

 private:
  std::string correct(const std::string& token) const;
  // The correction target a token is a misspelling of, or "" when none is close.
  std::string nearest_target(const std::string& token) const;

  std::unordered_map<std::string, std::vector<std::string>> slang_;  // first word -> phrases
  std::unordered_map<std::string, std::vector<std::string>> slang_to_;  // phrase -> expansion
  std::size_t slang_max_words_ = 0;
  std::unordered_set<std::string> known_;  // words of the training texts: never corrected
  std::unordered_map<std::string, int> targets_;  // correction targets -> how often named
  std::unordered_map<std::string, std::vector<std::string>> deletes_;  // one char removed -> targets
};

// Damerau-Levenshtein distance (adjacent transpositions count one), capped:
// returns cap + 1 as soon as the distance is known to exceed cap.
int edit_distance(std::string_view a, std::string_view b, int cap);

}  // namespace smscoach::intents

#include "intents/phrase_index.hpp"

#include <algorithm>

namespace smscoach::intents {

void PhraseIndex::add(const std::vector<std::string>& tokens, int kind, std::string value) {
  if (tokens.empty()) return;
  std::string key;
  for (const auto& t : tokens) key += (key.empty() ? "" : " ") + t;
  auto& list = entries_[key];
  for (const auto& e : list) {
    if (e.kind == kind) return;  // first value for a phrase and kind wins
  }
  list.push_back({kind, std::move(value)});
  // Counted from the key, as find() builds its keys, whatever the tokens held.
  const auto words = static_cast<std::size_t>(std::count(key.begin(), key.end(), ' ')) + 1;
  auto& longest = longest_from_[key.substr(0, key.find(' '))];
  longest = std::max(longest, words);
  max_kind_ = std::max(max_kind_, kind);
}

std::vector<PhraseHit> PhraseIndex::find(const std::vector<std::string>& tokens) const {
  std::vector<PhraseHit> hits;
  // Per kind, the first token not yet covered by a hit of that kind.
  std::vector<std::size_t> next_free(static_cast<std::size_t>(max_kind_) + 1, 0);
  std::string key;
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    // Most tokens begin no phrase: one lookup tells, instead of one per length.
    const auto starts = longest_from_.find(tokens[i]);
    if (starts == longest_from_.end()) continue;
    const std::size_t longest = std::min(starts->second, tokens.size() - i);
    for (std::size_t n = longest; n >= 1; --n) {
      key.clear();
      for (std::size_t k = i; k < i + n; ++k) {
        if (k > i) key.push_back(' ');
        key += tokens[k];
      }
      const auto it = entries_.find(key);
      if (it == entries_.end()) continue;
      for (const auto& e : it->second) {
        auto& free_from = next_free[static_cast<std::size_t>(e.kind)];
        if (i < free_from) continue;
        hits.push_back({i, i + n, e.kind, e.value});
        free_from = i + n;
      }
    }
  }
  std::stable_sort(hits.begin(), hits.end(),
                   [](const PhraseHit& a, const PhraseHit& b) { return a.begin < b.begin; });
  return hits;
}

}  // namespace smscoach::intents

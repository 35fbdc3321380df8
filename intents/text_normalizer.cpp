#include "intents/text_normalizer.hpp"

#include <algorithm>
#include <cstdlib>

#include "intents/normalize.hpp"

namespace smscoach::intents {

namespace {

// Shorter words have too many neighbours one edit away to correct safely
// ("apart" is one edit from the insulin "aspart").
constexpr std::size_t kMinCorrectableLength = 6;
// From this length on, two edits are still unambiguous enough.
constexpr std::size_t kTwoEditLength = 8;

bool is_alpha_word(std::string_view w) {
  return !w.empty() && std::all_of(w.begin(), w.end(), [](char c) { return c >= 'a' && c <= 'z'; });
}

std::string join(const std::vector<std::string>& words, std::size_t from, std::size_t n) {
  std::string out;
  for (std::size_t k = from; k < from + n; ++k) out += (k > from ? " " : "") + words[k];
  return out;
}

}  // namespace

int edit_distance(std::string_view a, std::string_view b, int cap) {
  const int n = static_cast<int>(a.size()), m = static_cast<int>(b.size());
  if (std::abs(n - m) > cap) return cap + 1;
  std::vector<int> prev2(m + 1), prev(m + 1), cur(m + 1);
  for (int j = 0; j <= m; ++j) prev[j] = j;
  for (int i = 1; i <= n; ++i) {
    cur[0] = i;
    int row_min = cur[0];
    for (int j = 1; j <= m; ++j) {
      const int cost = a[i - 1] == b[j - 1] ? 0 : 1;
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        cur[j] = std::min(cur[j], prev2[j - 2] + 1);
      }
      row_min = std::min(row_min, cur[j]);
    }
    if (row_min > cap) return cap + 1;
    std::swap(prev2, prev);
    std::swap(prev, cur);
  }
  return prev[m];
}

std::vector<std::string> TextNormalizer::plain_tokens(std::string_view raw) {
  const std::string norm = normalize(raw);
  std::vector<std::string> out;
  for (auto w : split_words(norm)) out.emplace_back(w);
  return out;
}

void TextNormalizer::add_target_word(const std::string& word) {
  if (word.size() < kMinCorrectableLength || !is_alpha_word(word)) return;
  if (targets_[word]++ > 0) return;
  for (std::size_t k = 0; k < word.size(); ++k) {
    std::string d = word;
    d.erase(k, 1);
    deletes_[d].push_back(word);
  }
}

TextNormalizer::TextNormalizer(const content::KnowledgeBase& kb) {
  for (const auto& entry : kb.slang) {
    const auto to = plain_tokens(entry.to);
    for (const auto& from : entry.from) {
      const auto words = plain_tokens(from);
      if (words.empty()) continue;
      const std::string key = join(words, 0, words.size());
      slang_to_[key] = to;
      slang_[words[0]].push_back(key);
      slang_max_words_ = std::max(slang_max_words_, words.size());
    }
  }
  auto add_phrase_words = [this](const std::string& phrase) {
    for (const auto& w : plain_tokens(phrase)) add_target_word(w);
  };
  for (const auto& s : kb.supplements) {
    add_phrase_words(s.name);
    for (const auto& a : s.aliases) add_phrase_words(a);
  }
  for (const auto& m : kb.medications) {
    add_phrase_words(m.generic);
    for (const auto& b : m.brands) add_phrase_words(b);
  }
  for (const auto& v : kb.entity_values) {
    for (const auto& a : v.aliases) add_phrase_words(a);
  }
  for (const auto& c : kb.conditions) {
    for (const auto& a : c.aliases) add_phrase_words(a);
  }
  // Training texts are written like real texts, misspellings included: only
  // their words that are not near a target count as known.
  for (const auto& u : kb.training_utterances()) {
    for (auto& w : plain_tokens(u.text)) {
      if (known_.contains(w) || targets_.contains(w)) continue;
      if (w.size() < kMinCorrectableLength || nearest_target(w).empty()) known_.insert(std::move(w));
    }
  }
}

std::string TextNormalizer::correct(const std::string& token) const {
  if (token.size() < kMinCorrectableLength || !is_alpha_word(token) || targets_.contains(token) ||
      known_.contains(token)) {
    return token;
  }
  std::string target = nearest_target(token);
  return target.empty() ? token : target;
}

std::string TextNormalizer::nearest_target(const std::string& token) const {
  if (!is_alpha_word(token)) return {};
  // Symmetric delete: a target one edit away shares a one-deletion form with the token.
  std::vector<std::string_view> candidates;
  auto collect = [&](const std::string& key) {
    if (auto it = deletes_.find(key); it != deletes_.end()) {
      for (const auto& t : it->second) candidates.push_back(t);
    }
    if (targets_.contains(key)) candidates.push_back(targets_.find(key)->first);
  };
  collect(token);
  for (std::size_t k = 0; k < token.size(); ++k) {
    std::string d = token;
    d.erase(k, 1);
    collect(d);
  }
  const int cap = token.size() >= kTwoEditLength ? 2 : 1;
  std::string_view best;
  int best_distance = cap + 1, best_count = 0;
  for (auto c : candidates) {
    if (c.front() != token.front()) continue;  // typos rarely hit the first letter
    const int d = edit_distance(token, c, cap);
    const int count = targets_.find(std::string(c))->second;
    if (d < best_distance || (d == best_distance && count > best_count) ||
        (d == best_distance && count == best_count && c < best)) {
      best = c;
      best_distance = d;
      best_count = count;
    }
  }
  if (best_distance <= cap) return std::string(best);
  if (cap < 2) return {};
  // Two edits on a long word: compare with targets of similar length directly.
  for (const auto& [t, count] : targets_) {
    if (t.size() + 2 < token.size() || t.size() > token.size() + 2 || t[0] != token[0]) continue;
    const int d = edit_distance(token, t, 2);
    if (d < best_distance || (d == best_distance && count > best_count)) {
      best = t;
      best_distance = d;
      best_count = count;
    }
  }
  return best_distance <= 2 ? std::string(best) : std::string();
}

std::vector<std::string> TextNormalizer::tokens(std::string_view raw) const {
  const auto words = plain_tokens(raw);
  std::vector<std::string> out;
  out.reserve(words.size() + 4);
  for (std::size_t i = 0; i < words.size();) {
    std::size_t used = 0;
    if (auto it = slang_.find(words[i]); it != slang_.end()) {
      const std::size_t longest = std::min(slang_max_words_, words.size() - i);
      for (std::size_t n = longest; n >= 1 && used == 0; --n) {
        const auto exp = slang_to_.find(join(words, i, n));
        if (exp != slang_to_.end()) {
          out.insert(out.end(), exp->second.begin(), exp->second.end());
          used = n;
        }
      }
    }
    if (used == 0) {
      out.push_back(correct(words[i]));
      used = 1;
    }
    i += used;
  }
  return out;
}

}  // namespace smscoach::intents

#include "intents/intent_matcher.hpp"

#include <algorithm>
#include <cmath>
#include <unordered_map>

#include "content/intent_ids.hpp"
#include "intents/normalize.hpp"

namespace smscoach::intents {

namespace {

constexpr std::uint32_t kFnvOffset = 2166136261u;
constexpr std::uint32_t kFnvPrime = 16777619u;

std::uint32_t fnv1a(std::string_view s, std::uint32_t h = kFnvOffset) {
  for (char c : s) {
    h ^= static_cast<unsigned char>(c);
    h *= kFnvPrime;
  }
  return h;
}

// Feature kinds hash into separate spaces so "ab" the word and "ab" the trigram differ.
std::uint32_t feature_id(char kind, std::string_view a, std::string_view b = {}) {
  std::uint32_t h = fnv1a(std::string_view(&kind, 1));
  h = fnv1a(a, h);
  if (!b.empty()) h = fnv1a(std::string_view(" ", 1), fnv1a(b, h));
  return h;
}

// Trigrams catch typos ("protien" shares most with "protein"), words carry meaning.
constexpr float kWordWeight = 1.0f;
constexpr float kPairWeight = 0.7f;
constexpr float kTrigramWeight = 0.35f;

}  // namespace

std::vector<std::pair<std::uint32_t, float>> IntentMatcher::raw_features(
    std::string_view text) const {
  const std::string norm = normalize(text);
  const auto words = split_words(norm);
  std::unordered_map<std::uint32_t, float> counts;
  for (std::size_t i = 0; i < words.size(); ++i) {
    counts[feature_id('w', words[i])] += kWordWeight;
    if (i + 1 < words.size()) counts[feature_id('p', words[i], words[i + 1])] += kPairWeight;
    const std::string padded = "#" + std::string(words[i]) + "#";
    for (std::size_t k = 0; k + 3 <= padded.size(); ++k) {
      counts[feature_id('c', std::string_view(padded).substr(k, 3))] += kTrigramWeight;
    }
  }
  std::vector<std::pair<std::uint32_t, float>> out(counts.begin(), counts.end());
  std::sort(out.begin(), out.end());
  return out;
}

IntentMatcher::SparseVector IntentMatcher::vectorize(std::string_view text) const {
  SparseVector v;
  double norm2 = 0.0;
  for (const auto& [id, tf] : raw_features(text)) {
    const auto it = std::lower_bound(idf_.begin(), idf_.end(), std::make_pair(id, 0.0f),
                                     [](const auto& a, const auto& b) { return a.first < b.first; });
    // A feature never seen in training cannot match any example: skip it.
    if (it == idf_.end() || it->first != id) continue;
    const float w = (1.0f + std::log(tf + 1.0f)) * it->second;
    v.push_back({id, w});
    norm2 += static_cast<double>(w) * w;
  }
  if (norm2 > 0) {
    const auto inv = static_cast<float>(1.0 / std::sqrt(norm2));
    for (auto& f : v) f.weight *= inv;
  }
  return v;
}

IntentMatcher::IntentMatcher(const std::vector<content::TrainingUtterance>& training) {
  std::unordered_map<std::uint32_t, int> document_frequency;
  std::vector<std::vector<std::pair<std::uint32_t, float>>> raw;
  raw.reserve(training.size());
  for (const auto& u : training) {
    raw.push_back(raw_features(u.text));
    for (const auto& f : raw.back()) ++document_frequency[f.first];
  }
  const double n = static_cast<double>(training.size());
  for (const auto& [id, df] : document_frequency) {
    idf_.emplace_back(id, static_cast<float>(std::log((n + 1.0) / (df + 1.0)) + 1.0));
  }
  std::sort(idf_.begin(), idf_.end());
  for (const auto& u : training) {
    examples_.push_back(vectorize(u.text));
    labels_.push_back(u.intent);
  }
}

IntentMatch IntentMatcher::match(std::string_view text) const {
  const SparseVector query = vectorize(text);
  double best = 0.0;
  std::size_t best_index = labels_.size();
  for (std::size_t e = 0; e < examples_.size(); ++e) {
    const auto& ex = examples_[e];
    double dot = 0.0;
    std::size_t i = 0, j = 0;
    while (i < query.size() && j < ex.size()) {
      if (query[i].id < ex[j].id) {
        ++i;
      } else if (ex[j].id < query[i].id) {
        ++j;
      } else {
        dot += static_cast<double>(query[i].weight) * ex[j].weight;
        ++i;
        ++j;
      }
    }
    if (dot > best) {
      best = dot;
      best_index = e;
    }
  }
  if (best_index == labels_.size() || best < kMinConfidence) {
    return {std::string(content::kOutOfScope), 1.0 - best};
  }
  return {labels_[best_index], std::min(1.0, best)};
}

}  // namespace smscoach::intents

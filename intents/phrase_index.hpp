#pragma once
// Finds known phrases (one or more words) in a token sequence, longest first:
// "beet juice", "st johns wort", "the pill". Each phrase maps to one or more
// (kind, value) pairs; matching is independent per kind, so "protein powder"
// can be both a supplement and a product category.

#include <cstddef>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace smscoach::intents {

struct PhraseHit {
  std::size_t begin = 0;  // first token
  std::size_t end = 0;    // one past the last token
  int kind = 0;
  std::string value;
};

class PhraseIndex {
 public:
  // Adds a phrase given as tokens; empty phrases are ignored.
  void add(const std::vector<std::string>& tokens, int kind, std::string value);

  // Non-overlapping hits per kind, left to right, longest phrase first.
  std::vector<PhraseHit> find(const std::vector<std::string>& tokens) const;

  std::size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    int kind;
    std::string value;
  };
  std::unordered_map<std::string, std::vector<Entry>> entries_;  // key: tokens joined by ' '
  // First word of a phrase -> the most words of a phrase it begins.
  std::unordered_map<std::string, std::size_t> longest_from_;
  int max_kind_ = 0;
};

}  // namespace smscoach::intents

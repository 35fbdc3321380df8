#include "intents/normalize.hpp"

namespace smscoach::intents {

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alnum(char c) { return is_digit(c) || (c >= 'a' && c <= 'z'); }

// Length of the UTF-8 sequence starting with lead byte b (1 for stray bytes).
std::size_t utf8_length(unsigned char b) {
  if ((b >> 5) == 0x6) return 2;
  if ((b >> 4) == 0xE) return 3;
  if ((b >> 3) == 0x1E) return 4;
  return 1;
}

// Curly apostrophes fold to nothing (inside words), like a straight one.
bool is_apostrophe(std::string_view seq) {
  return seq == "'" || seq == "\xE2\x80\x98" || seq == "\xE2\x80\x99" || seq == "`";
}

bool is_double_quote(std::string_view seq) {
  return seq == "\"" || seq == "\xE2\x80\x9C" || seq == "\xE2\x80\x9D";
}

// Latin-1 letters texters type on foreign keyboards, folded to ASCII:
// "protéine" -> "proteine". Returns 0 for anything else.
char fold_latin1(std::string_view seq) {
  if (seq.size() != 2 || static_cast<unsigned char>(seq[0]) != 0xC3) return 0;
  const auto c = static_cast<unsigned char>(seq[1]);
  static constexpr char kMap[] =  // U+00C0 .. U+00FF
      "aaaaaaaceeeeiiiidnooooo*ouuuuyts"
      "aaaaaaaceeeeiiiidnooooo/ouuuuyty";
  if (c < 0x80 || c > 0xBF) return 0;
  const char folded = kMap[c - 0x80];
  return (folded == '*' || folded == '/') ? 0 : folded;
}

}  // namespace

std::string normalize(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  auto push_space = [&out] {
    if (!out.empty() && out.back() != ' ') out.push_back(' ');
  };
  for (std::size_t i = 0; i < text.size();) {
    const auto b = static_cast<unsigned char>(text[i]);
    const std::size_t len = b < 0x80 ? 1 : std::min(utf8_length(b), text.size() - i);
    const std::string_view seq = text.substr(i, len);
    i += len;
    if (const char folded = fold_latin1(seq)) {
      out.push_back(folded);
      continue;
    }
    // Heights are not weights: 5'10 -> "5ft 10", 70" -> "70in".
    if (!out.empty() && is_digit(out.back()) && is_apostrophe(seq) && i < text.size() &&
        is_digit(text[i])) {
      out += "ft ";
      continue;
    }
    if (!out.empty() && is_digit(out.back()) && is_double_quote(seq)) {
      out += "in";
      continue;
    }
    if (len == 1 && b < 0x80) {
      char c = static_cast<char>(b);
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
      if (is_alnum(c)) {
        out.push_back(c);
      } else if ((c == '.' || c == ',') && !out.empty() && is_digit(out.back()) &&
                 i < text.size() && is_digit(text[i])) {
        out.push_back('.');  // "1.6" and the European "1,6" stay one number
      } else if (is_apostrophe(seq) && !out.empty() && out.back() != ' ') {
        // "don't" -> "dont": texters drop apostrophes anyway
      } else {
        push_space();
      }
    } else if (is_apostrophe(seq) && !out.empty() && out.back() != ' ') {
      // curly apostrophe inside a word
    } else {
      push_space();
    }
  }
  if (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

std::vector<std::string_view> split_words(std::string_view normalized) {
  std::vector<std::string_view> words;
  std::size_t pos = 0;
  while (pos < normalized.size()) {
    std::size_t end = normalized.find(' ', pos);
    if (end == std::string_view::npos) end = normalized.size();
    if (end > pos) words.push_back(normalized.substr(pos, end - pos));
    pos = end + 1;
  }
  return words;
}

}  // namespace smscoach::intents

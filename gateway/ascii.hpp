#pragma once
// ASCII-only case folding: HTTP header names, media types and URL schemes
// are ASCII and compared without the locale.

#include <algorithm>
#include <string>
#include <string_view>

namespace smscoach::gateway::ascii {

inline char to_lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

inline std::string to_lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](char c) { return to_lower(c); });
  return out;
}

inline bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return to_lower(x) == to_lower(y);
         });
}

}  // namespace smscoach::gateway::ascii

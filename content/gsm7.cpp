#include "content/gsm7.hpp"

#include <cstdint>

namespace smscoach::content {

namespace {

// Decodes one UTF-8 code point at s[i], advancing i; returns -1 if malformed.
std::int32_t next_code_point(std::string_view s, std::size_t& i) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  int len = b0 < 0x80 ? 1 : (b0 >> 5) == 0x6 ? 2 : (b0 >> 4) == 0xE ? 3 : (b0 >> 3) == 0x1E ? 4 : 0;
  if (len == 0 || i + len > s.size()) return -1;
  std::int32_t cp = len == 1 ? b0 : b0 & (0x7F >> len);
  for (int k = 1; k < len; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    if ((b >> 6) != 0x2) return -1;
    cp = (cp << 6) | (b & 0x3F);
  }
  i += len;
  return cp;
}

// Septets for one code point: 1 basic, 2 extension, 0 not representable.
int septets_for(std::int32_t cp) {
  if (cp == '\n' || cp == '\r') return 1;
  if (cp >= 0x20 && cp < 0x7F) {
    switch (cp) {
      case '[': case '\\': case ']': case '^': case '{': case '|': case '}': case '~':
        return 2;
      case '`':
        return 0;
      default:
        return 1;
    }
  }
  switch (cp) {
    case 0x0C: case 0x20AC:  // form feed, euro sign
      return 2;
    case 0xA1: case 0xA3: case 0xA4: case 0xA5: case 0xA7: case 0xBF:  // ¡ £ ¤ ¥ § ¿
    case 0xC4: case 0xC5: case 0xC6: case 0xC7: case 0xC9: case 0xD1:  // Ä Å Æ Ç É Ñ
    case 0xD6: case 0xD8: case 0xDC: case 0xDF: case 0xE0: case 0xE4:  // Ö Ø Ü ß à ä
    case 0xE5: case 0xE6: case 0xE8: case 0xE9: case 0xEC: case 0xF1:  // å æ è é ì ñ
    case 0xF2: case 0xF6: case 0xF8: case 0xF9: case 0xFC:             // ò ö ø ù ü
    case 0x393: case 0x394: case 0x398: case 0x39B: case 0x39E:        // Γ Δ Θ Λ Ξ
    case 0x3A0: case 0x3A3: case 0x3A6: case 0x3A8: case 0x3A9:        // Π Σ Φ Ψ Ω
      return 1;
    default:
      return 0;
  }
}

}  // namespace

std::optional<std::size_t> gsm7_septets(std::string_view utf8) {
  std::size_t total = 0;
  for (std::size_t i = 0; i < utf8.size();) {
    const std::int32_t cp = next_code_point(utf8, i);
    if (cp < 0) return std::nullopt;
    const int n = septets_for(cp);
    if (n == 0) return std::nullopt;
    total += static_cast<std::size_t>(n);
  }
  return total;
}

std::size_t gsm7_segments(std::size_t septets) {
  if (septets <= 160) return 1;
  return (septets + 152) / 153;
}

}  // namespace smscoach::content

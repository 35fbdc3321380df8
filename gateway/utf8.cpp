#include "gateway/utf8.hpp"

namespace smscoach::gateway::utf8 {

namespace {

bool is_continuation(unsigned char byte) { return (byte & 0xC0U) == 0x80U; }

}  // namespace

Decoded decode(std::string_view text, std::size_t pos) noexcept {
  const auto lead = static_cast<unsigned char>(text[pos]);
  if (lead < 0x80U) return {lead, 1};

  std::size_t length = 0;
  char32_t code_point = 0;
  char32_t minimum = 0;  // smallest value this length may encode (rejects overlongs)
  if ((lead & 0xE0U) == 0xC0U) {
    length = 2;
    code_point = lead & 0x1FU;
    minimum = 0x80;
  } else if ((lead & 0xF0U) == 0xE0U) {
    length = 3;
    code_point = lead & 0x0FU;
    minimum = 0x800;
  } else if ((lead & 0xF8U) == 0xF0U) {
    length = 4;
    code_point = lead & 0x07U;
    minimum = 0x10000;
  } else {
    return {};  // a stray continuation byte or 0xF8..0xFF
  }
  if (text.size() - pos < length) return {};
  for (std::size_t i = 1; i < length; ++i) {
    const auto byte = static_cast<unsigned char>(text[pos + i]);
    if (!is_continuation(byte)) return {};
    code_point = (code_point << 6) | (byte & 0x3FU);
  }
  if (code_point < minimum || code_point > 0x10FFFF) return {};
  if (code_point >= 0xD800 && code_point <= 0xDFFF) return {};
  return {code_point, length};
}

bool is_valid(std::string_view text) noexcept {
  for (std::size_t pos = 0; pos < text.size();) {
    const Decoded d = decode(text, pos);
    if (d.length == 0) return false;
    pos += d.length;
  }
  return true;
}

}  // namespace smscoach::gateway::utf8

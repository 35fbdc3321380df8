#include "dialogue/store/json_list.hpp"

#include <nlohmann/json.hpp>

namespace smscoach::dialogue {

namespace {

// Well-formed UTF-8 (no overlong forms, surrogates or code points past
// U+10FFFF): what nlohmann writes through unchanged, and refuses otherwise.
bool valid_utf8(const std::string& text) {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const auto* end = p + text.size();
  while (p < end) {
    const unsigned char c = *p;
    if (c < 0x80) {
      ++p;
      continue;
    }
    int more = 0;
    unsigned char low = 0x80, high = 0xBF;  // the range of the byte after the first
    if (c >= 0xC2 && c <= 0xDF) {
      more = 1;
    } else if (c >= 0xE0 && c <= 0xEF) {
      more = 2;
      if (c == 0xE0) low = 0xA0;
      if (c == 0xED) high = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      more = 3;
      if (c == 0xF0) low = 0x90;
      if (c == 0xF4) high = 0x8F;
    } else {
      return false;
    }
    if (end - p <= more) return false;
    if (p[1] < low || p[1] > high) return false;
    for (int i = 2; i <= more; ++i) {
      if (p[i] < 0x80 || p[i] > 0xBF) return false;
    }
    p += more + 1;
  }
  return true;
}

// nlohmann's escapes: the short forms where JSON has one, \u00xx (lower
// case) for the other control characters. Runs of plain text are copied
// whole.
void append_escaped(std::string& out, const std::string& text) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::size_t plain = 0;  // start of the run not yet copied
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(text, plain, i - plain);
    plain = i + 1;
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        out += "\\u00";
        out += kHex[c >> 4];
        out += kHex[c & 0xF];
    }
  }
  out.append(text, plain, text.size() - plain);
}

}  // namespace

std::string json_list_text(const std::vector<std::string>& list) {
  for (const auto& item : list) {
    if (!valid_utf8(item)) return nlohmann::json(list).dump();  // throws
  }
  std::size_t size = 2;
  for (const auto& item : list) size += item.size() + 3;
  std::string out;
  out.reserve(size);
  out += '[';
  for (const auto& item : list) {
    if (out.size() > 1) out += ',';
    out += '"';
    append_escaped(out, item);
    out += '"';
  }
  out += ']';
  return out;
}

}  // namespace smscoach::dialogue

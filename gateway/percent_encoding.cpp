#include "gateway/percent_encoding.hpp"

namespace smscoach::gateway {

namespace {

bool is_querystring_unreserved(unsigned char c) {
  if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) return true;
  switch (c) {
    case '-':
    case '_':
    case '.':
    case '!':
    case '~':
    case '*':
    case '\'':
    case '(':
    case ')':
      return true;
    default:
      return false;
  }
}

}  // namespace

std::vector<RawPair> split_pairs(std::string_view text) {
  std::vector<RawPair> pairs;
  while (!text.empty()) {
    const std::size_t amp = text.find('&');
    const std::string_view piece = text.substr(0, amp);
    text = amp == std::string_view::npos ? std::string_view{} : text.substr(amp + 1);
    if (piece.empty()) continue;
    const std::size_t eq = piece.find('=');
    pairs.push_back({piece.substr(0, eq),
                     eq == std::string_view::npos ? std::string_view{} : piece.substr(eq + 1)});
  }
  return pairs;
}

int hex_digit_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::optional<std::string> percent_decode(std::string_view text, BadEscape bad_escape,
                                          std::string* reason) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '+') {
      out += ' ';
      continue;
    }
    if (c != '%') {
      out += c;
      continue;
    }
    const bool complete = i + 2 < text.size();
    const int high = complete ? hex_digit_value(text[i + 1]) : -1;
    const int low = complete ? hex_digit_value(text[i + 2]) : -1;
    if (high >= 0 && low >= 0) {
      out += static_cast<char>(high * 16 + low);
      i += 2;
    } else if (bad_escape == BadEscape::keep) {
      out += c;
    } else {
      if (reason != nullptr) {
        *reason = complete
                      ? "invalid percent escape \"%" + std::string(text.substr(i + 1, 2)) + "\""
                      : "truncated percent escape";
      }
      return std::nullopt;
    }
  }
  return out;
}

void append_percent_escape(std::string& out, unsigned char byte) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  out += '%';
  out += kHex[byte >> 4];
  out += kHex[byte & 0x0F];
}

std::string querystring_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (is_querystring_unreserved(byte)) {
      out += c;
    } else {
      append_percent_escape(out, byte);
    }
  }
  return out;
}

}  // namespace smscoach::gateway

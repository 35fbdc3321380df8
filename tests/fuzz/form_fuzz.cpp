// parse_form on arbitrary bytes: a Twilio webhook body or an admin query
// string. Checks what form.hpp promises: the error is bad_input with a
// reason; a parsed form has one field per non-empty pair, all valid UTF-8,
// and encoding it again parses back to the same fields.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "fuzz_utf8.hpp"
#include "gateway/form.hpp"

namespace {

std::size_t non_empty_pairs(std::string_view body) {
  std::size_t count = 0;
  std::size_t start = 0;
  while (start <= body.size()) {
    const std::size_t end = std::min(body.find('&', start), body.size());
    if (end > start) ++count;
    start = end + 1;
  }
  return count;
}

std::string encode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const char c : text) {
    const auto b = static_cast<unsigned char>(c);
    if ((b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || (b >= '0' && b <= '9')) {
      out += c;
    } else if (b == ' ') {
      out += '+';
    } else {
      out += '%';
      out += kHex[b >> 4];
      out += kHex[b & 15];
    }
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using smscoach::ErrorCode;
  using smscoach::gateway::parse_form;
  const std::string_view body(reinterpret_cast<const char*>(data), size);

  const auto form = parse_form(body);
  if (!form) {
    FUZZ_CHECK(form.error().code == ErrorCode::bad_input);
    FUZZ_CHECK(!form.error().message.empty());
    return 0;
  }
  FUZZ_CHECK(form->fields.size() == non_empty_pairs(body));
  std::string again;
  for (const auto& [key, value] : form->fields) {
    FUZZ_CHECK(smscoach::fuzz::is_utf8(key));
    FUZZ_CHECK(smscoach::fuzz::is_utf8(value));
    const std::string* first = form->find(key);
    FUZZ_CHECK(first != nullptr);
    if (!again.empty()) again += '&';
    again += encode(key) + '=' + encode(value);
  }
  // An empty key with an empty value encodes as "=", which is not an empty pair.
  const auto reparsed = parse_form(again);
  FUZZ_CHECK(reparsed);
  FUZZ_CHECK(reparsed->fields == form->fields);
  return 0;
}

#pragma once
// Percent-encoding primitives shared by the strict form parser and the
// signature URL variants (which must mimic Node's lenient querystring module).

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace smscoach::gateway {

struct RawPair {
  std::string_view key;    // still encoded
  std::string_view value;  // still encoded; empty when the pair has no '='
};

// The '&'-separated pairs of a form body or query string, each split at its
// first '='. Empty pairs ("a=1&&b=2", a trailing '&') are skipped, as both
// browsers and Node's querystring do.
std::vector<RawPair> split_pairs(std::string_view text);

// 0..15 for a hex digit of either case, -1 otherwise.
int hex_digit_value(char c) noexcept;

// What to do with a '%' that does not start a valid "%XX" escape.
enum class BadEscape {
  fail,  // the form parser: a sender that emits broken escapes is not Twilio
  keep,  // Node's querystring.unescape: the bytes stay as they are
};

// '+' becomes a space and "%XX" a byte. With BadEscape::fail a malformed or
// truncated escape gives nullopt and says why in `reason` (when given).
std::optional<std::string> percent_decode(std::string_view text, BadEscape bad_escape,
                                          std::string* reason = nullptr);

// Node's querystring.escape: every byte except A-Z a-z 0-9 - _ . ! ~ * ' ( )
// becomes "%XX" (upper-case hex).
std::string querystring_escape(std::string_view text);

// Appends "%XX" for one byte.
void append_percent_escape(std::string& out, unsigned char byte);

}  // namespace smscoach::gateway

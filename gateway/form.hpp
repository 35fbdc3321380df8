#pragma once
// application/x-www-form-urlencoded bodies, decoded exactly as Twilio encoded
// them: the signature is computed over these decoded bytes, so nothing may be
// trimmed, merged or reordered.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/expected.hpp"

namespace smscoach::gateway {

struct FormFields {
  // In the order received; repeated keys and empty values kept.
  std::vector<std::pair<std::string, std::string>> fields;

  // The first value of `key`, or nullptr when the key is absent.
  const std::string* find(std::string_view key) const;
};

// Splits on '&' and the first '=' of each pair, turns '+' into a space and
// "%XX" into a byte. A pair without '=' is a key with an empty value; empty
// pairs ("a=1&&b=2", a trailing '&') are skipped, as browsers do.
// Fails with ErrorCode::bad_input (and a reason) on a malformed escape such as
// "%G1" or a truncated "%4", or when a decoded key or value is not valid UTF-8.
Expected<FormFields> parse_form(std::string_view body);

}  // namespace smscoach::gateway

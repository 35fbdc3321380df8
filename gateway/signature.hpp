#pragma once
// X-Twilio-Signature: base64(HMAC-SHA1(auth token, url + sorted key/value
// pairs)), computed and checked exactly as Twilio's own libraries do.

#include <string>
#include <string_view>

#include "gateway/form.hpp"

namespace smscoach::gateway {

// The signature Twilio sends for a POST of `params` to `url`: the URL byte
// for byte, then for each key in byte order, each distinct value of that key
// in byte order, appended as key+value with no separators. (twilio-node sorts
// by UTF-16 code unit; that differs from byte order only between characters
// above U+FFFF and U+E000..U+FFFF, which Twilio's parameter names never use.)
std::string twilio_signature(std::string_view auth_token, std::string_view url,
                             const FormFields& params);

// True when `header_value` is the signature of `params` posted to any of the
// spellings of `url` twilio-node's validateRequest accepts (see
// twilio_signature_url_candidates). Compares in constant time. False for an
// empty header or an empty token: an unsigned request is never valid.
bool validate_twilio_signature(std::string_view auth_token, std::string_view header_value,
                               std::string_view url, const FormFields& params);

}  // namespace smscoach::gateway

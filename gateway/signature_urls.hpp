#pragma once
// The spellings of one webhook URL that Twilio may have signed. Twilio has
// signed with and without the port over the years, and some of its back ends
// sign an escaped query; twilio-node's validateRequest (v6.2.0) tries a fixed
// list of variants, and so do we, in the same order.

#include <string>
#include <string_view>
#include <vector>

namespace smscoach::gateway {

// twilio-node addPort: inserts ":443" (https) or ":80" (any other scheme)
// when the authority has no port; otherwise, or when `url` has no
// "scheme://" prefix, returns it unchanged.
std::string url_with_default_port(std::string_view url);

// twilio-node removePort: strips any port, default or not.
std::string url_without_port(std::string_view url);

// Every candidate validateRequest tries, duplicates removed:
//   1. the URL as received, without and with its port, byte for byte;
//   2. the URL normalised as `new URL(url).toString()` would (lower-case
//      scheme and host, default port dropped, "." and ".." segments resolved,
//      an empty path made "/", and the WHATWG percent-encode sets applied to
//      path, query and fragment), without and with its port, each also with
//      its query re-encoded by Node's legacy querystring module.
// Normalisation covers what a webhook URL plausibly contains, not all of
// WHATWG: no IDNA or percent-decoding of hosts, no IPv4 shorthand. It is
// skipped for a URL that is not http(s) or whose port is not a number.
std::vector<std::string> twilio_signature_url_candidates(std::string_view url);

}  // namespace smscoach::gateway

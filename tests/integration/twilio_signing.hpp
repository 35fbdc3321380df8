#pragma once
// Signs a form post exactly as Twilio would, with the product's own signer:
// the integration tests prove the server accepts what Twilio sends (the
// signer itself is checked against twilio@6.2.0's vectors in unit tests).

#include <string>

#include "gateway/form.hpp"
#include "gateway/signature.hpp"
#include "http_client.hpp"

namespace smscoach::test {

// The X-Twilio-Signature value for `fields` posted to `url` (public URL + path).
inline std::string twilio_signature_for(const std::string& auth_token, const std::string& url,
                                        const Fields& fields) {
  gateway::FormFields params;
  for (const auto& f : fields) params.fields.push_back(f);
  return gateway::twilio_signature(auth_token, url, params);
}

}  // namespace smscoach::test

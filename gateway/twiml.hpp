#pragma once
// TwiML replies for the Twilio messaging webhook.

#include <string>
#include <vector>

namespace smscoach::gateway {

// `<?xml version="1.0" encoding="UTF-8"?><Response/>` when there is nothing to
// say (Twilio then sends nothing), else one <Message> per reply, in order.
// Text is XML-escaped (& < > " '); characters XML 1.0 forbids (C0 controls
// other than tab, LF and CR; U+FFFE; U+FFFF) are dropped and malformed UTF-8
// becomes U+FFFD, so the document always parses. Never fails.
std::string twiml_response(const std::vector<std::string>& messages);

}  // namespace smscoach::gateway

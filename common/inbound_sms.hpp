#pragma once
// One text from a texter, as every SMS gateway delivers it, provider-neutral.

#include <string>

namespace smscoach {

struct InboundSms {
  std::string message_sid;  // the provider's id; the key that makes retries harmless
  std::string from;         // the texter, E.164
  std::string to;           // our number they wrote to
  std::string body;
  // "STOP", "START" or "HELP" when the provider already acted on a keyword and
  // replied itself (Twilio's OptOutType): record the change, send nothing.
  std::string provider_keyword;
};

}  // namespace smscoach

#pragma once
// Every reply leaves as GSM-7 within a segment budget: one character outside
// GSM-7 would make the whole text UCS-2 (70 characters a segment, not 160),
// and every segment costs the texter and the line money.

#include <cstddef>
#include <string>
#include <string_view>

namespace smscoach::dialogue {

inline constexpr std::size_t kDefaultReplySegments = 3;
inline constexpr std::string_view kMoreHint = " Reply MORE";

// Curly quotes, dashes, ellipses and odd spaces become their ASCII look-alikes
// (as Twilio's Smart Encoding does); anything else outside GSM-7 is dropped.
std::string to_gsm7(std::string_view utf8);

struct ComposedReply {
  std::string text;  // what to send now
  std::string rest;  // what MORE sends next; empty when it all fit
};

// "creatine: ..." -> "Creatine: ...": names start sentences in replies.
std::string capitalise_first(std::string text);

// Fits text into max_segments: a longer text is cut at the last sentence end
// (else word break) that leaves room for " Reply MORE".
ComposedReply compose_reply(std::string_view text,
                            std::size_t max_segments = kDefaultReplySegments);

}  // namespace smscoach::dialogue

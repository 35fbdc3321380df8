#pragma once
// UTF-8 decoding shared by the form parser (which rejects bad text) and the
// TwiML writer (which repairs it): one definition of "well-formed".

#include <cstddef>
#include <string_view>

namespace smscoach::gateway::utf8 {

struct Decoded {
  char32_t code_point = 0;
  std::size_t length = 0;  // bytes consumed; 0 means malformed at this position
};

// Decodes the sequence that starts at text[pos] (pos < text.size()). Overlong
// forms, surrogates, values above U+10FFFF and truncated sequences are
// malformed, as RFC 3629 requires.
Decoded decode(std::string_view text, std::size_t pos) noexcept;

// True when every byte belongs to a well-formed sequence.
bool is_valid(std::string_view text) noexcept;

}  // namespace smscoach::gateway::utf8

#pragma once
// SMS text to a canonical form the intent engine and keyword rules can compare:
// lower case ASCII words separated by single spaces.

#include <string>
#include <string_view>
#include <vector>

namespace smscoach::intents {

// Folds case, curly quotes and dashes; turns punctuation into spaces while
// keeping decimal points inside numbers ("1.6") and apostrophes inside words
// dropped ("don't" -> "dont"), accented Latin letters folded ("é" -> "e"),
// and feet/inches marks spelled out ("5'10" -> "5ft 10"). Bytes of other
// non-ASCII characters (emoji) become spaces. Never fails: any byte string is
// accepted.
std::string normalize(std::string_view text);

// Splits a normalized text on spaces.
std::vector<std::string_view> split_words(std::string_view normalized);

}  // namespace smscoach::intents

#pragma once
// The GSM 03.38 alphabet: a text outside it is sent as UCS-2, which cuts a
// segment from 160 to 70 characters, so every reply we write must stay inside.

#include <cstddef>
#include <optional>
#include <string_view>

namespace smscoach::content {

// Septets the UTF-8 text costs in GSM-7 (extension characters cost two), or
// nullopt when some character is not in the GSM-7 alphabet at all.
std::optional<std::size_t> gsm7_septets(std::string_view utf8);

// Segments a GSM-7 text of this many septets takes: 160 in one, 153 each when split.
std::size_t gsm7_segments(std::size_t septets);

}  // namespace smscoach::content

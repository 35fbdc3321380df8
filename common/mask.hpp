#pragma once
// Phone numbers never reach a log whole: "+15551234567" -> "+1555***4567".

#include <string>
#include <string_view>

namespace smscoach {

inline std::string mask_number(std::string_view number) {
  if (number.size() <= 8) return std::string(number.size(), '*');
  std::string out(number.substr(0, 5));
  out += "***";
  out += number.substr(number.size() - 4);
  return out;
}

}  // namespace smscoach

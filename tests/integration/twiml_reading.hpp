#pragma once
// What a TwiML answer says, for black-box tests: the <Message> bodies, with
// XML entities decoded. No Catch2 macros, so client threads may call it.

#include <cstring>
#include <string>
#include <utility>
#include <vector>

namespace smscoach::test {

// What the server answers when it has nothing to say (REST mode, a rate limit).
inline const std::string kEmptyTwiml = R"(<?xml version="1.0" encoding="UTF-8"?><Response/>)";

inline std::string xml_unescape(std::string s) {
  const std::pair<const char*, const char*> entities[] = {
      {"&lt;", "<"}, {"&gt;", ">"}, {"&quot;", "\""}, {"&apos;", "'"}, {"&amp;", "&"}};
  for (const auto& [from, to] : entities) {
    for (std::size_t pos = 0; (pos = s.find(from, pos)) != std::string::npos; pos += 1) {
      s.replace(pos, std::strlen(from), to);
    }
  }
  return s;
}

// A <Message> without its end tag ends the list: the caller compares counts.
inline std::vector<std::string> twiml_messages(const std::string& xml) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while ((pos = xml.find("<Message>", pos)) != std::string::npos) {
    const auto end = xml.find("</Message>", pos);
    if (end == std::string::npos) break;
    out.push_back(xml_unescape(xml.substr(pos + 9, end - pos - 9)));
    pos = end;
  }
  return out;
}

}  // namespace smscoach::test

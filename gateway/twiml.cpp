#include "gateway/twiml.hpp"

#include <string_view>

#include "gateway/utf8.hpp"

namespace smscoach::gateway {

namespace {

constexpr std::string_view kDeclaration = R"(<?xml version="1.0" encoding="UTF-8"?>)";
constexpr std::string_view kReplacementCharacter = "\xEF\xBF\xBD";

bool allowed_in_xml(char32_t cp) {
  if (cp < 0x20) return cp == '\t' || cp == '\n' || cp == '\r';
  return cp != 0xFFFE && cp != 0xFFFF;
}

// Escapes quotes too, though text content only needs & < >: the output is
// then safe wherever a later change puts the text, attributes included.
std::string_view entity_for(char32_t cp) {
  switch (cp) {
    case '&':
      return "&amp;";
    case '<':
      return "&lt;";
    case '>':
      return "&gt;";
    case '"':
      return "&quot;";
    case '\'':
      return "&apos;";
    default:
      return {};
  }
}

// Twilio answers a document it cannot parse with error 12100 and the texter
// gets nothing, so whatever the reply text holds must come out as valid XML.
void append_escaped(std::string& out, std::string_view text) {
  for (std::size_t pos = 0; pos < text.size();) {
    const utf8::Decoded d = utf8::decode(text, pos);
    if (d.length == 0) {
      out += kReplacementCharacter;
      ++pos;
      continue;
    }
    if (const std::string_view entity = entity_for(d.code_point); !entity.empty()) {
      out += entity;
    } else if (allowed_in_xml(d.code_point)) {
      out += text.substr(pos, d.length);
    }
    pos += d.length;
  }
}

}  // namespace

std::string twiml_response(const std::vector<std::string>& messages) {
  std::string out(kDeclaration);
  if (messages.empty()) {
    out += "<Response/>";
    return out;
  }
  out += "<Response>";
  for (const std::string& message : messages) {
    out += "<Message>";
    append_escaped(out, message);
    out += "</Message>";
  }
  out += "</Response>";
  return out;
}

}  // namespace smscoach::gateway

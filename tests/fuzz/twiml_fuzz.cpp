// twiml_response on arbitrary reply texts. The input is the messages,
// separated by a line "--" ("a\n--\nb" is two); an empty input is none.
//
// Checks, with a reader of this file's own: the document is the XML
// declaration and one <Response> holding exactly one <Message> per reply;
// every character is well-formed UTF-8 that XML 1.0 allows; '<', '>', '"',
// '\'' never appear raw in a message and '&' only starts one of the five
// entities; and a reply that was valid text to begin with reads back as
// itself.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.hpp"
#include "fuzz_utf8.hpp"
#include "gateway/twiml.hpp"

namespace {

constexpr std::string_view kSeparator = "\n--\n";
constexpr std::string_view kDeclaration = R"(<?xml version="1.0" encoding="UTF-8"?>)";

std::vector<std::string> split_messages(std::string_view input) {
  std::vector<std::string> messages;
  if (input.empty()) return messages;
  while (true) {
    const std::size_t at = input.find(kSeparator);
    messages.emplace_back(input.substr(0, at));
    if (at == std::string_view::npos) break;
    input.remove_prefix(at + kSeparator.size());
  }
  return messages;
}

bool xml_char(char32_t cp) {
  if (cp < 0x20) return cp == '\t' || cp == '\n' || cp == '\r';
  return cp != 0xFFFE && cp != 0xFFFF;
}

// The text of one <Message>, entities resolved; nullopt if it is not
// well-formed character data.
std::optional<std::string> unescape(std::string_view text) {
  static constexpr std::pair<std::string_view, char> kEntities[] = {
      {"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&apos;", '\''}};
  std::string out;
  for (std::size_t i = 0; i < text.size();) {
    const char c = text[i];
    if (c == '<' || c == '>' || c == '"' || c == '\'') return std::nullopt;
    if (c != '&') {
      out += c;
      ++i;
      continue;
    }
    bool known = false;
    for (const auto& [entity, replacement] : kEntities) {
      if (text.substr(i).starts_with(entity)) {
        out += replacement;
        i += entity.size();
        known = true;
        break;
      }
    }
    if (!known) return std::nullopt;
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::vector<std::string> messages = split_messages(input);
  const std::string xml = smscoach::gateway::twiml_response(messages);

  const auto code_points = smscoach::fuzz::decode_utf8(xml);
  FUZZ_CHECK(code_points.has_value());
  for (const char32_t cp : *code_points) FUZZ_CHECK(xml_char(cp));

  std::string_view rest = xml;
  FUZZ_CHECK(rest.starts_with(kDeclaration));
  rest.remove_prefix(kDeclaration.size());
  if (messages.empty()) {
    FUZZ_CHECK(rest == "<Response/>");
    return 0;
  }
  FUZZ_CHECK(rest.starts_with("<Response>") && rest.ends_with("</Response>"));
  rest.remove_prefix(std::string_view("<Response>").size());
  rest.remove_suffix(std::string_view("</Response>").size());
  for (const std::string& message : messages) {
    FUZZ_CHECK(rest.starts_with("<Message>"));
    rest.remove_prefix(std::string_view("<Message>").size());
    const std::size_t end = rest.find("</Message>");
    FUZZ_CHECK(end != std::string_view::npos);
    const auto text = unescape(rest.substr(0, end));
    FUZZ_CHECK(text.has_value());
    rest.remove_prefix(end + std::string_view("</Message>").size());

    // Text that was already fit for XML comes through unchanged.
    const auto original = smscoach::fuzz::decode_utf8(message);
    bool fit = original.has_value();
    if (fit) {
      for (const char32_t cp : *original) fit = fit && xml_char(cp);
    }
    if (fit) FUZZ_CHECK(*text == message);
  }
  FUZZ_CHECK(rest.empty());
  return 0;
}

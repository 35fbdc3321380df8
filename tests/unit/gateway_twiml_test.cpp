#include <catch2/catch.hpp>

#include "gateway/twiml.hpp"

using smscoach::gateway::twiml_response;

namespace {

const std::string kDecl = R"(<?xml version="1.0" encoding="UTF-8"?>)";

std::string one(const std::string& text) { return twiml_response({text}); }
std::string wrapped(const std::string& escaped) {
  return kDecl + "<Response><Message>" + escaped + "</Message></Response>";
}

}  // namespace

TEST_CASE("twiml_response with nothing to say is an empty Response", "[gateway][twiml]") {
  // Exactly what the official generator (twilio@6.2.0) emits.
  CHECK(twiml_response({}) == R"(<?xml version="1.0" encoding="UTF-8"?><Response/>)");
}

TEST_CASE("twiml_response escapes markup like the official generator", "[gateway][twiml]") {
  CHECK(
      one("Hello & <welcome>") ==
      R"(<?xml version="1.0" encoding="UTF-8"?><Response><Message>Hello &amp; &lt;welcome&gt;</Message></Response>)");
  CHECK(one(R"(say "hi" it's)") == wrapped("say &quot;hi&quot; it&apos;s"));
  CHECK(one("&amp;") == wrapped("&amp;amp;"));
}

TEST_CASE("twiml_response writes one Message per reply, in order", "[gateway][twiml]") {
  CHECK(twiml_response({"one", "two", ""}) ==
        kDecl +
            "<Response><Message>one</Message><Message>two</Message><Message></Message></Response>");
}

TEST_CASE("twiml_response keeps UTF-8 and allowed whitespace", "[gateway][twiml]") {
  CHECK(one("caf\xC3\xA9 \xF0\x9F\x92\xAA\tline\r\nnext") ==
        wrapped("caf\xC3\xA9 \xF0\x9F\x92\xAA\tline\r\nnext"));
}

TEST_CASE("twiml_response drops characters XML 1.0 forbids", "[gateway][twiml]") {
  CHECK(one(std::string("a\0b", 3)) == wrapped("ab"));
  CHECK(one("a\x01\x08\x0B\x0C\x1F"
            "b") == wrapped("ab"));
  CHECK(one("x\xEF\xBF\xBEy\xEF\xBF\xBFz") == wrapped("xyz"));  // U+FFFE, U+FFFF
}

TEST_CASE("twiml_response replaces malformed UTF-8 so the document parses", "[gateway][twiml]") {
  CHECK(one("a\xFF"
            "b") == wrapped("a\xEF\xBF\xBD"
                            "b"));
  CHECK(one("end\xC3") == wrapped("end\xEF\xBF\xBD"));
}

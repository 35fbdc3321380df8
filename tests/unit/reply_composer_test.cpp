#include <catch2/catch.hpp>

#include "content/gsm7.hpp"
#include "dialogue/reply_composer.hpp"

using namespace smscoach::dialogue;
using smscoach::content::gsm7_segments;
using smscoach::content::gsm7_septets;

TEST_CASE("replies are transliterated into GSM-7") {
  CHECK(to_gsm7("It\xE2\x80\x99s \xE2\x80\x9C" "fine\xE2\x80\x9D \xE2\x80\x94 really\xE2\x80\xA6") ==
        "It's \"fine\" - really...");
  CHECK(to_gsm7("caf\xC3\xA9 \xC3\xA7" "a") == "caf\xC3\xA9 ca");  // e-acute is GSM-7, c-cedilla is not
  CHECK(to_gsm7("pump \xF0\x9F\x92\xAA!") == "pump !");        // emoji dropped
  CHECK(to_gsm7("5 \xC2\xB5g") == "5 ug");
  CHECK(gsm7_septets(to_gsm7("\xE2\x80\x98x\xE2\x80\x99 \xE4\xB8\xAD")).has_value());
}

TEST_CASE("a reply within budget is sent whole") {
  const auto r = compose_reply("Creatine: 3-5 g a day.");
  CHECK(r.text == "Creatine: 3-5 g a day.");
  CHECK(r.rest.empty());
}

TEST_CASE("a long reply is cut at a sentence end, says Reply MORE, and keeps the rest") {
  std::string text;
  for (int i = 0; i < 30; ++i) text += "Sentence number " + std::to_string(i) + " is here. ";
  const auto r = compose_reply(text);
  const auto septets = gsm7_septets(r.text);
  REQUIRE(septets);
  CHECK(gsm7_segments(*septets) <= kDefaultReplySegments);
  CHECK(r.text.ends_with(". Reply MORE"));
  CHECK_FALSE(r.rest.empty());
  CHECK(r.rest.starts_with("Sentence number"));
  // Nothing lost: the two parts hold every sentence.
  const std::string joined = r.text.substr(0, r.text.size() - kMoreHint.size()) + " " + r.rest;
  CHECK(joined + " " == text);
}

TEST_CASE("one segment budget and an unbroken run") {
  const auto r = compose_reply(std::string(400, 'a'), 1);
  CHECK(r.text.size() == 160);
  CHECK(r.text.ends_with(" Reply MORE"));
  CHECK(r.rest.size() == 400 - (160 - kMoreHint.size()));
}

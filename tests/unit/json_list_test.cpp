#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "dialogue/store/json_list.hpp"

using smscoach::dialogue::json_list_text;

namespace {

std::string nlohmann_text(const std::vector<std::string>& list) {
  return nlohmann::json(list).dump();
}

}  // namespace

TEST_CASE("a list is written as the same JSON text nlohmann writes", "[json_list]") {
  std::string every_ascii;
  for (int c = 0; c < 0x80; ++c) every_ascii += static_cast<char>(c);
  const std::vector<std::vector<std::string>> lists = {
      {},
      {""},
      {"", ""},
      {"metformin"},
      {"warfarin", "lisinopril", "st john's wort"},
      {"say \"hi\"", "back\\slash", "tab\tnew\nline\r", "\b\f\x01\x1f\x7f"},
      {every_ascii},
      {"Creatine: 3-5 g a day.", "Reply STOP to opt out"},
      {"caf\xc3\xa9", "ascii"},             // UTF-8: nlohmann writes it
      {"\xe2\x9c\x93 done", "\xf0\x9f\x92\xaa"},
  };
  for (const auto& list : lists) {
    CAPTURE(nlohmann_text(list));
    CHECK(json_list_text(list) == nlohmann_text(list));
    CHECK(nlohmann::json::parse(json_list_text(list)).get<std::vector<std::string>>() == list);
  }
}

TEST_CASE("a list with invalid UTF-8 is refused, as nlohmann refuses it", "[json_list]") {
  for (const std::string bad : {"cut short \xc3", "\xc3\x28", "overlong \xc0\xaf",
                                "overlong \xe0\x80\xaf", "surrogate \xed\xa0\x80",
                                "past U+10FFFF \xf4\x90\x80\x80", "\xff", "lone \x80"}) {
    CAPTURE(bad);
    CHECK_THROWS_AS(nlohmann_text({"ok", bad}), nlohmann::json::type_error);
    CHECK_THROWS_AS(json_list_text({"ok", bad}), nlohmann::json::type_error);
  }
  // The edges that are allowed: U+0080, U+07FF, U+D7FF, U+E000, U+FFFF, U+10FFFF.
  const std::vector<std::string> edges = {"\xc2\x80", "\xdf\xbf", "\xed\x9f\xbf",
                                          "\xee\x80\x80", "\xef\xbf\xbf", "\xf4\x8f\xbf\xbf"};
  CHECK(json_list_text(edges) == nlohmann_text(edges));
}

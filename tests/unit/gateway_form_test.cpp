#include <catch2/catch.hpp>

#include "gateway/form.hpp"

using smscoach::ErrorCode;
using smscoach::gateway::FormFields;
using smscoach::gateway::parse_form;
using Fields = std::vector<std::pair<std::string, std::string>>;

namespace {

Fields parsed(std::string_view body) {
  auto form = parse_form(body);
  REQUIRE(form.has_value());
  return form->fields;
}

std::string parse_error(std::string_view body) {
  auto form = parse_form(body);
  REQUIRE_FALSE(form.has_value());
  CHECK(form.error().code == ErrorCode::bad_input);
  return form.error().message;
}

}  // namespace

TEST_CASE("parse_form decodes plus and percent escapes", "[gateway][form]") {
  CHECK(parsed("From=%2B15551234567&Body=Hello+world%21") ==
        Fields{{"From", "+15551234567"}, {"Body", "Hello world!"}});
  CHECK(parsed("k=%e2%82%ac%E2%82%AC") == Fields{{"k", "\xE2\x82\xAC\xE2\x82\xAC"}});
  CHECK(parsed("a%3Db=c%26d") == Fields{{"a=b", "c&d"}});
  // A literal '+' arrives as %2B and must stay a plus.
  CHECK(parsed("n=%2B1+2") == Fields{{"n", "+1 2"}});
}

TEST_CASE("parse_form keeps order, repeats and empty values and never trims", "[gateway][form]") {
  CHECK(parsed("b=2&a=1&b=3") == Fields{{"b", "2"}, {"a", "1"}, {"b", "3"}});
  CHECK(parsed("Body=&To=x") == Fields{{"Body", ""}, {"To", "x"}});
  CHECK(parsed("flag&x=1") == Fields{{"flag", ""}, {"x", "1"}});
  CHECK(parsed("=v") == Fields{{"", "v"}});
  CHECK(parsed("Body=+a+%20") == Fields{{"Body", " a  "}});
  CHECK(parsed("eq=a=b") == Fields{{"eq", "a=b"}});
}

TEST_CASE("parse_form skips empty pairs", "[gateway][form]") {
  CHECK(parsed("").empty());
  CHECK(parsed("a=1&&b=2&") == Fields{{"a", "1"}, {"b", "2"}});
}

TEST_CASE("FormFields::find returns the first value or null", "[gateway][form]") {
  const FormFields form{{{"a", "1"}, {"b", ""}, {"a", "2"}}};
  REQUIRE(form.find("a") != nullptr);
  CHECK(*form.find("a") == "1");
  REQUIRE(form.find("b") != nullptr);
  CHECK(form.find("b")->empty());
  CHECK(form.find("A") == nullptr);
  CHECK(form.find("c") == nullptr);
}

TEST_CASE("parse_form rejects malformed escapes with a reason", "[gateway][form]") {
  CHECK_THAT(parse_error("Body=%G1"), Catch::Contains("invalid percent escape"));
  CHECK_THAT(parse_error("Body=%1G"), Catch::Contains("invalid percent escape"));
  CHECK_THAT(parse_error("Body=abc%4"), Catch::Contains("truncated"));
  CHECK_THAT(parse_error("Body=abc%"), Catch::Contains("truncated"));
  CHECK_THAT(parse_error("a=1&%zz=2"), Catch::Contains("field 2") && Catch::Contains("key"));
  CHECK_THAT(parse_error("a=1&Body=%"), Catch::Contains("(Body)"));
}

TEST_CASE("parse_form rejects text that is not UTF-8 after decoding", "[gateway][form]") {
  CHECK_THAT(parse_error("Body=%FF"), Catch::Contains("UTF-8"));
  CHECK_THAT(parse_error("Body=%C3"), Catch::Contains("UTF-8"));           // truncated
  CHECK_THAT(parse_error("Body=%C0%AF"), Catch::Contains("UTF-8"));        // overlong '/'
  CHECK_THAT(parse_error("Body=%ED%A0%80"), Catch::Contains("UTF-8"));     // a surrogate
  CHECK_THAT(parse_error("Body=%F4%90%80%80"), Catch::Contains("UTF-8"));  // above U+10FFFF
  CHECK_THAT(parse_error("%80=x"), Catch::Contains("UTF-8"));
  CHECK_THAT(parse_error(std::string_view("Body=\xC3(", 7)), Catch::Contains("UTF-8"));
  // The largest code point and a four-byte emoji are fine.
  CHECK(parsed("Body=%F4%8F%BF%BF%F0%9F%98%80") ==
        Fields{{"Body", "\xF4\x8F\xBF\xBF\xF0\x9F\x98\x80"}});
}

#include <catch2/catch.hpp>
#include <stdexcept>

#include "gateway/admin_auth.hpp"

using namespace smscoach::gateway;
using smscoach::ErrorCode;

namespace {

const std::string kSecret = "s3cret-token-0123456789";

std::string error_of(std::string_view spec) {
  const auto parsed = parse_admin_token(spec);
  REQUIRE_FALSE(parsed.has_value());
  CHECK(parsed.error().code == ErrorCode::bad_input);
  return parsed.error().message;
}

}  // namespace

TEST_CASE("admin token specs parse into role, name and token", "[gateway][admin_auth]") {
  auto parsed = parse_admin_token("operator:olga.k_2-b:" + kSecret);
  REQUIRE(parsed.has_value());
  CHECK(parsed->role == Role::operator_);
  CHECK(parsed->name == "olga.k_2-b");
  CHECK(parsed->token == kSecret);

  CHECK(parse_admin_token("viewer:v:" + kSecret)->role == Role::viewer);
  CHECK(parse_admin_token("admin:a:" + kSecret)->role == Role::admin);

  // Only the first two colons separate: a token may hold more.
  parsed = parse_admin_token("admin:ada:abc:def:0123456789abcdef");
  REQUIRE(parsed.has_value());
  CHECK(parsed->name == "ada");
  CHECK(parsed->token == "abc:def:0123456789abcdef");
}

TEST_CASE("admin token specs are refused with a reason that never shows the token",
          "[gateway][admin_auth]") {
  CHECK(error_of("") == "expected ROLE:NAME:TOKEN");
  CHECK(error_of("admin:" + kSecret) == "expected ROLE:NAME:TOKEN");
  CHECK_THAT(error_of("root:ada:" + kSecret), Catch::Contains("unknown role \"root\""));
  CHECK_THAT(error_of("Admin:ada:" + kSecret), Catch::Contains("unknown role"));
  CHECK_THAT(error_of("admin::" + kSecret), Catch::Contains("name must be 1-64"));
  CHECK_THAT(error_of("admin:ada lovelace:" + kSecret), Catch::Contains("name must be 1-64"));
  CHECK_THAT(error_of("admin:" + std::string(65, 'a') + ":" + kSecret),
             Catch::Contains("name must be 1-64"));
  CHECK(parse_admin_token("admin:" + std::string(64, 'a') + ":" + kSecret).has_value());

  const std::string short_token = "fifteen-chars!!";
  REQUIRE(short_token.size() == 15);
  const std::string too_short = error_of("admin:ada:" + short_token);
  CHECK_THAT(too_short, Catch::Contains("16 to 1024"));
  CHECK(too_short.find(short_token) == std::string::npos);
  CHECK(parse_admin_token("admin:ada:" + short_token + "x").has_value());
  CHECK_THAT(error_of("admin:ada:" + std::string(1025, 'x')), Catch::Contains("16 to 1024"));

  const std::string spaced = error_of("admin:ada:secret with spaces!");
  CHECK_THAT(spaced, Catch::Contains("printable ASCII"));
  CHECK(spaced.find("secret") == std::string::npos);
  CHECK_THAT(error_of("admin:ada:caf\xC3\xA9-0123456789abcdef"),
             Catch::Contains("printable ASCII"));
}

TEST_CASE("roles are ordered and name their actors", "[gateway][admin_auth]") {
  CHECK(Role::viewer < Role::operator_);
  CHECK(Role::operator_ < Role::admin);
  CHECK(role_name(Role::operator_) == "operator");
  CHECK(actor_of({Role::operator_, "olga", kSecret}) == "operator:olga");
  CHECK(actor_of({Role::admin, "ada", kSecret}) == "admin:ada");
  CHECK(actor_of({Role::viewer, "vera", kSecret}) == "viewer:vera");
}

TEST_CASE("a tokens file skips comments and blank lines", "[gateway][admin_auth]") {
  const std::string text =
      "# staff of the coaching line\n"
      "\n"
      "viewer:vera:viewer-token-0000001\r\n"
      "   # indented comment\n"
      "  operator:olga:operator-token-00001  \n"
      "admin:ada:admin-token-000000001";  // no final newline
  const auto tokens = parse_admin_tokens_file(text, "tokens.txt");
  REQUIRE(tokens.has_value());
  REQUIRE(tokens->size() == 3);
  CHECK((*tokens)[0].name == "vera");
  CHECK((*tokens)[0].token == "viewer-token-0000001");
  CHECK((*tokens)[1].role == Role::operator_);
  CHECK((*tokens)[1].token == "operator-token-00001");
  CHECK((*tokens)[2].role == Role::admin);
}

TEST_CASE("a tokens file's errors name the file and line", "[gateway][admin_auth]") {
  auto parsed = parse_admin_tokens_file("# ok\nviewer:vera:viewer-token-0000001\nboss:x:y\n",
                                        "/etc/smscoach/tokens");
  REQUIRE_FALSE(parsed.has_value());
  CHECK(parsed.error().message ==
        "/etc/smscoach/tokens:3: unknown role \"boss\": expected viewer, operator or admin");

  parsed = parse_admin_tokens_file("viewer:vera:short\n", "tokens");
  REQUIRE_FALSE(parsed.has_value());
  CHECK_THAT(parsed.error().message, Catch::StartsWith("tokens:1: token of vera"));

  parsed = parse_admin_tokens_file(
      "viewer:vera:same-token-00000001\n\nadmin:ada:same-token-00000001\n", "tokens");
  REQUIRE_FALSE(parsed.has_value());
  CHECK(parsed.error().message == "tokens:3: same token as line 1");

  parsed = parse_admin_tokens_file("# nobody yet\n\n", "tokens");
  REQUIRE_FALSE(parsed.has_value());
  CHECK(parsed.error().message == "tokens: no tokens");
}

TEST_CASE("bearer tokens are read from the Authorization header", "[gateway][admin_auth]") {
  CHECK(bearer_token("Bearer abc") == std::optional<std::string_view>("abc"));
  CHECK(bearer_token("bearer abc") == std::optional<std::string_view>("abc"));
  CHECK(bearer_token("  BEARER \t abc  ") == std::optional<std::string_view>("abc"));
  CHECK_FALSE(bearer_token(""));
  CHECK_FALSE(bearer_token("Bearer"));
  CHECK_FALSE(bearer_token("Bearer "));
  CHECK_FALSE(bearer_token("Bearerabc"));
  CHECK_FALSE(bearer_token("Basic YWRhOnNlY3JldA=="));
  CHECK_FALSE(bearer_token("Bearer abc def"));
}

TEST_CASE("admin auth finds the token's role and name", "[gateway][admin_auth]") {
  const AdminAuth auth({{Role::viewer, "vera", "viewer-token-0000001"},
                        {Role::admin, "ada", "admin-token-000000001"}});
  const auto ada = auth.authenticate("Bearer admin-token-000000001");
  REQUIRE(ada.has_value());
  CHECK(ada->name == "ada");
  CHECK(ada->role == Role::admin);
  CHECK(auth.authenticate("Bearer viewer-token-0000001")->name == "vera");

  CHECK_FALSE(auth.authenticate("Bearer admin-token-000000002"));
  CHECK_FALSE(auth.authenticate("Bearer admin-token-00000000"));  // a prefix
  CHECK_FALSE(auth.authenticate("Bearer admin-token-0000000011"));
  CHECK_FALSE(auth.authenticate("admin-token-000000001"));  // no scheme
  CHECK_FALSE(auth.authenticate(""));
  CHECK_FALSE(AdminAuth({}).authenticate("Bearer admin-token-000000001"));
}

TEST_CASE("admin auth refuses two people with one token", "[gateway][admin_auth]") {
  CHECK_THROWS_AS(AdminAuth({{Role::viewer, "vera", "shared-token-0000001"},
                             {Role::admin, "ada", "shared-token-0000001"}}),
                  std::invalid_argument);
}

TEST_CASE("admin auth compares every digest, with no early exit", "[gateway][admin_auth]") {
  int comparisons = 0;
  const auto counting = [&comparisons](const AdminAuth::Digest& a, const AdminAuth::Digest& b) {
    ++comparisons;
    return a == b;
  };
  const AdminAuth auth({{Role::admin, "ada", "admin-token-000000001"},
                        {Role::operator_, "olga", "operator-token-00001"},
                        {Role::viewer, "vera", "viewer-token-0000001"}},
                       counting);

  // A match on the first token still compares the other two.
  CHECK(auth.authenticate("Bearer admin-token-000000001")->name == "ada");
  CHECK(comparisons == 3);
  comparisons = 0;
  CHECK_FALSE(auth.authenticate("Bearer wrong-token-000000001"));
  CHECK(comparisons == 3);
  comparisons = 0;
  CHECK_FALSE(auth.authenticate("Basic abc"));  // not a bearer token: nothing to compare
  CHECK(comparisons == 0);
}

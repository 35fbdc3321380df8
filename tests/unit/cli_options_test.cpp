#include <catch2/catch.hpp>

#include "bot/cli_options.hpp"

using namespace smscoach::bot;

namespace {

const std::vector<FlagSpec> kSpecs = {{"db", "PATH", "store"},
                                      {"twilio-auth-token", "TOKEN", "token"},
                                      {"json", "", "switch"},
                                      {"admin-token", "SPEC", "token", true}};

EnvLookup env_of(std::map<std::string, std::string> vars) {
  return [vars](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

}  // namespace

TEST_CASE("flag names map to SMSCOACH_ variables") {
  CHECK(env_name("db") == "SMSCOACH_DB");
  CHECK(env_name("twilio-auth-token") == "SMSCOACH_TWILIO_AUTH_TOKEN");
}

TEST_CASE("flags, values and positionals parse, the command line beats the environment") {
  auto p = parse_args({"--db", "a.db", "FILE", "--json", "--twilio-auth-token=xyz"}, kSpecs,
                      env_of({{"SMSCOACH_DB", "env.db"}}));
  REQUIRE(p);
  CHECK(p->get("db") == "a.db");
  CHECK(p->get("twilio-auth-token") == "xyz");
  CHECK(p->has("json"));
  CHECK(p->positional == std::vector<std::string>{"FILE"});
}

TEST_CASE("the environment fills unset flags") {
  auto p = parse_args({}, kSpecs, env_of({{"SMSCOACH_DB", "env.db"}, {"SMSCOACH_JSON", "1"}}));
  REQUIRE(p);
  CHECK(p->get("db") == "env.db");
  CHECK(p->has("json"));
  CHECK_FALSE(p->get("twilio-auth-token"));
}

TEST_CASE("repeatable flags keep every value, others keep the last") {
  auto p = parse_args({"--admin-token", "a", "--admin-token", "b", "--db", "1", "--db", "2"},
                      kSpecs, env_of({}));
  REQUIRE(p);
  CHECK(p->values.at("admin-token") == std::vector<std::string>{"a", "b"});
  CHECK(p->get("db") == "2");
}

TEST_CASE("bad flags give one clear reason") {
  auto unknown = parse_args({"--nope"}, kSpecs, env_of({}));
  REQUIRE_FALSE(unknown);
  CHECK(unknown.error().message == "unknown flag --nope");
  auto missing = parse_args({"--db"}, kSpecs, env_of({}));
  REQUIRE_FALSE(missing);
  CHECK(missing.error().message.find("needs a value") != std::string::npos);
  auto switch_value = parse_args({"--json=yes"}, kSpecs, env_of({}));
  REQUIRE_FALSE(switch_value);
}

TEST_CASE("usage lists every flag") {
  const auto text = usage_text("serve [flags]", "Runs it.", kSpecs);
  CHECK(text.find("--twilio-auth-token TOKEN") != std::string::npos);
  CHECK(text.find("(repeatable)") != std::string::npos);
}

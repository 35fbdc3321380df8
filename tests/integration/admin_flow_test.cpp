// Black-box: the human half. The real binary with staff tokens and a fake
// Messages API: a texter asks for a person, the conversation waits in the
// handoff queue, an operator takes over and replies through the provider,
// the bot stays quiet, staff hand back; roles, opt-outs and erase hold.

#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>
#include <fstream>
#include <thread>

#include "fake_messages_api.hpp"
#include "http_client.hpp"
#include "server_process.hpp"
#include "support/test_database.hpp"
#include "twilio_signing.hpp"

using namespace smscoach;
using namespace std::chrono_literals;
using nlohmann::json;
using test::FakeMessagesApi;
using test::HttpClient;
using test::ServerProcess;

namespace {

const std::string kAccountSid = "AC0123456789abcdef0123456789abcdef";
const std::string kToken = "admin-test-auth-token-0123456789a";
const std::string kPublicUrl = "https://sms.example.com";
const std::string kLine = "+15550001111";
const std::string kViewer = "viewer-token-0123456789abcdef";
const std::string kOperator = "operator-token-0123456789abcdef";
const std::string kAdmin = "admin-token-0123456789abcdef0";

class Line {
 public:
  Line(const test::TestDatabase& db, const FakeMessagesApi& api)
      : server_(SMSCOACH_BINARY,
                {"serve", "--listen", "127.0.0.1:0", "--db", db.url(),
                 "--twilio-account-sid", kAccountSid, "--twilio-auth-token", kToken,
                 "--public-url", kPublicUrl, "--twilio-api-base", api.base_url(),
                 "--admin-token", "viewer:val:" + kViewer, "--admin-token",
                 "operator:alice:" + kOperator, "--admin-token", "admin:root:" + kAdmin}) {}

  // Texts as Twilio would; returns the TwiML body.
  std::string text(const std::string& from, const std::string& body) {
    static int counter = 0;
    const std::string sid = "SMadmin" + std::to_string(++counter);
    const test::Fields fields = {{"MessageSid", sid}, {"From", from}, {"To", kLine}, {"Body", body}};
    auto r = http_.post_form(
        server_.port(), "/sms/twilio", fields,
        {{"X-Twilio-Signature",
          test::twilio_signature_for(kToken, kPublicUrl + "/sms/twilio", fields)}});
    REQUIRE(r.status == 200);
    return r.body;
  }

  test::HttpResult call(const std::string& method, const std::string& path,
                        const std::string& token, const std::string& body = {}) {
    test::Headers headers = {{"Content-Type", "application/json"}};
    if (!token.empty()) headers.emplace_back("Authorization", "Bearer " + token);
    return http_.request(method, server_.port(), path, headers, body);
  }

 private:
  ServerProcess server_;
  HttpClient http_;
};

const std::string kTexter = "+15557770101";
const std::string kPath = "/api/v1/conversations/%2B15557770101";

}  // namespace

TEST_CASE("a handoff from request to hand-back, through the admin API") {
  test::TestDatabase db;
  FakeMessagesApi api(kAccountSid, kToken);
  Line line(db, api);

  CHECK(line.text(kTexter, "can i talk to a real person").find("<Message>") != std::string::npos);

  auto queue = line.call("GET", "/api/v1/handoffs", kViewer);
  REQUIRE(queue.status == 200);
  auto entries = json::parse(queue.body)["conversations"];
  REQUIRE(entries.size() == 1);
  CHECK(entries[0]["number"] == kTexter);
  CHECK(entries[0]["reason"] == "asked for a human");
  CHECK(entries[0]["waiting_since"].is_string());

  CHECK(line.call("POST", kPath + "/takeover", kOperator).status == 200);
  auto sent = line.call("POST", kPath + "/messages", kOperator, R"({"body":"Hi, Alice here."})");
  CHECK(sent.status == 202);
  REQUIRE(api.wait_for_accepted(1, 10s));
  CHECK(api.accepted()[0].form.at("To") == kTexter);
  CHECK(api.accepted()[0].form.at("From") == kLine);
  CHECK(api.accepted()[0].form.at("Body") == "Hi, Alice here.");

  // The bot is quiet while a person has the conversation.
  CHECK(line.text(kTexter, "thanks, how much creatine should i take").find("<Message>") ==
        std::string::npos);
  CHECK(line.text(kTexter, "hello?").find("<Message>") == std::string::npos);
  // Compliance keywords still act.
  CHECK(line.text(kTexter, "HELP").find("<Message>") != std::string::npos);

  auto convo = json::parse(line.call("GET", kPath, kViewer).body);
  CHECK(convo["mode"] == "human");
  bool operator_seen = false;
  for (const auto& m : convo["messages"]) operator_seen |= m["author"] == "operator:alice";
  CHECK(operator_seen);

  CHECK(line.call("POST", kPath + "/release", kOperator).status == 200);
  CHECK(json::parse(line.call("GET", kPath, kViewer).body)["mode"] == "bot");
  CHECK(json::parse(line.call("GET", "/api/v1/handoffs", kViewer).body)["conversations"].empty());
  CHECK(line.text(kTexter, "what is creatine").find("<Message>") != std::string::npos);

  auto audit = json::parse(line.call("GET", "/api/v1/audit?limit=10", kAdmin).body)["entries"];
  REQUIRE(audit.size() >= 3);
  CHECK(audit[0]["action"] == "release");
}

TEST_CASE("the admin API keeps roles, refuses strangers and honours opt-outs") {
  test::TestDatabase db;
  FakeMessagesApi api(kAccountSid, kToken);
  Line line(db, api);
  line.text(kTexter, "hello");

  CHECK(line.call("GET", "/api/v1/conversations", "").status == 401);
  CHECK(line.call("GET", "/api/v1/conversations", "wrong-token-0123456789abcdef").status == 401);
  CHECK(line.call("GET", "/api/v1/conversations", kViewer).status == 200);
  CHECK(line.call("POST", kPath + "/takeover", kViewer).status == 403);
  CHECK(line.call("DELETE", kPath, kOperator).status == 403);
  CHECK(line.call("GET", "/api/v1/audit", kOperator).status == 403);

  line.text(kTexter, "STOP");
  auto refused = line.call("POST", kPath + "/messages", kOperator, R"({"body":"still there?"})");
  CHECK(refused.status == 409);
  std::this_thread::sleep_for(200ms);
  CHECK(api.requests().empty());

  auto search = json::parse(line.call("GET", "/api/v1/conversations?q=hello", kViewer).body);
  REQUIRE(search["conversations"].size() == 1);
  CHECK(search["conversations"][0]["opted_out"] == true);

  CHECK(line.call("DELETE", kPath, kAdmin).status == 200);
  auto after = json::parse(line.call("GET", kPath, kViewer).body);
  CHECK(after["messages"].empty());
  CHECK(after["opted_out"] == true);  // the opt-out outlives the erase
  CHECK(json::parse(line.call("GET", "/api/v1/conversations?q=hello", kViewer).body)["conversations"]
            .empty());

  auto csv = line.call("GET", "/api/v1/export?format=csv", kViewer);
  CHECK(csv.status == 200);
  CHECK(csv.body.rfind("number,direction,body,at,intent,author\r\n", 0) == 0);
}

TEST_CASE("relabelled turns come out of content export-relabels as training text") {
  test::TestDatabase db;
  FakeMessagesApi api(kAccountSid, kToken);
  {
    Line line(db, api);
    line.text(kTexter, "yo wassup my guy");
    auto convo = json::parse(line.call("GET", kPath, kViewer).body);
    const auto id = convo["messages"][0]["id"].get<std::int64_t>();
    CHECK(line.call("POST", "/api/v1/messages/" + std::to_string(id) + "/relabel", kOperator,
                    R"({"intent":"not_an_intent"})")
              .status == 400);
    CHECK(line.call("POST", "/api/v1/messages/" + std::to_string(id) + "/relabel", kOperator,
                    R"({"intent":"greeting"})")
              .status == 200);
  }
  const std::string out = (db.dir() / "relabels.jsonl").string();
  const std::string cmd = std::string("'") + SMSCOACH_BINARY + "' content export-relabels --db '" +
                          db.url() + "' > '" + out + "'";
  REQUIRE(std::system(cmd.c_str()) == 0);
  std::ifstream in(out);
  std::string first;
  REQUIRE(std::getline(in, first));
  const auto row = json::parse(first);
  CHECK(row["text"] == "yo wassup my guy");
  CHECK(row["intent"] == "greeting");
}

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <sstream>

#include "gateway/admin_api.hpp"
#include "gateway_fake_conversation_admin.hpp"

using namespace smscoach::gateway;
using smscoach::AuditEntry;
using smscoach::ConversationDetail;
using smscoach::ConversationMessage;
using smscoach::ConversationNote;
using smscoach::ConversationPage;
using smscoach::ConversationSummary;
using smscoach::ErrorCode;
using smscoach::ExportRow;
using smscoach::gateway::testing::FakeConversationAdmin;
using Json = nlohmann::json;

namespace {

const std::string kViewer = "viewer-token-0000001";
const std::string kOperator = "operator-token-00001";
const std::string kAdmin = "admin-token-000000001";
const std::string kNumber = "+15551234567";
const std::string kNumberPath = "/api/v1/conversations/%2B15551234567";
constexpr std::int64_t kNow = 1'795'255'200'000;  // 2026-11-21T10:00:00.000Z

AdminAuth staff() {
  return AdminAuth({{Role::viewer, "vera", kViewer},
                    {Role::operator_, "olga", kOperator},
                    {Role::admin, "ada", kAdmin}});
}

struct Fixture {
  explicit Fixture(bool outbound = true) : api(store, staff(), options(outbound)) {}

  AdminApiOptions options(bool outbound) {
    AdminApiOptions o;
    o.outbound_enabled = outbound;
    o.now_ms = [] { return kNow; };
    o.on_message_queued = [this] { ++queued_wakeups; };
    o.known_intent = [](std::string_view intent) { return intent == "dose" || intent == "human"; };
    o.canned_replies = [] {
      return std::vector<smscoach::CannedReply>{
          {"creatine_lean_mass", "Creatine and lean mass", "Creatine helps..."}};
    };
    return o;
  }

  FakeConversationAdmin store;
  int queued_wakeups = 0;
  AdminApi api;
};

HttpRequest request(std::string method, std::string target, const std::string& token = {},
                    std::string body = {}) {
  HttpRequest r;
  r.method = std::move(method);
  r.target = std::move(target);
  if (!token.empty()) r.headers.emplace_back("Authorization", "Bearer " + token);
  if (!body.empty()) r.headers.emplace_back("Content-Type", "application/json");
  r.body = std::move(body);
  return r;
}

bool is_job(const Route& route) {
  return std::holds_alternative<std::function<HttpResponse()>>(route.action);
}

// Runs the route to its response, the job inline and a stream to its end
// (appended to the body).
HttpResponse respond(const AdminApi& api, const HttpRequest& req) {
  auto route = api.route(req);
  REQUIRE(route.has_value());
  HttpResponse response = is_job(*route) ? std::get<std::function<HttpResponse()>>(route->action)()
                                         : std::get<HttpResponse>(route->action);
  if (response.stream) {
    std::string chunk;
    for (bool more = true; more;) {
      chunk.clear();
      more = response.stream(chunk);
      response.body += chunk;
    }
    response.stream = nullptr;
  }
  return response;
}

int status_of(const AdminApi& api, const HttpRequest& req) { return respond(api, req).status; }

std::string header_of(const HttpResponse& response, std::string_view name) {
  for (const auto& [key, value] : response.extra_headers) {
    if (key == name) return value;
  }
  return {};
}

Json json_of(const HttpResponse& response) {
  CHECK(response.content_type == "application/json");
  return Json::parse(response.body);
}

ConversationDetail sample_conversation() {
  ConversationDetail detail;
  detail.summary.number = kNumber;
  detail.summary.mode = "human";
  detail.summary.flagged = true;
  detail.summary.last_at_ms = kNow;
  detail.summary.last_text = "how much creatine?";
  detail.summary.reason = "asked for a human";
  detail.summary.waiting_since_ms = kNow - 90'000;
  detail.weight_kg = 81.6;
  detail.medications = {"sertraline"};
  detail.messages = {
      {7, "in", "how much creatine?", kNow - 1000, "dose", "texter", "human", ""},
      {8, "out", "Take 3-5 g a day.", kNow, "dose", "bot", "", "delivered"},
      {9, "out", "I'll check.", kNow + 1, "", "operator:olga", "", "pending"},
  };
  detail.notes = {{3, "olga", "call back tomorrow", kNow - 5}};
  return detail;
}

}  // namespace

TEST_CASE("admin api leaves paths outside /api/v1/ alone", "[gateway][admin_api]") {
  Fixture f;
  CHECK_FALSE(f.api.route(request("GET", "/healthz", kAdmin)));
  CHECK_FALSE(f.api.route(request("GET", "/api/v1", kAdmin)));
  CHECK_FALSE(f.api.route(request("GET", "/api/v2/me", kAdmin)));
  CHECK_FALSE(f.api.route(request("GET", "/console/", kAdmin)));
  CHECK(f.api.route(request("GET", "/api/v1/me", kAdmin)));
}

TEST_CASE("admin api answers 401 without a valid bearer token", "[gateway][admin_api]") {
  Fixture f;
  const auto unauthorized = [&](HttpRequest req, const std::string& reason) {
    const HttpResponse response = respond(f.api, req);
    CHECK(response.status == 401);
    CHECK(header_of(response, "WWW-Authenticate") == "Bearer");
    CHECK(json_of(response)["error"] == reason);
  };
  unauthorized(request("GET", "/api/v1/conversations"), "missing bearer token");
  unauthorized(request("GET", "/api/v1/conversations", "wrong-token-00000001"), "invalid token");
  unauthorized(request("GET", "/api/v1/conversations", kViewer + "x"), "invalid token");

  HttpRequest basic = request("GET", "/api/v1/conversations");
  basic.headers.emplace_back("Authorization", "Basic dmVyYTpzZWNyZXQ=");
  unauthorized(basic, "the Authorization header must be \"Bearer TOKEN\"");
  HttpRequest bare = request("GET", "/api/v1/conversations");
  bare.headers.emplace_back("Authorization", kViewer);
  unauthorized(bare, "the Authorization header must be \"Bearer TOKEN\"");

  // Without a token nothing is learnt, not even which paths exist.
  unauthorized(request("GET", "/api/v1/no-such-thing"), "missing bearer token");
  unauthorized(request("DELETE", kNumberPath), "missing bearer token");
  CHECK(f.store.calls().empty());
}

TEST_CASE("admin api: a viewer can read but not act", "[gateway][admin_api]") {
  Fixture f;
  f.store.add_conversation(sample_conversation());
  CHECK(status_of(f.api, request("GET", "/api/v1/me", kViewer)) == 200);
  CHECK(status_of(f.api, request("GET", "/api/v1/conversations", kViewer)) == 200);
  CHECK(status_of(f.api, request("GET", kNumberPath, kViewer)) == 200);
  CHECK(status_of(f.api, request("GET", "/api/v1/handoffs", kViewer)) == 200);
  CHECK(status_of(f.api, request("GET", "/api/v1/export", kViewer)) == 200);
  CHECK(status_of(f.api, request("GET", "/api/v1/canned-replies", kViewer)) == 200);

  const auto forbidden = respond(f.api, request("POST", kNumberPath + "/takeover", kViewer));
  CHECK(forbidden.status == 403);
  CHECK(json_of(forbidden)["error"] == "a viewer may not do this");
  CHECK(status_of(f.api, request("POST", kNumberPath + "/release", kViewer)) == 403);
  CHECK(status_of(f.api, request("POST", kNumberPath + "/messages", kViewer, R"({"body":"hi"})")) ==
        403);
  CHECK(status_of(f.api, request("POST", kNumberPath + "/notes", kViewer, R"({"body":"hi"})")) ==
        403);
  CHECK(status_of(f.api, request("POST", "/api/v1/messages/7/relabel", kViewer,
                                 R"({"intent":"dose"})")) == 403);
  CHECK(status_of(f.api, request("DELETE", kNumberPath, kViewer)) == 403);
  CHECK(status_of(f.api, request("GET", "/api/v1/audit", kViewer)) == 403);
  CHECK(f.store.actions().empty());
}

TEST_CASE("admin api: an operator can act but not erase or read the audit log",
          "[gateway][admin_api]") {
  Fixture f;
  CHECK(status_of(f.api, request("POST", kNumberPath + "/takeover", kOperator)) == 200);
  CHECK(status_of(f.api, request("POST", kNumberPath + "/messages", kOperator,
                                 R"({"body":"hello"})")) == 202);
  CHECK(status_of(f.api,
                  request("POST", kNumberPath + "/notes", kOperator, R"({"body":"note"})")) == 201);
  CHECK(status_of(f.api, request("POST", "/api/v1/messages/7/relabel", kOperator,
                                 R"({"intent":"dose"})")) == 200);
  CHECK(status_of(f.api, request("POST", kNumberPath + "/release", kOperator)) == 200);
  CHECK(status_of(f.api, request("DELETE", kNumberPath, kOperator)) == 403);
  CHECK(status_of(f.api, request("GET", "/api/v1/audit", kOperator)) == 403);

  const auto actions = f.store.actions();
  REQUIRE(actions.size() == 5);
  CHECK(actions[0].method == "take_over");
  CHECK(actions[0].number == kNumber);
  CHECK(actions[0].actor == "operator:olga");
  CHECK(actions[0].at_ms == kNow);
  CHECK(actions[1].method == "send_operator_message");
  CHECK(actions[1].actor == "olga");  // the operator's name: the store writes "operator:olga"
  CHECK(actions[1].text == "hello");
  CHECK(actions[2].method == "add_note");
  CHECK(actions[2].actor == "olga");
  CHECK(actions[2].text == "note");
  CHECK(actions[3].method == "relabel");
  CHECK(actions[3].id == 7);
  CHECK(actions[3].text == "dose");
  CHECK(actions[3].actor == "operator:olga");
  CHECK(actions[4].method == "release");
  CHECK(actions[4].actor == "operator:olga");
}

TEST_CASE("admin api: an admin can do everything", "[gateway][admin_api]") {
  Fixture f;
  f.store.add_conversation(sample_conversation());
  CHECK(status_of(f.api, request("GET", kNumberPath, kAdmin)) == 200);
  CHECK(status_of(f.api, request("POST", kNumberPath + "/takeover", kAdmin)) == 200);
  CHECK(status_of(f.api, request("POST", kNumberPath + "/messages", kAdmin, R"({"body":"hi"})")) ==
        202);
  CHECK(status_of(f.api, request("GET", "/api/v1/audit", kAdmin)) == 200);

  const HttpResponse erased = respond(f.api, request("DELETE", kNumberPath, kAdmin));
  CHECK(erased.status == 200);
  CHECK(json_of(erased) == Json{{"number", kNumber}, {"erased", true}});
  const auto actions = f.store.actions();
  REQUIRE(actions.size() == 3);
  CHECK(actions[0].actor == "admin:ada");
  CHECK(actions[2].method == "erase");
  CHECK(actions[2].number == kNumber);
  CHECK(actions[2].actor == "admin:ada");
}

TEST_CASE("admin api tells the console who is logged in", "[gateway][admin_api]") {
  Fixture f;
  const auto route = f.api.route(request("GET", "/api/v1/me", kOperator));
  REQUIRE(route);
  CHECK_FALSE(is_job(*route));  // no store involved
  const HttpResponse me = respond(f.api, request("GET", "/api/v1/me", kOperator));
  CHECK(json_of(me) == Json{{"name", "olga"}, {"role", "operator"}});
  CHECK(header_of(me, "Cache-Control") == "no-store");
}

TEST_CASE("admin api answers 404 for unknown paths and 405 with Allow", "[gateway][admin_api]") {
  Fixture f;
  for (const char* path :
       {"/api/v1/", "/api/v1/nope", "/api/v1/conversations/", "/api/v1/me/",
        "/api/v1/conversations/%2B15551234567/explode", "/api/v1/conversations//takeover",
        "/api/v1/messages/7", "/api/v1/messages/7/relabel/x"}) {
    INFO(path);
    const HttpResponse response = respond(f.api, request("GET", path, kAdmin));
    CHECK(response.status == 404);
    CHECK(json_of(response)["error"] == "not found");
  }

  auto response = respond(f.api, request("POST", "/api/v1/conversations", kAdmin));
  CHECK(response.status == 405);
  CHECK(header_of(response, "Allow") == "GET");
  response = respond(f.api, request("PUT", kNumberPath, kAdmin));
  CHECK(response.status == 405);
  CHECK(header_of(response, "Allow") == "GET, DELETE");
  response = respond(f.api, request("GET", kNumberPath + "/takeover", kAdmin));
  CHECK(header_of(response, "Allow") == "POST");
  // Method before role: a viewer's PUT is 405, not 403.
  CHECK(status_of(f.api, request("PUT", kNumberPath, kViewer)) == 405);
  CHECK(f.store.calls().empty());
}

TEST_CASE("admin api lists conversations with search, filters and a cursor",
          "[gateway][admin_api]") {
  Fixture f;
  ConversationPage page;
  ConversationSummary summary;
  summary.number = kNumber;
  summary.last_at_ms = kNow;
  summary.last_text = "thanks!";
  page.conversations = {summary};
  page.next_cursor = "c2";
  f.store.set_page(page);

  const auto route = f.api.route(request(
      "GET", "/api/v1/conversations?q=protein+shake%21&mode=human&flagged=true&limit=200&cursor=c1",
      kViewer));
  REQUIRE(route);
  REQUIRE(is_job(*route));  // the store may block
  CHECK(f.store.calls().empty());
  const HttpResponse response = std::get<std::function<HttpResponse()>>(route->action)();
  CHECK(response.status == 200);
  CHECK(json_of(response) ==
        Json::parse(R"({"conversations": [{"number": "+15551234567", "mode": "bot",
                        "flagged": false, "opted_out": false,
                        "last_at": "2026-11-21T10:00:00.000Z", "last_text": "thanks!"}],
                        "next_cursor": "c2"})"));
  REQUIRE(f.store.queries().size() == 1);
  const auto query = f.store.queries()[0];
  CHECK(query.text == "protein shake!");
  CHECK(query.mode == std::optional<std::string>("human"));
  CHECK(query.flagged == std::optional<bool>(true));
  CHECK(query.limit == 200);
  CHECK(query.cursor == "c1");

  // Empty parameters are absent ones, as a form sends them; the last page has
  // a null cursor.
  page.next_cursor.clear();
  f.store.set_page(page);
  const HttpResponse last = respond(
      f.api, request("GET", "/api/v1/conversations?q=&mode=&flagged=&limit=&cursor=", kViewer));
  CHECK(json_of(last)["next_cursor"].is_null());
  const auto defaults = f.store.queries()[1];
  CHECK(defaults.text.empty());
  CHECK_FALSE(defaults.mode);
  CHECK_FALSE(defaults.flagged);
  CHECK(defaults.limit == 50);
  CHECK(defaults.cursor.empty());
  CHECK(f.store.queries().size() == 2);
}

TEST_CASE("admin api refuses bad list parameters with 400", "[gateway][admin_api]") {
  Fixture f;
  for (const char* query : {"limit=0", "limit=201", "limit=-1", "limit=ten", "limit=1e2",
                            "limit=99999999999", "mode=robot", "flagged=yes", "q=%zz", "q=%FF"}) {
    INFO(query);
    const HttpResponse response =
        respond(f.api, request("GET", std::string("/api/v1/conversations?") + query, kViewer));
    CHECK(response.status == 400);
    CHECK_FALSE(json_of(response)["error"].get<std::string>().empty());
  }
  CHECK(respond(f.api, request("GET", "/api/v1/conversations?limit=0", kViewer)).body ==
        R"({"error":"limit must be a whole number from 1 to 200"})");
  CHECK(status_of(f.api, request("GET", "/api/v1/conversations?q=" + std::string(201, 'a'),
                                 kViewer)) == 400);
  CHECK(status_of(f.api, request("GET", "/api/v1/conversations?limit=1", kViewer)) == 200);
  CHECK(f.store.queries().size() == 1);

  // A cursor only the store can judge.
  f.store.fail("list_conversations", ErrorCode::bad_input, "bad cursor");
  const HttpResponse bad_cursor =
      respond(f.api, request("GET", "/api/v1/conversations?cursor=garbage", kViewer));
  CHECK(bad_cursor.status == 400);
  CHECK(json_of(bad_cursor)["error"] == "bad cursor");
}

TEST_CASE("admin api decodes the number in the path", "[gateway][admin_api]") {
  Fixture f;
  f.store.add_conversation(sample_conversation());
  CHECK(status_of(f.api, request("GET", "/api/v1/conversations/%2B15551234567", kViewer)) == 200);
  CHECK(status_of(f.api, request("GET", "/api/v1/conversations/%2b15551234567", kViewer)) == 200);
  // A literal '+' in a path is a plus, not a space.
  CHECK(status_of(f.api, request("GET", "/api/v1/conversations/+15551234567", kViewer)) == 200);
  CHECK(f.store.calls().back().number == kNumber);

  for (const char* number : {"15551234567", "%2B1234567", "%2B1234567890123456", "%2B1555123456a",
                             "%2B1555%2012345", "%zz15551234567", "%2", "%20%2B15551234567"}) {
    INFO(number);
    const HttpResponse response =
        respond(f.api, request("GET", std::string("/api/v1/conversations/") + number, kViewer));
    CHECK(response.status == 400);
    CHECK_THAT(json_of(response)["error"].get<std::string>(), Catch::Contains("E.164"));
  }
  // The shortest and longest E.164 numbers.
  CHECK(status_of(f.api, request("GET", "/api/v1/conversations/%2B12345678", kViewer)) == 404);
  CHECK(status_of(f.api, request("GET", "/api/v1/conversations/%2B123456789012345", kViewer)) ==
        404);
  CHECK(status_of(f.api, request("POST", "/api/v1/conversations/555/takeover", kOperator)) == 400);
  CHECK(f.store.actions().empty());
}

TEST_CASE("admin api shows a conversation with its messages and notes", "[gateway][admin_api]") {
  Fixture f;
  f.store.add_conversation(sample_conversation());
  const HttpResponse response = respond(f.api, request("GET", kNumberPath, kViewer));
  CHECK(response.status == 200);
  CHECK(json_of(response) == Json::parse(R"({
    "number": "+15551234567",
    "profile": {"weight_kg": 81.6, "goal": null, "medications": ["sertraline"]},
    "mode": "human", "flagged": true, "opted_out": false,
    "last_at": "2026-11-21T10:00:00.000Z",
    "reason": "asked for a human", "waiting_since": "2026-11-21T09:58:30.000Z",
    "messages": [
      {"id": 7, "direction": "in", "body": "how much creatine?", "at": "2026-11-21T09:59:59.000Z",
       "intent": "dose", "author": "texter", "relabel": "human", "delivery": null},
      {"id": 8, "direction": "out", "body": "Take 3-5 g a day.", "at": "2026-11-21T10:00:00.000Z",
       "intent": "dose", "author": "bot", "relabel": null, "delivery": "delivered"},
      {"id": 9, "direction": "out", "body": "I'll check.", "at": "2026-11-21T10:00:00.001Z",
       "intent": null, "author": "operator:olga", "relabel": null, "delivery": "pending"}],
    "notes": [{"id": 3, "author": "olga", "body": "call back tomorrow",
               "at": "2026-11-21T09:59:59.995Z"}]})"));

  const HttpResponse missing =
      respond(f.api, request("GET", "/api/v1/conversations/%2B15550000000", kViewer));
  CHECK(missing.status == 404);
  CHECK(json_of(missing)["error"] == "no such conversation");
}

TEST_CASE("admin api lists the handoff queue with reasons and ages", "[gateway][admin_api]") {
  Fixture f;
  ConversationSummary waiting = sample_conversation().summary;
  f.store.set_handoffs({waiting});
  const HttpResponse response = respond(f.api, request("GET", "/api/v1/handoffs", kViewer));
  CHECK(response.status == 200);
  CHECK(json_of(response) == Json::parse(R"({"conversations": [{
    "number": "+15551234567", "mode": "human", "flagged": true, "opted_out": false,
    "last_at": "2026-11-21T10:00:00.000Z", "last_text": "how much creatine?",
    "reason": "asked for a human", "waiting_since": "2026-11-21T09:58:30.000Z"}],
    "next_cursor": null})"));
}

TEST_CASE("admin api queues an operator's message", "[gateway][admin_api]") {
  Fixture f;
  const auto route = f.api.route(
      request("POST", kNumberPath + "/messages", kOperator, R"({"body":"Hi, Olga here \u00e9"})"));
  REQUIRE(route);
  REQUIRE(is_job(*route));
  CHECK(f.store.calls().empty());
  const HttpResponse response = std::get<std::function<HttpResponse()>>(route->action)();
  CHECK(response.status == 202);
  CHECK(json_of(response) == Json{{"number", kNumber}, {"status", "queued"}});
  CHECK(f.queued_wakeups == 1);
  REQUIRE(f.store.actions().size() == 1);
  CHECK(f.store.actions()[0].text == "Hi, Olga here \xC3\xA9");

  // Opted out: the store says conflict, nothing is sent, nobody is woken.
  f.store.fail("send_operator_message", ErrorCode::conflict, "the texter opted out");
  const HttpResponse refused =
      respond(f.api, request("POST", kNumberPath + "/messages", kOperator, R"({"body":"hi"})"));
  CHECK(refused.status == 409);
  CHECK(json_of(refused)["error"] == "the texter opted out");
  CHECK(f.queued_wakeups == 1);
}

TEST_CASE("admin api checks an operator's message before queueing it", "[gateway][admin_api]") {
  Fixture f;
  const auto status_for = [&](const std::string& body) {
    return status_of(f.api, request("POST", kNumberPath + "/messages", kOperator, body));
  };
  CHECK(status_for("") == 400);
  CHECK(status_for("not json") == 400);
  CHECK(status_for(R"(["body"])") == 400);
  CHECK(status_for(R"({"text":"hi"})") == 400);
  CHECK(status_for(R"({"body":42})") == 400);
  CHECK(status_for(R"({"body":""})") == 400);
  CHECK(status_for(R"({"body":" \n\t "})") == 400);
  CHECK(status_for("{\"body\":\"\xFF\"}") == 400);  // not UTF-8

  // 1600 characters, not bytes: é is two bytes.
  std::string longest;
  for (int i = 0; i < 1600; ++i) longest += "\xC3\xA9";
  CHECK(status_for(Json{{"body", longest}}.dump()) == 202);
  const HttpResponse too_long = respond(f.api, request("POST", kNumberPath + "/messages", kOperator,
                                                       Json{{"body", longest + "x"}}.dump()));
  CHECK(too_long.status == 400);
  CHECK(json_of(too_long)["error"] == "\"body\" is longer than 1600 characters");
  CHECK(f.store.actions().size() == 1);
}

TEST_CASE("admin api answers 503 to operator messages when nothing can send them",
          "[gateway][admin_api]") {
  Fixture f(/*outbound=*/false);
  const HttpResponse response =
      respond(f.api, request("POST", kNumberPath + "/messages", kOperator, R"({"body":"hi"})"));
  CHECK(response.status == 503);
  CHECK_THAT(json_of(response)["error"].get<std::string>(), Catch::Contains("disabled"));
  CHECK(f.store.actions().empty());
  CHECK(f.queued_wakeups == 0);
  // Everything else still works.
  CHECK(status_of(f.api, request("POST", kNumberPath + "/takeover", kOperator)) == 200);
}

TEST_CASE("admin api keeps private notes", "[gateway][admin_api]") {
  Fixture f;
  const HttpResponse response = respond(
      f.api, request("POST", kNumberPath + "/notes", kOperator, R"({"body":"prefers evenings"})"));
  CHECK(response.status == 201);
  CHECK(json_of(response) == Json{{"number", kNumber},
                                  {"author", "olga"},
                                  {"body", "prefers evenings"},
                                  {"at", "2026-11-21T10:00:00.000Z"}});
  CHECK(f.queued_wakeups == 0);  // a note is never sent
  CHECK(status_of(f.api, request("POST", kNumberPath + "/notes", kOperator,
                                 Json{{"body", std::string(4001, 'n')}}.dump())) == 400);
  f.store.fail("add_note", ErrorCode::not_found, "no such conversation");
  CHECK(status_of(f.api, request("POST", kNumberPath + "/notes", kOperator, R"({"body":"x"})")) ==
        404);
}

TEST_CASE("admin api relabels a bot turn with a known intent", "[gateway][admin_api]") {
  Fixture f;
  const HttpResponse response = respond(
      f.api, request("POST", "/api/v1/messages/42/relabel", kOperator, R"({"intent":"human"})"));
  CHECK(response.status == 200);
  CHECK(json_of(response) == Json{{"id", 42}, {"relabel", "human"}});

  const auto status_for = [&](const std::string& id, const std::string& body) {
    return status_of(f.api,
                     request("POST", "/api/v1/messages/" + id + "/relabel", kOperator, body));
  };
  CHECK(status_for("42", R"({"intent":"astrology"})") == 400);  // not a known intent
  CHECK(status_for("42", R"({"intent":"DOSE"})") == 400);
  CHECK(status_for("42", R"({"intent":""})") == 400);
  CHECK(status_for("42", R"({"label":"dose"})") == 400);
  CHECK(status_for("42", "nope") == 400);
  CHECK(status_for("0", R"({"intent":"dose"})") == 400);
  CHECK(status_for("-1", R"({"intent":"dose"})") == 400);
  CHECK(status_for("abc", R"({"intent":"dose"})") == 400);
  CHECK(status_for("99999999999999999999", R"({"intent":"dose"})") == 400);
  CHECK(f.store.actions().size() == 1);

  f.store.fail("relabel", ErrorCode::not_found, "no inbound message 43");
  CHECK(status_for("43", R"({"intent":"dose"})") == 404);
}

TEST_CASE("admin api maps store failures to statuses", "[gateway][admin_api]") {
  Fixture f;
  f.store.fail("take_over", ErrorCode::unavailable, "database is locked");
  HttpResponse response = respond(f.api, request("POST", kNumberPath + "/takeover", kOperator));
  CHECK(response.status == 503);
  CHECK(json_of(response)["error"] == "database is locked");

  f.store.fail("release", ErrorCode::internal, "secret detail");
  response = respond(f.api, request("POST", kNumberPath + "/release", kOperator));
  CHECK(response.status == 500);
  CHECK(json_of(response)["error"] == "internal error");

  f.store.fail("erase", ErrorCode::not_found, "no such conversation");
  CHECK(status_of(f.api, request("DELETE", kNumberPath, kAdmin)) == 404);
  f.store.fail("handoffs", ErrorCode::unavailable, "down");
  CHECK(status_of(f.api, request("GET", "/api/v1/handoffs", kViewer)) == 503);
}

TEST_CASE("admin api offers the knowledge base's canned replies", "[gateway][admin_api]") {
  Fixture f;
  const HttpResponse response = respond(f.api, request("GET", "/api/v1/canned-replies", kViewer));
  CHECK(json_of(response) == Json::parse(R"({"replies": [{"id": "creatine_lean_mass",
    "title": "Creatine and lean mass", "text": "Creatine helps..."}]})"));

  FakeConversationAdmin store;
  const AdminApi bare(store, staff());
  CHECK(json_of(respond(bare, request("GET", "/api/v1/canned-replies", kViewer))) ==
        Json::parse(R"({"replies": []})"));
}

TEST_CASE("admin api shows admins the audit log", "[gateway][admin_api]") {
  Fixture f;
  REQUIRE(f.store.audit({kNow, "operator:olga", "takeover", kNumber, ""}));
  REQUIRE(f.store.audit({kNow + 1, "cli", "erase", "", "by users forget"}));
  const HttpResponse response = respond(f.api, request("GET", "/api/v1/audit?limit=5", kAdmin));
  CHECK(response.status == 200);
  CHECK(json_of(response) == Json::parse(R"({"entries": [
    {"at": "2026-11-21T10:00:00.000Z", "actor": "operator:olga", "action": "takeover",
     "number": "+15551234567", "detail": ""},
    {"at": "2026-11-21T10:00:00.001Z", "actor": "cli", "action": "erase", "number": null,
     "detail": "by users forget"}]})"));
  CHECK(f.store.calls().back().id == 5);  // the limit, passed through

  respond(f.api, request("GET", "/api/v1/audit", kAdmin));
  CHECK(f.store.calls().back().id == 100);
  CHECK(status_of(f.api, request("GET", "/api/v1/audit?limit=0", kAdmin)) == 400);
  CHECK(status_of(f.api, request("GET", "/api/v1/audit?limit=1001", kAdmin)) == 400);
}

// ---- export ---------------------------------------------------------------------

namespace {

std::vector<ExportRow> tricky_rows() {
  return {
      {"+15551234567", "in", "plain", kNow, "greeting", "texter"},
      {"+15551234567", "out", "a, b", kNow + 1, "", "bot"},
      {"+15551234567", "in", "she said \"hi\"", kNow + 2, "thanks", "texter"},
      {"+15551234567", "out", "line one\r\nline two\nthree", kNow + 3, "dose", "operator:olga"},
      {"+15551234567", "in", "caf\xC3\xA9 \xF0\x9F\x92\xAA =1+1", kNow + 4, "", "texter"},
  };
}

}  // namespace

TEST_CASE("admin api exports CSV as RFC 4180 quotes it", "[gateway][admin_api][export]") {
  Fixture f;
  f.store.set_export_rows(tricky_rows());
  const HttpResponse response =
      respond(f.api, request("GET", "/api/v1/export?format=csv", kViewer));
  CHECK(response.status == 200);
  CHECK(response.content_type == "text/csv; charset=utf-8");
  CHECK(header_of(response, "Content-Disposition") ==
        "attachment; filename=\"smscoach-messages.csv\"");
  CHECK(response.body ==
        "number,direction,body,at,intent,author\r\n"
        "+15551234567,in,plain,2026-11-21T10:00:00.000Z,greeting,texter\r\n"
        "+15551234567,out,\"a, b\",2026-11-21T10:00:00.001Z,,bot\r\n"
        "+15551234567,in,\"she said \"\"hi\"\"\",2026-11-21T10:00:00.002Z,thanks,texter\r\n"
        "+15551234567,out,\"line one\r\nline two\nthree\",2026-11-21T10:00:00.003Z,dose,"
        "operator:olga\r\n"
        "+15551234567,in,caf\xC3\xA9 \xF0\x9F\x92\xAA =1+1,2026-11-21T10:00:00.004Z,,texter\r\n");
}

TEST_CASE("admin api exports JSON Lines, one object a line", "[gateway][admin_api][export]") {
  Fixture f;
  const auto rows = tricky_rows();
  f.store.set_export_rows(rows);
  const HttpResponse response =
      respond(f.api, request("GET", "/api/v1/export?format=jsonl", kViewer));
  CHECK(response.status == 200);
  CHECK(response.content_type == "application/x-ndjson");
  CHECK(header_of(response, "Content-Disposition") ==
        "attachment; filename=\"smscoach-messages.jsonl\"");

  std::istringstream lines(response.body);
  std::string line;
  std::size_t count = 0;
  while (std::getline(lines, line)) {
    REQUIRE(count < rows.size());
    const Json row = Json::parse(line);
    const ExportRow& expected = rows[count];
    CHECK(row["number"] == expected.number);
    CHECK(row["direction"] == expected.direction);
    CHECK(row["body"] == expected.body);
    CHECK(row["author"] == expected.author);
    if (expected.intent.empty()) {
      CHECK(row["intent"].is_null());
    } else {
      CHECK(row["intent"] == expected.intent);
    }
    ++count;
  }
  CHECK(count == rows.size());
  CHECK(Json::parse(response.body.substr(0, response.body.find('\n'))) ==
        Json::parse(R"({"number": "+15551234567", "direction": "in", "body": "plain",
                        "at": "2026-11-21T10:00:00.000Z", "intent": "greeting",
                        "author": "texter"})"));
  // JSONL is the default.
  CHECK(respond(f.api, request("GET", "/api/v1/export", kViewer)).body == response.body);
}

TEST_CASE("admin api export takes since and writes an audit entry",
          "[gateway][admin_api][export]") {
  Fixture f;
  CHECK(respond(f.api, request("GET", "/api/v1/export?since=2026-11-21T09:00:00.000Z", kViewer))
            .status == 200);
  CHECK(respond(f.api, request("GET", "/api/v1/export?since=2026-11-21&format=csv", kOperator))
            .status == 200);
  CHECK(respond(f.api, request("GET", "/api/v1/export?since=1795255200000", kAdmin)).status == 200);
  std::vector<std::int64_t> since;
  for (const auto& call : f.store.calls()) {
    if (call.method == "export_messages") since.push_back(call.at_ms);
  }
  CHECK(since == std::vector<std::int64_t>{kNow - 3'600'000, kNow - 36'000'000, kNow});

  const auto audits = f.store.audits();
  REQUIRE(audits.size() == 3);
  CHECK(audits[0].actor == "viewer:vera");
  CHECK(audits[0].action == "export");
  CHECK(audits[0].at_ms == kNow);
  CHECK(audits[0].number.empty());
  CHECK(audits[0].detail == "format=jsonl since=2026-11-21T09:00:00.000Z");
  CHECK(audits[1].actor == "operator:olga");
  CHECK(audits[1].detail == "format=csv since=2026-11-21T00:00:00.000Z");
  CHECK(audits[2].actor == "admin:ada");

  for (const char* query : {"format=xml", "format=CSV", "since=yesterday", "since=2026-13-01",
                            "since=2026-11-21T10:00:00+01:00"}) {
    INFO(query);
    CHECK(status_of(f.api, request("GET", std::string("/api/v1/export?") + query, kViewer)) == 400);
  }
  CHECK(f.store.audits().size() == 3);
}

TEST_CASE("admin api export refuses to start unrecorded or on a failing store",
          "[gateway][admin_api][export]") {
  Fixture f;
  f.store.set_export_rows(tricky_rows());
  f.store.fail("audit", ErrorCode::unavailable, "database is locked");
  CHECK(status_of(f.api, request("GET", "/api/v1/export", kViewer)) == 503);
  bool exported = false;
  for (const auto& call : f.store.calls()) exported = exported || call.method == "export_messages";
  CHECK_FALSE(exported);

  f.store.clear_failures();
  f.store.fail("export_messages", ErrorCode::unavailable, "database is locked");
  const HttpResponse response = respond(f.api, request("GET", "/api/v1/export", kViewer));
  CHECK(response.status == 503);  // failed before the first byte: a real status
  CHECK(json_of(response)["error"] == "database is locked");
}

TEST_CASE("admin api export that fails midway ends the stream with an error",
          "[gateway][admin_api][export]") {
  Fixture f;
  f.store.set_export_generator([](std::size_t i) {
    return ExportRow{"+15551234567", "in", std::string(200, 'x') + std::to_string(i),
                     kNow,           "",   "texter"};
  });
  f.store.fail_export_after(2000);  // well past the first 64 KiB chunk
  const auto route = f.api.route(request("GET", "/api/v1/export?format=csv", kViewer));
  REQUIRE(route);
  HttpResponse response = std::get<std::function<HttpResponse()>>(route->action)();
  CHECK(response.status == 200);
  REQUIRE(response.stream);
  std::string chunk;
  const auto drain = [&] {
    while (response.stream(chunk)) {
    }
  };
  CHECK_THROWS_WITH(drain(), Catch::Contains("store went away"));
}

TEST_CASE("admin api runs few exports at once", "[gateway][admin_api][export]") {
  FakeConversationAdmin store;
  AdminApiOptions options;
  options.max_concurrent_exports = 1;
  const AdminApi api(store, staff(), options);
  store.set_export_rows(tricky_rows());

  const auto start = [&] {
    auto route = api.route(request("GET", "/api/v1/export", kViewer));
    REQUIRE(route);
    return std::get<std::function<HttpResponse()>>(route->action)();
  };
  std::optional<HttpResponse> first = start();
  REQUIRE(first->stream);  // still being sent
  const HttpResponse second = start();
  CHECK(second.status == 503);
  CHECK(header_of(second, "Retry-After") == "30");
  first.reset();  // the first download ends
  CHECK(start().status == 200);
}

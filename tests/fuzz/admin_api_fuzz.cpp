// The admin API on arbitrary requests: paths, query strings, bearer headers
// and JSON bodies, through AdminApi::route as the server calls it, with a
// fake store (tests/unit/gateway_fake_conversation_admin.hpp) whose stored
// texts are the request body's raw bytes, so responses and exports also
// carry text that is not UTF-8. The input is four lines: method, request
// target, Authorization ("viewer", "operator" or "admin" stand for a valid
// token of that role, anything else is the header as written, an empty line
// none), then the body (the rest).
//
// Checks: only /api/v1/ paths are answered; every answer has a known status
// and, but for an export, is a JSON object with Cache-Control: no-store, an
// error one carrying "error"; every JSONL export line is a JSON object; no
// exception escapes the route or its job.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <string_view>
#include <variant>

#include "fuzz_check.hpp"
#include "gateway/admin_api.hpp"
#include "gateway_fake_conversation_admin.hpp"

namespace {

namespace gw = smscoach::gateway;

const std::string kViewer = "viewer-token-0000001";
const std::string kOperator = "operator-token-00001";
const std::string kAdmin = "admin-token-000000001";
constexpr std::int64_t kNow = 1'795'255'200'000;  // 2026-11-21T10:00:00.000Z

std::string_view take_line(std::string_view& rest) {
  const std::size_t newline = rest.find('\n');
  const std::string_view line = rest.substr(0, newline);
  rest.remove_prefix(newline == std::string_view::npos ? rest.size() : newline + 1);
  return line;
}

// A store holding one conversation, one handoff and a short export, whose
// texts are `text`.
void fill(gw::testing::FakeConversationAdmin& store, const std::string& text) {
  smscoach::ConversationSummary summary;
  summary.number = "+15551234567";
  summary.last_at_ms = kNow - 60'000;
  summary.last_text = text;
  summary.reason = "asked for a human";
  summary.waiting_since_ms = kNow - 30'000;
  store.set_page({{summary}, "cursor-" + text.substr(0, 8)});
  store.set_handoffs({summary});
  smscoach::ConversationDetail detail;
  detail.summary = summary;
  detail.weight_kg = 82.5;
  detail.goal = "build_muscle";
  detail.medications = {"sertraline"};
  detail.messages = {{1, "in", text, kNow - 60'000, "faq.creatine_safety", "texter", "", ""},
                     {2, "out", "Creatine is safe.", kNow - 59'000, "faq.creatine_safety", "bot",
                      "dose", "delivered"}};
  detail.notes = {{1, "olga", text, kNow - 10'000}};
  store.add_conversation(detail);
  store.set_export_rows({{"+15551234567", "in", text, kNow - 60'000, "dose", "texter"},
                         {"+15551234567", "out", "ok, \"quoted\"\r\n", kNow, "", "operator:olga"}});
}

bool is_json_object(std::string_view text) {
  const auto json = nlohmann::json::parse(text, nullptr, false);
  return !json.is_discarded() && json.is_object();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view rest(reinterpret_cast<const char*>(data), size);
  gw::HttpRequest request;
  request.method = std::string(take_line(rest));
  request.target = std::string(take_line(rest));
  const std::string_view authorization = take_line(rest);
  request.body = std::string(rest);
  if (authorization == "viewer") {
    request.headers.emplace_back("Authorization", "Bearer " + kViewer);
  } else if (authorization == "operator") {
    request.headers.emplace_back("Authorization", "Bearer " + kOperator);
  } else if (authorization == "admin") {
    request.headers.emplace_back("Authorization", "Bearer " + kAdmin);
  } else if (!authorization.empty()) {
    request.headers.emplace_back("Authorization", std::string(authorization));
  }
  request.headers.emplace_back("Content-Type", "application/json");

  gw::testing::FakeConversationAdmin store;
  fill(store, request.body);
  gw::AdminApiOptions options;
  options.outbound_enabled = true;
  options.now_ms = [] { return kNow; };
  options.known_intent = [](std::string_view intent) { return intent != "unknown"; };
  options.canned_replies = [] {
    return std::vector<smscoach::CannedReply>{{"creatine_safety", "Is creatine safe?", "Yes."}};
  };
  const gw::AdminApi api(store,
                         gw::AdminAuth({{gw::Role::viewer, "vera", kViewer},
                                        {gw::Role::operator_, "olga", kOperator},
                                        {gw::Role::admin, "ada", kAdmin}}),
                         std::move(options));

  const auto route = api.route(request);
  FUZZ_CHECK(route.has_value() == request.path().starts_with("/api/v1/"));
  if (!route) return 0;
  gw::HttpResponse response = std::holds_alternative<gw::HttpResponse>(route->action)
                                  ? std::get<gw::HttpResponse>(route->action)
                                  : std::get<std::function<gw::HttpResponse()>>(route->action)();

  static const std::set<int> kStatuses = {200, 201, 202, 400, 401, 403, 404, 405, 409, 503};
  FUZZ_CHECK(kStatuses.contains(response.status));
  bool no_store = false;
  for (const auto& [name, value] : response.extra_headers) {
    no_store = no_store || (name == "Cache-Control" && value == "no-store");
  }
  FUZZ_CHECK(no_store);

  if (response.content_type == "application/json") {
    FUZZ_CHECK(!response.stream);
    const auto json = nlohmann::json::parse(response.body, nullptr, false);
    FUZZ_CHECK(!json.is_discarded() && json.is_object());
    if (response.status >= 400) FUZZ_CHECK(json.contains("error") && json["error"].is_string());
    return 0;
  }
  // An export: the rest of it, then every JSONL line must be an object.
  FUZZ_CHECK(response.status == 200);
  std::string all = response.body;
  if (response.stream) {
    for (bool more = true; more;) {
      std::string chunk;
      more = response.stream(chunk);
      all += chunk;
    }
  }
  if (response.content_type == "application/x-ndjson") {
    std::string_view lines = all;
    while (!lines.empty()) {
      const std::size_t newline = lines.find('\n');
      FUZZ_CHECK(newline != std::string_view::npos);
      FUZZ_CHECK(is_json_object(lines.substr(0, newline)));
      lines.remove_prefix(newline + 1);
    }
  } else {
    FUZZ_CHECK(response.content_type == "text/csv; charset=utf-8");
    FUZZ_CHECK(all.ends_with("\r\n"));
  }
  return 0;
}

#include "gateway/admin_api.hpp"

#include <spdlog/spdlog.h>

#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>

#include "common/mask.hpp"
#include "gateway/admin_json.hpp"
#include "gateway/export_format.hpp"
#include "gateway/export_stream.hpp"
#include "gateway/form.hpp"
#include "gateway/iso_time.hpp"
#include "gateway/percent_encoding.hpp"

namespace smscoach::gateway {

using admin_json::Json;

namespace {

constexpr std::string_view kPrefix = "/api/v1/";
constexpr int kMaxPageSize = 200;
constexpr int kMaxAuditEntries = 1000;
constexpr std::size_t kMaxMessageChars = 1600;  // Twilio's limit for one message
constexpr std::size_t kMaxNoteChars = 4000;
constexpr std::size_t kMaxSearchBytes = 200;
constexpr std::size_t kMaxCursorBytes = 512;
constexpr std::size_t kMaxIntentBytes = 64;

// ---- responses ----------------------------------------------------------------

HttpResponse json_response(int status, const Json& body) {
  HttpResponse response;
  response.status = status;
  response.content_type = "application/json";
  response.body = admin_json::text(body);
  // Conversations are personal data: no browser or proxy cache keeps them.
  response.extra_headers.emplace_back("Cache-Control", "no-store");
  return response;
}

HttpResponse json_error(int status, std::string reason) {
  return json_response(status, admin_json::error(std::move(reason)));
}

HttpResponse unauthorized(std::string reason) {
  HttpResponse response = json_error(401, std::move(reason));
  response.extra_headers.emplace_back("WWW-Authenticate", "Bearer");
  return response;
}

// The admin API's own table from store errors to statuses: unlike the
// webhook, staff are told what was not found or is in the way.
HttpResponse store_error(const Error& error) {
  switch (error.code) {
    case ErrorCode::bad_input:
      return json_error(400, error.message);
    case ErrorCode::not_found:
      return json_error(404, error.message);
    case ErrorCode::conflict:
      return json_error(409, error.message);
    case ErrorCode::unavailable:
      return json_error(503, error.message);
    case ErrorCode::internal:
      break;
  }
  spdlog::error("admin api: store error: {}", error.message);
  return json_error(500, "internal error");
}

Route respond(HttpResponse response) { return {std::move(response), {}}; }

Route job(std::function<HttpResponse()> work) { return {std::move(work), {}}; }

// ---- paths ----------------------------------------------------------------------

enum class Endpoint {
  me,
  conversations,
  conversation,  // GET reads it, DELETE erases it
  takeover,
  release,
  messages,
  notes,
  handoffs,
  export_,
  relabel,
  canned_replies,
  audit,
};

struct PathMatch {
  Endpoint endpoint;
  std::string_view parameter;  // the {number} or {id} segment, still encoded
};

std::optional<PathMatch> match_path(std::string_view rest) {
  std::vector<std::string_view> segments;
  while (true) {
    const auto slash = rest.find('/');
    segments.push_back(rest.substr(0, slash));
    if (slash == std::string_view::npos) break;
    rest.remove_prefix(slash + 1);
  }
  for (const auto segment : segments) {
    if (segment.empty()) return std::nullopt;  // "//" or a trailing '/'
  }
  const std::string_view first = segments[0];
  if (segments.size() == 1) {
    if (first == "me") return PathMatch{Endpoint::me, {}};
    if (first == "conversations") return PathMatch{Endpoint::conversations, {}};
    if (first == "handoffs") return PathMatch{Endpoint::handoffs, {}};
    if (first == "export") return PathMatch{Endpoint::export_, {}};
    if (first == "canned-replies") return PathMatch{Endpoint::canned_replies, {}};
    if (first == "audit") return PathMatch{Endpoint::audit, {}};
    return std::nullopt;
  }
  if (first == "conversations" && segments.size() == 2) {
    return PathMatch{Endpoint::conversation, segments[1]};
  }
  if (first == "conversations" && segments.size() == 3) {
    const std::string_view action = segments[2];
    if (action == "takeover") return PathMatch{Endpoint::takeover, segments[1]};
    if (action == "release") return PathMatch{Endpoint::release, segments[1]};
    if (action == "messages") return PathMatch{Endpoint::messages, segments[1]};
    if (action == "notes") return PathMatch{Endpoint::notes, segments[1]};
    return std::nullopt;
  }
  if (first == "messages" && segments.size() == 3 && segments[2] == "relabel") {
    return PathMatch{Endpoint::relabel, segments[1]};
  }
  return std::nullopt;
}

std::string_view allowed_methods(Endpoint endpoint) {
  switch (endpoint) {
    case Endpoint::conversation:
      return "GET, DELETE";
    case Endpoint::takeover:
    case Endpoint::release:
    case Endpoint::messages:
    case Endpoint::notes:
    case Endpoint::relabel:
      return "POST";
    default:
      return "GET";
  }
}

bool method_allowed(Endpoint endpoint, std::string_view method) {
  if (endpoint == Endpoint::conversation) return method == "GET" || method == "DELETE";
  return method == allowed_methods(endpoint);
}

// Reading is for everyone with a token; acting on a conversation is for
// operators; erasing and reading the audit log are for admins.
Role required_role(Endpoint endpoint, std::string_view method) {
  switch (endpoint) {
    case Endpoint::conversation:
      return method == "DELETE" ? Role::admin : Role::viewer;
    case Endpoint::takeover:
    case Endpoint::release:
    case Endpoint::messages:
    case Endpoint::notes:
    case Endpoint::relabel:
      return Role::operator_;
    case Endpoint::audit:
      return Role::admin;
    default:
      return Role::viewer;
  }
}

// A path segment decoded: "%XX" is a byte and, unlike a form, '+' is a plus.
std::optional<std::string> decode_segment(std::string_view segment) {
  std::string out;
  for (std::size_t i = 0; i < segment.size(); ++i) {
    if (segment[i] != '%') {
      out += segment[i];
      continue;
    }
    const int high = i + 2 < segment.size() ? hex_digit_value(segment[i + 1]) : -1;
    const int low = i + 2 < segment.size() ? hex_digit_value(segment[i + 2]) : -1;
    if (high < 0 || low < 0) return std::nullopt;
    out += static_cast<char>(high * 16 + low);
    i += 2;
  }
  return out;
}

// E.164: '+' and 8 to 15 digits.
bool is_e164(std::string_view number) {
  return number.size() >= 9 && number.size() <= 16 && number[0] == '+' &&
         number.find_first_not_of("0123456789", 1) == std::string_view::npos;
}

std::optional<std::string> number_from_path(std::string_view segment) {
  auto number = decode_segment(segment);
  if (!number || !is_e164(*number)) return std::nullopt;
  return number;
}

// ---- parameters -----------------------------------------------------------------

// A query parameter; an empty value counts as absent, as forms send them.
std::optional<std::string_view> parameter(const FormFields& query, std::string_view key) {
  const std::string* value = query.find(key);
  if (value == nullptr || value->empty()) return std::nullopt;
  return std::string_view(*value);
}

std::optional<int> whole_number(std::string_view text, int min, int max) {
  if (text.empty() || text.size() > 9 || text.find_first_not_of("0123456789") != text.npos) {
    return std::nullopt;
  }
  const int value = std::stoi(std::string(text));
  if (value < min || value > max) return std::nullopt;
  return value;
}

// Characters, not bytes: SMS limits count what people see. The text is
// valid UTF-8 (the JSON parser checks), so counting lead bytes is enough.
std::size_t utf8_length(std::string_view text) {
  std::size_t count = 0;
  for (const char c : text) {
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++count;
  }
  return count;
}

bool is_blank(std::string_view text) {
  return text.find_first_not_of(" \t\r\n") == std::string_view::npos;
}

// The string `key` of a JSON object body; a reason for 400 otherwise.
Expected<std::string> string_field(const HttpRequest& request, const std::string& key) {
  const auto body = nlohmann::json::parse(request.body, nullptr, false);
  if (body.is_discarded() || !body.is_object()) {
    return make_error(ErrorCode::bad_input, "the body must be a JSON object");
  }
  const auto it = body.find(key);
  if (it == body.end() || !it->is_string()) {
    return make_error(ErrorCode::bad_input, "the body needs a string \"" + key + "\"");
  }
  return it->get<std::string>();
}

// A text staff write: not blank, at most `max_chars` characters.
Expected<std::string> text_field(const HttpRequest& request, std::size_t max_chars) {
  auto text = string_field(request, "body");
  if (!text) return text;
  if (is_blank(*text)) return make_error(ErrorCode::bad_input, "\"body\" is empty");
  if (utf8_length(*text) > max_chars) {
    return make_error(ErrorCode::bad_input,
                      "\"body\" is longer than " + std::to_string(max_chars) + " characters");
  }
  return text;
}

bool is_intent_id(std::string_view text) {
  return !text.empty() && text.size() <= kMaxIntentBytes &&
         text.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_.") == text.npos;
}

// Unix milliseconds, or an ISO-8601 UTC time or date.
std::optional<std::int64_t> parse_since(std::string_view text) {
  if (text.find_first_not_of("0123456789") == text.npos && text.size() <= 15) {
    return std::stoll(std::string(text));
  }
  return parse_iso8601_utc(text);
}

// One of the few exports allowed at once, given back when the last holder
// lets go of it.
class ExportSlot {
 public:
  // nullptr when `max` exports are running already.
  static std::unique_ptr<ExportSlot> take(std::atomic<int>& running, int max) {
    if (++running > max) {
      running--;
      return nullptr;
    }
    return std::unique_ptr<ExportSlot>(new ExportSlot(running));
  }
  ~ExportSlot() { running_--; }
  ExportSlot(const ExportSlot&) = delete;
  ExportSlot& operator=(const ExportSlot&) = delete;

 private:
  explicit ExportSlot(std::atomic<int>& running) : running_(running) {}
  std::atomic<int>& running_;
};

// The slot is declared first, so it is given back only after the stream's
// thread has ended.
struct RunningExport {
  RunningExport(std::unique_ptr<ExportSlot> export_slot, ConversationAdmin& store,
                std::int64_t since_ms, ExportFormat format)
      : slot(std::move(export_slot)), stream(store, since_ms, format) {}
  std::unique_ptr<ExportSlot> slot;
  ExportStream stream;
};

}  // namespace

// ---- the API ----------------------------------------------------------------------

struct AdminApi::Call {
  const HttpRequest& request;
  AdminToken token;
  Endpoint endpoint;
  std::string_view parameter;
  FormFields query;
};

AdminApi::AdminApi(ConversationAdmin& store, AdminAuth auth, AdminApiOptions options)
    : store_(store), auth_(std::move(auth)), options_(std::move(options)) {}

std::int64_t AdminApi::now_ms() const {
  if (options_.now_ms) return options_.now_ms();
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::optional<Route> AdminApi::route(const HttpRequest& request) const {
  const std::string_view path = request.path();
  if (!path.starts_with(kPrefix)) return std::nullopt;

  // Authentication comes first, so that without a token nothing is learnt,
  // not even which paths exist.
  const std::string_view authorization = request.header("Authorization");
  if (authorization.empty()) return respond(unauthorized("missing bearer token"));
  if (!bearer_token(authorization)) {
    return respond(unauthorized("the Authorization header must be \"Bearer TOKEN\""));
  }
  auto token = auth_.authenticate(authorization);
  if (!token) return respond(unauthorized("invalid token"));

  const auto match = match_path(path.substr(kPrefix.size()));
  if (!match) return respond(json_error(404, "not found"));
  if (!method_allowed(match->endpoint, request.method)) {
    HttpResponse response = json_error(405, "method not allowed");
    response.extra_headers.emplace_back("Allow", std::string(allowed_methods(match->endpoint)));
    return respond(std::move(response));
  }
  if (token->role < required_role(match->endpoint, request.method)) {
    return respond(
        json_error(403, "a " + std::string(role_name(token->role)) + " may not do this"));
  }

  const std::string_view target = request.target;
  const auto question = target.find('?');
  auto query =
      parse_form(question == target.npos ? std::string_view{} : target.substr(question + 1));
  if (!query) return respond(json_error(400, "query string: " + query.error().message));

  return dispatch(
      Call{request, std::move(*token), match->endpoint, match->parameter, std::move(*query)});
}

Route AdminApi::dispatch(const Call& call) const {
  switch (call.endpoint) {
    case Endpoint::me:
      return respond(json_response(
          200, {{"name", call.token.name}, {"role", std::string(role_name(call.token.role))}}));
    case Endpoint::conversations:
      return list_conversations(call);
    case Endpoint::conversation:
    case Endpoint::takeover:
    case Endpoint::release:
    case Endpoint::messages:
    case Endpoint::notes:
      return dispatch_conversation(call);
    case Endpoint::handoffs:
      return handoffs(call);
    case Endpoint::export_:
      return export_messages(call);
    case Endpoint::relabel:
      return relabel(call);
    case Endpoint::canned_replies:
      return canned_replies(call);
    case Endpoint::audit:
      return audit_log(call);
  }
  return respond(json_error(404, "not found"));
}

Route AdminApi::dispatch_conversation(const Call& call) const {
  auto number = number_from_path(call.parameter);
  if (!number) {
    return respond(json_error(400, "expected an E.164 number in the path, such as %2B15551234567"));
  }
  switch (call.endpoint) {
    case Endpoint::conversation:
      return call.request.method == "DELETE" ? erase(call, std::move(*number))
                                             : conversation(call, std::move(*number));
    case Endpoint::takeover:
      return take_over(call, std::move(*number));
    case Endpoint::release:
      return release(call, std::move(*number));
    case Endpoint::messages:
      return send_message(call, std::move(*number));
    case Endpoint::notes:
      return add_note(call, std::move(*number));
    default:
      return respond(json_error(404, "not found"));
  }
}

Route AdminApi::list_conversations(const Call& call) const {
  ConversationQuery query;
  if (const auto q = parameter(call.query, "q")) {
    if (q->size() > kMaxSearchBytes) {
      return respond(
          json_error(400, "q is longer than " + std::to_string(kMaxSearchBytes) + " bytes"));
    }
    query.text = std::string(*q);
  }
  if (const auto mode = parameter(call.query, "mode")) {
    if (*mode != "bot" && *mode != "human") {
      return respond(json_error(400, "mode must be bot or human"));
    }
    query.mode = std::string(*mode);
  }
  if (const auto flagged = parameter(call.query, "flagged")) {
    if (*flagged != "true" && *flagged != "false") {
      return respond(json_error(400, "flagged must be true or false"));
    }
    query.flagged = *flagged == "true";
  }
  if (const auto limit_text = parameter(call.query, "limit")) {
    const auto limit = whole_number(*limit_text, 1, kMaxPageSize);
    if (!limit) {
      return respond(json_error(
          400, "limit must be a whole number from 1 to " + std::to_string(kMaxPageSize)));
    }
    query.limit = *limit;
  }
  if (const auto cursor = parameter(call.query, "cursor")) {
    if (cursor->size() > kMaxCursorBytes) return respond(json_error(400, "invalid cursor"));
    query.cursor = std::string(*cursor);
  }
  return job([&store = store_, query = std::move(query)] {
    auto page = store.list_conversations(query);
    if (!page) return store_error(page.error());
    Json conversations = Json::array();
    for (const auto& summary : page->conversations) {
      conversations.push_back(admin_json::summary(summary));
    }
    return json_response(
        200, {{"conversations", std::move(conversations)},
              {"next_cursor", page->next_cursor.empty() ? Json() : Json(page->next_cursor)}});
  });
}

Route AdminApi::conversation(const Call&, std::string number) const {
  return job([&store = store_, number = std::move(number)] {
    auto detail = store.conversation(number);
    if (!detail) return store_error(detail.error());
    return json_response(200, admin_json::detail(*detail));
  });
}

Route AdminApi::erase(const Call& call, std::string number) const {
  return job([this, actor = actor_of(call.token), number = std::move(number)] {
    const Status erased = store_.erase(number, actor, now_ms());
    if (!erased) return store_error(erased.error());
    spdlog::info("admin api: {} erased {}", actor, mask_number(number));
    return json_response(200, {{"number", number}, {"erased", true}});
  });
}

Route AdminApi::take_over(const Call& call, std::string number) const {
  return job([this, actor = actor_of(call.token), number = std::move(number)] {
    const Status taken = store_.take_over(number, actor, now_ms());
    if (!taken) return store_error(taken.error());
    return json_response(200, {{"number", number}, {"mode", "human"}});
  });
}

Route AdminApi::release(const Call& call, std::string number) const {
  return job([this, actor = actor_of(call.token), number = std::move(number)] {
    const Status released = store_.release(number, actor, now_ms());
    if (!released) return store_error(released.error());
    return json_response(200, {{"number", number}, {"mode", "bot"}});
  });
}

Route AdminApi::send_message(const Call& call, std::string number) const {
  if (!options_.outbound_enabled) {
    return respond(json_error(503,
                              "operator messages are disabled: this server has no outbound sender "
                              "(serve with --twilio-account-sid and --twilio-auth-token)"));
  }
  auto body = text_field(call.request, kMaxMessageChars);
  if (!body) return respond(json_error(400, body.error().message));
  return job([this, name = call.token.name, number = std::move(number), body = std::move(*body)] {
    const Status queued = store_.send_operator_message(number, name, body, now_ms());
    if (!queued) return store_error(queued.error());
    if (options_.on_message_queued) options_.on_message_queued();
    return json_response(202, {{"number", number}, {"status", "queued"}});
  });
}

Route AdminApi::add_note(const Call& call, std::string number) const {
  auto body = text_field(call.request, kMaxNoteChars);
  if (!body) return respond(json_error(400, body.error().message));
  return job([this, name = call.token.name, number = std::move(number), body = std::move(*body)] {
    const std::int64_t at = now_ms();
    const Status added = store_.add_note(number, name, body, at);
    if (!added) return store_error(added.error());
    return json_response(
        201, {{"number", number}, {"author", name}, {"body", body}, {"at", iso8601_utc(at)}});
  });
}

Route AdminApi::handoffs(const Call&) const {
  return job([&store = store_] {
    auto waiting = store.handoffs();
    if (!waiting) return store_error(waiting.error());
    Json conversations = Json::array();
    for (const auto& summary : *waiting) conversations.push_back(admin_json::handoff(summary));
    // The list's shape, so the console reads both alike; the queue is one page.
    return json_response(200,
                         {{"conversations", std::move(conversations)}, {"next_cursor", nullptr}});
  });
}

Route AdminApi::export_messages(const Call& call) const {
  ExportFormat format = ExportFormat::jsonl;
  if (const auto text = parameter(call.query, "format")) {
    const auto parsed = parse_export_format(*text);
    if (!parsed) return respond(json_error(400, "format must be jsonl or csv"));
    format = *parsed;
  }
  std::int64_t since_ms = 0;
  if (const auto text = parameter(call.query, "since")) {
    const auto parsed = parse_since(*text);
    if (!parsed) {
      return respond(
          json_error(400,
                     "since must be an ISO-8601 UTC time such as 2026-11-21T10:00:00.000Z, a date, "
                     "or Unix milliseconds"));
    }
    since_ms = *parsed;
  }
  return job([this, actor = actor_of(call.token), format, since_ms] {
    auto slot = ExportSlot::take(running_exports_, options_.max_concurrent_exports);
    if (!slot) {
      HttpResponse busy = json_error(503, "too many exports running; try again shortly");
      busy.extra_headers.emplace_back("Retry-After", "30");
      return busy;
    }
    // Reading everything is worth recording, whoever does it: no export
    // starts unrecorded.
    const Status audited =
        store_.audit({now_ms(), actor, "export", "",
                      std::string(format == ExportFormat::csv ? "format=csv" : "format=jsonl") +
                          " since=" + iso8601_utc(since_ms)});
    if (!audited) return store_error(audited.error());
    auto running = std::make_shared<RunningExport>(std::move(slot), store_, since_ms, format);

    // The first chunk is awaited here, so a store that fails at once still
    // gets a proper error status instead of a cut-off 200.
    HttpResponse response;
    auto first = running->stream.next(response.body);
    if (!first) return store_error(first.error());
    response.content_type = std::string(export_content_type(format));
    response.extra_headers.emplace_back("Content-Disposition", export_content_disposition(format));
    response.extra_headers.emplace_back("Cache-Control", "no-store");
    if (*first) {
      response.stream = [running](std::string& chunk) {
        auto more = running->stream.next(chunk);
        if (!more) throw std::runtime_error("export failed: " + more.error().message);
        return *more;
      };
    }
    return response;
  });
}

Route AdminApi::relabel(const Call& call) const {
  const std::string_view id_text = call.parameter;
  if (id_text.empty() || id_text.size() > 18 ||
      id_text.find_first_not_of("0123456789") != id_text.npos ||
      id_text.find_first_not_of('0') == id_text.npos) {
    return respond(json_error(400, "expected a message id in the path"));
  }
  const std::int64_t id = std::stoll(std::string(id_text));
  auto intent = string_field(call.request, "intent");
  if (!intent) return respond(json_error(400, intent.error().message));
  if (!is_intent_id(*intent)) return respond(json_error(400, "unknown intent"));
  return job([this, actor = actor_of(call.token), id, intent = std::move(*intent)] {
    // Here, not on the I/O thread: the knowledge base may be mid-reload.
    if (options_.known_intent && !options_.known_intent(intent)) {
      return json_error(400, "unknown intent");
    }
    const Status relabelled = store_.relabel(id, intent, actor, now_ms());
    if (!relabelled) return store_error(relabelled.error());
    return json_response(200, {{"id", id}, {"relabel", intent}});
  });
}

Route AdminApi::canned_replies(const Call&) const {
  // A job: the knowledge base may be mid-reload behind a lock.
  return job([this] {
    Json replies = Json::array();
    if (options_.canned_replies) {
      for (const auto& reply : options_.canned_replies()) {
        replies.push_back(admin_json::canned_reply(reply));
      }
    }
    return json_response(200, {{"replies", std::move(replies)}});
  });
}

Route AdminApi::audit_log(const Call& call) const {
  int limit = 100;
  if (const auto text = parameter(call.query, "limit")) {
    const auto parsed = whole_number(*text, 1, kMaxAuditEntries);
    if (!parsed) {
      return respond(json_error(
          400, "limit must be a whole number from 1 to " + std::to_string(kMaxAuditEntries)));
    }
    limit = *parsed;
  }
  return job([&store = store_, limit] {
    auto entries = store.audit_log(limit);
    if (!entries) return store_error(entries.error());
    Json out = Json::array();
    for (const auto& entry : *entries) out.push_back(admin_json::audit_entry(entry));
    return json_response(200, {{"entries", std::move(out)}});
  });
}

}  // namespace smscoach::gateway

#pragma once
// The admin API under /api/v1/ (SPEC "HTTP"): JSON over bearer tokens, for
// the operator console and for scripts. It validates, authorises and shapes;
// the store behind ConversationAdmin does the work and writes the audit log.

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>
#include <vector>

#include "common/conversations.hpp"
#include "gateway/admin_auth.hpp"
#include "gateway/http_types.hpp"
#include "gateway/router.hpp"

namespace smscoach::gateway {

// The callbacks are called on the server's worker threads.
struct AdminApiOptions {
  // The knowledge base's ready answers; none: an empty list.
  std::function<std::vector<CannedReply>()> canned_replies;
  // Whether an intent id exists, for relabels; none: any well-formed id.
  std::function<bool(std::string_view)> known_intent;
  // Whether operator messages can go out (an outbox sender is running).
  bool outbound_enabled = false;
  // Called after an operator message was queued, to wake the sender.
  std::function<void()> on_message_queued;
  // Unix milliseconds; none: the system clock.
  std::function<std::int64_t()> now_ms;
  // Exports running at once; more get 503 (each holds a thread and a store read).
  int max_concurrent_exports = 2;
};

class AdminApi {
 public:
  // `store` must outlive this object, and this object the server and every
  // route it returned.
  AdminApi(ConversationAdmin& store, AdminAuth auth, AdminApiOptions options = {});

  // nullopt for a path not under /api/v1/. Otherwise, in this order: 401
  // (WWW-Authenticate: Bearer) without a valid bearer token; 404 for an
  // unknown path; 405 with Allow for a known path's wrong method; 403 when
  // the token's role may not; 400 with a reason for bad parameters or JSON;
  // then the call, as a job when it touches the store (role, success):
  //   GET /api/v1/me                               viewer    200 {"name", "role"}
  //   GET /api/v1/conversations?q=&mode=&flagged=&limit=&cursor=
  //                                                viewer    200 {"conversations", "next_cursor"}
  //   GET /api/v1/conversations/{number}           viewer    200 the conversation
  //   DELETE /api/v1/conversations/{number}        admin     200 {"number", "erased": true}
  //   POST .../{number}/takeover                   operator  200 {"number", "mode": "human"}
  //   POST .../{number}/release                    operator  200 {"number", "mode": "bot"}
  //   POST .../{number}/messages {"body"}          operator  202 {"number", "status": "queued"},
  //                                                          409 opted out, 503 no sender
  //   POST .../{number}/notes {"body"}             operator  201 the note
  //   GET /api/v1/handoffs                         viewer    200 {"conversations", "next_cursor"}
  //   GET /api/v1/export?format=jsonl|csv&since=   viewer    200 streamed, chunked
  //   POST /api/v1/messages/{id}/relabel {"intent"} operator 200 {"id", "relabel"}
  //   GET /api/v1/canned-replies                   viewer    200 {"replies"}
  //   GET /api/v1/audit?limit=                     admin     200 {"entries"}
  // Store errors: bad_input 400, not_found 404, conflict 409, unavailable
  // 503, internal 500. Every response but the export itself is JSON
  // ({"error": reason} for errors) with Cache-Control: no-store.
  std::optional<Route> route(const HttpRequest& request) const;

 private:
  struct Call;

  Route dispatch(const Call& call) const;
  // The calls on /conversations/{number}: the number is checked here.
  Route dispatch_conversation(const Call& call) const;
  Route list_conversations(const Call& call) const;
  Route conversation(const Call& call, std::string number) const;
  Route erase(const Call& call, std::string number) const;
  Route take_over(const Call& call, std::string number) const;
  Route release(const Call& call, std::string number) const;
  Route send_message(const Call& call, std::string number) const;
  Route add_note(const Call& call, std::string number) const;
  Route handoffs(const Call& call) const;
  Route export_messages(const Call& call) const;
  Route relabel(const Call& call) const;
  Route canned_replies(const Call& call) const;
  Route audit_log(const Call& call) const;

  std::int64_t now_ms() const;

  ConversationAdmin& store_;
  AdminAuth auth_;
  AdminApiOptions options_;
  // Shared with the exports under way, which give their slot back when they end.
  mutable std::atomic<int> running_exports_{0};
};

}  // namespace smscoach::gateway

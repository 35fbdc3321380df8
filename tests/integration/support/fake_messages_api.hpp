#pragma once
// A stand-in for Twilio's Messages REST API
// (POST /2010-04-01/Accounts/{AccountSid}/Messages.json, see
// shared/reference/sms-protocol.md section 5) served over real HTTP on
// 127.0.0.1, so tests exercise the bot's actual HTTP client: Basic auth,
// keep-alive, timeouts and Twilio's error bodies, scripted per recipient.
//
// POSIX sockets and a thread per connection: gateway/ owns Beast, and a fake
// that shared the server's HTTP code could not catch that code's mistakes.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace smscoach::test {

// One scripted answer.
struct FakeReply {
  int status = 201;    // HTTP status to answer, 200..599
  int error_code = 0;  // Twilio code for the error body when status >= 400 (21610, 20429, ...);
                       // 0 picks the usual one for the status (20429 for 429, 20500 for 5xx)
  std::chrono::milliseconds delay{0};  // waited before answering, to provoke client timeouts
};

// One request to the Messages endpoint, recorded when it arrives.
struct FakeRequest {
  std::string path;
  std::string authorization;                // the raw header, empty when absent
  std::map<std::string, std::string> form;  // decoded To, From, Body, ...; first value of a key
  int answered_status = 0;                  // 0 until answered (or when never answered)
  std::string sid;                          // the "SM..." sid given, for answers below 400
};

class FakeMessagesApi {
 public:
  // Listens on 127.0.0.1:`port` (0: a free port) before returning; throws
  // std::runtime_error when it cannot.
  FakeMessagesApi(std::string account_sid, std::string auth_token, std::uint16_t port = 0);
  // Stops and joins every thread promptly, abandoning delayed answers.
  ~FakeMessagesApi();
  FakeMessagesApi(const FakeMessagesApi&) = delete;
  FakeMessagesApi& operator=(const FakeMessagesApi&) = delete;

  std::uint16_t port() const;
  std::string base_url() const;  // "http://127.0.0.1:PORT"

  // Scripts the answers to requests whose To is `to`, consumed in order;
  // afterwards the default (201, or 400 for a missing field). Replaces what
  // remained of an earlier plan for `to`; an empty list clears it. Throws
  // std::invalid_argument for a status outside 200..599 or a negative delay.
  // A planned answer applies once the request is authenticated, whatever its
  // other fields.
  void plan(const std::string& to, std::vector<FakeReply> replies);

  // Every Messages request received (any auth, any answer), in arrival order.
  std::vector<FakeRequest> requests() const;
  // Only those answered 201. A delayed 201 counts once its delay has passed,
  // even if the client gave up meanwhile: Twilio, too, sends a message whose
  // creation the client never heard about.
  std::vector<FakeRequest> accepted() const;
  // Blocks until accepted().size() >= n or `timeout` passes; returns whether it got there.
  bool wait_for_accepted(std::size_t n, std::chrono::milliseconds timeout) const;

  // Also serves, without auth, for tests not written in C++:
  //   GET  /fake/requests  -> 200, JSON array of {path, form, answered_status, sid}
  //   POST /fake/plan      -> 200, body {"to": "+1555...", "replies": [{"status": 400,
  //                           "error_code": 21610, "delay_ms": 0}, ...]} as for plan()
  void enable_control_endpoints();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace smscoach::test

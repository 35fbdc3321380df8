#pragma once
// Sends the outbox through the Messages REST API: one thread driving a
// libcurl multi handle, so many sends are in flight at once without a
// thread or a blocking call per message. What each response means is
// decided by messages_api; this file only moves bytes and keeps time.

#include <chrono>
#include <memory>

#include "common/outbox.hpp"
#include "gateway/messages_api.hpp"

namespace smscoach::gateway {

class Metrics;

struct RestSenderConfig {
  MessagesApiConfig api;
  RetryPolicy retry;
  std::chrono::milliseconds request_timeout{15000};
  std::chrono::milliseconds connect_timeout{5000};
  // Longer than a request can take, so a live sender never loses its claim.
  std::chrono::milliseconds lease{60000};
  // How often the outbox is looked at when nothing wakes the sender (rows
  // queued by another instance, retries falling due).
  std::chrono::milliseconds poll_interval{1000};
  int max_in_flight = 16;
};

class RestSender {
 public:
  // `outbox` and `metrics` (may be null) must outlive the sender.
  RestSender(RestSenderConfig config, Outbox& outbox, Metrics* metrics);
  // stop() with no grace.
  ~RestSender();
  RestSender(const RestSender&) = delete;
  RestSender& operator=(const RestSender&) = delete;

  // Starts the sending thread.
  void start();
  // Something was queued: look at the outbox now. Thread-safe.
  void wake();
  // Stops claiming, lets sends in flight finish for up to `grace`, then
  // abandons the rest (their rows are retried). Idempotent.
  void stop(std::chrono::milliseconds grace);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace smscoach::gateway

#include "gateway/rest_sender.hpp"

#include <curl/curl.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <mutex>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "common/mask.hpp"
#include "common/thread_name.hpp"
#include "gateway/ascii.hpp"
#include "gateway/metrics.hpp"

namespace smscoach::gateway {

namespace {

using Clock = std::chrono::steady_clock;

constexpr std::size_t kMaxResponseBody = 64 * 1024;

std::int64_t unix_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// libcurl's global state must be set up once, before any other thread uses it.
void init_curl_once() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
      throw std::runtime_error("curl_global_init failed");
    }
  });
}

// One send in flight. Owned by the loop; libcurl holds a pointer to it.
struct Transfer {
  OutboxItem item;
  std::string form;  // libcurl reads the POST body from here, not a copy
  std::string body;
  std::optional<std::chrono::seconds> retry_after;
  curl_slist* headers = nullptr;
  CURL* easy = nullptr;
  char error[CURL_ERROR_SIZE] = {};

  ~Transfer() {
    if (easy) curl_easy_cleanup(easy);
    curl_slist_free_all(headers);
  }
};

std::size_t on_body(char* data, std::size_t size, std::size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const std::size_t n = size * count;
  // A runaway response is cut short; we only need the sid or the error code.
  t->body.append(data, std::min(n, kMaxResponseBody - std::min(kMaxResponseBody, t->body.size())));
  return n;
}

std::size_t on_header(char* data, std::size_t size, std::size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const std::size_t n = size * count;
  std::string_view line(data, n);
  constexpr std::string_view kName = "retry-after:";
  if (line.size() > kName.size() && ascii::iequals(line.substr(0, kName.size()), kName)) {
    line.remove_prefix(kName.size());
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
    long seconds = 0;
    const auto [end, ec] = std::from_chars(line.data(), line.data() + line.size(), seconds);
    if (ec == std::errc{} && end != line.data() && seconds >= 0) {
      t->retry_after = std::chrono::seconds(seconds);
    }
  }
  return n;
}

}  // namespace

struct RestSender::Impl {
  Impl(RestSenderConfig c, Outbox& o, Metrics* m)
      : config(std::move(c)), outbox(o), metrics(m), url(messages_url(config.api)) {
    init_curl_once();
    multi = curl_multi_init();
    if (!multi) throw std::runtime_error("curl_multi_init failed");
    // Keep a few connections to the API warm between bursts.
    curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS, static_cast<long>(config.max_in_flight));
  }

  ~Impl() {
    in_flight.clear();  // easy handles must go before the multi handle
    curl_multi_cleanup(multi);
  }

  void run();
  void claim_more(bool& store_failed);
  std::unique_ptr<Transfer> make_transfer(OutboxItem item);
  void finish_done_transfers(bool& finished_any);
  void report(const SendReport& report, const OutboxItem& item);
  std::chrono::milliseconds idle_wait(bool store_failed, bool claimed_none);
  void abandon_in_flight();

  RestSenderConfig config;
  Outbox& outbox;
  Metrics* metrics;
  const std::string url;
  CURLM* multi = nullptr;
  std::vector<std::unique_ptr<Transfer>> in_flight;
  std::mt19937_64 random{std::random_device{}()};
  std::uniform_real_distribution<double> unit{0.0, 1.0};

  std::thread thread;
  std::atomic<bool> stopping{false};
  std::atomic<std::int64_t> stop_deadline_ms{0};  // steady clock, for the grace period
  std::mutex stop_mutex;                          // one stop() at a time
};

std::unique_ptr<Transfer> RestSender::Impl::make_transfer(OutboxItem item) {
  auto t = std::make_unique<Transfer>();
  t->item = std::move(item);
  t->form = messages_form(t->item, config.api);
  t->easy = curl_easy_init();
  if (!t->easy) return nullptr;
  t->headers = curl_slist_append(t->headers, "Accept: application/json");
  // No "Expect: 100-continue" round trip for a small form.
  t->headers = curl_slist_append(t->headers, "Expect:");
  CURL* e = t->easy;
  curl_easy_setopt(e, CURLOPT_URL, url.c_str());
  curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(e, CURLOPT_POST, 1L);
  curl_easy_setopt(e, CURLOPT_POSTFIELDS, t->form.c_str());
  curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, static_cast<long>(t->form.size()));
  curl_easy_setopt(e, CURLOPT_HTTPHEADER, t->headers);
  curl_easy_setopt(e, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
  curl_easy_setopt(e, CURLOPT_USERNAME, config.api.account_sid.c_str());
  curl_easy_setopt(e, CURLOPT_PASSWORD, config.api.auth_token.c_str());
  curl_easy_setopt(e, CURLOPT_USERAGENT, "smscoach");
  curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, static_cast<long>(config.request_timeout.count()));
  curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(config.connect_timeout.count()));
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, t.get());
  curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(e, CURLOPT_HEADERDATA, t.get());
  curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t->error);
  curl_easy_setopt(e, CURLOPT_PRIVATE, t.get());
  return t;
}

void RestSender::Impl::claim_more(bool& store_failed) {
  const int room = config.max_in_flight - static_cast<int>(in_flight.size());
  if (room <= 0) return;
  auto items = outbox.claim_outbox(unix_ms(), config.lease.count(), room);
  if (!items) {
    store_failed = true;
    spdlog::warn("outbox: cannot claim: {}", items.error().message);
    return;
  }
  for (auto& item : *items) {
    auto t = make_transfer(std::move(item));
    if (!t || curl_multi_add_handle(multi, t->easy) != CURLM_OK) {
      // The lease runs out and the row is tried again.
      spdlog::error("outbox: cannot start a transfer");
      continue;
    }
    in_flight.push_back(std::move(t));
  }
}

void RestSender::Impl::report(const SendReport& r, const OutboxItem& item) {
  const std::string to = mask_number(item.to);
  switch (r.outcome) {
    case SendOutcome::sent:
      spdlog::info("outbox {} to {} sent on attempt {}: {}", item.id, to, item.attempt,
                   r.provider_sid);
      if (metrics) metrics->count_outbox_sent();
      break;
    case SendOutcome::retry:
      spdlog::warn("outbox {} to {} attempt {} failed, retrying in {}ms: {}", item.id, to,
                   item.attempt, r.next_attempt_ms - unix_ms(), r.error);
      if (metrics) metrics->count_outbox_retry();
      break;
    case SendOutcome::failed:
      spdlog::error("outbox {} to {} failed for good on attempt {}: {}", item.id, to,
                    item.attempt, r.error);
      if (metrics) metrics->count_outbox_failure();
      break;
    case SendOutcome::recipient_opted_out:
      spdlog::warn("outbox {} to {}: the provider says the texter opted out; marked opted out",
                   item.id, to);
      if (metrics) metrics->count_outbox_failure();
      break;
  }
  if (auto done = outbox.complete_outbox(r, unix_ms()); !done) {
    // The lease runs out and the row is tried again: a repeat, never a loss.
    spdlog::error("outbox {}: cannot record the outcome: {}", item.id, done.error().message);
  }
}

void RestSender::Impl::finish_done_transfers(bool& finished_any) {
  int queued = 0;
  while (CURLMsg* msg = curl_multi_info_read(multi, &queued)) {
    if (msg->msg != CURLMSG_DONE) continue;
    CURL* easy = msg->easy_handle;
    const CURLcode result = msg->data.result;
    Transfer* raw = nullptr;
    curl_easy_getinfo(easy, CURLINFO_PRIVATE, &raw);
    curl_multi_remove_handle(multi, easy);

    ApiResponse response;
    if (result != CURLE_OK) {
      response.transport_error = true;
      response.transport_message = raw->error[0] ? raw->error : curl_easy_strerror(result);
    } else {
      curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &response.http_status);
      response.body = std::move(raw->body);
      response.retry_after = raw->retry_after;
    }
    report(interpret_response(raw->item, response, config.retry, unix_ms(), unit(random)),
           raw->item);
    std::erase_if(in_flight, [raw](const auto& t) { return t.get() == raw; });
    finished_any = true;
  }
}

std::chrono::milliseconds RestSender::Impl::idle_wait(bool store_failed, bool claimed_none) {
  using std::chrono::milliseconds;
  milliseconds wait = config.poll_interval;
  if (!store_failed && !stopping) {
    if (auto due = outbox.next_outbox_due(); due && due->has_value()) {
      const auto until = milliseconds(**due - unix_ms());
      // A row already due that could not be claimed waits behind an earlier
      // row of the same texter: its turn comes at a completion or a poll.
      if (until > milliseconds(0) || !claimed_none) wait = std::min(wait, until);
    }
  }
  if (stopping) {
    const auto left = milliseconds(stop_deadline_ms.load() -
                                   std::chrono::duration_cast<milliseconds>(
                                       Clock::now().time_since_epoch())
                                       .count());
    wait = std::min(wait, left);
  }
  return std::max(wait, milliseconds(0));
}

// Whatever did not finish in the grace period may or may not have reached
// the provider; it goes back to the queue, as after a crash.
void RestSender::Impl::abandon_in_flight() {
  for (auto& t : in_flight) {
    curl_multi_remove_handle(multi, t->easy);
    SendReport r;
    r.id = t->item.id;
    r.attempt = t->item.attempt;
    r.outcome = SendOutcome::retry;
    r.error = "interrupted by shutdown";
    r.next_attempt_ms = unix_ms();
    if (auto done = outbox.complete_outbox(r, unix_ms()); !done) {
      spdlog::error("outbox {}: cannot requeue: {}", t->item.id, done.error().message);
    }
  }
  if (!in_flight.empty()) {
    spdlog::warn("outbox: {} sends interrupted by shutdown, queued again", in_flight.size());
  }
  in_flight.clear();
}

void RestSender::Impl::run() {
  for (;;) {
    bool store_failed = false;
    const std::size_t before = in_flight.size();
    if (!stopping) claim_more(store_failed);
    const bool claimed_none = in_flight.size() == before;

    int running = 0;
    curl_multi_perform(multi, &running);
    bool finished_any = false;
    finish_done_transfers(finished_any);

    if (stopping) {
      const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                           Clock::now().time_since_epoch())
                           .count();
      if (in_flight.empty() || now >= stop_deadline_ms.load()) break;
    }
    // A completion may have unblocked the next text of the same texter.
    if (finished_any && !stopping) continue;
    const auto wait = idle_wait(store_failed, claimed_none);
    curl_multi_poll(multi, nullptr, 0, static_cast<int>(wait.count()), nullptr);
  }
  abandon_in_flight();
}

RestSender::RestSender(RestSenderConfig config, Outbox& outbox, Metrics* metrics)
    : impl_(std::make_unique<Impl>(std::move(config), outbox, metrics)) {}

RestSender::~RestSender() { stop(std::chrono::milliseconds(0)); }

void RestSender::start() {
  if (impl_->thread.joinable()) return;
  impl_->thread = std::thread([impl = impl_.get()] {
    name_this_thread("outbox-sender");
    try {
      impl->run();
    } catch (const std::exception& e) {
      spdlog::critical("outbox sender stopped: {}", e.what());
    }
  });
}

void RestSender::wake() { curl_multi_wakeup(impl_->multi); }

void RestSender::stop(std::chrono::milliseconds grace) {
  std::lock_guard lock(impl_->stop_mutex);
  if (!impl_->thread.joinable()) return;
  impl_->stop_deadline_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now().time_since_epoch() + grace)
          .count();
  impl_->stopping = true;
  wake();
  impl_->thread.join();
}

}  // namespace smscoach::gateway

#include <spdlog/spdlog.h>

#include <algorithm>
#include <condition_variable>
#include <fstream>
#include <iostream>
#include <mutex>
#include <sstream>
#include <thread>

#include "bot/buffered_log_sink.hpp"
#include "bot/commands.hpp"
#include "bot/log_format.hpp"
#include "bot/runtime.hpp"
#include "common/await_callback.hpp"
#include "common/mask.hpp"
#include "common/request_context.hpp"
#include "common/thread_name.hpp"
#include "dialogue/service.hpp"
#include "dialogue/store/postgres_store.hpp"
#include "content/intent_ids.hpp"
#include "dialogue/handoff_timeout.hpp"
#include "gateway/admin_api.hpp"
#include "gateway/admin_auth.hpp"
#include "gateway/metrics.hpp"
#include "gateway/rest_sender.hpp"
#include "gateway/server.hpp"

namespace smscoach::bot {

namespace {

std::int64_t unix_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             dialogue::Clock::now().time_since_epoch())
      .count();
}

// The gateway's view of the program: a text in, replies out (in the TwiML,
// or through the outbox when a sender is given).
class ServiceSmsApplication final : public gateway::SmsApplication {
 public:
  ServiceSmsApplication(dialogue::Service& service, gateway::Metrics& metrics,
                        gateway::RestSender* sender)
      : service_(service), metrics_(metrics), sender_(sender) {}

  Expected<std::vector<std::string>> handle_sms(const InboundSms& sms) override {
    return await_callback<Expected<std::vector<std::string>>>(
        [&](SmsDone done) { handle_sms_then(sms, std::move(done)); });
  }

  void handle_sms_then(const InboundSms& sms, SmsDone done) override {
    service_.handle_then(
        sms, dialogue::Clock::now(),
        [this, from = sms.from, request_id = std::string(current_request_id()),
         done = std::move(done)](Expected<dialogue::HandledTurn> turn) {
          // Maybe on the store's thread: the log line keeps its request id.
          const RequestIdScope scope(request_id);
          done(answer(from, std::move(turn)));
        });
  }

  Status record_delivery(const gateway::DeliveryStatus& status) override {
    auto recorded = service_.store().record_delivery(status.message_sid, status.status,
                                                     status.error_code, unix_ms());
    if (!recorded) {
      spdlog::warn("status callback for {} ({}): {}", status.message_sid, status.status,
                   recorded.error().message);
    }
    return recorded;
  }

  bool ready() override { return service_.store().ping().has_value(); }

  gateway::StoreGauges gauges() override {
    gateway::StoreGauges out;
    if (auto counts = service_.store().counts()) {
      out.handoffs_open = counts->handoffs_open;
      out.outbox_depth = counts->outbox_depth;
      out.outbox_failed = counts->outbox_failed;
    }
    out.group_commit = service_.store().group_commit_figures();
    return out;
  }

 private:
  Expected<std::vector<std::string>> answer(const std::string& from,
                                            Expected<dialogue::HandledTurn> turn) {
    if (!turn) {
      spdlog::error("turn failed for {}: {}", mask_number(from), turn.error().message);
      return turn.error();
    }
    count(*turn);
    spdlog::info("text from {} intent={} confidence={:.2f} replies={}{}{}", mask_number(from),
                 turn->intent, turn->confidence, turn->replies.size(),
                 turn->duplicate ? " duplicate" : "", turn->rate_limited ? " rate-limited" : "");
    if (!sender_) return std::move(turn->replies);
    // REST mode: the replies were queued with the turn; Twilio gets an empty
    // <Response/> now, a repeat included.
    if (!turn->duplicate && !turn->replies.empty()) sender_->wake();
    return std::vector<std::string>{};
  }

  void count(const dialogue::HandledTurn& turn) {
    if (turn.duplicate) return metrics_.count_duplicate();
    metrics_.count_text(turn.intent);
    if (turn.rate_limited) metrics_.count_rate_limited();
    metrics_.count_replies(turn.replies.size());
    if (turn.intent == "opt_out") metrics_.count_opt_out();
    if (turn.intent == "opt_in") metrics_.count_opt_in();
  }

  dialogue::Service& service_;
  gateway::Metrics& metrics_;
  gateway::RestSender* sender_;
};

struct ListenAddress {
  std::string host;
  std::uint16_t port = 0;
};

ListenAddress parse_listen(const std::string& listen) {
  const auto colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == listen.size()) {
    throw CommandError{kExitUsage, "--listen " + listen + ": expected HOST:PORT"};
  }
  ListenAddress out;
  out.host = listen.substr(0, colon);
  if (out.host.size() > 2 && out.host.front() == '[' && out.host.back() == ']') {
    out.host = out.host.substr(1, out.host.size() - 2);
  }
  const std::string port = listen.substr(colon + 1);
  if (port.find_first_not_of("0123456789") != std::string::npos || port.size() > 5 ||
      std::stoul(port) > 65535) {
    throw CommandError{kExitUsage, "--listen " + listen + ": port must be 0-65535"};
  }
  if (out.host == "localhost") out.host = "127.0.0.1";
  out.port = static_cast<std::uint16_t>(std::stoul(port));
  return out;
}

// On SQLite a worker's turn never waits on a commit, so a thread a core is
// enough: more only wake and preempt one another (measured: 4 on 2 cores
// gave 8% fewer texts/s than 2). Two at least, so that a slow staff request
// leaves a worker for texts.
long default_sqlite_workers() {
  return std::max(2L, static_cast<long>(std::thread::hardware_concurrency()));
}

bool is_loopback(const std::string& host) { return host.starts_with("127.") || host == "::1"; }

const std::vector<FlagSpec>& serve_flags() {
  static const std::vector<FlagSpec> flags = [] {
    std::vector<FlagSpec> f = {
        {"listen", "HOST:PORT", "address to serve on (default 127.0.0.1:8080; port 0 picks one)"},
        {"workers", "N",
         "threads that run turns and staff requests (default: one a core, at least 2, on "
         "SQLite; 32 on PostgreSQL). On PostgreSQL a turn holds its worker until it commits, so "
         "more workers let more texts share a commit; on SQLite the worker hands the write to "
         "the store's writer thread and moves on, and more threads than cores only take turns "
         "on them. A text whose texter's last text is still being stored waits in a queue, not "
         "on a worker"},
        {"public-url", "URL", "the base URL the provider signs, e.g. https://sms.example.com"},
        {"twilio-auth-token", "TOKEN", "Twilio auth token; without it: dev mode, loopback only"},
        {"twilio-account-sid", "SID",
         "Twilio account SID (AC...): sends operator messages, and replies with --reply-mode rest"},
        {"twilio-api-base", "URL", "Messages API base URL (default https://api.twilio.com)"},
        {"reply-mode", "MODE",
         "twiml (default: replies ride in the webhook response) or rest (the outbox and the "
         "Messages API)"},
        {"rate-limit", "N", "texts answered per texter in any minute (default 10, 0 = off)"},
        {"outbox-backoff-ms", "MS", "first retry delay of a failed send; doubles (default 1000)"},
        {"outbox-max-attempts", "N", "send attempts before a reply fails for good (default 10)"},
        {"outbox-timeout-ms", "MS", "how long one send may take (default 15000)"},
        {"outbox-lease-ms", "MS",
         "how long a claimed send is this instance's before another may take it over: how soon "
         "an instance's sends resume after it dies, on a shared store (default 60000, at least "
         "twice --outbox-timeout-ms)"},
        {"log-format", "FORMAT", "json (default: one JSON object a line) or text"},
        {"admin-token", "ROLE:NAME:TOKEN",
         "a staff token for the admin API and console; ROLE viewer, operator or admin", true},
        {"admin-tokens-file", "PATH", "staff tokens, one ROLE:NAME:TOKEN a line (# comments)"},
        {"handoff-timeout-minutes", "N",
         "a handoff with no operator message for this long returns to the bot (default 1440)"},
    };
    for (auto& s : content_flags()) f.push_back(s);
    for (auto& s : store_flags()) f.push_back(s);
    return f;
  }();
  return flags;
}

bool is_http_url(const std::string& url) {
  return url.starts_with("http://") || url.starts_with("https://");
}

// What the outbox sender needs, checked before anything starts. It runs
// whenever there are REST credentials (operator messages always go that way);
// --reply-mode rest requires them.
std::optional<gateway::RestSenderConfig> rest_sender_config(const ParsedArgs& args,
                                                            const gateway::ServerConfig& server,
                                                            bool required) {
  gateway::RestSenderConfig config;
  config.api.account_sid = args.get("twilio-account-sid").value_or("");
  config.api.auth_token = server.twilio_auth_token;
  config.api.api_base = args.get("twilio-api-base").value_or("https://api.twilio.com");
  if (config.api.account_sid.empty() || config.api.auth_token.empty()) {
    if (!required && config.api.account_sid.empty()) return std::nullopt;
    throw CommandError{kExitUsage, std::string(required ? "--reply-mode rest" : "--twilio-account-sid") +
                                       " needs --twilio-account-sid and --twilio-auth-token"};
  }
  if (!is_http_url(config.api.api_base)) {
    throw CommandError{kExitUsage,
                       "--twilio-api-base " + config.api.api_base + ": expected an http(s) URL"};
  }
  std::string base = server.public_url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  config.api.status_callback_url = base + "/sms/twilio/status";
  config.retry.backoff_base =
      std::chrono::milliseconds(whole_number_flag(args, "outbox-backoff-ms", 1000, 1, 3'600'000));
  config.retry.max_attempts =
      static_cast<int>(whole_number_flag(args, "outbox-max-attempts", 10, 1, 100));
  config.request_timeout =
      std::chrono::milliseconds(whole_number_flag(args, "outbox-timeout-ms", 15000, 100, 600'000));
  // A lease must outlast the send it covers, or a slow send could go twice.
  const long min_lease = 2 * config.request_timeout.count();
  config.lease = std::chrono::milliseconds(whole_number_flag(
      args, "outbox-lease-ms", std::max(60000L, min_lease), min_lease, 86'400'000));
  return config;
}

std::vector<gateway::AdminToken> load_admin_tokens(const ParsedArgs& args) {
  std::vector<gateway::AdminToken> tokens;
  if (const auto it = args.values.find("admin-token"); it != args.values.end()) {
    for (const auto& spec : it->second) {
      auto token = gateway::parse_admin_token(spec);
      // The token itself never goes into an error message.
      if (!token) throw CommandError{kExitUsage, "--admin-token: " + token.error().message};
      tokens.push_back(std::move(*token));
    }
  }
  if (const auto path = args.get("admin-tokens-file")) {
    std::ifstream in(*path);
    if (!in) throw CommandError{kExitFailure, "cannot read --admin-tokens-file " + *path};
    std::stringstream text;
    text << in.rdbuf();
    auto from_file = gateway::parse_admin_tokens_file(text.str(), *path);
    if (!from_file) throw CommandError{kExitFailure, from_file.error().message};
    for (auto& t : *from_file) tokens.push_back(std::move(t));
  }
  return tokens;
}

gateway::AdminApiOptions admin_options(dialogue::Service& service, gateway::RestSender* sender) {
  gateway::AdminApiOptions options;
  options.canned_replies = [&service] {
    std::vector<CannedReply> out;
    for (const auto& faq : service.knowledge()->kb.faqs) {
      out.push_back({faq.id, faq.question, faq.answer});
    }
    return out;
  };
  options.known_intent = [&service](std::string_view intent) {
    if (content::is_core_intent(intent)) return true;
    return intent.starts_with(content::kFaqPrefix) &&
           service.knowledge()->kb.find_faq(intent.substr(content::kFaqPrefix.size())) != nullptr;
  };
  options.outbound_enabled = sender != nullptr;
  if (sender) options.on_message_queued = [sender] { sender->wake(); };
  return options;
}

// Hands idle handoffs back to the bot, once a minute, on a thread of its own.
class HandoffSweeper {
 public:
  HandoffSweeper(dialogue::Store& store, dialogue::Service& service, gateway::RestSender* sender,
                 std::chrono::minutes timeout)
      : thread_([this, &store, &service, sender, timeout] {
          name_this_thread("handoff-sweep");
          std::unique_lock lock(mutex_);
          while (!stopping_) {
            lock.unlock();
            auto released = dialogue::release_idle_handoffs(
                store, service.knowledge()->kb.program, dialogue::Clock::now(), timeout,
                sender != nullptr);
            if (!released) {
              spdlog::warn("handoff timeout check failed: {}", released.error().message);
            } else if (*released > 0) {
              spdlog::info("{} idle handoffs returned to the bot", *released);
              if (sender) sender->wake();
            }
            lock.lock();
            wake_.wait_for(lock, std::chrono::minutes(1), [this] { return stopping_; });
          }
        }) {}
  ~HandoffSweeper() { stop(); }

  void stop() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

 private:
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;  // last: starts once the members above exist
};

}  // namespace

int run_serve(const Args& argv) {
  const auto args = parse_or_usage(
      argv, serve_flags(), "serve [flags]",
      "Runs the HTTP server: the Twilio webhook at POST /sms/twilio, its status\n"
      "callbacks at POST /sms/twilio/status, GET /healthz, /readyz and /metrics.\n"
      "SIGTERM stops it cleanly; SIGHUP reloads the knowledge base.");
  if (!args) return 0;

  const auto log_format = parse_log_format(args->get("log-format").value_or("json"));
  if (!log_format) {
    throw CommandError{kExitUsage, "--log-format " + *args->get("log-format") +
                                       ": expected json or text"};
  }
  buffer_stderr_log_lines(std::chrono::milliseconds(100));
  configure_logging(*log_format);

  const auto listen = parse_listen(args->get("listen").value_or("127.0.0.1:8080"));
  gateway::ServerConfig config;
  config.address = listen.host;
  config.port = listen.port;
  const bool on_postgres = dialogue::is_postgres_url(args->get("db").value_or(""));
  config.worker_threads = static_cast<unsigned>(
      whole_number_flag(*args, "workers", on_postgres ? 32 : default_sqlite_workers(), 1, 1024));
  config.public_url = args->get("public-url").value_or("");
  config.twilio_auth_token = args->get("twilio-auth-token").value_or("");
  if (config.twilio_auth_token.empty()) {
    if (!is_loopback(listen.host)) {
      throw CommandError{kExitUsage, "dev mode (no --twilio-auth-token) serves loopback only, not " +
                                         listen.host};
    }
    spdlog::warn("DEV MODE: no --twilio-auth-token, webhook signatures are NOT checked; "
                 "never expose this server");
  } else if (config.public_url.empty()) {
    throw CommandError{kExitUsage, "--twilio-auth-token needs --public-url (the URL Twilio signs)"};
  }

  const std::string reply_mode = args->get("reply-mode").value_or("twiml");
  if (reply_mode != "twiml" && reply_mode != "rest") {
    throw CommandError{kExitUsage, "--reply-mode " + reply_mode + ": expected twiml or rest"};
  }
  const auto sender_config = rest_sender_config(*args, config, reply_mode == "rest");
  const auto admin_tokens = load_admin_tokens(*args);
  const auto handoff_timeout = std::chrono::minutes(
      whole_number_flag(*args, "handoff-timeout-minutes", 24 * 60, 1, 525'600));

  dialogue::ServiceOptions service_options;
  service_options.rate_limit_per_minute =
      static_cast<int>(whole_number_flag(*args, "rate-limit", 10, 0, 999'999));
  service_options.queue_replies = reply_mode == "rest";
  // A text that waited for its texter's earlier turn goes to the workers,
  // not to the thread that finished that turn (the store's, on SQLite).
  // Texts arrive only once the server exists.
  std::unique_ptr<gateway::Server> server;
  service_options.run_waiting_turn = [&server](std::function<void()> turn) {
    server->post_to_workers(std::move(turn));
  };

  const auto dir = content_dir(*args);
  auto knowledge = load_knowledge(dir);
  auto store = open_store(*args);
  dialogue::Service service(*store, knowledge, service_options);

  gateway::Metrics metrics;
  config.metrics = &metrics;
  std::unique_ptr<gateway::RestSender> sender;
  if (sender_config) {
    // This process owns a SQLite file: whatever was being sent when the last
    // one died goes out again now. A shared PostgreSQL store has other
    // instances sending: their leases are left to run out.
    if (auto released = on_postgres ? Status(Ok{}) : store->release_outbox_leases(); !released) {
      throw CommandError{kExitFailure, "cannot read the outbox: " + released.error().message};
    }
    sender = std::make_unique<gateway::RestSender>(*sender_config, *store, &metrics);
  }
  ServiceSmsApplication app(service, metrics, service_options.queue_replies ? sender.get() : nullptr);

  std::unique_ptr<gateway::AdminApi> admin;
  if (!admin_tokens.empty()) {
    admin = std::make_unique<gateway::AdminApi>(
        *store, gateway::AdminAuth(admin_tokens),
        admin_options(service, sender.get()));
    config.admin = admin.get();
  } else {
    spdlog::warn("no --admin-token: the admin API and console are closed");
  }

  config.on_reload = [&service, dir] {
    try {
      service.set_knowledge(load_knowledge(dir));
      spdlog::info("knowledge base reloaded from {}", dir.string());
    } catch (const CommandError& e) {
      spdlog::error("reload refused, keeping the current knowledge base: {}", e.message);
    }
  };

  try {
    server = std::make_unique<gateway::Server>(config, app);
  } catch (const std::exception& e) {
    throw CommandError{kExitFailure, std::string("cannot listen on ") + listen.host + ":" +
                                         std::to_string(listen.port) + ": " + e.what()};
  }
  if (sender) {
    sender->start();
    spdlog::info("replies go through the Messages API at {}", sender_config->api.api_base);
  }
  // Tests and scripts read the bound port from this line.
  std::cout << "listening on " << (listen.host.find(':') != std::string::npos
                                       ? "[" + listen.host + "]"
                                       : listen.host)
            << ":" << server->port() << std::endl;
  HandoffSweeper sweeper(*store, service, sender.get(), handoff_timeout);
  server->run();
  sweeper.stop();
  // Sends under way get a moment to finish; the rest stay queued for next time.
  if (sender) sender->stop(std::chrono::seconds(5));
  spdlog::info("stopped");
  return 0;
}

}  // namespace smscoach::bot

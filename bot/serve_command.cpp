#include <spdlog/spdlog.h>

#include <iostream>

#include "bot/commands.hpp"
#include "bot/runtime.hpp"
#include "common/mask.hpp"
#include "dialogue/service.hpp"
#include "gateway/server.hpp"

namespace smscoach::bot {

namespace {

// The gateway's view of the program: a text in, replies out.
class ServiceSmsApplication final : public gateway::SmsApplication {
 public:
  explicit ServiceSmsApplication(dialogue::Service& service) : service_(service) {}

  Expected<std::vector<std::string>> handle_sms(const InboundSms& sms) override {
    auto turn = service_.handle(sms, dialogue::Clock::now());
    if (!turn) {
      spdlog::error("turn failed for {}: {}", mask_number(sms.from), turn.error().message);
      return turn.error();
    }
    spdlog::info("text from {} intent={} confidence={:.2f} replies={}{}{}", mask_number(sms.from),
                 turn->intent, turn->confidence, turn->replies.size(),
                 turn->duplicate ? " duplicate" : "", turn->rate_limited ? " rate-limited" : "");
    return std::move(turn->replies);
  }

  bool ready() override { return service_.store().ping().has_value(); }

 private:
  dialogue::Service& service_;
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

bool is_loopback(const std::string& host) { return host.starts_with("127.") || host == "::1"; }

const std::vector<FlagSpec>& serve_flags() {
  static const std::vector<FlagSpec> flags = [] {
    std::vector<FlagSpec> f = {
        {"listen", "HOST:PORT", "address to serve on (default 127.0.0.1:8080; port 0 picks one)"},
        {"public-url", "URL", "the base URL the provider signs, e.g. https://sms.example.com"},
        {"twilio-auth-token", "TOKEN", "Twilio auth token; without it: dev mode, loopback only"},
        {"rate-limit", "N", "texts answered per texter in any minute (default 10, 0 = off)"},
    };
    for (auto& s : content_flags()) f.push_back(s);
    for (auto& s : store_flags()) f.push_back(s);
    return f;
  }();
  return flags;
}

}  // namespace

int run_serve(const Args& argv) {
  const auto args = parse_or_usage(argv, serve_flags(), "serve [flags]",
                                   "Runs the HTTP server: the Twilio webhook at POST /sms/twilio,\n"
                                   "GET /healthz and GET /readyz. SIGTERM stops it cleanly;\n"
                                   "SIGHUP reloads the knowledge base.");
  if (!args) return 0;

  const auto listen = parse_listen(args->get("listen").value_or("127.0.0.1:8080"));
  gateway::ServerConfig config;
  config.address = listen.host;
  config.port = listen.port;
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

  dialogue::ServiceOptions service_options;
  if (const auto limit = args->get("rate-limit")) {
    if (limit->empty() || limit->size() > 6 ||
        limit->find_first_not_of("0123456789") != std::string::npos) {
      throw CommandError{kExitUsage, "--rate-limit " + *limit + ": expected a whole number, 0 or more"};
    }
    service_options.rate_limit_per_minute = std::stoi(*limit);
  }

  const auto dir = content_dir(*args);
  auto knowledge = load_knowledge(dir);
  auto store = open_store(*args);
  dialogue::Service service(*store, knowledge, service_options);
  ServiceSmsApplication app(service);

  config.on_reload = [&service, dir] {
    try {
      service.set_knowledge(load_knowledge(dir));
      spdlog::info("knowledge base reloaded from {}", dir.string());
    } catch (const CommandError& e) {
      spdlog::error("reload refused, keeping the current knowledge base: {}", e.message);
    }
  };

  std::unique_ptr<gateway::Server> server;
  try {
    server = std::make_unique<gateway::Server>(config, app);
  } catch (const std::exception& e) {
    throw CommandError{kExitFailure, std::string("cannot listen on ") + listen.host + ":" +
                                         std::to_string(listen.port) + ": " + e.what()};
  }
  // Tests and scripts read the bound port from this line.
  std::cout << "listening on " << (listen.host.find(':') != std::string::npos
                                       ? "[" + listen.host + "]"
                                       : listen.host)
            << ":" << server->port() << std::endl;
  server->run();
  spdlog::info("stopped");
  return 0;
}

}  // namespace smscoach::bot

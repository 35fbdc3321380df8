#include "gateway/router.hpp"

#include <chrono>
#include <string_view>
#include <utility>

#include "common/mask.hpp"
#include "gateway/admin_api.hpp"
#include "gateway/console_assets.hpp"
#include "gateway/error_response.hpp"
#include "gateway/twiml.hpp"

namespace smscoach::gateway {

namespace {

constexpr std::string_view kTwilioPath = "/sms/twilio";
constexpr std::string_view kStatusPath = "/sms/twilio/status";
constexpr std::string_view kMetricsPath = "/metrics";
constexpr std::string_view kHealthPath = "/healthz";
constexpr std::string_view kReadyPath = "/readyz";
constexpr std::string_view kConsolePath = "/console";
constexpr std::string_view kConsolePrefix = "/console/";
constexpr std::string_view kAdminApiPrefix = "/api/v1/";

HttpResponse text_response(std::string body) {
  HttpResponse response;
  response.body = std::move(body);
  return response;
}

HttpResponse method_not_allowed(std::string allowed) {
  HttpResponse response = error_response(405, "method not allowed");
  response.extra_headers.emplace_back("Allow", std::move(allowed));
  return response;
}

}  // namespace

Router::Router(SmsApplication& app, WebhookSecurity security, Metrics& metrics,
               const AdminApi* admin)
    : app_(app), security_(std::move(security)), metrics_(metrics), admin_(admin) {}

Route Router::route_webhook(const HttpRequest& request) const {
  const auto started = std::chrono::steady_clock::now();
  const auto timed = [&metrics = metrics_, started](HttpResponse response) {
    metrics.observe_webhook(std::chrono::steady_clock::now() - started, response.status);
    return response;
  };
  if (request.method != "POST") return {timed(method_not_allowed("POST")), {}};
  WebhookDecode decoded = decode_twilio_webhook(request, security_);
  if (!decoded.ok()) return {timed(decoded.error()), {}};
  std::string masked_from = mask_number(decoded.sms().from);
  auto job = [&app = app_, timed,
              sms = std::get<InboundSms>(std::move(decoded.result))](Respond respond) {
    app.handle_sms_then(sms, [timed, respond = std::move(respond)](
                                 Expected<std::vector<std::string>> replies) {
      if (!replies) return respond(timed(response_for_error(replies.error())));
      HttpResponse response;
      response.content_type = "text/xml";
      response.body = twiml_response(*replies);
      respond(timed(std::move(response)));
    });
  };
  return {AsyncJob(std::move(job)), std::move(masked_from)};
}

Route Router::route_status_callback(const HttpRequest& request) const {
  if (request.method != "POST") return {method_not_allowed("POST"), {}};
  StatusCallbackDecode decoded = decode_status_callback(request, security_);
  if (!decoded.ok()) return {decoded.error(), {}};
  auto job = [&app = app_, &metrics = metrics_, status = decoded.status()] {
    metrics.count_status_callback();
    auto recorded = app.record_delivery(status);
    if (!recorded && recorded.error().code != ErrorCode::not_found) {
      return response_for_error(recorded.error());
    }
    return text_response("ok");
  };
  return {std::function<HttpResponse()>(std::move(job)), {}};
}

Route Router::route(const HttpRequest& request) const {
  const std::string_view path = request.path();

  if (path == kTwilioPath) return route_webhook(request);
  if (path == kStatusPath) return route_status_callback(request);

  if (path == kMetricsPath) {
    if (request.method != "GET") return {method_not_allowed("GET"), {}};
    auto job = [&app = app_, &metrics = metrics_] {
      HttpResponse response;
      response.content_type = std::string(Metrics::kContentType);
      response.body = metrics.render(app.gauges());
      return response;
    };
    return {std::function<HttpResponse()>(std::move(job)), {}};
  }

  if (path == kHealthPath) {
    if (request.method != "GET") return {method_not_allowed("GET"), {}};
    return {text_response("ok"), {}};
  }

  if (path == kReadyPath) {
    if (request.method != "GET") return {method_not_allowed("GET"), {}};
    auto job = [&app = app_] {
      return app.ready() ? text_response("ready") : error_response(503, "not ready");
    };
    return {std::function<HttpResponse()>(std::move(job)), {}};
  }

  if (path.starts_with(kAdminApiPrefix) && admin_ != nullptr) {
    if (auto routed = admin_->route(request)) return std::move(*routed);
  }

  if (path == kConsolePath || path.starts_with(kConsolePrefix)) {
    if (request.method != "GET") return {method_not_allowed("GET"), {}};
    if (path == kConsolePath) {
      // Relative URLs in the console's page resolve against /console/.
      HttpResponse response = error_response(301, "moved to /console/");
      response.extra_headers.emplace_back("Location", "/console/");
      return {std::move(response), {}};
    }
    if (auto asset = console_asset(path)) return {std::move(*asset), {}};
  }

  return {error_response(404, "not found"), {}};
}

}  // namespace smscoach::gateway

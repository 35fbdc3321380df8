#pragma once
// Which endpoint answers a request, and how: a function of the request alone,
// so every route is testable without sockets. Work that blocks (the
// application, the readiness probe) comes back as a job for the worker pool.

#include <functional>
#include <string>
#include <variant>

#include "gateway/http_types.hpp"
#include "gateway/metrics.hpp"
#include "gateway/sms_application.hpp"
#include "gateway/twilio_webhook.hpp"

namespace smscoach::gateway {

class AdminApi;

// Gives an asynchronous job's response; callable from any thread, once.
using Respond = std::function<void(HttpResponse)>;
// A job that answers through `respond`, maybe after it returns: the webhook's
// answer waits for the disk, and no thread waits with it.
using AsyncJob = std::function<void(Respond)>;

struct Route {
  // The response, a blocking job that produces it, or an asynchronous job
  // that answers it. A job may throw; the caller turns that into a 500.
  std::variant<HttpResponse, std::function<HttpResponse()>, AsyncJob> action;
  // The sender, masked, for the request log line; empty when there is none.
  std::string masked_from;
};

class Router {
 public:
  // `app`, `metrics` and `admin` must outlive the router and every job it
  // returns. No `admin`: the admin API's paths answer 404.
  Router(SmsApplication& app, WebhookSecurity security, Metrics& metrics,
         const AdminApi* admin = nullptr);

  //   POST /sms/twilio        -> decode_twilio_webhook, then app.handle_sms_then (an async job):
  //                              200 text/xml TwiML of the replies, or response_for_error;
  //                              every outcome timed into the webhook histogram
  //   POST /sms/twilio/status -> decode_status_callback, then app.record_delivery (a job):
  //                              200, also for a sid that is not ours (a retry cannot
  //                              help); 503 when the store failed
  //   GET /healthz            -> 200 "ok"
  //   GET /readyz             -> app.ready() (a job): 200 "ready" or 503 "not ready"
  //   GET /metrics            -> Prometheus text with app.gauges() (a job)
  //   /api/v1/...             -> the admin API (see AdminApi::route)
  //   GET /console            -> 301 to /console/
  //   GET /console/...        -> the console's files (console_asset), or 404
  // A known path with another method -> 405 with Allow; anything else -> 404.
  Route route(const HttpRequest& request) const;

 private:
  Route route_webhook(const HttpRequest& request) const;
  Route route_status_callback(const HttpRequest& request) const;

  SmsApplication& app_;
  WebhookSecurity security_;
  Metrics& metrics_;
  const AdminApi* admin_;
};

}  // namespace smscoach::gateway

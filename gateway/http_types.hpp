#pragma once
// Plain request/response values, so routing and handlers are testable
// without Boost.Beast (whose headers stay inside gateway/*.cpp).

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace smscoach::gateway {

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string target;  // raw request-target bytes, path and query, as received
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  // Case-insensitive header lookup; empty when absent.
  std::string_view header(std::string_view name) const;
  // The target without its query string.
  std::string_view path() const;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  std::vector<std::pair<std::string, std::string>> extra_headers;
  // For a body too big to hold in memory (an export). When set, the response
  // goes out with chunked transfer encoding: `body` first (when not empty),
  // then each chunk this produces. It is called on a worker thread, one call
  // at a time, and may block: it fills `chunk` and returns true, or returns
  // false at the end (a chunk it filled then still goes out). If it throws,
  // the connection is cut before the last chunk, so the client sees an
  // incomplete transfer instead of a file that looks whole.
  std::function<bool(std::string& chunk)> stream;
};

// A plain-text error response with the reason in the body.
HttpResponse error_response(int status, std::string reason);

}  // namespace smscoach::gateway

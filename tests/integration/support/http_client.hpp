#pragma once
// A blocking HTTP client for black-box tests against a server on 127.0.0.1.
// Built on libcurl so that requests look like a real client's, not like the
// server's own code.

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace smscoach::test {

using Fields = std::vector<std::pair<std::string, std::string>>;
using Headers = std::vector<std::pair<std::string, std::string>>;

struct HttpResult {
  long status = 0;
  std::string body;
  std::string content_type;  // empty when the server sent none
  Headers headers;           // as received, in order

  // First header of that name (case-insensitive); empty when absent.
  std::string header(std::string_view name) const;
};

class HttpClient {
 public:
  // Each request gives up after `timeout_ms`; transport failures (refused,
  // timed out) throw std::runtime_error: an HTTP error status does not.
  explicit HttpClient(long timeout_ms = 10000);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // POST application/x-www-form-urlencoded, each name and value escaped with
  // curl_easy_escape, in the order given.
  HttpResult post_form(std::uint16_t port, std::string_view path, const Fields& fields,
                       const Headers& extra_headers = {});
  HttpResult get(std::uint16_t port, std::string_view path, const Headers& extra_headers = {});
  HttpResult post_raw(std::uint16_t port, std::string_view path, std::string_view content_type,
                      std::string_view body, const Headers& extra_headers = {});
  // Any method; `body` is sent when non-empty or when the method is POST/PUT.
  HttpResult request(std::string_view method, std::uint16_t port, std::string_view path,
                     const Headers& headers, std::string_view body);

  // The body post_form sends for `fields`.
  std::string form_encode(const Fields& fields);

 private:
  void* curl_;  // CURL*, kept out of this header
  long timeout_ms_;
};

}  // namespace smscoach::test

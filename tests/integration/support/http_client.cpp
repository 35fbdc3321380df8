#include "http_client.hpp"

#include <curl/curl.h>

#include <cctype>
#include <memory>
#include <mutex>
#include <stdexcept>

namespace smscoach::test {

namespace {

CURL* handle(void* curl) { return static_cast<CURL*>(curl); }

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

std::size_t append_body(char* data, std::size_t size, std::size_t count, void* out) {
  static_cast<std::string*>(out)->append(data, size * count);
  return size * count;
}

// Keeps the headers of the last response only: redirects and 100 Continue
// come with header blocks of their own.
std::size_t append_header(char* data, std::size_t size, std::size_t count, void* out) {
  auto* headers = static_cast<Headers*>(out);
  std::string_view line(data, size * count);
  if (line.rfind("HTTP/", 0) == 0) {
    headers->clear();
  } else if (const std::size_t colon = line.find(':'); colon != std::string_view::npos) {
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
      value.remove_prefix(1);
    while (!value.empty() &&
           (value.back() == '\r' || value.back() == '\n' || value.back() == ' ')) {
      value.remove_suffix(1);
    }
    headers->emplace_back(std::string(line.substr(0, colon)), std::string(value));
  }
  return size * count;
}

struct SlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};

}  // namespace

std::string HttpResult::header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (iequals(key, name)) return value;
  }
  return {};
}

HttpClient::HttpClient(long timeout_ms) : curl_(nullptr), timeout_ms_(timeout_ms) {
  static std::once_flag global_init;
  std::call_once(global_init, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  curl_ = curl_easy_init();
  if (curl_ == nullptr) throw std::runtime_error("curl_easy_init failed");
}

HttpClient::~HttpClient() { curl_easy_cleanup(handle(curl_)); }

std::string HttpClient::form_encode(const Fields& fields) {
  std::string out;
  const auto escape = [this](const std::string& text) {
    char* escaped = curl_easy_escape(handle(curl_), text.data(), static_cast<int>(text.size()));
    if (escaped == nullptr) throw std::runtime_error("curl_easy_escape failed");
    std::string result(escaped);
    curl_free(escaped);
    return result;
  };
  for (const auto& [name, value] : fields) {
    if (!out.empty()) out += '&';
    out += escape(name) + "=" + escape(value);
  }
  return out;
}

HttpResult HttpClient::post_form(std::uint16_t port, std::string_view path, const Fields& fields,
                                 const Headers& extra_headers) {
  return post_raw(port, path, "application/x-www-form-urlencoded", form_encode(fields),
                  extra_headers);
}

HttpResult HttpClient::get(std::uint16_t port, std::string_view path,
                           const Headers& extra_headers) {
  return request("GET", port, path, extra_headers, {});
}

HttpResult HttpClient::post_raw(std::uint16_t port, std::string_view path,
                                std::string_view content_type, std::string_view body,
                                const Headers& extra_headers) {
  Headers headers{{"Content-Type", std::string(content_type)}};
  headers.insert(headers.end(), extra_headers.begin(), extra_headers.end());
  return request("POST", port, path, headers, body);
}

HttpResult HttpClient::request(std::string_view method, std::uint16_t port, std::string_view path,
                               const Headers& headers, std::string_view body) {
  CURL* curl = handle(curl_);
  curl_easy_reset(curl);  // the connection cache survives a reset, options do not

  const std::string url = "http://127.0.0.1:" + std::to_string(port) + std::string(path);
  const std::string method_string(method);
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method_string.c_str());
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, timeout_ms_);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_PROXY, "");  // never through an http_proxy from the environment

  const bool sends_body = !body.empty() || method == "POST" || method == "PUT";
  if (sends_body) {
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  } else if (method == "HEAD") {
    curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
  }

  // No "Expect: 100-continue": it would add a round trip to every large POST.
  std::unique_ptr<curl_slist, SlistDeleter> header_list(curl_slist_append(nullptr, "Expect:"));
  for (const auto& [name, value] : headers) {
    const std::string line = name + ": " + value;
    header_list.reset(curl_slist_append(header_list.release(), line.c_str()));
  }
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, header_list.get());

  HttpResult result;
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, append_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &result.body);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, append_header);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &result.headers);

  const CURLcode code = curl_easy_perform(curl);
  if (code != CURLE_OK) {
    throw std::runtime_error(method_string + " " + url + ": " + curl_easy_strerror(code));
  }
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &result.status);
  result.content_type = result.header("Content-Type");
  return result;
}

}  // namespace smscoach::test

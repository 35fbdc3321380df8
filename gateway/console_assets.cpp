#include "gateway/console_assets.hpp"

#include <string>

#include "gateway/console/console_files.hpp"

namespace smscoach::gateway {

namespace {

constexpr std::string_view kPrefix = "/console/";

std::string_view content_type_for(std::string_view name) {
  if (name.ends_with(".html")) return "text/html; charset=utf-8";
  if (name.ends_with(".css")) return "text/css; charset=utf-8";
  if (name.ends_with(".js")) return "text/javascript; charset=utf-8";
  return "application/octet-stream";
}

}  // namespace

std::optional<HttpResponse> console_asset(std::string_view path) {
  // Only a path; a query string (a cache buster, say) does not pick the file.
  if (const auto query = path.find('?'); query != std::string_view::npos) {
    path = path.substr(0, query);
  }
  if (!path.starts_with(kPrefix)) return std::nullopt;
  std::string_view name = path.substr(kPrefix.size());
  if (name.empty()) name = "index.html";

  for (const auto& file : console_files::files()) {
    if (file.name != name) continue;
    HttpResponse response;
    response.status = 200;
    response.content_type = std::string(content_type_for(file.name));
    response.body = std::string(file.data);
    response.extra_headers = {
        {"Cache-Control", "no-cache"},
        {"X-Content-Type-Options", "nosniff"},
        // External script and style files only: no inline code, nothing from
        // elsewhere, and never inside another site's frame.
        {"Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'"},
        {"Referrer-Policy", "no-referrer"},
    };
    return response;
  }
  return std::nullopt;
}

}  // namespace smscoach::gateway

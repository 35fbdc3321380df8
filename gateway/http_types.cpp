#include "gateway/http_types.hpp"

#include "gateway/ascii.hpp"

namespace smscoach::gateway {

std::string_view HttpRequest::header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (ascii::iequals(key, name)) return value;
  }
  return {};
}

std::string_view HttpRequest::path() const {
  const std::string_view whole = target;
  return whole.substr(0, whole.find('?'));
}

HttpResponse error_response(int status, std::string reason) {
  HttpResponse response;
  response.status = status;
  response.content_type = "text/plain; charset=utf-8";
  response.body = std::move(reason);
  return response;
}

}  // namespace smscoach::gateway

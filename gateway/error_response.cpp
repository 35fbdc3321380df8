#include "gateway/error_response.hpp"

#include <spdlog/spdlog.h>

namespace smscoach::gateway {

HttpResponse response_for_error(const Error& error) {
  switch (error.code) {
    case ErrorCode::bad_input:
      return error_response(400, error.message);
    case ErrorCode::unavailable:
      return error_response(503, error.message);
    case ErrorCode::not_found:
    case ErrorCode::conflict:
    case ErrorCode::internal:
      break;
  }
  spdlog::error("application error: {}", error.message);
  return error_response(500, "internal error");
}

}  // namespace smscoach::gateway

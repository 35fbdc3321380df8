#pragma once
// The one table from application errors to HTTP statuses.

#include "common/expected.hpp"
#include "gateway/http_types.hpp"

namespace smscoach::gateway {

// bad_input -> 400 and unavailable -> 503 (Twilio may retry; nothing was
// stored), both with the reason; anything else -> 500 "internal error", whose
// details belong in the log, not in a reply to the internet.
HttpResponse response_for_error(const Error& error);

}  // namespace smscoach::gateway

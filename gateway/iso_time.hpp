#pragma once
// Times on the admin API: ISO-8601 UTC with milliseconds, as browsers' Date
// prints and parses them ("2026-11-21T10:00:00.000Z").

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace smscoach::gateway {

// Unix milliseconds -> "YYYY-MM-DDTHH:MM:SS.mmmZ" (proleptic Gregorian, UTC).
std::string iso8601_utc(std::int64_t unix_ms);

// The inverse, also accepting a date alone ("2026-11-21", midnight UTC) and
// times without fractions or with 1-9 fraction digits (cut to milliseconds).
// Only UTC ("Z"); nullopt for anything else or an impossible date.
std::optional<std::int64_t> parse_iso8601_utc(std::string_view text);

}  // namespace smscoach::gateway

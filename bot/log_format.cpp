#include "bot/log_format.hpp"

#include <fmt/format.h>
#include <spdlog/details/log_msg.h>
#include <spdlog/details/os.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/spdlog.h>

#include <ctime>
#include <nlohmann/json.hpp>

#include "common/request_context.hpp"

namespace smscoach::bot {

namespace {

// A JSON string literal, quotes included. Log messages can hold anything a
// client sent us, so bad UTF-8 is replaced rather than thrown on.
std::string json_string(std::string_view text) {
  return nlohmann::json(std::string(text))
      .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// Fixed names rather than SPDLOG_LEVEL_NAMES (a compile-time knob), so the
// JSON stays stable; they match spdlog's defaults, as the text format shows.
std::string_view level_name(spdlog::level::level_enum level) {
  switch (level) {
    case spdlog::level::trace:
      return "trace";
    case spdlog::level::debug:
      return "debug";
    case spdlog::level::info:
      return "info";
    case spdlog::level::warn:
      return "warning";
    case spdlog::level::err:
      return "error";
    case spdlog::level::critical:
      return "critical";
    default:
      return "off";
  }
}

// "2026-11-21T10:00:00.123Z"
std::string utc_timestamp(std::chrono::system_clock::time_point time) {
  using namespace std::chrono;
  // floor, not duration_cast: a time before the epoch must not get negative millis.
  const auto seconds = floor<std::chrono::seconds>(time);
  const auto millis = duration_cast<milliseconds>(time - seconds).count();
  const std::time_t t = system_clock::to_time_t(seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, millis);
}

}  // namespace

std::optional<LogFormat> parse_log_format(std::string_view name) {
  if (name == "json") return LogFormat::json;
  if (name == "text") return LogFormat::text;
  return std::nullopt;
}

std::string format_json_log_line(std::chrono::system_clock::time_point time,
                                 spdlog::level::level_enum level, std::string_view message,
                                 std::string_view request_id) {
  // Built by hand rather than as a json object, which would sort the keys:
  // ts first reads best in a terminal.
  std::string line = "{\"ts\":\"" + utc_timestamp(time) + "\",\"level\":\"";
  line += level_name(level);
  line += "\",\"msg\":";
  line += json_string(message);
  if (!request_id.empty()) {
    line += ",\"request_id\":";
    line += json_string(request_id);
  }
  line += '}';
  return line;
}

void JsonLogFormatter::format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) {
  const std::string line = format_json_log_line(
      msg.time, msg.level, std::string_view(msg.payload.data(), msg.payload.size()),
      current_request_id());
  dest.append(line.data(), line.data() + line.size());
  const std::string_view eol = spdlog::details::os::default_eol;
  dest.append(eol.data(), eol.data() + eol.size());
}

std::unique_ptr<spdlog::formatter> JsonLogFormatter::clone() const {
  return std::make_unique<JsonLogFormatter>();
}

void configure_logging(LogFormat format) {
  if (format == LogFormat::json) {
    spdlog::default_logger()->set_formatter(std::make_unique<JsonLogFormatter>());
  } else {
    // spdlog's default pattern, which is what the logs have always looked like.
    spdlog::default_logger()->set_formatter(std::make_unique<spdlog::pattern_formatter>());
  }
}

}  // namespace smscoach::bot

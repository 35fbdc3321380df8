#pragma once
// How log lines look on stderr: spdlog's usual text, or one JSON object per
// line for log collectors, with the current request id (common/request_context.hpp).

#include <spdlog/common.h>
#include <spdlog/formatter.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace smscoach::bot {

enum class LogFormat { json, text };

// "json" or "text"; nullopt for anything else.
std::optional<LogFormat> parse_log_format(std::string_view name);

// Installs the format on the default logger's sinks. Only the formatter
// changes: where lines go (stderr) and the level stay as they are.
void configure_logging(LogFormat format);

// One JSON log line, without the line ending:
//   {"ts":"2026-11-21T10:00:00.123Z","level":"info","msg":"...","request_id":"..."}
// ts is UTC with milliseconds; request_id is left out when empty. Strings are
// JSON-escaped, control characters included; invalid UTF-8 becomes U+FFFD.
std::string format_json_log_line(std::chrono::system_clock::time_point time,
                                 spdlog::level::level_enum level, std::string_view message,
                                 std::string_view request_id);

// The spdlog side of format_json_log_line. It reads current_request_id() when
// it formats, which for the synchronous loggers used here is on the logging
// thread, during the log call; an async logger would lose the id.
class JsonLogFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override;
  std::unique_ptr<spdlog::formatter> clone() const override;
};

}  // namespace smscoach::bot

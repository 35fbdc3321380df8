// JSON log lines and the request id they carry.

#include "bot/log_format.hpp"

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "common/request_context.hpp"

using namespace smscoach;
using namespace smscoach::bot;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

const std::chrono::system_clock::time_point kTime =
    std::chrono::sys_days{std::chrono::year{2026} / 11 / 21} + 10h + 123ms;

// Makes the default logger write to a string for the test's lifetime, then
// puts the previous one back, so other tests keep logging to stderr.
class CapturedLog {
 public:
  CapturedLog() : previous_(spdlog::default_logger()) {
    auto logger = std::make_shared<spdlog::logger>(
        "capture", std::make_shared<spdlog::sinks::ostream_sink_mt>(out_));
    logger->set_level(spdlog::level::trace);
    spdlog::set_default_logger(std::move(logger));
  }
  ~CapturedLog() { spdlog::set_default_logger(previous_); }
  CapturedLog(const CapturedLog&) = delete;
  CapturedLog& operator=(const CapturedLog&) = delete;

  std::vector<std::string> lines() const {
    std::vector<std::string> out;
    std::istringstream in(out_.str());
    for (std::string line; std::getline(in, line);) out.push_back(line);
    return out;
  }
  std::string text() const { return out_.str(); }

 private:
  std::shared_ptr<spdlog::logger> previous_;
  std::ostringstream out_;
};

json parse_line(const std::string& line) {
  INFO(line);
  REQUIRE(json::accept(line));
  return json::parse(line);
}

}  // namespace

TEST_CASE("log formats parse from their names", "[log]") {
  CHECK(parse_log_format("json") == LogFormat::json);
  CHECK(parse_log_format("text") == LogFormat::text);
  CHECK_FALSE(parse_log_format(""));
  CHECK_FALSE(parse_log_format("xml"));
  CHECK_FALSE(parse_log_format("json "));
}

TEST_CASE("a JSON log line has ts, level, msg and request_id in that order", "[log]") {
  const std::string line = format_json_log_line(kTime, spdlog::level::info, "hello", "abc123");
  CHECK(line ==
        R"({"ts":"2026-11-21T10:00:00.123Z","level":"info","msg":"hello","request_id":"abc123"})");
  CHECK(format_json_log_line(kTime, spdlog::level::warn, "hi", "") ==
        R"({"ts":"2026-11-21T10:00:00.123Z","level":"warning","msg":"hi"})");
}

TEST_CASE("JSON log timestamps are UTC with milliseconds", "[log]") {
  const auto ts = [](std::chrono::system_clock::time_point t) {
    return parse_line(format_json_log_line(t, spdlog::level::info, "", ""))["ts"]
        .get<std::string>();
  };
  CHECK(ts(std::chrono::system_clock::time_point{}) == "1970-01-01T00:00:00.000Z");
  CHECK(ts(kTime + 876us) == "2026-11-21T10:00:00.123Z");  // truncated, not rounded
  // Before the epoch the milliseconds still count up within the second.
  CHECK(ts(std::chrono::system_clock::time_point{} - 1ms) == "1969-12-31T23:59:59.999Z");
}

TEST_CASE("JSON log levels are named", "[log]") {
  const auto level = [](spdlog::level::level_enum l) {
    return parse_line(format_json_log_line(kTime, l, "", ""))["level"].get<std::string>();
  };
  CHECK(level(spdlog::level::trace) == "trace");
  CHECK(level(spdlog::level::debug) == "debug");
  CHECK(level(spdlog::level::info) == "info");
  CHECK(level(spdlog::level::warn) == "warning");
  CHECK(level(spdlog::level::err) == "error");
  CHECK(level(spdlog::level::critical) == "critical");
}

TEST_CASE("JSON log messages are escaped and stay on one line", "[log]") {
  const std::string message = "say \"hi\" \\ then\nnext\r\tline \x01\x1f\x7f end";
  const std::string line = format_json_log_line(kTime, spdlog::level::info, message, "");
  CHECK(line.find('\n') == std::string::npos);
  CHECK(line.find('\r') == std::string::npos);
  CHECK_THAT(line, Catch::Contains(R"(say \"hi\" \\ then\nnext\r\tline \u0001\u001f)"));
  CHECK(parse_line(line)["msg"] == message);
}

TEST_CASE("JSON log messages with invalid UTF-8 still make valid JSON", "[log]") {
  const std::string replacement = "\xEF\xBF\xBD";  // U+FFFD
  const std::string line =
      format_json_log_line(kTime, spdlog::level::info, "bad \xFF byte, cut \xE2\x82", "");
  const std::string msg = parse_line(line)["msg"];
  CHECK(msg.rfind("bad " + replacement + " byte, cut ", 0) == 0);
  CHECK_THAT(msg, Catch::EndsWith(replacement));
  // Valid multi-byte text passes through unchanged.
  CHECK(parse_line(format_json_log_line(kTime, spdlog::level::info, "caf\xC3\xA9 \xE2\x82\xAC",
                                        ""))["msg"] == "caf\xC3\xA9 \xE2\x82\xAC");
}

TEST_CASE("the request id is escaped too", "[log]") {
  const json parsed =
      parse_line(format_json_log_line(kTime, spdlog::level::info, "m", "a\"b\n\xFF"));
  CHECK(parsed["request_id"].get<std::string>().rfind("a\"b\n", 0) == 0);
}

TEST_CASE("request id scopes set, nest and restore", "[log][request_id]") {
  CHECK(current_request_id().empty());
  {
    const RequestIdScope outer("outer");
    CHECK(current_request_id() == "outer");
    {
      const RequestIdScope inner("inner");
      CHECK(current_request_id() == "inner");
    }
    CHECK(current_request_id() == "outer");
  }
  CHECK(current_request_id().empty());
}

TEST_CASE("the request id belongs to one thread", "[log][request_id]") {
  const RequestIdScope scope("main-thread");
  std::string seen = "unset";
  std::thread([&seen] { seen = std::string(current_request_id()); }).join();
  CHECK(seen.empty());
  CHECK(current_request_id() == "main-thread");
}

TEST_CASE("configure_logging(json) writes one JSON object per line", "[log]") {
  CapturedLog log;
  configure_logging(LogFormat::json);

  spdlog::info("before {}", 1);
  {
    const RequestIdScope outer("req-1");
    spdlog::warn("quote \" newline \n tab \t bell \x07 bad \xC3");
    {
      const RequestIdScope inner("req-2");
      spdlog::error("inner");
    }
    spdlog::info("outer again");
  }
  spdlog::debug("after");

  const auto lines = log.lines();
  REQUIRE(lines.size() == 5);
  CHECK_THAT(log.text(), Catch::EndsWith("}\n"));
  std::vector<json> parsed;
  for (const auto& line : lines) parsed.push_back(parse_line(line));

  CHECK(parsed[0]["msg"] == "before 1");
  CHECK(parsed[0]["level"] == "info");
  CHECK_FALSE(parsed[0].contains("request_id"));

  CHECK(parsed[1]["level"] == "warning");
  CHECK_THAT(parsed[1]["msg"].get<std::string>(),
             Catch::StartsWith("quote \" newline \n tab \t bell \x07 bad "));
  CHECK(parsed[1]["request_id"] == "req-1");

  CHECK(parsed[2]["request_id"] == "req-2");
  CHECK(parsed[3]["request_id"] == "req-1");
  CHECK(parsed[3]["msg"] == "outer again");

  CHECK(parsed[4]["level"] == "debug");
  CHECK_FALSE(parsed[4].contains("request_id"));

  for (const auto& p : parsed) {
    const std::string ts = p["ts"];
    CHECK(ts.size() == 24);  // 2026-11-21T10:00:00.123Z
    CHECK(ts.back() == 'Z');
  }
}

TEST_CASE("configure_logging(text) restores spdlog's usual lines", "[log]") {
  CapturedLog log;
  configure_logging(LogFormat::json);
  configure_logging(LogFormat::text);
  spdlog::info("plain {}", "text");
  CHECK_THAT(log.text(), Catch::Contains("] [capture] [info] plain text\n"));
  CHECK(log.text().front() == '[');
}

TEST_CASE("acceptable request ids are 1-64 of [A-Za-z0-9._-]", "[request_id]") {
  CHECK(acceptable_request_id("a"));
  CHECK(acceptable_request_id("0123456789abcdef"));
  CHECK(acceptable_request_id("Req_1.2-3"));
  CHECK(acceptable_request_id("550e8400-e29b-41d4-a716-446655440000"));
  CHECK(acceptable_request_id(std::string(64, 'x')));

  CHECK_FALSE(acceptable_request_id(""));
  CHECK_FALSE(acceptable_request_id(std::string(65, 'x')));
  CHECK_FALSE(acceptable_request_id("has space"));
  CHECK_FALSE(acceptable_request_id("quote\""));
  CHECK_FALSE(acceptable_request_id("line\nbreak"));
  CHECK_FALSE(acceptable_request_id("a/b"));
  CHECK_FALSE(acceptable_request_id("a:b"));
  CHECK_FALSE(acceptable_request_id("caf\xC3\xA9"));
  CHECK_FALSE(acceptable_request_id(std::string_view("a\0b", 3)));
}

TEST_CASE("new request ids are 16 lowercase hex digits and differ", "[request_id]") {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    const std::string id = new_request_id();
    REQUIRE(id.size() == 16);
    CHECK(id.find_first_not_of("0123456789abcdef") == std::string::npos);
    CHECK(acceptable_request_id(id));
    seen.insert(id);
  }
  CHECK(seen.size() == 100);

  // Each thread seeds its own generator; they must not repeat each other.
  std::string other;
  std::thread([&other] { other = new_request_id(); }).join();
  CHECK(other.size() == 16);
  CHECK_FALSE(seen.count(other));
}

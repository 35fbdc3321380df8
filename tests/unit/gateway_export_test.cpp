// The pieces of the admin API's export: times, CSV fields, and the stream
// that hands an export over in bounded chunks.

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <thread>

#include "gateway/csv.hpp"
#include "gateway/export_stream.hpp"
#include "gateway/iso_time.hpp"
#include "gateway_fake_conversation_admin.hpp"

using namespace smscoach::gateway;
using namespace std::chrono_literals;
using smscoach::ExportRow;
using smscoach::gateway::testing::FakeConversationAdmin;

TEST_CASE("times print as ISO-8601 UTC with milliseconds", "[gateway][export]") {
  CHECK(iso8601_utc(0) == "1970-01-01T00:00:00.000Z");
  CHECK(iso8601_utc(1'795'255'200'000) == "2026-11-21T10:00:00.000Z");
  CHECK(iso8601_utc(1'709'164'799'999) == "2024-02-28T23:59:59.999Z");
  CHECK(iso8601_utc(1'709'164'800'001) == "2024-02-29T00:00:00.001Z");
  CHECK(iso8601_utc(-1) == "1969-12-31T23:59:59.999Z");
  CHECK(iso8601_utc(253'402'300'799'999) == "9999-12-31T23:59:59.999Z");
}

TEST_CASE("ISO-8601 UTC times and dates parse back", "[gateway][export]") {
  CHECK(parse_iso8601_utc("2026-11-21T10:00:00.000Z") == 1'795'255'200'000);
  CHECK(parse_iso8601_utc("2026-11-21T10:00:00Z") == 1'795'255'200'000);
  CHECK(parse_iso8601_utc("2026-11-21T10:00:00.5Z") == 1'795'255'200'500);
  CHECK(parse_iso8601_utc("2026-11-21T10:00:00.123456789Z") == 1'795'255'200'123);
  CHECK(parse_iso8601_utc("2026-11-21") == 1'795'219'200'000);
  CHECK(parse_iso8601_utc("2024-02-29") == 1'709'164'800'000);
  CHECK(parse_iso8601_utc("1970-01-01T00:00:00.000Z") == 0);
  for (std::int64_t ms : {std::int64_t{0}, std::int64_t{1'795'255'200'123}, std::int64_t{-1}}) {
    CHECK(parse_iso8601_utc(iso8601_utc(ms)) == ms);
  }
  for (const char* bad :
       {"", "2026", "2026-11-21T", "2026-11-21T10:00", "2026-11-21T10:00:00",
        "2026-11-21 10:00:00Z", "2026-11-21T10:00:00.Z", "2026-11-21T10:00:00.0000000000Z",
        "2026-11-21T10:00:00+01:00", "2026-11-21T10:00:00Zjunk", "2026-02-29", "2026-04-31",
        "2026-00-10", "2026-11-21T24:00:00Z", "2026-11-21T10:60:00Z", "2026-11-21T10:00:60Z",
        "2026-1-21", "+2026-11-21"}) {
    INFO(bad);
    CHECK_FALSE(parse_iso8601_utc(bad));
  }
}

TEST_CASE("CSV fields are quoted only when RFC 4180 needs it", "[gateway][export]") {
  const auto field = [](std::string_view text) {
    std::string out;
    csv::append_field(out, text);
    return out;
  };
  CHECK(field("plain") == "plain");
  CHECK(field("") == "");
  CHECK(field("a,b") == "\"a,b\"");
  CHECK(field("say \"hi\"") == "\"say \"\"hi\"\"\"");
  CHECK(field("\"") == "\"\"\"\"");
  CHECK(field("one\r\ntwo") == "\"one\r\ntwo\"");
  CHECK(field("one\ntwo") == "\"one\ntwo\"");
  CHECK(field("cr\r") == "\"cr\r\"");
  // Kept exactly: spaces, UTF-8, and what a spreadsheet might take for a formula.
  CHECK(field("  padded  ") == "  padded  ");
  CHECK(field("caf\xC3\xA9 \xF0\x9F\x92\xAA") == "caf\xC3\xA9 \xF0\x9F\x92\xAA");
  CHECK(field("=1+1") == "=1+1");

  std::string row;
  csv::append_row(row, {"a", "b,c", ""});
  CHECK(row == "a,\"b,c\",\r\n");
}

namespace {

// Row i of an export as long as the test likes, made only when asked for.
void lazy_rows(FakeConversationAdmin& store, std::size_t count) {
  store.set_export_generator([count](std::size_t i) -> std::optional<ExportRow> {
    if (i >= count) return std::nullopt;
    return ExportRow{"+15551234567",
                     "in",
                     "row " + std::to_string(i) + std::string(100, '.'),
                     1'795'255'200'000 + static_cast<std::int64_t>(i),
                     "dose",
                     "texter"};
  });
}

}  // namespace

TEST_CASE("an export stream hands over everything in ~64 KiB chunks", "[gateway][export]") {
  FakeConversationAdmin store;
  lazy_rows(store, 5000);
  ExportStream stream(store, 0, ExportFormat::csv);
  std::string all;
  std::size_t chunks = 0;
  std::string chunk;
  while (true) {
    auto more = stream.next(chunk);
    REQUIRE(more.has_value());
    if (!*more) break;
    CHECK_FALSE(chunk.empty());
    CHECK(chunk.size() < ExportStream::kChunkSize + 1024);
    all += chunk;
    ++chunks;
  }
  CHECK(chunks > 5);
  CHECK(all.rfind("number,direction,body,at,intent,author\r\n", 0) == 0);
  CHECK(all.find("row 4999.") != std::string::npos);
  CHECK(std::count(all.begin(), all.end(), '\n') == 5001);
  // The end stays the end.
  CHECK(stream.next(chunk).value() == false);
}

TEST_CASE("an export stream waits for a slow reader and stops when it leaves",
          "[gateway][export]") {
  FakeConversationAdmin store;
  lazy_rows(store, 100'000);
  std::size_t produced_when_abandoned = 0;
  {
    ExportStream stream(store, 0, ExportFormat::jsonl);
    std::string chunk;
    REQUIRE(stream.next(chunk).value());
    std::this_thread::sleep_for(200ms);  // the reader dawdles
    // The first chunk, the queue, and the chunk being filled: nothing more.
    const std::size_t rows_per_chunk = ExportStream::kChunkSize / 150;
    produced_when_abandoned = store.rows_produced();
    CHECK(produced_when_abandoned < (ExportStream::kQueuedChunks + 3) * rows_per_chunk);
  }  // the reader goes away: the destructor stops the export
  CHECK(store.rows_produced() <= produced_when_abandoned + 1);
  CHECK(store.rows_produced() < 100'000);
}

TEST_CASE("an export stream reports the store's failure after what it had", "[gateway][export]") {
  FakeConversationAdmin store;
  lazy_rows(store, 100);
  store.fail_export_after(10);
  ExportStream stream(store, 0, ExportFormat::jsonl);
  std::string chunk;
  auto first = stream.next(chunk);
  // The rows before the failure were under 64 KiB: never handed over.
  REQUIRE_FALSE(first.has_value());
  CHECK(first.error().code == smscoach::ErrorCode::unavailable);
  CHECK(first.error().message == "store went away");
}

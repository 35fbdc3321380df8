#include "gateway/metrics.hpp"

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <charconv>
#include <chrono>
#include <cmath>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

using smscoach::gateway::Metrics;
using smscoach::gateway::StoreGauges;
using namespace std::chrono_literals;

namespace {

// ---- a small checker for the Prometheus text format 0.0.4 ------------------
// Strict about what Metrics writes (no timestamps, no blank lines), so a
// mistake in the renderer shows up here rather than as a failed scrape.

using Labels = std::vector<std::pair<std::string, std::string>>;

struct Sample {
  std::string name;
  Labels labels;
  std::string raw_value;
  double value = 0;
};

struct Exposition {
  std::map<std::string, std::string> types;  // family -> counter, gauge, histogram...
  std::map<std::string, std::string> helps;  // family -> docstring
  std::vector<Sample> samples;               // in output order
};

bool name_start(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
}
bool name_char(char c) { return name_start(c) || (c >= '0' && c <= '9'); }

bool valid_metric_name(std::string_view name) {
  return !name.empty() && name_start(name[0]) && std::all_of(name.begin(), name.end(), name_char);
}

bool valid_label_name(std::string_view name) {
  return valid_metric_name(name) && name.find(':') == std::string_view::npos;
}

std::optional<double> parse_value(std::string_view token) {
  if (token == "+Inf") return HUGE_VAL;
  if (token == "-Inf") return -HUGE_VAL;
  if (token == "NaN") return std::nan("");
  double v = 0;
  const auto res = std::from_chars(token.data(), token.data() + token.size(), v);
  if (res.ec != std::errc{} || res.ptr != token.data() + token.size()) return std::nullopt;
  return v;
}

// Parses `name{labels} value` or `name value`; an error message, or empty.
std::string parse_sample(std::string_view line, Sample& sample) {
  std::size_t pos = 0;
  while (pos < line.size() && name_char(line[pos])) ++pos;
  sample.name = std::string(line.substr(0, pos));
  if (!valid_metric_name(sample.name)) return "bad metric name";
  if (pos < line.size() && line[pos] == '{') {
    ++pos;
    while (true) {
      if (pos >= line.size()) return "unterminated labels";
      if (line[pos] == '}') {
        ++pos;
        break;
      }
      const std::size_t name_begin = pos;
      while (pos < line.size() && line[pos] != '=') ++pos;
      const std::string label(line.substr(name_begin, pos - name_begin));
      if (!valid_label_name(label)) return "bad label name '" + label + "'";
      if (line.substr(pos, 2) != "=\"") return "label without =\"";
      pos += 2;
      std::string value;
      while (true) {
        if (pos >= line.size()) return "unterminated label value";
        const char c = line[pos++];
        if (c == '"') break;
        if (c != '\\') {
          value += c;
          continue;
        }
        if (pos >= line.size()) return "dangling backslash";
        const char e = line[pos++];
        if (e == '\\' || e == '"') {
          value += e;
        } else if (e == 'n') {
          value += '\n';
        } else {
          return std::string("bad escape \\") + e;
        }
      }
      for (const auto& [other, unused] : sample.labels) {
        if (other == label) return "repeated label " + label;
      }
      sample.labels.emplace_back(label, std::move(value));
      if (pos < line.size() && line[pos] == ',') ++pos;
    }
  }
  if (pos >= line.size() || line[pos] != ' ') return "no space before the value";
  sample.raw_value = std::string(line.substr(pos + 1));
  const auto v = parse_value(sample.raw_value);
  if (!v) return "bad value '" + sample.raw_value + "'";
  sample.value = *v;
  return {};
}

// The family a sample belongs to: its own name, or a histogram's base name.
std::string family_of(const Exposition& e, const std::string& name) {
  if (e.types.count(name) != 0) return name;
  for (const std::string_view suffix : {"_bucket", "_sum", "_count"}) {
    if (name.size() > suffix.size() && name.ends_with(suffix)) {
      const std::string base = name.substr(0, name.size() - suffix.size());
      const auto it = e.types.find(base);
      if (it != e.types.end() && it->second == "histogram") return base;
    }
  }
  return {};
}

std::string labels_key(const Sample& s) {
  Labels sorted = s.labels;
  std::sort(sorted.begin(), sorted.end());
  std::string key = s.name + "{";
  for (const auto& [k, v] : sorted) key += k + "=" + v + "\x1F";
  return key + "}";
}

// Histogram rules: buckets by increasing le, cumulative, +Inf present and
// equal to _count; _sum and _count once each.
std::string check_histogram(const Exposition& e, const std::string& family) {
  std::vector<std::pair<double, double>> buckets;
  std::optional<double> count;
  int sums = 0;
  for (const Sample& s : e.samples) {
    if (s.name == family + "_bucket") {
      if (s.labels.size() != 1 || s.labels[0].first != "le") return "bucket without le";
      const auto le = parse_value(s.labels[0].second);
      if (!le) return "bad le " + s.labels[0].second;
      buckets.emplace_back(*le, s.value);
    } else if (s.name == family + "_count") {
      if (count) return "two _count";
      count = s.value;
    } else if (s.name == family + "_sum") {
      ++sums;
    }
  }
  if (buckets.empty() || !std::isinf(buckets.back().first)) return "no +Inf bucket";
  for (std::size_t i = 1; i < buckets.size(); ++i) {
    if (!(buckets[i].first > buckets[i - 1].first)) return "le not increasing";
    if (buckets[i].second < buckets[i - 1].second) return "buckets not cumulative";
  }
  if (!count || *count != buckets.back().second) return "+Inf bucket differs from _count";
  if (sums != 1) return "not one _sum";
  return {};
}

// Checks the whole text; returns the first problem with its line, or empty.
std::string check_exposition(std::string_view text, Exposition& out) {
  if (text.empty() || text.back() != '\n') return "does not end with a newline";
  std::set<std::string> sampled;  // families whose samples have started
  std::set<std::string> series;
  std::string current;
  std::size_t line_no = 0;
  for (std::size_t begin = 0; begin < text.size();) {
    const std::size_t end = text.find('\n', begin);
    const std::string_view line = text.substr(begin, end - begin);
    begin = end + 1;
    ++line_no;
    const auto fail = [&](const std::string& why) {
      return "line " + std::to_string(line_no) + " '" + std::string(line) + "': " + why;
    };
    if (line.empty()) return fail("blank line");
    if (line.starts_with("# HELP ") || line.starts_with("# TYPE ")) {
      const bool help = line[2] == 'H';
      const std::string_view rest = line.substr(7);
      const std::size_t space = rest.find(' ');
      if (space == std::string_view::npos) return fail("no text after the name");
      const std::string name(rest.substr(0, space));
      const std::string arg(rest.substr(space + 1));
      if (!valid_metric_name(name)) return fail("bad metric name");
      if (sampled.count(name) != 0) return fail("HELP/TYPE after the family's samples");
      auto& table = help ? out.helps : out.types;
      if (!table.emplace(name, arg).second) return fail("repeated");
      if (help && arg.empty()) return fail("empty HELP");
      if (!help) {
        static const std::set<std::string> kTypes = {"counter", "gauge", "histogram", "summary",
                                                     "untyped"};
        if (kTypes.count(arg) == 0) return fail("unknown type");
        if (arg == "counter" && !name.ends_with("_total")) return fail("counter without _total");
      }
      continue;
    }
    if (line.starts_with("#")) return fail("unexpected comment");
    Sample sample;
    if (const std::string why = parse_sample(line, sample); !why.empty()) return fail(why);
    const std::string family = family_of(out, sample.name);
    if (family.empty()) return fail("sample before its TYPE");
    if (out.helps.count(family) == 0) return fail("sample before its HELP");
    if (family != current && sampled.count(family) != 0) return fail("family split in two");
    current = family;
    sampled.insert(family);
    if (!series.insert(labels_key(sample)).second) return fail("duplicate series");
    out.samples.push_back(std::move(sample));
  }
  for (const auto& [family, type] : out.types) {
    if (out.helps.count(family) == 0) return "no HELP for " + family;
    if (type == "histogram" && sampled.count(family) != 0) {
      if (const std::string why = check_histogram(out, family); !why.empty()) {
        return family + ": " + why;
      }
    }
  }
  for (const auto& [family, unused] : out.helps) {
    if (out.types.count(family) == 0) return "no TYPE for " + family;
  }
  return {};
}

Exposition parsed(const std::string& text) {
  Exposition e;
  INFO(text);
  const std::string problem = check_exposition(text, e);
  INFO(problem);
  REQUIRE(problem.empty());
  return e;
}

const Sample* find_sample(const Exposition& e, std::string_view name, const Labels& labels = {}) {
  for (const Sample& s : e.samples) {
    if (s.name == name && s.labels == labels) return &s;
  }
  return nullptr;
}

// The value of one series, or nullopt when it is not rendered.
std::optional<std::string> value_of(const Exposition& e, std::string_view name,
                                    const Labels& labels = {}) {
  const Sample* s = find_sample(e, name, labels);
  return s ? std::optional<std::string>(s->raw_value) : std::nullopt;
}

std::size_t series_count(const Exposition& e, std::string_view name) {
  return static_cast<std::size_t>(std::count_if(e.samples.begin(), e.samples.end(),
                                                [&](const Sample& s) { return s.name == name; }));
}

std::string render(const Metrics& m, StoreGauges g = {}) { return m.render(g); }

const std::vector<std::string> kUnlabelledCounters = {
    "smscoach_texts_duplicate_total", "smscoach_texts_rate_limited_total",
    "smscoach_replies_total",         "smscoach_opt_outs_total",
    "smscoach_opt_ins_total",         "smscoach_outbox_sent_total",
    "smscoach_outbox_retries_total",  "smscoach_outbox_failures_total",
    "smscoach_status_callbacks_total"};

constexpr std::string_view kHist = "smscoach_webhook_duration_seconds";

}  // namespace

// ---- the checker itself ------------------------------------------------------

TEST_CASE("metrics checker rejects malformed expositions", "[gateway][metrics]") {
  const auto problem = [](std::string_view text) {
    Exposition e;
    return check_exposition(text, e);
  };
  CHECK(problem("# HELP a_total A.\n# TYPE a_total counter\na_total 1\n").empty());
  CHECK(problem("# HELP g G.\n# TYPE g gauge\ng{x=\"a\\\"b\",y=\"\"} 1.5\n").empty());
  CHECK_FALSE(problem("a_total 1\n# HELP a_total A.\n# TYPE a_total counter\n").empty());
  CHECK_FALSE(problem("# TYPE a_total counter\na_total 1\n").empty());  // no HELP
  CHECK_FALSE(problem("# HELP 1a A.\n# TYPE 1a gauge\n1a 1\n").empty());
  CHECK_FALSE(problem("# HELP g G.\n# TYPE g gauge\ng{x=\"a\\t\"} 1\n").empty());
  CHECK_FALSE(problem("# HELP g G.\n# TYPE g gauge\ng{x=\"a\"}\n").empty());
  CHECK_FALSE(problem("# HELP g G.\n# TYPE g gauge\ng one\n").empty());
  CHECK_FALSE(problem("# HELP g G.\n# TYPE g gauge\ng 1\ng 2\n").empty());  // duplicate
  CHECK_FALSE(problem("# HELP c C.\n# TYPE c counter\nc 1\n").empty());     // no _total
  CHECK_FALSE(problem("# HELP g G.\n# TYPE g gauge\ng 1").empty());         // no final newline
  CHECK_FALSE(problem("# HELP h H.\n# TYPE h histogram\n"
                      "h_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n")
                  .empty());  // not cumulative
  CHECK_FALSE(problem("# HELP h H.\n# TYPE h histogram\n"
                      "h_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 2\nh_sum 1\nh_count 3\n")
                  .empty());  // +Inf != _count
}

// ---- Metrics -------------------------------------------------------------------

TEST_CASE("metrics render every family from start-up", "[gateway][metrics]") {
  const auto before = std::chrono::system_clock::now();
  const Metrics m;
  const auto after = std::chrono::system_clock::now();
  const Exposition e = parsed(render(m, {3, 7, 2, std::nullopt}));

  for (const std::string& name : kUnlabelledCounters) {
    INFO(name);
    CHECK(e.types.at(name) == "counter");
    CHECK(value_of(e, name) == "0");
  }
  // Labelled families: HELP and TYPE, no series yet.
  CHECK(e.types.at("smscoach_texts_received_total") == "counter");
  CHECK(series_count(e, "smscoach_texts_received_total") == 0);
  CHECK(e.types.at("smscoach_webhook_requests_total") == "counter");
  CHECK(series_count(e, "smscoach_webhook_requests_total") == 0);

  CHECK(e.types.at(std::string(kHist)) == "histogram");
  CHECK(value_of(e, "smscoach_webhook_duration_seconds_bucket", {{"le", "+Inf"}}) == "0");
  CHECK(value_of(e, "smscoach_webhook_duration_seconds_sum") == "0");
  CHECK(value_of(e, "smscoach_webhook_duration_seconds_count") == "0");

  CHECK(e.types.at("smscoach_handoffs_open") == "gauge");
  CHECK(value_of(e, "smscoach_handoffs_open") == "3");
  CHECK(value_of(e, "smscoach_outbox_depth") == "7");
  CHECK(value_of(e, "smscoach_outbox_failed") == "2");

  CHECK(e.types.at("smscoach_process_start_time_seconds") == "gauge");
  const Sample* start = find_sample(e, "smscoach_process_start_time_seconds");
  REQUIRE(start != nullptr);
  const auto seconds = [](auto t) {
    return std::chrono::duration<double>(t.time_since_epoch()).count();
  };
  CHECK(start->value >= std::floor(seconds(before)));
  CHECK(start->value <= std::ceil(seconds(after)));

  CHECK(Metrics::kContentType == "text/plain; version=0.0.4; charset=utf-8");
}

TEST_CASE("metrics counters add up, each in its own series", "[gateway][metrics]") {
  Metrics m;
  // Distinct amounts, so two counters wired to one atomic would show.
  m.count_duplicate();
  for (int i = 0; i < 2; ++i) m.count_rate_limited();
  m.count_replies(3);
  m.count_replies(0);
  m.count_replies(2);
  for (int i = 0; i < 4; ++i) m.count_opt_out();
  for (int i = 0; i < 6; ++i) m.count_opt_in();
  for (int i = 0; i < 7; ++i) m.count_outbox_sent();
  for (int i = 0; i < 8; ++i) m.count_outbox_retry();
  for (int i = 0; i < 9; ++i) m.count_outbox_failure();
  for (int i = 0; i < 10; ++i) m.count_status_callback();
  m.count_text("dose");
  m.count_text("dose");
  m.count_text("faq.creatine_loading");
  m.count_text("opt_out");

  const Exposition e = parsed(render(m));
  CHECK(value_of(e, "smscoach_texts_duplicate_total") == "1");
  CHECK(value_of(e, "smscoach_texts_rate_limited_total") == "2");
  CHECK(value_of(e, "smscoach_replies_total") == "5");
  CHECK(value_of(e, "smscoach_opt_outs_total") == "4");
  CHECK(value_of(e, "smscoach_opt_ins_total") == "6");
  CHECK(value_of(e, "smscoach_outbox_sent_total") == "7");
  CHECK(value_of(e, "smscoach_outbox_retries_total") == "8");
  CHECK(value_of(e, "smscoach_outbox_failures_total") == "9");
  CHECK(value_of(e, "smscoach_status_callbacks_total") == "10");

  constexpr std::string_view kTexts = "smscoach_texts_received_total";
  CHECK(series_count(e, kTexts) == 3);
  CHECK(value_of(e, kTexts, {{"intent", "dose"}}) == "2");
  CHECK(value_of(e, kTexts, {{"intent", "faq.creatine_loading"}}) == "1");
  CHECK(value_of(e, kTexts, {{"intent", "opt_out"}}) == "1");
}

TEST_CASE("metrics webhook histogram is cumulative with the sum in seconds", "[gateway][metrics]") {
  Metrics m;
  m.observe_webhook(500us, 200);   // exactly on a bound: counts in le="0.0005"
  m.observe_webhook(501us, 200);   // just above: le="0.001"
  m.observe_webhook(0ns, 200);     // smallest bucket
  m.observe_webhook(-5ms, 200);    // a clock step back counts as 0, not as negative time
  m.observe_webhook(30ms, 403);    // le="0.05"
  m.observe_webhook(1s, 503);      // le="1"
  m.observe_webhook(2500ms, 200);  // le="2.5"
  m.observe_webhook(3s, 200);      // only +Inf
  m.observe_webhook(1ns, 99);      // status out of range
  m.observe_webhook(1ns, 600);

  const std::string text = render(m);
  const Exposition e = parsed(text);  // the checker verifies cumulative and +Inf == _count

  std::vector<std::string> les;
  std::vector<std::string> counts;
  for (const Sample& s : e.samples) {
    if (s.name != "smscoach_webhook_duration_seconds_bucket") continue;
    les.push_back(s.labels.at(0).second);
    counts.push_back(s.raw_value);
  }
  CHECK(les == std::vector<std::string>{"0.0005", "0.001", "0.0025", "0.005", "0.01", "0.025",
                                        "0.05", "0.1", "0.25", "0.5", "1", "2.5", "+Inf"});
  CHECK(counts ==
        std::vector<std::string>{"5", "6", "6", "6", "6", "6", "7", "7", "7", "7", "8", "9", "10"});
  CHECK(value_of(e, "smscoach_webhook_duration_seconds_count") == "10");
  // 0.0005 + 0.000501 + 0.03 + 1 + 2.5 + 3 + 2e-9, exactly.
  CHECK(value_of(e, "smscoach_webhook_duration_seconds_sum") == "6.531001002");

  constexpr std::string_view kRequests = "smscoach_webhook_requests_total";
  CHECK(series_count(e, kRequests) == 4);
  CHECK(value_of(e, kRequests, {{"code", "200"}}) == "6");
  CHECK(value_of(e, kRequests, {{"code", "403"}}) == "1");
  CHECK(value_of(e, kRequests, {{"code", "503"}}) == "1");
  CHECK(value_of(e, kRequests, {{"code", "other"}}) == "2");
  // Codes render in numeric order.
  CHECK(text.find("{code=\"200\"}") < text.find("{code=\"403\"}"));
  CHECK(text.find("{code=\"403\"}") < text.find("{code=\"503\"}"));
}

TEST_CASE("metrics escape label values and keep them valid UTF-8", "[gateway][metrics]") {
  Metrics m;
  m.count_text("a\"b\\c\nd");
  m.count_text("caf\xC3\xA9");     // valid UTF-8 passes through
  m.count_text("x\xFFy");          // a stray byte becomes U+FFFD...
  m.count_text("x\xFEy");          // ...and a different one repairs to the same label,
  m.count_text("x\xEF\xBF\xBDy");  // as does the replacement character itself
  m.count_text("");                // intent="" would read as no label at all
  m.count_text(std::string(Metrics::kMaxIntentBytes + 1, 'z'));  // never truncated: other

  const std::string text = render(m);
  CHECK(text.find(R"(smscoach_texts_received_total{intent="a\"b\\c\nd"} 1)") != std::string::npos);
  const Exposition e = parsed(text);  // one series per label, no duplicates
  constexpr std::string_view kTexts = "smscoach_texts_received_total";
  CHECK(value_of(e, kTexts, {{"intent", "a\"b\\c\nd"}}) == "1");
  CHECK(value_of(e, kTexts, {{"intent", "caf\xC3\xA9"}}) == "1");
  CHECK(value_of(e, kTexts, {{"intent", "x\xEF\xBF\xBDy"}}) == "3");
  CHECK(value_of(e, kTexts, {{"intent", "none"}}) == "1");
  CHECK(value_of(e, kTexts, {{"intent", "other"}}) == "1");
  CHECK(series_count(e, kTexts) == 5);

  // An intent of exactly the limit is kept.
  m.count_text(std::string(Metrics::kMaxIntentBytes, 'z'));
  CHECK(value_of(parsed(render(m)), kTexts,
                 {{"intent", std::string(Metrics::kMaxIntentBytes, 'z')}}) == "1");
}

TEST_CASE("metrics cap distinct intents at 64 and count the rest as other", "[gateway][metrics]") {
  Metrics m;
  m.count_text("other");  // the overflow series itself takes no slot
  for (int i = 0; i < 100; ++i) m.count_text("garbage-" + std::to_string(i));
  // Intents admitted before the cap keep counting after it.
  m.count_text("garbage-0");
  m.count_text("garbage-63");
  m.count_text("dose");  // new after the cap: other

  const Exposition e = parsed(render(m));
  constexpr std::string_view kTexts = "smscoach_texts_received_total";
  CHECK(series_count(e, kTexts) == Metrics::kMaxIntents + 1);
  CHECK(value_of(e, kTexts, {{"intent", "garbage-0"}}) == "2");
  CHECK(value_of(e, kTexts, {{"intent", "garbage-63"}}) == "2");
  CHECK(value_of(e, kTexts, {{"intent", "garbage-64"}}) == std::nullopt);
  CHECK(value_of(e, kTexts, {{"intent", "dose"}}) == std::nullopt);
  CHECK(value_of(e, kTexts, {{"intent", "other"}}) == "38");  // 1 + 36 + dose

  double total = 0;
  for (const Sample& s : e.samples) {
    if (s.name == kTexts) total += s.value;
  }
  CHECK(total == 104);
}

TEST_CASE("metrics omit a store gauge the store did not answer", "[gateway][metrics]") {
  const Metrics m;
  StoreGauges g;
  g.outbox_depth = 0;
  const std::string text = render(m, g);
  const Exposition e = parsed(text);
  CHECK(value_of(e, "smscoach_handoffs_open") == std::nullopt);
  CHECK(value_of(e, "smscoach_outbox_failed") == std::nullopt);
  CHECK(value_of(e, "smscoach_outbox_depth") == "0");  // zero is an answer, not a gap
  // The family is still declared, so the scrape stays well-formed.
  CHECK(e.types.at("smscoach_handoffs_open") == "gauge");
  CHECK(e.types.at("smscoach_outbox_failed") == "gauge");

  g.handoffs_open = -1;  // a gauge may go negative; it renders as given
  CHECK(value_of(parsed(render(m, g)), "smscoach_handoffs_open") == "-1");
}

TEST_CASE("metrics render a store's group commit figures only when it has them",
          "[gateway][metrics]") {
  const Metrics m;
  const Exposition none = parsed(render(m));
  CHECK(none.types.count("smscoach_store_commit_duration_seconds") == 0);
  CHECK(none.types.count("smscoach_store_committed_turns_total") == 0);

  // What a store's DurationHistograms hand over: per-bucket counts.
  smscoach::DurationHistogram<2> commits({1'000'000, 5'000'000});
  commits.observe(400'000);
  commits.observe(1'000'000);  // on the bound: le="0.001"
  commits.observe(7'000'000);  // only +Inf
  smscoach::DurationHistogram<2> flushes({1'000'000, 5'000'000});
  flushes.observe(300'000);
  StoreGauges g;
  g.group_commit =
      smscoach::GroupCommitFigures{commits.snapshot(), flushes.snapshot(), 21, 3, 30000, 150};
  const Exposition e = parsed(render(m, g));  // the checker verifies the histograms' shape

  constexpr std::string_view kCommit = "smscoach_store_commit_duration_seconds";
  CHECK(e.types.at(std::string(kCommit)) == "histogram");
  CHECK(value_of(e, std::string(kCommit) + "_bucket", {{"le", "0.001"}}) == "2");
  CHECK(value_of(e, std::string(kCommit) + "_bucket", {{"le", "0.005"}}) == "2");
  CHECK(value_of(e, std::string(kCommit) + "_bucket", {{"le", "+Inf"}}) == "3");
  CHECK(value_of(e, std::string(kCommit) + "_sum") == "0.0084");
  CHECK(value_of(e, std::string(kCommit) + "_count") == "3");
  CHECK(value_of(e, "smscoach_store_flush_duration_seconds_count") == "1");
  CHECK(value_of(e, "smscoach_store_flush_duration_seconds_sum") == "0.0003");
  CHECK(e.types.at("smscoach_store_committed_turns_total") == "counter");
  CHECK(value_of(e, "smscoach_store_committed_turns_total") == "21");
  CHECK(e.types.at("smscoach_store_checkpoints_total") == "counter");
  CHECK(value_of(e, "smscoach_store_checkpoints_total") == "3");
  CHECK(value_of(e, "smscoach_store_checkpoint_frames_total") == "30000");
  CHECK(value_of(e, "smscoach_store_checkpoint_writer_frames_total") == "150");
}

TEST_CASE("metrics count exactly from 4 threads while scraped", "[gateway][metrics]") {
  Metrics m;
  constexpr int kThreads = 4;
  constexpr int kIterations = 20'000;
  const std::vector<std::string> intents = {"dose", "med_safety", "faq.creatine_loading"};

  std::atomic<bool> done{false};
  std::vector<std::string> scrape_problems;  // written by the scraper only; read after join
  std::thread scraper([&] {
    while (!done.load()) {
      Exposition e;
      if (std::string why = check_exposition(m.render({}), e); !why.empty()) {
        scrape_problems.push_back(std::move(why));
      }
    }
  });
  std::vector<std::thread> workers;
  for (int t = 0; t < kThreads; ++t) {
    workers.emplace_back([&, t] {
      for (int i = 0; i < kIterations; ++i) {
        m.count_text(intents[static_cast<std::size_t>(i) % intents.size()]);
        m.count_text("thread-" + std::to_string(t));
        m.count_replies(2);
        m.count_duplicate();
        m.count_outbox_sent();
        m.observe_webhook(std::chrono::microseconds(i % 2 == 0 ? 100 : 2000), 200);
      }
    });
  }
  for (auto& w : workers) w.join();
  done = true;
  scraper.join();
  INFO((scrape_problems.empty() ? std::string() : scrape_problems.front()));
  CHECK(scrape_problems.empty());

  const Exposition e = parsed(render(m));
  constexpr int kTotal = kThreads * kIterations;
  constexpr std::string_view kTexts = "smscoach_texts_received_total";
  // 20000 iterations over 3 intents: 6667, 6667, 6666 per thread.
  CHECK(value_of(e, kTexts, {{"intent", "dose"}}) == std::to_string(kThreads * 6667));
  CHECK(value_of(e, kTexts, {{"intent", "med_safety"}}) == std::to_string(kThreads * 6667));
  CHECK(value_of(e, kTexts, {{"intent", "faq.creatine_loading"}}) ==
        std::to_string(kThreads * 6666));
  for (int t = 0; t < kThreads; ++t) {
    CHECK(value_of(e, kTexts, {{"intent", "thread-" + std::to_string(t)}}) ==
          std::to_string(kIterations));
  }
  CHECK(value_of(e, "smscoach_replies_total") == std::to_string(2 * kTotal));
  CHECK(value_of(e, "smscoach_texts_duplicate_total") == std::to_string(kTotal));
  CHECK(value_of(e, "smscoach_outbox_sent_total") == std::to_string(kTotal));
  CHECK(value_of(e, "smscoach_webhook_requests_total", {{"code", "200"}}) ==
        std::to_string(kTotal));
  CHECK(value_of(e, "smscoach_webhook_duration_seconds_count") == std::to_string(kTotal));
  CHECK(value_of(e, "smscoach_webhook_duration_seconds_bucket", {{"le", "0.0005"}}) ==
        std::to_string(kTotal / 2));
  CHECK(value_of(e, "smscoach_webhook_duration_seconds_bucket", {{"le", "0.001"}}) ==
        std::to_string(kTotal / 2));
  CHECK(value_of(e, "smscoach_webhook_duration_seconds_bucket", {{"le", "0.0025"}}) ==
        std::to_string(kTotal));
  // Half at 100 us, half at 2 ms: 40000 * 0.0021 s = 84 s.
  CHECK(value_of(e, "smscoach_webhook_duration_seconds_sum") == "84");
}

// Black-box: two smscoach instances on one PostgreSQL database, as behind a
// load balancer. What one writes the other reads; texts of one texter
// arriving at both at once are taken in turn, not lost; a kill -9 loses no
// text that was acknowledged; the shared outbox sends each reply once.
//
// PostgreSQL only ([postgresql]): a SQLite file belongs to one process.
// Client threads record what happened and assert nothing: Catch2's macros
// are for the main thread only.

#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <barrier>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

#include "dialogue/store/store.hpp"
#include "fake_messages_api.hpp"
#include "http_client.hpp"
#include "eventually.hpp"
#include "server_process.hpp"
#include "support/test_database.hpp"
#include "rest_mode_args.hpp"
#include "twilio_signing.hpp"
#include "twiml_reading.hpp"

using namespace smscoach;
using namespace std::chrono_literals;
using test::FakeMessagesApi;
using test::FakeReply;
using test::Fields;
using test::HttpClient;
using test::ServerProcess;
using test::eventually;
using test::kEmptyTwiml;
using test::twiml_messages;

namespace {

const std::string kAccountSid = "AC0123456789abcdef0123456789abcdef";
const std::string kToken = "cluster-test-auth-token-0123456789";
const std::string kPublicUrl = "https://sms.example.com";
const std::string kLine = "+15550001111";
const std::string kOperatorToken = "operator-token-0123456789abcdef";

// Texts that set a goal, and the goal each sets.
const std::array<std::pair<const char*, const char*>, 3> kGoals = {
    {{"my goal is to lose fat", "lose_fat"},
     {"my goal is to build muscle", "build_muscle"},
     {"i want to maintain", "maintain"}}};

// Catch2 v2 has no SKIP: run directly without SMSCOACH_TEST_STORE=postgresql,
// TestDatabase would be a SQLite file, which two processes must not share.
bool on_postgres() {
  if (test::TestDatabase::postgres()) return true;
  WARN("needs SMSCOACH_TEST_STORE=postgresql and SMSCOACH_TEST_POSTGRES_URL; skipped");
  return false;
}

std::vector<std::string> dev_args(const test::TestDatabase& db,
                                  std::vector<std::string> extra = {}) {
  std::vector<std::string> args = {"serve", "--listen", "127.0.0.1:0", "--db", db.url()};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

std::vector<std::string> rest_args(const test::TestDatabase& db, const FakeMessagesApi& api,
                                   std::vector<std::string> extra = {}) {
  return test::rest_mode_args(db.url(), api.base_url(), {kAccountSid, kToken, kPublicUrl},
                              std::move(extra));
}

Fields sms_fields(const std::string& from, const std::string& body, const std::string& sid) {
  return {{"MessageSid", sid}, {"SmsSid", sid},   {"AccountSid", kAccountSid}, {"From", from},
          {"To", kLine},       {"Body", body},    {"NumMedia", "0"}};
}

// Dev mode: no signature.
test::HttpResult post_text(HttpClient& http, std::uint16_t port, const std::string& from,
                           const std::string& body, const std::string& sid) {
  return http.post_form(port, "/sms/twilio", sms_fields(from, body, sid));
}

// REST mode: signed for the public URL, as Twilio does.
test::HttpResult post_signed_text(HttpClient& http, std::uint16_t port, const std::string& from,
                                  const std::string& body, const std::string& sid) {
  const auto fields = sms_fields(from, body, sid);
  return http.post_form(
      port, "/sms/twilio", fields,
      {{"X-Twilio-Signature", test::twilio_signature_for(kToken, kPublicUrl + "/sms/twilio", fields)}});
}

std::string next_sid() {
  static std::atomic<int> counter{0};
  return "SMcluster" + std::to_string(++counter);
}

// Texts once in dev mode and returns the replies; fails the test on a non-200.
std::vector<std::string> text(HttpClient& http, std::uint16_t port, const std::string& from,
                              const std::string& body) {
  const auto r = post_text(http, port, from, body, next_sid());
  INFO(r.body);
  REQUIRE(r.status == 200);
  return twiml_messages(r.body);
}

// Generous: these wait on two processes and a loaded machine.
constexpr auto kPatience = 20s;

std::string number(int base, int i) { return "+1555" + std::to_string(base * 10000 + i); }

int inbound_count(dialogue::Store& store, const std::string& number) {
  const auto messages = store.messages(number);
  REQUIRE(messages);
  return static_cast<int>(std::count_if(messages->begin(), messages->end(), [](const auto& m) {
    return m.direction == dialogue::Direction::in;
  }));
}

std::vector<dialogue::OutboxRecord> outbox_of(dialogue::Store& store,
                                              const std::vector<std::string>& numbers) {
  std::vector<dialogue::OutboxRecord> out;
  for (const auto& n : numbers) {
    auto rows = store.outbox(n);
    REQUIRE(rows);
    out.insert(out.end(), rows->begin(), rows->end());
  }
  return out;
}

// smscoach_outbox_sent_total of one instance: the sends it completed.
long sent_total(std::uint16_t port) {
  HttpClient http;
  const std::string body = http.get(port, "/metrics").body;
  const std::string name = "smscoach_outbox_sent_total ";
  const auto at = body.find("\n" + name);
  REQUIRE(at != std::string::npos);
  return std::stol(body.substr(at + 1 + name.size()));
}

// What one client request got: its HTTP status (0: failed at the transport
// level, e.g. refused) and body.
struct Attempt {
  std::string sid;
  std::string from;
  int instance = 0;
  long status = 0;
  std::string body;
  bool after_kill = false;  // started once the kill had happened
};

// Several texters, each sending `texts` in order, alternating the two
// instances, on `threads` client threads. A text that failed at the first
// instance it tried is retried at `fallback` with the same MessageSid, as
// Twilio retries a webhook at its fallback URL. Returns every attempt.
std::vector<Attempt> text_both(const std::vector<std::string>& numbers,
                               const std::vector<std::string>& texts,
                               const std::array<std::uint16_t, 2>& ports, std::uint16_t fallback,
                               int threads) {
  std::mutex mutex;
  std::vector<Attempt> attempts;
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      HttpClient http;
      for (std::size_t i = static_cast<std::size_t>(t); i < numbers.size();
           i += static_cast<std::size_t>(threads)) {
        for (std::size_t j = 0; j < texts.size(); ++j) {
          const std::string sid = next_sid();
          const int instance = static_cast<int>((i + j) % 2);
          for (std::uint16_t port : {ports[static_cast<std::size_t>(instance)], fallback}) {
            Attempt a{sid, numbers[i], port == ports[0] ? 0 : 1, 0, {}, false};
            try {
              const auto r = post_signed_text(http, port, numbers[i], texts[j], sid);
              a.status = r.status;
              a.body = r.body;
            } catch (const std::exception& e) {
              a.body = e.what();
            }
            const bool ok = a.status == 200;
            {
              std::lock_guard lock(mutex);
              attempts.push_back(std::move(a));
            }
            if (ok) break;
          }
        }
      }
    });
  }
  for (auto& th : pool) th.join();
  return attempts;
}

std::string failures_of(const std::vector<Attempt>& attempts, bool (*failed)(const Attempt&)) {
  std::string out;
  for (const auto& a : attempts) {
    if (failed(a)) {
      out += a.sid + " at " + std::string(a.instance == 0 ? "A" : "B") + ": " +
             std::to_string(a.status) + " " + a.body.substr(0, 200) + "\n";
    }
  }
  return out;
}

}  // namespace

TEST_CASE("cluster: what one instance stores, the other reads", "[postgresql]") {
  if (!on_postgres()) return;
  test::TestDatabase db;
  const std::vector<std::string> staff = {"--admin-token", "operator:alice:" + kOperatorToken};
  ServerProcess a(SMSCOACH_BINARY, dev_args(db, staff));
  ServerProcess b(SMSCOACH_BINARY, dev_args(db, staff));
  HttpClient http;
  auto store = db.open();

  SECTION("a weight told to A shapes B's dose answer") {
    const std::string texter = number(2001, 1), stranger = number(2001, 2);
    REQUIRE(text(http, a.port(), texter, "I weigh 80 kg").size() == 1);
    const auto state = store->load_texter(texter);
    REQUIRE(state);
    CHECK(state->weight_kg == std::optional<double>(80.0));

    const auto dose = text(http, b.port(), texter, "how much creatine");
    const auto generic = text(http, b.port(), stranger, "how much creatine");
    REQUIRE(dose.size() == 1);
    REQUIRE(generic.size() == 1);
    CHECK(dose[0] != generic[0]);
    CHECK(dose[0].find("at 80 kg") != std::string::npos);  // the per-kg figure worked out
    CHECK(generic[0].find("80 kg") == std::string::npos);
  }

  SECTION("a question asked through B is answered through A") {
    // The pending question lives in the store: "80 kg" alone would only be
    // remembered ("Got it"); as the answer to B's question it gets the dose.
    const std::string texter = number(2001, 3);
    const auto ask = text(http, b.port(), texter, "how much protein do i need");
    REQUIRE(ask.size() == 1);
    CHECK(ask[0].find("What do you weigh?") == 0);
    const auto dose = text(http, a.port(), texter, "80 kg");
    REQUIRE(dose.size() == 1);
    CHECK(dose[0].find("Protein:") == 0);
    CHECK(dose[0].find("at 80 kg") != std::string::npos);
  }

  SECTION("an operator's takeover at A silences the bot at B; a release at B wakes it at A") {
    const std::string texter = number(2001, 4);
    const std::string path = "/api/v1/conversations/%2B" + texter.substr(1);
    const test::Headers auth = {{"Content-Type", "application/json"},
                                {"Authorization", "Bearer " + kOperatorToken}};
    REQUIRE(text(http, b.port(), texter, "what is lean mass").size() == 1);
    REQUIRE(http.request("POST", a.port(), path + "/takeover", auth, "").status == 200);
    CHECK(text(http, b.port(), texter, "what is lean mass").empty());
    CHECK(store->load_texter(texter)->mode == dialogue::Mode::human);
    REQUIRE(http.request("POST", b.port(), path + "/release", auth, "").status == 200);
    CHECK(text(http, a.port(), texter, "what is lean mass").size() == 1);
    CHECK(store->load_texter(texter)->mode == dialogue::Mode::bot);
  }
}

TEST_CASE("cluster: texts of the same texters at both instances at once lose nothing", "[postgresql]") {
  if (!on_postgres()) return;
  test::TestDatabase db;
  // No rate limit: every text must change the state it names.
  ServerProcess a(SMSCOACH_BINARY, dev_args(db, {"--rate-limit", "0"}));
  ServerProcess b(SMSCOACH_BINARY, dev_args(db, {"--rate-limit", "0"}));
  constexpr int kTexters = 40;

  // Four streams walk the texters in the same order, so at any moment the
  // same texter's texts are being handled at both instances: each turn
  // reads the state and writes it whole, so without one lock across the
  // processes one fact would overwrite another.
  struct Stream {
    int instance_of_even, instance_of_odd;  // 0: A, 1: B
    std::string (*body)(int texter);
  };
  const Stream streams[] = {
      {0, 0, [](int i) { return "I weigh " + std::to_string(50 + i) + " kg"; }},
      {1, 1, [](int i) { return std::string(kGoals[static_cast<std::size_t>(i) % 3].first); }},
      {0, 1, [](int) { return std::string("I take metformin"); }},
      {1, 0, [](int) { return std::string("what is lean mass"); }},
  };
  const std::array<std::uint16_t, 2> ports = {a.port(), b.port()};
  std::mutex mutex;
  std::vector<Attempt> attempts;
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  for (const auto& stream : streams) {
    threads.emplace_back([&, stream] {
      HttpClient http;
      while (!go) std::this_thread::yield();
      for (int i = 0; i < kTexters; ++i) {
        const int instance = i % 2 == 0 ? stream.instance_of_even : stream.instance_of_odd;
        Attempt at{next_sid(), number(3001, i), instance, 0, {}, false};
        try {
          const auto r = post_text(http, ports[static_cast<std::size_t>(instance)], at.from,
                                   stream.body(i), at.sid);
          at.status = r.status;
          at.body = r.body;
        } catch (const std::exception& e) {
          at.body = e.what();
        }
        std::lock_guard lock(mutex);
        attempts.push_back(std::move(at));
      }
    });
  }
  go = true;
  for (auto& t : threads) t.join();

  REQUIRE(attempts.size() == 4 * kTexters);
  INFO(failures_of(attempts, [](const Attempt& at) {
    return at.status != 200 || twiml_messages(at.body).size() != 1;
  }));
  CHECK(std::all_of(attempts.begin(), attempts.end(), [](const Attempt& at) {
    return at.status == 200 && twiml_messages(at.body).size() == 1;
  }));

  auto store = db.open();
  int inbound = 0;
  for (int i = 0; i < kTexters; ++i) {
    const std::string n = number(3001, i);
    INFO(n);
    const auto state = store->load_texter(n);
    REQUIRE(state);
    CHECK(state->weight_kg == std::optional<double>(50 + i));
    CHECK(state->goal == kGoals[static_cast<std::size_t>(i) % 3].second);
    CHECK(state->medications == std::vector<std::string>{"metformin"});
    inbound += inbound_count(*store, n);
  }
  CHECK(inbound == 4 * kTexters);  // every text stored once
}

TEST_CASE("cluster: one MessageSid delivered to both instances at once is processed once", "[postgresql]") {
  if (!on_postgres()) return;
  test::TestDatabase db;
  ServerProcess a(SMSCOACH_BINARY, dev_args(db));
  ServerProcess b(SMSCOACH_BINARY, dev_args(db));
  constexpr int kRounds = 12;
  // Each round, both threads post the same webhook the moment both are ready.
  std::barrier sync(2);
  std::array<std::vector<test::HttpResult>, 2> results;
  std::array<std::string, 2> errors;
  std::vector<std::thread> threads;
  for (int side = 0; side < 2; ++side) {
    threads.emplace_back([&, side] {
      HttpClient http;
      const std::uint16_t port = side == 0 ? a.port() : b.port();
      for (int k = 0; k < kRounds; ++k) {
        sync.arrive_and_wait();
        try {
          results[static_cast<std::size_t>(side)].push_back(post_text(
              http, port, number(4001, k), "what is lean mass", "SMsame" + std::to_string(k)));
        } catch (const std::exception& e) {
          errors[static_cast<std::size_t>(side)] += e.what();
          results[static_cast<std::size_t>(side)].push_back({});
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(errors[0].empty());
  CHECK(errors[1].empty());

  auto store = db.open();
  for (int k = 0; k < kRounds; ++k) {
    INFO("round " << k);
    const auto& at_a = results[0][static_cast<std::size_t>(k)];
    const auto& at_b = results[1][static_cast<std::size_t>(k)];
    CHECK(at_a.status == 200);
    CHECK(at_b.status == 200);
    CHECK(twiml_messages(at_a.body).size() == 1);
    CHECK(at_a.body == at_b.body);  // the repeat gets the first delivery's answer
    const auto messages = store->messages(number(4001, k));
    REQUIRE(messages);
    CHECK(messages->size() == 2);  // one text in, one reply out
    CHECK(inbound_count(*store, number(4001, k)) == 1);
  }
}

TEST_CASE("cluster: kill -9 of one instance under load loses no acknowledged text", "[postgresql]") {
  if (!on_postgres()) return;
  test::TestDatabase db;
  ServerProcess a(SMSCOACH_BINARY, dev_args(db, {"--rate-limit", "0"}));
  ServerProcess b(SMSCOACH_BINARY, dev_args(db, {"--rate-limit", "0"}));
  const std::array<std::uint16_t, 2> ports = {a.port(), b.port()};
  constexpr int kThreads = 6, kNumbersPerThread = 8;
  const char* const bodies[] = {"what is lean mass", "I weigh 70 kg", "hello", "how much creatine"};

  std::atomic<bool> killed{false}, stop{false};
  std::atomic<int> acked_a{0}, acked_b_after_kill{0};
  std::mutex mutex;
  std::vector<Attempt> attempts;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      HttpClient http(5000);
      for (int n = 0; !stop; ++n) {
        const int instance = (n + t) % 2;
        Attempt at{"SMload" + std::to_string(t) + "x" + std::to_string(n),
                   number(5001, t * 100 + n % kNumbersPerThread), instance, 0, {}, killed.load()};
        try {
          const auto r = post_text(http, ports[static_cast<std::size_t>(instance)], at.from,
                                   bodies[n % 4], at.sid);
          at.status = r.status;
          at.body = r.body;
        } catch (const std::exception& e) {
          at.body = e.what();
        }
        if (at.status == 200) {
          if (instance == 0) ++acked_a;
          if (instance == 1 && at.after_kill) ++acked_b_after_kill;
        }
        std::lock_guard lock(mutex);
        attempts.push_back(std::move(at));
      }
    });
  }
  // About a second of load, then A dies busy; the load goes on at B for a while.
  std::this_thread::sleep_for(1s);
  const bool a_busy = eventually([&] { return acked_a >= 50; }, kPatience);
  a.kill9();
  killed = true;
  std::this_thread::sleep_for(500ms);
  const bool b_served = eventually([&] { return acked_b_after_kill >= 50; }, kPatience);
  stop = true;
  for (auto& t : threads) t.join();
  REQUIRE(a_busy);
  REQUIRE(b_served);
  CHECK(a.exit_code() == 128 + SIGKILL);

  // B never failed a request, not even while A died.
  INFO(failures_of(attempts, [](const Attempt& at) { return at.instance == 1 && at.status != 200; }));
  CHECK(std::none_of(attempts.begin(), attempts.end(),
                     [](const Attempt& at) { return at.instance == 1 && at.status != 200; }));
  // A answered 200 or nothing (a transport error): never an HTTP error.
  INFO(failures_of(attempts, [](const Attempt& at) { return at.status != 0 && at.status != 200; }));
  CHECK(std::none_of(attempts.begin(), attempts.end(),
                     [](const Attempt& at) { return at.status != 0 && at.status != 200; }));

  // Every acknowledged text was stored, with the replies it was answered with.
  auto store = db.open();
  int acked = 0, a_failed_mid_flight = 0;
  for (const auto& at : attempts) {
    if (at.status != 200) {
      a_failed_mid_flight += !at.after_kill;
      continue;
    }
    ++acked;
    const auto replies = store->processed_replies(at.sid);
    REQUIRE(replies);
    INFO(at.sid << " acknowledged by " << (at.instance == 0 ? "A" : "B"));
    REQUIRE(replies->has_value());
    CHECK(**replies == twiml_messages(at.body));
  }
  // Nothing stored that was never sent; at most the texts A was handling
  // when it died stored without an answer.
  int stored = 0;
  std::set<std::string> numbers;
  for (const auto& at : attempts) numbers.insert(at.from);
  for (const auto& n : numbers) stored += inbound_count(*store, n);
  std::set<std::string> sids;
  for (const auto& at : attempts) sids.insert(at.sid);
  CHECK(stored >= acked);
  CHECK(stored <= static_cast<int>(sids.size()));
  CHECK(stored - acked <= a_failed_mid_flight);
}

TEST_CASE("cluster: the shared outbox sends each reply exactly once", "[postgresql]") {
  if (!on_postgres()) return;
  test::TestDatabase db;
  FakeMessagesApi api(kAccountSid, kToken);
  ServerProcess a(SMSCOACH_BINARY, rest_args(db, api));
  ServerProcess b(SMSCOACH_BINARY, rest_args(db, api));
  std::vector<std::string> numbers;
  for (int i = 0; i < 30; ++i) numbers.push_back(number(6001, i));
  // Three texts with three different one-part replies, so each texter's
  // replies can be told apart by body.
  const std::vector<std::string> texts = {"hello", "what is lean mass", "what is creatine"};
  const auto attempts = text_both(numbers, texts, {a.port(), b.port()}, b.port(), 6);
  INFO(failures_of(attempts, [](const Attempt& at) { return at.status != 200 || at.body != kEmptyTwiml; }));
  REQUIRE(std::all_of(attempts.begin(), attempts.end(), [](const Attempt& at) {
    return at.status == 200 && at.body == kEmptyTwiml;
  }));

  auto store = db.open();
  const std::size_t expected = numbers.size() * texts.size();
  REQUIRE(eventually([&] {
    const auto counts = store->counts();
    return counts && counts->outbox_depth == 0 && outbox_of(*store, numbers).size() == expected;
  }, kPatience));
  std::this_thread::sleep_for(500ms);  // time for a duplicate send to show up

  const auto rows = outbox_of(*store, numbers);
  const auto requests = api.requests();
  const auto accepted = api.accepted();
  CHECK(requests.size() == expected);
  CHECK(accepted.size() == expected);
  std::set<std::string> accepted_sids, row_sids;
  for (const auto& r : accepted) accepted_sids.insert(r.sid);
  for (const auto& row : rows) {
    INFO("outbox " << row.id << " to " << row.to);
    CHECK(row.status == "sent");
    CHECK(row.attempts == 1);
    row_sids.insert(row.provider_sid);
  }
  CHECK(row_sids == accepted_sids);  // each row's one send is the one the API accepted
  // Per texter, the API saw the replies once each, in the order they were queued.
  for (const auto& n : numbers) {
    std::vector<std::string> queued, sent;
    for (const auto& row : rows) {
      if (row.to == n) queued.push_back(row.body);
    }
    for (const auto& r : accepted) {
      if (r.form.at("To") == n) sent.push_back(r.form.at("Body"));
    }
    INFO(n);
    REQUIRE(std::set<std::string>(queued.begin(), queued.end()).size() == texts.size());
    CHECK(sent == queued);
  }
  // Each send counted by exactly one instance.
  const long by_a = sent_total(a.port()), by_b = sent_total(b.port());
  INFO("sent by A " << by_a << ", by B " << by_b);
  CHECK(by_a + by_b == static_cast<long>(expected));
}

TEST_CASE("cluster: after a kill -9 mid-send, the other instance sends what was left, repeating only what was in flight",
          "[postgresql]") {
  if (!on_postgres()) return;
  test::TestDatabase db;
  FakeMessagesApi api(kAccountSid, kToken);
  std::vector<std::string> numbers;
  for (int i = 0; i < 30; ++i) numbers.push_back(number(7001, i));
  // Slow answers keep sends in flight; well inside the send timeout, so no
  // send times out and repeats on its own. Short leases: the dead
  // instance's claims run out soon.
  for (const auto& n : numbers) api.plan(n, std::vector<FakeReply>(10, FakeReply{201, 0, 250ms}));
  const std::vector<std::string> lease = {"--outbox-timeout-ms", "1000", "--outbox-lease-ms", "2000"};
  ServerProcess a(SMSCOACH_BINARY, rest_args(db, api, lease));
  ServerProcess b(SMSCOACH_BINARY, rest_args(db, api, lease));
  const std::vector<std::string> texts = {"hello", "what is lean mass", "what is creatine"};

  // Texts go on arriving at both while A is killed; one A failed to take
  // is taken by B, with the same MessageSid.
  std::vector<Attempt> attempts;
  std::thread texting([&] { attempts = text_both(numbers, texts, {a.port(), b.port()}, b.port(), 6); });
  // Joined on every way out: a failed REQUIRE below must not leave it running.
  struct Join {
    std::thread& t;
    ~Join() {
      if (t.joinable()) t.join();
    }
  } join_texting{texting};
  const bool sending = eventually([&] { return api.requests().size() >= 20; }, kPatience);
  a.kill9();
  std::size_t unanswered_at_kill = 0;
  for (const auto& r : api.requests()) unanswered_at_kill += r.answered_status == 0;
  // Right after the kill: the rows claimed and not completed. A repeat can
  // only be one of these: a send A had started, whose outcome it never recorded.
  std::map<std::pair<std::string, std::string>, std::int64_t> in_flight;  // (to, body) -> row id
  auto store = db.open();
  for (const auto& row : outbox_of(*store, numbers)) {
    if (row.status == "sending") in_flight[{row.to, row.body}] = row.id;
  }
  texting.join();
  REQUIRE(sending);
  INFO(failures_of(attempts, [](const Attempt& at) { return at.instance == 1 && at.status != 200; }));
  REQUIRE(std::none_of(attempts.begin(), attempts.end(),
                       [](const Attempt& at) { return at.instance == 1 && at.status != 200; }));

  const std::size_t expected = numbers.size() * texts.size();
  REQUIRE(eventually(
      [&] {
        const auto counts = store->counts();
        return counts && counts->outbox_depth == 0 &&
               outbox_of(*store, numbers).size() == expected;
      },
      30s));
  std::this_thread::sleep_for(500ms);  // time for a stray repeat to show up

  const auto rows = outbox_of(*store, numbers);
  const auto accepted = api.accepted();
  std::map<std::string, const dialogue::OutboxRecord*> row_by_sid;
  for (const auto& row : rows) {
    INFO("outbox " << row.id << " to " << row.to);
    CHECK(row.status == "sent");
    row_by_sid[row.provider_sid] = &row;
  }
  // Every reply reached the API: its row's recorded send is an accepted one.
  std::set<std::string> accepted_sids;
  for (const auto& r : accepted) accepted_sids.insert(r.sid);
  for (const auto& row : rows) CHECK(accepted_sids.count(row.provider_sid) == 1);
  // Any other accepted send is a repeat, and only of a send in flight at the kill, once.
  std::map<std::int64_t, int> repeats;
  std::string stray;
  for (const auto& r : accepted) {
    if (row_by_sid.count(r.sid)) continue;
    const auto it = in_flight.find({r.form.at("To"), r.form.at("Body")});
    if (it == in_flight.end()) {
      stray += r.form.at("To") + ": " + r.form.at("Body").substr(0, 40) + "\n";
    } else {
      ++repeats[it->second];
    }
  }
  int repeated = 0;
  for (const auto& [id, count] : repeats) {
    CHECK(count == 1);
    repeated += count;
  }
  // A row A had claimed is claimed again once its lease ran out: a second attempt.
  int taken_over = 0;
  for (const auto& row : rows) taken_over += row.attempts > 1;
  INFO("in flight at the kill: " << in_flight.size() << " (the API had " << unanswered_at_kill
                                 << " unanswered), repeated: " << repeated
                                 << ", taken over after the lease: " << taken_over);
  CHECK(taken_over >= 1);  // the kill did catch A mid-send, or this test proves little
  CHECK(stray.empty());
  CHECK(repeated <= taken_over);
  CHECK(repeated <= static_cast<int>(in_flight.size()));
  CHECK(accepted.size() == expected + static_cast<std::size_t>(repeated));
  // Per texter, in queue order; a repeat comes right after its first send.
  for (const auto& n : numbers) {
    std::vector<std::string> queued, sent;
    for (const auto& row : rows) {
      if (row.to == n) queued.push_back(row.body);
    }
    for (const auto& r : accepted) {
      if (r.form.at("To") == n && (sent.empty() || sent.back() != r.form.at("Body"))) {
        sent.push_back(r.form.at("Body"));
      }
    }
    INFO(n);
    REQUIRE(std::set<std::string>(queued.begin(), queued.end()).size() == texts.size());
    CHECK(sent == queued);
  }
  if (std::getenv("CLUSTER_TEST_VERBOSE")) {
    WARN("in flight at the kill: " << in_flight.size() << " (the API had " << unanswered_at_kill
                                   << " unanswered), repeated: " << repeated
                                   << ", taken over: " << taken_over);
  }
}

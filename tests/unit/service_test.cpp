#include <catch2/catch.hpp>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <thread>

#include "content/loader.hpp"
#include "support/shipped_knowledge.hpp"
#include "dialogue/service.hpp"
#include "dialogue/store/sqlite_store.hpp"
#include "support/flush_gate.hpp"
#include "support/test_database.hpp"
#include "support/temp_dir.hpp"

using namespace smscoach;
using namespace smscoach::dialogue;

namespace {

// A fresh Knowledge each time: the service holds it by shared_ptr.
std::shared_ptr<const Knowledge> shipped() {
  return std::make_shared<const Knowledge>(test::shipped_kb());
}

}  // namespace

TEST_CASE("the service stores each turn and answers repeats from the store", "[store]") {
  test::FreshStore fresh;
  Store& store = *fresh;
  Service service(store, shipped());
  const InboundSms sms{"SM100", "+15557654321", "+15550001111", "what is lean mass", ""};
  auto first = service.handle(sms, Clock::now());
  REQUIRE(first);
  CHECK_FALSE(first->duplicate);
  CHECK(first->intent == "faq.what_is_lean_mass");
  REQUIRE(first->replies.size() == 1);

  auto again = service.handle(sms, Clock::now());
  REQUIRE(again);
  CHECK(again->duplicate);
  CHECK(again->replies == first->replies);
  CHECK(store.messages(sms.from)->size() == 2);
}

TEST_CASE("a keyword the provider already answered changes the state and sends nothing", "[store]") {
  test::FreshStore fresh;
  Store& store = *fresh;
  Service service(store, shipped());
  auto stop = service.handle({"SMk1", "+15553330000", "", "stop", "STOP"}, Clock::now());
  REQUIRE(stop);
  CHECK(stop->replies.empty());  // Twilio sent the confirmation already
  CHECK(stop->intent == "opt_out");
  CHECK(store.load_texter("+15553330000")->opted_out);
  auto after = service.handle({"SMk2", "+15553330000", "", "what is lean mass", ""}, Clock::now());
  CHECK(after->replies.empty());
  auto start = service.handle({"SMk3", "+15553330000", "", "start", "START"}, Clock::now());
  CHECK(start->replies.empty());
  CHECK_FALSE(store.load_texter("+15553330000")->opted_out);
  CHECK(store.messages("+15553330000")->size() == 3);  // all stored, nothing sent
}

TEST_CASE("the rate limit stores excess texts unanswered, lets compliance through, per number", "[store]") {
  test::FreshStore fresh;
  Store& store = *fresh;
  ServiceOptions options;
  options.rate_limit_per_minute = 3;
  Service service(store, shipped(), options);
  const auto t0 = Clock::now();
  auto text = [&](const std::string& sid, const std::string& from, const std::string& body,
                  Clock::time_point at) {
    auto r = service.handle({sid, from, "", body, ""}, at);
    REQUIRE(r);
    return *r;
  };
  for (int i = 0; i < 3; ++i) {
    CHECK_FALSE(text("SMr" + std::to_string(i), "+15556660000", "hello", t0 + std::chrono::seconds(i))
                    .replies.empty());
  }
  const auto limited = text("SMr3", "+15556660000", "what is lean mass", t0 + std::chrono::seconds(4));
  CHECK(limited.replies.empty());
  CHECK(limited.rate_limited);
  CHECK(limited.intent == "faq.what_is_lean_mass");  // still understood and stored
  CHECK_FALSE(text("SMo1", "+15556669999", "hello", t0 + std::chrono::seconds(5)).replies.empty());
  const auto help = text("SMr4", "+15556660000", "HELP", t0 + std::chrono::seconds(6));
  CHECK(help.replies.size() == 1);  // compliance keywords always act
  const auto stop = text("SMr5", "+15556660000", "STOP", t0 + std::chrono::seconds(7));
  CHECK(stop.replies.size() == 1);
  CHECK(store.load_texter("+15556660000")->opted_out);
  CHECK(store.messages("+15556660000")->size() == 6 + 5);  // 6 texts in, 5 replies out
  // A minute after the burst the texter is answered again.
  text("SMr6", "+15556660000", "START", t0 + std::chrono::seconds(8));
  CHECK_FALSE(text("SMr7", "+15556660000", "hello", t0 + std::chrono::seconds(70)).replies.empty());
}

TEST_CASE("the service refuses a text without sender or id", "[store]") {
  test::FreshStore fresh;
  Store& store = *fresh;
  Service service(store, shipped());
  auto r = service.handle({"SM1", "", "", "hi", ""}, Clock::now());
  REQUIRE_FALSE(r);
  CHECK(r.error().code == ErrorCode::bad_input);
  auto r2 = service.handle({"", "+15551112222", "", "hi", ""}, Clock::now());
  REQUIRE_FALSE(r2);
  CHECK(r2.error().code == ErrorCode::bad_input);
}

TEST_CASE("concurrent texts from one texter are all stored, none lost", "[store]") {
  test::FreshStore fresh;
  Store& store = *fresh;
  Service service(store, shipped());
  constexpr int kThreads = 4, kEach = 15;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        const std::string sid = "SM" + std::to_string(t) + "_" + std::to_string(i);
        // Half go to one shared number, half to a number per thread.
        const std::string from = i % 2 ? "+15550000000" : "+1555000000" + std::to_string(t + 1);
        if (!service.handle({sid, from, "", "hello", ""}, Clock::now())) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK(failures == 0);
  std::size_t inbound = 0;
  for (const char* n : {"+15550000000", "+15550000001", "+15550000002", "+15550000003",
                        "+15550000004"}) {
    const auto messages = store.messages(n);
    REQUIRE(messages);
    for (const auto& m : *messages) inbound += m.direction == Direction::in;
  }
  CHECK(inbound == kThreads * kEach);
}

TEST_CASE("a text waiting for its texter's earlier turn holds no thread, and runs after it",
          "[sqlite]") {
  using namespace std::chrono_literals;
  test::TempDir dir;
  test::FlushGate gate;  // closed: no turn reaches the disk until the test says
  SqliteStore store(dir.path() / "queued.db", test::gated(gate));

  std::mutex mutex;
  std::condition_variable changed;
  std::deque<std::function<void()>> pool;  // the server's worker pool, run by hand here
  std::vector<std::string> answered;       // message ids, in the order answered
  ServiceOptions options;
  options.run_waiting_turn = [&](std::function<void()> turn) {
    std::lock_guard lock(mutex);
    pool.push_back(std::move(turn));
    changed.notify_all();
  };
  Service service(store, shipped(), options);
  const std::string from = "+15557770001";
  auto text = [&](const std::string& sid, const std::string& body) {
    // Returns once handle_then does: it must not wait for the earlier turn.
    auto returned = std::async(std::launch::async, [&, sid, body] {
      service.handle_then({sid, from, "", body, ""}, Clock::now(),
                          [&, sid](Expected<HandledTurn> turn) {
                            REQUIRE(turn);
                            std::lock_guard lock(mutex);
                            answered.push_back(sid);
                            changed.notify_all();
                          });
    });
    const bool in_time = returned.wait_for(5s) == std::future_status::ready;
    if (!in_time) gate.set(true);  // let the stuck call finish before failing
    return in_time;
  };
  auto wait_until = [&](auto done) {
    std::unique_lock lock(mutex);
    return changed.wait_for(lock, 10s, done);
  };

  REQUIRE(text("SMq1", "hi"));
  gate.await_flush();  // the first turn is committed and waits for its flush
  REQUIRE(text("SMq2", "what is creatine"));
  REQUIRE(text("SMq3", "thanks"));
  {
    std::lock_guard lock(mutex);
    CHECK(answered.empty());
    CHECK(pool.empty());  // queued behind the first turn, not yet handed to a worker
  }

  gate.set(true);
  REQUIRE(wait_until([&] { return answered.size() == 1 && pool.size() == 1; }));
  CHECK(answered == std::vector<std::string>{"SMq1"});
  for (const char* next : {"SMq2", "SMq3"}) {
    std::function<void()> turn;
    {
      std::lock_guard lock(mutex);
      REQUIRE(pool.size() == 1);
      turn = std::move(pool.front());
      pool.pop_front();
    }
    turn();  // as a worker would: the texter's next turn
    REQUIRE(wait_until([&] { return !answered.empty() && answered.back() == next; }));
    if (std::string(next) == "SMq2") REQUIRE(wait_until([&] { return pool.size() == 1; }));
  }
  CHECK(answered == std::vector<std::string>{"SMq1", "SMq2", "SMq3"});
  const auto messages = store.messages(from);
  REQUIRE(messages);
  std::vector<std::string> inbound;
  for (const auto& m : *messages) {
    if (m.direction == Direction::in) inbound.push_back(m.body);
  }
  CHECK(inbound == std::vector<std::string>{"hi", "what is creatine", "thanks"});
  std::lock_guard lock(mutex);
  CHECK(pool.empty());
}

TEST_CASE("a swapped knowledge base answers new turns", "[store]") {
  test::FreshStore fresh;
  Store& store = *fresh;
  auto k = shipped();
  Service service(store, k);
  auto kb = k->kb;
  kb.program.greeting = "Swapped greeting.";
  service.set_knowledge(std::make_shared<const Knowledge>(std::move(kb)));
  auto r = service.handle({"SM1", "+15551112222", "", "hello", ""}, Clock::now());
  REQUIRE(r);
  REQUIRE(r->replies.size() == 1);
  CHECK(r->replies[0] == "Swapped greeting.");
}

TEST_CASE("with queued replies the service fills the outbox, and needs the number texted", "[store]") {
  test::FreshStore fresh;
  Store& store = *fresh;
  ServiceOptions options;
  options.queue_replies = true;
  Service service(store, shipped(), options);

  auto turn = service.handle({"SMq1", "+15557654321", "+15550001111", "what is lean mass", ""},
                             Clock::now());
  REQUIRE(turn);
  REQUIRE(turn->replies.size() == 1);
  auto rows = store.outbox("+15557654321");
  REQUIRE(rows->size() == 1);
  CHECK((*rows)[0].body == turn->replies[0]);
  CHECK((*rows)[0].from == "+15550001111");

  auto no_line = service.handle({"SMq2", "+15557654321", "", "hello", ""}, Clock::now());
  REQUIRE_FALSE(no_line);
  CHECK(no_line.error().code == ErrorCode::bad_input);
  CHECK(no_line.error().message.find("To") != std::string::npos);
  CHECK(store.messages("+15557654321")->size() == 2);  // the refused text was not stored
}

// The outbox half of the store: what a turn queues, how the sender claims,
// completes and retries, and that nothing goes to a texter who opted out.

#include <catch2/catch.hpp>

#include "dialogue/store/sqlite_store.hpp"
#include "support/test_database.hpp"
#include "support/temp_dir.hpp"

using namespace smscoach;
using namespace smscoach::dialogue;

namespace {

constexpr std::int64_t kT0 = 1'700'000'000'000;
constexpr std::int64_t kLease = 60'000;
constexpr const char* kLine = "+15550001111";  // the number texters write to

TurnRecord queued_turn(const std::string& sid, const std::string& from,
                       std::vector<std::string> replies, bool opted_out = false,
                       std::int64_t at_ms = kT0) {
  TurnRecord r;
  r.sms = InboundSms{sid, from, kLine, "hi", ""};
  r.at_ms = at_ms;
  r.intent = opted_out ? "opt_out" : "greeting";
  r.replies = std::move(replies);
  r.state.number = from;
  r.state.opted_out = opted_out;
  r.queue_replies = true;
  return r;
}

// Reports on attempt 1 unless told otherwise.
SendReport sent(std::int64_t id, std::string sid, int attempt = 1) {
  SendReport r;
  r.id = id;
  r.attempt = attempt;
  r.outcome = SendOutcome::sent;
  r.provider_sid = std::move(sid);
  r.provider_status = "queued";
  return r;
}

SendReport outcome(std::int64_t id, SendOutcome what, std::int64_t next_attempt_ms = 0,
                   int attempt = 1) {
  SendReport r;
  r.id = id;
  r.attempt = attempt;
  r.outcome = what;
  r.error = "HTTP 500";
  r.next_attempt_ms = next_attempt_ms;
  return r;
}

std::vector<std::string> bodies(const std::vector<OutboxItem>& items) {
  std::vector<std::string> out;
  for (const auto& i : items) out.push_back(i.body);
  return out;
}

}  // namespace

TEST_CASE("a turn in REST mode queues its replies from the number texted", "[store]") {
  test::FreshStore fresh;
  Store& store = *fresh;
  REQUIRE(store.record_turn(queued_turn("SM1", "+15551230001", {"one", "two"})));

  auto rows = store.outbox("+15551230001");
  REQUIRE(rows);
  REQUIRE(rows->size() == 2);
  CHECK((*rows)[0].from == kLine);
  CHECK((*rows)[0].status == "pending");
  CHECK((*rows)[0].attempts == 0);
  CHECK((*rows)[0].body == "one");

  // Without queue_replies (TwiML mode) nothing is queued.
  auto twiml = queued_turn("SM2", "+15551230002", {"three"});
  twiml.queue_replies = false;
  REQUIRE(store.record_turn(twiml));
  CHECK(store.outbox("+15551230002")->empty());

  // A repeated MessageSid queues nothing more.
  REQUIRE(store.record_turn(queued_turn("SM1", "+15551230001", {"one", "two"}))->duplicate);
  CHECK(store.outbox("+15551230001")->size() == 2);
}

TEST_CASE("one texter's replies go one at a time and in order, texters in parallel", "[store]") {
  test::FreshStore fresh;
  Store& store = *fresh;
  REQUIRE(store.record_turn(queued_turn("SM1", "+15551230001", {"a1", "a2"})));
  REQUIRE(store.record_turn(queued_turn("SM2", "+15551230002", {"b1"})));

  auto first = store.claim_outbox(kT0, kLease, 10);
  REQUIRE(first);
  CHECK(bodies(*first) == std::vector<std::string>{"a1", "b1"});
  CHECK((*first)[0].attempt == 1);
  CHECK((*first)[0].to == "+15551230001");
  CHECK((*first)[0].from == kLine);
  // a2 waits for a1; nothing else is due.
  CHECK(store.claim_outbox(kT0, kLease, 10)->empty());

  REQUIRE(store.complete_outbox(sent((*first)[0].id, "SMout1"), kT0));
  auto second = store.claim_outbox(kT0, kLease, 10);
  REQUIRE(second);
  CHECK(bodies(*second) == std::vector<std::string>{"a2"});

  auto counts = store.counts();
  REQUIRE(counts);
  CHECK(counts->outbox_depth == 2);  // a2 and b1 in flight
}

TEST_CASE("a transient failure waits for its retry time, attempts are counted", "[store]") {
  test::FreshStore fresh;
  Store& store = *fresh;
  REQUIRE(store.record_turn(queued_turn("SM1", "+15551230001", {"a1"})));
  auto claimed = store.claim_outbox(kT0, kLease, 10);
  REQUIRE(claimed->size() == 1);
  const auto id = (*claimed)[0].id;

  REQUIRE(store.complete_outbox(outcome(id, SendOutcome::retry, kT0 + 2000), kT0));
  CHECK(store.claim_outbox(kT0 + 1999, kLease, 10)->empty());
  auto due = store.next_outbox_due();
  REQUIRE(due);
  CHECK(*due == std::optional<std::int64_t>(kT0 + 2000));

  auto again = store.claim_outbox(kT0 + 2000, kLease, 10);
  REQUIRE(again->size() == 1);
  CHECK((*again)[0].attempt == 2);
  // The first attempt's sender cannot report again: the row is claimed anew.
  CHECK(store.complete_outbox(outcome(id, SendOutcome::failed), kT0 + 2001).error().code ==
        ErrorCode::conflict);
  REQUIRE(store.complete_outbox(outcome(id, SendOutcome::failed, 0, 2), kT0 + 2001));
  auto rows = store.outbox("+15551230001");
  CHECK((*rows)[0].status == "failed");
  CHECK((*rows)[0].attempts == 2);
  CHECK((*rows)[0].error == "HTTP 500");
  CHECK(store.counts()->outbox_failed == 1);
  CHECK(store.counts()->outbox_depth == 0);
  CHECK_FALSE(store.next_outbox_due()->has_value());
}

TEST_CASE("a lease protects a claim until it runs out or is released", "[store]") {
  test::TestDatabase db;
  std::int64_t id = 0;
  {
    auto opened = db.open();
    Store& store = *opened;
    REQUIRE(store.record_turn(queued_turn("SM1", "+15551230001", {"a1"})));
    auto claimed = store.claim_outbox(kT0, kLease, 10);
    REQUIRE(claimed->size() == 1);
    id = (*claimed)[0].id;
    CHECK(store.claim_outbox(kT0 + kLease - 1, kLease, 10)->empty());
    CHECK(*store.next_outbox_due() == std::optional<std::int64_t>(kT0 + kLease));
    // The sender died; its lease ran out: someone else may send it.
    auto reclaimed = store.claim_outbox(kT0 + kLease, kLease, 10);
    REQUIRE(reclaimed->size() == 1);
    CHECK((*reclaimed)[0].attempt == 2);
  }
  // A new process that owns the store alone (SQLite) takes everything back at once.
  auto reopened = db.open();
  Store& store = *reopened;
  REQUIRE(store.release_outbox_leases());
  auto resumed = store.claim_outbox(kT0 + kLease + 1, kLease, 10);
  REQUIRE(resumed->size() == 1);
  CHECK((*resumed)[0].id == id);
  CHECK((*resumed)[0].attempt == 3);

  // A sender whose lease ran out reports too late: its claim is gone.
  CHECK_FALSE(store.complete_outbox(sent(id, "SMold", 2), kT0));
  // Completing a row that is no longer claimed changes nothing.
  REQUIRE(store.complete_outbox(sent(id, "SMx", 3), kT0));
  CHECK_FALSE(store.complete_outbox(sent(id, "SMy", 3), kT0));
  CHECK(store.outbox("+15551230001")->front().provider_sid == "SMx");
}

TEST_CASE("an opt-out cancels what waits, but its confirmation still goes", "[store]") {
  test::FreshStore fresh;
  Store& store = *fresh;
  const std::string number = "+15551230001";
  REQUIRE(store.record_turn(queued_turn("SM1", number, {"a1", "a2"})));
  REQUIRE(store.record_turn(queued_turn("SM2", number, {"You are unsubscribed."}, true)));

  auto rows = store.outbox(number);
  REQUIRE(rows->size() == 3);
  CHECK((*rows)[0].status == "cancelled");
  CHECK((*rows)[1].status == "cancelled");
  CHECK((*rows)[2].status == "pending");
  auto claimed = store.claim_outbox(kT0, kLease, 10);
  CHECK(bodies(*claimed) == std::vector<std::string>{"You are unsubscribed."});
}

TEST_CASE("the claim itself never hands out a text for an opted-out texter", "[store]") {
  test::FreshStore fresh;
  Store& store = *fresh;
  const std::string number = "+15551230001";
  REQUIRE(store.record_turn(queued_turn("SM1", number, {"a1"})));
  // Opted out by a path that queued nothing (Twilio handled the STOP itself).
  auto stop = queued_turn("SM2", number, {}, true);
  stop.sms.provider_keyword = "STOP";
  REQUIRE(store.record_turn(stop));
  CHECK(store.claim_outbox(kT0, kLease, 10)->empty());
  CHECK(store.outbox(number)->front().status == "cancelled");
}

TEST_CASE("the provider saying 21610 marks the texter opted out and stops the rest", "[store]") {
  test::FreshStore fresh;
  Store& store = *fresh;
  const std::string number = "+15551230001";
  REQUIRE(store.record_turn(queued_turn("SM1", number, {"a1", "a2"})));
  auto claimed = store.claim_outbox(kT0, kLease, 10);
  REQUIRE(claimed->size() == 1);
  REQUIRE(store.complete_outbox(outcome((*claimed)[0].id, SendOutcome::recipient_opted_out), kT0));

  CHECK(store.load_texter(number)->opted_out);
  auto rows = store.outbox(number);
  CHECK((*rows)[0].status == "failed");
  CHECK((*rows)[1].status == "cancelled");
  CHECK(store.claim_outbox(kT0, kLease, 10)->empty());
}

TEST_CASE("delivery statuses only move forward, and only for our messages", "[store]") {
  test::FreshStore fresh;
  Store& store = *fresh;
  const std::string number = "+15551230001";
  REQUIRE(store.record_turn(queued_turn("SM1", number, {"a1"})));
  auto claimed = store.claim_outbox(kT0, kLease, 10);
  REQUIRE(store.complete_outbox(sent((*claimed)[0].id, "SMout"), kT0));
  CHECK(store.outbox(number)->front().delivery_status == "queued");

  REQUIRE(store.record_delivery("SMout", "sent", "", kT0 + 1));
  REQUIRE(store.record_delivery("SMout", "delivered", "", kT0 + 2));
  REQUIRE(store.record_delivery("SMout", "sent", "", kT0 + 3));  // late, ignored
  CHECK(store.outbox(number)->front().delivery_status == "delivered");

  auto unknown = store.record_delivery("SMnotours", "delivered", "", kT0);
  REQUIRE_FALSE(unknown);
  CHECK(unknown.error().code == ErrorCode::not_found);
}

TEST_CASE("an undelivered status keeps the provider's error code for staff", "[store]") {
  test::FreshStore fresh;
  Store& store = *fresh;
  const std::string number = "+15551230001";
  REQUIRE(store.record_turn(queued_turn("SM1", number, {"a1"})));
  auto claimed = store.claim_outbox(kT0, kLease, 10);
  REQUIRE(store.complete_outbox(sent((*claimed)[0].id, "SMout"), kT0));
  REQUIRE(store.record_delivery("SMout", "undelivered", "30007", kT0 + 1));
  const auto row = store.outbox(number)->front();
  CHECK(row.delivery_status == "undelivered");
  CHECK(row.error == "provider error 30007");
}

TEST_CASE("forgetting a texter erases their outbox rows", "[store]") {
  test::FreshStore fresh;
  Store& store = *fresh;
  REQUIRE(store.record_turn(queued_turn("SM1", "+15551230001", {"a1"})));
  REQUIRE(store.record_turn(queued_turn("SM2", "+15551230002", {"b1"})));
  REQUIRE(store.forget("+15551230001"));
  CHECK(store.outbox("+15551230001")->empty());
  CHECK(store.outbox("+15551230002")->size() == 1);
}

TEST_CASE("handoffs open counts texters waiting for a human or flagged", "[store]") {
  test::FreshStore fresh;
  Store& store = *fresh;
  auto human = queued_turn("SM1", "+15551230001", {});
  human.state.mode = Mode::human;
  auto flagged = queued_turn("SM2", "+15551230002", {});
  flagged.state.flagged = true;
  REQUIRE(store.record_turn(human));
  REQUIRE(store.record_turn(flagged));
  REQUIRE(store.record_turn(queued_turn("SM3", "+15551230003", {})));
  CHECK(store.counts()->handoffs_open == 2);
}

// The staff side of the store: lists, search, pagination, the handoff queue,
// takeover and hand-back, operator messages, notes, relabels, export, erase,
// and the audit entry every action leaves.

#include <catch2/catch.hpp>

#include "dialogue/handoff_timeout.hpp"
#include "dialogue/store/sqlite_store.hpp"
#include "support/test_database.hpp"
#include "support/temp_dir.hpp"

using namespace smscoach;
using namespace smscoach::dialogue;

namespace {

constexpr const char* kLine = "+15550001111";

TurnRecord text_turn(const std::string& sid, const std::string& from, const std::string& body,
                     std::int64_t at_ms, std::vector<std::string> replies = {"ok"},
                     TexterState state = {}) {
  TurnRecord r;
  r.sms = InboundSms{sid, from, kLine, body, ""};
  r.at_ms = at_ms;
  r.intent = "greeting";
  r.replies = std::move(replies);
  state.number = from;
  r.state = std::move(state);
  return r;
}

std::vector<std::string> numbers(const std::vector<ConversationSummary>& list) {
  std::vector<std::string> out;
  for (const auto& c : list) out.push_back(c.number);
  return out;
}

}  // namespace

TEST_CASE("conversations list newest first, page by cursor, and filter", "[store]") {
  test::FreshStore fresh;
  Store& store = *fresh;
  for (int i = 0; i < 5; ++i) {
    TexterState state;
    state.flagged = i % 2 == 0;
    REQUIRE(store.record_turn(text_turn("SM" + std::to_string(i), "+1555000000" + std::to_string(i),
                                        "hello " + std::to_string(i), 1000 + i, {"reply"}, state)));
  }
  ConversationQuery q;
  q.limit = 2;
  auto page1 = store.list_conversations(q);
  REQUIRE(page1);
  CHECK(numbers(page1->conversations) == std::vector<std::string>{"+15550000004", "+15550000003"});
  CHECK(page1->conversations[0].last_text == "reply");
  CHECK(page1->conversations[0].last_at_ms == 1004);
  REQUIRE_FALSE(page1->next_cursor.empty());

  q.cursor = page1->next_cursor;
  auto page2 = store.list_conversations(q);
  CHECK(numbers(page2->conversations) == std::vector<std::string>{"+15550000002", "+15550000001"});
  q.cursor = page2->next_cursor;
  auto page3 = store.list_conversations(q);
  CHECK(numbers(page3->conversations) == std::vector<std::string>{"+15550000000"});
  CHECK(page3->next_cursor.empty());

  ConversationQuery flagged;
  flagged.flagged = true;
  CHECK(store.list_conversations(flagged)->conversations.size() == 3);
  ConversationQuery human;
  human.mode = "human";
  CHECK(store.list_conversations(human)->conversations.empty());

  ConversationQuery bad;
  bad.cursor = "garbage";
  auto refused = store.list_conversations(bad);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code == ErrorCode::bad_input);
}

TEST_CASE("search finds conversations by any word of their messages, prefixes too", "[store]") {
  test::FreshStore fresh;
  Store& store = *fresh;
  REQUIRE(store.record_turn(text_turn("SM1", "+15550000001", "is creatine safe", 1000)));
  REQUIRE(store.record_turn(text_turn("SM2", "+15550000002", "how much protein", 1001)));
  REQUIRE(store.record_turn(text_turn("SM3", "+15550000003", "creatine and lisinopril", 1002)));

  ConversationQuery q;
  q.text = "creat";
  CHECK(numbers(store.list_conversations(q)->conversations) ==
        std::vector<std::string>{"+15550000003", "+15550000001"});
  q.text = "creatine lisinopril";
  CHECK(numbers(store.list_conversations(q)->conversations) ==
        std::vector<std::string>{"+15550000003"});
  // FTS5 syntax typed by staff is just text.
  q.text = "\"protein\" OR NEAR(";
  CHECK(store.list_conversations(q).has_value());
  q.text = "protein";
  CHECK(numbers(store.list_conversations(q)->conversations) ==
        std::vector<std::string>{"+15550000002"});

  // Erased messages are not found any more.
  REQUIRE(store.forget("+15550000002"));
  CHECK(store.list_conversations(q)->conversations.empty());
}

TEST_CASE("the handoff queue lists human and flagged conversations, oldest first, with reasons", "[store]") {
  test::FreshStore fresh;
  Store& store = *fresh;
  TexterState human;
  human.mode = Mode::human;
  human.flagged = true;
  human.handoff_reason = "asked for a human";
  human.handoff_since_ms = 2000;
  TexterState meds;
  meds.flagged = true;
  meds.handoff_reason = "medication question";
  meds.handoff_since_ms = 1500;
  REQUIRE(store.record_turn(text_turn("SM1", "+15550000001", "a person please", 2000, {"ok"}, human)));
  REQUIRE(store.record_turn(text_turn("SM2", "+15550000002", "safe with sertraline?", 1500, {"ok"}, meds)));
  REQUIRE(store.record_turn(text_turn("SM3", "+15550000003", "hi", 1800)));

  auto queue = store.handoffs();
  REQUIRE(queue);
  REQUIRE(queue->size() == 2);
  CHECK((*queue)[0].number == "+15550000002");
  CHECK((*queue)[0].reason == "medication question");
  CHECK((*queue)[0].waiting_since_ms == 1500);
  CHECK((*queue)[1].mode == "human");

  REQUIRE(store.release("+15550000002", "operator:alice", 3000));
  CHECK(store.handoffs()->size() == 1);
  auto released = store.load_texter("+15550000002");
  CHECK_FALSE(released->flagged);
  CHECK(released->handoff_reason.empty());
}

TEST_CASE("takeover, operator message and hand-back, each audited", "[store]") {
  test::FreshStore fresh;
  Store& store = *fresh;
  const std::string number = "+15550000001";
  REQUIRE(store.record_turn(text_turn("SM1", number, "hello", 1000)));

  REQUIRE(store.take_over(number, "operator:alice", 2000));
  auto taken = store.load_texter(number);
  CHECK(taken->mode == Mode::human);
  CHECK(taken->handoff_reason == "taken over by staff");
  CHECK(taken->holding_sent);  // the bot says nothing more, not even "please wait"

  REQUIRE(store.send_operator_message(number, "alice", "Hi, coach Alice here.", 2100));
  auto detail = store.conversation(number);
  REQUIRE(detail);
  REQUIRE(detail->messages.size() == 3);
  CHECK(detail->messages[2].author == "operator:alice");
  CHECK(detail->messages[2].direction == "out");
  CHECK(detail->messages[2].delivery == "pending");
  CHECK(detail->summary.last_text == "Hi, coach Alice here.");
  auto rows = store.outbox(number);
  REQUIRE(rows->size() == 1);
  CHECK((*rows)[0].from == kLine);
  CHECK((*rows)[0].body == "Hi, coach Alice here.");

  REQUIRE(store.release(number, "operator:alice", 2200));
  CHECK(store.load_texter(number)->mode == Mode::bot);

  auto audit = store.audit_log(10);
  REQUIRE(audit);
  REQUIRE(audit->size() == 3);
  CHECK((*audit)[0].action == "release");
  CHECK((*audit)[1].action == "message");
  CHECK((*audit)[1].actor == "operator:alice");
  CHECK((*audit)[1].detail.find("coach Alice") == std::string::npos);  // no message text
  CHECK((*audit)[2].action == "takeover");

  auto unknown = store.take_over("+15559999999", "operator:alice", 2300);
  REQUIRE_FALSE(unknown);
  CHECK(unknown.error().code == ErrorCode::not_found);
}

TEST_CASE("an operator message to an opted-out texter is refused and nothing is stored", "[store]") {
  test::FreshStore fresh;
  Store& store = *fresh;
  const std::string number = "+15550000001";
  TexterState out;
  out.opted_out = true;
  REQUIRE(store.record_turn(text_turn("SM1", number, "STOP", 1000, {"bye"}, out)));
  auto refused = store.send_operator_message(number, "alice", "hello?", 2000);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code == ErrorCode::conflict);
  CHECK(store.conversation(number)->messages.size() == 2);
  CHECK(store.audit_log(10)->empty());
}

TEST_CASE("sending implies takeover, so the bot does not talk over a person", "[store]") {
  test::FreshStore fresh;
  Store& store = *fresh;
  const std::string number = "+15550000001";
  REQUIRE(store.record_turn(text_turn("SM1", number, "hello", 1000)));
  REQUIRE(store.send_operator_message(number, "bob", "Coach Bob here", 2000));
  CHECK(store.load_texter(number)->mode == Mode::human);
}

TEST_CASE("notes stay with the conversation and are never queued", "[store]") {
  test::FreshStore fresh;
  Store& store = *fresh;
  const std::string number = "+15550000001";
  REQUIRE(store.record_turn(text_turn("SM1", number, "hello", 1000)));
  REQUIRE(store.add_note(number, "alice", "Asked about meds last week", 2000));
  auto detail = store.conversation(number);
  REQUIRE(detail->notes.size() == 1);
  CHECK(detail->notes[0].author == "alice");
  CHECK(detail->notes[0].body == "Asked about meds last week");
  CHECK(store.outbox(number)->empty());
  CHECK(detail->messages.size() == 2);
}

TEST_CASE("relabels apply to inbound messages and export as training text", "[store]") {
  test::FreshStore fresh;
  Store& store = *fresh;
  const std::string number = "+15550000001";
  REQUIRE(store.record_turn(text_turn("SM1", number, "yo whats good", 1000)));
  const auto messages = store.conversation(number)->messages;
  const auto inbound = messages[0].id;
  const auto reply = messages[1].id;

  REQUIRE(store.relabel(inbound, "greeting", "operator:alice", 2000));
  CHECK(store.conversation(number)->messages[0].relabel == "greeting");
  auto rows = store.relabels();
  REQUIRE(rows->size() == 1);
  CHECK((*rows)[0].text == "yo whats good");
  CHECK((*rows)[0].intent == "greeting");

  auto not_inbound = store.relabel(reply, "greeting", "operator:alice", 2000);
  REQUIRE_FALSE(not_inbound);
  CHECK(not_inbound.error().code == ErrorCode::not_found);
}

TEST_CASE("export hands every message over oldest first, page after page", "[store]") {
  test::FreshStore fresh;
  Store& store = *fresh;
  // More than one export page, with equal timestamps across a page boundary.
  for (int i = 0; i < 700; ++i) {
    REQUIRE(store.record_turn(text_turn("SM" + std::to_string(i), "+1555000" + std::to_string(1000 + i % 7),
                                        "text " + std::to_string(i), 1000 + i / 3, {})));
  }
  std::vector<ExportRow> rows;
  REQUIRE(store.export_messages(0, [&](const ExportRow& r) {
    rows.push_back(r);
    return true;
  }));
  REQUIRE(rows.size() == 700);
  for (std::size_t i = 0; i < rows.size(); ++i) CHECK(rows[i].body == "text " + std::to_string(i));
  CHECK(rows[0].author == "texter");

  std::size_t since = 0;
  REQUIRE(store.export_messages(1200, [&](const ExportRow&) { return ++since < 1000; }));
  CHECK(since == 700 - 600);  // at_ms 1200 starts at message 600

  std::size_t stopped = 0;
  REQUIRE(store.export_messages(0, [&](const ExportRow&) { return ++stopped < 10; }));
  CHECK(stopped == 10);
}

TEST_CASE("erase removes messages, notes and outbox rows, keeps an opt-out, and is audited", "[store]") {
  test::FreshStore fresh;
  Store& store = *fresh;
  const std::string number = "+15550000001";
  REQUIRE(store.record_turn(text_turn("SM1", number, "hello", 1000)));
  REQUIRE(store.add_note(number, "alice", "note", 1100));
  TexterState out;
  out.opted_out = true;
  REQUIRE(store.record_turn(text_turn("SM2", number, "STOP", 1200, {"bye"}, out)));

  REQUIRE(store.erase(number, "admin:root", 2000));
  auto after = store.conversation(number);
  REQUIRE(after);
  CHECK(after->messages.empty());
  CHECK(after->notes.empty());
  CHECK(after->summary.opted_out);
  CHECK(store.list_conversations({})->conversations.empty());
  CHECK(store.audit_log(1)->front().action == "erase");
}

TEST_CASE("a handoff left without an operator message returns to the bot, and the texter is told", "[store]") {
  test::FreshStore fresh;
  Store& store = *fresh;
  const std::string quiet = "+15550000001", busy = "+15550000002";
  REQUIRE(store.record_turn(text_turn("SM1", quiet, "hello", 1000)));
  REQUIRE(store.record_turn(text_turn("SM2", busy, "hello", 1000)));
  REQUIRE(store.take_over(quiet, "operator:alice", 1000));
  REQUIRE(store.take_over(busy, "operator:alice", 1000));
  REQUIRE(store.send_operator_message(busy, "alice", "still here", 5000));

  auto idle = store.idle_handoffs(4000);
  REQUIRE(idle);
  CHECK(*idle == std::vector<std::string>{quiet});
  REQUIRE(*store.release_idle(quiet, 4000, "The bot is back.", 6000));
  CHECK(store.load_texter(quiet)->mode == Mode::bot);
  CHECK(store.outbox(quiet)->back().body == "The bot is back.");
  CHECK(store.audit_log(1)->front().action == "auto_release");
  // An operator wrote to busy after the cut-off: not idle.
  CHECK_FALSE(*store.release_idle(busy, 4000, "The bot is back.", 6000));
  CHECK(store.load_texter(busy)->mode == Mode::human);
}

TEST_CASE("idle handoffs go back to the bot on the clock, without a way to send, silently",
          "[store]") {
  test::FreshStore fresh;
  Store& store = *fresh;
  content::ProgramText program;
  program.human_timeout = "The bot is back.";
  const std::string number = "+15550000001";
  const auto t0 = std::chrono::system_clock::time_point(std::chrono::hours(500000));
  const auto t0_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(t0.time_since_epoch()).count();
  REQUIRE(store.record_turn(text_turn("SM1", number, "hello", t0_ms)));
  REQUIRE(store.take_over(number, "operator:alice", t0_ms));

  using std::chrono::hours;
  using std::chrono::minutes;
  CHECK(*release_idle_handoffs(store, program, t0 + hours(23), minutes(24 * 60), false) == 0);
  CHECK(store.load_texter(number)->mode == Mode::human);
  CHECK(*release_idle_handoffs(store, program, t0 + hours(25), minutes(24 * 60), false) == 1);
  CHECK(store.load_texter(number)->mode == Mode::bot);
  CHECK(store.outbox(number)->empty());
}

TEST_CASE("operator messages go from the number the texter last wrote to", "[store]") {
  test::FreshStore fresh;
  Store& store = *fresh;
  const std::string number = "+15550000001";
  REQUIRE(store.record_turn(text_turn("SM1", number, "hello", 1000)));
  auto second_line = text_turn("SM2", number, "hello again", 1100);
  second_line.sms.to = "+15550002222";
  REQUIRE(store.record_turn(second_line));
  auto no_line = text_turn("SM3", number, "and again", 1200);
  no_line.sms.to.clear();  // a webhook without To keeps the line we know
  REQUIRE(store.record_turn(no_line));

  REQUIRE(store.send_operator_message(number, "alice", "hi", 1300));
  CHECK(store.outbox(number)->back().from == "+15550002222");
}

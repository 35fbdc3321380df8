#include <catch2/catch.hpp>

#include "content/loader.hpp"
#include "support/shipped_knowledge.hpp"
#include "dialogue/conversation.hpp"

using namespace smscoach::dialogue;

namespace {

const smscoach::dialogue::Knowledge& shipped() { return smscoach::test::shipped_knowledge(); }

// Plays texts in order from a fresh texter; returns every turn.
std::vector<TurnResult> play(std::initializer_list<const char*> texts, TexterState state = {}) {
  std::vector<TurnResult> turns;
  if (state.number.empty()) state.number = "+15551230000";
  for (const char* t : texts) {
    turns.push_back(respond(t, state, shipped(), Clock::time_point{}));
    state = turns.back().state;
  }
  return turns;
}

}  // namespace

TEST_CASE("each FAQ's own question gets that FAQ's answer") {
  for (const auto& faq : shipped().kb.faqs) {
    INFO(faq.question);
    TexterState state;
    state.number = "+15551230000";
    const auto turn = respond(faq.question, state, shipped(), Clock::time_point{});
    CHECK(turn.intent == "faq." + faq.id);
    REQUIRE(turn.replies.size() == 1);
    CHECK(turn.replies[0].starts_with(faq.answer));
    const bool has_number = faq.answer.find_first_of("0123456789") != std::string::npos;
    // An answer that states a number says how good the evidence is and where it comes from.
    CHECK((turn.replies[0].find("(Evidence ") != std::string::npos) == has_number);
    if (has_number && !faq.sources.empty()) {
      CHECK(turn.replies[0].find(faq.sources.front()) != std::string::npos);
    }
  }
}

TEST_CASE("STOP: one confirmation, then silence until START") {
  const auto& program = shipped().kb.program;
  const auto t = play({"STOP", "what is lean mass", "HELP", "stop", "hello", "START", "hello"});
  CHECK(t[0].intent == "opt_out");
  CHECK(t[0].replies == std::vector<std::string>{program.opt_out_confirmation});
  CHECK(t[0].state.opted_out);
  CHECK(t[1].replies.empty());
  CHECK(t[2].replies.empty());  // HELP while opted out: nothing but the one confirmation
  CHECK(t[3].replies.empty());  // no second confirmation
  CHECK(t[4].replies.empty());
  CHECK(t[5].replies == std::vector<std::string>{program.opt_in_confirmation});
  CHECK_FALSE(t[5].state.opted_out);
  CHECK_FALSE(t[6].replies.empty());
}

TEST_CASE("YES opts back in only while opted out") {
  const auto t = play({"unsubscribe", "yes"});
  CHECK(t[1].intent == "opt_in");
  CHECK_FALSE(t[1].state.opted_out);
}

TEST_CASE("HELP names the line, costs and how to stop") {
  const auto t = play({"help"});
  REQUIRE(t[0].replies.size() == 1);
  CHECK(t[0].replies[0] == shipped().kb.program.help);
}

TEST_CASE("asking for a human hands over: one holding message, then quiet") {
  const auto& program = shipped().kb.program;
  const auto t = play({"can i talk to a real person", "hello?", "anyone there", "STOP"});
  CHECK(t[0].intent == "human");
  CHECK(t[0].state.mode == Mode::human);
  CHECK(t[0].state.flagged);
  CHECK(t[0].replies == std::vector<std::string>{program.human_handoff});
  CHECK(t[1].replies == std::vector<std::string>{program.human_holding});
  CHECK(t[2].replies.empty());
  CHECK(t[3].replies == std::vector<std::string>{program.opt_out_confirmation});  // STOP always acts
}

TEST_CASE("a medication question is flagged, names the known flag, and is never called safe") {
  const auto t = play({"is st johns wort safe with my zoloft"});
  CHECK(t[0].intent == "med_safety");
  CHECK(t[0].state.flagged);
  CHECK(t[0].state.medications == std::vector<std::string>{"sertraline"});
  REQUIRE(t[0].replies.size() == 1);
  const std::string& reply = t[0].replies[0];
  // The flag the interactions data gives for St John's wort with an SSRI.
  bool named = false;
  for (const auto& i : shipped().kb.interactions) {
    const bool ssri = std::find(i.classes.begin(), i.classes.end(), "ssri") != i.classes.end();
    const bool wort = std::find(i.substances.begin(), i.substances.end(), "st_johns_wort") !=
                      i.substances.end();
    if (ssri && wort) named = named || reply.find(i.flag) != std::string::npos;
  }
  CHECK(named);
  CHECK(reply.ends_with(shipped().kb.program.med_safety_generic));
  CHECK(reply.find("is safe") == std::string::npos);
}

TEST_CASE("repeated misunderstanding offers a human") {
  const auto& program = shipped().kb.program;
  const auto t = play({"who won the football last night", "whats the weather tomorrow",
                       "best pizza place near me"});
  for (const auto& turn : t) CHECK(turn.intent == "out_of_scope");
  CHECK(t[0].replies == std::vector<std::string>{program.out_of_scope});
  CHECK(t[2].replies == std::vector<std::string>{program.out_of_scope_repeat});
}

TEST_CASE("delete my data erases the profile but keeps an opt-out") {
  TexterState state;
  state.number = "+15551230000";
  state.weight_kg = 80;
  state.goal = "build_muscle";
  state.flagged = true;
  const auto t = play({"please delete all my data"}, state);
  CHECK(t[0].intent == "delete_data");
  CHECK(t[0].erase_history);
  CHECK_FALSE(t[0].state.weight_kg);
  CHECK(t[0].state.goal.empty());
  CHECK_FALSE(t[0].state.flagged);
  CHECK(t[0].replies == std::vector<std::string>{shipped().kb.program.delete_data_done});
}

TEST_CASE("understand reports compliance rules with full confidence") {
  const auto u = understand("Stop texting me", false, shipped());
  CHECK(u.intent == "opt_out");
  CHECK(u.by_compliance_rule);
  CHECK(u.confidence == 1.0);
  const auto q = understand("what is a lean mass matrix", false, shipped());
  CHECK_FALSE(q.by_compliance_rule);
  CHECK(q.intent == "faq.what_is_lean_mass_matrix");
}

TEST_CASE("a turn that puts the conversation in the handoff queue says why, once") {
  const auto human = play({"can i talk to a real person"});
  CHECK(human[0].state.mode == Mode::human);
  CHECK(human[0].state.handoff_reason == "asked for a human");
  CHECK(human[0].state.handoff_since_ms == 0);  // the epoch this test plays at

  const auto meds = play({"is creatine ok with lisinopril", "can i talk to a real person"});
  CHECK(meds[0].state.flagged);
  CHECK(meds[0].state.handoff_reason == "medication question");
  CHECK(meds[1].state.handoff_reason == "medication question");  // the first reason stays

  const auto pregnant = play({"im pregnant can i take creatine"});
  CHECK(pregnant[0].state.flagged);
  CHECK(pregnant[0].state.handoff_reason.find("mentioned") == 0);

  const auto plain = play({"what is creatine"});
  CHECK_FALSE(plain[0].state.flagged);
  CHECK(plain[0].state.handoff_reason.empty());
}

TEST_CASE("repeated misunderstanding puts the conversation in the handoff queue") {
  const auto turns = play({"asdf qwer", "zxcv uiop", "blorp flarn"});
  REQUIRE(turns[2].state.misses == kMissesBeforeHumanOffer);
  CHECK_FALSE(turns[1].state.flagged);
  CHECK(turns[2].state.flagged);
  CHECK(turns[2].state.handoff_reason == "not understood 3 times in a row");
}

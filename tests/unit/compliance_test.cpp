#include <catch2/catch.hpp>

#include "dialogue/compliance.hpp"

using smscoach::dialogue::ComplianceAction;
using smscoach::dialogue::compliance_action;

TEST_CASE("every SPEC opt-out keyword acts, whatever the case and punctuation") {
  for (const char* text : {"STOP", "stop", " Stop. ", "STOPALL", "Unsubscribe", "CANCEL", "end",
                           "Quit", "REVOKE", "OPTOUT", "opt out", "Opt-out", "STOP!!", "stop please",
                           "Stop it now", "pls stop", "stop all"}) {
    INFO(text);
    CHECK(compliance_action(text, false) == ComplianceAction::opt_out);
    CHECK(compliance_action(text, true) == ComplianceAction::opt_out);
  }
}

TEST_CASE("plain-language opt-outs are honoured") {
  for (const char* text :
       {"please don't message me again", "I want off this thing", "take me off your list",
        "stop texting me", "Stop sending me these", "no more texts pls", "unsubscribe me",
        "do not contact me", "leave me alone", "remove me from this list",
        "dont txt me anymore", "can u opt me out", "stop the messages", "never text me again",
        "I don\xE2\x80\x99t want these texts, stop messaging me"}) {
    INFO(text);
    CHECK(compliance_action(text, false) == ComplianceAction::opt_out);
  }
}

TEST_CASE("advice about stopping a supplement is never an opt-out") {
  for (const char* text :
       {"should I stop caffeine before bed?", "quit caffeine after lunch?",
        "stop the pre-workout before bed?", "when should i stop taking creatine",
        "does creatine stop working after a while", "end of my cut what now",
        "i quit smoking can i take preworkout", "how do i end a creatine load",
        "cancel my gym membership or keep lifting?", "stop", "help"}) {
    INFO(text);
    const auto action = compliance_action(text, false);
    if (std::string_view(text) == "stop") {
      CHECK(action == ComplianceAction::opt_out);  // the lone keyword still acts
    } else if (std::string_view(text) == "help") {
      CHECK(action == ComplianceAction::help);
    } else {
      CHECK(action == ComplianceAction::none);
    }
  }
}

TEST_CASE("opt-in keywords, and YES only while opted out") {
  CHECK(compliance_action("START", false) == ComplianceAction::opt_in);
  CHECK(compliance_action("unstop", true) == ComplianceAction::opt_in);
  CHECK(compliance_action("Yes", true) == ComplianceAction::opt_in);
  CHECK(compliance_action("yes", false) == ComplianceAction::none);
  CHECK(compliance_action("start creatine today?", false) == ComplianceAction::none);
}

TEST_CASE("help keywords are whole-message only") {
  CHECK(compliance_action("HELP", false) == ComplianceAction::help);
  CHECK(compliance_action("info?", false) == ComplianceAction::help);
  CHECK(compliance_action("help me pick a protein", false) == ComplianceAction::none);
  CHECK(compliance_action("more info on creatine", false) == ComplianceAction::none);
}

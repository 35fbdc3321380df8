#include <catch2/catch.hpp>

#include <fstream>

#include "content/loader.hpp"
#include "intents/evaluation.hpp"
#include "intents/intent_matcher.hpp"
#include "intents/normalize.hpp"

using namespace smscoach::intents;

TEST_CASE("normalize folds case, punctuation, curly quotes and emoji") {
  CHECK(normalize("STOP!!!") == "stop");
  CHECK(normalize("  What   dose do I need?? ") == "what dose do i need");
  CHECK(normalize("don't") == "dont");
  CHECK(normalize("don\xE2\x80\x99t text me") == "dont text me");  // curly apostrophe
  CHECK(normalize("1.6 g/kg") == "1.6 g kg");
  CHECK(normalize("1,6g") == "1.6g");
  CHECK(normalize("end. of story") == "end of story");
  CHECK(normalize("creatine\xF0\x9F\x92\xAA?") == "creatine");  // emoji becomes a space
  CHECK(normalize("pre-workout") == "pre workout");
  CHECK(normalize("") == "");
  CHECK(normalize("\xFF\xFE\x80") == "");  // stray bytes never break it
}

TEST_CASE("split_words splits on single spaces") {
  const auto w = split_words("how much creatine");
  REQUIRE(w.size() == 3);
  CHECK(w[0] == "how");
  CHECK(w[2] == "creatine");
  CHECK(split_words("").empty());
}

TEST_CASE("the matcher learns intents from labelled examples") {
  const IntentMatcher m({{"how much creatine should i take", "dose"},
                         {"creatine dose per day", "dose"},
                         {"hello there", "greeting"},
                         {"hey whats up", "greeting"},
                         {"which preworkout has the most caffeine", "product_compare"}});
  CHECK(m.match("how much creatine do i take").intent == "dose");
  CHECK(m.match("hello").intent == "greeting");
  CHECK(m.match("which pre workout has most caffiene").intent == "product_compare");
  const auto none = m.match("quantum chromodynamics lattice");
  CHECK(none.intent == "out_of_scope");
  CHECK(m.match("how much creatine should i take").confidence > 0.9);
}

TEST_CASE("first-cut accuracy on held-out texts does not regress") {
  const auto loaded = smscoach::content::load_knowledge_base(SMSCOACH_CONTENT_DIR);
  REQUIRE(loaded.ok());
  const IntentMatcher matcher(loaded.kb.training_utterances());

  std::ifstream in(std::string(SMSCOACH_TEST_DATA_DIR) + "/first_cut_heldout.jsonl");
  REQUIRE(in);
  std::vector<LabelledPrediction> results;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    const auto j = nlohmann::json::parse(line);
    results.push_back({j["intent"].get<std::string>(), matcher.match(j["text"].get<std::string>()).intent});
  }
  const auto report = evaluate(results);
  INFO(report.to_text());
  REQUIRE(report.total >= 90);
  // Measured 0.874 (83/95) with the first-cut matcher; the intent engine must beat it.
  CHECK(report.accuracy >= 0.85);
}

TEST_CASE("evaluate computes accuracy, per-intent scores and confusions") {
  const auto r = evaluate({{"a", "a"}, {"a", "b"}, {"b", "b"}, {"b", "b"}});
  CHECK(r.total == 4);
  CHECK(r.correct == 3);
  CHECK(r.accuracy == Approx(0.75));
  REQUIRE(r.per_intent.size() == 2);
  CHECK(r.per_intent[0].intent == "a");
  CHECK(r.per_intent[0].precision == Approx(1.0));
  CHECK(r.per_intent[0].recall == Approx(0.5));
  CHECK(r.per_intent[1].precision == Approx(2.0 / 3));
  CHECK(r.macro_f1 == Approx((2.0 / 3 + 0.8) / 2));
  REQUIRE(r.confusions.size() == 1);
  CHECK(r.confusions[0].expected == "a");
  CHECK(r.confusions[0].predicted == "b");
}

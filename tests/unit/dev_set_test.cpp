// Accuracy on the labelled dev sets, through the same understand() the live
// turn uses. The floors are the figures reached when they were set: a change
// that lowers them fails here. dev_heldout.jsonl is never tuned on.

#include <catch2/catch.hpp>

#include <fstream>

#include "content/loader.hpp"
#include "support/shipped_knowledge.hpp"
#include "dialogue/conversation.hpp"
#include "intents/evaluation.hpp"

using namespace smscoach;

namespace {

const smscoach::dialogue::Knowledge& shipped() { return smscoach::test::shipped_knowledge(); }

intents::EvaluationReport evaluate_file(const std::string& name) {
  std::ifstream in(std::string(SMSCOACH_TEST_DATA_DIR) + "/" + name);
  REQUIRE(in);
  std::vector<intents::LabelledPrediction> results;
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    const auto j = nlohmann::json::parse(line);
    const std::string text = j["text"];
    const std::string expected = j["intent"];
    const auto u = dialogue::understand(text, /*opted_out=*/false, shipped());
    results.push_back({expected, u.intent, j.value("entities", nlohmann::json()),
                       u.found.for_intent(expected)});
  }
  return intents::evaluate(results, 40);
}

const intents::IntentScores& scores_for(const intents::EvaluationReport& r, const char* intent) {
  for (const auto& s : r.per_intent) {
    if (s.intent == intent) return s;
  }
  FAIL("no " << intent << " in the dev set");
  throw std::logic_error("unreachable");
}

void check_safety_duties(const intents::EvaluationReport& r) {
  // Every opt-out caught, no false opt-out; every medication question escalated.
  CHECK(scores_for(r, "opt_out").recall == 1.0);
  CHECK(scores_for(r, "opt_out").precision == 1.0);
  CHECK(scores_for(r, "med_safety").recall == 1.0);
}

}  // namespace

TEST_CASE("dev set (tune): intent and entity accuracy do not regress") {
  const auto r = evaluate_file("dev_tune.jsonl");
  INFO(r.to_text());
  REQUIRE(r.total >= 300);
  CHECK(r.accuracy >= 0.98);          // reached 0.985
  CHECK(r.entity_accuracy >= 0.995);  // reached 0.997
  check_safety_duties(r);
}

TEST_CASE("dev set (held out, never tuned on): intent and entity accuracy do not regress") {
  const auto r = evaluate_file("dev_heldout.jsonl");
  INFO(r.to_text());
  REQUIRE(r.total >= 200);
  CHECK(r.accuracy >= 0.96);          // reached 0.966
  CHECK(r.entity_accuracy >= 0.99);   // reached 0.991
  check_safety_duties(r);
}

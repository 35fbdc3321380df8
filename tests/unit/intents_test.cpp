#include <catch2/catch.hpp>

#include <random>
#include <unordered_map>

#include "content/loader.hpp"
#include "support/shipped_knowledge.hpp"
#include "intents/evaluation.hpp"
#include "intents/feature_rows.hpp"
#include "intents/intent_engine.hpp"
#include "intents/normalize.hpp"
#include "intents/phrase_index.hpp"
#include "intents/text_normalizer.hpp"

using namespace smscoach::intents;

namespace {

using smscoach::test::shipped_kb;

const IntentEngine& engine() {
  static const IntentEngine e(shipped_kb());
  return e;
}

std::vector<std::string> tokens_of(std::string_view text) {
  return TextNormalizer::plain_tokens(text);
}

}  // namespace

TEST_CASE("normalize folds case, punctuation, quotes, accents, heights and emoji") {
  CHECK(normalize("STOP!!!") == "stop");
  CHECK(normalize("  What   dose do I need?? ") == "what dose do i need");
  CHECK(normalize("don't") == "dont");
  CHECK(normalize("don\xE2\x80\x99t text me") == "dont text me");  // curly apostrophe
  CHECK(normalize("1.6 g/kg") == "1.6 g kg");
  CHECK(normalize("1,6g") == "1.6g");
  CHECK(normalize("end. of story") == "end of story");
  CHECK(normalize("creatine\xF0\x9F\x92\xAA?") == "creatine");  // emoji becomes a space
  CHECK(normalize("pre-workout") == "pre workout");
  CHECK(normalize("prot\xC3\xA9ine") == "proteine");  // accented letters fold
  CHECK(normalize("5'10 and 180") == "5ft 10 and 180");
  CHECK(normalize("5\xE2\x80\x99" "11") == "5ft 11");
  CHECK(normalize("70\" tall") == "70in tall");
  CHECK(normalize("") == "");
  CHECK(normalize("\xFF\xFE\x80") == "");  // stray bytes never break it
}

TEST_CASE("edit distance counts transpositions once and stops at the cap") {
  CHECK(edit_distance("creatine", "creatine", 2) == 0);
  CHECK(edit_distance("creatien", "creatine", 2) == 1);  // transposition
  CHECK(edit_distance("protin", "protein", 2) == 1);
  CHECK(edit_distance("abc", "xyz", 1) == 2);             // cap + 1
  CHECK(edit_distance("a", "abcdef", 2) == 3);
}

TEST_CASE("the normaliser expands shorthand and corrects knowledge-base words only") {
  const TextNormalizer n(shipped_kb());
  const auto t = n.tokens("how much creatien shud u take b4 ur wrkout thx");
  CHECK(t == std::vector<std::string>{"how", "much", "creatine", "should", "you", "take", "before",
                                      "your", "workout", "thanks"});
  const auto misspelt = engine().analyze("is ashwaghanda ok w zolofft");  // neither is listed
  CHECK(misspelt.entities.substances == std::vector<std::string>{"ashwagandha"});
  CHECK(misspelt.entities.medications == std::vector<std::string>{"sertraline"});
  CHECK(n.tokens("mounjero")[0] == "mounjaro");  // a brand one edit away
  CHECK(n.tokens("i ride my bike")[3] == "bike");  // not a knowledge-base word: left alone
}

TEST_CASE("phrases match longest first, per kind") {
  PhraseIndex index;
  index.add({"beet"}, 0, "nitrate");
  index.add({"beet", "juice"}, 0, "nitrate_juice");
  index.add({"protein", "powder"}, 0, "protein");
  index.add({"protein", "powder"}, 1, "protein_powder");
  const auto hits = index.find({"beet", "juice", "and", "protein", "powder"});
  REQUIRE(hits.size() == 3);
  CHECK(hits[0].value == "nitrate_juice");
  CHECK(hits[0].end == 2);
  CHECK(hits[1].value == "protein");
  CHECK(hits[2].value == "protein_powder");
}

TEST_CASE("a phrase is found wherever it starts, whatever shorter phrase shares its first word") {
  PhraseIndex index;
  index.add({"fish", "oil"}, 1, "fish_oil");
  index.add({"oil"}, 2, "oil");
  index.add({"st", "johns", "wort"}, 1, "st_johns_wort");
  const auto hits = index.find({"is", "st", "johns", "wort", "ok", "with", "fish", "oil"});
  REQUIRE(hits.size() == 3);
  CHECK(hits[0].value == "st_johns_wort");
  CHECK(hits[0].begin == 1);
  CHECK(hits[0].end == 4);
  CHECK(hits[1].value == "fish_oil");
  CHECK(hits[1].begin == 6);
  CHECK(hits[2].value == "oil");  // another kind: matched on its own
  CHECK(hits[2].begin == 7);
  // A phrase cut short by the end of the text is not found.
  CHECK(index.find({"st", "johns"}).empty());
}

TEST_CASE("feature rows find every trained feature and nothing else") {
  std::unordered_map<std::uint32_t, std::uint32_t> row_of;
  std::mt19937 rng(7);
  for (std::uint32_t row = 0; row < 5000; ++row) row_of.emplace(rng(), row);
  // Ids that share their low bits collide in a plain modulo table.
  for (std::uint32_t k = 0; k < 64; ++k) {
    row_of.emplace(k << 20, static_cast<std::uint32_t>(row_of.size()));
  }
  const FeatureRows rows(row_of);
  CHECK(rows.size() == row_of.size());
  for (const auto& [id, row] : row_of) REQUIRE(rows.find(id) == static_cast<long>(row));
  int absent = 0;
  for (int i = 0; i < 5000; ++i) {
    const std::uint32_t id = rng();
    if (row_of.count(id) == 0) absent += rows.find(id) == -1;
    else --absent;
  }
  CHECK(absent > 4900);
  CHECK(FeatureRows().find(42) == -1);
}

TEST_CASE("weight comes from kg, lb and stone, never from a height") {
  CHECK(parse_weight_kg(tokens_of("im 91kg")) == Approx(91));
  CHECK(parse_weight_kg(tokens_of("180 lbs how much creatine")) == Approx(81.6));
  CHECK(parse_weight_kg(tokens_of("i weigh 180 pounds")) == Approx(81.6));
  CHECK(parse_weight_kg(tokens_of("13 stone")) == Approx(82.6));
  CHECK(parse_weight_kg(tokens_of("13st 4lb")) == Approx(84.4));
  CHECK(parse_weight_kg(tokens_of("13 stone 4")) == Approx(84.4));
  CHECK(parse_weight_kg(tokens_of("85.5 kilos")) == Approx(85.5));
  CHECK(parse_weight_kg(tokens_of("im 6ft 180lbs")) == Approx(81.6));
  CHECK(parse_weight_kg(tokens_of("5'10 and 82kg")) == Approx(82));
  CHECK_FALSE(parse_weight_kg(tokens_of("im 6ft")));
  CHECK_FALSE(parse_weight_kg(tokens_of("5'10")));
  CHECK_FALSE(parse_weight_kg(tokens_of("i weigh 180")));  // no unit: ask, never guess
  CHECK_FALSE(parse_weight_kg(tokens_of("take 5g a day")));
  CHECK_FALSE(parse_weight_kg(tokens_of("3 kg of creatine powder costs")) );  // too light for a person
}

TEST_CASE("a corrected weight wins") {
  CHECK(parse_weight_kg(tokens_of("its 85 kg, not 58")) == Approx(85));
  CHECK(parse_weight_kg(tokens_of("sorry not 58kg, 85kg")) == Approx(85));
  CHECK(parse_weight_kg(tokens_of("its 85kg not 58kg")) == Approx(85));
  CHECK(parse_weight_kg(tokens_of("went from 90kg to 84kg")) == Approx(84));
}

TEST_CASE("entities carry SPEC's values") {
  const auto a = engine().analyze("is ashwagandha ok with my zoloft and adderall");
  CHECK(a.entities.substances == std::vector<std::string>{"ashwagandha"});
  CHECK(a.entities.medications == std::vector<std::string>{"sertraline", "amphetamine"});
  const auto b = engine().analyze("which pre workout has the most caffeine");
  CHECK(b.entities.category == "pre_workout");
  CHECK(b.entities.order == "most");
  CHECK(b.entities.substances == std::vector<std::string>{"caffeine"});
  const auto c = engine().analyze("beet juice before my marathon?");
  CHECK(c.entities.substances == std::vector<std::string>{"nitrate"});
  CHECK(c.entities.goal == "endurance");
  const auto d = engine().analyze("whey or casein when cutting");
  CHECK(d.entities.substances == std::vector<std::string>{"protein"});
  CHECK(d.entities.goal == "lose_fat");
  const auto e = engine().analyze("on ozempic and the pill, stim free pre?");
  CHECK(e.entities.medications == std::vector<std::string>{"semaglutide", "oral_contraceptive"});
  CHECK(e.entities.order == "least");
}

TEST_CASE("entities are reported only where SPEC lists them") {
  Entities e;
  e.weight_kg = 80;
  e.goal = "build_muscle";
  e.substances = {"creatine"};
  e.medications = {"sertraline"};
  e.category = "pre_workout";
  e.order = "most";
  CHECK(e.for_intent("dose") ==
        nlohmann::json{{"supplement", "creatine"}, {"weight_kg", 80.0}, {"goal", "build_muscle"}});
  CHECK(e.for_intent("med_safety") ==
        nlohmann::json{{"medications", {"sertraline"}}, {"supplement", "creatine"}});
  CHECK(e.for_intent("product_compare") ==
        nlohmann::json{{"category", "pre_workout"}, {"ingredient", "creatine"}, {"order", "most"}});
  CHECK(e.for_intent("greeting") == nlohmann::json::object());
}

TEST_CASE("the engine is deterministic and gives every class a probability") {
  const IntentEngine again(shipped_kb());
  for (const char* text : {"how much creatine", "hi", "is fish oil ok with warfarin"}) {
    CHECK(again.analyze(text).intent == engine().analyze(text).intent);
    CHECK(again.analyze(text).confidence == engine().analyze(text).confidence);
  }
  const auto ranked = engine().rank("how much creatine should i take at 80kg");
  CHECK(ranked.front().intent == "dose");
  double total = 0;
  for (const auto& r : ranked) total += r.probability;
  CHECK(total == Approx(1.0));
  CHECK(engine().analyze("").intent == "out_of_scope");
  CHECK(engine().analyze("\xF0\x9F\x98\x80\xF0\x9F\x98\x80").intent == "out_of_scope");
}

TEST_CASE("evaluate computes accuracy, per-intent scores and confusions") {
  auto p = [](const char* expected, const char* predicted) {
    return LabelledPrediction{expected, predicted, nullptr, nullptr};
  };
  const auto r = evaluate({p("a", "a"), p("a", "b"), p("b", "b"), p("b", "b")});
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
  CHECK(r.entity_total == 0);
}

TEST_CASE("entity accuracy compares SPEC values, weights within 0.1") {
  CHECK(entities_match({{"weight_kg", 81.6}}, {{"weight_kg", 81.65}}));
  CHECK_FALSE(entities_match({{"weight_kg", 81.6}}, {{"weight_kg", 82.0}}));
  CHECK_FALSE(entities_match({{"supplement", "creatine"}}, nlohmann::json::object()));
  CHECK_FALSE(entities_match(nlohmann::json::object(), {{"supplement", "creatine"}}));
  CHECK(entities_match({{"medications", {"a", "b"}}}, {{"medications", {"a", "b"}}}));
  CHECK_FALSE(entities_match({{"medications", {"a", "b"}}}, {{"medications", {"b", "a"}}}));
  const auto r = evaluate({{"dose", "dose", {{"supplement", "creatine"}}, {{"supplement", "creatine"}}},
                           {"dose", "dose", {{"supplement", "caffeine"}}, nlohmann::json::object()}});
  CHECK(r.entity_total == 2);
  CHECK(r.entity_correct == 1);
  CHECK(r.entity_accuracy == Approx(0.5));
  CHECK(r.entity_misses == std::vector<std::size_t>{1});
}

TEST_CASE("age only from explicit wording, under 18 escalates") {
  CHECK(parse_age(tokens_of("im 70 years old")) == 70);
  CHECK(parse_age(tokens_of("68yo male")) == 68);
  CHECK(parse_age(tokens_of("age 16, can i take creatine")) == 16);
  CHECK(parse_age(tokens_of("16 y/o")) == 16);
  CHECK_FALSE(parse_age(tokens_of("im 80")));           // could be a weight
  CHECK_FALSE(parse_age(tokens_of("took it for 5 years")));  // a duration, not an age
  CHECK_FALSE(parse_age(tokens_of("80 kg")));
  const auto teen = engine().analyze("im 15 years old can i use pre workout");
  CHECK(std::find(teen.entities.conditions.begin(), teen.entities.conditions.end(), "under_18") !=
        teen.entities.conditions.end());
}

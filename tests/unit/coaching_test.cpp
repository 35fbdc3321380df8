// Multi-turn coaching scripts: text in, reply and state out, against the
// shipped knowledge base. Numbers asserted here are DOMAIN.md's check values.

#include <catch2/catch.hpp>

#include "content/gsm7.hpp"
#include "content/loader.hpp"
#include "support/shipped_knowledge.hpp"
#include "dialogue/conversation.hpp"
#include "dialogue/reply_composer.hpp"
#include "dialogue/skills/product_skill.hpp"

#include <set>

using namespace smscoach::dialogue;
using namespace std::chrono_literals;

namespace {

const smscoach::dialogue::Knowledge& shipped() { return smscoach::test::shipped_knowledge(); }

struct Script {
  TexterState state;
  Clock::time_point now = Clock::time_point{} + 1000h;
  std::vector<TurnResult> turns;

  Script() { state.number = "+15557770000"; }
  const TurnResult& text(const char* t) {
    turns.push_back(respond(t, state, shipped(), now));
    state = turns.back().state;
    return turns.back();
  }
  std::string reply() const { return turns.back().replies.empty() ? "" : turns.back().replies[0]; }
};

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

}  // namespace

TEST_CASE("what dose -> which supplement -> weight: the missing slots are asked for, then filled") {
  Script s;
  s.text("what dose do i need?");
  CHECK(s.reply() == shipped().kb.program.dose_ask_supplement);
  CHECK(s.state.pending == "dose_supplement");
  s.text("caffeine");
  CHECK(s.reply() == shipped().kb.program.dose_ask_weight);
  CHECK(s.state.pending == "dose_weight");
  s.text("I'm 70kg");
  CHECK(s.turns.back().intent == "dose");
  CHECK(contains(s.reply(), "200 mg"));  // 3 mg/kg = 210 mg at 70 kg, held to the 200 mg cap
  CHECK(contains(s.reply(), "210"));
  CHECK(s.state.pending.empty());
  CHECK(s.state.weight_kg == Approx(70));
}

TEST_CASE("creatine loading follows the texter's weight: 21, 24, 27 g at 70, 80, 90 kg") {
  for (auto [weight, grams] : {std::pair{"70", "21 g"}, {"80", "24 g"}, {"90", "27 g"}}) {
    Script s;
    s.text((std::string("how much creatine, im ") + weight + "kg").c_str());
    INFO(s.reply());
    CHECK(contains(s.reply(), grams));
    CHECK(contains(s.reply(), "3-5 g a day"));
  }
}

TEST_CASE("protein for muscle at 80 kg is 128 g, and the goal picks the rule") {
  Script s;
  s.text("how much protein to build muscle? 80kg");
  CHECK(contains(s.reply(), "128 g"));
  Script cut;
  cut.text("how much protein when cutting at 80kg");
  CHECK_FALSE(contains(cut.reply(), "128 g a day"));
  CHECK(contains(cut.reply(), "104"));  // 1.3 g/kg at 80 kg
}

TEST_CASE("answers use the units the texter used") {
  Script lb;
  lb.text("im 176 lb how much creatine");
  CHECK(contains(lb.reply(), "176 lb (80 kg)"));
  CHECK(contains(lb.reply(), "24 g"));
  CHECK(lb.state.weight_unit == "lb");
  Script st;
  st.text("12 stone 8, creatine dose?");
  CHECK(contains(st.reply(), "12 st 8 lb (80 kg)"));
}

TEST_CASE("the weight is remembered across turns and corrections win") {
  Script s;
  s.text("im 58kg");
  CHECK(s.state.weight_kg == Approx(58));
  s.text("no wait, 70 kg");
  CHECK(s.state.weight_kg == Approx(70));
  s.text("how much caffeine before the gym");
  CHECK(contains(s.reply(), "at 70 kg"));
}

TEST_CASE("and creatine? carries the dose question over") {
  Script s;
  s.text("im 80kg how much caffeine");
  s.text("and creatine?");
  CHECK(s.turns.back().intent == "dose");
  CHECK(contains(s.reply(), "24 g"));
}

TEST_CASE("a pending question expires") {
  Script s;
  s.text("what dose do i need");
  s.now += 31min;
  s.text("creatine is it good for lean mass");
  CHECK(s.turns.back().intent != "dose");
  CHECK(s.state.pending.empty());
}

TEST_CASE("never-dose substances are refused and escalated, no-rule ones get no number") {
  Script s;
  s.text("how much yohimbine should i take");
  CHECK(contains(s.reply(), "won't give a dose"));
  CHECK(s.state.flagged);
  CHECK_FALSE(contains(s.reply(), " mg"));
  Script n;
  n.text("laxogenin dose?");
  const auto* laxo = shipped().kb.find_supplement("laxogenin");
  REQUIRE(laxo);
  CHECK(contains(n.reply(), laxo->no_dose));
  CHECK_FALSE(n.state.flagged);
}

TEST_CASE("medications by brand name are remembered as generics and flag the conversation") {
  Script s;
  s.text("i take ozempic and lexapro");
  CHECK(s.state.medications == std::vector<std::string>{"semaglutide", "escitalopram"});
  CHECK(s.state.flagged);
  CHECK(s.turns.back().replies.size() == 1);
  s.text("can i use 5-htp");
  CHECK(s.turns.back().intent == "med_safety");
  CHECK(contains(s.reply(), shipped().kb.program.med_safety_generic));
}

TEST_CASE("MORE sends the rest of a long answer, then says there is no more") {
  Script s;
  s.state.more_text = "The rest of the answer.";
  s.text("MORE");
  CHECK(s.reply() == "The rest of the answer.");
  CHECK(s.state.more_text.empty());
  s.text("more");
  CHECK(s.reply() == shipped().kb.program.more_none);
}

TEST_CASE("every dose answer the knowledge base can give fits the SMS budget in GSM-7") {
  const char* weights[] = {"", " im 50kg", " im 95kg", " im 140kg", " im 300 lb", " im 15 stone"};
  const char* goals[] = {"", " for cutting", " to build muscle", " for a marathon"};
  for (const auto& supplement : shipped().kb.supplements) {
    for (const char* w : weights) {
      for (const char* g : goals) {
        Script s;
        const std::string text = "how much " + supplement.name + " should i take" + g + w;
        s.text(text.c_str());
        for (const auto& reply : s.turns.back().replies) {
          INFO(text << " -> " << reply);
          const auto septets = smscoach::content::gsm7_septets(reply);
          REQUIRE(septets);
          CHECK(smscoach::content::gsm7_segments(*septets) <= kDefaultReplySegments);
        }
      }
    }
  }
}

TEST_CASE("product compare ranks the catalog by the ingredient, most or least, per label") {
  Script s;
  s.text("which pre workout has the most caffeine");
  CHECK(s.turns.back().intent == "product_compare");
  CHECK(contains(s.reply(), "Per label"));
  // The first product named is the catalog's highest-caffeine pre-workout.
  const smscoach::content::Product* top = nullptr;
  double top_mg = -1;
  for (const auto& p : shipped().kb.catalog.products) {
    if (p.category != "pre_workout") continue;
    for (const auto& [id, mg] : p.per_serving_mg) {
      if (id == "caffeine" && mg > top_mg) {
        top_mg = mg;
        top = &p;
      }
    }
  }
  REQUIRE(top);
  CHECK(s.reply().find(top->name) == s.reply().find(": ") + 2);
}

TEST_CASE("most of what? is asked, and the next text answers it") {
  Script s;
  s.text("which pre has the most");
  CHECK(s.reply() == shipped().kb.program.compare_ask_ingredient);
  s.text("citrulline");
  CHECK(s.turns.back().intent == "product_compare");
  CHECK(contains(s.reply(), "most citrulline"));
}

TEST_CASE("a swapped catalog is what the answers come from") {
  auto kb = shipped().kb;
  kb.catalog.demo = false;
  kb.catalog.products = {
      {"a", "Alpha Pre", "pre_workout", "1 scoop", {{"caffeine", 120}}, 1},
      {"b", "Bravo Pre", "pre_workout", "2 scoops", {{"caffeine", 390}}, 2},
      {"c", "Charlie Whey", "protein_powder", "1 scoop", {{"protein", 30000}}, 3},
  };
  const Knowledge swapped(std::move(kb));
  TexterState state;
  state.number = "+15550009999";
  const auto most = respond("which pre workout has the most caffeine", state, swapped, {});
  REQUIRE(most.replies.size() == 1);
  CHECK(contains(most.replies[0], "Bravo Pre 390 mg per 2 scoops; Alpha Pre 120 mg"));
  CHECK_FALSE(contains(most.replies[0], "(demo)"));
  CHECK_FALSE(contains(most.replies[0], "Demo catalog"));
  const auto least = respond("lowest caffeine pre workout", state, swapped, {});
  CHECK(contains(least.replies[0], "least caffeine"));
  CHECK(least.replies[0].find("Alpha Pre") < least.replies[0].find("Bravo Pre"));
}

TEST_CASE("recommendations follow the goal, asked for when unknown") {
  Script s;
  s.text("what should i take");
  CHECK(s.reply() == shipped().kb.program.recommend_ask_goal);
  s.text("building muscle");
  CHECK(s.turns.back().intent == "product_recommend");
  CHECK(contains(s.reply(), "Creatine (evidence A)"));
  Script g;
  g.state.goal = "endurance";
  g.text("what supplements should i take");
  CHECK_FALSE(contains(g.reply(), shipped().kb.program.recommend_ask_goal));
}

TEST_CASE("every medication-safety answer fits the budget and never says safe") {
  for (const auto& i : shipped().kb.interactions) {
    for (const auto& generic : i.medications) {
      for (const auto& substance : i.substances) {
        Script s;
        const std::string text = "is " + substance + " ok with " + generic;
        s.text(text.c_str());
        INFO(text << " -> " << s.reply());
        CHECK(s.turns.back().intent == "med_safety");
        const auto septets = smscoach::content::gsm7_septets(s.reply());
        REQUIRE(septets);
        CHECK(smscoach::content::gsm7_segments(*septets) <= kDefaultReplySegments);
        CHECK_FALSE(contains(s.reply(), " is safe"));
      }
    }
  }
}

TEST_CASE("over 65, protein follows the age-group rule and the age is remembered") {
  Script s;
  s.text("im 70 years old");
  CHECK(s.state.age_years == 70);
  s.text("how much protein should i eat, im 80kg");
  CHECK(contains(s.reply(), "80-96 g a day"));  // 1.0-1.2 g/kg at 80 kg
  CHECK_FALSE(contains(s.reply(), "128 g"));
}

TEST_CASE("an age under 18 escalates before any dose") {
  Script s;
  s.text("im 16 years old how much creatine");
  CHECK(s.turns.back().intent == "med_safety");
  CHECK(s.state.flagged);
  CHECK(std::find(s.state.conditions.begin(), s.state.conditions.end(), "under_18") !=
        s.state.conditions.end());
}

TEST_CASE("every product comparison the catalog allows fits the SMS budget") {
  std::set<std::string> categories, ingredients;
  for (const auto& p : shipped().kb.catalog.products) {
    categories.insert(p.category);
    for (const auto& [id, mg] : p.per_serving_mg) ingredients.insert(id);
  }
  for (const auto& category : categories) {
    for (const auto& ingredient : ingredients) {
      for (bool least : {false, true}) {
        const auto answer = compare_products({category, ingredient, least}, shipped().kb);
        const auto reply = compose_reply(answer.text);
        INFO(category << " " << ingredient << " -> " << answer.text);
        const auto septets = smscoach::content::gsm7_septets(reply.text);
        REQUIRE(septets);
        CHECK(smscoach::content::gsm7_segments(*septets) <= kDefaultReplySegments);
        CHECK(reply.rest.empty());  // a comparison never needs MORE
      }
    }
  }
}

#pragma once
// The knowledge base in memory: what the bot may say, and the texts it learns
// intents from. Built only by the loader, immutable afterwards.

#include <string>
#include <string_view>
#include <vector>

namespace smscoach::content {

// Evidence grade of an answer's main claim: A strong (meta-analyses, position
// stands), B moderate, C limited or emerging, D little or none.
enum class EvidenceTier { A, B, C, D };
char tier_letter(EvidenceTier tier);

struct FaqEntry {
  std::string id;        // e.g. "glp1_muscle_loss"; the intent is "faq." + id
  std::string question;  // canonical wording, for staff and canned replies
  std::string answer;    // SMS-ready, GSM-7
  EvidenceTier tier = EvidenceTier::D;
  std::vector<std::string> sources;
  std::vector<std::string> examples;  // texts the classifier learns from
};

struct IntentExamples {
  std::string intent;
  std::vector<std::string> examples;
};

// The line's own words: HELP, confirmations and fallbacks.
struct ProgramText {
  std::string line_name;
  std::string help;
  std::string opt_out_confirmation;
  std::string opt_in_confirmation;
  std::string greeting;
  std::string thanks;
  std::string human_handoff;
  std::string human_holding;
  std::string human_timeout;  // a coach went quiet: the bot is back
  std::string out_of_scope;
  std::string out_of_scope_repeat;
  std::string med_safety_generic;
  std::string not_ready;
  std::string delete_data_done;
  std::string dose_ask_supplement;
  std::string dose_ask_weight;
  std::string dose_no_rule;
  std::string escalation_note;
  std::string med_no_known_flag;
  std::string profile_saved;
  std::string more_none;
  std::string compare_ask_ingredient;
  std::string compare_none;
  std::string compare_caveat;
  std::string recommend_ask_goal;
  std::string catalog_demo_note;
};

// Texter shorthand and the word it stands for: "u" -> "you".
struct SlangEntry {
  std::string to;
  std::vector<std::string> from;
};

// One value an entity can take, with the words texters use for it:
// goal "lose_fat" <- "cutting", "lean out"; category, order likewise.
struct EntityValue {
  std::string entity;  // "goal", "category" or "order"
  std::string id;
  std::vector<std::string> aliases;
};

struct Supplement {
  std::string id;  // snake_case, the `supplement` / `ingredient` entity value
  std::string name;
  std::vector<std::string> aliases;  // "whey" is protein, "beet juice" is nitrate
  std::string category;  // the product category it implies ("protein_powder"), or ""
  EvidenceTier tier = EvidenceTier::D;
  std::string summary;  // what it does, one line
  std::vector<std::string> sources;
  std::string never_dose;  // non-empty: never dosed, and this is why (yohimbine, DMAA)
  std::string no_dose;     // non-empty: no reliable dose, and this is what to say instead
};

// One dose rule from DOMAIN.md, as data: the calculator applies it.
struct DoseRule {
  std::string supplement;
  std::string goal;  // "" applies to any goal; a goal-specific rule wins when the goal is known
  std::string population;  // "" everyone, or "over_65": wins over goal rules for that age
  std::string kind;  // "daily", "pre_exercise", "loading" or "per_meal"
  bool per_kg = false;  // amounts are per kg of body weight
  double low = 0, high = 0;
  std::string unit;  // "g", "mg" or "mmol"
  std::string per;   // "day" or "dose"
  int doses = 0;     // split into this many doses; 0 = not said
  std::string days;  // loading length, e.g. "5-7"
  double max_per_dose = 0, max_per_day = 0;  // 0 = no cap
  std::string timing, note, source;
  int line = 0;  // in dose_rules.jsonl, for cross-file errors
};

// A known interaction flag between supplements (or product categories) and
// medications (or their classes).
struct Interaction {
  std::vector<std::string> substances;
  std::vector<std::string> categories;
  std::vector<std::string> medications;
  std::vector<std::string> classes;
  std::string flag;
  std::string source;
  int line = 0;  // in interactions.jsonl, for cross-file errors
};

// A condition that always escalates to a human (DOMAIN.md).
struct Condition {
  std::string id;
  std::vector<std::string> aliases;
  std::string message;
};

struct Product {
  std::string id, name, category, serving;
  std::vector<std::pair<std::string, double>> per_serving_mg;  // ingredient id -> mg, in file order
  int line = 0;  // where it sits in products.json, for error messages
};

// What the line suggests for a goal, best evidence first.
struct Recommendation {
  std::string goal;
  std::vector<std::string> supplements;
  std::vector<std::string> categories;
  int line = 0;
};

struct ProductCatalog {
  bool demo = false;  // the shipped catalog is invented and says so
  std::vector<Product> products;
};

struct Medication {
  std::string generic;  // the `medications` entity value
  std::vector<std::string> brands;
  std::vector<std::string> classes;
  std::vector<std::string> aliases;  // misspellings and short forms
};

struct TrainingUtterance {
  std::string text;
  std::string intent;
};

struct KnowledgeBase {
  ProgramText program;
  std::vector<FaqEntry> faqs;
  std::vector<IntentExamples> intents;
  std::vector<SlangEntry> slang;
  std::vector<EntityValue> entity_values;
  std::vector<Supplement> supplements;
  std::vector<Medication> medications;
  std::vector<DoseRule> dose_rules;
  std::vector<Interaction> interactions;
  std::vector<Condition> conditions;
  ProductCatalog catalog;
  std::vector<Recommendation> recommendations;

  const Supplement* find_supplement(std::string_view id) const;
  const Medication* find_medication(std::string_view generic) const;

  // nullptr when there is no such entry.
  const FaqEntry* find_faq(std::string_view id) const;
  // Every labelled example: FAQ examples as "faq.<id>", then intent examples.
  std::vector<TrainingUtterance> training_utterances() const;
};

}  // namespace smscoach::content

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
  std::string out_of_scope;
  std::string out_of_scope_repeat;
  std::string med_safety_generic;
  std::string not_ready;
  std::string delete_data_done;
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

  // nullptr when there is no such entry.
  const FaqEntry* find_faq(std::string_view id) const;
  // Every labelled example: FAQ examples as "faq.<id>", then intent examples.
  std::vector<TrainingUtterance> training_utterances() const;
};

}  // namespace smscoach::content

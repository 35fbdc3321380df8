#pragma once
// Everything the line remembers about one texter between turns.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace smscoach::dialogue {

enum class Mode { bot, human };
std::string_view to_string(Mode mode);
std::optional<Mode> parse_mode(std::string_view s);

struct TexterState {
  std::string number;  // E.164
  std::optional<double> weight_kg;
  std::string goal;  // "" unknown, else lose_fat | build_muscle | maintain | endurance
  std::vector<std::string> medications;  // generic names, lower case
  bool opted_out = false;
  Mode mode = Mode::bot;
  bool flagged = false;       // a human should review this conversation
  int misses = 0;             // texts in a row we did not understand
  bool holding_sent = false;  // the one holding message of a human handoff went out
  std::string weight_unit = "kg";       // how they give weight: "kg", "lb" or "st"
  std::optional<int> age_years;         // when they told us; some dose rules depend on it
  std::vector<std::string> conditions;  // escalating conditions they mentioned
  // A question we asked and are waiting on, valid until pending_until_ms:
  // "dose_supplement", "dose_weight" (subject: the supplement),
  // "recommend_goal", "compare_most" or "compare_least" (subject: the category).
  std::string pending;
  std::string pending_subject;
  std::int64_t pending_until_ms = 0;
  std::string last_supplement;  // the topic of the last dose answer, for "and creatine?"
  std::string more_text;  // the rest of a long answer, sent when they reply MORE
  // Why the conversation waits for a human, and since when; set when it is
  // first flagged or handed over, cleared when staff hand it back.
  std::string handoff_reason;
  std::int64_t handoff_since_ms = 0;

  bool operator==(const TexterState&) const = default;
};

// The `state` object of `smscoach chat` (SPEC): weight_kg, goal, medications,
// opted_out, mode, flagged.
nlohmann::json state_to_json(const TexterState& state);

}  // namespace smscoach::dialogue

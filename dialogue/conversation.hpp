#pragma once
// One turn of the conversation as a pure function: (text, state, knowledge,
// now) -> (replies, new state). No store, no clock, no sockets.

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "dialogue/knowledge.hpp"
#include "dialogue/texter_state.hpp"

namespace smscoach::dialogue {

using Clock = std::chrono::system_clock;

struct TurnResult {
  std::vector<std::string> replies;  // empty: say nothing
  TexterState state;                 // the state after this turn
  std::string intent;
  double confidence = 0.0;
  nlohmann::json entities = nlohmann::json::object();
  bool erase_history = false;  // delete_data: wipe profile and messages before storing this turn
  std::size_t tokens = 0;      // words in the normalised text
};

// What a text means, before any state is consulted beyond the opt-out flag
// (YES is an opt-in only while opted out). Shared by the live turn, `classify` and `eval`.
struct Understanding {
  std::string intent;
  double confidence = 0.0;
  nlohmann::json entities = nlohmann::json::object();  // SPEC's entities for the intent
  intents::Entities found;  // everything found, whatever the intent
  std::size_t tokens = 0;   // words in the normalised text
  bool by_compliance_rule = false;  // decided by the keyword/opt-out rules, not the classifier
};
Understanding understand(std::string_view text, bool opted_out, const Knowledge& knowledge);

// After this many misunderstood texts in a row, offer a human.
inline constexpr int kMissesBeforeHumanOffer = 3;
// How long a question we asked stays open ("what do you weigh?").
inline constexpr std::chrono::minutes kPendingQuestionLifetime{30};

TurnResult respond(std::string_view text, const TexterState& state, const Knowledge& knowledge,
                   Clock::time_point now);

// A keyword the provider already acted on and answered (Twilio's OptOutType
// STOP/START/HELP): the opt-out state follows it and nothing is sent, since a
// second confirmation would break the one-confirmation rule.
TurnResult respond_to_provider_keyword(std::string_view keyword, const TexterState& state);

}  // namespace smscoach::dialogue

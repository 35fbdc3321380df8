#include "dialogue/texter_state.hpp"

#include <nlohmann/json.hpp>

namespace smscoach::dialogue {

std::string_view to_string(Mode mode) { return mode == Mode::human ? "human" : "bot"; }

std::optional<Mode> parse_mode(std::string_view s) {
  if (s == "bot") return Mode::bot;
  if (s == "human") return Mode::human;
  return std::nullopt;
}

nlohmann::json state_to_json(const TexterState& state) {
  nlohmann::json j;
  j["weight_kg"] = state.weight_kg ? nlohmann::json(*state.weight_kg) : nlohmann::json(nullptr);
  j["goal"] = state.goal.empty() ? nlohmann::json(nullptr) : nlohmann::json(state.goal);
  j["medications"] = state.medications;
  j["opted_out"] = state.opted_out;
  j["mode"] = to_string(state.mode);
  j["flagged"] = state.flagged;
  return j;
}

}  // namespace smscoach::dialogue

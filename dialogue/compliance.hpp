#pragma once
// Opt-out, opt-in and help are decided before any intent matching, by rules
// precise enough to be a legal duty: every reasonable opt-out is honoured,
// and "should I stop caffeine before bed?" is not one.

#include <string_view>

namespace smscoach::dialogue {

enum class ComplianceAction { none, opt_out, opt_in, help };

// The action a text asks for. Whole-message keywords (SPEC: STOP family,
// START/UNSTOP, YES only while opted out, HELP/INFO; case, spaces and
// punctuation ignored), then plain-language opt-out requests.
ComplianceAction compliance_action(std::string_view text, bool opted_out);

// True for wording that asks us to stop texting ("please don't text me again",
// "take me off your list"), never for advice questions about stopping a supplement.
bool is_opt_out_request(std::string_view text);

}  // namespace smscoach::dialogue

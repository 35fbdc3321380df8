#include "dialogue/compliance.hpp"

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "intents/normalize.hpp"

namespace smscoach::dialogue {

namespace {

using Words = std::vector<std::string_view>;
using Alternatives = std::set<std::string_view>;

const Alternatives kOptOutKeywords = {"stop",   "stopall", "unsubscribe", "cancel",
                                      "end",    "quit",    "revoke",      "optout"};
const Alternatives kOptInKeywords = {"start", "unstop"};
const Alternatives kHelpKeywords = {"help", "info"};

// Words that do not change what a lone keyword asks for: "STOP please", "stop it now".
const Alternatives kFiller = {"please", "pls", "plz", "now", "it", "thanks", "thx",
                              "thank",  "you", "u",   "ok",  "just", "asap", "all"};

// Removes filler and returns what is left.
Words without_filler(const Words& words) {
  Words out;
  for (auto w : words) {
    if (!kFiller.contains(w)) out.push_back(w);
  }
  return out;
}

// True when some run of consecutive words matches the pattern, one set of
// alternatives per word.
bool contains_run(const Words& words, const std::vector<Alternatives>& pattern) {
  const std::size_t n = pattern.size();
  if (words.size() < n) return false;
  for (std::size_t start = 0; start + n <= words.size(); ++start) {
    std::size_t k = 0;
    for (const auto& alternatives : pattern) {
      if (!alternatives.contains(words[start + k])) break;
      ++k;
    }
    if (k == n) return true;
  }
  return false;
}

const Alternatives kContactVerbs = {"text",    "texting", "txt",      "txting",   "texing",
                                    "message", "messaging", "msg",    "msging",   "messege",
                                    "sms",     "contact",   "contacting", "sending", "send",
                                    "spamming", "spam",      "bothering", "bother",  "emailing",
                                    "calling", "call",      "txtin",     "textin"};
const Alternatives kMessageNouns = {"texts",    "text",  "txts",     "messages", "message",
                                    "msgs",     "sms",   "smss",     "spam",     "notifications",
                                    "alerts",   "messeges"};
const Alternatives kMe = {"me", "us", "my", "this", "number"};

// Runs of words that ask to opt out wherever they stand in a text. Built
// once: sets made for every text cost more than the rest of the check.
const std::vector<std::vector<Alternatives>>& opt_out_runs() {
  static const std::vector<std::vector<Alternatives>> runs = {
      {{"opt", "opted"}, {"out"}},
      {{"opt"}, {"me", "us"}, {"out"}},
      {{"unsubscribe", "unsub", "unsubscribed", "optout"}},
      // "stop texting me", "quit messaging", "stop sending me these texts"
      {{"stop", "quit", "cease"}, kContactVerbs},
      // "don't text me", "do not message me", "never contact me again"
      {{"dont", "never"}, kContactVerbs, kMe},
      {{"do"}, {"not"}, kContactVerbs, kMe},
      // "no more texts", "stop the messages", "stop these texts"
      {{"no"}, {"more"}, kMessageNouns},
      {{"stop", "end", "cancel"}, {"the", "these", "your", "all", "ur", "those"}, kMessageNouns},
      // "take me off your list", "remove me from this", "get me off this thing"
      {{"take", "get", "remove", "delete"}, {"me", "my"}, {"off", "from"}},
      {{"remove", "delete"}, {"me", "my"}, {"number"}, {"from"}},
      {{"leave"}, {"me"}, {"alone"}},
      {{"i"}, {"want", "wanna"}, {"off"}},
  };
  return runs;
}

}  // namespace

namespace {

bool asks_to_opt_out(const Words& words) {
  if (words.empty()) return false;

  const Words core = without_filler(words);
  if (core.size() == 1 && kOptOutKeywords.contains(core[0])) return true;
  if (core.size() == 2 && core[0] == "opt" && core[1] == "out") return true;
  if (core.size() == 2 && core[0] == "stop" && kMessageNouns.contains(core[1])) return true;

  for (const auto& run : opt_out_runs()) {
    if (contains_run(words, run)) return true;
  }
  return false;
}

}  // namespace

bool is_opt_out_request(std::string_view text) {
  const std::string norm = intents::normalize(text);
  return asks_to_opt_out(intents::split_words(norm));
}

ComplianceAction compliance_action(std::string_view text, bool opted_out) {
  const std::string norm = intents::normalize(text);
  const Words words = intents::split_words(norm);
  if (words.size() == 1) {
    const auto w = words[0];
    if (kOptInKeywords.contains(w) || (opted_out && w == "yes")) return ComplianceAction::opt_in;
    if (kHelpKeywords.contains(w)) return ComplianceAction::help;
  }
  if (asks_to_opt_out(words)) return ComplianceAction::opt_out;
  return ComplianceAction::none;
}

}  // namespace smscoach::dialogue

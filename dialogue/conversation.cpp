#include "dialogue/conversation.hpp"

#include "content/intent_ids.hpp"
#include "dialogue/compliance.hpp"

namespace smscoach::dialogue {

namespace {

std::string_view compliance_intent(ComplianceAction action) {
  switch (action) {
    case ComplianceAction::opt_out: return "opt_out";
    case ComplianceAction::opt_in: return "opt_in";
    case ComplianceAction::help: return "help";
    case ComplianceAction::none: break;
  }
  return {};
}

TurnResult compliance_turn(ComplianceAction action, TexterState state,
                           const content::ProgramText& program) {
  TurnResult r;
  r.confidence = 1.0;
  r.intent = compliance_intent(action);
  switch (action) {
    case ComplianceAction::opt_out:
      // One confirmation only: a second STOP while opted out gets silence.
      if (!state.opted_out) r.replies.push_back(program.opt_out_confirmation);
      state.opted_out = true;
      break;
    case ComplianceAction::opt_in:
      state.opted_out = false;
      r.replies.push_back(program.opt_in_confirmation);
      break;
    case ComplianceAction::help:
      // Nothing but the one confirmation goes to an opted-out number (SPEC).
      if (!state.opted_out) r.replies.push_back(program.help);
      break;
    case ComplianceAction::none:
      break;
  }
  r.state = std::move(state);
  return r;
}

// The reply for a matched intent while the bot is in charge.
void answer_intent(TurnResult& r, const content::KnowledgeBase& kb) {
  const auto& program = kb.program;
  TexterState& state = r.state;
  const std::string& intent = r.intent;
  if (intent != content::kOutOfScope) state.misses = 0;

  if (intent.starts_with(content::kFaqPrefix)) {
    if (const auto* faq = kb.find_faq(std::string_view(intent).substr(content::kFaqPrefix.size()))) {
      r.replies.push_back(faq->answer);
      return;
    }
  }
  if (intent == "greeting" || intent == "opt_in") {
    r.replies.push_back(program.greeting);
  } else if (intent == "thanks") {
    r.replies.push_back(program.thanks);
  } else if (intent == "help") {
    r.replies.push_back(program.help);
  } else if (intent == "human") {
    state.mode = Mode::human;
    state.flagged = true;
    state.holding_sent = false;
    r.replies.push_back(program.human_handoff);
  } else if (intent == "med_safety") {
    // Never "safe": name the concern, send them to a pharmacist, get a human to look.
    state.flagged = true;
    r.replies.push_back(program.med_safety_generic);
  } else if (intent == "delete_data") {
    r.erase_history = true;
    TexterState erased;
    erased.number = state.number;
    erased.opted_out = state.opted_out;
    state = std::move(erased);
    r.replies.push_back(program.delete_data_done);
  } else if (intent == "out_of_scope" || intent == "opt_out") {
    // A statistical opt_out guess without a rule behind it is not acted on;
    // the texter is told how to stop instead.
    ++state.misses;
    r.replies.push_back(state.misses >= kMissesBeforeHumanOffer ? program.out_of_scope_repeat
                                                                 : program.out_of_scope);
  } else {
    // dose, product_compare, product_recommend, profile_update: their skills
    // come with the knowledge base's dose rules and catalog.
    r.replies.push_back(program.not_ready);
  }
}

}  // namespace

Understanding understand(std::string_view text, bool opted_out, const Knowledge& knowledge) {
  Understanding u;
  if (const auto action = compliance_action(text, opted_out); action != ComplianceAction::none) {
    u.intent = compliance_intent(action);
    u.confidence = 1.0;
    u.by_compliance_rule = true;
    return u;
  }
  auto analysis = knowledge.engine.analyze(text);
  u.intent = std::move(analysis.intent);
  u.confidence = analysis.confidence;
  u.entities = analysis.entities.for_intent(u.intent);
  return u;
}

TurnResult respond(std::string_view text, const TexterState& state, const Knowledge& knowledge,
                   Clock::time_point /*now*/) {
  const auto action = compliance_action(text, state.opted_out);
  if (action != ComplianceAction::none) return compliance_turn(action, state, knowledge.kb.program);

  TurnResult r;
  r.state = state;
  Understanding u = understand(text, state.opted_out, knowledge);
  r.intent = std::move(u.intent);
  r.confidence = u.confidence;
  r.entities = std::move(u.entities);

  if (state.opted_out) return r;  // stored, never answered
  if (state.mode == Mode::human) {
    // A coach owns the conversation: at most one holding message.
    if (!state.holding_sent) {
      r.state.holding_sent = true;
      r.replies.push_back(knowledge.kb.program.human_holding);
    }
    return r;
  }
  answer_intent(r, knowledge.kb);
  return r;
}

}  // namespace smscoach::dialogue

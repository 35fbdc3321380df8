#include "dialogue/conversation.hpp"

#include <algorithm>

#include "content/intent_ids.hpp"
#include "dialogue/compliance.hpp"
#include "dialogue/reply_composer.hpp"
#include "dialogue/skills/dose_skill.hpp"
#include "dialogue/skills/product_skill.hpp"
#include "dialogue/skills/safety_skill.hpp"
#include "intents/normalize.hpp"

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

std::int64_t to_ms(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

template <class T>
void add_unique(std::vector<T>& list, const std::vector<T>& values) {
  for (const auto& v : values) {
    if (std::find(list.begin(), list.end(), v) == list.end()) list.push_back(v);
  }
}

WeightUnit unit_of(std::string_view unit) {
  return unit == "lb" ? WeightUnit::lb : unit == "st" ? WeightUnit::stone : WeightUnit::kg;
}

// What a text tells us about the texter is remembered whatever it asked:
// weight and unit, goal, medications and conditions. A medication or an
// escalating condition puts the conversation in front of a human (DOMAIN.md).
void remember(TexterState& state, const intents::Entities& found, const std::string& intent) {
  if (found.weight_kg) {
    state.weight_kg = found.weight_kg;
    state.weight_unit = found.weight_unit.empty() ? "kg" : found.weight_unit;
  }
  if (!found.goal.empty() && intent != content::kOutOfScope) state.goal = found.goal;
  if (found.age_years) state.age_years = found.age_years;
  add_unique(state.medications, found.medications);
  add_unique(state.conditions, found.conditions);
  if (!found.medications.empty() || !found.conditions.empty()) state.flagged = true;
}

void ask(TexterState& state, std::string question, std::string subject, Clock::time_point now) {
  state.pending = std::move(question);
  state.pending_subject = std::move(subject);
  state.pending_until_ms = to_ms(now + kPendingQuestionLifetime);
}

void clear_pending(TexterState& state) {
  state.pending.clear();
  state.pending_subject.clear();
  state.pending_until_ms = 0;
}

void answer_compare_turn(TurnResult& r, CompareRequest request, const content::KnowledgeBase& kb,
                         Clock::time_point now) {
  clear_pending(r.state);
  const auto answer = compare_products(request, kb);
  if (answer.needs_input) {
    ask(r.state, request.least ? "compare_least" : "compare_most", request.category, now);
  }
  r.replies.push_back(answer.text);
}

void answer_recommend_turn(TurnResult& r, const std::string& goal, const std::string& category,
                           const content::KnowledgeBase& kb, Clock::time_point now) {
  clear_pending(r.state);
  const auto answer = recommend_products(goal, category, kb);
  if (answer.needs_input) ask(r.state, "recommend_goal", "", now);
  r.replies.push_back(answer.text);
}

void answer_dose_turn(TurnResult& r, std::string supplement, const intents::Entities& found,
                      const content::KnowledgeBase& kb, Clock::time_point now) {
  TexterState& state = r.state;
  DoseRequest request;
  request.supplement = supplement;
  request.weight_kg = state.weight_kg;
  request.unit = unit_of(state.weight_unit);
  request.goal = found.goal.empty() ? state.goal : found.goal;
  request.age_years = state.age_years;
  const DoseAnswer answer = answer_dose(request, kb);
  clear_pending(state);
  if (answer.need == DoseAnswer::Need::supplement) {
    ask(state, "dose_supplement", "", now);
  } else if (answer.need == DoseAnswer::Need::weight) {
    ask(state, "dose_weight", supplement, now);
  }
  // Only a dose given becomes the topic "and creatine?" continues.
  state.last_supplement = answer.dosed ? supplement : std::string();
  if (answer.escalate) state.flagged = true;
  r.replies.push_back(answer.text);
}

void answer_safety_turn(TurnResult& r, const intents::Entities& found,
                        const content::KnowledgeBase& kb) {
  SafetyRequest request;
  // What this text names, else what we remember about them.
  request.medications = found.medications.empty() ? r.state.medications : found.medications;
  request.substances = found.substances;
  request.category = found.category.empty() ? found.implied_category : found.category;
  request.conditions = found.conditions.empty() ? r.state.conditions : found.conditions;
  r.state.flagged = true;
  r.replies.push_back(answer_med_safety(request, kb));
}

// The open question a text answers, if any: a supplement after "which
// supplement?", a weight after "what do you weigh?". Expired questions are dropped.
bool answers_pending_question(TurnResult& r, const intents::Entities& found,
                              const content::KnowledgeBase& kb, Clock::time_point now) {
  TexterState& state = r.state;
  if (state.pending.empty()) return false;
  if (to_ms(now) > state.pending_until_ms) {
    clear_pending(state);
    return false;
  }
  // A drug or condition in the text makes it a safety question, whatever was pending.
  if (r.intent == "human" || r.intent == "delete_data" || !found.medications.empty() ||
      !found.conditions.empty()) {
    return false;
  }
  if (state.pending == "dose_supplement" && !found.substances.empty()) {
    r.intent = "dose";
    answer_dose_turn(r, found.substances.front(), found, kb, now);
    return true;
  }
  if (state.pending == "dose_weight" && found.weight_kg) {
    r.intent = "dose";
    answer_dose_turn(r, state.pending_subject, found, kb, now);
    return true;
  }
  if (state.pending == "recommend_goal" && !found.goal.empty()) {
    r.intent = "product_recommend";
    answer_recommend_turn(r, found.goal, "", kb, now);
    return true;
  }
  if ((state.pending == "compare_most" || state.pending == "compare_least") &&
      !found.substances.empty()) {
    r.intent = "product_compare";
    answer_compare_turn(r, {state.pending_subject, found.substances.front(),
                            state.pending == "compare_least"},
                        kb, now);
    return true;
  }
  return false;
}

// An FAQ answer that states a number carries its evidence tier and source (SPEC).
std::string faq_reply(const content::FaqEntry& faq) {
  const bool states_number = std::any_of(faq.answer.begin(), faq.answer.end(),
                                         [](char c) { return c >= '0' && c <= '9'; });
  if (!states_number) return faq.answer;
  std::string reply = faq.answer + " (Evidence " + content::tier_letter(faq.tier);
  if (!faq.sources.empty()) reply += "; " + faq.sources.front();
  return reply + ")";
}

// The reply for a matched intent while the bot is in charge.
void answer_intent(TurnResult& r, const intents::Entities& found, const content::KnowledgeBase& kb,
                   Clock::time_point now) {
  const auto& program = kb.program;
  TexterState& state = r.state;
  std::string& intent = r.intent;
  remember(state, found, intent);
  if (intent != content::kOutOfScope) state.misses = 0;
  if (answers_pending_question(r, found, kb, now)) return;

  // "and creatine?" right after a dose answer: the same question about another
  // supplement. Only for a short text that names one supplement and no drug.
  if (!state.last_supplement.empty() && found.substances.size() == 1 &&
      found.medications.empty() && found.conditions.empty() && r.tokens <= 3) {
    intent = "dose";
  }

  // A supplement with a known flag against a drug they told us they take is a
  // safety question, however it was worded ("can i use 5-htp" on an SSRI).
  if (intent != "med_safety" && !found.substances.empty() && !state.medications.empty() &&
      !applicable_interactions({state.medications, found.substances, "", {}}, kb).empty()) {
    intent = "med_safety";
  }

  if (intent.starts_with(content::kFaqPrefix)) {
    if (const auto* faq = kb.find_faq(std::string_view(intent).substr(content::kFaqPrefix.size()))) {
      r.replies.push_back(faq_reply(*faq));
      return;
    }
  }
  if (intent == "dose") {
    // No supplement named: ask, rather than assume the last one.
    const std::string supplement = found.substances.empty() ? "" : found.substances.front();
    answer_dose_turn(r, supplement, found, kb, now);
  } else if (intent == "med_safety") {
    // Never "safe": name the concern, send them to a pharmacist, get a human to look.
    answer_safety_turn(r, found, kb);
  } else if (intent == "profile_update") {
    std::string reply = program.profile_saved;
    if (!found.medications.empty() || !found.conditions.empty()) {
      reply = answer_med_safety({found.medications, {}, "", found.conditions}, kb);
    }
    r.replies.push_back(reply);
  } else if (intent == "greeting" || intent == "opt_in") {
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
    // Repeated misunderstanding is a handoff: the repeat reply offers a coach.
    if (state.misses >= kMissesBeforeHumanOffer) state.flagged = true;
    r.replies.push_back(state.misses >= kMissesBeforeHumanOffer ? program.out_of_scope_repeat
                                                                 : program.out_of_scope);
  } else if (intent == "product_compare" && found.substances.empty() && found.order.empty()) {
    // "best fat burner": no ingredient and no most/least is a recommendation.
    intent = "product_recommend";
    answer_recommend_turn(r, found.goal.empty() ? state.goal : found.goal,
                          found.category.empty() ? found.implied_category : found.category, kb,
                          now);
  } else if (intent == "product_compare") {
    CompareRequest request;
    request.category = found.category.empty() ? found.implied_category : found.category;
    if (!found.substances.empty()) request.ingredient = found.substances.front();
    request.least = found.order == "least";
    // "stim-free pre": least of the stimulant.
    if (request.ingredient.empty() && request.least && request.category == "pre_workout") {
      request.ingredient = "caffeine";
    }
    answer_compare_turn(r, request, kb, now);
  } else if (intent == "product_recommend") {
    answer_recommend_turn(r, found.goal.empty() ? state.goal : found.goal,
                          found.category.empty() ? found.implied_category : found.category, kb,
                          now);
  } else {
    // An intent with no skill: the reply promises a coach, so flag for one.
    state.flagged = true;
    r.replies.push_back(program.not_ready);
  }
}

// A turn that first puts the conversation in front of a human says why, for
// the handoff queue: staff see "medication question", not just a flag.
void note_handoff(const TexterState& before, TurnResult& r, Clock::time_point now) {
  TexterState& after = r.state;
  const bool wants_human = after.flagged || after.mode == Mode::human;
  if (!wants_human || !after.handoff_reason.empty()) return;
  if (after.mode == Mode::human && before.mode != Mode::human) {
    after.handoff_reason = "asked for a human";
  } else if (after.conditions.size() > before.conditions.size()) {
    after.handoff_reason = "mentioned " + after.conditions.back();
  } else if (r.intent == "med_safety" || after.medications.size() > before.medications.size()) {
    after.handoff_reason = "medication question";
  } else if (r.intent == "dose") {
    after.handoff_reason = "asked for a dose the bot does not give";
  } else if (after.misses >= kMissesBeforeHumanOffer) {
    after.handoff_reason = "not understood " + std::to_string(after.misses) + " times in a row";
  } else {
    after.handoff_reason = "no automated answer for " + r.intent;
  }
  after.handoff_since_ms = to_ms(now);
}

// Long answers go out a part at a time; the rest waits for MORE.
void fit_replies(TurnResult& r) {
  std::string rest;
  for (auto& reply : r.replies) {
    auto composed = compose_reply(reply);
    reply = std::move(composed.text);
    if (!composed.rest.empty()) rest += (rest.empty() ? "" : " ") + composed.rest;
  }
  r.state.more_text = std::move(rest);
}

bool is_more_request(std::string_view text) { return intents::normalize(text) == "more"; }

// The engine's reading of a text the compliance rules have already passed over.
Understanding understand_by_engine(std::string_view text, const Knowledge& knowledge) {
  Understanding u;
  auto analysis = knowledge.engine.analyze(text);
  u.intent = std::move(analysis.intent);
  u.confidence = analysis.confidence;
  u.entities = analysis.entities.for_intent(u.intent);
  u.found = std::move(analysis.entities);
  u.tokens = analysis.tokens.size();
  return u;
}

}  // namespace

Understanding understand(std::string_view text, bool opted_out, const Knowledge& knowledge) {
  if (const auto action = compliance_action(text, opted_out); action != ComplianceAction::none) {
    Understanding u;
    u.intent = compliance_intent(action);
    u.confidence = 1.0;
    u.by_compliance_rule = true;
    return u;
  }
  return understand_by_engine(text, knowledge);
}

TurnResult respond_to_provider_keyword(std::string_view keyword, const TexterState& state) {
  TurnResult r;
  r.state = state;
  r.confidence = 1.0;
  if (keyword == "STOP") {
    r.intent = "opt_out";
    r.state.opted_out = true;
  } else if (keyword == "START") {
    r.intent = "opt_in";
    r.state.opted_out = false;
  } else {
    r.intent = "help";
  }
  return r;
}

TurnResult respond(std::string_view text, const TexterState& state, const Knowledge& knowledge,
                   Clock::time_point now) {
  const auto action = compliance_action(text, state.opted_out);
  if (action != ComplianceAction::none) return compliance_turn(action, state, knowledge.kb.program);

  TurnResult r;
  r.state = state;
  // The compliance rules were decided just above: only the engine is left.
  Understanding u = understand_by_engine(text, knowledge);
  r.intent = std::move(u.intent);
  r.confidence = u.confidence;
  r.entities = std::move(u.entities);
  const intents::Entities found = std::move(u.found);
  r.tokens = u.tokens;

  if (state.opted_out) return r;  // stored, never answered
  if (state.mode == Mode::human) {
    // A coach owns the conversation: at most one holding message.
    if (!state.holding_sent) {
      r.state.holding_sent = true;
      r.replies.push_back(knowledge.kb.program.human_holding);
    }
    return r;
  }
  if (is_more_request(text)) {
    // MORE is ours, not the classifier's: the rest of the last answer, or say there is none.
    r.intent = "more";
    r.confidence = 1.0;
    r.replies.push_back(state.more_text.empty() ? knowledge.kb.program.more_none : state.more_text);
  } else {
    answer_intent(r, found, knowledge.kb, now);
  }
  fit_replies(r);
  note_handoff(state, r, now);
  return r;
}

}  // namespace smscoach::dialogue

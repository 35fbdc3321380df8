#include "dialogue/service.hpp"

#include <utility>

#include "common/await_callback.hpp"
#include "dialogue/compliance.hpp"

namespace smscoach::dialogue {

Service::Service(Store& store, std::shared_ptr<const Knowledge> knowledge, ServiceOptions options)
    : store_(store),
      options_(options),
      knowledge_(std::move(knowledge)),
      turns_(options_.run_waiting_turn) {}

void Service::set_knowledge(std::shared_ptr<const Knowledge> knowledge) {
  std::lock_guard lock(knowledge_mutex_);
  knowledge_ = std::move(knowledge);
}

std::shared_ptr<const Knowledge> Service::knowledge() const {
  std::lock_guard lock(knowledge_mutex_);
  return knowledge_;
}

Expected<HandledTurn> Service::handle(const InboundSms& sms, Clock::time_point now) {
  return await_callback<Expected<HandledTurn>>(
      [&](TurnDone done) { handle_then(sms, now, std::move(done)); });
}

void Service::handle_then(const InboundSms& sms, Clock::time_point now, TurnDone done) {
  if (sms.from.empty()) return done(make_error(ErrorCode::bad_input, "missing sender number"));
  if (sms.message_sid.empty()) return done(make_error(ErrorCode::bad_input, "missing message id"));
  if (options_.queue_replies && sms.to.empty()) {
    return done(make_error(ErrorCode::bad_input,
                           "missing form field To: replies are sent from the number texted"));
  }

  auto seen = store_.processed_replies(sms.message_sid);
  if (!seen) return done(seen.error());
  if (seen->has_value()) {
    HandledTurn dup;
    dup.duplicate = true;
    dup.replies = std::move(**seen);
    return done(std::move(dup));
  }

  // One turn of a texter at a time: queued by number within this process
  // (a waiting text holds no thread and no store connection), the store's
  // session across processes sharing it. Both are held until the turn is
  // stored.
  turns_.run(sms.from, [this, sms, now,
                        done = std::move(done)](KeyedSequencer::Hold texter) mutable {
    // A waiting turn runs from a worker pool's queue, where nobody would
    // catch what a turn throws: it becomes the turn's error.
    try {
      run_turn(sms, now, std::move(texter), done);
    } catch (const std::exception& e) {
      if (!done) throw;  // already answered: the store's callback threw
      done(make_error(ErrorCode::internal, std::string("turn failed: ") + e.what()));
    }
  });
}

// `done` is taken (moved from) only once the turn goes to the store.
void Service::run_turn(const InboundSms& sms, Clock::time_point now, KeyedSequencer::Hold texter,
                       TurnDone& done) {
  auto begun = store_.begin_turn(sms.from);
  if (!begun) return done(begun.error());
  std::shared_ptr<TurnSession> session = std::move(*begun);
  auto state = session->load_texter();
  if (!state) return done(state.error());

  const auto knowledge = this->knowledge();
  bool rate_limited = false;
  if (options_.rate_limit_per_minute > 0 && sms.provider_keyword.empty() &&
      compliance_action(sms.body, state->opted_out) == ComplianceAction::none) {
    const auto since = now - std::chrono::minutes(1);
    auto recent = session->inbound_count_since(
        std::chrono::duration_cast<std::chrono::milliseconds>(since.time_since_epoch()).count());
    if (!recent) return done(recent.error());
    rate_limited = *recent >= options_.rate_limit_per_minute;
  }
  TurnResult turn;
  if (!sms.provider_keyword.empty()) {
    turn = respond_to_provider_keyword(sms.provider_keyword, *state);
  } else if (rate_limited) {
    // Stored with what it meant, but not answered and nothing else changes.
    auto u = understand(sms.body, state->opted_out, *knowledge);
    turn.state = *state;
    turn.intent = std::move(u.intent);
    turn.confidence = u.confidence;
  } else {
    turn = respond(sms.body, *state, *knowledge, now);
  }

  TurnRecord record;
  record.sms = sms;
  record.at_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  record.intent = turn.intent;
  record.confidence = turn.confidence;
  record.replies = turn.replies;
  record.state = turn.state;
  record.erase_history = turn.erase_history;
  record.queue_replies = options_.queue_replies;
  TurnSession& store_turn = *session;  // `session` itself goes to the answer
  store_turn.record_turn_then(
      record, [texter = std::move(texter), session = std::move(session),
               turn = std::move(turn), before = std::move(*state), rate_limited,
               done = std::exchange(done, nullptr)](Expected<RecordOutcome> outcome) mutable {
        // The texter is free for their next text before this one is answered.
        session.reset();
        texter.reset();
        if (!outcome) return done(outcome.error());
        HandledTurn handled;
        handled.duplicate = outcome->duplicate;
        handled.replies = outcome->duplicate ? std::move(outcome->replies) : std::move(turn.replies);
        handled.intent = std::move(turn.intent);
        handled.confidence = turn.confidence;
        handled.entities = std::move(turn.entities);
        handled.state = outcome->duplicate ? std::move(before) : std::move(turn.state);
        handled.rate_limited = rate_limited && !outcome->duplicate;
        done(std::move(handled));
      });
}

}  // namespace smscoach::dialogue

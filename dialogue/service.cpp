#include "dialogue/service.hpp"

#include <functional>

namespace smscoach::dialogue {

Service::Service(Store& store, std::shared_ptr<const Knowledge> knowledge)
    : store_(store), knowledge_(std::move(knowledge)) {}

void Service::set_knowledge(std::shared_ptr<const Knowledge> knowledge) {
  std::lock_guard lock(knowledge_mutex_);
  knowledge_ = std::move(knowledge);
}

std::shared_ptr<const Knowledge> Service::knowledge() const {
  std::lock_guard lock(knowledge_mutex_);
  return knowledge_;
}

std::mutex& Service::turn_lock(std::string_view number) {
  return turn_locks_[std::hash<std::string_view>{}(number) % turn_locks_.size()];
}

Expected<HandledTurn> Service::handle(const InboundSms& sms, Clock::time_point now) {
  if (sms.from.empty()) return make_error(ErrorCode::bad_input, "missing sender number");
  if (sms.message_sid.empty()) return make_error(ErrorCode::bad_input, "missing message id");

  auto seen = store_.processed_replies(sms.message_sid);
  if (!seen) return seen.error();
  if (seen->has_value()) {
    HandledTurn dup;
    dup.duplicate = true;
    dup.replies = std::move(**seen);
    return dup;
  }

  std::lock_guard lock(turn_lock(sms.from));
  auto state = store_.load_texter(sms.from);
  if (!state) return state.error();

  const auto knowledge = this->knowledge();
  TurnResult turn = sms.provider_keyword.empty()
                        ? respond(sms.body, *state, *knowledge, now)
                        : respond_to_provider_keyword(sms.provider_keyword, *state);

  TurnRecord record;
  record.sms = sms;
  record.at_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  record.intent = turn.intent;
  record.confidence = turn.confidence;
  record.replies = turn.replies;
  record.state = turn.state;
  record.erase_history = turn.erase_history;
  auto outcome = store_.record_turn(record);
  if (!outcome) return outcome.error();

  HandledTurn handled;
  handled.duplicate = outcome->duplicate;
  handled.replies = outcome->duplicate ? std::move(outcome->replies) : std::move(turn.replies);
  handled.intent = std::move(turn.intent);
  handled.confidence = turn.confidence;
  handled.entities = std::move(turn.entities);
  handled.state = outcome->duplicate ? *state : std::move(turn.state);
  return handled;
}

}  // namespace smscoach::dialogue

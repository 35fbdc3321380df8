#pragma once
// Runs one inbound text through the whole path: duplicate check, the texter's
// state from the store, the pure turn, and one atomic write of everything.
// Turns of one texter are serialised; different texters run in parallel.
// A text whose texter has a turn under way waits in a queue, not on a thread.

#include <functional>
#include <memory>
#include <mutex>

#include "common/expected.hpp"
#include "common/keyed_sequencer.hpp"
#include "common/inbound_sms.hpp"
#include "dialogue/conversation.hpp"
#include "dialogue/knowledge.hpp"
#include "dialogue/store/store.hpp"

namespace smscoach::dialogue {

struct ServiceOptions {
  // Texts answered per texter in any minute; 0 turns the limit off. Excess
  // texts are stored but not answered, so nobody can run up the SMS bill;
  // compliance keywords always act.
  int rate_limit_per_minute = 10;
  // Replies also go to the store's outbox, to be sent through the provider's
  // REST API from the number the texter wrote to (so that number is required).
  bool queue_replies = false;
  // Where a text that waited for its texter's earlier turn is worked out
  // once that turn is stored: a worker pool's post, in the server. Unset,
  // it runs on the thread that stored the earlier turn.
  KeyedSequencer::Defer run_waiting_turn;
};

struct HandledTurn {
  std::vector<std::string> replies;
  bool duplicate = false;  // already processed: replies are the first answer, nothing changed
  bool rate_limited = false;  // stored, not answered
  std::string intent;
  double confidence = 0.0;
  nlohmann::json entities = nlohmann::json::object();
  TexterState state;
};

class Service {
 public:
  Service(Store& store, std::shared_ptr<const Knowledge> knowledge, ServiceOptions options = {});

  Expected<HandledTurn> handle(const InboundSms& sms, Clock::time_point now);
  // handle, answered through `done` once the turn is stored: maybe after
  // this returns and on another thread (the store's, once the text is on
  // disk), so that no thread waits for the disk meanwhile, nor for an
  // earlier turn of the same texter.
  using TurnDone = std::function<void(Expected<HandledTurn>)>;
  void handle_then(const InboundSms& sms, Clock::time_point now, TurnDone done);

  // Swaps the knowledge base for new turns; turns under way finish on the old one.
  void set_knowledge(std::shared_ptr<const Knowledge> knowledge);
  std::shared_ptr<const Knowledge> knowledge() const;

  Store& store() { return store_; }

 private:
  void run_turn(const InboundSms& sms, Clock::time_point now, KeyedSequencer::Hold texter,
                TurnDone& done);

  Store& store_;
  ServiceOptions options_;
  mutable std::mutex knowledge_mutex_;
  std::shared_ptr<const Knowledge> knowledge_;
  KeyedSequencer turns_;  // by number
};

}  // namespace smscoach::dialogue

#pragma once
// What the gateway needs from the rest of the program. The bot implements it;
// the gateway knows nothing of dialogue, intents or the store.

#include <functional>
#include <string>
#include <vector>

#include "common/expected.hpp"
#include "common/inbound_sms.hpp"
#include "gateway/metrics.hpp"
#include "gateway/twilio_webhook.hpp"

namespace smscoach::gateway {

class SmsApplication {
 public:
  virtual ~SmsApplication() = default;

  // Stores and answers one inbound text; returns the replies to send (possibly
  // none). A repeated message_sid returns what the first delivery returned.
  // Blocking: the server calls it on a worker thread, never on an I/O thread.
  // ErrorCode::unavailable means nothing was stored: the provider should retry.
  virtual Expected<std::vector<std::string>> handle_sms(const InboundSms& sms) = 0;

  // handle_sms, answered through `done`: maybe after this returns and on
  // another thread, so that no thread waits while the text reaches the disk.
  // Called on a worker thread. By default, handle_sms and then `done`.
  using SmsDone = std::function<void(Expected<std::vector<std::string>>)>;
  virtual void handle_sms_then(const InboundSms& sms, SmsDone done) { done(handle_sms(sms)); }

  // Records a provider status callback for a message sent through the REST
  // API. Blocking, like handle_sms. ErrorCode::not_found for a message that
  // is not ours; unavailable when the store failed (the provider retries).
  virtual Status record_delivery(const DeliveryStatus& status) = 0;

  // Readiness: true when the store answers.
  virtual bool ready() = 0;

  // Figures the store holds, for /metrics. Blocking.
  virtual StoreGauges gauges() = 0;
};

}  // namespace smscoach::gateway

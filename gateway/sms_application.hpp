#pragma once
// What the gateway needs from the rest of the program. The bot implements it;
// the gateway knows nothing of dialogue, intents or the store.

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

#pragma once
// A scripted SmsApplication for gateway tests: records what it was given and
// answers with canned replies or a canned error.

#include <atomic>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "gateway/sms_application.hpp"

namespace smscoach::gateway::testing {

class FakeSmsApplication : public SmsApplication {
 public:
  Expected<std::vector<std::string>> handle_sms(const InboundSms& sms) override {
    const std::lock_guard lock(mutex_);
    calls_.push_back(sms);
    if (throw_) throw std::runtime_error("fake application exploded");
    if (error_) return *error_;
    return replies_;
  }

  Status record_delivery(const DeliveryStatus& status) override {
    const std::lock_guard lock(mutex_);
    deliveries_.push_back(status);
    if (delivery_error_) return *delivery_error_;
    return Ok{};
  }

  StoreGauges gauges() override { return gauges_; }

  bool ready() override {
    ready_calls_++;
    return ready_;
  }

  void reply_with(std::vector<std::string> replies) {
    const std::lock_guard lock(mutex_);
    replies_ = std::move(replies);
    error_.reset();
  }
  void fail_with(ErrorCode code, std::string message) {
    const std::lock_guard lock(mutex_);
    error_ = Error{code, std::move(message)};
  }
  void throw_on_handle() {
    const std::lock_guard lock(mutex_);
    throw_ = true;
  }
  void set_ready(bool ready) { ready_ = ready; }
  void fail_deliveries_with(ErrorCode code, std::string message) {
    const std::lock_guard lock(mutex_);
    delivery_error_ = Error{code, std::move(message)};
  }
  void set_gauges(StoreGauges gauges) { gauges_ = gauges; }
  std::vector<DeliveryStatus> deliveries() const {
    const std::lock_guard lock(mutex_);
    return deliveries_;
  }

  std::vector<InboundSms> calls() const {
    const std::lock_guard lock(mutex_);
    return calls_;
  }
  int ready_calls() const { return ready_calls_; }

 private:
  mutable std::mutex mutex_;
  std::vector<InboundSms> calls_;
  std::vector<std::string> replies_;
  std::optional<Error> error_;
  std::vector<DeliveryStatus> deliveries_;
  std::optional<Error> delivery_error_;
  StoreGauges gauges_;
  bool throw_ = false;
  std::atomic<bool> ready_{true};
  std::atomic<int> ready_calls_{0};
};

}  // namespace smscoach::gateway::testing

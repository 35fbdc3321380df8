#pragma once
// Blocks until an operation that answers through a callback has answered,
// and returns what it answered: the blocking form of an asynchronous call.
// The callback may run on any thread, before or after `start` returns.

#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <utility>

namespace smscoach {

template <class Result, class Start>
Result await_callback(Start start) {
  std::mutex mutex;
  std::condition_variable answered;
  std::optional<Result> result;
  start(std::function<void(Result)>([&](Result r) {
    // Set and signalled under the lock: the waiter cannot return (and
    // destroy these) before the signal is given.
    std::lock_guard lock(mutex);
    result.emplace(std::move(r));
    answered.notify_one();
  }));
  std::unique_lock lock(mutex);
  answered.wait(lock, [&] { return result.has_value(); });
  return std::move(*result);
}

}  // namespace smscoach

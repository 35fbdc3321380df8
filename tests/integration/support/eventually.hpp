#pragma once
// Polls `done` every 20 ms until it holds or `timeout` passes; returns
// whether it held. For black-box tests waiting on another process.

#include <chrono>
#include <thread>

namespace smscoach::test {

template <class Predicate>
bool eventually(Predicate done, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < until) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return done();
}

}  // namespace smscoach::test

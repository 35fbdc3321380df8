#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "common/keyed_mutex.hpp"

using smscoach::KeyedMutex;

TEST_CASE("a keyed mutex makes the same key wait, and only the same key", "[keyed_mutex]") {
  KeyedMutex locks;
  auto held = std::make_unique<KeyedMutex::Guard>(locks.lock("+15550000001"));
  std::atomic<bool> other_key{false};
  std::atomic<bool> same_key{false};
  std::thread a([&] {
    auto g = locks.lock("+15550000002");
    other_key = true;
  });
  std::thread b([&] {
    auto g = locks.lock("+15550000001");
    same_key = true;
  });
  a.join();
  CHECK(other_key);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  CHECK_FALSE(same_key);
  held.reset();
  b.join();
  CHECK(same_key);
}

TEST_CASE("a keyed mutex lets one holder at a time through, however many wait", "[keyed_mutex]") {
  KeyedMutex locks;
  int inside = 0;  // unguarded on purpose: the keyed mutex is the guard
  int most_inside = 0;
  int entered = 0;
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 500; ++i) {
        auto g = locks.lock("one key");
        ++inside;
        if (inside > most_inside) most_inside = inside;
        ++entered;
        --inside;
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(most_inside == 1);
  CHECK(entered == 8 * 500);
}

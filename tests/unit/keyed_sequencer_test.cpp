#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "common/keyed_sequencer.hpp"

using smscoach::KeyedSequencer;

namespace {

// A work queue the test drains by hand, standing in for a worker pool.
struct ManualQueue {
  std::deque<std::function<void()>> jobs;
  KeyedSequencer::Defer defer() {
    return [this](std::function<void()> job) { jobs.push_back(std::move(job)); };
  }
  void run_one() {
    auto job = std::move(jobs.front());
    jobs.pop_front();
    job();
  }
};

}  // namespace

TEST_CASE("a free key runs its task at once, on the caller's thread", "[keyed_sequencer]") {
  ManualQueue queue;
  KeyedSequencer turns(queue.defer());
  std::thread::id ran_on;
  turns.run("+15550000001", [&](KeyedSequencer::Hold) { ran_on = std::this_thread::get_id(); });
  CHECK(ran_on == std::this_thread::get_id());
  CHECK(queue.jobs.empty());
  CHECK(turns.busy_keys() == 0);
}

TEST_CASE("a held key queues later tasks, in order, and hands the key on through defer",
          "[keyed_sequencer]") {
  ManualQueue queue;
  KeyedSequencer turns(queue.defer());
  std::vector<std::string> ran;
  std::vector<KeyedSequencer::Hold> holds;
  auto task = [&](std::string name) {
    return [&, name](KeyedSequencer::Hold hold) {
      ran.push_back(name);
      holds.push_back(std::move(hold));
    };
  };
  turns.run("+15550000001", task("first"));
  turns.run("+15550000001", task("second"));
  turns.run("+15550000001", task("third"));
  turns.run("+15550000002", task("other texter"));
  // The other key did not wait; the same key's later tasks did, and no
  // thread was held for them.
  CHECK(ran == std::vector<std::string>{"first", "other texter"});
  CHECK(queue.jobs.empty());

  holds.erase(holds.begin() + 1);  // the other texter lets go: nothing was waiting
  CHECK(queue.jobs.empty());
  auto first = std::move(holds.front());
  holds.clear();
  auto copy = first;  // a hold lets go when its last copy goes
  first.reset();
  CHECK(queue.jobs.empty());
  copy.reset();
  REQUIRE(queue.jobs.size() == 1);
  CHECK(ran.size() == 2);  // deferred, not run on the releasing thread
  queue.run_one();
  CHECK(ran.back() == "second");

  // While "second" holds the key, a new task still waits behind "third".
  turns.run("+15550000001", task("fourth"));
  holds.clear();
  queue.run_one();
  CHECK(ran.back() == "third");
  holds.clear();
  queue.run_one();
  CHECK(ran.back() == "fourth");
  CHECK(turns.busy_keys() == 1);
  holds.clear();
  CHECK(queue.jobs.empty());
  CHECK(turns.busy_keys() == 0);
}

TEST_CASE("a task that drops its hold at once lets the next one run", "[keyed_sequencer]") {
  KeyedSequencer turns;  // no defer: the next task runs on the releasing thread
  std::vector<int> ran;
  KeyedSequencer::Hold held;
  turns.run("k", [&](KeyedSequencer::Hold hold) { held = std::move(hold); });
  for (int i = 0; i < 3; ++i) turns.run("k", [&, i](KeyedSequencer::Hold) { ran.push_back(i); });
  CHECK(ran.empty());
  held.reset();
  CHECK(ran == std::vector<int>{0, 1, 2});
  CHECK(turns.busy_keys() == 0);
}

TEST_CASE("one task per key at a time, whatever threads start and release them",
          "[keyed_sequencer]") {
  // Workers take deferred tasks; holds are let go on other threads than the
  // one that ran the task, as the store's answer thread does.
  std::mutex mutex;
  std::condition_variable changed;
  std::deque<std::function<void()>> pool_jobs;
  std::deque<std::pair<std::string, KeyedSequencer::Hold>> to_release;
  bool stopping = false;
  KeyedSequencer turns([&](std::function<void()> job) {
    std::lock_guard lock(mutex);
    pool_jobs.push_back(std::move(job));
    changed.notify_all();
  });

  std::map<std::string, int> inside;  // guarded by `mutex`
  int most_inside = 0;
  int finished = 0;
  auto task = [&](std::string key) {
    return [&, key](KeyedSequencer::Hold hold) {
      std::lock_guard lock(mutex);
      most_inside = std::max(most_inside, ++inside[key]);
      to_release.emplace_back(key, std::move(hold));
      changed.notify_all();
    };
  };

  std::vector<std::thread> threads;
  for (int t = 0; t < 2; ++t) {
    threads.emplace_back([&] {  // the pool
      std::unique_lock lock(mutex);
      for (;;) {
        changed.wait(lock, [&] { return stopping || !pool_jobs.empty(); });
        if (pool_jobs.empty()) return;
        auto job = std::move(pool_jobs.front());
        pool_jobs.pop_front();
        lock.unlock();
        job();
        lock.lock();
      }
    });
  }
  threads.emplace_back([&] {  // the releaser
    std::unique_lock lock(mutex);
    for (;;) {
      changed.wait(lock, [&] { return stopping || !to_release.empty(); });
      if (to_release.empty()) return;
      auto [key, hold] = std::move(to_release.front());
      to_release.pop_front();
      --inside[key];
      ++finished;
      lock.unlock();
      hold.reset();
      lock.lock();
    }
  });
  constexpr int kCallers = 4, kEach = 500;
  std::vector<std::thread> callers;
  for (int c = 0; c < kCallers; ++c) {
    callers.emplace_back([&, c] {
      for (int i = 0; i < kEach; ++i) {
        const std::string key = "key " + std::to_string((c + i) % 3);
        turns.run(key, task(key));
      }
    });
  }
  for (auto& caller : callers) caller.join();
  {
    std::unique_lock lock(mutex);
    REQUIRE(changed.wait_for(lock, std::chrono::seconds(30),
                             [&] { return finished == kCallers * kEach; }));
    stopping = true;
    changed.notify_all();
  }
  for (auto& thread : threads) thread.join();
  CHECK(most_inside == 1);
  CHECK(turns.busy_keys() == 0);
}

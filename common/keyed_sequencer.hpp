#pragma once
// Runs tasks one key at a time without making any thread wait: a task whose
// key is free runs at once on the caller's thread; one whose key is taken
// is queued, and runs (through `defer`) once every earlier task of that key
// has let go of it. Tasks of different keys never wait on each other.
//
// A texter's turns go through one: a second text from a number whose turn
// is still reaching the disk must not hold a worker thread meanwhile, or a
// burst from one number could hold them all.

#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

namespace smscoach {

class KeyedSequencer {
  struct Release;

 public:
  // The key, held until the last copy goes (from any thread).
  using Hold = std::shared_ptr<const Release>;
  using Task = std::function<void(Hold)>;
  // Runs a queued task later, off the releasing thread's stack: a worker
  // pool's post. The default runs it at once, on the thread that let go.
  using Defer = std::function<void(std::function<void()>)>;

  explicit KeyedSequencer(Defer defer = {}) : defer_(std::move(defer)) {}
  KeyedSequencer(const KeyedSequencer&) = delete;
  KeyedSequencer& operator=(const KeyedSequencer&) = delete;

  void run(std::string_view key, Task task) {
    {
      std::lock_guard lock(mutex_);
      auto [it, free] = waiting_.try_emplace(std::string(key));
      if (!free) {
        it->second.push_back(std::move(task));
        return;
      }
    }
    task(hold(std::string(key)));
  }

  // Keys held or waited for: 0 once everything has run.
  std::size_t busy_keys() const {
    std::lock_guard lock(mutex_);
    return waiting_.size();
  }

 private:
  struct Release {
    Release(KeyedSequencer* owner, std::string key) : owner(owner), key(std::move(key)) {}
    Release(const Release&) = delete;
    Release& operator=(const Release&) = delete;
    ~Release() { owner->release(std::move(key)); }
    KeyedSequencer* owner;
    std::string key;
  };

  Hold hold(std::string key) { return std::make_shared<const Release>(this, std::move(key)); }

  void release(std::string key) {
    Task next;
    {
      std::lock_guard lock(mutex_);
      auto it = waiting_.find(key);
      if (it->second.empty()) {
        waiting_.erase(it);
        return;
      }
      next = std::move(it->second.front());
      it->second.pop_front();
    }
    // The key stays taken: it passes straight to `next`.
    auto start = [this, key = std::move(key), next = std::move(next)]() mutable {
      next(hold(std::move(key)));
    };
    if (defer_) {
      defer_(std::move(start));
    } else {
      start();
    }
  }

  Defer defer_;
  mutable std::mutex mutex_;
  // A key is taken while it is here; its queue holds the tasks waiting for it.
  std::unordered_map<std::string, std::deque<Task>> waiting_;
};

}  // namespace smscoach

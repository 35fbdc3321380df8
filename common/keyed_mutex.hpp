#pragma once
// Mutual exclusion per key: lock("+15550001") waits only while another
// thread holds that same key. Striped locks (a mutex per hash bucket) make
// unrelated texters wait on each other whenever their numbers share a
// bucket, and a turn holds its texter for a whole disk flush.

#include <condition_variable>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

namespace smscoach {

class KeyedMutex {
  struct Entry {
    int users = 0;  // holding or waiting
    bool held = false;
    std::condition_variable released;
  };
  using Entries = std::unordered_map<std::string, Entry>;

 public:
  // Holds a key until destroyed.
  class Guard {
   public:
    Guard(Guard&& other) noexcept
        : owner_(std::exchange(other.owner_, nullptr)), entry_(other.entry_) {}
    Guard& operator=(Guard&&) = delete;
    Guard(const Guard&) = delete;
    ~Guard() {
      if (owner_) owner_->unlock(*entry_);
    }

   private:
    friend class KeyedMutex;
    Guard(KeyedMutex* owner, Entries::value_type* entry) : owner_(owner), entry_(entry) {}
    KeyedMutex* owner_;
    Entries::value_type* entry_;
  };

  [[nodiscard]] Guard lock(std::string_view key) {
    std::unique_lock lock(mutex_);
    auto& slot = *entries_.try_emplace(std::string(key)).first;
    Entry& entry = slot.second;
    ++entry.users;
    entry.released.wait(lock, [&] { return !entry.held; });
    entry.held = true;
    return Guard(this, &slot);
  }

 private:
  // Elements of an unordered_map keep their address until erased, so a
  // guard can point at its entry however the map grows.
  void unlock(Entries::value_type& slot) {
    std::lock_guard lock(mutex_);
    slot.second.held = false;
    if (--slot.second.users == 0) {
      entries_.erase(entries_.find(slot.first));
    } else {
      slot.second.released.notify_one();
    }
  }

  std::mutex mutex_;
  Entries entries_;
};

}  // namespace smscoach

#pragma once
// The live connections of one server: a cap on how many, and the way a
// graceful stop reaches each of them.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <unordered_map>

namespace smscoach::gateway::detail {

class ConnectionRegistry {
 public:
  explicit ConnectionRegistry(std::size_t limit) : limit_(limit) {}

  // Registers a connection with the callback that asks it to finish and
  // close. nullopt when the server is stopping or already at the limit.
  std::optional<std::uint64_t> add(std::function<void()> request_stop);
  void remove(std::uint64_t id);
  // Refuses connections from now on and asks every live one to close.
  void stop_all();
  std::size_t size() const;

 private:
  mutable std::mutex mutex_;
  std::unordered_map<std::uint64_t, std::function<void()>> live_;
  std::uint64_t next_id_ = 0;
  bool stopping_ = false;
  std::size_t limit_;
};

}  // namespace smscoach::gateway::detail

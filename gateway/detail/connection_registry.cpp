#include "gateway/detail/connection_registry.hpp"

#include <vector>

namespace smscoach::gateway::detail {

std::optional<std::uint64_t> ConnectionRegistry::add(std::function<void()> request_stop) {
  const std::lock_guard lock(mutex_);
  if (stopping_ || live_.size() >= limit_) return std::nullopt;
  const std::uint64_t id = next_id_++;
  live_.emplace(id, std::move(request_stop));
  return id;
}

void ConnectionRegistry::remove(std::uint64_t id) {
  const std::lock_guard lock(mutex_);
  live_.erase(id);
}

void ConnectionRegistry::stop_all() {
  // The callbacks run outside the lock: a connection that ends inside one
  // removes itself, which takes the lock again.
  std::vector<std::function<void()>> callbacks;
  {
    const std::lock_guard lock(mutex_);
    stopping_ = true;
    for (const auto& [id, callback] : live_) callbacks.push_back(callback);
  }
  for (const auto& callback : callbacks) callback();
}

std::size_t ConnectionRegistry::size() const {
  const std::lock_guard lock(mutex_);
  return live_.size();
}

}  // namespace smscoach::gateway::detail

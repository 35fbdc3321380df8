#pragma once
// The id of the request this thread is working on, so every log line written
// on its behalf can carry it without threading it through every call.
// Thread-local: work handed to another thread must open its own scope there.

#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <utility>

namespace smscoach {

namespace detail {

// One per thread; a function-local static so the header needs no .cpp and
// every translation unit shares the same variable.
inline std::string& request_id_slot() {
  thread_local std::string id;
  return id;
}

}  // namespace detail

// Empty outside any RequestIdScope. Valid until this thread's scope changes.
inline std::string_view current_request_id() { return detail::request_id_slot(); }

// Sets the current request id for its lifetime and then restores the previous
// one, so scopes nest. Must end on the thread that opened it.
class [[nodiscard]] RequestIdScope {
 public:
  explicit RequestIdScope(std::string id) : previous_(std::move(id)) {
    std::swap(previous_, detail::request_id_slot());
  }
  ~RequestIdScope() { std::swap(previous_, detail::request_id_slot()); }
  RequestIdScope(const RequestIdScope&) = delete;
  RequestIdScope& operator=(const RequestIdScope&) = delete;

 private:
  std::string previous_;
};

// 16 lowercase hex digits. Unique enough to find one request in the logs;
// not a secret, so a seeded mt19937_64 per thread (no locking) is plenty.
inline std::string new_request_id() {
  thread_local std::mt19937_64 engine = [] {
    std::random_device device;
    std::seed_seq seed{device(), device(), device(), device()};
    return std::mt19937_64(seed);
  }();
  constexpr std::string_view kDigits = "0123456789abcdef";
  std::uint64_t bits = engine();
  std::string out(16, '0');
  for (auto it = out.rbegin(); it != out.rend(); ++it, bits >>= 4) *it = kDigits[bits & 0xF];
  return out;
}

// Whether an id chosen by a client (an X-Request-Id header) is safe to adopt:
// 1-64 characters of [A-Za-z0-9._-], so it cannot forge log fields or lines.
inline bool acceptable_request_id(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (const char c : id) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

}  // namespace smscoach

#include "dialogue/handoff_timeout.hpp"

namespace smscoach::dialogue {

Expected<int> release_idle_handoffs(Store& store, const content::ProgramText& program,
                                    std::chrono::system_clock::time_point now,
                                    std::chrono::minutes idle, bool can_send) {
  using std::chrono::duration_cast;
  using std::chrono::milliseconds;
  const auto now_ms = duration_cast<milliseconds>(now.time_since_epoch()).count();
  const auto idle_since_ms = duration_cast<milliseconds>((now - idle).time_since_epoch()).count();
  auto numbers = store.idle_handoffs(idle_since_ms);
  if (!numbers) return numbers.error();
  int released = 0;
  for (const auto& number : *numbers) {
    auto done = store.release_idle(number, idle_since_ms, can_send ? program.human_timeout : "",
                                   now_ms);
    if (!done) return done.error();
    released += *done ? 1 : 0;
  }
  return released;
}

}  // namespace smscoach::dialogue

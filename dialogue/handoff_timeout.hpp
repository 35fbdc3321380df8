#pragma once
// A conversation left in human mode with no operator message for too long
// goes back to the bot, and the texter is told, so nobody waits forever on a
// coach who went home.

#include <chrono>

#include "common/expected.hpp"
#include "content/knowledge_base.hpp"
#include "dialogue/store/store.hpp"
#include "dialogue/texter_state.hpp"

namespace smscoach::dialogue {

// Hands back every handoff idle for `idle` at `now`. With `can_send` false
// (no outbound channel configured) the texter cannot be told, but the
// conversation still returns to the bot. Returns how many were handed back.
Expected<int> release_idle_handoffs(Store& store, const content::ProgramText& program,
                                    std::chrono::system_clock::time_point now,
                                    std::chrono::minutes idle, bool can_send);

}  // namespace smscoach::dialogue

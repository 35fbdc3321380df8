// The per-text path without HTTP, for counting instructions under callgrind
// (tests/bench/instructions.sh): every dev-set text, as a new texter with a
// new MessageSid, through the understanding alone (`understand`) or the whole
// turn (`turn`: Service::handle on a SQLite store, the write included).
// Only run_texts() is measured, on every thread (the store commits and
// flushes on threads of its own): callgrind's instrumentation is switched on
// around it (run with --instr-atstart=no), so start-up and knowledge-base
// loading do not count. In `turn`, texts go one at a time, so each turn is a
// batch of its own: the whole cost of a commit falls on one text. In
// `batched`, up to 32 turns are in flight at once, as under load, and share
// their commits.
//
//   text_path understand|turn|batched ROUNDS DB_DIR

#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <valgrind/callgrind.h>
#include <string>
#include <vector>

#include "dialogue/conversation.hpp"
#include "dialogue/service.hpp"
#include "dialogue/store/sqlite_store.hpp"
#include "support/shipped_knowledge.hpp"

using namespace smscoach;

namespace {

std::vector<std::string> dev_texts() {
  std::vector<std::string> out;
  for (const char* name : {"dev_tune.jsonl", "dev_heldout.jsonl"}) {
    std::ifstream in(std::string(SMSCOACH_TEST_DATA_DIR) + "/" + name);
    for (std::string line; std::getline(in, line);) {
      if (!line.empty()) out.push_back(nlohmann::json::parse(line)["text"]);
    }
  }
  return out;
}

// Turns answered so far, and room for at most kInFlight unanswered.
class InFlight {
 public:
  static constexpr int kInFlight = 32;
  void enter() {
    std::unique_lock lock(mutex_);
    room_.wait(lock, [&] { return open_ < kInFlight; });
    ++open_;
  }
  void leave(bool ok) {
    std::lock_guard lock(mutex_);
    --open_;
    if (ok) ++handled_;
    room_.notify_all();
  }
  std::size_t drain() {
    std::unique_lock lock(mutex_);
    room_.wait(lock, [&] { return open_ == 0; });
    return handled_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable room_;
  int open_ = 0;
  std::size_t handled_ = 0;
};

// Kept out of line: the part measured.
__attribute__((noinline)) std::size_t run_texts(const std::string& mode,
                                                const std::vector<std::string>& texts, int rounds,
                                                dialogue::Service* service) {
  std::size_t handled = 0;
  std::size_t n = 0;
  InFlight in_flight;
  for (int r = 0; r < rounds; ++r) {
    for (const auto& text : texts) {
      ++n;
      if (mode == "understand") {
        auto u = dialogue::understand(text, false, test::shipped_knowledge());
        handled += u.intent.empty() ? 0 : 1;
        continue;
      }
      const InboundSms sms{"SMpath" + std::to_string(n), "+1555" + std::to_string(3000000 + n),
                           "+15550001111", text, ""};
      if (mode == "turn") {
        if (service->handle(sms, dialogue::Clock::now())) ++handled;
        continue;
      }
      in_flight.enter();
      service->handle_then(sms, dialogue::Clock::now(),
                           [&](Expected<dialogue::HandledTurn> turn) { in_flight.leave(bool(turn)); });
    }
  }
  return mode == "batched" ? in_flight.drain() : handled;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc == 4 ? argv[1] : "";
  if (mode != "understand" && mode != "turn" && mode != "batched") {
    std::cerr << "usage: text_path understand|turn|batched ROUNDS DB_DIR\n";
    return 2;
  }
  const int rounds = std::atoi(argv[2]);
  const auto texts = dev_texts();
  if (texts.empty() || rounds < 1) {
    std::cerr << "text_path: no dev-set texts or no rounds\n";
    return 1;
  }
  const auto& knowledge = test::shipped_knowledge();
  dialogue::SqliteStore store(std::string(argv[3]) + "/text_path.db");
  dialogue::ServiceOptions options;
  options.rate_limit_per_minute = 0;
  dialogue::Service service(store, std::shared_ptr<const dialogue::Knowledge>(&knowledge, [](auto*) {}),
                            options);
  CALLGRIND_START_INSTRUMENTATION;
  const auto handled = run_texts(mode, texts, rounds, &service);
  CALLGRIND_STOP_INSTRUMENTATION;
  const auto total = texts.size() * static_cast<std::size_t>(rounds);
  std::cout << "texts " << total << " handled " << handled << "\n";
  return handled == total ? 0 : 1;
}

// Log lines held and written in batches: when they come out, in what order,
// and that none is lost.

#include "bot/buffered_log_sink.hpp"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

using namespace smscoach::bot;
using namespace std::chrono_literals;

namespace {

// A pipe whose read end never blocks, so a test can tell "nothing written
// yet" from "written".
class Pipe {
 public:
  Pipe() {
    REQUIRE(::pipe(fds_) == 0);
    REQUIRE(::fcntl(fds_[0], F_SETFL, O_NONBLOCK) == 0);
    // Room for the volume test without the writer blocking on a full pipe.
    ::fcntl(fds_[1], F_SETPIPE_SZ, 1 << 20);
  }
  ~Pipe() {
    ::close(fds_[0]);
    ::close(fds_[1]);
  }
  Pipe(const Pipe&) = delete;
  Pipe& operator=(const Pipe&) = delete;

  int write_end() const { return fds_[1]; }

  // Whatever is there now.
  std::string drain() {
    std::string out;
    char buffer[65536];
    for (;;) {
      const ssize_t n = ::read(fds_[0], buffer, sizeof buffer);
      if (n <= 0) return out;
      out.append(buffer, static_cast<std::size_t>(n));
    }
  }

  // Waits up to `limit` for something to read, then reads it all.
  std::string wait_and_drain(std::chrono::milliseconds limit) {
    pollfd p{fds_[0], POLLIN, 0};
    ::poll(&p, 1, static_cast<int>(limit.count()));
    return drain();
  }

 private:
  int fds_[2] = {-1, -1};
};

// A logger whose only sink holds lines for `max_delay` before writing them
// to `pipe`; the sink goes when the logger does.
std::shared_ptr<spdlog::logger> held_logger(const Pipe& pipe, std::chrono::milliseconds max_delay) {
  auto logger = std::make_shared<spdlog::logger>(
      "buffered", std::make_shared<BufferedLogSink>(pipe.write_end(), max_delay));
  logger->set_pattern("%l %v");
  logger->set_level(spdlog::level::trace);
  return logger;
}

}  // namespace

TEST_CASE("info lines wait, then come out together, in order, once the delay has passed") {
  Pipe pipe;
  auto log = held_logger(pipe, 200ms);
  const auto logged = std::chrono::steady_clock::now();
  log->info("one");
  log->info("two");
  CHECK(pipe.drain().empty());
  // The timer writes them: no further line comes to do it.
  const std::string out = pipe.wait_and_drain(5s);
  CHECK(std::chrono::steady_clock::now() - logged >= 200ms);
  CHECK(out == "info one\ninfo two\n");
}

TEST_CASE("a warning goes out at once, with the lines held before it") {
  Pipe pipe;
  auto log = held_logger(pipe, 1h);
  log->info("before");
  CHECK(pipe.drain().empty());
  log->warn("trouble");
  CHECK(pipe.drain() == "info before\nwarning trouble\n");
  log->error("worse");
  CHECK(pipe.drain() == "error worse\n");
}

TEST_CASE(
    "held lines reach the descriptor once they fill a batch, and the rest when the sink goes") {
  Pipe pipe;
  std::string expected;
  {
    auto log = held_logger(pipe, 1h);
    for (int i = 0; i < 2000; ++i) {
      const std::string line = "line " + std::to_string(i) + " " + std::string(40, 'x');
      log->info(line);
      expected += "info " + line + "\n";
    }
    const std::string early = pipe.drain();
    CHECK(early.size() >= BufferedLogSink::kBatchBytes);
    CHECK(early.size() < expected.size());
    CHECK(expected.compare(0, early.size(), early) == 0);
    expected.erase(0, early.size());
  }
  // The sink is gone: whatever it still held was written on the way out.
  CHECK(pipe.drain() == expected);
}

TEST_CASE("flush writes what is held") {
  Pipe pipe;
  auto log = held_logger(pipe, 1h);
  log->info("held");
  CHECK(pipe.drain().empty());
  log->flush();
  CHECK(pipe.drain() == "info held\n");
}

TEST_CASE("lines from many threads all arrive whole") {
  Pipe pipe;
  {
    auto log = held_logger(pipe, 5ms);
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&log, t] {
        for (int i = 0; i < 500; ++i) log->info("t{} n{}", t, i);
      });
    }
    for (auto& thread : threads) thread.join();
  }
  const std::string out = pipe.drain();
  std::vector<int> next(4, 0);
  std::size_t at = 0;
  int lines = 0;
  while (at < out.size()) {
    const std::size_t end = out.find('\n', at);
    REQUIRE(end != std::string::npos);
    const std::string line = out.substr(at, end - at);
    int t = -1, n = -1;
    REQUIRE(std::sscanf(line.c_str(), "info t%d n%d", &t, &n) == 2);
    REQUIRE(t >= 0);
    REQUIRE(t < 4);
    // Each thread's lines in the order it logged them.
    CHECK(n == next[static_cast<std::size_t>(t)]);
    next[static_cast<std::size_t>(t)] = n + 1;
    ++lines;
    at = end + 1;
  }
  CHECK(lines == 2000);
}

#pragma once
// Runs the server binary as a child process for black-box tests: start it,
// learn its port from its "listening on 127.0.0.1:PORT" line, stop it with
// SIGTERM as an operator would, or kill it hard to test crash recovery.

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <csignal>  // the SIG* numbers signal() takes
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace smscoach::test {

class ServerProcess {
 public:
  // Spawns `executable` with `args` (not including argv[0]) and the current
  // environment plus `extra_env` ("NAME=value"). Its stdout is captured (and
  // drained continuously, so the child never blocks on a full pipe); its
  // stderr is inherited. Throws std::runtime_error if it cannot be spawned,
  // or if no line containing "listening on HOST:PORT" appears within
  // `startup_timeout` (the child is killed first, and the message carries its
  // output).
  ServerProcess(std::string executable, std::vector<std::string> args,
                std::vector<std::string> extra_env = {},
                std::chrono::milliseconds startup_timeout = std::chrono::seconds(10));
  // stop().
  ~ServerProcess();
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  std::uint16_t port() const { return port_; }
  pid_t pid() const { return pid_; }

  // The child leads a process group of its own, and signals go to the whole
  // group, so helpers it started (a shell's sleep, say) end with it.

  // SIGTERM, then waits up to `grace` before SIGKILL. Returns exit_code().
  // Idempotent.
  int stop(std::chrono::milliseconds grace = std::chrono::seconds(5));
  // SIGKILL now, as a crash would, and reaps the child.
  void kill9();
  // Sends any signal (e.g. SIGHUP) without waiting.
  void signal(int signal_number);

  // The exit status once the child has ended: its exit code, or 128 + the
  // signal that ended it (as a shell reports it). nullopt while it runs.
  std::optional<int> exit_code();
  bool running() { return !exit_code().has_value(); }

  // Everything the child wrote to stdout so far.
  std::string output() const;
  // Waits until stdout holds a line containing `text`.
  bool wait_for_output(const std::string& text, std::chrono::milliseconds timeout);

 private:
  void read_stdout();
  bool reap(bool block);

  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  std::uint16_t port_ = 0;
  std::optional<int> exit_code_;

  mutable std::mutex mutex_;
  std::condition_variable output_changed_;
  std::string output_;
  bool output_closed_ = false;
  std::atomic<bool> stop_reading_{false};
  std::thread reader_;
};

}  // namespace smscoach::test

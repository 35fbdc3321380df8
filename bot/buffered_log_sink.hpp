#pragma once
// Where the server's log lines go when stderr is not a terminal: to a file
// descriptor, many lines to one write(2).
//
// Under load the server logs two lines a text, and a write(2) each (what
// spdlog's stderr sinks do) cost more than formatting them, serialised on
// one lock between the HTTP thread and the store's. So lines wait here, as in
// nginx's buffered access log: a timer thread writes them `max_delay` after
// the first of them was logged, a warning or worse goes out at once with
// every line before it, and so does a full buffer. Order is kept. What is
// held when the sink goes (the process ends normally) is written then; a
// process killed with SIGKILL loses at most `max_delay` of info lines, never
// a warning.

#include <spdlog/sinks/base_sink.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

namespace smscoach::bot {

class BufferedLogSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  // `fd` stays the caller's: it is written, never closed.
  BufferedLogSink(int fd, std::chrono::milliseconds max_delay);
  ~BufferedLogSink() override;

  BufferedLogSink(const BufferedLogSink&) = delete;
  BufferedLogSink& operator=(const BufferedLogSink&) = delete;

  // Held lines are written once they reach this many bytes.
  static constexpr std::size_t kBatchBytes = 32 * 1024;

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override;
  void flush_() override;

 private:
  void write_held();  // with mutex_ held
  void run_timer();

  const int fd_;
  const std::chrono::milliseconds max_delay_;
  std::string held_;  // guarded by mutex_ (base_sink's)

  std::mutex timer_mutex_;
  std::condition_variable timer_wanted_;
  bool lines_held_ = false;  // guarded by timer_mutex_
  bool stopping_ = false;    // guarded by timer_mutex_
  std::thread timer_;        // last: starts once the members above exist
};

// Points the default logger at a BufferedLogSink on stderr, keeping its name
// and level; the formatter is configure_logging's to set afterwards. A
// terminal keeps spdlog's own sink: someone is watching it line by line.
void buffer_stderr_log_lines(std::chrono::milliseconds max_delay);

}  // namespace smscoach::bot

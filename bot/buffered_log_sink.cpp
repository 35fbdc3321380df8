#include "bot/buffered_log_sink.hpp"

#include <unistd.h>

#include <spdlog/spdlog.h>

#include <cerrno>
#include <memory>

#include "common/thread_name.hpp"

namespace smscoach::bot {

BufferedLogSink::BufferedLogSink(int fd, std::chrono::milliseconds max_delay)
    : fd_(fd), max_delay_(max_delay), timer_([this] {
        name_this_thread("log-writer");
        run_timer();
      }) {}

BufferedLogSink::~BufferedLogSink() {
  {
    std::lock_guard lock(timer_mutex_);
    stopping_ = true;
  }
  timer_wanted_.notify_one();
  timer_.join();
  std::lock_guard lock(mutex_);
  write_held();
}

void BufferedLogSink::sink_it_(const spdlog::details::log_msg& msg) {
  spdlog::memory_buf_t line;
  formatter_->format(msg, line);
  const bool first = held_.empty();
  held_.append(line.data(), line.size());
  if (msg.level >= spdlog::level::warn || held_.size() >= kBatchBytes) return write_held();
  if (first) {
    // Wakes the timer once per batch, not once per line.
    {
      std::lock_guard lock(timer_mutex_);
      lines_held_ = true;
    }
    timer_wanted_.notify_one();
  }
}

void BufferedLogSink::flush_() { write_held(); }

// A failed write drops the lines, as a failed fwrite to stderr would: a log
// that cannot be written must not stop the server.
void BufferedLogSink::write_held() {
  std::size_t done = 0;
  while (done < held_.size()) {
    const ssize_t n = ::write(fd_, held_.data() + done, held_.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    done += static_cast<std::size_t>(n);
  }
  held_.clear();
}

void BufferedLogSink::run_timer() {
  std::unique_lock lock(timer_mutex_);
  for (;;) {
    timer_wanted_.wait(lock, [&] { return lines_held_ || stopping_; });
    if (stopping_) return;
    // Lines logged meanwhile start no new wait: the first of them is the
    // oldest one this round writes.
    timer_wanted_.wait_for(lock, max_delay_, [&] { return stopping_; });
    if (stopping_) return;
    lines_held_ = false;
    lock.unlock();
    {
      std::lock_guard sink_lock(mutex_);
      write_held();
    }
    lock.lock();
  }
}

void buffer_stderr_log_lines(std::chrono::milliseconds max_delay) {
  if (::isatty(STDERR_FILENO)) return;
  const auto current = spdlog::default_logger();
  auto logger = std::make_shared<spdlog::logger>(
      current->name(), std::make_shared<BufferedLogSink>(STDERR_FILENO, max_delay));
  logger->set_level(current->level());
  spdlog::set_default_logger(std::move(logger));
}

}  // namespace smscoach::bot

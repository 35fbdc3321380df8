#include "server_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <stdexcept>

extern char** environ;

namespace smscoach::test {

namespace {

// The port in the first line that says "listening on HOST:PORT".
std::optional<std::uint16_t> find_listening_port(const std::string& output) {
  static const std::string kMarker = "listening on ";
  std::size_t line_start = 0;
  while (line_start < output.size()) {
    const std::size_t line_end = output.find('\n', line_start);
    if (line_end == std::string::npos) break;  // only whole lines
    const std::string line = output.substr(line_start, line_end - line_start);
    line_start = line_end + 1;
    const std::size_t marker = line.find(kMarker);
    if (marker == std::string::npos) continue;
    std::size_t end = marker + kMarker.size();
    while (end < line.size() && line[end] != ' ' && line[end] != '\r') ++end;
    const std::string address = line.substr(marker + kMarker.size(), end - marker - kMarker.size());
    const std::size_t colon = address.rfind(':');
    if (colon == std::string::npos) continue;
    try {
      const unsigned long port = std::stoul(address.substr(colon + 1));
      if (port > 0 && port <= 65535) return static_cast<std::uint16_t>(port);
    } catch (const std::exception&) {
    }
  }
  return std::nullopt;
}

}  // namespace

ServerProcess::ServerProcess(std::string executable, std::vector<std::string> args,
                             std::vector<std::string> extra_env,
                             std::chrono::milliseconds startup_timeout) {
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) {
    throw std::runtime_error(std::string("pipe2: ") + std::strerror(errno));
  }

  std::vector<std::string> argv_storage{executable};
  argv_storage.insert(argv_storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& arg : argv_storage) argv.push_back(arg.data());
  argv.push_back(nullptr);

  std::vector<std::string> env_storage;
  for (char** e = environ; *e != nullptr; ++e) env_storage.emplace_back(*e);
  env_storage.insert(env_storage.end(), extra_env.begin(), extra_env.end());
  std::vector<char*> envp;
  for (auto& entry : env_storage) envp.push_back(entry.data());
  envp.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDOUT_FILENO);
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP);
  posix_spawnattr_setpgroup(&attributes, 0);
  const int rc =
      ::posix_spawn(&pid_, executable.c_str(), &actions, &attributes, argv.data(), envp.data());
  posix_spawnattr_destroy(&attributes);
  posix_spawn_file_actions_destroy(&actions);
  ::close(pipe_fds[1]);
  if (rc != 0) {
    ::close(pipe_fds[0]);
    pid_ = -1;
    throw std::runtime_error("cannot spawn " + executable + ": " + std::strerror(rc));
  }
  stdout_fd_ = pipe_fds[0];
  reader_ = std::thread([this] { read_stdout(); });

  std::unique_lock lock(mutex_);
  std::optional<std::uint16_t> port;
  output_changed_.wait_for(lock, startup_timeout, [&] {
    port = find_listening_port(output_);
    return port.has_value() || output_closed_;
  });
  if (port) {
    port_ = *port;
    return;
  }
  const std::string output = output_;
  lock.unlock();
  kill9();
  stop_reading_ = true;
  if (reader_.joinable()) reader_.join();
  ::close(stdout_fd_);
  throw std::runtime_error(executable + " did not report \"listening on HOST:PORT\"; stdout:\n" +
                           output);
}

ServerProcess::~ServerProcess() {
  stop();
  stop_reading_ = true;
  if (reader_.joinable()) reader_.join();
  if (stdout_fd_ >= 0) ::close(stdout_fd_);
}

void ServerProcess::read_stdout() {
  char buffer[4096];
  for (;;) {
    // Polls so that a grandchild still holding the pipe open cannot keep
    // this thread (and the destructor joining it) waiting.
    pollfd readable{stdout_fd_, POLLIN, 0};
    const int ready = ::poll(&readable, 1, 100);
    if (ready == 0 && !stop_reading_) continue;
    if (ready == 0) {
      const std::lock_guard lock(mutex_);
      output_closed_ = true;
      output_changed_.notify_all();
      return;
    }
    if (ready < 0 && errno == EINTR) continue;
    const ssize_t n = ::read(stdout_fd_, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    const std::lock_guard lock(mutex_);
    if (n <= 0) {
      output_closed_ = true;
      output_changed_.notify_all();
      return;
    }
    output_.append(buffer, static_cast<std::size_t>(n));
    output_changed_.notify_all();
  }
}

bool ServerProcess::reap(bool block) {
  if (exit_code_) return true;
  if (pid_ <= 0) return true;
  int status = 0;
  pid_t r;
  do {
    r = ::waitpid(pid_, &status, block ? 0 : WNOHANG);
  } while (r < 0 && errno == EINTR);
  if (r != pid_) return false;
  exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return true;
}

std::optional<int> ServerProcess::exit_code() {
  reap(false);
  return exit_code_;
}

void ServerProcess::signal(int signal_number) {
  if (!reap(false)) ::kill(-pid_, signal_number);
}

int ServerProcess::stop(std::chrono::milliseconds grace) {
  if (reap(false)) return exit_code_.value_or(-1);
  ::kill(-pid_, SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + grace;
  while (std::chrono::steady_clock::now() < deadline) {
    if (reap(false)) return *exit_code_;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  kill9();
  return exit_code_.value_or(-1);
}

void ServerProcess::kill9() {
  if (reap(false)) return;
  ::kill(-pid_, SIGKILL);
  reap(true);
}

std::string ServerProcess::output() const {
  const std::lock_guard lock(mutex_);
  return output_;
}

bool ServerProcess::wait_for_output(const std::string& text, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return output_changed_.wait_for(lock, timeout, [&] {
    return output_.find(text) != std::string::npos || output_closed_;
  }) && output_.find(text) != std::string::npos;
}

}  // namespace smscoach::test

// The fake Twilio Messages API as a process, for tests not written in C++:
// prints "listening on 127.0.0.1:PORT", serves (with the /fake/ control
// endpoints) until SIGTERM or SIGINT, then exits 0.

#include <pthread.h>

#include <csignal>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <string>
#include <string_view>

#include "fake_messages_api.hpp"

namespace {

constexpr const char* kUsage =
    "usage: fake_messages_api [--port N] [--account-sid AC...] [--auth-token TOKEN]\n"
    "  --port         port on 127.0.0.1 (default 0: a free one)\n"
    "  --account-sid  default AC00000000000000000000000000000000\n"
    "  --auth-token   default fake_auth_token\n";

}  // namespace

int main(int argc, char** argv) {
  long port = 0;
  std::string account_sid = "AC00000000000000000000000000000000";
  std::string auth_token = "fake_auth_token";
  for (int i = 1; i < argc; ++i) {
    const std::string_view flag = argv[i];
    if (flag == "--help" || flag == "-h") {
      std::cout << kUsage;
      return 0;
    }
    if (i + 1 >= argc || (flag != "--port" && flag != "--account-sid" && flag != "--auth-token")) {
      std::cerr << "fake_messages_api: bad argument " << flag << "\n" << kUsage;
      return 2;
    }
    const std::string value = argv[++i];
    if (flag == "--port") {
      char* end = nullptr;
      port = std::strtol(value.c_str(), &end, 10);
      if (value.empty() || *end != '\0' || port < 0 || port > 65535) {
        std::cerr << "fake_messages_api: bad port " << value << "\n";
        return 2;
      }
    } else if (flag == "--account-sid") {
      account_sid = value;
    } else {
      auth_token = value;
    }
  }

  // Blocked before any thread starts, so every thread inherits the mask and
  // the signals wait for sigwait() below instead of interrupting a thread.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  try {
    smscoach::test::FakeMessagesApi api(account_sid, auth_token, static_cast<std::uint16_t>(port));
    api.enable_control_endpoints();
    std::cout << "listening on 127.0.0.1:" << api.port() << std::endl;  // endl: the parent waits
    int signal_number = 0;
    sigwait(&stop_signals, &signal_number);
  } catch (const std::exception& error) {
    std::cerr << "fake_messages_api: " << error.what() << "\n";
    return 1;
  }
  return 0;
}

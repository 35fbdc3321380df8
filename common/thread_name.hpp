#pragma once
// Names the calling thread, as `top -H`, `ps -L`, perf and gdb show it, so
// an operator can tell the store's writer from a worker. Linux allows 15
// characters; longer names are cut.

#include <pthread.h>

#include <string>

namespace smscoach {

inline void name_this_thread(const std::string& name) {
  pthread_setname_np(pthread_self(), name.substr(0, 15).c_str());
}

}  // namespace smscoach

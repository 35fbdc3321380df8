#pragma once
// Invariant checks for the fuzz targets. Not assert(): the replay tests run
// in RelWithDebInfo, where NDEBUG would turn assert() into nothing.

#include <cstdio>
#include <cstdlib>

#define FUZZ_CHECK(condition)                                                                \
  do {                                                                                       \
    if (!(condition)) {                                                                      \
      std::fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #condition); \
      std::abort();                                                                          \
    }                                                                                        \
  } while (false)

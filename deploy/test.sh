#!/usr/bin/env bash
# One command from a fresh Debian machine to a passing test suite: installs
# what is missing, builds with warnings as errors, runs every test, then
# builds again with AddressSanitizer + UndefinedBehaviorSanitizer and runs the
# unit tests there.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
jobs="$(nproc)"

bash deploy/install-deps.sh

echo "== build (RelWithDebInfo)"
cmake -S . -B build/test -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build/test -j"$jobs"
echo "== all tests"
ctest --test-dir build/test --output-on-failure -j"$jobs"

echo "== build (Release, as deploy/serve.sh builds it)"
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF >/dev/null
cmake --build build/release --target smscoach -j"$jobs"

echo "== build (ASan + UBSan)"
cmake -S . -B build/asan -DCMAKE_BUILD_TYPE=Debug -DSMSCOACH_SANITIZE=ON >/dev/null
cmake --build build/asan -j"$jobs"
echo "== unit tests under sanitizers"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build/asan -L unit --output-on-failure -j"$jobs"

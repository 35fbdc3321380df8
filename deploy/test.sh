#!/usr/bin/env bash
# One command from a fresh Debian machine to a passing test suite: installs
# what is missing, builds with warnings as errors, runs every test, then
# builds again with AddressSanitizer + UndefinedBehaviorSanitizer and runs the
# unit tests there, then fuzzes each parser briefly with clang's libFuzzer.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
jobs="$(nproc)"

bash deploy/install-deps.sh

# The browser test's npm packages (playwright-core, pinned by its
# package-lock.json), before configuring: CMake registers the test only when
# they are there. npm ci writes node_modules/.package-lock.json, so a newer
# lock file means they are stale.
if [ ! -f tests/browser/node_modules/.package-lock.json ] ||
   [ tests/browser/package-lock.json -nt tests/browser/node_modules/.package-lock.json ]; then
  echo "== npm ci (tests/browser)"
  (cd tests/browser && npm ci --no-audit --no-fund)
fi

# The store and integration tests run twice, on SQLite and on PostgreSQL: a
# throwaway cluster of our own (deploy/postgres-local.sh), unless the caller
# points SMSCOACH_TEST_POSTGRES_URL at a server already. Its port is below
# Linux's ephemeral range (32768-60999): a client socket of anything running
# beside it once held the old 55432, and PostgreSQL could not listen.
if [ -z "${SMSCOACH_TEST_POSTGRES_URL:-}" ]; then
  echo "== PostgreSQL for the tests"
  pg_dir="$root/build/test-postgres"
  SMSCOACH_TEST_POSTGRES_URL="$(bash deploy/postgres-local.sh start "$pg_dir" "${SMSCOACH_TEST_POSTGRES_PORT:-25432}")"
  trap 'bash deploy/postgres-local.sh stop "$pg_dir" >/dev/null 2>&1 || true' EXIT
fi
export SMSCOACH_TEST_POSTGRES_URL

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

# The replays of the fuzz corpora ran above as unit tests; this looks for new
# crashes, 10 s a target (tests/fuzz/run.sh; `bash tests/fuzz/run.sh 600` for long).
echo "== fuzz smoke"
bash tests/fuzz/run.sh 10

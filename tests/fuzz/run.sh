#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (-DSMSCOACH_FUZZ=ON) and fuzzes
# each for SECONDS (default 60), one after the other:
#
#   bash tests/fuzz/run.sh [SECONDS] [TARGET...]     # e.g. run.sh 600, run.sh 30 form
#
# Each target starts from its committed corpus (tests/fuzz/corpus/TARGET,
# only read) and writes what it finds to BUILD/corpus-TARGET. A crash, leak,
# timeout or out-of-memory leaves its input in BUILD/artifacts/TARGET/ and
# makes the script exit 1 after the other targets ran; to keep it as a
# regression test, fix the bug and copy the file into the committed corpus,
# whose replay is a unit test of the ordinary build. BUILD is build/fuzz, or
# $SMSCOACH_FUZZ_BUILD_DIR.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
seconds="${1:-60}"
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(form signature twiml admin_api intents content content_dir)
build="${SMSCOACH_FUZZ_BUILD_DIR:-$root/build/fuzz}"
case "$build" in /*) ;; *) build="$root/$build" ;; esac

# Longest input per target: what its caller would let through, kept small
# enough that each run stays fast (an SMS body is at most 1600 characters).
max_len() {
  case "$1" in
    intents) echo 2048 ;;
    content | content_dir) echo 16384 ;;
    *) echo 4096 ;;
  esac
}

command -v clang++ >/dev/null || { echo "run.sh: clang++ is missing (bash deploy/install-deps.sh)" >&2; exit 1; }

# Debug with -O1: fast enough to fuzz, and the product's assert()s stay on.
cmake -S "$root" -B "$build" -DSMSCOACH_FUZZ=ON -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_C_COMPILER=clang \
  -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-g -O1" >/dev/null
cmake --build "$build" -j2 --target "${targets[@]/#/fuzz_}"

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
failed=()
summary=()
for t in "${targets[@]}"; do
  corpus="$build/corpus-$t"
  artifacts="$build/artifacts/$t"
  log="$build/logs/$t.log"
  mkdir -p "$corpus" "$artifacts" "$build/logs"
  stamp="$build/logs/$t.started"
  touch "$stamp"
  echo "== fuzz $t for ${seconds}s (log: $log)"
  status=0
  "$build/tests/fuzz/fuzz_$t" "$corpus" "$root/tests/fuzz/corpus/$t" \
    -max_total_time="$seconds" -max_len="$(max_len "$t")" -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="$artifacts/" -print_final_stats=1 >"$log" 2>&1 || status=$?
  # The last status line ("#N DONE cov: C ft: F corp: ...") and the speed.
  last="$(grep -E '^#[0-9]+' "$log" | tail -1 | tr -s ' \t' ' ')" || true
  speed="$(grep -E '^stat::average_exec_per_sec' "$log" | awk '{print $2}')" || true
  summary+=("$t: ${last:-no status line} (${speed:-?} exec/s)")
  if [ "$status" -ne 0 ]; then
    failed+=("$t")
    echo "fuzz $t FAILED (exit $status); the end of its log:" >&2
    tail -40 "$log" >&2
    find "$artifacts" -type f -newer "$stamp" -printf 'run.sh: crash input: %p\n' >&2
  fi
done

echo "== fuzz summary"
printf '%s\n' "${summary[@]}"
if [ ${#failed[@]} -gt 0 ]; then
  echo "run.sh: failed: ${failed[*]}" >&2
  exit 1
fi

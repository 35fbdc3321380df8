#!/usr/bin/env bash
# Instructions per text, counted by callgrind: a figure that does not move
# with machine noise, so a regression shows as a change in this number.
# Two paths over every dev-set text (tests/data), each as a new texter:
#   understand  compliance rules, normalisation, entities, intent
#   turn        Service::handle: the above, the reply, and the SQLite write,
#               its commit and flush (one text a batch)
#   batched     the same with 32 texts in flight, sharing commits as under load
# Only run_texts() in tests/bench/text_path.cpp is counted, on every thread.
#
#   bash tests/bench/instructions.sh [BUILD_DIR] [ROUNDS]   # default build/test, 2
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
build="${1:-$root/build/test}"
rounds="${2:-2}"
command -v valgrind >/dev/null || { echo "instructions: valgrind not installed" >&2; exit 1; }
[ -f "$build/CMakeCache.txt" ] || cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" --target text_path -j"$(nproc)" >/dev/null
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

for mode in understand turn batched; do
  rm -f "$work"/text_path.db*
  out="$work/callgrind.$mode"
  texts="$(valgrind --tool=callgrind --callgrind-out-file="$out" --instr-atstart=no \
             "$build/tests/bench/text_path" "$mode" "$rounds" "$work" 2>/dev/null | awk '{print $2}')"
  total="$(awk '/^totals:/ {print $2}' "$out")"
  [ -n "$total" ] && [ -n "$texts" ] || { echo "instructions: no figures for $mode" >&2; exit 1; }
  printf '%-10s %12d instructions per text  (%d texts, %d in all)\n' \
    "$mode" "$((total / texts))" "$texts" "$total"
done

#!/usr/bin/env bash
# The load benchmark's ceiling: how fast `smscoach serve` answers texts when
# its store costs nothing. Builds a second smscoach from this checkout with
# no-store.patch applied (each turn answered as soon as the SQLite writer
# thread takes it: nothing written, indexed or flushed), then runs
# `run.sh --smoke` against the normal Release build and the patched one in
# turn, round after round (this VM's speed drifts by a fifth over minutes,
# so only runs side by side compare), and prints texts/s, p99 and the
# server's CPU a text for each run. The gap between the two is what the
# durable store and its search index cost a text.
#
#   tests/bench/load/ceiling.sh [--rounds N] [--duration S]
#
# --rounds   pairs of runs (default 3)
# --duration seconds measured per run (default 10)
#
# The patched binary loses every text: it is a measurement, never a mode of
# the product, and its runs report the texts missing from its store.
# Exit status: 0 done, 1 a build or a run failed, 2 usage.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../../.." && pwd)

rounds=3 duration=10
usage() { sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//' >&2; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds=${2:?}; shift 2 ;;
    --duration) duration=${2:?}; shift 2 ;;
    -h|--help) usage ;;
    *) echo "ceiling.sh: unknown argument $1" >&2; usage ;;
  esac
done
for v in rounds duration; do
  if ! [[ ${!v} =~ ^[1-9][0-9]*$ ]]; then
    echo "ceiling.sh: --$v must be a whole number above 0" >&2
    exit 2
  fi
done

work=$(mktemp -d "${TMPDIR:-/tmp}/smscoach-ceiling.XXXXXX")
trap 'rm -rf "$work"' EXIT

build() {  # build SOURCE_DIR BUILD_DIR
  if ! { cmake -S "$1" -B "$2" -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF &&
         cmake --build "$2" --target smscoach -j2; } >"$work/build.log" 2>&1; then
    tail -40 "$work/build.log" >&2
    echo "ceiling.sh: building $1 failed" >&2
    exit 1
  fi
}

echo "== building smscoach (Release) in build/release, and again with no-store.patch"
build "$repo" "$repo/build/release"
# The checkout's files as they are (uncommitted edits included), patched.
mkdir "$work/src"
(cd "$repo" && git ls-files -z | xargs -0 cp --parents -t "$work/src")
if ! (cd "$work/src" && git apply "$here/no-store.patch"); then
  echo "ceiling.sh: no-store.patch no longer applies to dialogue/store/sqlite_group_commit.cpp" >&2
  exit 1
fi
build "$work/src" "$work/build"

declare -A binary=([stored]="$repo/build/release/bot/smscoach"
                   [no-store]="$work/build/bot/smscoach")
printf '%-9s %10s %8s %8s %12s\n' run texts/s "p50 ms" "p99 ms" "CPU a text"
for round in $(seq 1 "$rounds"); do
  for which in stored no-store; do
    # A no-store run fails the smoke check (its texts are not in its store);
    # its figures are what is wanted.
    out=$(bash "$here/run.sh" --smoke --duration "$duration" \
            --smscoach "${binary[$which]}" 2>&1) || true
    line=$(awk '/^smscoach POST/ {print $4, $5, $7}' <<<"$out")
    cpu=$(awk '/^smscoach CPU per request/ {print $5}' <<<"$out")
    if [ -z "$line" ] || [ -z "$cpu" ]; then
      tail -20 <<<"$out" >&2
      echo "ceiling.sh: round $round, $which: the run printed no figures" >&2
      exit 1
    fi
    read -r rps p50 p99 <<<"$line"
    printf '%-9s %10s %8s %8s %9s us\n' "$which" "$rps" "$p50" "$p99" "$cpu"
  done
done

#!/usr/bin/env bash
# Memory with a million stored texters, and start-up time: the server keeps
# no per-texter state in memory, so its resident size should not grow with
# the texters in the store. Seeds N texters (and a text each) into a fresh
# SQLite store, starts `smscoach serve` on it and on an empty store, texts
# both (new and known texters), and prints start-up time and peak RSS.
#
#   bash tests/bench/million_texters.sh [BINARY] [TEXTERS]   # default build/release, 1000000
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
bin="${1:-$root/build/release/bot/smscoach}"
texters="${2:-1000000}"
if [ ! -x "$bin" ]; then
  cmake -S "$root" -B "$root/build/release" -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF >/dev/null
  cmake --build "$root/build/release" --target smscoach -j"$(nproc)" >/dev/null
fi
work="$(mktemp -d)"
pid=""
cleanup() { [ -z "$pid" ] || kill "$pid" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

# Starts serve on DB in the background; sets pid, port and startup_ms (to
# the "listening" line).
start() {
  local db="$1" out="$work/out.$RANDOM"
  local t0; t0=$(date +%s%N)
  "$bin" serve --listen 127.0.0.1:0 --db "$db" --rate-limit 0 --log-format text >"$out" 2>/dev/null &
  pid=$!
  until grep -q 'listening on' "$out" 2>/dev/null; do
    kill -0 "$pid" 2>/dev/null || { echo "serve exited" >&2; exit 1; }
    sleep 0.002
  done
  local t1; t1=$(date +%s%N)
  port="$(sed -n 's/.*listening on 127.0.0.1:\([0-9]*\).*/\1/p' "$out")"
  startup_ms=$(( (t1 - t0) / 1000000 ))
}
text() {  # NUMBER SID BODY
  curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/sms/twilio" \
    --data-urlencode "From=$1" -d To=%2B15550001111 -d "MessageSid=$2" --data-urlencode "Body=$3"
}
rss_kb() { awk '/VmHWM/ {print $2}' "/proc/$pid/status"; }
run() {  # LABEL DB
  start "$2"
  local i code n
  for i in $(seq 1 300); do
    # Half new texters, half among the seeded ones.
    if (( i % 2 )); then n="+1999$(printf '%07d' "$i")"; else n="+1555$(printf '%07d' $(( (i * 7919) % texters )))"; fi
    code="$(text "$n" "SMbench$i$RANDOM" "how much creatine for 80kg")"
    [ "$code" = 200 ] || { echo "text $i: HTTP $code" >&2; exit 1; }
  done
  printf '%-28s start-up %5d ms   peak RSS %7d KiB\n' "$1" "$startup_ms" "$(rss_kb)"
  kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""
}

# The schema, from the binary itself, then N texters with a message each.
start "$work/seeded.db"; kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""
t0=$(date +%s)
python3 - "$work/seeded.db" "$texters" <<'PY'
import sqlite3, sys
db, n = sys.argv[1], int(sys.argv[2])
c = sqlite3.connect(db)
c.execute("PRAGMA journal_mode=WAL")
rows = ((f"+1555{i:07d}", 80.0, "build_muscle", 1700000000000 + i, "hi") for i in range(n))
c.executemany("INSERT INTO texters (number, weight_kg, goal, updated_at, last_at, last_text) "
              "VALUES (?, ?, ?, 0, ?, ?)", rows)
msgs = ((f"+1555{i:07d}", "in", "hi", 1700000000000 + i, "greeting", "texter", f"SMseed{i}") for i in range(n))
c.executemany("INSERT INTO messages (number, direction, body, at_ms, intent, author, message_sid) "
              "VALUES (?, ?, ?, ?, ?, ?, ?)", msgs)
c.commit()
PY
echo "seeded $texters texters in $(( $(date +%s) - t0 )) s ($(du -h "$work/seeded.db" | cut -f1) database)"

run "empty store" "$work/empty.db"
run "$texters texters" "$work/seeded.db"

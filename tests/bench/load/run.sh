#!/usr/bin/env bash
# Load benchmark: `smscoach serve` on a fresh SQLite store, texted the way
# Twilio would (signed webhooks, a new MessageSid each, mostly new texters,
# realistic texts), measured with wrk; in the same run the same load against
# the bot a Node developer would write instead (tests/bench/peers/node-bot:
# Express, twilio, node-nlp, state in memory), and smscoach's GET /healthz as
# the HTTP ceiling of this box. Prints texts per second, latency percentiles,
# the smscoach/Node ratio, smscoach's peak RSS and how many texts its store
# holds afterwards (every acknowledged text must be there).
#
#   tests/bench/load/run.sh [--duration S] [--connections N] [--threads T]
#                           [--warmup S] [--rate-limit N] [--smscoach PATH] [--postgres]
#                           [--smoke] [--keep]
#
# --duration    seconds measured per target (default 10)
# --connections wrk connections, kept open, one request in flight on each (default 32)
# --threads     wrk threads (default 2)
# --warmup      seconds of load before each measurement, not counted (default 2; 1 with --smoke)
# --rate-limit smscoach serve --rate-limit (default 0, off; see below)
# --smscoach    use this binary instead of building build/release (Release, BUILD_TESTING=OFF)
# --postgres    smscoach on PostgreSQL instead: a throwaway cluster of its own
#               (deploy/postgres-local.sh, 127.0.0.1:25434, in the temporary directory)
# --smoke       CI check: no Node peer; fails unless smscoach answers every text
#               with a 200 and a <Message> and stores every text it acknowledged
# --keep        keep the temporary directory (store, logs, wrk output, requests)
#
# smscoach runs with --rate-limit 0 unless told otherwise: a texter's texts
# past the limit (default 10 a minute) are stored but not answered, a cheaper
# path, and the load must measure answered texts. With this traffic a number
# sends a few texts at most, so the default limit would rarely act; with
# --rate-limit N > 0, texts answered without a <Message> are reported but do
# not make the run count as broken. wrk is closed-loop (each
# connection waits for its answer before sending the next text), so latency is
# per request at that concurrency, not under a fixed arrival rate.
# Requires wrk (Debian package), python3 and, for the peer, node and npm.
# Exit status: 0 all runs clean, 1 a run was broken (non-200s, texts without a
# reply, socket errors, replayed MessageSids, acknowledged texts missing from
# the store), 2 usage, 77 wrk is not installed.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../../.." && pwd)
peer_dir="$repo/tests/bench/peers/node-bot"

duration=10 connections=32 threads=2 warmup="" rate_limit=0 smoke=0 keep=0 smscoach_bin="" postgres=0
usage() { sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//' >&2; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    --duration) duration=${2:?}; shift 2 ;;
    --connections) connections=${2:?}; shift 2 ;;
    --threads) threads=${2:?}; shift 2 ;;
    --warmup) warmup=${2:?}; shift 2 ;;
    --rate-limit) rate_limit=${2:?}; shift 2 ;;
    --smscoach) smscoach_bin=${2:?}; shift 2 ;;
    --smoke) smoke=1; shift ;;
    --postgres) postgres=1; shift ;;
    --keep) keep=1; shift ;;
    -h|--help) usage ;;
    *) echo "run.sh: unknown argument $1" >&2; usage ;;
  esac
done
[ -n "$warmup" ] || { [ "$smoke" = 1 ] && warmup=1 || warmup=2; }
for v in duration connections threads warmup rate_limit; do
  [[ ${!v} =~ ^[0-9]+$ ]] || { echo "run.sh: --${v/_/-} must be a whole number" >&2; exit 2; }
done
if [ "$duration" -lt 1 ] || [ "$threads" -lt 1 ] || [ "$connections" -lt "$threads" ]; then
  echo "run.sh: need --duration >= 1 and --connections >= --threads >= 1" >&2; exit 2
fi

command -v wrk >/dev/null || { echo "run.sh: wrk is not installed (apt-get install wrk)" >&2; exit 77; }
command -v python3 >/dev/null || { echo "run.sh: python3 is required" >&2; exit 1; }

# --- build ----------------------------------------------------------------
if [ -z "$smscoach_bin" ]; then
  echo "== building smscoach (Release) in build/release"
  build_log=$(mktemp)
  if ! { cmake -S "$repo" -B "$repo/build/release" -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF &&
         cmake --build "$repo/build/release" --target smscoach -j2; } >"$build_log" 2>&1; then
    tail -40 "$build_log" >&2; rm -f "$build_log"
    echo "run.sh: build failed" >&2; exit 1
  fi
  rm -f "$build_log"
  smscoach_bin="$repo/build/release/bot/smscoach"
fi
[ -x "$smscoach_bin" ] || { echo "run.sh: $smscoach_bin is not an executable" >&2; exit 1; }

# --- set-up ---------------------------------------------------------------
tmp=$(mktemp -d "${TMPDIR:-/tmp}/smscoach-load.XXXXXX")
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  [ "$postgres" = 0 ] || bash "$repo/deploy/postgres-local.sh" stop "$tmp/pg" >/dev/null 2>&1 || true
  if [ "$keep" = 1 ]; then echo "kept $tmp"; else rm -rf "$tmp"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The store must be on a disk: on tmpfs, fsync costs nothing and the figures lie.
tmp_fs=$(stat -f -c %T "$tmp")
if [ "$tmp_fs" = tmpfs ] || [ "$tmp_fs" = ramfs ]; then
  echo "run.sh: WARNING: $tmp is on $tmp_fs: commits are not durable and cost nothing;" \
       "set TMPDIR to a directory on a disk" >&2
fi

token=$(python3 -c 'import secrets; print(secrets.token_hex(16))')
run_id=$(python3 -c 'import secrets; print(secrets.token_hex(4))')
public_url="https://bench.smscoach.test"
webhook_url="$public_url/sms/twilio"
clk_tck=$(getconf CLK_TCK)
next_request=0  # gen_requests --first: MessageSids and new numbers never repeat within a run
broken=()

# Waits for "listening on HOST:PORT" in $1 from process $2; prints PORT.
wait_listening() {
  local file=$1 pid=$2 what=$3 _
  for _ in $(seq 1 300); do
    if grep -q '^listening on ' "$file" 2>/dev/null; then
      sed -n 's/^listening on .*:\([0-9][0-9]*\)$/\1/p' "$file" | head -1
      return 0
    fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  echo "run.sh: $what did not start; its log:" >&2
  tail -20 "$file" "${file%.out}.log" >&2 2>/dev/null || true
  exit 1
}

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }  # utime + stime, all threads
# "TID NAME ON_CPU_NS RUNQUEUE_NS" for each thread of $1 (schedstat: time
# on a CPU, and time runnable but waiting for one).
thread_times() {
  local t name
  for t in /proc/"$1"/task/*; do
    name=$(tr -c 'A-Za-z0-9_.\n-' _ <"$t/comm" 2>/dev/null) || continue
    awk -v t="${t##*/}" -v n="$name" '{print t, n, $1, $2}' "$t/schedstat" 2>/dev/null || true
  done
}
box_busy_ticks() { awk '/^cpu / {print $2 + $3 + $4 + $7 + $8 + $9}' /proc/stat; }  # all CPUs, not idle or iowait
io_bytes() { awk '/^wchar:/ {w = $2} /^write_bytes:/ {d = $2} END {print w + 0, d + 0}' "/proc/$1/io" 2>/dev/null || echo "0 0"; }
peak_rss_mb() { awk '/^VmHWM:/ {printf "%.1f", $2 / 1024}' "/proc/$1/status"; }
field() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" <<<" $1"; }

# gen NAME COUNT: COUNT signed requests, never used before in this run, in
# $tmp/NAME.<thread>.req; sets GEN_PREFIX to $tmp/NAME.
gen() {
  local name=$1 count=$2
  python3 "$here/gen_requests.py" --auth-token "$token" --url "$webhook_url" \
    --texts "$here/texts.txt" --count "$count" --threads "$threads" \
    --out "$tmp/$name" --first "$next_request" --run-id "$run_id"
  next_request=$((next_request + count))
  GEN_PREFIX="$tmp/$name"
}

# run_wrk LABEL SECONDS PORT SERVER_PID MODE ARG: one wrk run; sets R (its RESULT
# line), R_CPU (server CPU %, of one core), R_WRK_CPU (wrk's CPU %), R_OTHER_CPU
# (every other process on the box: noise if well above zero), R_THREADS (the
# server's threads by name, each on a CPU and runnable but waiting for one; the
# main thread runs smscoach's HTTP I/O loop) and R_IO (the server's bytes written per request: by write
# calls, to files and sockets, and to the disk).
run_wrk() {
  local label=$1 seconds=$2 port=$3 pid=$4 mode=$5 arg=$6
  local out="$tmp/wrk-$label.txt" t0 t1 c0 c1 b0 b1 times io0 io1
  thread_times "$pid" >"$out.threads0"
  io0=$(io_bytes "$pid"); b0=$(box_busy_ticks); c0=$(cpu_ticks "$pid"); t0=$(date +%s.%N)
  { TIMEFORMAT='%U %S'; time wrk -t"$threads" -c"$connections" -d"${seconds}s" --latency --timeout 5s \
      -s "$here/webhook.lua" "http://127.0.0.1:$port" -- "$mode" "$arg" >"$out" 2>"$out.err" || true; } 2>"$out.time"
  t1=$(date +%s.%N); c1=$(cpu_ticks "$pid"); b1=$(box_busy_ticks); io1=$(io_bytes "$pid")
  thread_times "$pid" >"$out.threads1"
  # By thread name (the main thread runs the HTTP I/O loop): % of one core
  # on a CPU, and in brackets % spent runnable but waiting for one.
  R_THREADS=$(awk -v wall="$(awk -v a="$t0" -v b="$t1" 'BEGIN {print b - a}')" '
    NR == FNR {cpu0[$1] = $3; wait0[$1] = $4; next}
    { n = $2; if (!(n in cpu)) order[++names] = n
      cpu[n] += ($3 - cpu0[$1]) / 1e7 / wall; wait[n] += ($4 - wait0[$1]) / 1e7 / wall; count[n]++ }
    END { for (i = 1; i <= names; i++) { n = order[i]
            if (cpu[n] < 0.5 && wait[n] < 0.5) continue
            printf "%s%s%s %.0f%% (%.0f%%)", sep, n, (count[n] > 1 ? " x" count[n] : ""), cpu[n], wait[n]; sep = ", " } }' \
    "$out.threads0" "$out.threads1")
  R=$(grep '^RESULT ' "$out" || true)
  if [ -z "$R" ]; then
    echo "run.sh: wrk printed no result for $label:" >&2; cat "$out" "$out.err" >&2; exit 1
  fi
  times=$(cat "$out.time")
  R_IO=$(awk -v a="$io0" -v b="$io1" -v n="$(field "$R" sent)" 'BEGIN {
    split(a, x, " "); split(b, y, " "); if (n < 1) n = 1
    printf "%.1f KB written, %.1f KB to disk", (y[1] - x[1]) / n / 1024, (y[2] - x[2]) / n / 1024 }')
  R_CPU=$(awk -v a="$c0" -v b="$c1" -v hz="$clk_tck" -v t0="$t0" -v t1="$t1" \
    'BEGIN {printf "%.0f", 100 * (b - a) / hz / (t1 - t0)}')
  R_WRK_CPU=$(awk -v u="${times% *}" -v s="${times#* }" -v t0="$t0" -v t1="$t1" \
    'BEGIN {printf "%.0f", 100 * (u + s) / (t1 - t0)}')
  R_OTHER_CPU=$(awk -v a="$b0" -v b="$b1" -v hz="$clk_tck" -v t0="$t0" -v t1="$t1" -v s="$R_CPU" -v w="$R_WRK_CPU" \
    'BEGIN {o = 100 * (b - a) / hz / (t1 - t0) - s - w; printf "%.0f", o < 0 ? 0 : o}')
  grep '^FIRST_ERROR ' "$out" | head -3 | sed "s/^/  [$label] /" >&2 || true
}

# measure NAME PORT PID MODE ARG_WARM ARG_MAIN: warm-up then the measured run;
# stores the results under NAME. ARG_MAIN "-" (sms): requests are prepared
# after the warm-up, as many as its rate says the run needs.
declare -A RES CPU WCPU OCPU THR IO OKW SENTW
measure() {
  local name=$1 port=$2 pid=$3 mode=$4 warm_arg=$5 main_arg=$6
  if [ "$warmup" -gt 0 ]; then
    run_wrk "$name-warmup" "$warmup" "$port" "$pid" "$mode" "$warm_arg"
    OKW[$name]=$(field "$R" ok); SENTW[$name]=$(field "$R" sent)
    WARM_RPS=$(field "$R" rps)
    check "$name warm-up" "$R"
  else
    OKW[$name]=0; SENTW[$name]=0; WARM_RPS=0
  fi
  if [ "$mode" = sms ] && [ "$main_arg" = "-" ]; then
    gen "$name-main" "$(main_count)"
    main_arg=$GEN_PREFIX
  fi
  run_wrk "$name" "$duration" "$port" "$pid" "$mode" "$main_arg"
  RES[$name]=$R; CPU[$name]=$R_CPU; WCPU[$name]=$R_WRK_CPU; OCPU[$name]=$R_OTHER_CPU; THR[$name]=$R_THREADS; IO[$name]=$R_IO
  echo "   $name: $(field "$R" rps) req/s, p50 $(field "$R" p50_ms) ms, p99 $(field "$R" p99_ms) ms," \
       "server CPU ${R_CPU}%, wrk ${R_WRK_CPU}%, others ${R_OTHER_CPU}% (of one core)"
  check "$name" "$R"
}

# A run is broken if anything but a 200 with a reply came back, a socket
# failed, or prepared requests ran out (replayed MessageSids are answered from
# the dedupe record: not the real path).
check() {
  local what=$1 r=$2
  local non200 nomsg wrapped errors
  non200=$(field "$r" non200); nomsg=$(field "$r" no_message); wrapped=$(field "$r" wrapped)
  errors=$(field "$r" errors)
  [ "$non200" = 0 ] || broken+=("$what: $non200 non-200 responses")
  [ "$nomsg" = 0 ] || [ "$rate_limit" -gt 0 ] || broken+=("$what: $nomsg texts answered without a <Message>")
  [ "$wrapped" = 0 ] || broken+=("$what: ran out of prepared requests (MessageSids replayed)")
  [ "$errors" = 0/0/0/0 ] || broken+=("$what: socket errors connect/read/write/timeout $errors")
  [ "$(field "$r" requests)" -gt 0 ] || broken+=("$what: no requests completed")
}

# Requests to prepare for a measured run: twice the warm-up's rate (a fresh
# store is at its fastest then), at most the HTTP ceiling plus a fifth (all of
# it without a warm-up), and never fewer than 2,000 a second.
main_count() {
  awk -v w="$WARM_RPS" -v c="$CEILING" -v d="$duration" -v t="$threads" 'BEGIN {
    r = 2 * w + 500; if (c > 0 && (w <= 0 || r > 1.2 * c)) r = 1.2 * c; if (r < 2000) r = 2000;
    printf "%d", r * (d + 1) + 1000 * t }'
}

# Requests for a warm-up: as many as the HTTP ceiling could take, and a fifth.
warmup_count() {
  awk -v c="$CEILING" -v w="$warmup" -v t="$threads" 'BEGIN {printf "%d", 1.2 * c * w + 1000 * t}'
}

loadavg() { cut -d' ' -f1-3 /proc/loadavg; }
load_start=$(loadavg)
commit=$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown)
if [ "$commit" != unknown ] && [ -n "$(git -C "$repo" status --porcelain -uno 2>/dev/null)" ]; then
  commit="$commit + uncommitted changes"
fi
echo "== smscoach $commit ($smscoach_bin); $(nproc) CPUs, load average $load_start"
echo "== wrk -t$threads -c$connections, ${warmup} s warm-up + ${duration} s each; $tmp ($tmp_fs)"

# --- smscoach ---------------------------------------------------------------
store="$tmp/smscoach.db" store_name=SQLite
if [ "$postgres" = 1 ]; then
  store=$(bash "$repo/deploy/postgres-local.sh" start "$tmp/pg" 25434) || exit 1
  store_name=PostgreSQL
fi
"$smscoach_bin" serve --listen 127.0.0.1:0 --db "$store" \
  --twilio-auth-token "$token" --public-url "$public_url" --rate-limit "$rate_limit" \
  --content "$repo/content/data" >"$tmp/smscoach.out" 2>"$tmp/smscoach.log" &
smscoach_pid=$!
pids+=("$smscoach_pid")
smscoach_port=$(wait_listening "$tmp/smscoach.out" "$smscoach_pid" "smscoach serve") || exit 1

echo "== smscoach GET /healthz (HTTP ceiling)"
CEILING=0
measure healthz "$smscoach_port" "$smscoach_pid" get /healthz /healthz
CEILING=$(field "${RES[healthz]}" rps)

echo "== smscoach POST /sms/twilio ($store_name, --rate-limit $rate_limit)"
warm_prefix=-
if [ "$warmup" -gt 0 ]; then gen smscoach-warmup "$(warmup_count)"; warm_prefix=$GEN_PREFIX; fi
measure smscoach "$smscoach_port" "$smscoach_pid" sms "$warm_prefix" -
smscoach_rss=$(peak_rss_mb "$smscoach_pid")
smscoach_sent=$(( SENTW[smscoach] + $(field "${RES[smscoach]}" sent) ))
smscoach_acked=$(( OKW[smscoach] + $(field "${RES[smscoach]}" ok) ))
# SQLite's group commit, from /metrics (from start-up: warm-up included).
group_commit=$(python3 - "$smscoach_port" <<'EOF'
import sys, urllib.request
text = urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/metrics", timeout=10).read().decode()
v = {}
for line in text.splitlines():
    if line and not line.startswith("#"):
        name, _, value = line.rpartition(" ")
        v[name] = float(value)
c = "smscoach_store_commit_duration_seconds"
f = "smscoach_store_flush_duration_seconds"
if v.get(c + "_count", 0) > 0:
    n = v[c + "_count"]
    slow = n - v.get(c + '_bucket{le="0.0025"}', n)
    print(f"{n:.0f} commits, {v['smscoach_store_committed_turns_total'] / n:.1f} texts each, "
          f"{1000 * v[c + '_sum'] / n:.2f} ms on average, {100 * slow / n:.1f}% over 2.5 ms; "
          f"{v[f + '_count']:.0f} WAL flushes, "
          f"{1000 * v[f + '_sum'] / max(v[f + '_count'], 1):.2f} ms on average; "
          f"{v.get('smscoach_store_checkpoints_total', 0):.0f} checkpoints through the WAL, "
          f"{v.get('smscoach_store_checkpoint_frames_total', 0):.0f} pages copied, "
          f"{v.get('smscoach_store_checkpoint_writer_frames_total', 0):.0f} of them by the writer")
EOF
) || group_commit=""

kill -TERM "$smscoach_pid"
wait "$smscoach_pid" || { echo "run.sh: smscoach serve did not stop cleanly" >&2; broken+=("smscoach exit status"); }
pids=()

# What the store holds: every acknowledged text (a text still in flight when
# wrk stopped may be stored without its answer having been counted).
count_sql="SELECT (SELECT count(*) FROM messages WHERE direction = 'in'),
  (SELECT count(DISTINCT message_sid) FROM messages WHERE direction = 'in'),
  (SELECT count(*) FROM processed_messages), (SELECT count(*) FROM texters)"
if [ "$postgres" = 1 ]; then
  read -r stored distinct_sids processed texters_n < <(psql "$store" -At -F ' ' -c "$count_sql")
else
  read -r stored distinct_sids processed texters_n < <(python3 - "$store" "$count_sql" <<'EOF'
import sqlite3, sys
db = sqlite3.connect("file:%s?mode=ro" % sys.argv[1], uri=True)
print(*db.execute(sys.argv[2]).fetchone())
EOF
)
fi
[ "$stored" -ge "$smscoach_acked" ] || broken+=("store: $stored texts stored < $smscoach_acked acknowledged")
[ "$stored" -le "$smscoach_sent" ] || broken+=("store: $stored texts stored > $smscoach_sent sent")
[ "$distinct_sids" = "$stored" ] || broken+=("store: $stored texts but $distinct_sids MessageSids")

# --- the Node peer ----------------------------------------------------------
node_ran=0
if [ "$smoke" = 0 ]; then
  if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    echo "run.sh: node and npm are required for the Node peer (or use --smoke)" >&2; exit 1
  fi
  if [ ! -d "$peer_dir/node_modules" ]; then
    echo "== npm ci in tests/bench/peers/node-bot"
    (cd "$peer_dir" && npm ci --no-audit --no-fund --loglevel=error) >&2
  fi
  echo "== Node peer POST /sms/twilio (Express + twilio + node-nlp, state in memory)"
  TWILIO_AUTH_TOKEN="$token" PUBLIC_URL="$public_url" PORT=0 NODE_ENV=production \
    node "$peer_dir/bot.js" >"$tmp/node.out" 2>"$tmp/node.log" &
  node_pid=$!
  pids+=("$node_pid")
  node_port=$(wait_listening "$tmp/node.out" "$node_pid" "the Node peer") || exit 1
  warm_prefix=-
  if [ "$warmup" -gt 0 ]; then gen node-warmup "$(warmup_count)"; warm_prefix=$GEN_PREFIX; fi
  measure node "$node_port" "$node_pid" sms "$warm_prefix" -
  node_rss=$(peak_rss_mb "$node_pid")
  kill -TERM "$node_pid"; wait "$node_pid" 2>/dev/null || true
  pids=()
  node_ran=1
fi

# --- summary ----------------------------------------------------------------
load_end=$(loadavg)
echo
echo "== summary: smscoach $commit, --rate-limit $rate_limit; wrk -t$threads -c$connections, ${duration} s each after ${warmup} s" \
     "warm-up; $(nproc) CPUs; load average $load_start at start, $load_end at end"
printf '%-26s %9s %7s %7s %7s %8s %7s %7s %8s %7s %7s %7s\n' target "req/s" "p50 ms" "p90 ms" "p99 ms" \
  "p99.9ms" "max ms" non-200 no-reply "server" "wrk" "others"
row() {
  local label=$1 name=$2 r=${RES[$2]}
  printf '%-26s %9s %7s %7s %7s %8s %7s %7s %8s %6s%% %6s%% %6s%%\n' "$label" "$(field "$r" rps)" \
    "$(field "$r" p50_ms)" "$(field "$r" p90_ms)" "$(field "$r" p99_ms)" "$(field "$r" p999_ms)" \
    "$(field "$r" max_ms)" "$(field "$r" non200)" "$(field "$r" no_message)" "${CPU[$name]}" \
    "${WCPU[$name]}" "${OCPU[$name]}"
}
row "smscoach GET /healthz" healthz
row "smscoach POST /sms/twilio" smscoach
if [ "$node_ran" = 1 ]; then row "node-bot POST /sms/twilio" node; fi
echo "(server, wrk, others: CPU as % of one core over the measured run, $(nproc) cores in all;" \
     "others well above 0 means a noisy box; no-reply: 200s to a text without <Message>)"
smscoach_rps=$(field "${RES[smscoach]}" rps)
# The steadiest figure on a noisy VM: the rate moves with what else the box
# does, the server's CPU time per request much less.
awk -v s="$smscoach_rps" -v c="${CPU[smscoach]}" -v hs="$CEILING" -v hc="${CPU[healthz]}" \
  'BEGIN {printf "smscoach CPU per request: %.0f us a text, %.1f us a /healthz\n", 1e4 * c / s, 1e4 * hc / hs}'
awk -v s="$smscoach_rps" -v c="$CEILING" 'BEGIN {printf "smscoach texts/s as a share of its /healthz ceiling: %.1f%%\n", 100 * s / c}'
if [ "$node_ran" = 1 ]; then
  awk -v s="$smscoach_rps" -v n="$(field "${RES[node]}" rps)" \
    'BEGIN {printf "ratio smscoach / node-bot texts/s: %.2fx\n", s / n}'
  echo "peak RSS: smscoach ${smscoach_rss} MB, node-bot ${node_rss} MB (VmHWM)"
else
  echo "peak RSS: smscoach ${smscoach_rss} MB (VmHWM)"
fi
echo "smscoach threads, % of one core on a CPU (and runnable, waiting for one): /healthz ${THR[healthz]}; texts ${THR[smscoach]}"
echo "smscoach I/O per text in the measured run: ${IO[smscoach]} (write calls, log included; page" \
     "cache to disk)"
if [ -n "$group_commit" ]; then
  echo "smscoach group commit (from /metrics, warm-up included): $group_commit"
fi
echo "smscoach store: $stored texts stored ($distinct_sids distinct MessageSids, $processed processed," \
     "$texters_n texters) for $smscoach_acked acknowledged with a 200 and $smscoach_sent sent, warm-up included"

if [ ${#broken[@]} -gt 0 ]; then
  echo "BROKEN RUN:" >&2
  printf '  %s\n' "${broken[@]}" >&2
  exit 1
fi

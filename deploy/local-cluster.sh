#!/usr/bin/env bash
# The multi-instance deployment on one machine, on loopback, without Docker:
# a private PostgreSQL (deploy/postgres-local.sh), two `smscoach serve`
# instances sharing it, and nginx in front (deploy/nginx/local.conf).
#
#   bash deploy/local-cluster.sh start [-- SERVE_FLAGS...]   # e.g. -- --twilio-auth-token T --public-url http://127.0.0.1:8080
#   bash deploy/local-cluster.sh status
#   bash deploy/local-cluster.sh stop
#
# `start` returns once every part answers, leaving them running. The flags
# after `--` go to both instances (--listen and --db are set here).
#
# Environment:
#   SMSCOACH_CLUSTER_DIR      run dir: logs, pid files, nginx.conf, PostgreSQL data (./data/local-cluster)
#   SMSCOACH_CLUSTER_PORT     nginx port (8080)
#   SMSCOACH_CLUSTER_PORT1/2  instance ports (8081, 8082)
#   SMSCOACH_CLUSTER_PG_PORT  PostgreSQL port (25433: deploy/test.sh takes 25432; both below the ephemeral port range, where a client socket could hold them)
#   SMSCOACH_CLUSTER_DB       a store for both instances instead of the private PostgreSQL
#                             (another postgresql:// URL, or a SQLite path for a quick look)
#   SMSCOACH_CLUSTER_BIN      an smscoach binary to run as is; without it build/release is built
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

die() { echo "local-cluster: $*" >&2; exit 1; }
usage() {
  echo "usage: local-cluster.sh start [-- SERVE_FLAGS...] | stop | status" >&2
  exit 2
}

# Relative paths are taken from where the caller stands, before the cd below.
run="${SMSCOACH_CLUSTER_DIR:-$root/data/local-cluster}"
case "$run" in /*) ;; *) run="$PWD/$run" ;; esac
lb_port="${SMSCOACH_CLUSTER_PORT:-8080}"
ports=("${SMSCOACH_CLUSTER_PORT1:-8081}" "${SMSCOACH_CLUSTER_PORT2:-8082}")
pg_port="${SMSCOACH_CLUSTER_PG_PORT:-25433}"
db_override="${SMSCOACH_CLUSTER_DB:-}"
bin="${SMSCOACH_CLUSTER_BIN:-}"
[ -z "$bin" ] || case "$bin" in /*) ;; *) bin="$PWD/$bin" ;; esac
# A relative SQLite path, too; a URL stays as it is.
case "$db_override" in "" | /* | *://*) ;; *) db_override="$PWD/$db_override" ;; esac
cd "$root"

for p in "$lb_port" "${ports[@]}" "$pg_port"; do
  if ! [[ "$p" =~ ^[0-9]{1,5}$ ]] || [ "$p" -lt 1 ] || [ "$p" -gt 65535 ]; then
    die "port '$p': expected 1-65535"
  fi
done

nginx_bin="$(command -v nginx || echo /usr/sbin/nginx)"
nginx_pid="$run/nginx.pid"
pg_dir="$run/postgres"
store_file="$run/store"  # what start used: "managed URL" or "external"
instance_pid() { echo "$run/smscoach-$1.pid"; }
instance_log() { echo "$run/smscoach-$1.log"; }
# What a live instance's or nginx's command line holds.
instance_mark() { echo "serve --listen 127.0.0.1:$1 "; }
nginx_mark="-c $run/nginx.conf"
# The instances this run dir has pid files for, whatever the ports are now.
started_ports() {
  local f
  for f in "$run"/smscoach-*.pid; do
    [ -e "$f" ] || continue
    f="${f##*/smscoach-}"
    echo "${f%.pid}"
  done
}

# A URL's password stays off the screen.
mask_url() {
  if [[ "$1" =~ ^([a-z]+://[^:/@]*):[^@/]*@(.*)$ ]]; then
    echo "${BASH_REMATCH[1]}:***@${BASH_REMATCH[2]}"
  else
    echo "$1"
  fi
}

# The process a pid file names, if it is alive and still the program we
# started (a stale pid may have been reused by anything).
live_pid() {
  local file="$1" want="$2" pid
  [ -f "$file" ] || return 1
  pid="$(cat "$file" 2>/dev/null)" || return 1
  [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$want" || return 1
  echo "$pid"
}

# HTTP status of GET http://127.0.0.1:PORT/PATH, through bash's /dev/tcp: no
# curl needed. Prints nothing when nothing answers.
http_status() {
  local port="$1" path="$2" line=""
  { exec 3<>"/dev/tcp/127.0.0.1/$port"; } 2>/dev/null || return 1
  printf 'GET %s HTTP/1.1\r\nHost: 127.0.0.1:%s\r\nConnection: close\r\n\r\n' "$path" "$port" >&3
  IFS= read -r -t 5 line <&3 || true
  exec 3<&-
  line="${line%$'\r'}"
  line="${line#HTTP/1.? }"
  echo "${line%% *}"
}

port_taken() { { exec 3<>"/dev/tcp/127.0.0.1/$1"; } 2>/dev/null && { exec 3<&-; return 0; }; return 1; }

# Waits until GET PATH on PORT answers 200, while the process PID lives.
wait_ready() {
  local what="$1" port="$2" path="$3" pid="$4" log="$5" i
  for i in $(seq 1 300); do
    [ "$(http_status "$port" "$path" || true)" = 200 ] && return 0
    if ! kill -0 "$pid" 2>/dev/null; then
      tail -n 5 "$log" >&2 || true
      die "$what exited before it was ready (log: $log)"
    fi
    [ "$i" -lt 300 ] && sleep 0.2
  done
  tail -n 5 "$log" >&2 || true
  die "$what did not answer 200 on 127.0.0.1:$port$path within 60 s (log: $log)"
}

# Sends SIGNAL, waits up to SECONDS for the exit, then SIGKILL.
stop_pid() {
  local pid="$1" signal="$2" seconds="$3" what="$4"
  kill "-$signal" "$pid" 2>/dev/null || return 0
  for _ in $(seq 1 $((seconds * 10))); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  echo "local-cluster: $what (pid $pid) still running after ${seconds}s, killing it" >&2
  kill -KILL "$pid" 2>/dev/null || true
}

do_stop() {
  local pid port
  # Front to back: no new requests, then drain the instances, then the store.
  if pid="$(live_pid "$nginx_pid" "$nginx_mark")"; then
    # QUIT: finish the requests under way.
    stop_pid "$pid" QUIT 10 nginx
    echo "nginx stopped"
  fi
  rm -f "$nginx_pid"
  for port in $(started_ports); do
    if pid="$(live_pid "$(instance_pid "$port")" "$(instance_mark "$port")")"; then
      # SIGTERM drains; outbox sends in flight get 5 s.
      stop_pid "$pid" TERM 30 "smscoach on $port"
      echo "smscoach on 127.0.0.1:$port stopped"
    fi
    rm -f "$(instance_pid "$port")"
  done
  if bash deploy/postgres-local.sh status "$pg_dir" >/dev/null 2>&1; then
    bash deploy/postgres-local.sh stop "$pg_dir" >/dev/null 2>&1 || die "could not stop PostgreSQL in $pg_dir"
    echo "PostgreSQL stopped"
  fi
  return 0
}

do_status() {
  # Exit status 0 when every part runs, 3 (as pg_ctl status) otherwise.
  local rc=0 pid port url listen
  if pid="$(live_pid "$nginx_pid" "$nginx_mark")"; then
    listen="$(sed -n 's/^ *listen 127\.0\.0\.1:\([0-9]*\);/\1/p' "$run/nginx.conf")"
    echo "nginx       http://127.0.0.1:$listen  pid $pid  /healthz $(http_status "$listen" /healthz || echo -)"
  else
    echo "nginx       stopped"; rc=3
  fi
  [ -n "$(started_ports)" ] || { echo "smscoach    stopped"; rc=3; }
  for port in $(started_ports); do
    if pid="$(live_pid "$(instance_pid "$port")" "$(instance_mark "$port")")"; then
      echo "smscoach    http://127.0.0.1:$port  pid $pid  /readyz $(http_status "$port" /readyz || echo -)"
    else
      echo "smscoach    127.0.0.1:$port stopped"; rc=3
    fi
  done
  if [ "$(cat "$store_file" 2>/dev/null)" = external ]; then
    echo "store       SMSCOACH_CLUSTER_DB, not managed here"
  elif url="$(bash deploy/postgres-local.sh status "$pg_dir" 2>/dev/null)"; then
    echo "PostgreSQL  $url"
  else
    echo "PostgreSQL  stopped"; rc=3
  fi
  return "$rc"
}

do_start() {
  local pid port db
  if live_pid "$nginx_pid" "$nginx_mark" >/dev/null; then
    die "already running (bash deploy/local-cluster.sh stop, first)"
  fi
  for port in $(started_ports); do
    if live_pid "$(instance_pid "$port")" "$(instance_mark "$port")" >/dev/null; then
      die "already running (bash deploy/local-cluster.sh stop, first)"
    fi
  done
  [ "${ports[0]}" != "${ports[1]}" ] || die "the two instances need two ports"
  case "$run" in *[\"\\$'\n']*) die "run dir $run: no quotes, backslashes or newlines, please (it goes into nginx.conf)" ;; esac
  local a
  for a in "${serve_args[@]}"; do
    case "$a" in
      --listen | --listen=* | --db | --db=*)
        die "$a: local-cluster.sh sets --listen and --db itself (see SMSCOACH_CLUSTER_* in its header)" ;;
    esac
  done
  rm -f "$run"/smscoach-*.pid "$store_file"
  for port in "$lb_port" "${ports[@]}"; do
    ! port_taken "$port" || die "127.0.0.1:$port is already in use (see SMSCOACH_CLUSTER_PORT*)"
  done

  # What is missing comes from install-deps.sh (nginx, PostgreSQL, the build tools).
  if [ ! -x "$nginx_bin" ] || { [ -z "$db_override" ] && ! compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null; } ||
     { [ -z "$bin" ] && ! command -v cmake >/dev/null; }; then
    bash deploy/install-deps.sh
    nginx_bin="$(command -v nginx || echo /usr/sbin/nginx)"
  fi
  if [ -z "$bin" ]; then
    # Incremental, as deploy/serve.sh does: a stale binary would mislead.
    cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF >/dev/null
    cmake --build build/release --target smscoach -j"$(nproc)" >&2
    bin="$root/build/release/bot/smscoach"
  fi
  [ -x "$bin" ] || die "no smscoach binary at $bin"

  mkdir -p "$run/nginx-temp"
  # Whatever fails from here stops what was started, so a retry starts clean.
  trap 'echo "local-cluster: start failed; stopping what was started" >&2; do_stop >/dev/null 2>&1 || true' EXIT

  if [ -n "$db_override" ]; then
    db="$db_override"
    echo external >"$store_file"
  else
    # Its chatter goes to a file; shown when it fails.
    if ! db="$(bash deploy/postgres-local.sh start "$pg_dir" "$pg_port" 2>"$run/postgres-local.log")"; then
      cat "$run/postgres-local.log" >&2
      die "PostgreSQL did not start"
    fi
    echo managed >"$store_file"
  fi

  # One after the other: a SQLite file (SMSCOACH_CLUSTER_DB) cannot take two
  # schema migrations at once (PostgreSQL's are serialised by the store).
  for port in "${ports[@]}"; do
    # setsid: the instances leave this terminal's session and its signals.
    # The command line wins over SMSCOACH_* variables in this environment.
    setsid "$bin" serve --listen "127.0.0.1:$port" --db "$db" "${serve_args[@]}" \
      </dev/null >"$(instance_log "$port")" 2>&1 &
    echo $! >"$(instance_pid "$port")"
    wait_ready "smscoach on 127.0.0.1:$port" "$port" /readyz "$!" "$(instance_log "$port")"
  done

  # nginx reads no environment: fill local.conf's placeholders. Paths may
  # hold sed's specials; escape them.
  esc() { printf '%s' "$1" | sed -e 's/[\\|&]/\\&/g'; }
  sed -e "s|@RUN_DIR@|$(esc "$run")|g" -e "s|@DEPLOY_DIR@|$(esc "$root/deploy")|g" \
      -e "s|@PORT@|$lb_port|g" -e "s|@BACKEND1@|127.0.0.1:${ports[0]}|g" \
      -e "s|@BACKEND2@|127.0.0.1:${ports[1]}|g" deploy/nginx/local.conf >"$run/nginx.conf"
  "$nginx_bin" -t -q -p "$run/" -c "$run/nginx.conf" -e "$run/nginx-error.log" ||
    die "nginx rejected $run/nginx.conf (see above)"
  # nginx daemonises: its master's pid lands in nginx.pid.
  rm -f "$nginx_pid"
  "$nginx_bin" -p "$run/" -c "$run/nginx.conf" -e "$run/nginx-error.log" </dev/null ||
    die "nginx did not start (log: $run/nginx-error.log)"
  for _ in $(seq 1 50); do
    live_pid "$nginx_pid" "$nginx_mark" >/dev/null && break
    sleep 0.1
  done
  pid="$(live_pid "$nginx_pid" "$nginx_mark")" || die "nginx did not start (log: $run/nginx-error.log)"
  wait_ready "nginx on 127.0.0.1:$lb_port" "$lb_port" /healthz "$pid" "$run/nginx-error.log"
  trap - EXIT

  cat <<EOF
local cluster running (run dir $run)
  nginx       http://127.0.0.1:$lb_port   conf $run/nginx.conf
              log $run/nginx-access.log, $run/nginx-error.log  pid $nginx_pid
EOF
  for port in "${ports[@]}"; do
    echo "  smscoach    http://127.0.0.1:$port   log $(instance_log "$port")  pid $(instance_pid "$port")"
  done
  if [ -n "$db_override" ]; then
    echo "  store       $(mask_url "$db_override") (SMSCOACH_CLUSTER_DB)"
  else
    echo "  PostgreSQL  $db   data $pg_dir/data  log $pg_dir/postgres.log"
  fi
  echo "stop with: bash deploy/local-cluster.sh stop"
}

[ $# -ge 1 ] || usage
cmd="$1"
shift
serve_args=()
case "$cmd" in
  start)
    if [ $# -gt 0 ]; then
      [ "$1" = -- ] || usage
      shift
      serve_args=("$@")
    fi
    do_start
    ;;
  stop) [ $# -eq 0 ] || usage; do_stop ;;
  status) [ $# -eq 0 ] || usage; do_status ;;
  *) usage ;;
esac

#!/usr/bin/env bash
# A private, throwaway PostgreSQL cluster for tests and local clusters: no
# Docker, no system service, everything in DIR (one exception below).
#
#   bash deploy/postgres-local.sh start DIR [PORT]   # prints the URL, one line
#   bash deploy/postgres-local.sh stop DIR
#   bash deploy/postgres-local.sh status DIR         # prints the URL if running, else exit 3
#
# Layout: DIR/data (the cluster), DIR/postgres.log, and the unix socket in DIR
# (as root, when a private parent folder keeps the postgres user out of DIR:
# the same in ~postgres/postgres-local-HASH, HASH from DIR's path).
# It listens on 127.0.0.1:PORT (default 25432) only. Over TCP only the
# `smscoach` role may log in, without a password (trust): it is a test
# cluster. The superuser is reachable only through the socket, by peer auth
# (the `postgres` OS user when run as root, else the current user).
set -euo pipefail

die() { echo "postgres-local: $*" >&2; exit 1; }
note() { echo "postgres-local: $*" >&2; }
usage() {
  echo "usage: postgres-local.sh start DIR [PORT] | stop DIR | status DIR" >&2
  exit 2
}

[ $# -ge 2 ] || usage
cmd="$1"
dir="$2"
port_arg="${3:-}"
port="${port_arg:-25432}"
case "$cmd" in start | stop | status) ;; *) usage ;; esac
[ "$cmd" = start ] || [ $# -eq 2 ] || usage
if ! [[ "$port" =~ ^[0-9]{4,5}$ ]] || [ "$port" -lt 1024 ] || [ "$port" -gt 65535 ]; then
  die "port $port: expected 1024-65535"
fi

# stop/status on a folder that does not exist: nothing to do.
if [ "$cmd" != start ] && [ ! -d "$dir" ]; then
  [ "$cmd" = stop ] && { note "no cluster in $dir, nothing to stop"; exit 0; }
  exit 3
fi
mkdir -p "$dir"
dir="$(cd "$dir" && pwd)"

# PostgreSQL refuses to run as root: as root, its processes run as the
# `postgres` OS user, which must own the cluster's folder.
owner=()
superuser="$(id -un)"
home="$dir"
if [ "$(id -u)" -eq 0 ]; then
  id postgres >/dev/null 2>&1 || die "no 'postgres' OS user (apt-get install postgresql)"
  owner=(runuser -u postgres --)
  superuser=postgres
  # Under a private parent (a checkout in /root) the postgres user cannot
  # reach DIR: the cluster then lives in the postgres user's home, in a
  # folder named after DIR, where no other user can plant anything.
  pg_home="$(getent passwd postgres | cut -d: -f6)"
  fallback="$pg_home/postgres-local-$(printf '%s' "$dir" | sha256sum | cut -c1-16)"
  if [ ! -f "$dir/data/PG_VERSION" ] && [ -f "$fallback/data/PG_VERSION" ]; then
    home="$fallback"
  elif [ "$cmd" = start ] && [ ! -f "$dir/data/PG_VERSION" ]; then
    chown postgres:postgres "$dir"
    if ! runuser -u postgres -- test -w "$dir"; then
      home="$fallback"
      runuser -u postgres -- mkdir -p -m 0700 "$home" 2>/dev/null ||
        die "the postgres user can reach neither $dir nor $home"
      note "the postgres user cannot reach $dir (a parent folder is private): the cluster lives in $home"
    fi
  fi
  [ "$cmd" != start ] || [ "$home" != "$dir" ] || chown postgres:postgres "$dir"
fi
data="$home/data"
log="$home/postgres.log"
if [ "$cmd" != start ] && [ ! -f "$data/PG_VERSION" ]; then
  [ "$cmd" = stop ] && { note "no cluster in $dir, nothing to stop"; exit 0; }
  exit 3
fi
# From the cluster's folder: the postgres user may not be able to enter the caller's cwd.
as_owner() { (cd "$home" && "${owner[@]}" "$@"); }

# The server binaries: the version that made an existing cluster, else the
# newest installed (client-only installs have no initdb, hence the test).
bindir=""
if [ -f "$data/PG_VERSION" ]; then
  bindir="/usr/lib/postgresql/$(cat "$data/PG_VERSION")/bin"
  [ -x "$bindir/pg_ctl" ] || die "the cluster in $data needs PostgreSQL $(cat "$data/PG_VERSION"), not installed"
else
  for d in $(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V); do
    [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && bindir="$d"
  done
  [ -n "$bindir" ] || die "no PostgreSQL server found in /usr/lib/postgresql/*/bin (apt-get install postgresql)"
fi

# Serialise concurrent starts and stops of the same cluster. The lock's fd is
# closed for every child so the postmaster does not keep holding it.
exec 9>>"$dir/.lock"
flock -w 120 9 || die "timed out waiting for another start/stop of $dir"

running_port() {
  # postmaster.pid's 4th line is the port; pg_ctl status checks the pid is alive.
  as_owner "$bindir/pg_ctl" -D "$data" status >/dev/null 2>&1 9>&- || return 1
  sed -n 4p "$data/postmaster.pid"
}

url() { echo "postgresql://smscoach@127.0.0.1:$1/smscoach"; }

if [ "$cmd" = stop ]; then
  if running_port >/dev/null; then
    as_owner "$bindir/pg_ctl" -D "$data" -m fast -w -t 60 stop >&2 9>&- || die "could not stop the cluster in $data (see $log)"
  else
    note "not running ($data)"
  fi
  exit 0
fi

if [ "$cmd" = status ]; then
  if p="$(running_port)"; then url "$p"; exit 0; fi
  exit 3
fi

# --- start ---------------------------------------------------------------
if [ ! -f "$data/PG_VERSION" ]; then
  [ ! -e "$data" ] || [ -z "$(ls -A "$data")" ] || die "$data exists but holds no cluster; remove it or pick another DIR"
  note "initdb $data ($bindir)"
  # C locale: no dependence on which locales the machine has generated.
  as_owner "$bindir/initdb" -D "$data" --encoding=UTF8 --no-locale \
    --auth-local=peer --auth-host=reject >"$home/initdb.log" 2>&1 9>&- ||
    die "initdb failed, see $home/initdb.log"
  # Only our settings file is ours to rewrite; postgresql.conf just includes it.
  echo "include_if_exists = 'smscoach-local.conf'" >>"$data/postgresql.conf"
  cat >"$data/pg_hba.conf" <<'EOF'
# Written by deploy/postgres-local.sh: a test cluster.
# TYPE  DATABASE  USER      ADDRESS        METHOD
local   all       all                      peer
host    all       smscoach  127.0.0.1/32   trust
EOF
fi

if p="$(running_port)"; then
  [ -z "$port_arg" ] || [ "$p" = "$port" ] || note "already running on port $p (not $port)"
  port="$p"
else
  # A unix socket path is limited to 107 bytes.
  sock="$home/.s.PGSQL.$port"
  [ "${#sock}" -le 107 ] || die "socket path $sock is longer than 107 bytes; use a shorter DIR"
  # Rewritten at every start, so a restart may pick another port. Quotes in
  # the path are doubled for the config syntax.
  cat >"$data/smscoach-local.conf" <<EOF
# Written by deploy/postgres-local.sh at each start; edits are lost.
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '${home//\'/\'\'}'
unix_socket_permissions = 0700
max_connections = 200
fsync = on
synchronous_commit = on
logging_collector = off
log_line_prefix = '%m [%p] %q%u@%d '
EOF
  [ ${#owner[@]} -eq 0 ] || chown postgres:postgres "$data/smscoach-local.conf"
  touch "$log"
  [ ${#owner[@]} -eq 0 ] || chown postgres:postgres "$log"
  # pg_ctl's own chatter goes to stderr: stdout carries only the URL.
  if ! as_owner "$bindir/pg_ctl" -D "$data" -l "$log" -w -t 60 start >&2 9>&-; then
    tail -n 5 "$log" >&2 || true
    die "PostgreSQL did not start on 127.0.0.1:$port (see $log)"
  fi
fi

# The application's role and database, created once, kept as they are after.
as_owner "$bindir/psql" -X -q -v ON_ERROR_STOP=1 -h "$home" -p "$port" -U "$superuser" -d postgres \
  >/dev/null 9>&- <<'SQL' || die "could not create the smscoach role and database (see $log)"
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'smscoach') THEN
    CREATE ROLE smscoach LOGIN CREATEDB;
  ELSE
    ALTER ROLE smscoach LOGIN CREATEDB;
  END IF;
END
$$;
SELECT 'CREATE DATABASE smscoach OWNER smscoach'
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'smscoach') \gexec
SQL

url "$port"

#!/usr/bin/env bash
# A throwaway PostgreSQL on loopback for the ledger (docs/ledger.md), from Debian's packages
# (apt-get install postgresql): initdb + pg_ctl of /usr/lib/postgresql/<newest>/bin.
#
#   deploy/postgres/postgres.sh start    initdb if new, start, wait, create the database;
#                                        prints the ledger URL (postgresql://...)
#   deploy/postgres/postgres.sh stop     fast shutdown (pg_ctl -m fast)
#   deploy/postgres/postgres.sh status   exit 0 if running
#   deploy/postgres/postgres.sh url      print the ledger URL
#
# Environment (all optional):
#   PG_PORT=55432                  127.0.0.1 only; the Unix socket is in the state directory
#   PG_STATE_DIR=<repo>/var/postgres   data/, postgres.log, the socket
#   PG_DATABASE=servicepulse       created at start if absent
#   PG_USER=servicepulse           the database superuser initdb creates
#   PG_BIN=/usr/lib/postgresql/15/bin  where initdb, pg_ctl, createdb are (default: newest)
#   PG_OS_USER=postgres            run as this system user when started as root (initdb
#                                  refuses root); the state directory is given to it
#
# Authentication is "trust" on loopback: a throwaway server for tests and a laptop, never
# a production database (docs/ledger.md says what to run there).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$HERE/../.." && pwd)"
PG_PORT="${PG_PORT:-55432}"
PG_STATE_DIR="${PG_STATE_DIR:-$REPO_ROOT/var/postgres}"
PG_DATABASE="${PG_DATABASE:-servicepulse}"
PG_USER="${PG_USER:-servicepulse}"
PG_OS_USER="${PG_OS_USER:-postgres}"
DATA="$PG_STATE_DIR/data"
LOG="$PG_STATE_DIR/postgres.log"

say() { printf 'postgres.sh: %s\n' "$*" >&2; }
die() { printf 'postgres.sh: error: %s\n' "$*" >&2; exit 1; }

pg_bin() {
  if [[ -n "${PG_BIN:-}" ]]; then echo "$PG_BIN"; return; fi
  local newest
  newest="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
  if [[ -n "$newest" && -x "$newest/initdb" ]]; then echo "$newest"; return; fi
  if command -v initdb >/dev/null 2>&1; then dirname "$(command -v initdb)"; return; fi
  die "initdb not found (Debian: apt-get install postgresql)"
}

as_owner() {  # run a command as the server's owner: ourselves, or PG_OS_USER under root
  if [[ "$(id -u)" = 0 ]]; then
    setpriv --reuid="$PG_OS_USER" --regid="$PG_OS_USER" --init-groups -- "$@"
  else
    "$@"
  fi
}

url() { echo "postgresql://$PG_USER@127.0.0.1:$PG_PORT/$PG_DATABASE"; }

cmd_start() {
  local bin; bin="$(pg_bin)"
  mkdir -p "$PG_STATE_DIR"
  if [[ "$(id -u)" = 0 ]]; then
    id "$PG_OS_USER" >/dev/null 2>&1 || die "no system user $PG_OS_USER to run PostgreSQL as"
    chown "$PG_OS_USER:" "$PG_STATE_DIR"
  fi
  if [[ ! -f "$DATA/PG_VERSION" ]]; then
    say "initdb in $DATA"
    as_owner "$bin/initdb" -D "$DATA" -U "$PG_USER" --auth=trust --encoding=UTF8 \
      --locale=C.UTF-8 >"$PG_STATE_DIR/initdb.log" 2>&1 \
      || { cat "$PG_STATE_DIR/initdb.log" >&2; die "initdb failed"; }
  fi
  if cmd_status; then
    say "already running on port $PG_PORT"
  else
    as_owner "$bin/pg_ctl" -D "$DATA" -l "$LOG" -w -t 60 start -o \
      "-c listen_addresses=127.0.0.1 -c port=$PG_PORT -c unix_socket_directories=$PG_STATE_DIR -c fsync=${PG_FSYNC:-on}" \
      >/dev/null || { tail -n 20 "$LOG" >&2; die "PostgreSQL did not start (log: $LOG)"; }
  fi
  if ! as_owner "$bin/psql" -h 127.0.0.1 -p "$PG_PORT" -U "$PG_USER" -d postgres -Atqc \
      "SELECT 1 FROM pg_database WHERE datname = '$PG_DATABASE'" | grep -q 1; then
    as_owner "$bin/createdb" -h 127.0.0.1 -p "$PG_PORT" -U "$PG_USER" "$PG_DATABASE"
  fi
  url
}

cmd_stop() {
  local bin; bin="$(pg_bin)"
  [[ -f "$DATA/postmaster.pid" ]] || { say "not running"; return 0; }
  as_owner "$bin/pg_ctl" -D "$DATA" -m fast -w -t 60 stop >/dev/null
}

cmd_status() {
  local bin; bin="$(pg_bin)"
  [[ -f "$DATA/PG_VERSION" ]] && as_owner "$bin/pg_ctl" -D "$DATA" status >/dev/null 2>&1
}

case "${1:-}" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  url) url ;;
  *) die "usage: $0 start|stop|status|url" ;;
esac

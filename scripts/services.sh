#!/usr/bin/env bash
# Starts or stops a private Redis and PostgreSQL on 127.0.0.1, with their data under a folder of the checkout.
#   scripts/services.sh start DIR REDIS_PORT PG_PORT   (DIR e.g. .run or .run/test)
#   scripts/services.sh stop DIR
#   scripts/services.sh stop-redis DIR | start-redis DIR REDIS_PORT
# PostgreSQL: initdb refuses root, so the cluster is owned by and run as the "postgres" user.
# Database "cong" owned by role "cong" (local trust auth on 127.0.0.1 only: a developer/test cluster).
# Starting is idempotent (stores already running are kept) and survives a reboot or a kill -9: a pid file that names
# a dead process, or a live one that is not this store (its PID reused), is stale: never signalled, and removed
# (except the one PostgreSQL clears itself, see drop_stale).
set -euo pipefail

cmd=${1:?usage: services.sh start|stop DIR [REDIS_PORT PG_PORT]}
dir=$(mkdir -p "${2:?DIR}" && cd "$2" && pwd)
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)

as_postgres() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

pid_in() { head -n 1 "$1" 2>/dev/null | tr -dc 0-9 || true; }

# our_pid PIDFILE HOME: prints the PID the file names when that process is alive and is the store living in HOME
# (Redis runs in its --dir, PostgreSQL in its data directory); fails otherwise.
our_pid() {
  local home pid
  home=$(cd "$2" && pwd -P)
  pid=$(pid_in "$1")
  [ -n "$pid" ] && [ "$pid" -gt 0 ] || return 1
  [ "$(readlink "/proc/$pid/cwd" 2>/dev/null)" = "$home" ] || return 1
  echo "$pid"
}

# drop_stale PIDFILE HOME WHAT [MORE_FILES...]: removes the pid file (and the other files named) when it does not
# name our live store. PostgreSQL clears a lock file whose PID is gone by itself (after checking its shared memory),
# so such a file stays; but it refuses one naming any existing process, a zombie included (a kill -9'd store whose
# parent has not reaped it) or, after a reboot, an unrelated process that got the same PID.
drop_stale() {
  local pidfile=$1 home=$2 what=$3 pid state
  shift 3
  [ -f "$pidfile" ] || return 0
  our_pid "$pidfile" "$home" >/dev/null && return 0
  pid=$(pid_in "$pidfile")
  state=$(sed 's/.*) //' "/proc/${pid:-0}/stat" 2>/dev/null | cut -d' ' -f1) || true
  case "$what:$state" in
    postgres:) return 0 ;;
    *:) state="is not running" ;;
    *:Z) state="has exited" ;;
    *) state="is another process" ;;
  esac
  echo "services: $what: stale pid file removed (PID ${pid:-?} $state)" >&2
  rm -f "$pidfile" "$@"
}

start_redis() {
  local port=$1
  mkdir -p "$dir/redis"
  drop_stale "$dir/redis/redis.pid" "$dir/redis" redis
  if our_pid "$dir/redis/redis.pid" "$dir/redis" >/dev/null; then
    redis-cli -h 127.0.0.1 -p "$port" ping >/dev/null 2>&1 && return 0
    echo "services: the redis of $dir runs but does not answer on port $port: restarting it" >&2
    stop_redis
  fi
  redis-server --bind 127.0.0.1 --port "$port" --save '' --appendonly no --daemonize yes \
    --pidfile "$dir/redis/redis.pid" --logfile "$dir/redis/redis.log" --dir "$dir/redis" >/dev/null
  for _ in $(seq 1 50); do
    redis-cli -h 127.0.0.1 -p "$port" ping >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "services: redis did not start on port $port (see $dir/redis/redis.log)" >&2
  return 1
}

stop_redis() {
  local pidfile="$dir/redis/redis.pid" pid
  [ -f "$pidfile" ] || return 0
  if pid=$(our_pid "$pidfile" "$dir/redis"); then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi
  rm -f "$pidfile"
}

start_postgres() {
  local port=$1 data="$dir/pg/data"
  mkdir -p "$dir/pg"
  if [ "$(id -u)" -eq 0 ]; then chown postgres:postgres "$dir/pg"; fi
  if ! as_postgres test -w "$dir/pg"; then
    echo "services: user postgres cannot write $dir/pg (a parent folder is not searchable by it)" >&2
    return 1
  fi
  if [ ! -f "$data/PG_VERSION" ]; then
    as_postgres "$PGBIN/initdb" -D "$data" -U postgres -A trust --encoding=UTF8 --locale=C.UTF-8 >"$dir/pg/initdb.log" 2>&1 \
      || { echo "services: initdb failed (see $dir/pg/initdb.log)" >&2; return 1; }
  fi
  # With the pid file goes the socket's lock file, which names the same PID.
  drop_stale "$data/postmaster.pid" "$data" postgres "$dir"/pg/.s.PGSQL.*.lock
  if ! our_pid "$data/postmaster.pid" "$data" >/dev/null; then
    as_postgres "$PGBIN/pg_ctl" -D "$data" -l "$dir/pg/postgres.log" -w -t 30 \
      -o "-p $port -c listen_addresses=127.0.0.1 -k $dir/pg -c fsync=on -c max_connections=200" start >/dev/null \
      || { echo "services: postgres did not start (see $dir/pg/postgres.log)" >&2; return 1; }
  fi
  local psql=(psql -h 127.0.0.1 -p "$port" -U postgres -d postgres -v ON_ERROR_STOP=1 -qAt)
  if [ "$("${psql[@]}" -c "select 1 from pg_roles where rolname='cong'")" != 1 ]; then
    "${psql[@]}" -c "create role cong login" >/dev/null
  fi
  if [ "$("${psql[@]}" -c "select 1 from pg_database where datname='cong'")" != 1 ]; then
    "${psql[@]}" -c "create database cong owner cong encoding 'UTF8' template template0" >/dev/null
  fi
}

stop_postgres() {
  local data="$dir/pg/data"
  [ -f "$data/postmaster.pid" ] || return 0
  # pg_ctl signals whatever PID the file names: only ours.
  if our_pid "$data/postmaster.pid" "$data" >/dev/null; then
    as_postgres "$PGBIN/pg_ctl" -D "$data" -m fast -w stop >/dev/null 2>&1 || true
  fi
}

case "$cmd" in
  start) start_redis "${3:?REDIS_PORT}"; start_postgres "${4:?PG_PORT}" ;;
  stop) stop_redis; stop_postgres ;;
  start-redis) start_redis "${3:?REDIS_PORT}" ;;
  stop-redis) stop_redis ;;
  *) echo "usage: services.sh start|stop|start-redis|stop-redis DIR [REDIS_PORT PG_PORT]" >&2; exit 2 ;;
esac

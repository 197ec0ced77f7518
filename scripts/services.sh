#!/usr/bin/env bash
# Starts or stops a private Redis and PostgreSQL on 127.0.0.1, with their data under a folder of the checkout.
#   scripts/services.sh start DIR REDIS_PORT PG_PORT   (DIR e.g. .run or .run/test)
#   scripts/services.sh stop DIR
#   scripts/services.sh stop-redis DIR | start-redis DIR REDIS_PORT
# PostgreSQL: initdb refuses root, so the cluster is owned by and run as the "postgres" user.
# Database "cong" owned by role "cong" (local trust auth on 127.0.0.1 only: a developer/test cluster).
set -euo pipefail

cmd=${1:?usage: services.sh start|stop DIR [REDIS_PORT PG_PORT]}
dir=$(mkdir -p "${2:?DIR}" && cd "$2" && pwd)
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)

as_postgres() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start_redis() {
  local port=$1
  mkdir -p "$dir/redis"
  if [ -f "$dir/redis/redis.pid" ] && kill -0 "$(cat "$dir/redis/redis.pid")" 2>/dev/null; then
    return 0
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
  local pidfile="$dir/redis/redis.pid"
  if [ -f "$pidfile" ]; then
    local pid; pid=$(cat "$pidfile")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    rm -f "$pidfile"
  fi
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
  if ! as_postgres "$PGBIN/pg_ctl" -D "$data" status >/dev/null 2>&1; then
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
  if [ -f "$data/postmaster.pid" ]; then
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

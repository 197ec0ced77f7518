# bench/lib.sh — what the bench scripts share. Source it after setting BENCH_NAME (the log prefix).
#   log/die, CPU pinning (servers on the last core, clients on core 0; BENCH_PIN=0 turns it off),
#   stop_pid PID [seconds] (TERM, then KILL), port_busy PORT, on_exit_stop_cong_and_stores (the exit trap).
# shellcheck shell=bash

log() { echo "${BENCH_NAME:-bench}: $*" >&2; }
die() { log "$*"; exit 1; }

CORES=$(nproc)
PIN=${BENCH_PIN:-$([ "$CORES" -ge 2 ] && echo 1 || echo 0)}
if [ "$PIN" = 1 ] && ! command -v taskset >/dev/null; then PIN=0; fi
SERVER_CPU=$((CORES - 1))
server_pin() { if [ "$PIN" = 1 ]; then echo taskset -c "$SERVER_CPU"; fi; }
client_pin() { if [ "$PIN" = 1 ]; then echo taskset -c 0; fi; }

stop_pid() { # PID [seconds]
  local pid=$1 wait_s=${2:-5}
  [ -n "$pid" ] || return 0
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 $((wait_s * 10))); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null || true; fi
  wait "$pid" 2>/dev/null || true
}

port_busy() { ss -Htln "sport = :$1" 2>/dev/null | grep -q .; }

# on_exit_stop_cong_and_stores: on exit (also on failure or Ctrl-C) stop the cong in $CONG_PID and, once
# SERVICES_STARTED=1, the Redis and PostgreSQL that scripts/services.sh started in $DIR. Sets both variables empty/0.
on_exit_stop_cong_and_stores() {
  CONG_PID= SERVICES_STARTED=0
  trap 'rc=$?; stop_pid "$CONG_PID" 10
        if [ "$SERVICES_STARTED" = 1 ]; then bash "$SRC/scripts/services.sh" stop "$DIR" || true; fi
        exit "$rc"' EXIT
  trap 'exit 130' INT TERM
}

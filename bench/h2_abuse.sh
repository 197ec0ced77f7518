#!/usr/bin/env bash
# bench/h2_abuse.sh — issue 5's table: a good HTTP/2 client alone, then while 4 connections send HTTP/2 Rapid Reset
# (CVE-2023-44487: HEADERS(END_STREAM) + RST_STREAM(CANCEL) on fresh streams, 256 pairs per write, as fast as the
# socket accepts; tools/h2_attack.c), against
#   cong                  this checkout's release build (patched static libh2o), 1 worker, GET /healthz
#   HAProxy 2.6           Debian's, nbthread 1, h2c, answering by itself (http-request return)
#   h2o 2.2.5 standalone  Debian's unpatched /usr/bin/h2o (package h2o), 1 thread, serving a small file
# Each server is measured alone and under two attacks: 4 connections that stop once the server closes them, and
# 4 slots that reconnect whenever closed (a persistent attacker); two rounds, the best run of each case is shown.
# The good client connects from 127.0.0.1, each attacking slot from its own address (127.0.0.2, 127.0.0.3, ...): cong
# is measured twice, with its per-address admission (issue 19: the defaults of admission.*) and with it off.
# Prints a markdown table (also .run/bench-abuse/results.md). 127.0.0.1 only; about 2 minutes; everything it starts
# is stopped on exit.
#
# Environment (all optional):
#   CONG_BUILD_DIR        release build to use (default build-release; configured and built when missing)
#   BENCH_DIR             private folder (default .run/bench-abuse)
#   BENCH_ABUSE_DURATION  seconds per h2load run (default 5, at least 2), after a 1 s warm-up per server
#   BENCH_ABUSE_REPEAT    rounds of (alone, 4 conns, 4 conns reconnecting) per server; the best run of each is shown
#                         (default 2: a shared machine's noise only ever lowers a rate)
#   BENCH_CLIENTS, BENCH_STREAMS   good client's h2load -c and -m (default 8 and 8; -t 1)
#   BENCH_ATTACKERS       attacking connections (default 4)
#   BENCH_ABUSE_PORT      first of 3 consecutive ports for cong, HAProxy, h2o (default 16180)
#   BENCH_REDIS_PORT, BENCH_PG_PORT   the stores cong needs to start (default 16393, 15493)
#   BENCH_CONG_ENV        extra settings for cong, e.g. "CONG_SERVER_HTTP2_RESET_BURST=100" (space-separated)
#   BENCH_ONLY            run only these servers (space-separated: cong haproxy h2o; default all three)
#   BENCH_PIN             1 (default with 2+ cores): servers on the last core, h2load and the attacker on core 0
#   BENCH_INSTALL_H2O     1 (default when root): apt-get install Debian's h2o package if /usr/bin/h2o is missing
#                         (for this bench only; not one of cong's dependencies). 0: skip the h2o row instead.
set -euo pipefail

SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH_NAME=bench
# shellcheck source=bench/lib.sh
source "$SRC/bench/lib.sh"
BUILD=${CONG_BUILD_DIR:-$SRC/build-release}
DIR=${BENCH_DIR:-$SRC/.run/bench-abuse}
DURATION=${BENCH_ABUSE_DURATION:-5}
REPEAT=${BENCH_ABUSE_REPEAT:-2}
CLIENTS=${BENCH_CLIENTS:-8}
STREAMS=${BENCH_STREAMS:-8}
ATTACKERS=${BENCH_ATTACKERS:-4}
BASE_PORT=${BENCH_ABUSE_PORT:-16180}
REDIS_PORT=${BENCH_REDIS_PORT:-16393}
PG_PORT=${BENCH_PG_PORT:-15493}
INSTALL_H2O=${BENCH_INSTALL_H2O:-$([ "$(id -u)" -eq 0 ] && echo 1 || echo 0)}
CONG_PORT=$BASE_PORT HAPROXY_PORT=$((BASE_PORT + 1)) H2O_PORT=$((BASE_PORT + 2))

[ "$DURATION" -ge 2 ] || die "BENCH_ABUSE_DURATION must be at least 2"

for tool in h2load haproxy curl cc cmake make awk; do
  command -v "$tool" >/dev/null || die "$tool is not installed (scripts/deps.sh installs everything)"
done
mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)

# ---- processes we start, stopped by PID on exit ------------------------------------------------------------------
SERVER_PID= SAMPLER_PID= SERVICES_STARTED=0 ATTACK_PIDS=()
cleanup() {
  local rc=$? p
  for p in "${ATTACK_PIDS[@]}"; do stop_pid "$p" 2; done
  stop_pid "$SAMPLER_PID" 1
  stop_pid "$SERVER_PID" 10
  if [ "$SERVICES_STARTED" = 1 ]; then bash "$SRC/scripts/services.sh" stop "$DIR" || true; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for p in "$CONG_PORT" "$HAPROXY_PORT" "$H2O_PORT"; do
  port_busy "$p" && die "port $p is already in use (set BENCH_ABUSE_PORT)"
done

# ---- build: cong (release) and the attacker -----------------------------------------------------------------------
if [ ! -x "$BUILD/cong" ]; then
  bash "$SRC/scripts/build-h2o.sh" >&2 # the patched libh2o cong links (fast when built)
  log "building cong (Release) in $BUILD"
  cmake -S "$SRC" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >"$DIR/build.log" 2>&1 || { cat "$DIR/build.log" >&2; die "cmake failed"; }
  cmake --build "$BUILD" -j "$CORES" --target cong >>"$DIR/build.log" 2>&1 || { tail -30 "$DIR/build.log" >&2; die "build failed"; }
fi
ATTACK=$DIR/h2-attack
cc -std=c17 -O2 -Wall -Wextra -Werror -o "$ATTACK" "$SRC/tools/h2_attack.c"

# ---- Debian's h2o, for the unpatched row --------------------------------------------------------------------------
if [ ! -x /usr/bin/h2o ] && [ "$INSTALL_H2O" = 1 ]; then
  log "installing Debian's h2o package (for this bench only)"
  # Its post-install must not start a system-wide h2o on port 80.
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod +x /usr/sbin/policy-rc.d
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends h2o >"$DIR/apt.log" 2>&1 || true
    rm -f /usr/sbin/policy-rc.d
  else
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends h2o >"$DIR/apt.log" 2>&1 || true
  fi
fi

# ---- stores and keys cong needs to start --------------------------------------------------------------------------
bash "$SRC/scripts/make-keys.sh" "$DIR"
SERVICES_STARTED=1
bash "$SRC/scripts/services.sh" start "$DIR" "$REDIS_PORT" "$PG_PORT"

# ---- servers ------------------------------------------------------------------------------------------------------
status_of() { curl -s -o /dev/null -w '%{http_code}' --http2-prior-knowledge --max-time 2 "$1" || true; }
wait_ready() { # URL NAME LOG
  for _ in $(seq 1 150); do
    kill -0 "$SERVER_PID" 2>/dev/null || { cat "$3" >&2; die "$2 exited at start"; }
    [ "$(status_of "$1")" = 200 ] && return 0
    sleep 0.2
  done
  die "$2 is not ready after 30 s (see $3)"
}
start_cong() { # [KEY=VALUE ...]: more settings
  local extra=("$@")
  (
    cd "$SRC"
    exec $(server_pin) env -i PATH="$PATH" \
      CONG_SERVER_BIND=127.0.0.1 CONG_SERVER_H2C_PORT="$CONG_PORT" CONG_SERVER_TLS_PORT=0 CONG_SERVER_WORKERS=1 \
      CONG_SERVER_SHUTDOWN_TIMEOUT_MS=2000 CONG_SERVER_OPENAPI_FILE="$SRC/openapi/cong.yaml" \
      CONG_REDIS_PORT="$REDIS_PORT" CONG_POSTGRES_CONNINFO="host=127.0.0.1 port=$PG_PORT dbname=cong user=cong" \
      CONG_POSTGRES_MIGRATIONS_DIR="$SRC/gateway/migrations" CONG_SERVER_ENVIRONMENT=development CONG_SERVER_ADMIN_PORT=0 CONG_AUTH_PUBLIC_KEY_FILE="$DIR/keys/issuer.pub.pem" \
      CONG_AUTH_ISSUER=https://id.cong.test CONG_AUTH_AUDIENCE=cong CONG_LOG_ACCESS_LOG= CONG_LOG_LEVEL=warn \
      CONG_AUTH_DOCUMENT_SIGNING_KEY_FILE="$DIR/keys/cong-document.pem" \
      CONG_MODULES_AUDIT_SIGNING_KEY_FILE="$DIR/keys/cong-audit.pem" \
      ${BENCH_CONG_ENV:-} "${extra[@]}" "$BUILD/cong"
  ) >"$DIR/cong.log" 2>&1 &
  SERVER_PID=$!
  wait_ready "http://127.0.0.1:$CONG_PORT/healthz" cong "$DIR/cong.log"
  PORT=$CONG_PORT
  URL="http://127.0.0.1:$PORT/healthz"
}
start_haproxy() {
  cat >"$DIR/haproxy.cfg" <<EOF
global
    nbthread 1
    maxconn 4096
    fd-hard-limit 16384
defaults
    mode http
    timeout connect 5s
    timeout client 30s
    timeout server 30s
    timeout http-request 10s
frontend abuse
    bind 127.0.0.1:$HAPROXY_PORT proto h2
    http-request return status 200 content-type text/plain string "ok"
EOF
  haproxy -q -c -f "$DIR/haproxy.cfg" || die "HAProxy refuses $DIR/haproxy.cfg"
  $(server_pin) haproxy -db -f "$DIR/haproxy.cfg" >"$DIR/haproxy.log" 2>&1 &
  SERVER_PID=$!
  wait_ready "http://127.0.0.1:$HAPROXY_PORT/healthz" HAProxy "$DIR/haproxy.log"
  PORT=$HAPROXY_PORT
  URL="http://127.0.0.1:$PORT/healthz"
}
start_h2o() {
  mkdir -p "$DIR/htdocs"
  chmod 755 "$DIR" "$DIR/htdocs"
  echo ok >"$DIR/htdocs/healthz"
  chmod 644 "$DIR/htdocs/healthz"
  cat >"$DIR/h2o.conf" <<EOF
num-threads: 1
listen:
  host: 127.0.0.1
  port: $H2O_PORT
hosts:
  default:
    paths:
      /:
        file.dir: $DIR/htdocs
EOF
  $(server_pin) /usr/bin/h2o -c "$DIR/h2o.conf" >"$DIR/h2o.log" 2>&1 &
  SERVER_PID=$!
  wait_ready "http://127.0.0.1:$H2O_PORT/healthz" h2o "$DIR/h2o.log"
  PORT=$H2O_PORT
  URL="http://127.0.0.1:$PORT/healthz"
}

# ---- measurement --------------------------------------------------------------------------------------------------
rss_kib() { awk '/^VmRSS:/{print $2}' "/proc/$SERVER_PID/status" 2>/dev/null || echo 0; }
# server CPU time (user + system, clock ticks); cpu_pct T0 T1 SECONDS: its share of one core over that time
cpu_ticks() { sed 's/^.*) //' "/proc/$SERVER_PID/stat" 2>/dev/null | awk '{ print $12 + $13 }' || echo 0; }
TICKS=$(getconf CLK_TCK)
cpu_pct() { awk -v a="$1" -v b="$2" -v s="$3" -v t="$TICKS" 'BEGIN { printf "%d%%", 100 * (b - a) / t / s }'; }
# h2load's mean time per request, in ms
mean_ms() {
  awk '/^time for request:/{ v = $6; u = v; sub(/[0-9.]+/, "", u); sub(/[a-z]+$/, "", v)
       f = (u == "us") ? 0.001 : (u == "ms") ? 1 : (u == "s") ? 1000 : 1; printf "%.2f", v * f }' "$1"
}
rps_of() {
  awk '/^finished in/{ for (i = 1; i <= NF; i++) if ($(i + 1) ~ /^req\/s/) { v = $i; sub(/,$/, "", v); r = int(v) } }
       END { print r + 0 }' "$1"
}
req_field() { awk -v w="$1" '/^requests:/{ for (i = 2; i <= NF; i++) if ($i ~ "^" w) { v = $(i - 1); gsub(/,/, "", v); print v } }' "$2"; }
good_client() { # OUT [-D seconds]
  $(client_pin) h2load -c "$CLIENTS" -m "$STREAMS" -t 1 -D "${2:-$DURATION}" "$URL" >"$1" 2>&1 || true
}

# run_case SLUG VARIANT REP: one h2load run (VARIANT alone, once or reconnect: the attackers start 0.5 s before it and
# run through it, one process and one source address per slot); prints "req/s mean_ms failed cpu% conns calm"
run_case() {
  local slug=$1 variant=$2 rep=$3 res="$DIR/$1-$2-$3.h2load" out="$DIR/$1-$2-$3.attack" flags=() t0 t1 i p
  [ "$variant" = reconnect ] && flags=(--reconnect)
  rm -f "$out".*
  if [ "$variant" != alone ]; then
    for i in $(seq 1 "$ATTACKERS"); do
      $(client_pin) nice -n 19 "$ATTACK" --host 127.0.0.1 --source "127.0.$((i / 250)).$((i % 250 + 1))" \
        --port "$PORT" --mode rapid-reset --connections 1 --seconds $((DURATION + 1)) "${flags[@]}" >"$out.$i" 2>&1 &
      ATTACK_PIDS+=($!)
    done
    sleep 0.5
  fi
  t0=$(cpu_ticks)
  good_client "$res"
  t1=$(cpu_ticks)
  for p in "${ATTACK_PIDS[@]}"; do wait "$p" || true; done
  ATTACK_PIDS=()
  local conns=- calm=-
  if [ "$variant" != alone ]; then
    conns=$(cat "$out".* | awk '/^summary/{ for (i = 1; i <= NF; i++) if ($i ~ /^connections=/) { sub(/.*=/, "", $i); n += $i } } END { print n + 0 }')
    calm=$(cat "$out".* | awk '/^summary/{ for (i = 1; i <= NF; i++) if ($i ~ /^calm_goaways=/) { sub(/.*=/, "", $i); n += $i } } END { print n + 0 }')
  fi
  echo "$(rps_of "$res") $(mean_ms "$res") $(req_field failed "$res") $(cpu_pct "$t0" "$t1" "$DURATION") ${conns:--} ${calm:--}"
}

ROWS=()
measure() { # NAME: REPEAT rounds of (alone, once, reconnect), the best run of each case reported
  local name=$1 slug rss_before peak variant rep
  slug=$(echo "$name" | tr -c 'a-zA-Z0-9\n' '_')
  good_client "$DIR/$slug-warmup.h2load" 1
  rss_before=$(rss_kib)
  (while kill -0 "$SERVER_PID" 2>/dev/null; do rss_kib; sleep 0.25; done) >"$DIR/$slug.rss" &
  SAMPLER_PID=$!
  declare -A best=()
  for rep in $(seq 1 "$REPEAT"); do
    for variant in alone once reconnect; do
      log "$name: round $rep, good client $([ "$variant" = alone ] && echo alone || echo "under Rapid Reset ($variant)")"
      local r
      r=$(run_case "$slug" "$variant" "$rep")
      if [ -z "${best[$variant]:-}" ] || [ "${r%% *}" -gt "${best[$variant]%% *}" ]; then best[$variant]=$r; fi
    done
  done
  stop_pid "$SAMPLER_PID" 1
  SAMPLER_PID=
  peak=$(sort -n "$DIR/$slug.rss" | tail -1)
  local alone_rps=${best[alone]%% *}
  for variant in alone once reconnect; do
    local rps mean failed cpu conns calm label pct attackers mem
    read -r rps mean failed cpu conns calm <<<"${best[$variant]}"
    case $variant in
      alone) label=none ;;
      once) label="$ATTACKERS conns" ;;
      reconnect) label="$ATTACKERS conns, reconnecting" ;;
    esac
    pct=$(awk -v a="${rps:-0}" -v b="${alone_rps:-0}" 'BEGIN { if (b > 0) printf "%.1f%%", 100 * a / b; else print "n/a" }')
    if [ "$variant" = alone ]; then attackers="–"; else attackers="$conns opened, $calm GOAWAY(ENHANCE_YOUR_CALM)"; fi
    mem="–"
    [ "$variant" = alone ] && mem="$((rss_before / 1024)) MB before; peak $((${peak:-0} / 1024)) MB; $(($(rss_kib) / 1024)) MB after"
    ROWS+=("| $name | $label | ${rps:-0} | $pct | ${mean:-?} | ${failed:-?} | $cpu | $attackers | $mem |")
  done
}

ONLY=" ${BENCH_ONLY:-cong haproxy h2o} "
if [[ $ONLY == *" cong "* ]]; then
  log "cong on 127.0.0.1:$CONG_PORT (1 worker${BENCH_CONG_ENV:+, $BENCH_CONG_ENV}), per-address admission on"
  start_cong
  measure "cong (patched h2o)"
  stop_pid "$SERVER_PID" 10
  log "cong again, per-address admission off"
  start_cong CONG_ADMISSION_MAX_CONNECTIONS_PER_ADDRESS=0 CONG_ADMISSION_NEW_CONNECTIONS_PER_SECOND=0
  measure "cong, admission off"
  stop_pid "$SERVER_PID" 10
  SERVER_PID=
fi

if [[ $ONLY == *" haproxy "* ]]; then
  log "HAProxy $(haproxy -v | awk 'NR==1{print $3}') on 127.0.0.1:$HAPROXY_PORT"
  start_haproxy
  measure "HAProxy $(haproxy -v | awk 'NR==1{print $3}')"
  stop_pid "$SERVER_PID" 5
  SERVER_PID=
fi

if [[ $ONLY != *" h2o "* ]]; then
  :
elif [ -x /usr/bin/h2o ]; then
  H2O_VERSION=$(dpkg-query -W -f='${Version}' h2o 2>/dev/null || echo "?")
  log "h2o $H2O_VERSION standalone on 127.0.0.1:$H2O_PORT"
  start_h2o
  measure "h2o $H2O_VERSION (Debian, unpatched)"
  stop_pid "$SERVER_PID" 5
  SERVER_PID=
else
  log "no /usr/bin/h2o (Debian package h2o): skipping the unpatched h2o row"
fi

{
  echo "## HTTP/2 Rapid Reset — $(date -u '+%Y-%m-%d %H:%M UTC'), $CORES core(s), $(awk -F': ' '/^model name/{print $2; exit}' /proc/cpuinfo)"
  echo
  echo "Good client: h2load -c $CLIENTS -m $STREAMS -t 1 -D $DURATION, GET /healthz over h2c. Attack: tools/h2_attack.c --mode rapid-reset,"
  echo "$ATTACKERS connections (HEADERS+RST_STREAM pairs, 256 per write, as fast as the socket accepts), started 0.5 s before"
  echo "h2load and running through it (\"4 conns\": they end when the server closes them; \"reconnecting\": each closed one is"
  echo "replaced at once); the good client connects from 127.0.0.1, each attacking slot from its own address (127.0.0.2,"
  echo "127.0.0.3, ...). cong with its per-address admission at the defaults (admission.*: 20 new connections a second"
  echo "per address, 200 at once, 512 open), then without. Each server: 1 thread/worker. $REPEAT rounds of the three cases; the best run of each case is shown"
  echo "(a shared machine's noise only lowers rates)."
  if [ "$PIN" = 1 ]; then echo "Servers pinned to CPU $((CORES - 1)); h2load and the attacker share CPU 0."; else echo "No CPU pinning."; fi
  echo "The attacker runs at nice 19: it takes all the CPU the good client leaves, not the good client's own share, so that"
  echo "the good client's rate reflects the server. \"server CPU\" is the server's use of one core during the good client's run."
  echo "Compare rows of one run: numbers from a shared machine move between runs."
  echo
  echo "| server | attack | good req/s | of alone | mean latency ms | failed | server CPU | attacker connections | server VmRSS (all runs) |"
  echo "| --- | --- | ---: | ---: | ---: | ---: | ---: | --- | --- |"
  printf '%s\n' "${ROWS[@]}"
} | tee "$DIR/results.md"
log "details: $DIR/{results.md,*.h2load,*.attack,*.rss,cong.log,haproxy.log,h2o.log}"

#!/usr/bin/env bash
# bench/run.sh — cong's benchmark (`make bench`). See bench/README.md for what is measured and how to read it.
#
# Sets up a private folder (.run/bench: keys, Redis, PostgreSQL), starts cong (h2c, access log off) and an HAProxy
# baseline that verifies the same ES256 token (bench/haproxy.cfg.in), then measures on 127.0.0.1 only:
#   1. cong's memory per idle HTTP/2 connection: VmRSS before and while bench/h2_idle_conns holds N connections;
#   2. h2load, one bounded run each: (a) cong GET /v1/ping with a bearer token, (b) cong GET /healthz,
#      (c) HAProxy with the same bearer token;
# and prints a markdown table (also saved to .run/bench/results.md). Everything it starts is stopped on exit.
#
# Environment (all optional):
#   CONG_BUILD_DIR        release build to use (default build-release; configured and built when missing)
#   BENCH_DIR             private folder (default .run/bench)
#   BENCH_WORKERS         cong worker threads (default 1)
#   BENCH_DURATION        seconds measured per h2load case (default 8), after BENCH_WARMUP seconds (default 1)
#   BENCH_CLIENTS, BENCH_STREAMS   h2load -c and -m (default 16 and 16)
#   BENCH_IDLE_CONNS      idle connections for the memory test (default 10000), held BENCH_IDLE_HOLD seconds (4)
#   BENCH_CONG_PORT, BENCH_CONG_TLS_PORT, BENCH_HAPROXY_PORT   (default 16080, 16443, 16081)
#   BENCH_REDIS_PORT, BENCH_PG_PORT                            (default 16391, 15491)
#   BENCH_PIN             1 (default when there are 2+ cores): servers on the last core, h2load on core 0
#   BENCH_KEEP_LOGS       1 keeps h2load's per-request logs (.run/bench/h2load-CASE.log)
set -euo pipefail

SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH_NAME=bench
# shellcheck source=bench/lib.sh
source "$SRC/bench/lib.sh"
BUILD=${CONG_BUILD_DIR:-$SRC/build-release}
DIR=${BENCH_DIR:-$SRC/.run/bench}
WORKERS=${BENCH_WORKERS:-1}
DURATION=${BENCH_DURATION:-8}
WARMUP=${BENCH_WARMUP:-1}
CLIENTS=${BENCH_CLIENTS:-16}
STREAMS=${BENCH_STREAMS:-16}
IDLE_CONNS=${BENCH_IDLE_CONNS:-10000}
IDLE_HOLD=${BENCH_IDLE_HOLD:-4}
CONG_PORT=${BENCH_CONG_PORT:-16080}
CONG_TLS_PORT=${BENCH_CONG_TLS_PORT:-16443}
HAPROXY_PORT=${BENCH_HAPROXY_PORT:-16081}
HAPROXY_TLS_PORT=${BENCH_HAPROXY_TLS_PORT:-16444}
REDIS_PORT=${BENCH_REDIS_PORT:-16391}
PG_PORT=${BENCH_PG_PORT:-15491}
ISSUER=https://id.cong.test
AUDIENCE=cong


for tool in h2load haproxy curl cc cmake make awk sort; do
  command -v "$tool" >/dev/null || die "$tool is not installed (scripts/deps.sh installs everything)"
done

mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)

# ---- processes we start, stopped by PID on exit ------------------------------------------------------------------
CONG_PID= HAPROXY_PID= IDLE_PID= SERVICES_STARTED=0
cleanup() {
  local rc=$?
  stop_pid "$IDLE_PID" 2
  stop_pid "$HAPROXY_PID" 5
  stop_pid "$CONG_PID" 10
  if [ "$SERVICES_STARTED" = 1 ]; then bash "$SRC/scripts/services.sh" stop "$DIR" || true; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for p in "$CONG_PORT" "$CONG_TLS_PORT" "$HAPROXY_PORT"; do
  port_busy "$p" && die "port $p is already in use (set BENCH_CONG_PORT / BENCH_CONG_TLS_PORT / BENCH_HAPROXY_PORT)"
done

# ---- build --------------------------------------------------------------------------------------------------------
build() {
  if [ ! -f "$BUILD/CMakeCache.txt" ]; then
    log "configuring a Release build in $BUILD"
    cmake -S "$SRC" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >"$DIR/build.log" 2>&1 || { cat "$DIR/build.log" >&2; return 1; }
  fi
  local type; type=$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$BUILD/CMakeCache.txt")
  [ "$type" = Release ] || log "warning: $BUILD is a '$type' build, not Release: the numbers are not comparable"
  local attempt flags=
  for attempt in 1 2 3 4; do
    make -C "$BUILD" -j"$CORES" cong cong-jwt-mint >"$DIR/make.log" 2>&1 && break
    cat "$DIR/make.log" >>"$DIR/build.log"
    # A warning that -Werror turns into an error (GCC at -O3 warns about more than at -O2): build again with
    # -Wno-error=NAME for each one seen, so that the benchmark can run, and say so. A plain -Wno-error would lose
    # against the project's own -Werror, which comes later on the command line.
    local seen; seen=$(grep -o -- '\[-Werror=[a-z0-9-]*' "$DIR/make.log" | sed 's/\[-Werror=/-Wno-error=/' | sort -u | tr '\n' ' ')
    if [ "$attempt" = 4 ] || [ -z "$seen" ]; then
      tail -30 "$DIR/make.log" >&2
      return 1
    fi
    grep -B2 -A4 -- '\[-Werror=' "$DIR/make.log" | head -12 >&2
    flags="$flags$seen"
    log "warning: the Release build stops on a compiler warning turned into an error (above): building again with"
    log "warning: ${flags% } so that the benchmark can run. The warning itself needs fixing in the source."
    cmake -S "$SRC" -B "$BUILD" -DCMAKE_C_FLAGS="$flags" >>"$DIR/build.log" 2>&1
  done
  cat "$DIR/make.log" >>"$DIR/build.log"
  rm -f "$DIR/make.log"
  mkdir -p "$BUILD/bench"
  cc -O2 -Wall -Wextra -Werror -o "$BUILD/bench/h2_idle_conns" "$SRC/bench/h2_idle_conns.c"
}
: >"$DIR/build.log"
build || die "build failed (see $DIR/build.log)"
IDLE_TOOL=$BUILD/bench/h2_idle_conns

# ---- keys, stores, token ------------------------------------------------------------------------------------------
bash "$SRC/scripts/make-keys.sh" "$DIR"
SERVICES_STARTED=1
bash "$SRC/scripts/services.sh" start "$DIR" "$REDIS_PORT" "$PG_PORT"
TOKEN=$("$BUILD/cong-jwt-mint" --key "$DIR/keys/issuer.key.pem" --iss "$ISSUER" --aud "$AUDIENCE" \
  --sub bench-subject --scope ping --acr 2 --ttl 900)

# ---- file-descriptor limit: the idle test needs one per connection ------------------------------------------------
want=65536
hard=$(ulimit -Hn)
if [ "$hard" != unlimited ] && [ "$hard" -lt "$want" ]; then want=$hard; fi
ulimit -n "$want"
if [ $((want - 256)) -lt "$IDLE_CONNS" ]; then
  log "warning: the open-file limit is $want: holding $((want - 256)) idle connections instead of $IDLE_CONNS"
  IDLE_CONNS=$((want - 256))
fi

# ---- cong ---------------------------------------------------------------------------------------------------------
log "starting cong ($WORKERS worker(s)) on 127.0.0.1:$CONG_PORT (h2c)"
(
  cd "$SRC"
  # A clean environment: no CONG_* setting of the caller's leaks in.
  exec $(server_pin) env -i PATH="$PATH" \
    CONG_SERVER_BIND=127.0.0.1 CONG_SERVER_H2C_PORT="$CONG_PORT" CONG_SERVER_TLS_PORT="$CONG_TLS_PORT" \
    CONG_SERVER_TLS_CERTIFICATE="$DIR/tls/cert.pem" CONG_SERVER_TLS_PRIVATE_KEY="$DIR/tls/key.pem" \
    CONG_SERVER_WORKERS="$WORKERS" CONG_SERVER_SHUTDOWN_TIMEOUT_MS=2000 \
    CONG_SERVER_OPENAPI_FILE="$SRC/openapi/cong.yaml" \
    CONG_REDIS_PORT="$REDIS_PORT" \
    CONG_POSTGRES_CONNINFO="host=127.0.0.1 port=$PG_PORT dbname=cong user=cong" \
    CONG_POSTGRES_MIGRATIONS_DIR="$SRC/gateway/migrations" \
    CONG_SERVER_ENVIRONMENT=development CONG_SERVER_ADMIN_PORT=0 CONG_AUTH_PUBLIC_KEY_FILE="$DIR/keys/issuer.pub.pem" CONG_AUTH_ISSUER="$ISSUER" CONG_AUTH_AUDIENCE="$AUDIENCE" \
    CONG_AUTH_DOCUMENT_SIGNING_KEY_FILE="$DIR/keys/cong-document.pem" \
    CONG_MODULES_AUDIT_SIGNING_KEY_FILE="$DIR/keys/cong-audit.pem" \
    CONG_AUTH_PUBLIC_KEY_PRIVILEGED=1 \
    CONG_LOG_ACCESS_LOG= CONG_LOG_LEVEL=warn \
    CONG_RATE_LIMITS_DEFAULT_PER_MINUTE=1000000000 CONG_RATE_LIMITS_DEFAULT_BURST=10000000 \
    "$BUILD/cong"
) >"$DIR/cong.log" 2>&1 &
CONG_PID=$!

status_of() { # URL [token]
  local auth=()
  [ -n "${2:-}" ] && auth=(-H "authorization: Bearer $2")
  curl -s -o /dev/null -w '%{http_code}' --http2-prior-knowledge --max-time 2 "${auth[@]}" "$1" || true
}
for _ in $(seq 1 150); do
  kill -0 "$CONG_PID" 2>/dev/null || { cat "$DIR/cong.log" >&2; die "cong exited at start (log above)"; }
  [ "$(status_of "http://127.0.0.1:$CONG_PORT/readyz")" = 200 ] && break
  sleep 0.2
done
[ "$(status_of "http://127.0.0.1:$CONG_PORT/readyz")" = 200 ] || die "cong is not ready after 30 s (see $DIR/cong.log)"

# ---- HAProxy ------------------------------------------------------------------------------------------------------
cp "$SRC/bench/haproxy.cfg.in" "$DIR/haproxy.cfg"
cat "$DIR/tls/cert.pem" "$DIR/tls/key.pem" >"$DIR/tls/haproxy.pem"
export HAPROXY_TLS_PORT HAPROXY_TLS_PEM="$DIR/tls/haproxy.pem"
export HAPROXY_PORT ISSUER_PUBLIC_KEY="$DIR/keys/issuer.pub.pem" TOKEN_ISSUER="$ISSUER" TOKEN_AUDIENCE="$AUDIENCE"
haproxy -q -c -f "$DIR/haproxy.cfg" || die "HAProxy refuses $DIR/haproxy.cfg"
log "starting HAProxy $(haproxy -v | awk 'NR==1{print $3}') on 127.0.0.1:$HAPROXY_PORT (h2c)"
$(server_pin) haproxy -db -f "$DIR/haproxy.cfg" >"$DIR/haproxy.log" 2>&1 &
HAPROXY_PID=$!
for _ in $(seq 1 50); do
  [ "$(status_of "http://127.0.0.1:$HAPROXY_PORT/" "$TOKEN")" = 200 ] && break
  kill -0 "$HAPROXY_PID" 2>/dev/null || { cat "$DIR/haproxy.log" >&2; die "HAProxy exited at start"; }
  sleep 0.1
done

# ---- sanity: both answer 200 with the token and 401 without it ----------------------------------------------------
check() { # name expected actual
  [ "$2" = "$3" ] || die "sanity check failed: $1 answered $3, expected $2"
}
check "cong /v1/ping with token" 200 "$(status_of "http://127.0.0.1:$CONG_PORT/v1/ping" "$TOKEN")"
check "cong /v1/ping without token" 401 "$(status_of "http://127.0.0.1:$CONG_PORT/v1/ping")"
check "cong /v1/ping with a bad token" 401 "$(status_of "http://127.0.0.1:$CONG_PORT/v1/ping" "${TOKEN}x")"
check "cong /healthz" 200 "$(status_of "http://127.0.0.1:$CONG_PORT/healthz")"
check "haproxy with token" 200 "$(status_of "http://127.0.0.1:$HAPROXY_PORT/" "$TOKEN")"
check "haproxy without token" 401 "$(status_of "http://127.0.0.1:$HAPROXY_PORT/")"
check "haproxy with a bad token" 401 "$(status_of "http://127.0.0.1:$HAPROXY_PORT/" "${TOKEN}x")"

# ---- 1. memory per idle HTTP/2 connection (on the fresh process, before any load) -------------------------------
rss_kib() { awk '/^VmRSS:/{print $2}' "/proc/$CONG_PID/status"; }
fd_count() { ls "/proc/$CONG_PID/fd" 2>/dev/null | wc -l; }
sleep 0.5
RSS_BEFORE=$(rss_kib)
FD_BEFORE=$(fd_count)
log "idle test: $IDLE_CONNS HTTP/2 connections held ${IDLE_HOLD}s (cong VmRSS before: $RSS_BEFORE KiB)"
$(client_pin) "$IDLE_TOOL" -p "$CONG_PORT" -n "$IDLE_CONNS" -s "$IDLE_HOLD" >"$DIR/idle.log" 2>&1 &
IDLE_PID=$!
for _ in $(seq 1 600); do
  grep -q '^ready' "$DIR/idle.log" && break
  kill -0 "$IDLE_PID" 2>/dev/null || break
  sleep 0.1
done
grep -q '^ready' "$DIR/idle.log" || { cat "$DIR/idle.log" >&2; die "the idle-connection tool did not get ready"; }
sleep 1
RSS_DURING=0
FD_DURING=$(fd_count)
for _ in 1 2 3; do
  r=$(rss_kib)
  [ "$r" -gt "$RSS_DURING" ] && RSS_DURING=$r
  sleep 0.5
done
IDLE_RC=0
wait "$IDLE_PID" || IDLE_RC=$?
IDLE_PID=
HELD=$(sed -n 's/^done: held \([0-9]*\) of.*/\1/p' "$DIR/idle.log")
HELD=${HELD:-0}
if [ "$IDLE_RC" -ne 0 ] || [ "$HELD" -eq 0 ]; then
  log "warning: not every idle connection stayed open:"
  cat "$DIR/idle.log" >&2
fi
KIB_PER_CONN=$(awk -v a="$RSS_BEFORE" -v b="$RSS_DURING" -v n="$HELD" 'BEGIN{ if (n > 0) printf "%.1f", (b - a) / n; else print "n/a" }')

# ---- 2. load: h2load, one bounded run per case -------------------------------------------------------------------
declare -A RPS P50 P99 NON2XX DONE
run_case() { # name url [token]
  local name=$1 url=$2 token=${3:-} out="$DIR/h2load-$1.txt" reqlog="$DIR/h2load-$1.log"
  local hdr=()
  [ -n "$token" ] && hdr=(-H "authorization: Bearer $token")
  log "h2load $name: $url (${DURATION}s after ${WARMUP}s warm-up, -c $CLIENTS -m $STREAMS -t 1)"
  rm -f "$reqlog"
  $(client_pin) h2load -D "$DURATION" --warm-up-time="$WARMUP" -c "$CLIENTS" -m "$STREAMS" -t 1 \
    --log-file="$reqlog" "${hdr[@]}" "$url" >"$out" 2>&1 || { cat "$out" >&2; die "h2load $name failed"; }
  RPS[$name]=$(awk '/^finished in/{ for (i = 1; i <= NF; i++) if ($(i+1) ~ /^req\/s/) { v = $i; sub(/,$/, "", v); print v } }' "$out")
  DONE[$name]=$(awk '/^requests:/{ for (i = 1; i <= NF; i++) if ($(i+1) ~ /^done/) print $i }' "$out")
  # Everything that did not end in a 2xx: 3xx/4xx/5xx answers and requests that failed without one.
  NON2XX[$name]=$(awk '/^requests:/{ for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^errored/) e = $i; if ($(i+1) ~ /^timeout/) t = $i } }
                       /^status codes:/{ s = $5 + $7 + $9 }
                       END { print s + e + t }' "$out")
  # Percentiles (nearest rank) of the per-request times in the log file: column 3, microseconds.
  read -r P50["$name"] P99["$name"] < <(awk -F'\t' '{ print $3 }' "$reqlog" | sort -n |
    awk '{ v[NR] = $1 } END { if (NR == 0) { print "n/a n/a"; exit }
           i50 = int(NR * 0.50); if (i50 < NR * 0.50) i50++; i99 = int(NR * 0.99); if (i99 < NR * 0.99) i99++;
           printf "%.2f %.2f\n", v[i50] / 1000, v[i99] / 1000 }')
  # One line per request (tens of MB for a fast case): kept only when asked.
  [ "${BENCH_KEEP_LOGS:-0}" = 1 ] || rm -f "$reqlog"
}
run_case cong_ping "http://127.0.0.1:$CONG_PORT/v1/ping" "$TOKEN"
run_case cong_healthz "http://127.0.0.1:$CONG_PORT/healthz"
run_case haproxy "http://127.0.0.1:$HAPROXY_PORT/" "$TOKEN"
CONG_FDS_AFTER=$(fd_count)

# ---- report -------------------------------------------------------------------------------------------------------
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{ if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
{
  echo "## cong bench — $(date -u '+%Y-%m-%d %H:%M UTC'), $(uname -m), $CORES core(s), $(awk -F': ' '/^model name/{print $2; exit}' /proc/cpuinfo)"
  echo
  echo "cong: $WORKERS worker(s); HAProxy $(haproxy -v | awk 'NR==1{print $3}'): nbthread 1; h2load: -c $CLIENTS -m $STREAMS -t 1, ${DURATION}s after ${WARMUP}s warm-up, h2c prior knowledge;"
  if [ "$PIN" = 1 ]; then echo "servers pinned to CPU $SERVER_CPU, h2load to CPU 0."; else echo "no CPU pinning."; fi
  echo
  echo "| case | req/s | p50 ms | p99 ms | non-2xx |"
  echo "| --- | ---: | ---: | ---: | ---: |"
  for c in cong_ping cong_healthz haproxy; do
    echo "| $c | ${RPS[$c]} | ${P50[$c]} | ${P99[$c]} | ${NON2XX[$c]} |"
  done
  echo
  echo "- cong_ping / haproxy: $(ratio "${RPS[cong_ping]}" "${RPS[haproxy]}")"
  echo "- cong_healthz / haproxy: $(ratio "${RPS[cong_healthz]}" "${RPS[haproxy]}")"
  echo
  echo "| idle HTTP/2 connections | VmRSS before | VmRSS holding them | KiB per connection (target ≤ 64) |"
  echo "| ---: | ---: | ---: | ---: |"
  echo "| $HELD of $IDLE_CONNS | $RSS_BEFORE KiB | $RSS_DURING KiB | $KIB_PER_CONN |"
  echo
  echo "cong open fds: $FD_BEFORE before the idle test, $FD_DURING while holding, $CONG_FDS_AFTER after the load runs."
} | tee "$DIR/results.md"
log "details: $DIR/{results.md,h2load-*.txt,idle.log,cong.log,haproxy.log,build.log}"

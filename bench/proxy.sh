#!/usr/bin/env bash
# bench/proxy.sh — partners' upstreams (issue 16): what cong's JWT authentication + proxy costs, side by side in one
# run with HAProxy doing the same (jwt_verify + proxy) and HAProxy proxying without authentication, all three to the
# same upstream (`make bench-proxy`; bench/README.md says how to read it).
#
#   cong          1 worker; GET /v1/partners/bench/ping: the bearer token checked (ES256, iss, aud, exp, the route's
#                 scope), identity headers stripped, cong's own ES256 token for the partner minted and added, the
#                 request sent on HTTP/1.1 keep-alive (h2o's HTTP/1 client, gateway/upstream/proxy_h1.c) to the
#                 upstream, the answer streamed back;
#   haproxy_jwt   HAProxy 2.6, nbthread 1: jwt_verify and the claims checks of bench/haproxy.cfg.in, then the proxy;
#   haproxy       the same HAProxy, front end without any check: the bar (target: cong ≥ 0.9 × it).
# The upstream is another HAProxy (nbthread 1) answering a fixed reply by itself (bench/proxy-upstream.cfg.in).
#
# Phases, each BENCH_DURATION seconds after BENCH_WARMUP: (1) saturation, h2load -c CLIENTS -m STREAMS -t 1, req/s and
# the CPU each proxy and the upstream used over the measured window (a proxy near 100 % is the bottleneck; the upstream
# should be far below), and the proxy's CPU µs per request: on a busy shared machine no process gets a whole core, and
# the cost per request is the figure that stays comparable;
# (2) open loop: h2load --rps at a fixed offered rate, p50/p99 from each request's time (--log-file): at half the
# slowest case's saturated rate for all three, and at half the slower of cong and haproxy for those two.
#
# Pinning (BENCH_PIN, default on with 2+ cores): the proxy under test on the last core; h2load and the upstream on
# core 0 (the upstream costs little; its CPU is reported). Environment (all optional):
#   CONG_BUILD_DIR (build-release), CONG_BENCH_BIN (the cong under test; default CONG_BUILD_DIR/cong: another binary,
#   e.g. a copy of the previous build, compares before and after in one session), BENCH_DIR (.run/bench-proxy),
#   BENCH_DURATION (8), BENCH_WARMUP (1), BENCH_OPEN_RATE (the open loop's offered req/s for all three cases instead
#   of half the saturated rates: the same in two runs, their p99s compare),
#   BENCH_CLIENTS (16), BENCH_STREAMS (16), PROXYBENCH_PORT_BASE (18000: cong 18080, haproxy jwt 18081, haproxy
#   plain 18082, upstream 18083, cong TLS 18443, Redis 18391, PostgreSQL 18491), BENCH_REDIS_PORT and BENCH_PG_PORT
#   (the stores' ports, when they must be others).
set -euo pipefail

SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH_NAME=bench-proxy
# shellcheck source=bench/lib.sh
source "$SRC/bench/lib.sh"
BUILD=${CONG_BUILD_DIR:-$SRC/build-release}
CONG_BIN=${CONG_BENCH_BIN:-$BUILD/cong}
DIR=${BENCH_DIR:-$SRC/.run/bench-proxy}
DURATION=${BENCH_DURATION:-8}
WARMUP=${BENCH_WARMUP:-1}
CLIENTS=${BENCH_CLIENTS:-16}
STREAMS=${BENCH_STREAMS:-16}
PB=${PROXYBENCH_PORT_BASE:-18000}
CONG_PORT=$((PB + 80)) JWT_PORT=$((PB + 81)) PLAIN_PORT=$((PB + 82)) UPSTREAM_PORT=$((PB + 83))
CONG_TLS_PORT=$((PB + 443)) REDIS_PORT=${BENCH_REDIS_PORT:-$((PB + 391))} PG_PORT=${BENCH_PG_PORT:-$((PB + 491))}
ISSUER=https://id.cong.test
AUDIENCE=cong
CLK_TCK=$(getconf CLK_TCK)

for tool in h2load haproxy curl cmake awk sort; do
  command -v "$tool" >/dev/null || die "$tool is not installed (scripts/deps.sh installs everything)"
done
mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)

CONG_PID= HAPROXY_PID= UPSTREAM_PID= SERVICES_STARTED=0
cleanup() {
  local rc=$?
  stop_pid "$HAPROXY_PID" 5
  stop_pid "$UPSTREAM_PID" 5
  stop_pid "$CONG_PID" 10
  if [ "$SERVICES_STARTED" = 1 ]; then bash "$SRC/scripts/services.sh" stop "$DIR" || true; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for p in "$CONG_PORT" "$CONG_TLS_PORT" "$JWT_PORT" "$PLAIN_PORT" "$UPSTREAM_PORT" "$REDIS_PORT" "$PG_PORT"; do
  port_busy "$p" && die "port $p is already in use (set PROXYBENCH_PORT_BASE)"
done

# ---- build (the Release build: make bench builds it first) -------------------------------------------------------
if [ ! -f "$BUILD/CMakeCache.txt" ]; then
  log "configuring a Release build in $BUILD"
  cmake -S "$SRC" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >"$DIR/build.log" 2>&1 || { cat "$DIR/build.log" >&2; exit 1; }
fi
[ "$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$BUILD/CMakeCache.txt")" = Release ] ||
  log "warning: $BUILD is not a Release build: the numbers are not comparable"
cmake --build "$BUILD" -j "$CORES" --target cong cong-jwt-mint >"$DIR/build.log" 2>&1 || { tail -30 "$DIR/build.log" >&2; exit 1; }

# ---- keys, stores, token ------------------------------------------------------------------------------------------
bash "$SRC/scripts/make-keys.sh" "$DIR"
SERVICES_STARTED=1
bash "$SRC/scripts/services.sh" start "$DIR" "$REDIS_PORT" "$PG_PORT"
TOKEN=$("$BUILD/cong-jwt-mint" --key "$DIR/keys/issuer.key.pem" --iss "$ISSUER" --aud "$AUDIENCE" \
  --sub bench-subject --scope "bench.read profile" --acr 2 --ttl 900)

# ---- the upstream -------------------------------------------------------------------------------------------------
export UPSTREAM_PORT PROXY_JWT_PORT=$JWT_PORT PROXY_PLAIN_PORT=$PLAIN_PORT
export ISSUER_PUBLIC_KEY="$DIR/keys/issuer.pub.pem" TOKEN_ISSUER="$ISSUER" TOKEN_AUDIENCE="$AUDIENCE"
haproxy -q -c -f "$SRC/bench/proxy-upstream.cfg.in" || die "HAProxy refuses bench/proxy-upstream.cfg.in"
haproxy -q -c -f "$SRC/bench/proxy-haproxy.cfg.in" || die "HAProxy refuses bench/proxy-haproxy.cfg.in"
$(client_pin) haproxy -db -f "$SRC/bench/proxy-upstream.cfg.in" >"$DIR/upstream.log" 2>&1 &
UPSTREAM_PID=$!
for _ in $(seq 1 50); do
  [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "http://127.0.0.1:$UPSTREAM_PORT/" || true)" = 200 ] && break
  kill -0 "$UPSTREAM_PID" 2>/dev/null || { cat "$DIR/upstream.log" >&2; die "the upstream HAProxy exited at start"; }
  sleep 0.1
done

# ---- cong: one worker, one upstream, one partner route ------------------------------------------------------------
cat >"$DIR/cong.yaml" <<YAML
upstreams:
  - name: bench-up
    targets: [{address: "127.0.0.1:$UPSTREAM_PORT"}]
    protocol: http1
    limits: {max_concurrent: 4096, max_queued: 0}
    partner: {name: bench, scopes: [bench.read]}
partner_routes:
  - {method: GET, path: "/v1/partners/bench/ping", upstream: bench-up, scopes: [bench.read]}
YAML
log "starting cong (1 worker) on 127.0.0.1:$CONG_PORT (h2c)"
(
  cd "$SRC"
  exec $(server_pin) env -i PATH="$PATH" \
    CONG_SERVER_BIND=127.0.0.1 CONG_SERVER_H2C_PORT="$CONG_PORT" CONG_SERVER_TLS_PORT="$CONG_TLS_PORT" \
    CONG_SERVER_TLS_CERTIFICATE="$DIR/tls/cert.pem" CONG_SERVER_TLS_PRIVATE_KEY="$DIR/tls/key.pem" \
    CONG_SERVER_WORKERS=1 CONG_SERVER_SHUTDOWN_TIMEOUT_MS=2000 CONG_SERVER_OPENAPI_FILE="$SRC/openapi/cong.yaml" \
    CONG_REDIS_PORT="$REDIS_PORT" CONG_POSTGRES_CONNINFO="host=127.0.0.1 port=$PG_PORT dbname=cong user=cong" \
    CONG_POSTGRES_MIGRATIONS_DIR="$SRC/gateway/migrations" \
    CONG_SERVER_ENVIRONMENT=development CONG_SERVER_ADMIN_PORT=0 \
    CONG_AUTH_PUBLIC_KEY_FILE="$DIR/keys/issuer.pub.pem" CONG_AUTH_ISSUER="$ISSUER" CONG_AUTH_AUDIENCE="$AUDIENCE" \
    CONG_AUTH_PUBLIC_KEY_PRIVILEGED=1 CONG_AUTH_SIGNING_KEY_FILE="$DIR/keys/cong-signing.pem" \
    CONG_AUTH_SUBJECT_SECRET_FILE="$DIR/keys/subject-secret" \
    CONG_AUTH_DOCUMENT_SIGNING_KEY_FILE="$DIR/keys/cong-document.pem" \
    CONG_MODULES_AUDIT_SIGNING_KEY_FILE="$DIR/keys/cong-audit.pem" \
    CONG_LOG_ACCESS_LOG= CONG_LOG_LEVEL=warn \
    CONG_RATE_LIMITS_DEFAULT_PER_MINUTE=1000000000 CONG_RATE_LIMITS_DEFAULT_BURST=10000000 \
    "$CONG_BIN" --config "$DIR/cong.yaml"
) >"$DIR/cong.log" 2>&1 &
CONG_PID=$!

log "starting HAProxy $(haproxy -v | awk 'NR==1{print $3}') on 127.0.0.1:$JWT_PORT (jwt) and :$PLAIN_PORT (plain)"
$(server_pin) haproxy -db -f "$SRC/bench/proxy-haproxy.cfg.in" >"$DIR/haproxy.log" 2>&1 &
HAPROXY_PID=$!

status_of() { # URL [token]
  curl -s -o /dev/null -w '%{http_code}' --http2-prior-knowledge --max-time 2 ${2:+-H "authorization: Bearer $2"} "$1" ||
    true
}
CONG_URL="http://127.0.0.1:$CONG_PORT/v1/partners/bench/ping"
JWT_URL="http://127.0.0.1:$JWT_PORT/ping"
PLAIN_URL="http://127.0.0.1:$PLAIN_PORT/ping"
for _ in $(seq 1 150); do
  kill -0 "$CONG_PID" 2>/dev/null || { cat "$DIR/cong.log" >&2; die "cong exited at start (log above)"; }
  [ "$(status_of "$CONG_URL" "$TOKEN")" = 200 ] && [ "$(status_of "$PLAIN_URL")" = 200 ] && break
  sleep 0.2
done

# ---- sanity: each answers 200 with the token (from the upstream), the authenticating ones 401 without or with a bad one
check() { [ "$2" = "$3" ] || die "sanity check failed: $1 answered $3, expected $2"; }
for c in "cong $CONG_URL" "haproxy_jwt $JWT_URL"; do
  read -r name u <<<"$c"
  check "$name with the token" 200 "$(status_of "$u" "$TOKEN")"
  check "$name without a token" 401 "$(status_of "$u")"
  check "$name with a bad token" 401 "$(status_of "$u" "${TOKEN}x")"
done
check "haproxy (plain)" 200 "$(status_of "$PLAIN_URL")"
check "the upstream answers through cong" '{"pong":"upstream"}' \
  "$(curl -s --http2-prior-knowledge --max-time 2 -H "authorization: Bearer $TOKEN" "$CONG_URL")"

# ---- load ---------------------------------------------------------------------------------------------------------
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
declare -A URL_OF=([cong]=$CONG_URL [haproxy_jwt]=$JWT_URL [haproxy]=$PLAIN_URL)
declare -A PID_OF=([cong]=$CONG_PID [haproxy_jwt]=$HAPROXY_PID [haproxy]=$HAPROXY_PID)
declare -A RPS NON2XX CPU CPU_US UP_CPU OL_P50 OL_P99 OL_BAD OL_DONE
# h2load_run NAME OUT KEY [h2load options...]: h2load at NAME's proxy. The proxy's and the upstream's CPU time is
# sampled over the measured window (after the warm-up): CPU[KEY] and UP_CPU[KEY] in percent of a core, CPU_US[KEY] the
# proxy's CPU microseconds per request answered — on a shared machine, where a process gets only its share of a core,
# the cost per request is what stays comparable.
h2load_run() {
  local name=$1 out=$2 key=$3; shift 3
  local hdr=() pid p0 u0 done_
  [ "$name" = haproxy ] || hdr=(-H "authorization: Bearer $TOKEN")
  $(client_pin) timeout $((DURATION + WARMUP + 20)) h2load -D "$DURATION" --warm-up-time="$WARMUP" -c "$CLIENTS" \
    -m "$STREAMS" -t 1 "$@" "${hdr[@]}" "${URL_OF[$name]}" >"$out" 2>&1 &
  pid=$!
  sleep "$WARMUP"
  p0=$(cpu_ticks "${PID_OF[$name]}") u0=$(cpu_ticks "$UPSTREAM_PID")
  wait "$pid" || { cat "$out" >&2; die "h2load $key failed"; }
  p0=$(($(cpu_ticks "${PID_OF[$name]}") - p0)) u0=$(($(cpu_ticks "$UPSTREAM_PID") - u0))
  done_=$(awk '/^requests:/{ for (i = 1; i <= NF; i++) if ($(i+1) ~ /^succeeded/) print $i }' "$out")
  CPU[$key]=$(awk -v t="$p0" -v hz="$CLK_TCK" -v d="$DURATION" 'BEGIN{ printf "%.0f", t / hz / d * 100 }')
  UP_CPU[$key]=$(awk -v t="$u0" -v hz="$CLK_TCK" -v d="$DURATION" 'BEGIN{ printf "%.0f", t / hz / d * 100 }')
  CPU_US[$key]=$(awk -v t="$p0" -v hz="$CLK_TCK" -v n="${done_:-0}" 'BEGIN{ if (n > 0) printf "%.0f", t / hz * 1e6 / n; else print "n/a" }')
}
saturate() { # name
  local out="$DIR/h2load-$1.txt"
  log "saturation $1: ${URL_OF[$1]}"
  h2load_run "$1" "$out" "$1"
  RPS[$1]=$(awk '/^finished in/{ for (i = 1; i <= NF; i++) if ($(i+1) ~ /^req\/s/) { v = $i; sub(/,$/, "", v); print v } }' "$out")
  NON2XX[$1]=$(awk '/^requests:/{ for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^errored/) e = $i; if ($(i+1) ~ /^timeout/) t = $i } }
                    /^status codes:/{ s = $5 + $7 + $9 } END { print s + e + t }' "$out")
}
open_loop() { # name rate (req/s offered in total)
  local key="$1@$2" per_conn out="$DIR/open-$1-$2.txt" lf="$DIR/open-$1-$2.log"
  per_conn=$(( $2 / CLIENTS > 0 ? $2 / CLIENTS : 1 ))
  log "open loop $1: $((per_conn * CLIENTS)) req/s offered"
  rm -f "$lf"
  h2load_run "$1" "$out" "$key" --rps="$per_conn" --log-file="$lf"
  read -r OL_P50["$key"] OL_P99["$key"] < <(awk '{ print $3 }' "$lf" | sort -n | awk '
    { v[NR] = $1 } END { if (NR == 0) { print "n/a n/a"; exit }
      printf "%.2f %.2f\n", v[int(NR * 0.5) + 1] / 1000, v[int(NR * 0.99) + 1] / 1000 }')
  OL_BAD[$key]=$(awk '$2 !~ /^2/ { n++ } END { print n + 0 }' "$lf")
  OL_DONE[$key]=$(wc -l <"$lf")
  rm -f "$lf"
}
# The bar and the measured side back to back, so that a slow spell of the shared machine falls on both.
saturate cong
saturate haproxy
saturate haproxy_jwt
min_rate() { printf '%s\n' "$@" | sort -g | head -1 | awk '{ printf "%d", $1 * 0.5 }'; }
LOW=$(min_rate "${RPS[cong]}" "${RPS[haproxy]}" "${RPS[haproxy_jwt]}")
HIGH=$(min_rate "${RPS[cong]}" "${RPS[haproxy]}")
LOW=$(( LOW / CLIENTS * CLIENTS )) HIGH=$(( HIGH / CLIENTS * CLIENTS ))
# A rate of one's choosing (BENCH_OPEN_RATE) for all three: p99s comparable between runs (before/after a change)
if [ -n "${BENCH_OPEN_RATE:-}" ]; then LOW=$(( BENCH_OPEN_RATE / CLIENTS * CLIENTS )) HIGH=$LOW; fi
for name in cong haproxy haproxy_jwt; do open_loop "$name" "$LOW"; done
[ "$HIGH" = "$LOW" ] || for name in cong haproxy; do open_loop "$name" "$HIGH"; done

# ---- report -------------------------------------------------------------------------------------------------------
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{ if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
{
  echo "## cong proxy bench — $(date -u '+%Y-%m-%d %H:%M UTC'), $(uname -m), $CORES core(s), $(awk -F': ' '/^model name/{print $2; exit}' /proc/cpuinfo)"
  echo
  echo "cong ($CONG_BIN): 1 worker, JWT (ES256) + its own ES256 token for the partner (minted, or reused within 30 s) + proxy; HAProxy $(haproxy -v | awk 'NR==1{print $3}'): nbthread 1;"
  echo "upstream: HAProxy nbthread 1, fixed reply, HTTP/1.1 keep-alive. h2load -c $CLIENTS -m $STREAMS -t 1, ${DURATION}s after ${WARMUP}s warm-up, h2c."
  if [ "$PIN" = 1 ]; then echo "Proxies on CPU $SERVER_CPU; h2load and the upstream on CPU 0."; else echo "No CPU pinning."; fi
  echo
  echo "| case | req/s (saturated) | non-2xx | proxy CPU % | proxy CPU µs / request | upstream CPU % |"
  echo "| --- | ---: | ---: | ---: | ---: | ---: |"
  for c in cong haproxy_jwt haproxy; do
    echo "| $c | ${RPS[$c]} | ${NON2XX[$c]} | ${CPU[$c]} | ${CPU_US[$c]} | ${UP_CPU[$c]} |"
  done
  echo
  echo "- cong / haproxy (no auth): **$(ratio "${RPS[cong]}" "${RPS[haproxy]}")** (target ≥ 0.90)"
  echo "- cong / haproxy_jwt: $(ratio "${RPS[cong]}" "${RPS[haproxy_jwt]}")"
  echo "- haproxy_jwt / haproxy: $(ratio "${RPS[haproxy_jwt]}" "${RPS[haproxy]}")"
  echo "- per core (CPU per request, haproxy's / cong's): cong / haproxy $(ratio "${CPU_US[haproxy]}" "${CPU_US[cong]}"), cong / haproxy_jwt $(ratio "${CPU_US[haproxy_jwt]}" "${CPU_US[cong]}")"
  echo
  echo "Open loop (h2load --rps over $CLIENTS connections; each request timed):"
  echo
  echo "| case | offered req/s | done | p50 ms | p99 ms | non-2xx | proxy CPU % |"
  echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
  keys=("cong@$LOW" "haproxy_jwt@$LOW" "haproxy@$LOW")
  [ "$HIGH" = "$LOW" ] || keys+=("cong@$HIGH" "haproxy@$HIGH")
  for k in "${keys[@]}"; do
    echo "| ${k%@*} | ${k#*@} | ${OL_DONE[$k]} | ${OL_P50[$k]} | ${OL_P99[$k]} | ${OL_BAD[$k]} | ${CPU[$k]} |"
  done
  echo
  echo "- p99 at $LOW req/s: cong / haproxy $(ratio "${OL_P99[cong@$LOW]}" "${OL_P99[haproxy@$LOW]}"), cong / haproxy_jwt $(ratio "${OL_P99[cong@$LOW]}" "${OL_P99[haproxy_jwt@$LOW]}")"
  [ "$HIGH" = "$LOW" ] || echo "- p99 at $HIGH req/s: cong / haproxy $(ratio "${OL_P99[cong@$HIGH]}" "${OL_P99[haproxy@$HIGH]}")"
} | tee "$DIR/results.md"
log "details: $DIR/{results.md,h2load-*.txt,open-*.txt,cong.log,haproxy.log,upstream.log}"

#!/usr/bin/env bash
# bench/identity.sh — the identity bench of issue 3 (see bench/README.md, "Identity bench"). One run measures, on
# 127.0.0.1 only, one cong worker and HAProxy nbthread 1 (servers pinned to the last core, clients to core 0):
#   known       cong GET /v1/ping with one token (verified once, then cached), rate limiter on (never refusing)
#   known_timed the same load from bench/h2_token_load.c --repeat, which times each request (p50/p99); HAProxy too
#   known_nolim the same with CONG_RATE_LIMITS_ENABLED=0 (the limiter's Redis round trip is the difference)
#   healthz     cong GET /healthz, no token, limiter on and off
#   first_seen  cong GET /v1/ping with a different, never seen token on every request (bench/h2_token_load.c)
#   haproxy     HAProxy jwt_verify (bench/haproxy.cfg.in) with the known token, right after each known-token run
#   openssl     `openssl speed -elapsed -seconds 3 ecdsap256`: raw EVP ES256 verifications/s on the server core, just
#               before and just after first_seen (their mean is the ratio's denominator)
#   revocation  two cong instances sharing one Redis: delay from `cong client revoke` to 401 on the other instance
#   tls         cong and HAProxy, the known token over TLS (ALPN h2: what the app's connections do), back to back
#   open loop   latency at a fixed offered rate, 50% of the maximum measured just before in the same run (h2load
#               --rps, each request's time from its --log-file): p50/p99/p99.9 of the known-token path and of a
#               PostgreSQL-backed read (GET /v1/dossiers). At saturation (32 × 16 in flight) the mean latency is only
#               512 ÷ throughput (Little's law), so only these open-loop figures say anything about latency.
# h2load: -c 32 -m 16 -t 1 -D 8 --warm-up-time=1. Prints a markdown table (also .run/idbench/results.md).
# Environment: CONG_BUILD_DIR (default build-release), IDBENCH_DIR (default .run/idbench), IDBENCH_DURATION (8),
# IDBENCH_PORT_BASE (17000: cong 17080, HAProxy 17081, cong B 17082, Redis 17391, PostgreSQL 17491, TLS 17443/17444,
# HAProxy TLS 17445).
set -euo pipefail

SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH_NAME=idbench
# shellcheck source=bench/lib.sh
source "$SRC/bench/lib.sh"
BUILD=${CONG_BUILD_DIR:-$SRC/build-release}
DIR=${IDBENCH_DIR:-$SRC/.run/idbench}
DURATION=${IDBENCH_DURATION:-8}
WARMUP=1
CLIENTS=32
STREAMS=16
# Ports: IDBENCH_PORT_BASE (default 17000) + fixed offsets, so parallel runs on one machine can avoid each other.
PB=${IDBENCH_PORT_BASE:-17000}
CONG_PORT=$((PB + 80)) CONG_TLS_PORT=$((PB + 443)) CONG_B_PORT=$((PB + 82)) CONG_B_TLS_PORT=$((PB + 444))
HAPROXY_PORT=$((PB + 81)) HAPROXY_TLS_PORT=$((PB + 445)) REDIS_PORT=$((PB + 391)) PG_PORT=$((PB + 491))
ISSUER=https://id.cong.test
AUDIENCE=cong

for tool in h2load haproxy curl cc openssl redis-cli awk sort; do
  command -v "$tool" >/dev/null || die "$tool is not installed (scripts/deps.sh installs everything)"
done
mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)

# ---- processes we start, stopped by PID on exit ------------------------------------------------------------------
CONG_PID= CONG_B_PID= HAPROXY_PID= SERVICES_STARTED=0
cleanup() {
  local rc=$?
  stop_pid "$HAPROXY_PID" 5
  stop_pid "$CONG_B_PID" 10
  stop_pid "$CONG_PID" 10
  if [ "$SERVICES_STARTED" = 1 ]; then bash "$SRC/scripts/services.sh" stop "$DIR" || true; fi
  rm -f "$DIR/tokens.txt" # ~50 MB of one-use tokens
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for p in $CONG_PORT $CONG_TLS_PORT $CONG_B_PORT $CONG_B_TLS_PORT $HAPROXY_PORT $HAPROXY_TLS_PORT $REDIS_PORT $PG_PORT; do
  port_busy "$p" && die "port $p is already in use"
done

# ---- build --------------------------------------------------------------------------------------------------------
if [ ! -f "$BUILD/CMakeCache.txt" ]; then
  cmake -S "$SRC" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >"$DIR/build.log" 2>&1 || { cat "$DIR/build.log" >&2; exit 1; }
fi
make -C "$BUILD" -j"$CORES" cong cong-jwt-mint >>"$DIR/build.log" 2>&1 || { tail -30 "$DIR/build.log" >&2; die "build failed"; }
mkdir -p "$BUILD/bench"
LOADER=$BUILD/bench/h2_token_load
cc -O2 -Wall -Wextra -Werror -o "$LOADER" "$SRC/bench/h2_token_load.c" "$SRC/bench/h2_wire.c" -lcrypto -lpthread

# ---- keys, stores, tokens -----------------------------------------------------------------------------------------
bash "$SRC/scripts/make-keys.sh" "$DIR"
# identity: a fresh signing key and subject secret for this run
rm -f "$DIR/keys/cong-signing.pem" "$DIR/keys/subject-secret"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$DIR/keys/cong-signing.pem" 2>/dev/null
(umask 077; head -c 48 /dev/urandom >"$DIR/keys/subject-secret")
SERVICES_STARTED=1
bash "$SRC/scripts/services.sh" start "$DIR" "$REDIS_PORT" "$PG_PORT"
# Redis is not pinned: in production it runs on its own host; here the scheduler puts it where a core has room
# (pinned to the server core, its CPU for a first-seen subject's lease came out of cong's one core: 25k → 18k req/s).
TOKEN=$("$BUILD/cong-jwt-mint" --key "$DIR/keys/issuer.key.pem" --iss "$ISSUER" --aud "$AUDIENCE" \
  --sub bench-subject --scope ping --acr 2 --ttl 900)
# first-seen tokens: enough for (warm-up + duration) at 25k verifications/s, each used once
MINT_N=$(( (WARMUP + DURATION) * 25000 ))
$(client_pin) "$LOADER" --mint "$MINT_N" --threads 1 --key "$DIR/keys/issuer.key.pem" --iss "$ISSUER" --aud "$AUDIENCE" \
  --out "$DIR/tokens.txt" 2>"$DIR/mint.log" || { cat "$DIR/mint.log" >&2; die "minting failed"; }
log "$(cat "$DIR/mint.log")"

want=65536; hard=$(ulimit -Hn)
if [ "$hard" != unlimited ] && [ "$hard" -lt "$want" ]; then want=$hard; fi
ulimit -n "$want"

# ---- cong ---------------------------------------------------------------------------------------------------------
PG_CONNINFO="host=127.0.0.1 port=$PG_PORT dbname=cong user=cong"
cong_env() { # H2C_PORT TLS_PORT LIMITER(0|1): sets ENVV, a clean environment (no CONG_* of the caller leaks in)
  ENVV=(env -i PATH="$PATH" \
    CONG_SERVER_BIND=127.0.0.1 CONG_SERVER_H2C_PORT="$1" CONG_SERVER_TLS_PORT="$2" \
    CONG_SERVER_TLS_CERTIFICATE="$DIR/tls/cert.pem" CONG_SERVER_TLS_PRIVATE_KEY="$DIR/tls/key.pem" \
    CONG_SERVER_WORKERS=1 CONG_SERVER_SHUTDOWN_TIMEOUT_MS=2000 \
    CONG_SERVER_OPENAPI_FILE="$SRC/openapi/cong.yaml" \
    CONG_REDIS_PORT="$REDIS_PORT" CONG_POSTGRES_CONNINFO="$PG_CONNINFO" \
    CONG_POSTGRES_MIGRATIONS_DIR="$SRC/gateway/migrations" \
    CONG_SERVER_ENVIRONMENT=development CONG_SERVER_ADMIN_PORT=0 CONG_AUTH_PUBLIC_KEY_FILE="$DIR/keys/issuer.pub.pem" CONG_AUTH_ISSUER="$ISSUER" CONG_AUTH_AUDIENCE="$AUDIENCE" \
    CONG_AUTH_PUBLIC_KEY_PRIVILEGED=1 \
    CONG_AUTH_SIGNING_KEY_FILE="$DIR/keys/cong-signing.pem" CONG_AUTH_SUBJECT_SECRET_FILE="$DIR/keys/subject-secret" \
    CONG_AUTH_DOCUMENT_SIGNING_KEY_FILE="$DIR/keys/cong-document.pem" \
    CONG_MODULES_AUDIT_SIGNING_KEY_FILE="$DIR/keys/cong-audit.pem" \
    CONG_LOG_ACCESS_LOG= CONG_LOG_LEVEL=warn \
    CONG_RATE_LIMITS_ENABLED="$3" \
    CONG_RATE_LIMITS_DEFAULT_PER_MINUTE=1000000000 CONG_RATE_LIMITS_DEFAULT_BURST=10000000 \
    CONG_RATE_LIMITS_AUTH_PER_MINUTE=1000000 CONG_RATE_LIMITS_AUTH_BURST=100000)
}
status_of() { # URL [token]
  local auth=()
  [ -n "${2:-}" ] && auth=(-H "authorization: Bearer $2")
  curl -s -o /dev/null -w '%{http_code}' --http2-prior-knowledge --max-time 2 "${auth[@]}" "$1" || true
}
start_cong() { # VAR_FOR_PID H2C_PORT TLS_PORT LIMITER LOGNAME
  local pid
  cong_env "$2" "$3" "$4"
  (cd "$SRC" && exec $(server_pin) "${ENVV[@]}" "$BUILD/cong") >"$DIR/$5.log" 2>&1 &
  pid=$!
  printf -v "$1" %s "$pid"
  for _ in $(seq 1 150); do
    kill -0 "$pid" 2>/dev/null || { cat "$DIR/$5.log" >&2; die "cong ($5) exited at start"; }
    [ "$(status_of "http://127.0.0.1:$2/readyz")" = 200 ] && return 0
    sleep 0.2
  done
  die "cong ($5) is not ready after 30 s"
}
cong_cli() { cong_env "$CONG_PORT" "$CONG_TLS_PORT" 1; (cd "$SRC" && "${ENVV[@]}" "$BUILD/cong" "$@"); }

log "starting cong A (limiter on) on 127.0.0.1:$CONG_PORT"
start_cong CONG_PID "$CONG_PORT" "$CONG_TLS_PORT" 1 cong-a

# ---- HAProxy ------------------------------------------------------------------------------------------------------
cp "$SRC/bench/haproxy.cfg.in" "$DIR/haproxy.cfg"
cat "$DIR/tls/cert.pem" "$DIR/tls/key.pem" >"$DIR/tls/haproxy.pem"
export HAPROXY_TLS_PORT HAPROXY_TLS_PEM="$DIR/tls/haproxy.pem"
export HAPROXY_PORT ISSUER_PUBLIC_KEY="$DIR/keys/issuer.pub.pem" TOKEN_ISSUER="$ISSUER" TOKEN_AUDIENCE="$AUDIENCE"
haproxy -q -c -f "$DIR/haproxy.cfg" || die "HAProxy refuses $DIR/haproxy.cfg"
$(server_pin) haproxy -db -f "$DIR/haproxy.cfg" >"$DIR/haproxy.log" 2>&1 &
HAPROXY_PID=$!
for _ in $(seq 1 50); do
  [ "$(status_of "http://127.0.0.1:$HAPROXY_PORT/" "$TOKEN")" = 200 ] && break
  kill -0 "$HAPROXY_PID" 2>/dev/null || { cat "$DIR/haproxy.log" >&2; die "HAProxy exited at start"; }
  sleep 0.1
done

check() { [ "$2" = "$3" ] || die "sanity check failed: $1 answered $3, expected $2"; }
check "cong /v1/ping with token" 200 "$(status_of "http://127.0.0.1:$CONG_PORT/v1/ping" "$TOKEN")"
check "cong /v1/ping without token" 401 "$(status_of "http://127.0.0.1:$CONG_PORT/v1/ping")"
check "haproxy with token" 200 "$(status_of "http://127.0.0.1:$HAPROXY_PORT/" "$TOKEN")"
# a minted first-seen token works too; the load run skips it (it is the first line: used here, not there)
check "cong /v1/ping with a minted token" 200 "$(status_of "http://127.0.0.1:$CONG_PORT/v1/ping" "$(head -1 "$DIR/tokens.txt")")"
sed -i 1d "$DIR/tokens.txt"

# ---- load ---------------------------------------------------------------------------------------------------------
declare -A RPS MEAN P50 P99 NON2XX
# Throughput: h2load without --log-file (writing a line per request caps h2load itself near 180k req/s, below what
# cong answers); h2load's own mean latency comes with it. Percentiles: run_timed, below.
run_h2load() { # name url [token]
  local name=$1 url=$2 token=${3:-} out="$DIR/h2load-$1.txt"
  local hdr=()
  [ -n "$token" ] && hdr=(-H "authorization: Bearer $token")
  log "h2load $name: $url"
  $(client_pin) timeout $((DURATION + WARMUP + 20)) h2load -D "$DURATION" --warm-up-time="$WARMUP" -c "$CLIENTS" \
    -m "$STREAMS" -t 1 "${hdr[@]}" "$url" >"$out" 2>&1 || { cat "$out" >&2; die "h2load $name failed"; }
  RPS[$name]=$(awk '/^finished in/{ for (i = 1; i <= NF; i++) if ($(i+1) ~ /^req\/s/) { v = $i; sub(/,$/, "", v); print v } }' "$out")
  NON2XX[$name]=$(awk '/^requests:/{ for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^errored/) e = $i; if ($(i+1) ~ /^timeout/) t = $i } }
                       /^status codes:/{ s = $5 + $7 + $9 }
                       END { print s + e + t }' "$out")
  MEAN[$name]=$(awk '/^time for request:/{ v = $6; m = 1; if (v ~ /us$/) m = 0.001; else if (v ~ /ms$/) m = 1; else if (v ~ /s$/) m = 1000
                  sub(/[a-z]+$/, "", v); printf "%.2f", v * m }' "$out")
  P50[$name]="—" P99[$name]="—"
}
# Percentiles of the known-token path: the same load (32 × 16, the same token on every request, "authorization" an
# HPACK literal without indexing) from bench/h2_token_load.c --repeat, which times each request in memory.
printf '%s\n' "$TOKEN" >"$DIR/known-token.txt"
run_timed() { # name port path
  local name=$1 out="$DIR/timed-$1.txt"
  log "timed $name: 127.0.0.1:$2$3"
  $(client_pin) timeout $((DURATION + WARMUP + 20)) "$LOADER" --port "$2" --path "$3" --tokens "$DIR/known-token.txt" \
    --repeat --connections "$CLIENTS" --streams "$STREAMS" --seconds "$DURATION" --warmup "$WARMUP" >"$out" \
    || { cat "$out" >&2; die "timed load $name failed"; }
  kv_() { tr ' ' '\n' <"$out" | sed -n "s/^$1=//p"; }
  RPS[$name]=$(kv_ rps) MEAN[$name]="—" P50[$name]=$(kv_ p50_ms) P99[$name]=$(kv_ p99_ms)
  NON2XX[$name]=$(( $(kv_ status_401) + $(kv_ status_other) + $(kv_ resets) ))
}
# Each ratio's two sides run back to back (known then HAProxy; openssl speed just before and just after first-seen,
# averaged), so that a slow spell of a shared machine falls on both sides rather than on one.
run_h2load known "http://127.0.0.1:$CONG_PORT/v1/ping" "$TOKEN"
run_h2load haproxy "http://127.0.0.1:$HAPROXY_PORT/" "$TOKEN"
run_timed known_timed "$CONG_PORT" /v1/ping
run_timed haproxy_timed "$HAPROXY_PORT" /
run_h2load healthz "http://127.0.0.1:$CONG_PORT/healthz"
# TLS, back to back: the same token over ALPN h2 (32 handshakes, then long-lived connections, as the app keeps them).
run_h2load known_tls "https://127.0.0.1:$CONG_TLS_PORT/v1/ping" "$TOKEN"
run_h2load haproxy_tls "https://127.0.0.1:$HAPROXY_TLS_PORT/" "$TOKEN"

# Open loop: h2load --rps offers a fixed rate (per connection) whatever the answers' speed; each request's time comes
# from --log-file (start µs, status, duration µs). The rate is half the maximum this run measured for the same route.
declare -A OL_RATE OL_P50 OL_P99 OL_P999 OL_BAD
run_open_loop() { # name url token max_rps [fraction of it, default 0.5]
  local name=$1 url=$2 token=$3 per_conn out="$DIR/open-$1.txt" lf="$DIR/open-$1.log"
  per_conn=$(awk -v m="$4" -v f="${5:-0.5}" -v c="$CLIENTS" 'BEGIN{ r = int(m * f / c); print (r < 1 ? 1 : r) }')
  OL_RATE[$name]=$((per_conn * CLIENTS))
  log "open loop $name: ${OL_RATE[$name]} req/s offered ($url)"
  $(client_pin) timeout $((DURATION + WARMUP + 20)) h2load -D "$DURATION" --warm-up-time="$WARMUP" -c "$CLIENTS" \
    -m "$STREAMS" -t 1 --rps="$per_conn" --log-file="$lf" ${token:+-H "authorization: Bearer $token"} "$url" >"$out" 2>&1 \
    || { cat "$out" >&2; die "open-loop $name failed"; }
  read -r OL_P50[$name] OL_P99[$name] OL_P999[$name] < <(awk '{ print $3 }' "$lf" | sort -n | awk '
    { v[NR] = $1 } END { if (NR == 0) { print "n/a n/a n/a"; exit }
      printf "%.3f %.3f %.3f\n", v[int(NR * 0.5) + 1] / 1000, v[int(NR * 0.99) + 1] / 1000, v[int(NR * 0.999) + 1] / 1000 }')
  OL_BAD[$name]=$(awk '$2 !~ /^2/ { n++ } END { print n + 0 }' "$lf")
  rm -f "$lf"
}
run_open_loop known "http://127.0.0.1:$CONG_PORT/v1/ping" "$TOKEN" "${RPS[known]}"
run_open_loop known_10 "http://127.0.0.1:$CONG_PORT/v1/ping" "$TOKEN" "${RPS[known]}" 0.1
run_open_loop healthz "http://127.0.0.1:$CONG_PORT/healthz" "" "${RPS[healthz]}"
run_h2load dossiers "http://127.0.0.1:$CONG_PORT/v1/dossiers" "$TOKEN"
run_open_loop dossiers "http://127.0.0.1:$CONG_PORT/v1/dossiers" "$TOKEN" "${RPS[dossiers]}"
openssl_verify_rate() { # FILE: raw EVP ES256 verifications/s on the server core
  log "openssl speed ecdsap256 (3 s sign + 3 s verify) on the server core"
  $(server_pin) openssl speed -elapsed -seconds 3 ecdsap256 >"$1" 2>&1
  local v
  v=$(awk '/^ *256 bits ecdsa \(nistp256\)/{ print $NF }' "$1" | tail -1)
  [ -n "$v" ] || { cat "$1" >&2; die "cannot parse openssl speed's output"; }
  echo "$v"
}
OPENSSL_BEFORE=$(openssl_verify_rate "$DIR/openssl-speed-before.txt")
log "first-seen tokens: $LOADER on 127.0.0.1:$CONG_PORT"
$(client_pin) timeout $((DURATION + WARMUP + 20)) "$LOADER" --port "$CONG_PORT" --tokens "$DIR/tokens.txt" \
  --connections "$CLIENTS" --streams "$STREAMS" --seconds "$DURATION" --warmup "$WARMUP" >"$DIR/first-seen.txt" \
  || { cat "$DIR/first-seen.txt" >&2; die "first-seen load failed"; }
kv() { tr ' ' '\n' <"$DIR/first-seen.txt" | sed -n "s/^$1=//p"; }
RPS[first_seen]=$(kv rps) MEAN[first_seen]="—" P50[first_seen]=$(kv p50_ms) P99[first_seen]=$(kv p99_ms)
NON2XX[first_seen]=$(( $(kv status_401) + $(kv status_other) + $(kv resets) ))
FS_NOTE="200: $(kv status_200), 401: $(kv status_401), other: $(kv status_other), reset/lost: $(kv resets), tokens exhausted: $(kv tokens_exhausted)"
OPENSSL_AFTER=$(openssl_verify_rate "$DIR/openssl-speed-after.txt")
OPENSSL_VERIFY=$(awk -v a="$OPENSSL_BEFORE" -v b="$OPENSSL_AFTER" 'BEGIN{ printf "%.1f", (a + b) / 2 }')

# ---- revocation delay between two instances sharing one Redis ----------------------------------------------------
log "starting cong B on 127.0.0.1:$CONG_B_PORT (same Redis, PostgreSQL and signing key)"
start_cong CONG_B_PID "$CONG_B_PORT" "$CONG_B_TLS_PORT" 1 cong-b
DELAYS=() POLLS=() POLL_MS=() REVOKE_MS=()
now_ns() { date +%s%N; }
for round in 1 2 3 4 5; do
  created=$(cong_cli client create "idbench-$round-$$" --scopes ping)
  cid=$(sed -n 's/^client_id: //p' <<<"$created")
  secret=$(sed -n 's/^client_secret: //p' <<<"$created")
  [ -n "$cid" ] && [ -n "$secret" ] || die "cong client create printed: $created"
  access=$(curl -s --http2-prior-knowledge --max-time 3 -X POST "http://127.0.0.1:$CONG_PORT/v1/auth/token" \
    --data-urlencode grant_type=client_credentials --data-urlencode "client_id=$cid" \
    --data-urlencode "client_secret=$secret" | sed -n 's/.*"access_token" *: *"\([^"]*\)".*/\1/p')
  [ -n "$access" ] || die "no access token from POST /v1/auth/token (client $cid)"
  check "cong B /v1/ping with the client's token (warm-up)" 200 "$(status_of "http://127.0.0.1:$CONG_B_PORT/v1/ping" "$access")"
  # one poll with a still valid token, timed the same way as the polls below: the resolution of the measurement
  t0=$(now_ns)
  check "cong B /v1/ping with the client's token (cached)" 200 "$(status_of "http://127.0.0.1:$CONG_B_PORT/v1/ping" "$access")"
  POLL_MS+=("$(awk -v a="$t0" -v b="$(now_ns)" 'BEGIN{ printf "%.1f", (b - a) / 1e6 }')")
  t0=$(now_ns)
  cong_cli client revoke "$cid" >/dev/null || die "cong client revoke $cid failed"
  REVOKE_MS+=("$(awk -v a="$t0" -v b="$(now_ns)" 'BEGIN{ printf "%.1f", (b - a) / 1e6 }')")
  t0=$(now_ns) polls=0 code=
  while :; do
    code=$(status_of "http://127.0.0.1:$CONG_B_PORT/v1/ping" "$access")
    polls=$((polls + 1))
    [ "$code" = 401 ] && break
    [ $(( ($(now_ns) - t0) / 1000000 )) -lt 10000 ] || die "cong B still answers $code 10 s after the revocation"
  done
  t1=$(now_ns)
  DELAYS+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN{ printf "%.1f", (b - a) / 1e6 }')")
  POLLS+=("$polls")
done
read -r REV_MIN REV_MED REV_MAX < <(printf '%s\n' "${DELAYS[@]}" | sort -g | awk '{ v[NR] = $1 } END { print v[1], v[3], v[5] }')
stop_pid "$CONG_B_PID" 10; CONG_B_PID=

# ---- limiter off --------------------------------------------------------------------------------------------------
stop_pid "$CONG_PID" 10; CONG_PID=
log "restarting cong A with CONG_RATE_LIMITS_ENABLED=0"
start_cong CONG_PID "$CONG_PORT" "$CONG_TLS_PORT" 0 cong-a-nolimiter
check "cong /v1/ping with token (limiter off)" 200 "$(status_of "http://127.0.0.1:$CONG_PORT/v1/ping" "$TOKEN")"
run_h2load known_nolim "http://127.0.0.1:$CONG_PORT/v1/ping" "$TOKEN"
run_h2load haproxy_2 "http://127.0.0.1:$HAPROXY_PORT/" "$TOKEN" # idle until now: the pair of known_nolim
stop_pid "$HAPROXY_PID" 5; HAPROXY_PID=
run_h2load healthz_nolim "http://127.0.0.1:$CONG_PORT/healthz"

# ---- report -------------------------------------------------------------------------------------------------------
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{ if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
verdict() { awk -v v="$1" -v t="$2" -v op="$3" 'BEGIN{ ok = (op == ">=") ? (v >= t) : (v <= t); print ok ? "met" : "**not met**" }'; }
R_HA=$(ratio "${RPS[known]}" "${RPS[haproxy]}")
R_HA_NOLIM=$(ratio "${RPS[known_nolim]}" "${RPS[haproxy_2]}")
R_HZ=$(ratio "${RPS[known]}" "${RPS[healthz]}")
R_HZ_NOLIM=$(ratio "${RPS[known_nolim]}" "${RPS[healthz_nolim]}")
R_FS=$(ratio "${RPS[first_seen]}" "$OPENSSL_VERIFY")
{
  echo "## cong identity bench — $(date -u '+%Y-%m-%d %H:%M UTC'), $(uname -m), $CORES core(s), $(awk -F': ' '/^model name/{print $2; exit}' /proc/cpuinfo)"
  echo
  echo "cong 1 worker; HAProxy $(haproxy -v | awk 'NR==1{print $3}') nbthread 1; $(openssl version | awk '{print $1, $2}');" \
       "load -c $CLIENTS -m $STREAMS -t 1, ${DURATION}s after ${WARMUP}s warm-up, h2c;" \
       "$([ "$PIN" = 1 ] && echo "servers on CPU $SERVER_CPU, clients on CPU 0" || echo "no CPU pinning")."
  echo
  echo "| case | client | req/s | mean ms | p50 ms | p99 ms | non-2xx |"
  echo "| --- | --- | ---: | ---: | ---: | ---: | ---: |"
  row() { echo "| $1 | $2 | ${RPS[$3]} | ${MEAN[$3]} | ${P50[$3]} | ${P99[$3]} | ${NON2XX[$3]} |"; }
  row "cong /v1/ping, known token, limiter on" h2load known
  row "cong /v1/ping, known token, limiter on, timed per request" "h2_token_load --repeat" known_timed
  row "cong /v1/ping, known token, limiter off" h2load known_nolim
  row "cong /healthz, limiter on" h2load healthz
  row "cong /healthz, limiter off" h2load healthz_nolim
  row "cong /v1/ping, first-seen token per request, limiter on" h2_token_load first_seen
  row "HAProxy jwt_verify, known token (right after limiter on)" h2load haproxy
  row "HAProxy jwt_verify, known token (right after limiter off)" h2load haproxy_2
  row "HAProxy jwt_verify, known token, timed per request" "h2_token_load --repeat" haproxy_timed
  row "cong /v1/ping, known token, over TLS (ALPN h2)" h2load known_tls
  row "HAProxy jwt_verify, known token, over TLS (ALPN h2), right after" h2load haproxy_tls
  row "cong GET /v1/dossiers (PostgreSQL read), known token" h2load dossiers
  echo "| openssl speed ecdsap256 verify/s (1 core), mean of before/after first-seen | — | $OPENSSL_VERIFY ($OPENSSL_BEFORE / $OPENSSL_AFTER) | | | | |"
  echo
  echo "first-seen run: $FS_NOTE."
  echo
  echo "Open loop (h2load --rps, $CLIENTS connections, each request timed): the offered rate is half of the maximum"
  echo "measured for the same route in this run."
  echo
  echo "| route | offered req/s | p50 ms | p99 ms | p99.9 ms | non-2xx |"
  echo "| --- | ---: | ---: | ---: | ---: | ---: |"
  echo "| /v1/ping, known token | ${OL_RATE[known]} | ${OL_P50[known]} | ${OL_P99[known]} | ${OL_P999[known]} | ${OL_BAD[known]} |"
  echo "| /v1/ping, known token, at a tenth of the maximum | ${OL_RATE[known_10]} | ${OL_P50[known_10]} | ${OL_P99[known_10]} | ${OL_P999[known_10]} | ${OL_BAD[known_10]} |"
  echo "| /healthz (no token, no store) | ${OL_RATE[healthz]} | ${OL_P50[healthz]} | ${OL_P99[healthz]} | ${OL_P999[healthz]} | ${OL_BAD[healthz]} |"
  echo "| GET /v1/dossiers | ${OL_RATE[dossiers]} | ${OL_P50[dossiers]} | ${OL_P99[dossiers]} | ${OL_P999[dossiers]} | ${OL_BAD[dossiers]} |"
  echo
  echo "| ratio | value | target | |"
  echo "| --- | ---: | ---: | --- |"
  echo "| known (limiter on) / HAProxy | $R_HA | ≥ 10 | $(verdict "$R_HA" 10 ">=") |"
  echo "| known (limiter off) / HAProxy | $R_HA_NOLIM | ≥ 10 | $(verdict "$R_HA_NOLIM" 10 ">=") |"
  echo "| known (limiter on) / healthz (limiter on) | $R_HZ | ≥ 0.5 | $(verdict "$R_HZ" 0.5 ">=") |"
  echo "| known (limiter off) / healthz (limiter off) | $R_HZ_NOLIM | ≥ 0.5 | $(verdict "$R_HZ_NOLIM" 0.5 ">=") |"
  echo "| first-seen / openssl verify rate | $R_FS | ≥ 0.9 | $(verdict "$R_FS" 0.9 ">=") |"
  echo "| known over TLS / HAProxy over TLS | $(ratio "${RPS[known_tls]}" "${RPS[haproxy_tls]}") | ≥ 10 | $(verdict "$(ratio "${RPS[known_tls]}" "${RPS[haproxy_tls]}")" 10 ">=") |"
  echo "| known p99 ms at half the maximum rate (open loop) | ${OL_P99[known]} | ≤ 1 | $(verdict "${OL_P99[known]}" 1 "<=") |"
  echo
  echo "Revocation delay, cong client revoke (on A's config) → first 401 from instance B (curl polls, one process each):"
  echo "min $REV_MIN ms, median $REV_MED ms, max $REV_MAX ms over 5 clients (delays ${DELAYS[*]} ms; polls ${POLLS[*]})."
  echo "Polls until the 401: ${POLLS[*]}; one poll answered 200 just before the revoke took ${POLL_MS[*]} ms (curl process"
  echo "start included); the revoke command itself took ${REVOKE_MS[*]} ms. When the first poll already gets 401, the"
  echo "revocation had reached B before that poll, and the delay above is an upper bound set by one poll's duration."
} | tee "$DIR/results.md"
log "details: $DIR/{results.md,h2load-*.txt,first-seen.txt,openssl-speed-*.txt,cong-*.log,haproxy.log}"

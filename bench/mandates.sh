#!/usr/bin/env bash
# bench/mandates.sh — what acting for someone costs at the gateway (issue 12). One run, 127.0.0.1 only, one cong
# worker pinned to the last core and h2load on core 0 (bench/lib.sh):
#   self     GET /v1/ping with the citizen's own token (verified once, then from the worker's token cache)
#   padded   the same own token padded to the acting token's size (a junk claim): the token's size alone
#   acting   GET /v1/ping with a token acting for another person under a mandate (RFC 8693 "act" + the "mandate"
#            claim): the same route, plus the mandate phase (revocation lookup of "mandate:<id>", the mandate's last
#            second, the route's action) and a larger token
# Saturation: h2load -c 16 -m 16 -t 1, the two cases alternated twice (self, acting, self, acting) so that a slow
# spell of a shared machine falls on both; ratio acting/self of the summed req/s (target ≥ 0.9) and the cost of a
# mandate check per request, 1/acting − 1/self in µs. Open loop: both at a fixed offered rate (h2load --rps, half the
# self maximum), p50/p99 of each request's time from --log-file.
# Environment: CONG_BUILD_DIR (build-release), MBENCH_DIR (.run/mbench), MBENCH_DURATION (6), MBENCH_PORT_BASE (18000).
set -euo pipefail

SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH_NAME=mbench
# shellcheck source=bench/lib.sh
source "$SRC/bench/lib.sh"
BUILD=${CONG_BUILD_DIR:-$SRC/build-release}
DIR=${MBENCH_DIR:-$SRC/.run/mbench}
DURATION=${MBENCH_DURATION:-6}
CLIENTS=16 STREAMS=16
PB=${MBENCH_PORT_BASE:-18000}
CONG_PORT=$((PB + 80)) REDIS_PORT=$((PB + 391)) PG_PORT=$((PB + 491))
ISSUER=https://id.cong.test
for tool in h2load curl openssl python3; do command -v "$tool" >/dev/null || die "$tool is not installed"; done
mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)

on_exit_stop_cong_and_stores
for p in $CONG_PORT $REDIS_PORT $PG_PORT; do port_busy "$p" && die "port $p is already in use"; done

if [ ! -f "$BUILD/CMakeCache.txt" ]; then
  cmake -S "$SRC" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >"$DIR/build.log" 2>&1 || { cat "$DIR/build.log" >&2; exit 1; }
fi
make -C "$BUILD" -j"$CORES" cong cong-jwt-mint >>"$DIR/build.log" 2>&1 || { tail -30 "$DIR/build.log" >&2; die "build failed"; }
bash "$SRC/scripts/make-keys.sh" "$DIR"
SERVICES_STARTED=1
bash "$SRC/scripts/services.sh" start "$DIR" "$REDIS_PORT" "$PG_PORT"

mint() { "$BUILD/cong-jwt-mint" --key "$DIR/keys/issuer.key.pem" --iss "$ISSUER" --aud cong --scope ping --acr 1 \
  --ttl 900 "$@"; }
SELF=$(mint --sub bench-grantee --sid s-bench)
MANDATE_ID=$(python3 -c 'import uuid; print(uuid.uuid4())')
ACTING=$(mint --sub bench-grantor --sid s-bench --claims-json "{\"act\":{\"sub\":\"bench-grantee\"},\"mandate\":{\"id\":\"$MANDATE_ID\",\"actions\":[\"view\",\"submit\",\"receive_result\"],\"procedures\":[\"1.000001\",\"1.000002\",\"1.000003\"],\"domains\":[\"ho-tich\",\"dat-dai\"],\"until\":$(($(date +%s) + 86400))}}")
# the citizen's own token padded to the acting token's size: what the bigger token costs (HPACK, the cache's hash)
PAD=$(python3 -c "print('x' * max(1, (${#ACTING} - ${#SELF}) * 3 // 4 - 12))")
PADDED=$(mint --sub bench-grantee --sid s-bench --claims-json "{\"pad\":\"$PAD\"}")
log "token sizes: self ${#SELF} B, self padded ${#PADDED} B, acting ${#ACTING} B"

ulimit -n 65536 2>/dev/null || true
(cd "$SRC" && exec $(server_pin) env -i PATH="$PATH" CONG_SERVER_BIND=127.0.0.1 CONG_SERVER_H2C_PORT="$CONG_PORT" \
  CONG_SERVER_TLS_PORT=0 CONG_SERVER_ADMIN_PORT=0 CONG_SERVER_WORKERS=1 CONG_SERVER_ENVIRONMENT=development \
  CONG_SERVER_OPENAPI_FILE="$SRC/openapi/cong.yaml" CONG_SERVER_SHUTDOWN_TIMEOUT_MS=2000 \
  CONG_REDIS_PORT="$REDIS_PORT" CONG_POSTGRES_CONNINFO="host=127.0.0.1 port=$PG_PORT dbname=cong user=cong" \
  CONG_POSTGRES_MIGRATIONS_DIR="$SRC/gateway/migrations" \
  CONG_AUTH_PUBLIC_KEY_FILE="$DIR/keys/issuer.pub.pem" CONG_AUTH_PUBLIC_KEY_PRIVILEGED=1 CONG_AUTH_ISSUER="$ISSUER" \
  CONG_AUTH_AUDIENCE=cong CONG_AUTH_DOCUMENT_SIGNING_KEY_FILE="$DIR/keys/cong-document.pem" \
  CONG_MODULES_AUDIT_SIGNING_KEY_FILE="$DIR/keys/cong-audit.pem" \
  CONG_LOG_ACCESS_LOG= CONG_LOG_LEVEL=warn \
  CONG_RATE_LIMITS_DEFAULT_PER_MINUTE=1000000000 CONG_RATE_LIMITS_DEFAULT_BURST=10000000 \
  "$BUILD/cong") >"$DIR/cong.log" 2>&1 &
CONG_PID=$!
status_of() { curl -s -o /dev/null -w '%{http_code}' --http2-prior-knowledge --max-time 2 ${2:+-H "authorization: Bearer $2"} "$1" || true; }
for _ in $(seq 1 150); do
  kill -0 "$CONG_PID" 2>/dev/null || { cat "$DIR/cong.log" >&2; die "cong exited at start"; }
  [ "$(status_of "http://127.0.0.1:$CONG_PORT/readyz")" = 200 ] && break
  sleep 0.2
done
URL="http://127.0.0.1:$CONG_PORT/v1/ping"
[ "$(status_of "$URL" "$SELF")" = 200 ] || die "self token refused"
[ "$(status_of "$URL" "$ACTING")" = 200 ] || die "acting token refused"
curl -s --http2-prior-knowledge -H "authorization: Bearer $ACTING" "$URL" | grep -q '"actor":"bench-grantee"' \
  || die "the acting token is not seen as acting"

declare -A RPS
saturate() { # name token
  local out="$DIR/h2load-$1.txt" r
  $(client_pin) timeout $((DURATION + 20)) h2load -D "$DURATION" --warm-up-time=1 -c "$CLIENTS" -m "$STREAMS" -t 1 \
    -H "authorization: Bearer $2" "$URL" >"$out" 2>&1 || { cat "$out" >&2; die "h2load $1 failed"; }
  grep -q "status codes: [0-9]* 2xx, 0 3xx, 0 4xx, 0 5xx" "$out" || { cat "$out" >&2; die "$1: non-2xx answers"; }
  r=$(awk '/^finished in/{ for (i = 1; i <= NF; i++) if ($(i+1) ~ /^req\/s/) { v = $i; sub(/,$/, "", v); print v } }' "$out")
  RPS[$1]=$(awk -v a="${RPS[$1]:-0}" -v b="$r" 'BEGIN{ print a + b }')
  log "$1: $r req/s"
}
for _ in 1 2; do saturate self "$SELF"; saturate padded "$PADDED"; saturate acting "$ACTING"; done
declare -A P50 P99
open_loop() { # name token rate
  local lf="$DIR/open-$1.log" per=$(( $3 / CLIENTS ))
  $(client_pin) timeout $((DURATION + 20)) h2load -D "$DURATION" --warm-up-time=1 -c "$CLIENTS" -m "$STREAMS" -t 1 \
    --rps="$per" --log-file="$lf" -H "authorization: Bearer $2" "$URL" >"$DIR/open-$1.txt" 2>&1 \
    || die "open loop $1 failed"
  read -r P50[$1] P99[$1] < <(awk '{ print $3 }' "$lf" | sort -n | awk '{ v[NR] = $1 } END {
    printf "%.3f %.3f\n", v[int(NR * 0.5) + 1] / 1000, v[int(NR * 0.99) + 1] / 1000 }')
  rm -f "$lf"
}
RATE=$(awk -v r="${RPS[self]}" 'BEGIN{ print int(r / 2 / 2) }') # half of one round's mean
open_loop self "$SELF" "$RATE"
open_loop padded "$PADDED" "$RATE"
open_loop acting "$ACTING" "$RATE"

{
  echo "| case | req/s (2 rounds) | p50 ms @ $RATE req/s | p99 ms @ $RATE req/s |"
  echo "| --- | ---: | ---: | ---: |"
  for c in self padded acting; do echo "| $c | $(awk -v r="${RPS[$c]}" 'BEGIN{ printf "%.0f", r / 2 }') | ${P50[$c]} | ${P99[$c]} |"; done
  awk -v s="${RPS[self]}" -v p="${RPS[padded]}" -v a="${RPS[acting]}" 'BEGIN{
    printf "\nacting / self = %.3f (target >= 0.9); acting / self padded to the same token size = %.3f\n", a / s, a / p
    printf "per request: the bigger token costs %.2f us, the mandate check %.2f us\n", (2 / p - 2 / s) * 1e6, (2 / a - 2 / p) * 1e6 }'
} | tee "$DIR/results.md"

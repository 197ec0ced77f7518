#!/usr/bin/env bash
# bench/push_sse.sh — live events (GET /v1/me/events, issue 14) held open on one cong, and their delivery latency. One
# run, 127.0.0.1 only, its own fresh PostgreSQL and Redis under SSEBENCH_DIR, one cong worker pinned to the last core
# and the client on core 0 (bench/lib.sh):
#   memory    bench/push_sse_load opens SSEBENCH_STREAMS streams (SSEBENCH_CONNS h2c connections, the rest spread
#             over them, at most 100 each: server.max_concurrent_streams), each its own person with a session's
#             token; cong's VmRSS before and while they are open gives the bytes per stream, and streams per GiB
#             against the issue's target of 100,000;
#   latency   then, with every stream still open, SSEBENCH_RATE events a second for SSEBENCH_SECONDS, each appended and
#             published as push/live.h's writers do (one EVAL: XADD, EXPIRE, PUBLISH cong:live) to the next person:
#             p50/p99 from before the EVAL to the event read on its stream.
# Environment: CONG_BUILD_DIR (build-release), SSEBENCH_DIR (.run/ssebench), SSEBENCH_STREAMS (20000),
# SSEBENCH_CONNS (250), SSEBENCH_RATE (500), SSEBENCH_SECONDS (10), SSEBENCH_PORT_BASE (21600). Bounded: every step
# has a timeout.
set -euo pipefail

SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH_NAME=ssebench
# shellcheck source=bench/lib.sh
source "$SRC/bench/lib.sh"
BUILD=${CONG_BUILD_DIR:-$SRC/build-release}
DIR=${SSEBENCH_DIR:-$SRC/.run/ssebench}
STREAMS=${SSEBENCH_STREAMS:-20000}
CONNS=${SSEBENCH_CONNS:-250}
RATE=${SSEBENCH_RATE:-500}
SECONDS_RUN=${SSEBENCH_SECONDS:-10}
PB=${SSEBENCH_PORT_BASE:-21600}
CONG_PORT=$((PB + 80)) REDIS_PORT=$((PB + 391)) PG_PORT=$((PB + 491))
ISSUER=https://id.cong.test
PER_CONN=$(((STREAMS + CONNS - 1) / CONNS))
[ "$PER_CONN" -le 100 ] || die "at most 100 streams per connection: raise SSEBENCH_CONNS"
for tool in cc curl psql python3 redis-cli timeout; do command -v "$tool" >/dev/null || die "$tool is not installed"; done
mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)

on_exit_stop_cong_and_stores
for p in $CONG_PORT $REDIS_PORT $PG_PORT; do port_busy "$p" && die "port $p is already in use"; done
if [ ! -f "$BUILD/CMakeCache.txt" ]; then
  cmake -S "$SRC" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >"$DIR/build.log" 2>&1 || { cat "$DIR/build.log" >&2; exit 1; }
fi
grep -q '^CMAKE_BUILD_TYPE:STRING=Release' "$BUILD/CMakeCache.txt" || log "warning: $BUILD is not a Release build"
make -C "$BUILD" -j"$CORES" cong >>"$DIR/build.log" 2>&1 || { tail -30 "$DIR/build.log" >&2; die "build failed"; }
mkdir -p "$BUILD/bench"
LOADER=$BUILD/bench/push_sse_load
cc -O2 -Wall -Wextra -Werror -o "$LOADER" "$SRC/bench/push_sse_load.c" "$SRC/bench/h2_wire.c"

bash "$SRC/scripts/make-keys.sh" "$DIR"
rm -rf "$DIR/pg" "$DIR/redis"
SERVICES_STARTED=1
bash "$SRC/scripts/services.sh" start "$DIR" "$REDIS_PORT" "$PG_PORT"
ulimit -n 65536 2>/dev/null || true

ENVV=(env -i PATH="$PATH" CONG_SERVER_BIND=127.0.0.1 CONG_SERVER_H2C_PORT="$CONG_PORT" CONG_SERVER_TLS_PORT=0
  CONG_SERVER_ADMIN_PORT=0 CONG_SERVER_WORKERS=1 CONG_SERVER_ENVIRONMENT=development
  CONG_SERVER_OPENAPI_FILE="$SRC/openapi/cong.yaml" CONG_SERVER_SHUTDOWN_TIMEOUT_MS=2000
  CONG_SERVER_IDLE_TIMEOUT_MS=600000
  CONG_REDIS_PORT="$REDIS_PORT" CONG_POSTGRES_CONNINFO="host=127.0.0.1 port=$PG_PORT dbname=cong user=cong"
  CONG_POSTGRES_MIGRATIONS_DIR="$SRC/gateway/migrations"
  CONG_AUTH_PUBLIC_KEY_FILE="$DIR/keys/issuer.pub.pem" CONG_AUTH_PUBLIC_KEY_PRIVILEGED=1 CONG_AUTH_ISSUER="$ISSUER"
  CONG_AUTH_AUDIENCE=cong CONG_AUTH_DOCUMENT_SIGNING_KEY_FILE="$DIR/keys/cong-document.pem"
  CONG_MODULES_AUDIT_SIGNING_KEY_FILE="$DIR/keys/cong-audit.pem" CONG_MODULES_PROCEDURES_DATA_DIR="$DIR/data"
  CONG_LOG_ACCESS_LOG= CONG_LOG_LEVEL=warn CONG_RATE_LIMITS_ENABLED=0 CONG_ADMISSION_MAX_CONNECTIONS_PER_ADDRESS=0
  CONG_ADMISSION_NEW_CONNECTIONS_PER_SECOND=0)
(cd "$SRC" && timeout 120 "${ENVV[@]}" "$BUILD/cong" --migrate) >"$DIR/migrate.log" 2>&1 ||
  { cat "$DIR/migrate.log" >&2; die "cong --migrate failed"; }

(cd "$SRC" && exec $(server_pin) "${ENVV[@]}" "$BUILD/cong") >"$DIR/cong.log" 2>&1 &
CONG_PID=$!
for _ in $(seq 1 150); do
  kill -0 "$CONG_PID" 2>/dev/null || { cat "$DIR/cong.log" >&2; die "cong exited at start"; }
  [ "$(curl -s -o /dev/null -w '%{http_code}' --http2-prior-knowledge --max-time 2 \
    "http://127.0.0.1:$CONG_PORT/readyz" || true)" = 200 ] && break
  sleep 0.2
done

# One person per stream, each with a session's token ("sid"), signed in one process.
timeout 300 python3 - "$DIR/keys/issuer.key.pem" "$ISSUER" "$STREAMS" >"$DIR/tokens" <<'PY'
import base64, json, sys, time
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, utils
key = serialization.load_pem_private_key(open(sys.argv[1], "rb").read(), None)
b64 = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()
head, now = b64(json.dumps({"alg": "ES256", "typ": "at+jwt"}).encode()), int(time.time())
for i in range(int(sys.argv[3])):
    sub = f"ssebench-{now}-{i}"
    claims = {"iss": sys.argv[2], "aud": "cong", "sub": sub, "sid": f"s-{sub}", "iat": now, "auth_time": now,
              "exp": now + 3600, "acr": "1"}
    signed = head + "." + b64(json.dumps(claims).encode())
    r, s = utils.decode_dss_signature(key.sign(signed.encode(), ec.ECDSA(hashes.SHA256())))
    print(sub, signed + "." + b64(r.to_bytes(32, "big") + s.to_bytes(32, "big")))
PY

rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$CONG_PID/status"; }
RSS0=$(rss_kib)
log "cong VmRSS before: $RSS0 KiB; opening $STREAMS streams over $CONNS connections ($PER_CONN each)"
HOLD=10
coproc LOAD { exec timeout $((HOLD + SECONDS_RUN + 200)) $(client_pin) "$LOADER" --port "$CONG_PORT" \
  --redis-port "$REDIS_PORT" --token-file "$DIR/tokens" --connections "$CONNS" --streams "$PER_CONN" --hold "$HOLD" \
  --rate "$RATE" --seconds "$SECONDS_RUN" 2>"$DIR/loader.err"; }
read -r -t 200 WORD OPEN FAILED <&"${LOAD[0]}" || die "the loader never got its streams open ($(cat "$DIR/loader.err"))"
[ "$WORD" = ready ] || die "unexpected loader output: $WORD $OPEN $FAILED"
sleep 3 # settle: the last streams' first writes, the kernel's socket buffers
RSS1=$(rss_kib)
read -r -t $((HOLD + SECONDS_RUN + 60)) RESULT <&"${LOAD[0]}" || die "the loader gave no result ($(cat "$DIR/loader.err"))"
kv() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<" $RESULT"; }
log "loader: $RESULT"
{
  echo "| what | value |"
  echo "| --- | ---: |"
  echo "| SSE streams open (1 cong worker, $CONNS h2c connections) | $OPEN (failed: $FAILED) |"
  echo "| cong VmRSS before / with them open | $RSS0 KiB / $RSS1 KiB |"
  awk -v o="$OPEN" -v a="$RSS0" -v b="$RSS1" 'BEGIN { per = (b - a) * 1024 / o;
    printf "| bytes per open stream (RSS growth / streams) | %.0f |\n", per;
    printf "| streams per GiB of gateway memory (target 100,000) | %.0f |\n", 1073741824 / per }'
  echo "| events published ($RATE/s for ${SECONDS_RUN} s) / delivered | $(kv published) / $(kv delivered) |"
  echo "| delivery latency PUBLISH → SSE client, p50 / p99 / max (ms) | $(kv p50_ms) / $(kv p99_ms) / $(kv max_ms) |"
} | tee "$DIR/results.md"

#!/usr/bin/env bash
# bench/queue.sh — walk-in queue numbers through cong (modules/queue, issue 15) against the Redis they come from. One
# run, 127.0.0.1 only, its own fresh PostgreSQL and Redis under QBENCH_DIR, one cong worker pinned to the last core and
# the clients on core 0 (bench/lib.sh):
#   tickets   POST /v1/units/{U}/queue/tickets {domain} with bench/h2_submit_load (a new Idempotency-Key each, the
#             tokens of QBENCH_CITIZENS citizens in turn: each may take 50 numbers a day, the configured maximum),
#             one hot queue (one unit, one domain): every request is a PostgreSQL read, the Redis script, a
#             PostgreSQL transaction (lock on the citizen, insert) and a 201;
#   incr      redis-benchmark -t incr on the same Redis, same run: what Redis alone gives for one counter;
#   script    redis-benchmark running the module's own script (EVAL: INCR and the floor) on one key.
# Reported: req/s, p50/p99 of the tickets, tickets / INCR, and a check that no number was given twice.
# Environment: CONG_BUILD_DIR (build-release), QBENCH_DIR (.run/qbench), QBENCH_DURATION (6), QBENCH_CITIZENS (4000),
# QBENCH_PORT_BASE (19000). Bounded: every step has a timeout.
set -euo pipefail

SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH_NAME=qbench
# shellcheck source=bench/lib.sh
source "$SRC/bench/lib.sh"
BUILD=${CONG_BUILD_DIR:-$SRC/build-release}
DIR=${QBENCH_DIR:-$SRC/.run/qbench}
DURATION=${QBENCH_DURATION:-6}
CITIZENS=${QBENCH_CITIZENS:-4000}
CONNS=16 STREAMS=4
PB=${QBENCH_PORT_BASE:-19000}
CONG_PORT=$((PB + 80)) REDIS_PORT=$((PB + 391)) PG_PORT=$((PB + 491))
ISSUER=https://id.cong.test
for tool in cc curl psql python3 redis-benchmark redis-cli timeout; do
  command -v "$tool" >/dev/null || die "$tool is not installed"
done
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
LOADER=$BUILD/bench/h2_submit_load
cc -O2 -Wall -Wextra -Werror -o "$LOADER" "$SRC/bench/h2_submit_load.c" "$SRC/bench/h2_wire.c"

bash "$SRC/scripts/make-keys.sh" "$DIR"
rm -rf "$DIR/pg" "$DIR/redis"
SERVICES_STARTED=1
bash "$SRC/scripts/services.sh" start "$DIR" "$REDIS_PORT" "$PG_PORT"
sql() { psql -h 127.0.0.1 -p "$PG_PORT" -U cong -d cong -v ON_ERROR_STOP=1 -X -q -At -c "$1"; }
ulimit -n 65536 2>/dev/null || true

ENVV=(env -i PATH="$PATH" CONG_SERVER_BIND=127.0.0.1 CONG_SERVER_H2C_PORT="$CONG_PORT" CONG_SERVER_TLS_PORT=0
  CONG_SERVER_ADMIN_PORT=0 CONG_SERVER_WORKERS=1 CONG_SERVER_ENVIRONMENT=development
  CONG_SERVER_OPENAPI_FILE="$SRC/openapi/cong.yaml" CONG_SERVER_SHUTDOWN_TIMEOUT_MS=2000
  CONG_REDIS_PORT="$REDIS_PORT" CONG_POSTGRES_CONNINFO="host=127.0.0.1 port=$PG_PORT dbname=cong user=cong"
  CONG_POSTGRES_MIGRATIONS_DIR="$SRC/gateway/migrations"
  CONG_AUTH_PUBLIC_KEY_FILE="$DIR/keys/issuer.pub.pem" CONG_AUTH_PUBLIC_KEY_PRIVILEGED=1 CONG_AUTH_ISSUER="$ISSUER"
  CONG_AUTH_AUDIENCE=cong CONG_AUTH_DOCUMENT_SIGNING_KEY_FILE="$DIR/keys/cong-document.pem"
  CONG_MODULES_AUDIT_SIGNING_KEY_FILE="$DIR/keys/cong-audit.pem" CONG_MODULES_PROCEDURES_DATA_DIR="$DIR/data"
  CONG_LOG_ACCESS_LOG= CONG_LOG_LEVEL=warn CONG_RATE_LIMITS_ENABLED=0
  CONG_MODULES_QUEUE_MAX_PER_DAY=50 CONG_MODULES_QUEUE_MAX_PER_DOMAIN_PER_DAY=50
  CONG_MODULES_QUEUE_OPEN_DAYS="sun mon tue wed thu fri sat" CONG_MODULES_QUEUE_HOLIDAYS_CLOSED=false)
(cd "$SRC" && timeout 120 "${ENVV[@]}" "$BUILD/cong" --migrate) >"$DIR/migrate.log" 2>&1 ||
  { cat "$DIR/migrate.log" >&2; die "cong --migrate failed"; }
timeout 300 bash "$SRC/scripts/seed.sh" "$REDIS_PORT" "$PG_PORT" >"$DIR/seed.log" 2>&1 ||
  { cat "$DIR/seed.log" >&2; die "seed.sh failed"; }
read -r UNIT DOMAIN < <(sql "SELECT pu.unit_code, min(p.domain) FROM procedure_units pu JOIN procedures p
  ON p.code = pu.procedure_code WHERE pu.unit_code LIKE 'HN-W-%' GROUP BY pu.unit_code ORDER BY 1 LIMIT 1" | tr '|' ' ')
[ -n "${DOMAIN:-}" ] || die "no unit with a domain in the catalog"

(cd "$SRC" && exec $(server_pin) "${ENVV[@]}" "$BUILD/cong") >"$DIR/cong.log" 2>&1 &
CONG_PID=$!
for _ in $(seq 1 150); do
  kill -0 "$CONG_PID" 2>/dev/null || { cat "$DIR/cong.log" >&2; die "cong exited at start"; }
  [ "$(curl -s -o /dev/null -w '%{http_code}' --http2-prior-knowledge --max-time 2 \
    "http://127.0.0.1:$CONG_PORT/readyz" || true)" = 200 ] && break
  sleep 0.2
done

# The citizens' tokens, as cong-jwt-mint makes them (ES256, typ at+jwt, the test issuer), signed in one process.
timeout 120 python3 - "$DIR/keys/issuer.key.pem" "$ISSUER" "$CITIZENS" >"$DIR/tokens" <<'PY'
import base64, json, sys, time
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, utils
key = serialization.load_pem_private_key(open(sys.argv[1], "rb").read(), None)
b64 = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()
head, now = b64(json.dumps({"alg": "ES256", "typ": "at+jwt"}).encode()), int(time.time())
for i in range(int(sys.argv[3])):
    claims = {"iss": sys.argv[2], "aud": "cong", "sub": f"qbench-{now}-{i}", "iat": now, "auth_time": now,
              "exp": now + 1800, "acr": "1"}
    signed = head + "." + b64(json.dumps(claims).encode())
    r, s = utils.decode_dss_signature(key.sign(signed.encode(), ec.ECDSA(hashes.SHA256())))
    print(signed + "." + b64(r.to_bytes(32, "big") + s.to_bytes(32, "big")))
PY
printf '{"domain":"%s"}' "$DOMAIN" >"$DIR/body.json"
URL_PATH="/v1/units/$UNIT/queue/tickets"
[ "$(curl -s -o /dev/null -w '%{http_code}' --http2-prior-knowledge --max-time 5 -H 'content-type: application/json' \
  -H "authorization: Bearer $(head -n 1 "$DIR/tokens")" -d @"$DIR/body.json" "http://127.0.0.1:$CONG_PORT$URL_PATH")" = 201 ] ||
  die "a ticket was not created (see $DIR/cong.log)"
log "unit $UNIT, domain $DOMAIN, $CITIZENS citizens"

out=$(timeout $((DURATION + 60)) $(client_pin) "$LOADER" --port "$CONG_PORT" --token-file "$DIR/tokens" \
  --token-per-line 1 --body-file "$DIR/body.json" --path "$URL_PATH" --connections "$CONNS" --streams "$STREAMS" \
  --seconds "$DURATION" --warmup 1 2>"$DIR/loader.err") || { cat "$DIR/loader.err" >&2; die "not every ticket was 201: $out"; }
kv() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<" $out"; }
T_RPS=$(kv rps) T_P50=$(kv p50_ms) T_P99=$(kv p99_ms) T_SENT=$(kv sent)
log "tickets: $out"

N=$((DURATION * 50000))
rb() { timeout $((DURATION * 4 + 30)) $(client_pin) redis-benchmark -p "$REDIS_PORT" -c "$CONNS" -n "$N" --csv "$@" |
  awk -F'"' 'NR > 1 { print $4; exit }'; }
I_RPS=$(rb -t incr)
SCRIPT="local n = redis.call('INCR', KEYS[1]) local floor = tonumber(ARGV[1]) if n <= floor then n = floor + 1 redis.call('SET', KEYS[1], n, 'EX', ARGV[2]) elseif n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[2]) end return n"
S_RPS=$(rb EVAL "$SCRIPT" 1 "qbench:script" 0 172800)

read -r ROWS DISTINCT < <(sql "SELECT count(*), count(DISTINCT number) FROM queue_tickets WHERE unit_code = '$UNIT'
  AND domain = '$DOMAIN'" | tr '|' ' ')
[ "$ROWS" = "$DISTINCT" ] || die "a number was given twice: $ROWS tickets, $DISTINCT numbers"
{
  echo "| what | req/s | p50 ms | p99 ms |"
  echo "| --- | ---: | ---: | ---: |"
  echo "| POST $URL_PATH (cong, 1 worker, h2_submit_load ${CONNS}x$STREAMS) | $T_RPS | $T_P50 | $T_P99 |"
  echo "| redis-benchmark -t incr (-c $CONNS) | $I_RPS | | |"
  echo "| redis-benchmark EVAL of the module's script (-c $CONNS) | $S_RPS | | |"
  awk -v t="$T_RPS" -v i="$I_RPS" -v s="$S_RPS" 'BEGIN {
    printf "\ntickets / INCR = %.4f; the script / INCR = %.3f\n", t / i, s / i }'
  echo "$ROWS tickets stored ($T_SENT sent in the run), $DISTINCT different numbers: none given twice"
} | tee "$DIR/results.md"

#!/usr/bin/env bash
# bench/appointments.sh — booking appointments through cong (modules/appointments, issue 15) against the same SQL
# through pgbench. One run, 127.0.0.1 only, its own fresh PostgreSQL and Redis under ABENCH_DIR, one cong worker
# pinned to the last core and the clients on core 0 (bench/lib.sh):
#   hot      POST /v1/appointments, every request for ONE slot (10,000 seats): the seat counter's row is the point of
#            contention, each booking holding it from its one-statement seat taking to its commit;
#   spread   the same, each request for one of 288 slots of a day (5 minutes each) in turn;
#   pgbench  the same appointment_book(...) statements, as many clients as cong's pool, one slot (another hot slot) and
#            random slots of the 288: what PostgreSQL alone gives for the same transaction.
# Both through bench/h2_submit_load (a new Idempotency-Key each, the tokens of ABENCH_CITIZENS citizens in turn: each
# books a few times at most, under the limits set here: 20 active per domain and a day). Reported: bookings/s,
# p50/p99, cong / pgbench per kind; a check that no slot holds more bookings than seats and every seat is a row.
# Environment: CONG_BUILD_DIR (build-release), ABENCH_DIR (.run/apbench), ABENCH_DURATION (5), ABENCH_CITIZENS
# (5000), ABENCH_PORT_BASE (19000). Bounded: every step has a timeout.
set -euo pipefail

SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH_NAME=apbench
# shellcheck source=bench/lib.sh
source "$SRC/bench/lib.sh"
BUILD=${CONG_BUILD_DIR:-$SRC/build-release}
DIR=${ABENCH_DIR:-$SRC/.run/apbench}
DURATION=${ABENCH_DURATION:-5}
CITIZENS=${ABENCH_CITIZENS:-5000}
CONNS=16 STREAMS=4 POOL=4 SPREAD=288
PB=${ABENCH_PORT_BASE:-19000}
CONG_PORT=$((PB + 80)) REDIS_PORT=$((PB + 391)) PG_PORT=$((PB + 491))
ISSUER=https://id.cong.test
for tool in cc curl psql pgbench python3 timeout; do
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

LIMITS=(CONG_MODULES_APPOINTMENTS_MAX_ACTIVE_PER_DOMAIN=20 CONG_MODULES_APPOINTMENTS_MAX_PER_DAY=20)
ENVV=(env -i PATH="$PATH" CONG_SERVER_BIND=127.0.0.1 CONG_SERVER_H2C_PORT="$CONG_PORT" CONG_SERVER_TLS_PORT=0
  CONG_SERVER_ADMIN_PORT=0 CONG_SERVER_WORKERS=1 CONG_SERVER_ENVIRONMENT=development
  CONG_SERVER_OPENAPI_FILE="$SRC/openapi/cong.yaml" CONG_SERVER_SHUTDOWN_TIMEOUT_MS=2000
  CONG_REDIS_PORT="$REDIS_PORT" CONG_POSTGRES_CONNINFO="host=127.0.0.1 port=$PG_PORT dbname=cong user=cong"
  CONG_POSTGRES_POOL_SIZE="$POOL" CONG_POSTGRES_MIGRATIONS_DIR="$SRC/gateway/migrations"
  CONG_AUTH_PUBLIC_KEY_FILE="$DIR/keys/issuer.pub.pem" CONG_AUTH_PUBLIC_KEY_PRIVILEGED=1 CONG_AUTH_ISSUER="$ISSUER"
  CONG_AUTH_AUDIENCE=cong CONG_AUTH_DOCUMENT_SIGNING_KEY_FILE="$DIR/keys/cong-document.pem"
  CONG_MODULES_AUDIT_SIGNING_KEY_FILE="$DIR/keys/cong-audit.pem" CONG_MODULES_PROCEDURES_DATA_DIR="$DIR/data"
  CONG_LOG_ACCESS_LOG= CONG_LOG_LEVEL=warn CONG_RATE_LIMITS_ENABLED=0 "${LIMITS[@]}"
  CONG_MODULES_APPOINTMENTS_JOB_INTERVAL_MS=600000)
(cd "$SRC" && timeout 120 "${ENVV[@]}" "$BUILD/cong" --migrate) >"$DIR/migrate.log" 2>&1 ||
  { cat "$DIR/migrate.log" >&2; die "cong --migrate failed"; }
timeout 300 bash "$SRC/scripts/seed.sh" "$REDIS_PORT" "$PG_PORT" >"$DIR/seed.log" 2>&1 ||
  { cat "$DIR/seed.log" >&2; die "seed.sh failed"; }

# A ward and two domains it handles, each open every day, all day: D1 in 5-minute slots of 10,000 seats (the hot one),
# D2 likewise (the spread ones); the day: the first that is no holiday, two days from now at least.
read -r UNIT D1 D2 < <(sql "SELECT pu.unit_code, min(p.domain), max(p.domain) FROM procedure_units pu JOIN procedures p
  ON p.code = pu.procedure_code WHERE pu.unit_code LIKE 'HN-W-%' GROUP BY pu.unit_code HAVING count(DISTINCT p.domain) > 1
  ORDER BY 1 LIMIT 1" | tr '|' ' ')
[ -n "${D2:-}" ] || die "no ward with two domains in the catalog"
DAY=$(sql "SELECT min(d)::date FROM generate_series(current_date + 2, current_date + 30, interval '1 day') d
  WHERE d::date NOT IN (SELECT day FROM holidays)")
for d in "$D1" "$D2"; do
  sql "INSERT INTO appointment_schedules (unit_code, domain, weekdays, periods, slot_minutes, capacity, updated_by)
       VALUES ('$UNIT', '$d', '{1,2,3,4,5,6,7}', '[{\"start\": \"00:00\", \"end\": \"24:00\"}]', 5, 10000, 'apbench')"
done
HOT="${DAY}T09:00:00+07:00" HOT_PG="${DAY}T09:05:00+07:00"

(cd "$SRC" && exec $(server_pin) "${ENVV[@]}" "$BUILD/cong") >"$DIR/cong.log" 2>&1 &
CONG_PID=$!
for _ in $(seq 1 150); do
  kill -0 "$CONG_PID" 2>/dev/null || { cat "$DIR/cong.log" >&2; die "cong exited at start"; }
  [ "$(curl -s -o /dev/null -w '%{http_code}' --http2-prior-knowledge --max-time 2 \
    "http://127.0.0.1:$CONG_PORT/readyz" || true)" = 200 ] && break
  sleep 0.2
done

# The citizens' tokens (ES256, typ at+jwt, the test issuer), signed in one process.
timeout 120 python3 - "$DIR/keys/issuer.key.pem" "$ISSUER" "$CITIZENS" >"$DIR/tokens" <<'PY'
import base64, json, sys, time
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, utils
key = serialization.load_pem_private_key(open(sys.argv[1], "rb").read(), None)
b64 = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()
head, now = b64(json.dumps({"alg": "ES256", "typ": "at+jwt"}).encode()), int(time.time())
for i in range(int(sys.argv[3])):
    claims = {"iss": sys.argv[2], "aud": "cong", "sub": f"apbench-{now}-{i}", "iat": now, "auth_time": now,
              "exp": now + 1800, "acr": "1"}
    signed = head + "." + b64(json.dumps(claims).encode())
    r, s = utils.decode_dss_signature(key.sign(signed.encode(), ec.ECDSA(hashes.SHA256())))
    print(signed + "." + b64(r.to_bytes(32, "big") + s.to_bytes(32, "big")))
PY
printf '{"unit":"%s","domain":"%s","slot":"%s"}\n' "$UNIT" "$D1" "$HOT" >"$DIR/hot.json"
python3 -c 'import sys
for m in range(int(sys.argv[4])):
    print("{\"unit\":\"%s\",\"domain\":\"%s\",\"slot\":\"%sT%02d:%02d:00+07:00\"}" % (sys.argv[1], sys.argv[2], sys.argv[3], m * 5 // 60, m * 5 % 60))' \
  "$UNIT" "$D2" "$DAY" "$SPREAD" >"$DIR/spread.json"
[ "$(curl -s -o "$DIR/first.json" -w '%{http_code}' --http2-prior-knowledge --max-time 5 -H 'content-type: application/json' \
  -H "authorization: Bearer $(tail -n 1 "$DIR/tokens")" -H 'idempotency-key: apbench-first' -d "{\"unit\":\"$UNIT\",\"domain\":\"$D2\",\"slot\":\"${DAY}T23:55:00+07:00\"}" \
  "http://127.0.0.1:$CONG_PORT/v1/appointments")" = 201 ] || die "a booking was not created: $(cat "$DIR/first.json") (see $DIR/cong.log)"
log "unit $UNIT, domains $D1 (hot: $HOT) and $D2 ($SPREAD slots), $CITIZENS citizens"

# load BODY_FILE PER_LINE → the loader's line; dies unless every booking was 201
load() {
  local out
  out=$(timeout $((DURATION + 60)) $(client_pin) "$LOADER" --port "$CONG_PORT" --token-file "$DIR/tokens" \
    --token-per-line 1 --body-file "$1" --body-per-line "$2" --path /v1/appointments --connections "$CONNS" \
    --streams "$STREAMS" --seconds "$DURATION" --warmup 1 2>"$DIR/loader.err") ||
    { cat "$DIR/loader.err" >&2; die "not every booking was 201: $out"; }
  echo "$out"
}
kv() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" <<<" $1"; }
HOT_OUT=$(load "$DIR/hot.json" 0)
log "hot: $HOT_OUT"
# a new set of citizens' bookings: the loader's next run takes the tokens from the first again, each under the limits
SPREAD_OUT=$(load "$DIR/spread.json" 1)
log "spread: $SPREAD_OUT"

# ---- the same SQL through pgbench: a hot slot of its own, and random slots of the day in D2 ---------------------
sql "CREATE SEQUENCE apbench_seq"
book_sql() { # SLOT_EXPRESSION DOMAIN
  echo "SELECT http_status FROM (SELECT 'pgbench-' || nextval('apbench_seq') AS who) w, appointment_book(w.who, w.who, 'h', '$UNIT', '$2', $1, NULL, 300, 20, 20, 400, 'pgbench');"
}
book_sql "'$HOT_PG'::timestamptz" "$D1" >"$DIR/pgbench_hot.sql"
{ echo '\set m random(0, 287)'; book_sql "'$DAY'::timestamp AT TIME ZONE 'Asia/Ho_Chi_Minh' + make_interval(mins => 5 * :m)" "$D2"; } >"$DIR/pgbench_spread.sql"
pgb() { # SCRIPT → tps
  $(client_pin) timeout $((DURATION * 3 + 60)) pgbench -h 127.0.0.1 -p "$PG_PORT" -U cong -n -M prepared -c "$POOL" -j 1 \
    -T "$DURATION" -f "$1" cong >"$1.out" 2>&1 || { cat "$1.out" >&2; die "pgbench failed"; }
  awk '/^tps = / { printf "%.1f", $3; exit }' "$1.out"
}
PG_HOT=$(pgb "$DIR/pgbench_hot.sql")
PG_SPREAD=$(pgb "$DIR/pgbench_spread.sql")
log "pgbench: hot $PG_HOT tps, spread $PG_SPREAD tps"

OVER=$(sql "SELECT count(*) FROM appointment_slots s WHERE s.taken > s.capacity OR s.taken <> (SELECT count(*)
  FROM appointments a WHERE a.unit_code = s.unit_code AND a.domain = s.domain AND a.starts_at = s.starts_at)")
[ "$OVER" = 0 ] || die "$OVER slots hold more bookings than seats, or a count that is not their rows"
read -r HOT_ROWS SPREAD_ROWS < <(sql "SELECT count(*) FILTER (WHERE domain = '$D1' AND starts_at = '$HOT'),
  count(*) FILTER (WHERE domain = '$D2' AND subject LIKE 'apbench-%') FROM appointments" | tr '|' ' ')
{
  echo "| what | bookings/s | p50 ms | p99 ms |"
  echo "| --- | ---: | ---: | ---: |"
  echo "| POST /v1/appointments, one hot slot (cong, 1 worker, h2_submit_load ${CONNS}x$STREAMS) | $(kv "$HOT_OUT" rps) | $(kv "$HOT_OUT" p50_ms) | $(kv "$HOT_OUT" p99_ms) |"
  echo "| POST /v1/appointments, $SPREAD slots in turn (same) | $(kv "$SPREAD_OUT" rps) | $(kv "$SPREAD_OUT" p50_ms) | $(kv "$SPREAD_OUT" p99_ms) |"
  echo "| appointment_book through pgbench, one hot slot ($POOL clients) | $PG_HOT | | |"
  echo "| appointment_book through pgbench, random slots of $SPREAD | $PG_SPREAD | | |"
  awk -v h="$(kv "$HOT_OUT" rps)" -v s="$(kv "$SPREAD_OUT" rps)" -v ph="$PG_HOT" -v ps="$PG_SPREAD" 'BEGIN {
    printf "\ncong / pgbench: hot %.2f, spread %.2f; hot / spread through cong %.2f\n", h / ph, s / ps, h / s }'
  echo "$HOT_ROWS bookings of the hot slot stored ($(kv "$HOT_OUT" sent) sent), $SPREAD_ROWS spread ($(kv "$SPREAD_OUT" sent)"\
    "sent, and one before the runs); no slot over its seats"
} | tee "$DIR/results.md"

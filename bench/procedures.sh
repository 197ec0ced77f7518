#!/usr/bin/env bash
# bench/procedures.sh — the procedures bench of issue 4 (see bench/README.md, "Procedures bench"). One run, on
# 127.0.0.1 only, one cong worker (pinned to the last core, the load tools to core 0), its own Redis (17392) and
# PostgreSQL (17492) in a fresh cluster under .run/procbench/, cong h2c on 17180:
#   submit     POST /v1/dossiers, a new Idempotency-Key per request (bench/h2_submit_load.c), spread over the units
#              that handle the procedure (one body per unit, in turn), against its anchor (issue 17 part 3):
#   pgbench    the same transaction — dossier_submit, the SQL function cong calls, with the same procedure, units and
#              form (bench/pgbench_submission.sql) — on the same PostgreSQL, as many clients as cong's PostgreSQL
#              pool, same duration: the ratio submissions/s / transactions/s (target >= 0.8). For scale, also a
#              plain single-row INSERT (bench/pgbench_insert.sql), the anchor of issue 4.
#   rate       the submissions again at a fixed offered rate (h2_submit_load --rate: half the rate cong reached),
#              p50/p99 of each answer
#   catalog    GET /v1/procedures?q=dang%20ky%20khai%20sinh with h2load, cached in Redis, then uncached
#              (CONG_MODULES_PROCEDURES_CATALOG_CACHE_TTL_S=0: a trigram search in PostgreSQL every time)
#   kpi        1,000,000 generated dossiers (bench/gen_dossiers.sql), then kpi_units, kpi_late_units and
#              kpi_trend(12) timed 5 times each (median), and GET /v1/kpi/units through cong when that route exists
# The rate limiter is off (CONG_RATE_LIMITS_ENABLED=0) for every run: it measures the module, not the limiter.
# Prints a markdown table (also .run/procbench/results.md). About 3-4 minutes once cong is built.
# Environment: CONG_BUILD_DIR (default build-release), PROCBENCH_DIR (default .run/procbench),
# PROCBENCH_DURATION (8), PROCBENCH_DOSSIERS (1000000), PROCBENCH_CASES ("submit catalog kpi": which parts run),
# PROCBENCH_POOL (cong's postgres.pool_size; default: what cong sizes for this machine, 8 per core for one worker —
# cong_pg_pool_size_for_machine), BENCH_PIN (see bench/lib.sh).
set -euo pipefail

SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH_NAME=procbench
# shellcheck source=bench/lib.sh
source "$SRC/bench/lib.sh"
BUILD=${CONG_BUILD_DIR:-$SRC/build-release}
DIR=${PROCBENCH_DIR:-$SRC/.run/procbench}
DURATION=${PROCBENCH_DURATION:-8}
DOSSIERS=${PROCBENCH_DOSSIERS:-1000000}
WARMUP=1
CASES=" ${PROCBENCH_CASES:-submit catalog kpi} "
# postgres.pool_size: cong's default for one worker on this machine (gateway/stores/postgres.c,
# cong_pg_pool_size_for_machine: 8 per online core, 4..64), set explicitly so that pgbench gets as many clients
POOL=${PROCBENCH_POOL:-$(( $(getconf _NPROCESSORS_ONLN) * 8 ))}
[ "$POOL" -gt 64 ] && POOL=64
[ "$POOL" -lt 4 ] && POOL=4
SUBMIT_CONNS=16 SUBMIT_STREAMS=4
CAT_CLIENTS=32 CAT_STREAMS=16
CONG_PORT=17180 CONG_TLS_PORT=17543
REDIS_PORT=17392 PG_PORT=17492
ISSUER=https://id.cong.test
AUDIENCE=cong
CATALOG_PATH='/v1/procedures?q=dang%20ky%20khai%20sinh'

for tool in h2load curl cc psql pgbench redis-cli awk sort python3 openssl; do
  command -v "$tool" >/dev/null || die "$tool is not installed (scripts/deps.sh installs everything)"
done
mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)

# ---- processes we start, stopped by PID on exit ------------------------------------------------------------------
on_exit_stop_cong_and_stores

for p in $CONG_PORT $CONG_TLS_PORT $REDIS_PORT $PG_PORT; do
  port_busy "$p" && die "port $p is already in use"
done

# ---- build --------------------------------------------------------------------------------------------------------
if [ ! -f "$BUILD/CMakeCache.txt" ]; then
  cmake -S "$SRC" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >"$DIR/build.log" 2>&1 || { cat "$DIR/build.log" >&2; exit 1; }
fi
grep -q '^CMAKE_BUILD_TYPE:STRING=Release' "$BUILD/CMakeCache.txt" || log "warning: $BUILD is not a Release build"
make -C "$BUILD" -j"$CORES" cong cong-jwt-mint >>"$DIR/build.log" 2>&1 || { tail -30 "$DIR/build.log" >&2; die "build failed"; }
mkdir -p "$BUILD/bench"
LOADER=$BUILD/bench/h2_submit_load
cc -O2 -Wall -Wextra -Werror -o "$LOADER" "$SRC/bench/h2_submit_load.c" "$SRC/bench/h2_wire.c"

# ---- keys, a fresh PostgreSQL cluster and Redis (the ports are free: nothing of ours runs there) -------------------
bash "$SRC/scripts/make-keys.sh" "$DIR"
rm -rf "$DIR/pg" "$DIR/redis"
SERVICES_STARTED=1
bash "$SRC/scripts/services.sh" start "$DIR" "$REDIS_PORT" "$PG_PORT"
PSQL=(psql -h 127.0.0.1 -p "$PG_PORT" -U cong -d cong -v ON_ERROR_STOP=1 -X -q)
sql() { "${PSQL[@]}" -At -c "$1"; }

want=65536; hard=$(ulimit -Hn)
if [ "$hard" != unlimited ] && [ "$hard" -lt "$want" ]; then want=$hard; fi
ulimit -n "$want"

PG_CONNINFO="host=127.0.0.1 port=$PG_PORT dbname=cong user=cong"
cong_env() { # CATALOG_CACHE_TTL_S: sets ENVV, a clean environment (no CONG_* of the caller leaks in)
  ENVV=(env -i PATH="$PATH" \
    CONG_SERVER_BIND=127.0.0.1 CONG_SERVER_H2C_PORT="$CONG_PORT" CONG_SERVER_TLS_PORT="$CONG_TLS_PORT" \
    CONG_SERVER_TLS_CERTIFICATE="$DIR/tls/cert.pem" CONG_SERVER_TLS_PRIVATE_KEY="$DIR/tls/key.pem" \
    CONG_SERVER_WORKERS=1 CONG_SERVER_SHUTDOWN_TIMEOUT_MS=2000 \
    CONG_SERVER_OPENAPI_FILE="$SRC/openapi/cong.yaml" \
    CONG_REDIS_PORT="$REDIS_PORT" CONG_POSTGRES_CONNINFO="$PG_CONNINFO" CONG_POSTGRES_POOL_SIZE="$POOL" \
    CONG_POSTGRES_MIGRATIONS_DIR="$SRC/gateway/migrations" \
    CONG_SERVER_ENVIRONMENT=development CONG_SERVER_ADMIN_PORT=0 CONG_AUTH_PUBLIC_KEY_FILE="$DIR/keys/issuer.pub.pem" CONG_AUTH_ISSUER="$ISSUER" CONG_AUTH_AUDIENCE="$AUDIENCE" \
    CONG_AUTH_PUBLIC_KEY_PRIVILEGED=1 \
    CONG_AUTH_SIGNING_KEY_FILE="$DIR/keys/cong-signing.pem" CONG_AUTH_SUBJECT_SECRET_FILE="$DIR/keys/subject-secret" \
    CONG_AUTH_DOCUMENT_SIGNING_KEY_FILE="$DIR/keys/cong-document.pem" \
    CONG_MODULES_AUDIT_SIGNING_KEY_FILE="$DIR/keys/cong-audit.pem" \
    CONG_LOG_ACCESS_LOG= CONG_LOG_LEVEL=info \
    CONG_RATE_LIMITS_ENABLED=0 \
    CONG_MODULES_PROCEDURES_DATA_DIR="$DIR/data" \
    CONG_MODULES_PROCEDURES_CATALOG_CACHE_TTL_S="$1")
}
status_of() { # URL [token]
  local auth=()
  [ -n "${2:-}" ] && auth=(-H "authorization: Bearer $2")
  curl -s -o /dev/null -w '%{http_code}' --http2-prior-knowledge --max-time 5 "${auth[@]}" "$1" || true
}
start_cong() { # CATALOG_CACHE_TTL_S LOGNAME
  cong_env "$1"
  (cd "$SRC" && exec $(server_pin) "${ENVV[@]}" "$BUILD/cong") >"$DIR/$2.log" 2>&1 &
  CONG_PID=$!
  for _ in $(seq 1 150); do
    kill -0 "$CONG_PID" 2>/dev/null || { cat "$DIR/$2.log" >&2; die "cong ($2) exited at start"; }
    # ready, and the catalog in memory (catalog_live.h): before its first load searches and submissions ask
    # PostgreSQL, and the load would measure that start (and its shedding: 503 database-busy) instead
    [ "$(status_of "http://127.0.0.1:$CONG_PORT/readyz")" = 200 ] &&
      grep -q "catalog: version [0-9]* in memory" "$DIR/$2.log" && return 0
    sleep 0.2
  done
  die "cong ($2) is not ready, or its catalog not in memory, after 30 s"
}
check() { [ "$2" = "$3" ] || die "sanity check failed: $1 answered $3, expected $2"; }

# ---- schema (the gateway's and the module's migrations) and the catalog (scripts/seed.sh) -------------------------
cong_env 300
(cd "$SRC" && "${ENVV[@]}" "$BUILD/cong" --migrate) >"$DIR/migrate.log" 2>&1 || { cat "$DIR/migrate.log" >&2; die "cong --migrate failed"; }
bash "$SRC/scripts/seed.sh" "$REDIS_PORT" "$PG_PORT" >"$DIR/seed.log" 2>&1 || { cat "$DIR/seed.log" >&2; die "seed.sh failed"; }
for f in dossier_submit catalog_search kpi_units kpi_late_units kpi_trend cong_add_working_days; do
  [ "$(sql "SELECT to_regproc('$f') IS NOT NULL")" = t ] ||
    die "the SQL function $f is missing: modules/procedures/migrations has not got it yet"
done
[ "$(sql "SELECT count(*) > 0 FROM procedures")" = t ] || die "the catalog is empty: scripts/seed.sh did not load it"
log "catalog: $(sql "SELECT count(*) FROM procedures") procedures, $(sql "SELECT count(*) FROM units") units"

# The submission: "Đăng ký khai sinh" (1.001193) if present, else the first commune-level procedure; its first unit;
# every required field of its form, filled with a value of its type (and the known patterns).
read -r PROC UNIT < <(sql "SELECT p.code, (SELECT min(unit_code) FROM procedure_units pu WHERE pu.procedure_code = p.code)
                             FROM procedures p WHERE p.level = 'commune' AND p.min_loa <= 2
                            ORDER BY p.code <> '1.001193', p.code LIMIT 1" | tr '|' ' ')
[ -n "${UNIT:-}" ] || die "no procedure handled by a ward or commune in the catalog"
sql "SELECT jsonb_build_object('procedure_code', p.code, 'unit_code', '$UNIT', 'form', (
       SELECT coalesce(jsonb_object_agg(f ->> 'name', CASE
                WHEN f ->> 'name' = 'so_dien_thoai' THEN to_jsonb('0912345678'::text)
                WHEN f ->> 'name' = 'dien_tich_m2' THEN to_jsonb('120.5'::text)
                WHEN f ->> 'name' = 'ma_so_thue' THEN to_jsonb('0101234567'::text)
                WHEN f ->> 'name' = 'quoc_tich' THEN to_jsonb('VN'::text)
                WHEN f ->> 'type' = 'integer' THEN to_jsonb(2)
                WHEN f ->> 'type' = 'date' THEN to_jsonb('2026-01-15'::text)
                WHEN f ->> 'type' = 'boolean' THEN to_jsonb(true)
                WHEN f ->> 'type' = 'enum' THEN f -> 'enum' -> 0
                ELSE to_jsonb(left('Nguyễn Thị Bench, số 1 phố Huế', coalesce((f ->> 'max_length')::int, 100)))
              END), '{}'::jsonb)
         FROM jsonb_array_elements(p.form_fields) AS f WHERE (f ->> 'required')::boolean))
     FROM procedures p WHERE p.code = '$PROC'" >"$DIR/submit-body.json"
log "submission body ($(wc -c <"$DIR/submit-body.json") bytes): $(cat "$DIR/submit-body.json")"
"$BUILD/cong-jwt-mint" --key "$DIR/keys/issuer.key.pem" --iss "$ISSUER" --aud "$AUDIENCE" \
  --sub procbench-citizen --scope ping --acr 2 --ttl 3600 >"$DIR/token.txt"
TOKEN=$(cat "$DIR/token.txt")

# ---- 1. submissions vs pgbench ------------------------------------------------------------------------------------
# One body per unit that handles the procedure (the first is submit-body.json), sent in turn; pgbench draws among the
# same units (bench/pgbench_submission.sql says why one unit alone would not do).
UNITS=$(sql "SELECT string_agg(unit_code, ' ' ORDER BY unit_code) FROM procedure_units WHERE procedure_code = '$PROC'")
NUNITS=$(wc -w <<<"$UNITS")
python3 -c 'import json, sys
body = json.load(open(sys.argv[1]))
for unit in sys.argv[2].split():
    body["unit_code"] = unit
    print(json.dumps(body, ensure_ascii=False, separators=(",", ":")))' "$DIR/submit-body.json" "$UNITS" >"$DIR/submit-bodies.txt"
FORM=$(python3 -c 'import json, sys; print(json.dumps(json.load(open(sys.argv[1]))["form"], ensure_ascii=False))' "$DIR/submit-body.json")
SUBMIT_OK=1 S_SHED=0 S_RPS=n/a S_P50=n/a S_P99=n/a S_SENT=0 S_201=0 S_BAD=0 FILED=0 PG_TPS=n/a PG_P50=n/a PG_P99=n/a PG_FAILED=0
PG_TX=0 PI_TPS=n/a PI_P50=n/a PI_P99=n/a RATE=n/a R_P50=n/a R_P99=n/a R_BAD=0 R_SKIPPED=0
percentiles() { # reads µs, one per line; prints "p50_ms p99_ms" (nearest rank)
  sort -n | awk '{ v[NR] = $1 } END { if (NR == 0) { print "n/a n/a"; exit }
    i50 = int(NR * 0.50); if (i50 < NR * 0.50) i50++; i99 = int(NR * 0.99); if (i99 < NR * 0.99) i99++;
    printf "%.2f %.2f\n", v[i50] / 1000, v[i99] / 1000 }'
}
pgbench_run() { # NAME SCRIPT [pgbench -D ...]: sets TPS P50 P99 FAILED TX from pgbench -c POOL for DURATION seconds
  local name=$1 script=$2; shift 2
  rm -f "$DIR"/pgbench_log.*
  (cd "$DIR" && $(client_pin) timeout $((DURATION + 30)) pgbench -h 127.0.0.1 -p "$PG_PORT" -U cong -n -M extended \
    -c "$POOL" -j 1 -T "$DURATION" -l "$@" -f "$script" cong) >"$DIR/pgbench-$name.txt" 2>&1 ||
    { cat "$DIR/pgbench-$name.txt" >&2; die "pgbench $name failed"; }
  TPS=$(awk '/^tps = / { printf "%.1f", $3; exit }' "$DIR/pgbench-$name.txt")
  FAILED=$(awk '/^number of failed transactions:/ { print $5; exit }' "$DIR/pgbench-$name.txt")
  TX=$(awk '/^number of transactions actually processed:/ { print $6; exit }' "$DIR/pgbench-$name.txt")
  read -r P50 P99 < <(cat "$DIR"/pgbench_log.* | awk '{ print $3 }' | percentiles)
  rm -f "$DIR"/pgbench_log.*
}
submit_load() { # OUT [h2_submit_load options]: runs the load (its exit status: kv's figures tell what failed)
  local out=$1; shift
  $(client_pin) timeout $((DURATION + WARMUP + 40)) "$LOADER" --port "$CONG_PORT" --token-file "$DIR/token.txt" \
    --body-file "$DIR/submit-bodies.txt" --body-per-line 1 --connections "$SUBMIT_CONNS" --streams "$SUBMIT_STREAMS" \
    --seconds "$DURATION" --warmup "$WARMUP" "$@" >"$DIR/$out.txt" 2>"$DIR/$out.err" || true
  cat "$DIR/$out.err" >&2
  [ -n "$(kv "$out" sent)" ] || { cat "$DIR/$out.txt" >&2; die "the submission load printed nothing"; }
}
kv() { tr ' ' '\n' <"$DIR/$1.txt" | sed -n "s/^$2=//p"; }

anchor_run() { # N: the anchor, run N (before and after cong's run: the machine's load drifts, the mean brackets it)
  log "pgbench: dossier_submit (bench/pgbench_submission.sql), $POOL clients, ${DURATION}s (run $1 of 2)"
  pgbench_run "submission-$1" "$SRC/bench/pgbench_submission.sql" -D subject=procbench-pgbench-subject -D proc="$PROC" \
    -D units="$UNITS" -D nunits="$NUNITS" -D form="$FORM"
  ANCHOR_TPS[$1]=$TPS ANCHOR_P50[$1]=$P50 ANCHOR_P99[$1]=$P99 ANCHOR_FAILED[$1]=${FAILED:-0} ANCHOR_TX[$1]=$TX
}
declare -A ANCHOR_TPS ANCHOR_P50 ANCHOR_P99 ANCHOR_FAILED ANCHOR_TX

if [[ $CASES == *" submit "* ]]; then
anchor_run 1
log "starting cong (1 worker, PostgreSQL pool $POOL, rate limiter off) on 127.0.0.1:$CONG_PORT"
start_cong 300 cong-cached
post_dossier() { # KEY [token] -> "status replayed-header"
  curl -s -o "$DIR/check-body.json" -D "$DIR/check-headers.txt" -w '%{http_code}' --http2-prior-knowledge --max-time 5 \
    -X POST -H "content-type: application/json" -H "idempotency-key: $1" ${2:+-H "authorization: Bearer $2"} \
    --data-binary "@$DIR/submit-body.json" "http://127.0.0.1:$CONG_PORT/v1/dossiers" || true
}
code=$(post_dossier procbench-check-1 "$TOKEN")
[ "$code" = 201 ] || { cat "$DIR/check-body.json" >&2; echo >&2; die "POST /v1/dossiers answered $code, expected 201"; }
code=$(post_dossier procbench-check-1 "$TOKEN")
[ "$code" = 201 ] && grep -qi '^idempotent-replayed: *true' "$DIR/check-headers.txt" ||
  die "a replayed POST /v1/dossiers answered $code without idempotent-replayed: true"
check "POST /v1/dossiers without a token" 401 "$(post_dossier procbench-check-2)"
BEFORE=$(sql "SELECT count(*) FROM dossiers")

log "submissions: $LOADER, $SUBMIT_CONNS connections x $SUBMIT_STREAMS streams over $NUNITS units, ${DURATION}s after ${WARMUP}s warm-up"
submit_load submit
FILED=$(( $(sql "SELECT count(*) FROM dossiers") - BEFORE ))
S_RPS=$(kv submit rps_201) S_P50=$(kv submit p50_ms) S_P99=$(kv submit p99_ms) S_SENT=$(kv submit sent) S_201=$(kv submit status_201)
S_BAD=$(( $(kv submit status_other) + $(kv submit resets) + $(kv submit lost) )) S_SHED=$(kv submit status_503)
# closed loop, 64 requests in flight for a pool of $POOL: cong queues the rest, and sheds (503 database-busy, nothing
# written) one that waited more than postgres.queue_wait_ms (250 ms) for a connection; any other answer is a failure
[ $((S_BAD - S_SHED)) = 0 ] || SUBMIT_OK=0
[ "$SUBMIT_OK" = 1 ] || log "FAILURE: $S_BAD of $S_SENT submissions were not answered 201 (see above and $DIR/submit.txt)"
[ "$FILED" = "$S_201" ] || log "FAILURE: $S_201 answers 201 but $FILED new dossiers in PostgreSQL"

# latency at a fixed offered rate: half of what cong reached closed-loop (open loop, from each request's due time)
RATE=$(awk -v r="$S_RPS" 'BEGIN { v = int(r / 2); print (v < 10 ? 10 : v) }')
log "submissions at a fixed offered rate: $RATE/s, ${DURATION}s after ${WARMUP}s"
submit_load submit-rate --rate "$RATE" --streams 64
R_P50=$(kv submit-rate p50_ms) R_P99=$(kv submit-rate p99_ms) R_SKIPPED=$(kv submit-rate skipped)
R_BAD=$(( $(kv submit-rate status_other) + $(kv submit-rate resets) + $(kv submit-rate lost) ))
[ "$R_BAD" = 0 ] && [ "$R_SKIPPED" = 0 ] || { SUBMIT_OK=0; log "FAILURE: at $RATE/s, $R_BAD answers were not 201, $R_SKIPPED not sent"; }
stop_pid "$CONG_PID" 10; CONG_PID=

anchor_run 2
PG_TPS=$(awk -v a="${ANCHOR_TPS[1]}" -v b="${ANCHOR_TPS[2]}" 'BEGIN { printf "%.1f", (a + b) / 2 }')
PG_P50="${ANCHOR_P50[1]} / ${ANCHOR_P50[2]}" PG_P99="${ANCHOR_P99[1]} / ${ANCHOR_P99[2]}"
PG_FAILED=$(( ANCHOR_FAILED[1] + ANCHOR_FAILED[2] )) PG_TX=$(( ANCHOR_TX[1] + ANCHOR_TX[2] ))

log "pgbench: plain INSERT, $POOL clients, ${DURATION}s"
PGOPTIONS="-c client_min_messages=warning" "${PSQL[@]}" -c "DROP TABLE IF EXISTS procbench_plain" -c "CREATE TABLE procbench_plain (
    id bigserial PRIMARY KEY, code text NOT NULL, procedure_code text NOT NULL, unit_code text NOT NULL,
    subject text NOT NULL, submitted_by text NOT NULL, status text NOT NULL, version integer NOT NULL DEFAULT 1,
    form jsonb NOT NULL, fee_vnd bigint NOT NULL, submitted_at timestamptz NOT NULL DEFAULT now(),
    due_date date NOT NULL, received_at timestamptz, decided_at timestamptz, completed_at timestamptz,
    result_sha256 text, result_signature text, updated_at timestamptz NOT NULL DEFAULT now())"
pgbench_run plain "$SRC/bench/pgbench_insert.sql"
PI_TPS=$TPS PI_P50=$P50 PI_P99=$P99
fi

# ---- 2. catalog search --------------------------------------------------------------------------------------------
declare -A RPS P50 P99 NON2XX
run_h2load() { # name url
  local name=$1 url=$2 out="$DIR/h2load-$1.txt" reqlog="$DIR/h2load-$1.log"
  log "h2load $name: $url"
  rm -f "$reqlog"
  $(client_pin) timeout $((DURATION + WARMUP + 30)) h2load -D "$DURATION" --warm-up-time="$WARMUP" -c "$CAT_CLIENTS" \
    -m "$CAT_STREAMS" -t 1 --log-file="$reqlog" "$url" >"$out" 2>&1 || { cat "$out" >&2; die "h2load $name failed"; }
  RPS[$name]=$(awk '/^finished in/{ for (i = 1; i <= NF; i++) if ($(i+1) ~ /^req\/s/) { v = $i; sub(/,$/, "", v); print v } }' "$out")
  NON2XX[$name]=$(awk '/^requests:/{ for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^errored/) e = $i; if ($(i+1) ~ /^timeout/) t = $i } }
                       /^status codes:/{ s = $5 + $7 + $9 }
                       END { print s + e + t }' "$out")
  read -r P50["$name"] P99["$name"] < <(awk -F'\t' '{ print $3 }' "$reqlog" | percentiles)
  rm -f "$reqlog"
}
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "n/a"; else printf "%.1f", v[int((NR + 1) / 2)] }'; }
CAT_TOTAL=n/a
if [[ $CASES == *" catalog "* ]]; then
start_cong 300 cong-cached
check "catalog search (fills the cache)" 200 "$(status_of "http://127.0.0.1:$CONG_PORT$CATALOG_PATH")"
CAT_TOTAL=$(curl -s --http2-prior-knowledge --max-time 5 "http://127.0.0.1:$CONG_PORT$CATALOG_PATH" |
  python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["total"], "matches, first:", d["items"][0]["name_vi"] if d["items"] else "-")')
run_h2load catalog_cached "http://127.0.0.1:$CONG_PORT$CATALOG_PATH"
stop_pid "$CONG_PID" 10; CONG_PID=
log "restarting cong with CONG_MODULES_PROCEDURES_CATALOG_CACHE_TTL_S=0"
start_cong 0 cong-uncached
check "catalog search (uncached)" 200 "$(status_of "http://127.0.0.1:$CONG_PORT$CATALOG_PATH")"
# what one uncached answer costs PostgreSQL: catalog_search alone, one session, 5 calls (median) — measured before the
# load, which leaves PostgreSQL busy with queued searches for up to postgres.timeout_ms after h2load stops
{ echo '\timing on'; for _ in 1 2 3 4 5; do echo "SELECT catalog_search('dang ky khai sinh', NULL, NULL, 1, 20);"; done; } |
  "${PSQL[@]}" -o /dev/null >"$DIR/timing-catalog_search.txt" 2>&1 || { cat "$DIR/timing-catalog_search.txt" >&2; die "catalog_search failed"; }
run_h2load catalog_uncached "http://127.0.0.1:$CONG_PORT$CATALOG_PATH"
stop_pid "$CONG_PID" 10; CONG_PID=
fi

# ---- 3. KPIs over a million dossiers ------------------------------------------------------------------------------
declare -A KPI_MS KPI_ROWS
TOTAL_DOSSIERS=n/a GEN_S=n/a MONDAY=n/a KPI_HTTP=n/a
if [[ $CASES == *" kpi "* ]]; then
log "generating $DOSSIERS dossiers (bench/gen_dossiers.sql)"
t0=$(date +%s%N)
"${PSQL[@]}" -v n="$DOSSIERS" -f "$SRC/bench/gen_dossiers.sql" >"$DIR/gen.log" 2>&1 || { cat "$DIR/gen.log" >&2; die "generation failed"; }
GEN_S=$(awk -v a="$t0" -v b="$(date +%s%N)" 'BEGIN{ printf "%.1f", (b - a) / 1e9 }')
TOTAL_DOSSIERS=$(sql "SELECT count(*) FROM dossiers")
MONDAY=$(sql "SELECT date_trunc('week', (now() AT TIME ZONE 'Asia/Ho_Chi_Minh')::date)::date - 7")
log "$TOTAL_DOSSIERS dossiers ($GEN_S s to generate); KPI week: the one starting Monday $MONDAY"
declare -A KPI_SQL=(
  [kpi_units]="SELECT * FROM kpi_units('$MONDAY')"
  [kpi_late_units]="SELECT * FROM kpi_late_units('$MONDAY', 80)"
  [kpi_trend]="SELECT * FROM kpi_trend(12, '$MONDAY')"
)
for f in kpi_units kpi_late_units kpi_trend; do
  q=${KPI_SQL[$f]}
  KPI_ROWS[$f]=$(sql "SELECT count(*) FROM ($q) x")
  { echo '\timing on'; for _ in 1 2 3 4 5; do echo "$q;"; done; } |
    "${PSQL[@]}" -o /dev/null >"$DIR/timing-$f.txt" 2>&1 || { cat "$DIR/timing-$f.txt" >&2; die "$f failed"; }
  KPI_MS[$f]=$(awk '/^Time:/ { print $2 }' "$DIR/timing-$f.txt" | median)
  sql "EXPLAIN (ANALYZE, BUFFERS) $q" >"$DIR/explain-$f.txt"
done
KPI_HTTP="skipped: cong has no GET /v1/kpi/units route in this tree"
(cd "$SRC" && "${ENVV[@]}" "$BUILD/cong" --list-routes) >"$DIR/routes.txt" 2>/dev/null || true
if grep -q ' /v1/kpi/units ' "$DIR/routes.txt"; then
  start_cong 300 cong-kpi
  KPI_TOKEN=$("$BUILD/cong-jwt-mint" --key "$DIR/keys/issuer.key.pem" --iss "$ISSUER" --aud "$AUDIENCE" \
    --sub procbench-official --scope "kpi admin" --acr 2 --ttl 900)
  url="http://127.0.0.1:$CONG_PORT/v1/kpi/units?week=$(date -u -d "$MONDAY" +%G-W%V)"
  code=$(status_of "$url" "$KPI_TOKEN")
  if [ "$code" = 200 ]; then
    KPI_HTTP=$(for _ in 1 2 3 4 5; do
      curl -s -o /dev/null -w '%{time_total}\n' --http2-prior-knowledge --max-time 30 \
        -H "authorization: Bearer $KPI_TOKEN" "$url" | awk '{ printf "%.1f\n", $1 * 1000 }'
    done | median)
  else
    KPI_HTTP="not measured: GET /v1/kpi/units answered $code to a token with scopes \"kpi admin\""
  fi
  stop_pid "$CONG_PID" 10; CONG_PID=
fi
fi

# ---- report -------------------------------------------------------------------------------------------------------
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{ if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
R_SUBMIT=$(ratio "$S_RPS" "$PG_TPS") R_PLAIN=$(ratio "$S_RPS" "$PI_TPS")
{
  echo "## cong procedures bench — $(date -u '+%Y-%m-%d %H:%M UTC'), $(uname -m), $CORES core(s), $(awk -F': ' '/^model name/{print $2; exit}' /proc/cpuinfo)"
  echo
  echo "cong 1 worker, PostgreSQL pool $POOL, rate limiter off (CONG_RATE_LIMITS_ENABLED=0); $("${PSQL[@]}" -At -c 'SHOW server_version' | awk '{print "PostgreSQL", $1}')" \
       "(fsync on, synchronous_commit on); ${DURATION}s measured after ${WARMUP}s warm-up;" \
       "$([ "$PIN" = 1 ] && echo "cong on CPU $SERVER_CPU, load tools on CPU 0, PostgreSQL and Redis not pinned" || echo "no CPU pinning")."
  echo
  echo "| case | client | req/s | p50 ms | p99 ms | failures |"
  echo "| --- | --- | ---: | ---: | ---: | ---: |"
  echo "| POST /v1/dossiers ($PROC at $NUNITS units in turn), new Idempotency-Key each | h2_submit_load $SUBMIT_CONNS×$SUBMIT_STREAMS | $S_RPS | $S_P50 | $S_P99 | $S_BAD |"
  echo "| anchor: dossier_submit, same procedure, units and form, same PostgreSQL (bench/pgbench_submission.sql): mean of a run before and one after cong's (${ANCHOR_TPS[1]:-n/a} / ${ANCHOR_TPS[2]:-n/a}) | pgbench -c $POOL -M extended | $PG_TPS | $PG_P50 | $PG_P99 | ${PG_FAILED:-0} |"
  echo "| POST /v1/dossiers at a fixed offered rate of $RATE/s (open loop) | h2_submit_load --rate $RATE | $RATE | $R_P50 | $R_P99 | $R_BAD (+$R_SKIPPED not sent) |"
  echo "| plain single-row INSERT, same PostgreSQL (issue 4's anchor, for scale) | pgbench -c $POOL -M extended | $PI_TPS | $PI_P50 | $PI_P99 | 0 |"
  echo "| GET /v1/procedures?q=dang ky khai sinh, cached (Redis) | h2load -c $CAT_CLIENTS -m $CAT_STREAMS | ${RPS[catalog_cached]:-n/a} | ${P50[catalog_cached]:-n/a} | ${P99[catalog_cached]:-n/a} | ${NON2XX[catalog_cached]:-n/a} |"
  echo "| the same, uncached (catalog_cache_ttl_s=0: trigram search) | h2load -c $CAT_CLIENTS -m $CAT_STREAMS | ${RPS[catalog_uncached]:-n/a} | ${P50[catalog_uncached]:-n/a} | ${P99[catalog_uncached]:-n/a} | ${NON2XX[catalog_uncached]:-n/a} |"
  echo
  echo "- submissions / the same transaction in pgbench: **$R_SUBMIT** (target >= 0.8); / plain inserts: $R_PLAIN"
  echo "- submissions sent $S_SENT (warm-up and drain included), answered 201: $S_201, other answers, resets or lost: $S_BAD" \
       "(of which 503 database-busy, shed by cong, not in req/s: $S_SHED); new dossiers in PostgreSQL: $FILED. pgbench: $PG_TX dossier_submit transactions."
  echo "- catalog query: $CAT_TOTAL. catalog_search(...) alone in psql: median $(awk '/^Time:/ { print $2 }' "$DIR/timing-catalog_search.txt" 2>/dev/null | median) ms per call"
  echo "  (5 calls, one session): with $POOL connections that bounds the uncached rate; queries still queued after"
  echo "  postgres.timeout_ms (5 s) fail with 5xx."
  echo
  echo "KPI functions over $TOTAL_DOSSIERS dossiers (generated in $GEN_S s), week starting $MONDAY; median of 5 runs" \
       "(psql \\timing, round trip included):"
  echo
  echo "| query | rows | median ms |"
  echo "| --- | ---: | ---: |"
  echo "| kpi_units('$MONDAY') | ${KPI_ROWS[kpi_units]:-n/a} | ${KPI_MS[kpi_units]:-n/a} |"
  echo "| kpi_late_units('$MONDAY', 80) | ${KPI_ROWS[kpi_late_units]:-n/a} | ${KPI_MS[kpi_late_units]:-n/a} |"
  echo "| kpi_trend(12, '$MONDAY') | ${KPI_ROWS[kpi_trend]:-n/a} | ${KPI_MS[kpi_trend]:-n/a} |"
  echo "| GET /v1/kpi/units?week=$(date -u -d "$MONDAY" +%G-W%V) (curl, cong) | 126 | $KPI_HTTP |"
  for f in kpi_units kpi_late_units kpi_trend; do
    if awk -v v="${KPI_MS[$f]:-0}" 'BEGIN{ exit !(v + 0 > 200) }'; then
      echo
      echo "$f takes more than 200 ms: plan in $DIR/explain-$f.txt"
    fi
  done
} | tee "$DIR/results.md"
log "details: $DIR/{results.md,submit*.txt,pgbench-*.txt,h2load-*.txt,timing-*.txt,explain-*.txt,cong-*.log}"
[ "$SUBMIT_OK" = 1 ] && [ "$FILED" = "$S_201" ] || die "some submissions failed (see above)"

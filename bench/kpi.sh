#!/usr/bin/env bash
# bench/kpi.sh — the KPIs from rollups (procedures 0012, issue 17 part 2) beside the exact functions they replace, in
# one run, on a fresh PostgreSQL cluster under .run/kpibench/ (127.0.0.1:17493, Redis 17393, cong h2c 17181):
#   insert path  dossier_submit through pgbench (4 and 16 clients, one unit, 8 s each), with the rollup's triggers
#                enabled and disabled, alternately, twice: what the triggers add to a submission
#   KPIs         for each size in KPIBENCH_SIZES (thousands of dossiers, default "1000 3000": bench/gen_dossiers.sql adds
#                dossiers up to it, through the triggers): kpi_units, kpi_late_units and their _exact twins for the
#                last complete week and for the week 40 weeks earlier, 5 times each (median, psql \timing); the exact
#                function once more with jit = off; GET /v1/kpi/units?week=… through cong (kpi_cache_ttl_ms = 0)
# Prints a markdown table (also .run/kpibench/results.md). Environment: CONG_BUILD_DIR (build-release), KPIBENCH_DIR,
# KPIBENCH_SIZES, KPIBENCH_DURATION (8), BENCH_PIN (bench/lib.sh).
set -euo pipefail

SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH_NAME=kpibench
# shellcheck source=bench/lib.sh
source "$SRC/bench/lib.sh"
BUILD=${CONG_BUILD_DIR:-$SRC/build-release}
DIR=${KPIBENCH_DIR:-$SRC/.run/kpibench}
SIZES=${KPIBENCH_SIZES:-1000 3000}
DURATION=${KPIBENCH_DURATION:-8}
CONG_PORT=17181 CONG_TLS_PORT=17544 REDIS_PORT=17393 PG_PORT=17493

for tool in curl psql pgbench awk sort; do command -v "$tool" >/dev/null || die "$tool is not installed"; done
[ -x "$BUILD/cong" ] || die "no $BUILD/cong: build it first (make build)"
mkdir -p "$DIR"; DIR=$(cd "$DIR" && pwd)
on_exit_stop_cong_and_stores
for p in $CONG_PORT $CONG_TLS_PORT $REDIS_PORT $PG_PORT; do port_busy "$p" && die "port $p is already in use"; done

bash "$SRC/scripts/make-keys.sh" "$DIR"
rm -rf "$DIR/pg" "$DIR/redis"
SERVICES_STARTED=1
bash "$SRC/scripts/services.sh" start "$DIR" "$REDIS_PORT" "$PG_PORT"
PSQL=(psql -h 127.0.0.1 -p "$PG_PORT" -U cong -d cong -v ON_ERROR_STOP=1 -X -q)
sql() { "${PSQL[@]}" -At -c "$1"; }
ENVV=(env -i PATH="$PATH" CONG_SERVER_BIND=127.0.0.1 CONG_SERVER_H2C_PORT="$CONG_PORT" CONG_SERVER_TLS_PORT="$CONG_TLS_PORT"
  CONG_SERVER_TLS_CERTIFICATE="$DIR/tls/cert.pem" CONG_SERVER_TLS_PRIVATE_KEY="$DIR/tls/key.pem" CONG_SERVER_WORKERS=1
  CONG_SERVER_OPENAPI_FILE="$SRC/openapi/cong.yaml" CONG_REDIS_PORT="$REDIS_PORT"
  CONG_POSTGRES_CONNINFO="host=127.0.0.1 port=$PG_PORT dbname=cong user=cong" CONG_POSTGRES_TIMEOUT_MS=30000
  CONG_SERVER_ENVIRONMENT=development CONG_SERVER_ADMIN_PORT=0 CONG_AUTH_PUBLIC_KEY_FILE="$DIR/keys/issuer.pub.pem"
  CONG_AUTH_ISSUER=https://id.cong.test CONG_AUTH_AUDIENCE=cong CONG_AUTH_SIGNING_KEY_FILE="$DIR/keys/cong-signing.pem"
  CONG_AUTH_SUBJECT_SECRET_FILE="$DIR/keys/subject-secret" CONG_AUTH_DOCUMENT_SIGNING_KEY_FILE="$DIR/keys/cong-document.pem"
  CONG_MODULES_AUDIT_SIGNING_KEY_FILE="$DIR/keys/cong-audit.pem" CONG_LOG_ACCESS_LOG= CONG_LOG_LEVEL=warn
  CONG_RATE_LIMITS_ENABLED=0 CONG_MODULES_PROCEDURES_DATA_DIR="$DIR/data" CONG_MODULES_PROCEDURES_KPI_CACHE_TTL_MS=0)
(cd "$SRC" && "${ENVV[@]}" "$BUILD/cong" --migrate) >"$DIR/migrate.log" 2>&1 || { cat "$DIR/migrate.log" >&2; die "cong --migrate failed"; }
bash "$SRC/scripts/seed.sh" "$REDIS_PORT" "$PG_PORT" >"$DIR/seed.log" 2>&1 || { cat "$DIR/seed.log" >&2; die "seed.sh failed"; }
[ "$(sql "SELECT to_regproc('kpi_units_exact') IS NOT NULL")" = t ] || die "kpi_units_exact is missing (procedures 0012)"
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "n/a"; else printf "%.1f", v[int((NR + 1) / 2)] }'; }

# ---- 1. the insert path: dossier_submit with and without the rollup triggers ------------------------------------
read -r PROC UNIT < <(sql "SELECT p.code, min(pu.unit_code) FROM procedures p JOIN procedure_units pu ON pu.procedure_code = p.code
                            WHERE p.level = 'commune' GROUP BY p.code ORDER BY p.code <> '1.001193', p.code LIMIT 1" | tr '|' ' ')
cat >"$DIR/submit.sql" <<SQL
\set r random(1, 1000000000000)
SELECT http_status FROM dossier_submit('kpibench-' || :client_id, 'kpibench-' || :client_id, 'k-' || :r, 'h', '$PROC',
       '$UNIT', '{"ho_ten": "Nguyễn Thị Bench", "so_dien_thoai": "0912345678"}', '[]', 'rid-' || :r);
SQL
[ "$(sql "SELECT http_status FROM dossier_submit('kpibench-check', 'kpibench-check', NULL, 'h', '$PROC', '$UNIT', '{}', '[]', 'x')")" = 201 ] ||
  die "dossier_submit($PROC, $UNIT) did not answer 201"
triggers() { sql "ALTER TABLE dossiers $1 TRIGGER dossiers_rollup_kpi_insert_delete; ALTER TABLE dossiers $1 TRIGGER dossiers_rollup_kpi_update" >/dev/null; }
# CPU: 500 dossier_submit calls in one session and one transaction (rolled back): microseconds a call, no commit
cpu_us() {
  "${PSQL[@]}" -At <<SQL
CREATE FUNCTION pg_temp.submit_us(n int) RETURNS numeric LANGUAGE plpgsql AS \$\$
DECLARE t0 timestamptz := clock_timestamp();
BEGIN
  FOR i IN 1..n LOOP
    PERFORM dossier_submit('kpibench-cpu', 'kpibench-cpu', NULL, 'h', '$PROC', '$UNIT', '{}', '[]', 'r');
  END LOOP;
  RETURN round(extract(epoch FROM clock_timestamp() - t0) * 1e6 / n);
END \$\$;
BEGIN; SELECT pg_temp.submit_us(500); ROLLBACK;
SQL
}
declare -A TPS CPU
for round in 1 2 3; do
  for state in ENABLE DISABLE; do
    triggers "$state"
    CPU[$state]="${CPU[$state]:-} $(cpu_us)"
    log "dossier_submit CPU, triggers ${state,,}d, round $round: $(echo "${CPU[$state]}" | awk '{ print $NF }') µs a call"
  done
done
for round in 1 2; do
  for state in ENABLE DISABLE; do
    triggers "$state"
    for c in 4 16; do
      out=$(pgbench -h 127.0.0.1 -p "$PG_PORT" -U cong -n -M extended -c "$c" -j 2 -T "$DURATION" -f "$DIR/submit.sql" cong 2>&1) ||
        { echo "$out" >&2; die "pgbench failed"; }
      TPS[$state-$c]="${TPS[$state-$c]:-} $(echo "$out" | awk '/^tps = / { printf "%.0f", $3; exit }')"
      log "submissions, triggers ${state,,}d, $c clients, round $round:$(echo "${TPS[$state-$c]}" | awk '{ print $NF }')/s"
    done
  done
done
triggers ENABLE
sql "DELETE FROM idempotency_keys WHERE subject LIKE 'kpibench-%'" >/dev/null

# ---- 2. the KPIs at each size -----------------------------------------------------------------------------------
(cd "$SRC" && exec $(server_pin) "${ENVV[@]}" "$BUILD/cong") >"$DIR/cong.log" 2>&1 &
CONG_PID=$!
for _ in $(seq 1 150); do
  [ "$(curl -s -o /dev/null -w '%{http_code}' --http2-prior-knowledge "http://127.0.0.1:$CONG_PORT/readyz" || true)" = 200 ] && break
  kill -0 "$CONG_PID" 2>/dev/null || { cat "$DIR/cong.log" >&2; die "cong exited at start"; }
  sleep 0.2
done
LATEST=$(sql "SELECT date_trunc('week', (now() AT TIME ZONE 'Asia/Ho_Chi_Minh')::date)::date - 7")
OLD=$(sql "SELECT date '$LATEST' - 7 * 40")
time_sql() { # NAME QUERY [SET ...] -> median ms of 5
  { [ -n "${3:-}" ] && echo "$3;"; echo '\timing on'; for _ in 1 2 3 4 5; do echo "$2;"; done; } |
    "${PSQL[@]}" -o /dev/null >"$DIR/timing-$1.txt" 2>&1 || { cat "$DIR/timing-$1.txt" >&2; die "$1 failed"; }
  awk '/^Time:/ { print $2 }' "$DIR/timing-$1.txt" | median
}
ROWS=()
done_m=0
for m in $SIZES; do
  add=$(( (m - done_m) * 1000 ))
  log "generating $add dossiers (to $m thousand), rollup triggers off, then the rollup rebuilt by 0012's backfill query"
  t0=$(date +%s)
  triggers DISABLE
  "${PSQL[@]}" -v n="$add" -v first=$((done_m * 1000 + 1)) -f "$SRC/bench/gen_dossiers.sql" >"$DIR/gen-$m.log" 2>&1 ||
    { cat "$DIR/gen-$m.log" >&2; die "generation failed"; }
  gen_s=$(( $(date +%s) - t0 )); done_m=$m
  t0=$(date +%s)
  sql "BEGIN; LOCK TABLE dossiers IN SHARE MODE; TRUNCATE kpi_dossiers_weekly;
       INSERT INTO kpi_dossiers_weekly (unit_code, week_start, slot, received, open_delta, overdue_delta)
       SELECT unit_code, week_start, 0, received, open_delta, overdue_delta FROM kpi_dossiers_weekly_expected(); COMMIT;" >/dev/null
  rebuild_s=$(( $(date +%s) - t0 ))
  triggers ENABLE
  sql "VACUUM (ANALYZE) kpi_dossiers_weekly, kpi_completions_weekly" >/dev/null
  total=$(sql "SELECT count(*) FROM dossiers"); rollup_rows=$(sql "SELECT count(*) FROM kpi_dossiers_weekly")
  same=$(sql "SELECT count(*) FROM (VALUES (date '$LATEST'), (date '$OLD')) v (w), LATERAL (
                (SELECT * FROM kpi_units(w) EXCEPT ALL SELECT * FROM kpi_units_exact(w))
                UNION ALL (SELECT * FROM kpi_units_exact(w) EXCEPT ALL SELECT * FROM kpi_units(w))) x")
  for w in "$LATEST" "$OLD"; do
    label=$(date -u -d "$w" +%G-W%V)
    r=$(time_sql "units-$m-$w" "SELECT * FROM kpi_units('$w')")
    e=$(time_sql "units_exact-$m-$w" "SELECT * FROM kpi_units_exact('$w')")
    ej=$(time_sql "units_exact_nojit-$m-$w" "SELECT * FROM kpi_units_exact('$w')" "SET jit = off")
    l=$(time_sql "late-$m-$w" "SELECT * FROM kpi_late_units('$w', 80, 3.5, 5)")
    le=$(time_sql "late_exact-$m-$w" "SELECT * FROM kpi_late_units_exact('$w', 80, 3.5, 5)")
    url="http://127.0.0.1:$CONG_PORT/v1/kpi/units?week=$label"
    h=$(for _ in 1 2 3 4 5; do curl -s -o /dev/null -w '%{time_total}\n' --http2-prior-knowledge --max-time 60 "$url" |
          awk '{ printf "%.1f\n", $1 * 1000 }'; done | median)
    ROWS+=("| $total | $label | $r | $e | $ej | $l | $le | $h |")
    log "${ROWS[-1]}"
  done
  sql "EXPLAIN (ANALYZE, BUFFERS) SELECT * FROM kpi_units('$LATEST')" >"$DIR/explain-units-$m.txt"
  ROWS+=("| | ($m thousand: generated in ${gen_s} s, rollup rebuilt in ${rebuild_s} s, $rollup_rows rollup rows, figures differing from the exact ones: $same) | | | | | | |")
done

{
  echo "## kpi bench — $(date -u '+%Y-%m-%d %H:%M UTC'), $CORES core(s), $("${PSQL[@]}" -At -c 'SHOW server_version' | awk '{print "PostgreSQL", $1}'), fsync on"
  echo
  echo "dossier_submit through pgbench -M extended, one unit ($UNIT), ${DURATION} s a run, tx/s of round 1 and 2:"
  echo
  echo "CPU of one call (500 calls in one transaction, rolled back; µs, rounds 1-3): triggers on${CPU[ENABLE]}, off${CPU[DISABLE]}"
  echo
  echo "| clients | rollup triggers on | off | on / off |"
  echo "| ---: | ---: | ---: | ---: |"
  for c in 4 16; do
    on=$(echo "${TPS[ENABLE-$c]}" | awk '{ print ($1 + $2) / 2 }'); off=$(echo "${TPS[DISABLE-$c]}" | awk '{ print ($1 + $2) / 2 }')
    echo "| $c |${TPS[ENABLE-$c]} |${TPS[DISABLE-$c]} | $(awk -v a="$on" -v b="$off" 'BEGIN { printf "%.2f", a / b }') |"
  done
  echo
  echo "KPIs, median of 5 (ms, psql \\timing; HTTP: curl, cong 1 worker, kpi_cache_ttl_ms = 0):"
  echo
  echo "| dossiers | week | kpi_units | kpi_units_exact | exact, jit off | kpi_late_units | kpi_late_units_exact | GET /v1/kpi/units |"
  echo "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |"
  printf '%s\n' "${ROWS[@]}"
} | tee "$DIR/results.md"

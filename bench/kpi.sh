#!/usr/bin/env bash
# bench/kpi.sh — the KPIs from rollups (procedures 0012 and 0015, issue 17 part 2) beside the exact functions they
# replace, in one run, on a fresh PostgreSQL cluster under .run/kpibench/ (127.0.0.1:17493, Redis 17393, cong h2c 17181):
#   insert path  dossier_submit through pgbench (4 and 16 clients, one unit, 8 s each), with the rollup's triggers
#                enabled and disabled, alternately, twice: what the triggers add to a submission (KPIBENCH_INSERT_PATH=0
#                skips it)
#   data         KPIBENCH_DOSSIERS (10,000,000) dossiers over KPIBENCH_YEARS (8) years and a rating for one completed
#                dossier in ten, loaded set-based by bench/gen_dossiers_years.sql (secondary indexes and rollup triggers
#                off for the load, then the indexes rebuilt from their definitions and the rollups from the rows by the
#                migrations' backfill queries); the triggers then checked on a sample of 6,000 writes (rolled back)
#   KPIs         for the weeks KPIBENCH_WEEKS_BACK weeks before the current one (0 = the current, partial week):
#                kpi_units, kpi_late_units(…, 80, 3.5, 5), kpi_unit_satisfaction (5 calls, median, psql \timing) beside
#                kpi_units_exact, kpi_late_units_exact, an aggregate over feedback (3 calls) and a plain index read of
#                the week's kpi_completions_weekly rows; every figure of all four compared (must be 0 differing);
#                GET /v1/kpi/units?week=… through cong (1 worker, kpi_cache_ttl_ms = 0) with h2load at KPIBENCH_HTTP_RATE
#                (10) req/s offered for KPIBENCH_HTTP_SECONDS (10): p50 / p99
# Prints a markdown table (also .run/kpibench/results.md) and deletes the cluster's data directory at the end
# (KPIBENCH_KEEP=1 keeps it). 10 M dossiers need ~12 GB of disk and, on the shared 2-core machine, most of an hour:
# run it nice'd (nice -n 10 bash bench/kpi.sh; PostgreSQL inherits the niceness). Environment: CONG_BUILD_DIR
# (build-release), KPIBENCH_DIR, KPIBENCH_DURATION (8), BENCH_PIN (bench/lib.sh).
set -euo pipefail

SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH_NAME=kpibench
# shellcheck source=bench/lib.sh
source "$SRC/bench/lib.sh"
BUILD=${CONG_BUILD_DIR:-$SRC/build-release}
DIR=${KPIBENCH_DIR:-$SRC/.run/kpibench}
N=${KPIBENCH_DOSSIERS:-10000000}
YEARS=${KPIBENCH_YEARS:-8}
KPIBENCH_WEEKS_BACK=${KPIBENCH_WEEKS_BACK:-0, 1, 40, 182, 360}
HTTP_RATE=${KPIBENCH_HTTP_RATE:-10}
HTTP_SECONDS=${KPIBENCH_HTTP_SECONDS:-10}
INSERT_PATH=${KPIBENCH_INSERT_PATH:-1}
KEEP=${KPIBENCH_KEEP:-0}
DURATION=${KPIBENCH_DURATION:-8}
CONG_PORT=17181 CONG_TLS_PORT=17544 REDIS_PORT=17393 PG_PORT=17493

for tool in curl psql pgbench h2load awk sort; do command -v "$tool" >/dev/null || die "$tool is not installed"; done
[ -x "$BUILD/cong" ] || die "no $BUILD/cong: build it first (make build)"
mkdir -p "$DIR"; DIR=$(cd "$DIR" && pwd)
on_exit_stop_cong_and_stores
# and the data directory (~12 GB at 10 M dossiers) removed, whatever the outcome, unless KPIBENCH_KEEP=1
trap 'rc=$?; stop_pid "$CONG_PID" 10
      if [ "$SERVICES_STARTED" = 1 ]; then bash "$SRC/scripts/services.sh" stop "$DIR" || true; fi
      if [ "$KEEP" != 1 ]; then rm -rf "$DIR/pg"; fi
      exit "$rc"' EXIT
for p in $CONG_PORT $CONG_TLS_PORT $REDIS_PORT $PG_PORT; do port_busy "$p" && die "port $p is already in use"; done

bash "$SRC/scripts/make-keys.sh" "$DIR"
rm -rf "$DIR/pg" "$DIR/redis"
SERVICES_STARTED=1
bash "$SRC/scripts/services.sh" start "$DIR" "$REDIS_PORT" "$PG_PORT"
PSQL=(psql -h 127.0.0.1 -p "$PG_PORT" -U cong -d cong -v ON_ERROR_STOP=1 -X -q)
PSQL_ADMIN=(psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -d cong -v ON_ERROR_STOP=1 -X -q -At)
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
declare -A TPS CPU
if [ "$INSERT_PATH" = 1 ]; then
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
fi

# ---- 2. the city-scale data set: KPIBENCH_DOSSIERS dossiers over KPIBENCH_YEARS years, loaded set-based -------------
# Rollup triggers off and the secondary indexes of dossiers and feedback dropped for the load (their definitions kept
# and replayed after it), then the rollups rebuilt from the rows by the migrations' own backfill queries. The figures
# are checked against the exact functions below, and the triggers against kpi_dossiers_weekly_expected() on a sample
# of writes (section 3).
"${PSQL_ADMIN[@]}" -c "ALTER SYSTEM SET max_wal_size = '4GB'" -c "ALTER SYSTEM SET checkpoint_timeout = '30min'" \
  -c "ALTER SYSTEM SET maintenance_work_mem = '512MB'" -c "SELECT pg_reload_conf()" >/dev/null
index_defs() { sql "SELECT string_agg(pg_get_indexdef(i.indexrelid), E';\n' ORDER BY c.relname)
                      FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
                     WHERE i.indrelid IN ('dossiers'::regclass, 'feedback'::regclass)
                       AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)"; }
INDEXES=$(index_defs)
[ -n "$INDEXES" ] || die "no secondary index found on dossiers/feedback"
user_triggers() { sql "ALTER TABLE dossiers $1 TRIGGER USER; ALTER TABLE feedback $1 TRIGGER USER" >/dev/null; }
log "generating $N dossiers over $YEARS years (bench/gen_dossiers_years.sql), secondary indexes dropped, rollup triggers off"
t0=$(date +%s)
user_triggers DISABLE
sql "SELECT format('DROP INDEX %I;', c.relname) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
      WHERE i.indrelid IN ('dossiers'::regclass, 'feedback'::regclass)
        AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)" | "${PSQL[@]}" >/dev/null
"${PSQL[@]}" -v n="$N" -v years="$YEARS" -f "$SRC/bench/gen_dossiers_years.sql" >"$DIR/gen.log" 2>&1 ||
  { cat "$DIR/gen.log" >&2; die "generation failed"; }
gen_s=$(( $(date +%s) - t0 )); t0=$(date +%s)
log "rows in ${gen_s} s; rebuilding the indexes"
echo "$INDEXES;" | "${PSQL[@]}" >/dev/null
[ "$(index_defs)" = "$INDEXES" ] || die "the indexes rebuilt differ from the migrations'"
index_s=$(( $(date +%s) - t0 )); t0=$(date +%s)
log "indexes in ${index_s} s; rebuilding the rollups from the rows (the migrations' backfill queries)"
"${PSQL[@]}" -f "$SRC/bench/kpi_rollups_bulk.sql" >/dev/null
user_triggers ENABLE
rollup_s=$(( $(date +%s) - t0 )); t0=$(date +%s)
sql "VACUUM (ANALYZE) dossiers, feedback, kpi_completions_weekly, kpi_dossiers_weekly, kpi_dossiers_yearly, feedback_weekly" >/dev/null
vacuum_s=$(( $(date +%s) - t0 ))
t0=$(date +%s)
# the bulk rollup against 0012's own query (one delta function call per dossier: three quiet units, not 10 M rows)
CHECK_UNITS=$(sql "SELECT '{' || string_agg(code, ',') || '}' FROM (SELECT code FROM units WHERE kind <> 'department'
                    ORDER BY code DESC LIMIT 2) x")
CHECK_UNITS=${CHECK_UNITS%\}},$(sql "SELECT code FROM units WHERE kind <> 'department' ORDER BY code OFFSET 63 LIMIT 1")}
BULK_DIFF=$(sql "WITH exp AS (SELECT * FROM kpi_dossiers_weekly_expected() WHERE unit_code = ANY ('$CHECK_UNITS')),
  mine AS (SELECT unit_code, week_start, sum(received)::bigint, sum(open_delta)::bigint, sum(overdue_delta)::bigint
             FROM kpi_dossiers_weekly WHERE unit_code = ANY ('$CHECK_UNITS') GROUP BY 1, 2),
  yexp AS (SELECT unit_code, date_trunc('year', week_start)::date, sum(open_delta)::bigint, sum(overdue_delta)::bigint
             FROM exp GROUP BY 1, 2 HAVING sum(open_delta) <> 0 OR sum(overdue_delta) <> 0),
  ymine AS (SELECT unit_code, year_start, sum(open_delta)::bigint, sum(overdue_delta)::bigint
              FROM kpi_dossiers_yearly WHERE unit_code = ANY ('$CHECK_UNITS') GROUP BY 1, 2)
  SELECT (SELECT count(*) FROM ((TABLE mine EXCEPT ALL TABLE exp) UNION ALL (TABLE exp EXCEPT ALL TABLE mine)) x)
       + (SELECT count(*) FROM ((TABLE ymine EXCEPT ALL TABLE yexp) UNION ALL (TABLE yexp EXCEPT ALL TABLE ymine)) y)")
log "bulk rollup rows differing from kpi_dossiers_weekly_expected() for $CHECK_UNITS: $BULK_DIFF"
check_s=$(( $(date +%s) - t0 ))
read -r TOTAL OPEN_NOW RATED DB_SIZE FIRST_DAY < <(sql "SELECT count(*), count(*) FILTER (WHERE completed_at IS NULL AND status <> 'withdrawn'),
    (SELECT count(*) FROM feedback), round(pg_database_size('cong') / 1e9, 1) || '_GB', min(submitted_at)::date FROM dossiers" | tr '|' ' ')
read -r WEEKLY_ROWS YEARLY_ROWS < <(sql "SELECT (SELECT count(*) FROM kpi_dossiers_weekly), (SELECT count(*) FROM kpi_dossiers_yearly)" | tr '|' ' ')
log "$TOTAL dossiers from $FIRST_DAY ($OPEN_NOW open now, $RATED ratings), database $DB_SIZE; rollups $rollup_s s, vacuum $vacuum_s s"

# ---- 3. the triggers on a sample of writes: rolled back, the rollups' change against the deltas' ----------------
# ~2,000 generated dossiers each withdrawn, completed now, moved to another unit, their due date moved, deleted, and
# copied as new submissions, through the triggers: what kpi_dossiers_weekly and kpi_dossiers_yearly gained must be
# exactly the deltas (kpi_dossier_deltas) of those dossiers after less before, week by week and year by year.
log "the triggers on a sample of writes (one transaction, rolled back)"
TRIGGER_DIFF=$("${PSQL[@]}" -At <<'SQL'
BEGIN;
CREATE TEMP TABLE samp ON COMMIT DROP AS
  SELECT id, (id % 5003)::int AS k FROM dossiers WHERE id % 5003 BETWEEN 1 AND 6 AND code LIKE 'HN-G%';
CREATE TEMP TABLE w0 ON COMMIT DROP AS SELECT unit_code, week_start, received, open_delta, overdue_delta FROM kpi_dossiers_weekly;
CREATE TEMP TABLE y0 ON COMMIT DROP AS SELECT unit_code, year_start, open_delta, overdue_delta FROM kpi_dossiers_yearly;
CREATE TEMP TABLE d0 ON COMMIT DROP AS
  SELECT d.unit_code, x.* FROM dossiers d JOIN samp USING (id)
   CROSS JOIN LATERAL kpi_dossier_deltas(d.submitted_at, d.completed_at, d.due_date, d.status) x;
UPDATE dossiers SET status = 'withdrawn', completed_at = NULL WHERE id IN (SELECT id FROM samp WHERE k = 1);
UPDATE dossiers SET status = 'completed', completed_at = now() WHERE id IN (SELECT id FROM samp WHERE k = 2);
UPDATE dossiers SET unit_code = (SELECT min(code) FROM units WHERE kind <> 'department') WHERE id IN (SELECT id FROM samp WHERE k = 3);
UPDATE dossiers SET due_date = due_date - 40 WHERE id IN (SELECT id FROM samp WHERE k = 4);
DELETE FROM feedback WHERE dossier_code IN (SELECT d.code FROM dossiers d JOIN samp USING (id) WHERE k = 5);
DELETE FROM dossiers WHERE id IN (SELECT id FROM samp WHERE k = 5);
WITH ins AS (
  INSERT INTO dossiers (code, procedure_code, unit_code, subject, submitted_by, status, form, fee_vnd, due_date)
  SELECT d.code || '-again', d.procedure_code, d.unit_code, d.subject, d.submitted_by, 'submitted', d.form, d.fee_vnd,
         current_date + 10
    FROM dossiers d JOIN samp USING (id) WHERE k = 6
  RETURNING id)
INSERT INTO samp SELECT id, 7 FROM ins;
CREATE TEMP TABLE d1 ON COMMIT DROP AS
  SELECT d.unit_code, x.* FROM dossiers d JOIN samp USING (id)
   CROSS JOIN LATERAL kpi_dossier_deltas(d.submitted_at, d.completed_at, d.due_date, d.status) x;
SELECT (SELECT count(*) FROM (
          SELECT unit_code, week_start FROM (
            SELECT unit_code, week_start, received, open_delta, overdue_delta FROM kpi_dossiers_weekly
            UNION ALL SELECT unit_code, week_start, -received, -open_delta, -overdue_delta FROM w0
            UNION ALL SELECT unit_code, week_start, -received, -open_delta, -overdue_delta FROM d1
            UNION ALL SELECT unit_code, week_start, received, open_delta, overdue_delta FROM d0) a
          GROUP BY 1, 2 HAVING sum(received) <> 0 OR sum(open_delta) <> 0 OR sum(overdue_delta) <> 0) w)
     + (SELECT count(*) FROM (
          SELECT unit_code, year_start FROM (
            SELECT unit_code, year_start, open_delta, overdue_delta FROM kpi_dossiers_yearly
            UNION ALL SELECT unit_code, year_start, -open_delta, -overdue_delta FROM y0
            UNION ALL SELECT unit_code, date_trunc('year', week_start)::date, -open_delta, -overdue_delta FROM d1
            UNION ALL SELECT unit_code, date_trunc('year', week_start)::date, open_delta, overdue_delta FROM d0) a
          GROUP BY 1, 2 HAVING sum(open_delta) <> 0 OR sum(overdue_delta) <> 0) y)
     || ' of ' || (SELECT count(*) FROM samp) || ' dossiers';
ROLLBACK;
SQL
) || die "the trigger sample failed"
log "rollup rows off after the sample of writes: $TRIGGER_DIFF"

# ---- 4. the KPIs of several weeks, each beside its anchor ----------------------------------------------------------
(cd "$SRC" && exec $(server_pin) "${ENVV[@]}" "$BUILD/cong") >"$DIR/cong.log" 2>&1 &
CONG_PID=$!
for _ in $(seq 1 150); do
  [ "$(curl -s -o /dev/null -w '%{http_code}' --http2-prior-knowledge "http://127.0.0.1:$CONG_PORT/readyz" || true)" = 200 ] && break
  kill -0 "$CONG_PID" 2>/dev/null || { cat "$DIR/cong.log" >&2; die "cong exited at start"; }
  sleep 0.2
done
THIS=$(sql "SELECT kpi_monday(cong_local_date(now()))")
WEEKS=$(sql "SELECT string_agg((date '$THIS' - 7 * n)::text, ' ' ORDER BY n) FROM unnest(ARRAY[$KPIBENCH_WEEKS_BACK]) n")
time_sql() { # NAME REPEATS QUERY -> median ms
  { echo '\timing on'; for _ in $(seq 1 "$2"); do echo "$3;"; done; } |
    "${PSQL[@]}" -o /dev/null >"$DIR/timing-$1.txt" 2>&1 || { cat "$DIR/timing-$1.txt" >&2; die "$1 failed"; }
  awk '/^Time:/ { print $2 }' "$DIR/timing-$1.txt" | median
}
differ() { # QUERY_A QUERY_B -> rows in one and not the other
  sql "SELECT count(*) FROM (($1 EXCEPT ALL $2) UNION ALL ($2 EXCEPT ALL $1)) x"
}
percentiles() { # µs one a line -> "p50_ms p99_ms"
  sort -n | awk '{ v[NR] = $1 } END { if (NR == 0) { print "n/a n/a"; exit }
    i50 = int(NR * 0.50); if (i50 < NR * 0.50) i50++; i99 = int(NR * 0.99); if (i99 < NR * 0.99) i99++;
    printf "%.1f %.1f\n", v[i50] / 1000, v[i99] / 1000 }'
}
SAT_EXACT="SELECT unit_code, count(*)::bigint, round(avg(stars), 2), round(count(*) FILTER (WHERE stars >= 4)::numeric / count(*), 3),
  ARRAY[count(*) FILTER (WHERE stars = 1), count(*) FILTER (WHERE stars = 2), count(*) FILTER (WHERE stars = 3),
        count(*) FILTER (WHERE stars = 4), count(*) FILTER (WHERE stars = 5)] FROM feedback WHERE week_start = date"
ROWS=() DIFFS=0
for w in $WEEKS; do
  label=$(date -u -d "$w" +%G-W%V)
  u=$(time_sql "units-$w" 5 "SELECT * FROM kpi_units('$w')")
  ue=$(time_sql "units_exact-$w" 3 "SELECT * FROM kpi_units_exact('$w')")
  l=$(time_sql "late-$w" 5 "SELECT * FROM kpi_late_units('$w', 80, 3.5, 5)")
  le=$(time_sql "late_exact-$w" 3 "SELECT * FROM kpi_late_units_exact('$w', 80, 3.5, 5)")
  s=$(time_sql "sat-$w" 5 "SELECT * FROM kpi_unit_satisfaction('$w')")
  se=$(time_sql "sat_exact-$w" 3 "$SAT_EXACT '$w' GROUP BY unit_code")
  f=$(time_sql "floor-$w" 5 "SELECT * FROM kpi_completions_weekly WHERE week_start = '$w'")
  d=$(( $(differ "SELECT * FROM kpi_units('$w')" "SELECT * FROM kpi_units_exact('$w')")
      + $(differ "SELECT * FROM kpi_units_rated('$w')" "SELECT * FROM kpi_units_rated_exact('$w')")
      + $(differ "SELECT * FROM kpi_late_units('$w', 80, 3.5, 5)" "SELECT * FROM kpi_late_units_exact('$w', 80, 3.5, 5)")
      + $(differ "SELECT * FROM kpi_unit_satisfaction('$w')" "$SAT_EXACT '$w' GROUP BY unit_code") ))
  DIFFS=$((DIFFS + d))
  units=$(sql "SELECT count(*) FROM kpi_units_rated('$w')")
  echo "http://127.0.0.1:$CONG_PORT/v1/kpi/units?week=$label" >"$DIR/uri-$w.txt"
  rm -f "$DIR/h2load-$w.log"
  $(client_pin) timeout $((HTTP_SECONDS + 60)) h2load -D "$HTTP_SECONDS" --warm-up-time=1 -t 1 -c 2 -m 1 --rps "$((HTTP_RATE / 2))" \
    -i "$DIR/uri-$w.txt" --log-file="$DIR/h2load-$w.log" >"$DIR/h2load-$w.txt" 2>&1 || { cat "$DIR/h2load-$w.txt" >&2; die "h2load failed"; }
  non2xx=$(awk '/^status codes:/ { print $5 + $7 + $9 }' "$DIR/h2load-$w.txt")
  read -r p50 p99 < <(awk -F'\t' '{ print $3 }' "$DIR/h2load-$w.log" | percentiles)
  ROWS+=("| $label | $u | $ue | $l | $le | $s | $se | $f | $p50 / $p99 ($non2xx non-2xx) | $units, $d |")
  log "${ROWS[-1]}"
  sql "EXPLAIN (ANALYZE, BUFFERS) SELECT * FROM kpi_units('$w')" >"$DIR/explain-units-$w.txt"
done
# the 0012 reader's open-dossier count, what 0015 removed: its cost at this size
OPEN_COUNT_MS=$(time_sql open_count 5 "SELECT unit_code, count(*) FROM dossiers WHERE completed_at IS NULL AND status <> 'withdrawn' GROUP BY unit_code")

{
  echo "## kpi bench — $(date -u '+%Y-%m-%d %H:%M UTC'), $CORES core(s), load average $(cut -d' ' -f1-3 /proc/loadavg), $("${PSQL[@]}" -At -c 'SHOW server_version' | awk '{print "PostgreSQL", $1}'), fsync on"
  echo
  if [ "$INSERT_PATH" = 1 ]; then
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
  fi
  echo "Data: $TOTAL dossiers submitted from $FIRST_DAY ($YEARS years), $OPEN_NOW open now, $RATED ratings; database $DB_SIZE."
  echo "Load: rows ${gen_s} s, indexes ${index_s} s, rollups from the rows ${rollup_s} s ($WEEKLY_ROWS weekly, $YEARLY_ROWS yearly rows; bench/kpi_rollups_bulk.sql), VACUUM (ANALYZE) ${vacuum_s} s."
  echo "Bulk rollup against kpi_dossiers_weekly_expected() for units $CHECK_UNITS (${check_s} s): rows differing: $BULK_DIFF."
  echo "Triggers on a sample of writes (withdrawn, completed, moved, due date moved, deleted, copied; rolled back): rollup rows off: $TRIGGER_DIFF."
  echo "0012's open-dossier count (what its recent-week branch added to every call, gone in 0015): $OPEN_COUNT_MS ms."
  echo
  echo "KPIs, median ms (psql \\timing; rollup functions 5 calls, exact ones 3); HTTP: h2load -c 2 -m 1, $HTTP_RATE req/s offered for $HTTP_SECONDS s, cong 1 worker, kpi_cache_ttl_ms = 0:"
  echo
  echo "| week | kpi_units | kpi_units_exact | kpi_late_units | kpi_late_units_exact | satisfaction (rollup) | satisfaction (aggregate over feedback) | floor: kpi_completions_weekly rows of the week | GET /v1/kpi/units p50 / p99 ms | units compared (every figure), figures differing |"
  echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
  printf '%s\n' "${ROWS[@]}"
  echo
  echo "Figures differing between the rollup functions and the exact ones over all weeks: $DIFFS"
} | tee "$DIR/results.md"
[ "$DIFFS" = 0 ] && [ "$BULK_DIFF" = 0 ] && [ "${TRIGGER_DIFF%% *}" = 0 ] || die "the rollups differ from the exact figures"

#!/usr/bin/env bash
# bench/search.sh — catalog search from memory against the SQL search it replaced (issue 17 part 1), one run, on
# 127.0.0.1 only, one cong worker (pinned like bench/procedures.sh), its own Redis (17393) and PostgreSQL (17493) in
# a fresh cluster under .run/searchbench/, cong h2c on 17181. Every request is a query string no earlier request of
# the run used (bench/search_queries.py: prefixes, unaccented and accented names, several words; a serial number
# keeps them apart), sent by h2load -i, the rate limiter off:
#   memory max     h2load -c 16 -m 16: the most one worker answers from memory
#   memory fixed   h2load --rps at SEARCHBENCH_RATE req/s offered (the issue's 20,000), then at SEARCHBENCH_RATE_LOW
#                  (5,000): p50/p99 at a fixed load. Four connections, one stream each: h2load paces each connection
#                  on its own timer and they tick together, so the offered load comes in bursts of one request per
#                  connection; with -c 20 a burst of 20 alone made p50 ~2 ms at any rate (measured: 2.17 ms mean at
#                  5,000 req/s with -c 20, 0.46 ms with -c 4, against 0.11 ms for one stream in sequence). With one
#                  request in flight a connection the four offer ~11,000 req/s at most: past that, the achieved rate
#                  in the table is the client's limit (-c 8 made bursts of 8 and did worse on both counts)
#   sql max/fixed  the same queries through the SQL path (catalog_search in PostgreSQL, pool 4): a second cong whose
#                  first catalog load is a minute away (modules.procedures.catalog_refresh_ms=60000, the SQL runs take ~20 s), so it
#                  answers every search from SQL as the module did before, without the Redis cache; fixed at 100 req/s
#   in-process     the search alone (bench/search_inprocess.c, cc -O2): the catalog as catalog_live.c loads it, the
#                  run's first SEARCHBENCH_INPROCESS queries, one thread pinned like the worker, CPU µs a search
#   relevance      bench/search_relevance.py: SEARCHBENCH_RELEVANCE (3000) queries made from the catalog's names, asked of
#                  the rule before issue 17 (pg_trgm: migration 0014's function, renamed catalog_search_trgm in this
#                  database) and of the gateway's, page 1
# Prints markdown tables (also .run/searchbench/results.md). About three minutes once cong is built.
# Environment: CONG_BUILD_DIR (build-release), SEARCHBENCH_DIR, SEARCHBENCH_DURATION (8), SEARCHBENCH_RATE (20000),
# SEARCHBENCH_RATE_LOW (5000), SEARCHBENCH_RELEVANCE (3000),
# SEARCHBENCH_INPROCESS (20000), SEARCHBENCH_PORTS, SEARCHBENCH_ANSWERS (set: the in-process answers, ~130 MB, go to
# answers.txt, for `cmp` against another build's).
set -euo pipefail

SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH_NAME=searchbench
# shellcheck source=bench/lib.sh
source "$SRC/bench/lib.sh"
BUILD=${CONG_BUILD_DIR:-$SRC/build-release}
DIR=${SEARCHBENCH_DIR:-$SRC/.run/searchbench}
DURATION=${SEARCHBENCH_DURATION:-8}
RATE=${SEARCHBENCH_RATE:-20000}
RATE_LOW=${SEARCHBENCH_RATE_LOW:-5000}
RELEVANCE_QUERIES=${SEARCHBENCH_RELEVANCE:-3000}
INPROCESS_QUERIES=${SEARCHBENCH_INPROCESS:-20000}
# the ports other benches share (bench/kpi.sh): SEARCHBENCH_PORTS="CONG TLS REDIS PG" moves this run elsewhere
read -r CONG_PORT CONG_TLS_PORT REDIS_PORT PG_PORT <<<"${SEARCHBENCH_PORTS:-17181 17544 17393 17493}"

for tool in h2load curl psql python3 cc; do
  command -v "$tool" >/dev/null || die "$tool is not installed (scripts/deps.sh installs everything)"
done
mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)
on_exit_stop_cong_and_stores
for p in $CONG_PORT $CONG_TLS_PORT $REDIS_PORT $PG_PORT; do
  port_busy "$p" && die "port $p is already in use"
done
[ -x "$BUILD/cong" ] || die "no $BUILD/cong: make build first"

bash "$SRC/scripts/make-keys.sh" "$DIR"
rm -rf "$DIR/pg" "$DIR/redis"
SERVICES_STARTED=1
bash "$SRC/scripts/services.sh" start "$DIR" "$REDIS_PORT" "$PG_PORT"
PSQL=(psql -h 127.0.0.1 -p "$PG_PORT" -U cong -d cong -v ON_ERROR_STOP=1 -X -q)
PG_CONNINFO="host=127.0.0.1 port=$PG_PORT dbname=cong user=cong"
ulimit -n 65536 2>/dev/null || true

cong_env() { # REFRESH_MS
  ENVV=(env -i PATH="$PATH" \
    CONG_SERVER_BIND=127.0.0.1 CONG_SERVER_H2C_PORT="$CONG_PORT" CONG_SERVER_TLS_PORT="$CONG_TLS_PORT" \
    CONG_SERVER_TLS_CERTIFICATE="$DIR/tls/cert.pem" CONG_SERVER_TLS_PRIVATE_KEY="$DIR/tls/key.pem" \
    CONG_SERVER_WORKERS=1 CONG_SERVER_SHUTDOWN_TIMEOUT_MS=2000 CONG_SERVER_OPENAPI_FILE="$SRC/openapi/cong.yaml" \
    CONG_REDIS_PORT="$REDIS_PORT" CONG_POSTGRES_CONNINFO="$PG_CONNINFO" CONG_POSTGRES_POOL_SIZE=4 \
    CONG_POSTGRES_MIGRATIONS_DIR="$SRC/gateway/migrations" \
    CONG_SERVER_ENVIRONMENT=development CONG_SERVER_ADMIN_PORT=0 CONG_AUTH_PUBLIC_KEY_FILE="$DIR/keys/issuer.pub.pem" \
    CONG_AUTH_ISSUER=https://id.cong.test CONG_AUTH_AUDIENCE=cong \
    CONG_AUTH_SIGNING_KEY_FILE="$DIR/keys/cong-signing.pem" CONG_AUTH_SUBJECT_SECRET_FILE="$DIR/keys/subject-secret" \
    CONG_AUTH_DOCUMENT_SIGNING_KEY_FILE="$DIR/keys/cong-document.pem" \
    CONG_MODULES_AUDIT_SIGNING_KEY_FILE="$DIR/keys/cong-audit.pem" \
    CONG_LOG_ACCESS_LOG= CONG_LOG_LEVEL=info CONG_RATE_LIMITS_ENABLED=0 \
    CONG_MODULES_PROCEDURES_DATA_DIR="$DIR/data" CONG_MODULES_PROCEDURES_CATALOG_REFRESH_MS="$1")
}
start_cong() { # REFRESH_MS LOGNAME
  cong_env "$1"
  (cd "$SRC" && exec $(server_pin) "${ENVV[@]}" "$BUILD/cong") >"$DIR/$2.log" 2>&1 &
  CONG_PID=$!
  for _ in $(seq 1 150); do
    kill -0 "$CONG_PID" 2>/dev/null || { cat "$DIR/$2.log" >&2; die "cong ($2) exited at start"; }
    curl -s -o /dev/null --http2-prior-knowledge "http://127.0.0.1:$CONG_PORT/readyz" && return 0
    sleep 0.2
  done
  die "cong ($2) is not ready after 30 s"
}

# ---- schema and the seeded catalog --------------------------------------------------------------------------------
cong_env 250
(cd "$SRC" && "${ENVV[@]}" "$BUILD/cong" --migrate) >"$DIR/migrate.log" 2>&1 || { cat "$DIR/migrate.log" >&2; die "migrate"; }
bash "$SRC/scripts/seed.sh" "$REDIS_PORT" "$PG_PORT" >"$DIR/seed.log" 2>&1 || { cat "$DIR/seed.log" >&2; die "seed"; }
"${PSQL[@]}" -At -c "SELECT name_vi || E'\t' || name_folded FROM procedures ORDER BY code" >"$DIR/names.tsv"
log "catalog: $(wc -l <"$DIR/names.tsv") procedures"
python3 "$SRC/bench/search_queries.py" "$DIR/names.tsv" "http://127.0.0.1:$CONG_PORT" 400000 >"$DIR/uris.txt"

# ---- the search alone, in-process ----------------------------------------------------------------------------------
INPROCESS=$BUILD/bench/search_inprocess
mkdir -p "$BUILD/bench"
cc -std=c17 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -I"$SRC" -o "$INPROCESS" "$SRC/bench/search_inprocess.c" \
  "$SRC"/modules/procedures/catalog_{index,search,rank,scratch,counts,vocab,trgm,fold,fold_table}.c -lm -lpthread
"${PSQL[@]}" -At -F $'\x1f' -c "SELECT p.code, p.domain, p.search_text, p.name_folded, length(p.name_vi),
    jsonb_build_object('code', p.code, 'name_vi', p.name_vi, 'name_en', p.name_en, 'domain', p.domain,
                       'level', p.level, 'fee_vnd', p.fee_vnd, 'processing_days', p.processing_days,
                       'min_loa', p.min_loa, 'online_level', p.online_level, 'applicants', p.applicants)::text,
    coalesce(u.codes, ''), p.form_fields::text, p.min_loa, p.applicants
  FROM procedures p LEFT JOIN (SELECT procedure_code, string_agg(unit_code, ' ') AS codes
                                 FROM procedure_units GROUP BY procedure_code) u ON u.procedure_code = p.code
 ORDER BY p.code COLLATE \"C\"" >"$DIR/rows.txt"
head -n "$INPROCESS_QUERIES" "$DIR/uris.txt" | python3 -c 'import sys, urllib.parse
for line in sys.stdin: print(urllib.parse.unquote(line.rstrip("\n").split("q=", 1)[1]))' >"$DIR/queries.txt"
log "in-process: $INPROCESS_QUERIES queries"
INPROCESS_LINE=$($(server_pin) "$INPROCESS" "$DIR/rows.txt" "$DIR/queries.txt" ${SEARCHBENCH_ANSWERS:+"$DIR/answers.txt"})

# ---- relevance: the same generated queries asked of the rule before issue 17 (pg_trgm) and of the gateway's ------
log "relevance: $RELEVANCE_QUERIES queries, before (pg_trgm's word_similarity, in SQL) and after (in memory)"
# the rule before: migration 0014's catalog_search, created again under another name in this database only
python3 - "$SRC/modules/procedures/migrations/0014_applicants.sql" >"$DIR/catalog_search_trgm.sql" <<'PY'
import sys
text = open(sys.argv[1], encoding='utf-8').read()
body = text[text.index('CREATE OR REPLACE FUNCTION catalog_search('):]
print(body.replace('FUNCTION catalog_search(', 'FUNCTION catalog_search_trgm(', 1))
PY
"${PSQL[@]}" -f "$DIR/catalog_search_trgm.sql"
"${PSQL[@]}" -At -F $'\t' -c "SELECT code, name_vi, name_folded FROM procedures ORDER BY code COLLATE \"C\"" \
  >"$DIR/catalog.tsv"
python3 "$SRC/bench/search_relevance.py" "$DIR/catalog.tsv" "${PSQL[*]}" "$INPROCESS" "$DIR/rows.txt" "$DIR" \
  "$RELEVANCE_QUERIES" >"$DIR/relevance.md"

declare -A RPS P50 P99 NON2XX
percentiles() { # µs one a line -> "p50_ms p99_ms"
  sort -n | awk '{ v[NR] = $1 } END { if (NR == 0) { print "n/a n/a"; exit }
    i50 = int(NR * 0.50); if (i50 < NR * 0.50) i50++; i99 = int(NR * 0.99); if (i99 < NR * 0.99) i99++;
    printf "%.2f %.2f\n", v[i50] / 1000, v[i99] / 1000 }'
}
run_h2load() { # name uris-file h2load-args...
  local name=$1 uris=$2 out="$DIR/h2load-$1.txt" reqlog="$DIR/h2load-$1.log"
  shift 2
  log "h2load $name: $*"
  rm -f "$reqlog"
  $(client_pin) timeout $((DURATION + 40)) h2load -D "$DURATION" --warm-up-time=1 -t 1 -i "$uris" \
    --log-file="$reqlog" "$@" >"$out" 2>&1 || { cat "$out" >&2; die "h2load $name failed"; }
  RPS[$name]=$(awk '/^finished in/{ for (i = 1; i <= NF; i++) if ($(i+1) ~ /^req\/s/) { v = $i; sub(/,$/, "", v); print v } }' "$out")
  NON2XX[$name]=$(awk '/^requests:/{ for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^errored/) e = $i; if ($(i+1) ~ /^timeout/) t = $i } }
                       /^status codes:/{ s = $5 + $7 + $9 } END { print s + e + t }' "$out")
  read -r P50["$name"] P99["$name"] < <(awk -F'\t' '{ print $3 }' "$reqlog" | percentiles)
  rm -f "$reqlog"
}
# each run its own slice of the never-seen queries
slice() { sed -n "$1,$2p" "$DIR/uris.txt" >"$DIR/uris-$3.txt"; echo "$DIR/uris-$3.txt"; }

# ---- from memory ---------------------------------------------------------------------------------------------------
start_cong 250 cong-memory
loaded() { grep -q "catalog: version [0-9]* in memory" "$DIR/cong-memory.log"; }
for _ in $(seq 1 300); do loaded && break; sleep 0.1; done
loaded || die "the catalog was not loaded into memory in 30 s"
LOAD_LINE=$(grep -o "catalog: version.*" "$DIR/cong-memory.log" | head -1)
run_h2load memory_max "$(slice 1 300000 a)" -c 16 -m 16
run_h2load memory_fixed "$(slice 300001 400000 b)" -c 4 -m 1 --rps $((RATE / 4))
run_h2load memory_fixed_low "$(slice 200001 300000 e)" -c 4 -m 1 --rps $((RATE_LOW / 4))
stop_pid "$CONG_PID" 10; CONG_PID=

# ---- the SQL path, as before (no catalog in memory yet, no Redis cache) -------------------------------------------
start_cong 60000 cong-sql
run_h2load sql_max "$(slice 1 100000 c)" -c 16 -m 16
run_h2load sql_fixed "$(slice 100001 200000 d)" -c 10 -m 1 --rps 10
stop_pid "$CONG_PID" 10; CONG_PID=

ratio() { awk -v a="$1" -v b="$2" 'BEGIN{ if (b > 0) printf "%.0f", a / b; else print "n/a" }'; }
{
  echo "| catalog search, never-seen queries, one worker | load | req/s | p50 ms | p99 ms | non-2xx |"
  echo "|---|---|---:|---:|---:|---:|"
  echo "| from memory, max | h2load -c 16 -m 16 | ${RPS[memory_max]} | ${P50[memory_max]} | ${P99[memory_max]} | ${NON2XX[memory_max]} |"
  echo "| from memory, fixed $RATE req/s offered | h2load -c 4 -m 1 --rps $((RATE / 4)) | ${RPS[memory_fixed]} | ${P50[memory_fixed]} | ${P99[memory_fixed]} | ${NON2XX[memory_fixed]} |"
  echo "| from memory, fixed $RATE_LOW req/s offered | h2load -c 4 -m 1 --rps $((RATE_LOW / 4)) | ${RPS[memory_fixed_low]} | ${P50[memory_fixed_low]} | ${P99[memory_fixed_low]} | ${NON2XX[memory_fixed_low]} |"
  echo "| SQL (catalog_search, pool 4), max | h2load -c 16 -m 16 | ${RPS[sql_max]} | ${P50[sql_max]} | ${P99[sql_max]} | ${NON2XX[sql_max]} |"
  echo "| SQL, fixed 100 req/s offered | h2load -c 10 -m 1 --rps 10 | ${RPS[sql_fixed]} | ${P50[sql_fixed]} | ${P99[sql_fixed]} | ${NON2XX[sql_fixed]} |"
  echo
  echo "- max rate, memory / SQL (same run): $(ratio "${RPS[memory_max]}" "${RPS[sql_max]}")×"
  echo "- in-process, the search alone (bench/search_inprocess.c, the first $INPROCESS_QUERIES queries, 1 in 4 also as pages 2 and 3 of 7): $INPROCESS_LINE"
  echo "- $LOAD_LINE"
  echo
  echo "Relevance, $RELEVANCE_QUERIES queries made from the catalog's names (bench/search_relevance.py), page 1 of 20: before = pg_trgm's word_similarity (migration 0014's rule, in SQL), after = the gateway's search (migration 0016's rule, in memory)"
  echo
  cat "$DIR/relevance.md"
} | tee "$DIR/results.md"

#!/usr/bin/env bash
# The procedures module when a store goes away: never a crash, never a wrong 200, nothing acknowledged lost.
# The gateway reaches PostgreSQL and Redis through relays of this test's own (the shared test stores stay up).
#   PostgreSQL gone: a submission is 503 with Retry-After and leaves nothing behind; the catalog, in memory since the
#   first load, still answers any search, also one never asked before; a KPI answer the worker fetched seconds ago is served again from its
#   memory until modules.procedures.kpi_cache_ttl_ms (set here; one worker, so every call meets the same cache) has
#   passed, then 503; when PostgreSQL is back, the same Idempotency-Key files the dossier once.
#   Redis gone: the catalog is answered from PostgreSQL; submissions go on (the rate limiter fails open, counted).
source "$(dirname "$0")/lib.sh"
relay_start PGRELAY "$PG_PORT" || { bad "PostgreSQL relay"; finish; exit 1; }
relay_start REDISRELAY "$REDIS_PORT" || { bad "Redis relay"; finish; exit 1; }
start_gateway CONG_POSTGRES_CONNINFO="host=127.0.0.1 port=$PGRELAY_PORT dbname=cong user=cong connect_timeout=1" \
  CONG_REDIS_PORT="$REDISRELAY_PORT" CONG_POSTGRES_TIMEOUT_MS=1000 CONG_RATE_LIMITS_DEFAULT_BURST=1000 \
  CONG_SERVER_WORKERS=1 CONG_MODULES_PROCEDURES_KPI_CACHE_TTL_MS=4000 || exit 1

TOKEN=$(token --sub "outage-$$-$RANDOM" --acr 2)
call() { # METHOD PATH [curl args] → status; body in $GW_DIR/body, headers in $GW_DIR/headers
  local method=$1 path=$2
  shift 2
  curl -s --http2-prior-knowledge --max-time 10 -o "$GW_DIR/body" -D "$GW_DIR/headers" -w '%{http_code}' \
    -X "$method" -H "authorization: Bearer $TOKEN" "$@" "$(url "$path")"
}
header() { grep -i "^$1:" "$GW_DIR/headers" | head -1 | cut -d' ' -f2- | tr -d '\r'; }
problem() { json type <"$GW_DIR/body"; }

# A level-1 procedure with its first unit, and a valid form.
read -r CODE UNIT <<<"$(psql_cong "SELECT p.code || ' ' || min(pu.unit_code) FROM procedures p JOIN procedure_units pu ON pu.procedure_code = p.code WHERE p.min_loa = 1 AND p.applicants <> 'organization' GROUP BY p.code ORDER BY p.code LIMIT 1")"
expect_eq "the procedure" 200 "$(call GET "/v1/procedures/$CODE")"
cp "$GW_DIR/body" "$GW_DIR/procedure.json"
BODY=$(python3 -S -c 'import json,sys; print(json.dumps({"procedure_code":sys.argv[1],"unit_code":sys.argv[2],"form":json.loads(sys.argv[3])}, ensure_ascii=False))' "$CODE" "$UNIT" "$(valid_form "$GW_DIR/procedure.json")")
submit() { call POST /v1/dossiers -H 'content-type: application/json' -H "idempotency-key: $1" -d "$BODY"; }
SEARCH="/v1/procedures?q=outage-$$-$RANDOM"
expect_eq "a search" 200 "$(call GET "$SEARCH")"
catalog_loaded() { grep -q "catalog: version [0-9]* in memory" "$GW_DIR/stderr"; }
wait_until 30 catalog_loaded || bad "the catalog was not loaded into memory"
expect_eq "a submission" 201 "$(submit "before-$$")"
now_ms() { echo $(($(date +%s%N) / 1000000)); }
KPI="/v1/kpi/units?week=2026-W02"
expect_eq "a KPI answer, now in the worker's cache" 200 "$(call GET "$KPI")"
cp "$GW_DIR/body" "$GW_DIR/kpi.json"
KPI_AT=$(now_ms)

# ---- PostgreSQL gone ----
relay_stop PGRELAY
sleep 0.3
expect_eq "a KPI answer cached a moment ago needs no PostgreSQL" 200 "$(call GET "$KPI")"
expect_eq "the same answer" "$(cat "$GW_DIR/kpi.json")" "$(cat "$GW_DIR/body")"
expect_eq "a KPI answer nobody asked for yet: 503" 503 "$(call GET "/v1/kpi/units?week=2026-W03")"
status=200
while [ "$status" = 200 ] && [ $(($(now_ms) - KPI_AT)) -lt 12000 ]; do status=$(call GET "$KPI"); sleep 0.2; done
expect_eq "once it is older than the TTL the cache does not hide the outage" 503 "$status"
KEY="during-$$-$RANDOM"
expect_eq "submission without PostgreSQL: 503" 503 "$(submit "$KEY")"
expect_eq "a problem, not a crash" "https://cong.hanoi.gov.vn/problems/service-unavailable" "$(problem)"
expect_match "Retry-After" '^[0-9]+$' "$(header retry-after)"
expect_eq "a search needs no PostgreSQL" 200 "$(call GET "$SEARCH")"
expect_eq "nor one never asked before (from memory)" 200 "$(call GET "/v1/procedures?q=dang%20ky%20$$-$RANDOM")"
expect_eq "the same answer as ever" "2.000009" "$(call GET "/v1/procedures?q=dang%20ky%20khai%20sinh" >/dev/null;
  python3 -S -c 'import json,sys; print(json.load(sys.stdin)["items"][1]["code"])' <"$GW_DIR/body")"
expect_eq "my dossiers: 503" 503 "$(call GET /v1/dossiers)"
expect_eq "upload: 503" 503 "$(printf '%%PDF-1.4\n%%%%EOF\n' | call POST /v1/uploads --data-binary @-)"
expect_eq "the gateway stays healthy" 200 "$(curl -s --http2-prior-knowledge -o /dev/null -w '%{http_code}' "$(url /healthz)")"
expect_eq "nothing was filed" 0 "$(psql_cong "SELECT count(*) FROM idempotency_keys WHERE key = '$KEY'")"

# ---- PostgreSQL back: the client's retry with the same key files the dossier, once ----
relay_start PGRELAY "$PG_PORT" "$PGRELAY_PORT" || bad "PostgreSQL relay restart"
status=000
for _ in $(seq 1 40); do
  status=$(submit "$KEY")
  [ "$status" = 201 ] && break
  sleep 0.25
done
expect_eq "the retry goes through once PostgreSQL is back" 201 "$status"
expect_eq "filed once" 1 "$(psql_cong "SELECT count(*) FROM idempotency_keys WHERE key = '$KEY'")"
expect_eq "a second retry is a replay" "201 true" "$(submit "$KEY") $(header idempotent-replayed)"

# ---- Redis gone ----
relay_stop REDISRELAY
sleep 0.3
expect_eq "catalog without Redis: answered by PostgreSQL" 200 "$(call GET "/v1/procedures?q=no-redis-$$")"
expect_eq "a submission without Redis" 201 "$(submit "no-redis-$$-$RANDOM")"
relay_start REDISRELAY "$REDIS_PORT" "$REDISRELAY_PORT" || bad "Redis relay restart"
finish

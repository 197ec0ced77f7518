#!/usr/bin/env bash
# Shedding early (issue 17 part 3, gateway/stores/postgres.h): a request that waited longer than
# postgres.queue_wait_ms for a PostgreSQL connection is answered at once 503 database-busy with Retry-After (and
# retry_after_ms), not after postgres.timeout_ms; nothing of it is written, and the same Idempotency-Key files it once
# the pool has room again.
# One worker, a pool of 1, a bound of 250 ms, a deadline of 15 s (all set here). The slow holder: a psql session of
# this test holds its own procedure's row FOR UPDATE; submission A (that procedure) takes the pool's only connection
# and waits in dossier_submit for the row (the foreign key's KEY SHARE lock). Submission B queues behind it and is shed.
source "$(dirname "$0")/lib.sh"
SUFFIX="$$-$RANDOM"
PROC="T-SHED-$SUFFIX"
UNIT="T-SHED-$SUFFIX"
HOLDER_APP="cong-test-shed-$SUFFIX"
psql_cong "INSERT INTO domains (code, name_vi, name_en) VALUES ('t-shed', 'Thử nghiệm', 'Testing') ON CONFLICT DO NOTHING;
INSERT INTO units (code, name, name_en, kind) VALUES ('$UNIT', 'Phường Thử Tải $SUFFIX', 'Load Test Ward $SUFFIX', 'ward');
INSERT INTO procedures (code, name_vi, name_en, domain, level, fee_vnd, processing_days, min_loa, online_level,
                        accepts_electronic_copies)
  VALUES ('$PROC', 'Thủ tục thử tải', 'Load test procedure', 't-shed', 'commune', 0, 3, 1, 'full', true);
INSERT INTO procedure_units (procedure_code, unit_code) VALUES ('$PROC', '$UNIT');" >/dev/null ||
  { bad "inserting the test procedure"; finish; exit 1; }

start_gateway CONG_SERVER_WORKERS=1 CONG_POSTGRES_POOL_SIZE=1 CONG_POSTGRES_QUEUE_WAIT_MS=250 \
  CONG_POSTGRES_TIMEOUT_MS=15000 CONG_RATE_LIMITS_DEFAULT_BURST=1000 || exit 1
wait_stores_up || bad "stores not up"

TOKEN=$(token --sub "shed-$SUFFIX" --acr 2)
BODY="{\"procedure_code\":\"$PROC\",\"unit_code\":\"$UNIT\",\"form\":{}}"
submit() { # KEY OUT: status printed; body in $GW_DIR/OUT.body, headers in $GW_DIR/OUT.headers
  curl -s --http2-prior-knowledge --max-time 30 -o "$GW_DIR/$2.body" -D "$GW_DIR/$2.headers" -w '%{http_code}' \
    -X POST -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' -H "idempotency-key: $1" \
    -d "$BODY" "$(url /v1/dossiers)"
}
keys_of() { psql_cong "SELECT count(*) FROM idempotency_keys WHERE key = '$1'"; }

# ---- the holder: the procedure's row locked until this test lets it go (the session ends on its own after 60 s) ----
psql -h 127.0.0.1 -p "$PG_PORT" -U cong -d cong -qAtX -v ON_ERROR_STOP=1 \
  -c "SET application_name = '$HOLDER_APP'" \
  -c "BEGIN" -c "SELECT code FROM procedures WHERE code = '$PROC' FOR UPDATE" -c "SELECT pg_sleep(60)" \
  -c "ROLLBACK" >/dev/null 2>&1 &
HOLDER_PID=$!
EXTRA_PIDS+=("$HOLDER_PID")
holding() { [ "$(psql_cong "SELECT count(*) FROM pg_stat_activity WHERE application_name = '$HOLDER_APP'
                             AND query LIKE '%pg_sleep%' AND state = 'active'")" = 1 ]; }
wait_until 20 holding || bad "the holder did not take the row"

# ---- A: takes the only connection and waits for the row ----
submit "shed-a-$SUFFIX" a >"$GW_DIR/a.status" &
A_PID=$!
EXTRA_PIDS+=("$A_PID")
a_waits() { [ "$(psql_cong "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'
                             AND query LIKE '%dossier_submit%' AND application_name <> '$HOLDER_APP'")" -ge 1 ]; }
wait_until 20 a_waits || bad "submission A is not waiting for the row"

# ---- B: no connection within 250 ms → 503 database-busy at once ----
KEY_B="shed-b-$SUFFIX"
t0=${EPOCHREALTIME/[.,]/}
status=$(submit "$KEY_B" b)
elapsed_ms=$(( (${EPOCHREALTIME/[.,]/} - t0) / 1000 ))
expect_eq "B is shed" 503 "$status"
expect_eq "a stable problem type" "https://cong.hanoi.gov.vn/problems/database-busy" "$(json type <"$GW_DIR/b.body")"
expect_eq "problem+json" "application/problem+json" \
  "$(grep -i '^content-type:' "$GW_DIR/b.headers" | cut -d' ' -f2- | tr -d '\r' | cut -d';' -f1)"
expect_match "Retry-After in seconds" '^[1-9][0-9]*$' "$(grep -i '^retry-after:' "$GW_DIR/b.headers" | cut -d' ' -f2- | tr -d '\r')"
expect_match "a millisecond hint in the body" '^[0-9]+$' "$(json retry_after_ms <"$GW_DIR/b.body")"
expect_match "the request id as instance" '^[0-9a-f]{32}$' "$(json instance <"$GW_DIR/b.body")"
# about the bound (250 ms), far from the deadline (15 s): generous for a busy 2-core machine
if [ "$elapsed_ms" -lt 2000 ]; then ok; else bad "B was answered after $elapsed_ms ms, expected well under 2 s"; fi
expect_eq "nothing of B was written" 0 "$(keys_of "$KEY_B")"
expect_eq "A is still waiting (not shed: it runs)" "" "$(cat "$GW_DIR/a.status")"
shed_counted() { h2c "$(admin_url /metrics)" | grep -q '^cong_store_queries_shed_total{store="postgres"} [1-9]'; }
wait_until 5 shed_counted || bad "cong_store_queries_shed_total did not count the shed query"

# ---- the holder lets go: A commits (201), B's retry with the same key files it once ----
psql_cong "SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE application_name = '$HOLDER_APP'" >/dev/null
wait "$A_PID"
expect_eq "A is filed once the row is free" 201 "$(cat "$GW_DIR/a.status")"
expect_eq "A wrote its dossier" 1 "$(psql_cong "SELECT count(*) FROM dossiers WHERE procedure_code = '$PROC'")"
expect_eq "B's retry, same key" 201 "$(submit "$KEY_B" b2)"
expect_eq "B filed once" 1 "$(keys_of "$KEY_B")"
expect_eq "two dossiers in all" 2 "$(psql_cong "SELECT count(*) FROM dossiers WHERE procedure_code = '$PROC'")"
wait "$HOLDER_PID" 2>/dev/null
finish

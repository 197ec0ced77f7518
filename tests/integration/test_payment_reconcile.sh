#!/usr/bin/env bash
# `cong payments reconcile --date D --statement FILE` (issue 13, modules/payments/reconcile.c, statement.c) against the
# real PostgreSQL. The test database is shared by every test, so this one works on two GMT+7 days of its own, drawn at
# random far ahead, where nothing else has payments.
#   A statement with each kind of difference: missing in cong, missing at the provider, duplicated at the provider,
#   mismatched amount, transaction number, status and refund type, another merchant's row: exit 1, one line each, a
#   payment_alarms row each, the audit record of the run. A statement that matches: exit 0. A malformed statement:
#   exit 1, its bad lines named, nothing compared or recorded. No such file: 3. Bad usage: 2. PostgreSQL away: 1.
#   The stand-in VNPay's own statement is read (its format is the reader's).
source "$(dirname "$0")/lib.sh"
RUNID="$$$RANDOM"
TMN=CONGTST1
printf 'reconcile-test-secret-%s\n' "$RUNID" >"$GW_DIR/vnpay-secret"
CONNINFO="host=127.0.0.1 port=$PG_PORT dbname=cong user=cong"
reconcile() { # ARGS... → stdout in $GW_DIR/out, stderr in $GW_DIR/err; prints the exit status
  env CONG_POSTGRES_CONNINFO="${RECONCILE_CONNINFO:-$CONNINFO}" CONG_MODULES_PAYMENTS_VNPAY_TMN_CODE="$TMN" \
    CONG_MODULES_PAYMENTS_VNPAY_SECRET_FILE="$GW_DIR/vnpay-secret" \
    CONG_MODULES_PAYMENTS_MIGRATIONS_DIR="$SRC/modules/payments/migrations" ASAN_OPTIONS=detect_leaks=1 \
    "$BUILD/cong" payments "$@" >"$GW_DIR/out" 2>"$GW_DIR/err"
  echo $?
}
out() { cat "$GW_DIR/out"; }

# Two days of this run's own: D (differences) and D2 (all matching), yyyy-mm-dd and the statement's yyyymmdd.
OFFSET=$(( (RUNID % 9000) * 2 )) # up to 2089: the statement reader takes 2000-2099
D=$(date -u -d "2040-01-01 + $OFFSET days" +%F)
D2=$(date -u -d "2040-01-01 + $((OFFSET + 1)) days" +%F)
DC=${D//-/}
D2C=${D2//-/}
read -r PROC UNIT <<<"$(psql_cong "SELECT procedure_code || ' ' || unit_code FROM procedure_units ORDER BY 1 LIMIT 1")"

# payment NAME AMOUNT STATE TRANSACTION_NO DAY → a cong payment RC<RUNID><NAME> settled at 10:00 GMT+7 on DAY; its id
payment() {
  local code="HN-RC-$RUNID-$1"
  psql_cong "INSERT INTO dossiers (code, procedure_code, unit_code, subject, submitted_by, status, form, fee_vnd,
    due_date) VALUES ('$code', '$PROC', '$UNIT', 'c-$RUNID', 'c-$RUNID', 'submitted', '{}', $2, current_date + 10)"
  psql_cong "INSERT INTO payments (id, dossier_code, subject, paid_by, provider, amount_vnd, state, txn_ref, order_info,
    client_ip, created_at, expires_at, provider_txn, paid_at, finished_at) VALUES (gen_random_uuid(), '$code',
    'c-$RUNID', 'c-$RUNID', 'vnpay', $2, '$3', 'RC${RUNID}$1', 'x', '127.0.0.1', now(), now(), '$4',
    ('$5 10:00:00'::timestamp AT TIME ZONE 'Asia/Ho_Chi_Minh'), now()) RETURNING id"
}
# refund PAYMENT_ID AMOUNT FULL TRANSACTION_NO DAY → a successful refund of that payment, refunded at 11:00 on DAY
refund() {
  psql_cong "INSERT INTO payment_refunds (id, payment_id, amount_vnd, full_refund, state, request_id, reason,
    requested_by, finished_at, provider_txn) VALUES (gen_random_uuid(), '$1', $2, $3, 'success',
    md5(random()::text), 'r', 'o-$RUNID', ('$5 11:00:00'::timestamp AT TIME ZONE 'Asia/Ho_Chi_Minh'), '$4')"
  psql_cong "UPDATE payments SET refunded_vnd = refunded_vnd + $2 WHERE id = '$1'"
}
row() { echo "$TMN,RC${RUNID}$1,$2,$3,$4,${5}100000,${6:-00},NCB"; } # NAME NO TYPE AMOUNT_X100 DAY [STATUS]
HEADER="tmn_code,txn_ref,transaction_no,transaction_type,amount,pay_date,status,bank_code"

# ---- day D: one of each difference ----
A=$(payment A 50000 success 900001 "$D")
refund "$A" 20000 false 900011 "$D"
B=$(payment B 30000 success 900002 "$D")
refund "$B" 5000 false 900012 "$D"
C=$(payment C 20000 success 900003 "$D")
psql_cong "INSERT INTO payment_refunds (id, payment_id, amount_vnd, full_refund, state, request_id, reason, requested_by)
  VALUES (gen_random_uuid(), '$C', 3000, false, 'error', md5(random()::text), 'r', 'o-$RUNID')" # never answered
payment E 10000 success 900005 "$D" >/dev/null
payment F 40000 expired 900006 "$D" >/dev/null
payment G 15000 success 900007 "$D" >/dev/null
{
  echo "$HEADER"
  row A 900001 01 5000000 "$DC"          # matches
  row A 900001 01 5000000 "$DC"          # ... twice: duplicate
  row A 900011 03 2000000 "$DC"          # A's refund matches
  row B 900002 01 3500000 "$DC"          # amount differs
  row B 900012 02 500000 "$DC"           # refund: full at the provider, partial in cong
  row C 900099 01 2000000 "$DC"          # transaction number differs
  row C 900013 03 300000 "$DC"           # the refund cong never heard the answer of: missing in cong
  row F 900006 01 4000000 "$DC"          # cong has it expired: missing in cong
  row G 900007 01 1500000 "$DC" 02       # status differs
  row H 900008 01 1000000 "$DC"          # nobody in cong: missing in cong
  echo "OTHER001,RC${RUNID}X,900010,01,100000,${DC}100000,00,NCB" # another merchant
} >"$GW_DIR/statement-d.csv"                # E (cong) is not there: missing at the provider
alarms_before=$(psql_cong "SELECT count(*) FROM payment_alarms WHERE detail ->> 'date' = '$D'")
expect_eq "differences: exit 1" 1 "$(reconcile reconcile --date "$D" --statement "$GW_DIR/statement-d.csv")"
expect_eq "nothing on stderr" "" "$(cat "$GW_DIR/err")"
finding() { grep -E "^$1 $2 txn_ref=RC${RUNID}$3 " "$GW_DIR/out" | head -1; }
expect_match "missing in cong (cong has it expired)" 'line=9 .*"cong_state": ?"expired"' "$(finding missing-in-cong payment F)"
expect_match "missing in cong (unknown to cong)" "transaction_no=900008 line=11" "$(finding missing-in-cong payment H)"
expect_match "missing at the provider" "transaction_no=900005" "$(finding missing-at-provider payment E)"
expect_match "missing in cong: the refund cong never heard of" '"cong_state": ?"error"' "$(finding missing-in-cong refund C)"
expect_match "duplicated at the provider" '"lines": ?\[2, 3\].*"side": ?"provider"|"side": ?"provider".*"lines": ?\[2, 3\]' \
  "$(finding duplicate payment A)"
expect_match "amount mismatched" '"cong": ?30000.*"field": ?"amount_vnd".*"provider": ?35000' "$(finding mismatch payment B)"
expect_match "transaction number mismatched" '"field": ?"transaction_no"' "$(finding mismatch payment C)"
expect_match "status mismatched" '"field": ?"status".*"provider": ?"02"' "$(finding mismatch payment G)"
expect_match "refund type mismatched" '"cong": ?"03".*"field": ?"transaction_type".*"provider": ?"02"' \
  "$(finding mismatch refund B)"
expect_match "another merchant's row" '"tmn_code": ?"OTHER001"' "$(finding other-merchant payment X)"
expect_eq "nothing else (A and its refund match)" 10 "$(grep -vc '^summary ' "$GW_DIR/out")"
expect_match "the summary" "^summary date=$D statement_rows=11 cong_payments=5 cong_refunds=2 findings=10$" \
  "$(grep '^summary ' "$GW_DIR/out")"
expect_eq "an alarm per finding" 10 \
  "$(($(psql_cong "SELECT count(*) FROM payment_alarms WHERE detail ->> 'date' = '$D' AND kind LIKE 'reconcile-%'") - alarms_before))"
expect_eq "the run recorded" "admin|admin|10" "$(psql_cong "SELECT actor || '|' || actor_kind || '|' || (detail ->> 'findings')
  FROM audit_records WHERE action = 'payment.reconcile' AND object = 'statement:$D' ORDER BY id DESC LIMIT 1")"

# ---- day D2: everything matches ----
K=$(payment K 70000 success 900021 "$D2")
refund "$K" 70000 true 900022 "$D2"
payment L 12000 success 900023 "$D2" >/dev/null
printf '%s\r\n%s\r\n"RC%sL",%s\r\n%s\r\n' "$HEADER" "$(row K 900021 01 7000000 "$D2C")" "$RUNID" \
  "900023,01,1200000,${D2C}100000,00,NCB" "$(row K 900022 02 7000000 "$D2C")" >"$GW_DIR/statement-d2.csv"
sed -i "s/^\"RC/$TMN,\"RC/" "$GW_DIR/statement-d2.csv" # a quoted txn_ref, CRLF lines
expect_eq "all matching: exit 0" 0 "$(reconcile reconcile --date "$D2" --statement "$GW_DIR/statement-d2.csv")"
expect_eq "only the summary" "summary date=$D2 statement_rows=3 cong_payments=2 cong_refunds=1 findings=0" "$(out)"
expect_eq "no alarm" 0 "$(psql_cong "SELECT count(*) FROM payment_alarms WHERE detail ->> 'date' = '$D2'")"

# ---- refused before comparing ----
{ echo "$HEADER"; row K 900021 01 7000000 "$D2C"; echo "$TMN,RC${RUNID}K,900021,01,7000050,${D2C}100000,00,NCB"
  echo "$TMN,RC${RUNID}K,900021"; } >"$GW_DIR/malformed.csv"
runs_before=$(psql_cong "SELECT count(*) FROM audit_records WHERE action = 'payment.reconcile' AND object = 'statement:$D2'")
expect_eq "a malformed statement: exit 1" 1 "$(reconcile reconcile --date "$D2" --statement "$GW_DIR/malformed.csv")"
expect_match "its bad lines named" "2 malformed line.*line 3: amount.*line 4: fewer than 8 fields" "$(tr '\n' ' ' <"$GW_DIR/err")"
expect_eq "nothing compared, nothing recorded" "0 $runs_before" "$(grep -c '^summary' "$GW_DIR/out") $(psql_cong "SELECT count(*)
  FROM audit_records WHERE action = 'payment.reconcile' AND object = 'statement:$D2'")"
expect_eq "no such statement: exit 3" 3 "$(reconcile reconcile --date "$D2" --statement "$GW_DIR/no-such.csv")"
expect_eq "no date: exit 2" 2 "$(reconcile reconcile --statement "$GW_DIR/statement-d2.csv")"
expect_eq "not a date: exit 2" 2 "$(reconcile reconcile --date 2040-02-30 --statement "$GW_DIR/statement-d2.csv")"
expect_eq "no subcommand: exit 2" 2 "$(reconcile --date "$D2")"
expect_match "the usage names the statuses" "exit 0 all match, 1 differences" "$(cat "$GW_DIR/err")"
expect_eq "PostgreSQL away: exit 1" 1 "$(RECONCILE_CONNINFO="host=127.0.0.1 port=$(free_port) dbname=cong user=cong connect_timeout=2" \
  reconcile reconcile --date "$D2" --statement "$GW_DIR/statement-d2.csv")"
expect_match "saying so" "PostgreSQL could not be reached" "$(cat "$GW_DIR/err")"

# ---- the stand-in's statement is read as written ----
SPORT=$(free_port)
"$BUILD/payment-standin" --port "$SPORT" --tmn-code "$TMN" --secret-file "$GW_DIR/vnpay-secret" \
  --ipn-url "http://127.0.0.1:9/no-ipn-here" 2>"$GW_DIR/standin.log" &
EXTRA_PIDS+=($!)
wait_until 10 curl -sf -o /dev/null "http://127.0.0.1:$SPORT/healthz" || bad "the stand-in did not start"
curl -sf -o /dev/null -H 'content-type: application/json' -d '{"ipn":"none"}' "http://127.0.0.1:$SPORT/control/mode"
for n in 1 2; do
  python3 "$SRC/tests/integration/payment_fixture.py" "http://127.0.0.1:$SPORT" "$GW_DIR/vnpay-secret" "$TMN" \
    "RS${RUNID}N$n" 25000 "$(($(date +%s) - 30))" pay >/dev/null
done
TODAY=$(TZ=Asia/Ho_Chi_Minh date +%F)
curl -sf -o "$GW_DIR/standin.csv" "http://127.0.0.1:$SPORT/control/statement?date=${TODAY//-/}"
status=$(reconcile reconcile --date "$TODAY" --statement "$GW_DIR/standin.csv")
expect_match "the stand-in's statement is compared (the shared database may differ today)" "^[01]$" "$status"
expect_match "its two payments read" "^summary date=$TODAY statement_rows=2 " "$(grep '^summary' "$GW_DIR/out")"
expect_match "both missing in cong" "RS${RUNID}N1 .*RS${RUNID}N2 " "$(grep '^missing-in-cong payment' "$GW_DIR/out" | tr '\n' ' ')"

finish

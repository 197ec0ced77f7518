#!/usr/bin/env bash
# Refunds (issue 13, modules/payments/refunds.c) through a real HTTP/2 client, against the real Redis and PostgreSQL
# and the stand-in VNPay (tools/payment_standin), whose merchant API checks the refund's HMAC and keeps the remaining
# refundable amount of its own. The first payment is made through cong (POST /v1/payments, the stand-in's page, its IPN);
# the others are made at the stand-in (payment_fixture.py: a signed payment URL, then "pay") and written into cong's
# payments table as settled, which is quicker and lets a test make one the provider never saw paid.
#   Partial then full refund (VNPay types 03 then 02), 201 once the provider's answer is recorded, audit records and the
#   payer's push; a replay (same key) answers the same refund, another body 422; refund_amount_available out of date
#   412 (with the right figure); more than what is left 422; a payment not paid 409; a citizen 403, an official of
#   another unit 404; who may list. Six concurrent refunds that together exceed the payment: exactly one succeeds.
#   The provider refuses: failed, the amount refundable again. The provider does not answer: 202 submitted, the amount
#   reserved, and the retry job settles it once the provider is back.
source "$(dirname "$0")/lib.sh"
RUNID="$$$RANDOM"
CITIZEN="citizen-$RUNID"
OFFICIAL="official-$RUNID"
OTHER_OFFICIAL="other-official-$RUNID"
TMN=CONGTST1
printf 'refund-test-secret-%s\n' "$RUNID" >"$GW_DIR/vnpay-secret"

SPORT=$(free_port)
STANDIN="http://127.0.0.1:$SPORT"
start_gateway CONG_MODULES_PAYMENTS_MIGRATIONS_DIR="$SRC/modules/payments/migrations" \
  CONG_MODULES_PAYMENTS_VNPAY_TMN_CODE="$TMN" CONG_MODULES_PAYMENTS_VNPAY_SECRET_FILE="$GW_DIR/vnpay-secret" \
  CONG_MODULES_PAYMENTS_VNPAY_API_URL="$STANDIN/merchant_webapi/api/transaction" \
  CONG_MODULES_PAYMENTS_VNPAY_PAY_URL="$STANDIN/paymentv2/vpcpay.html" CONG_MODULES_PAYMENTS_IPN_ALLOW=127.0.0.1 \
  CONG_MODULES_PAYMENTS_RETURN_URL=http://127.0.0.1/return \
  CONG_MODULES_PAYMENTS_API_TIMEOUT_MS=1500 CONG_MODULES_PAYMENTS_QUERYDR_INTERVAL_MS=300 \
  CONG_RATE_LIMITS_DEFAULT_BURST=1000 CONG_RATE_LIMITS_DEFAULT_PER_MINUTE=100000 || exit 1
"$BUILD/payment-standin" --port "$SPORT" --tmn-code "$TMN" --secret-file "$GW_DIR/vnpay-secret" \
  --ipn-url "$(url /v1/payments/vnpay/ipn)" 2>"$GW_DIR/standin.log" &
EXTRA_PIDS+=($!)
wait_until 10 curl -sf -o /dev/null "$STANDIN/healthz" || { bad "the stand-in did not start"; finish; exit 1; }
mode() { curl -sf -o /dev/null -H 'content-type: application/json' -d "$1" "$STANDIN/control/mode"; }
mode '{"api":"normal"}'
wait_stores_up || { finish; exit 1; }

# A unit that handles a procedure, another unit, the official of each.
read -r PROC UNIT <<<"$(psql_cong "SELECT procedure_code || ' ' || unit_code FROM procedure_units ORDER BY 1 LIMIT 1")"
OTHER_UNIT=$(psql_cong "SELECT code FROM units WHERE code <> '$UNIT' ORDER BY code LIMIT 1")
psql_cong "INSERT INTO user_roles (subject, role, resource) VALUES ('$OFFICIAL', 'official', '$UNIT'),
  ('$OTHER_OFFICIAL', 'official', '$OTHER_UNIT')"
OFF=$(token --sub "$OFFICIAL" --acr 2 --auth-time-offset 0)
OTHER_OFF=$(token --sub "$OTHER_OFFICIAL" --acr 2 --auth-time-offset 0)
PAYER=$(token --sub "$CITIZEN" --acr 2 --auth-time-offset 0)
STRANGER=$(token --sub "stranger-$RUNID" --acr 2 --auth-time-offset 0)

# new_payment AMOUNT [pay|leave] [STATE] → a payment of a new dossier of the unit, paid at the stand-in (or only
# started there), in cong as STATE (default success); prints its id. Created 0.7 s into the second its URL names, as
# cong's intents are (the refund must name that second: vnp_TransactionDate).
echo 0 >"$GW_DIR/payments-made"
new_payment() {
  local N=$(($(cat "$GW_DIR/payments-made") + 1))
  echo "$N" >"$GW_DIR/payments-made"
  local ref="RF${RUNID}N$N" created=$(($(date +%s) - 60)) code="HN-RF-$RUNID-$N" no pay_date
  read -r no pay_date <<<"$(python3 "$SRC/tests/integration/payment_fixture.py" "$STANDIN" "$GW_DIR/vnpay-secret" \
    "$TMN" "$ref" "$1" "$created" "${2:-pay}")"
  psql_cong "INSERT INTO dossiers (code, procedure_code, unit_code, subject, submitted_by, status, form, fee_vnd,
    due_date) VALUES ('$code', '$PROC', '$UNIT', '$CITIZEN', '$CITIZEN', 'submitted', '{}', $1, current_date + 10)"
  psql_cong "INSERT INTO payments (id, dossier_code, subject, paid_by, provider, amount_vnd, state, txn_ref, order_info,
    client_ip, created_at, expires_at, provider_txn, paid_at, finished_at) VALUES (gen_random_uuid(), '$code',
    '$CITIZEN', '$CITIZEN', 'vnpay', $1, '${3:-success}', '$ref', 'Thanh toan le phi $ref', '127.0.0.1',
    to_timestamp($created + 0.7), to_timestamp($created + 900), nullif('${no:-}', ''), now(), now()) RETURNING id"
}
refund() { # TOKEN PAYMENT KEY AMOUNT AVAILABLE → status
  call "$1" POST "/v1/payments/$2/refunds" -H 'content-type: application/json' -H "idempotency-key: $3" \
    -d "{\"amount_vnd\":$4,\"refund_amount_available\":$5,\"reason\":\"Hồ sơ bị từ chối\"}"
}
problem() { field type | sed 's#.*/##'; }
# fields NAME... → the body's top-level fields, space-separated, read by one python3 (the type's slug for "problem")
fields() { body | python3 -c 'import json, sys
b = json.load(sys.stdin)
print(" ".join(b.get("type", "").rsplit("/", 1)[-1] if f == "problem" else str(b.get(f, "")) for f in sys.argv[1:]))' "$@"; }
standin_refunds() { # TXN_REF → "TYPE:AMOUNT_X100 ..." of the stand-in's refunds of that payment
  curl -s "$STANDIN/control/transactions" | python3 -c 'import json,sys
print(" ".join(r["transaction_type"] + ":" + str(r["amount"]) for r in json.load(sys.stdin)["refunds"] if r["txn_ref"] == sys.argv[1]))' "$1"
}
ref_of() { psql_cong "SELECT txn_ref FROM payments WHERE id = '$1'"; }
audit_count() { psql_cong "SELECT count(*) FROM audit_records WHERE action = '$1' AND object = 'payment:$2'"; }

# paid_for_real → a payment made the way citizens make them: a dossier of a procedure with a fee of 50,000 VND due at
# submission, POST /v1/payments, the stand-in's page, "pay", its IPN to cong; prints its id once cong has it paid.
paid_for_real() {
  local proc="TEST-RF-$RUNID" dossier pay
  psql_cong "INSERT INTO procedures (code, name_vi, name_en, domain, level, fee_vnd, fee_stage, processing_days, min_loa,
    online_level, accepts_electronic_copies) VALUES ('$proc', 'Thủ tục thử hoàn tiền', 'Refund test', 'ho-tich',
    'commune', 50000, 'submission', 5, 1, 'full', true); INSERT INTO procedure_units VALUES ('$proc', '$UNIT')"
  dossier=$(psql_cong "SELECT body ->> 'code' FROM dossier_submit('$CITIZEN', '$CITIZEN', NULL, 'h', '$proc', '$UNIT',
    '{}', '[]', 'req-$RUNID')")
  call "$PAYER" POST /v1/payments -H 'content-type: application/json' -H "idempotency-key: pay-$RUNID" \
    -d "{\"dossier_code\":\"$dossier\",\"provider\":\"vnpay\"}" >/dev/null
  pay=$(field id)
  curl -sf -o /dev/null "$(field redirect_url)" &&
    curl -sf -o /dev/null -H 'content-type: application/json' -d "{\"txn_ref\":\"$(ref_of "$pay")\",\"choice\":\"pay\"}" \
      "$STANDIN/control/pay"
  paid() { [ "$(psql_cong "SELECT state FROM payments WHERE id = '$pay'")" = success ]; }
  wait_until 20 paid && echo "$pay"
}

# ---- partial, then full, of a payment made through cong ----
P1=$(paid_for_real)
expect_match "a paid payment" "^[0-9a-f-]{36}$" "$P1"
[[ "$P1" =~ ^[0-9a-f-]{36}$ ]] || { finish; exit 1; }
expect_eq "a partial refund: 201 once the provider answered" 201 "$(refund "$OFF" "$P1" "k1-$RUNID" 20000 50000)"
R1=$(field id)
expect_eq "refunded" "success False 20000 $P1" "$(fields state full amount_vnd payment_id)"
expect_eq "the stand-in refunded part of it (type 03, VND x 100)" "03:2000000" "$(standin_refunds "$(ref_of "$P1")")"
expect_eq "recorded: requested, refunded" "1 1" "$(audit_count payment.refund_requested "$P1") $(audit_count payment.refunded "$P1")"
expect_eq "by the official" "$OFFICIAL|official|$CITIZEN" "$(psql_cong "SELECT actor || '|' || actor_kind || '|' || subject
  FROM audit_records WHERE action = 'payment.refunded' AND object = 'payment:$P1'")"
expect_eq "the payer is told" 1 "$(psql_cong "SELECT count(*) FROM push_outbox WHERE subject = '$CITIZEN'
  AND topic = 'payment.refund' AND payload ->> 'refund_id' = '$R1'")"
expect_eq "the provider's refund number is kept" 1 "$(psql_cong "SELECT count(*) FROM payment_refunds WHERE id = '$R1'
  AND provider_txn ~ '^[0-9]+$' AND response_code = '00'")"
expect_eq "a replay answers the same refund" "201 $R1 true" \
  "$(refund "$OFF" "$P1" "k1-$RUNID" 20000 50000) $(field id) $(header idempotent-replayed)"
expect_eq "and refunds nothing more" "03:2000000" "$(standin_refunds "$(ref_of "$P1")")"
expect_eq "the same key with another body: 422" "422 idempotency-key-reused" \
  "$(refund "$OFF" "$P1" "k1-$RUNID" 10000 30000) $(problem)"
expect_eq "an out-of-date refund_amount_available: 412" "412 refund-amount-available-mismatch 30000" \
  "$(refund "$OFF" "$P1" "k2-$RUNID" 10000 50000) $(fields problem refund_amount_available)"
expect_eq "more than what is left: 422" "422 refund-exceeds-available 30000" \
  "$(refund "$OFF" "$P1" "k3-$RUNID" 40000 30000) $(fields problem refund_amount_available)"
expect_eq "the rest: a full refund" "201 success True" \
  "$(refund "$OFF" "$P1" "k4-$RUNID" 30000 30000) $(fields state full)"
expect_eq "the stand-in refunded the rest (type 02)" "03:2000000 02:3000000" "$(standin_refunds "$(ref_of "$P1")")"
expect_eq "nothing left" "200 0 2" \
  "$(call "$PAYER" GET "/v1/payments/$P1/refunds") $(field refund_amount_available) $(body | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["items"]))')"

# ---- who may refund, who may read ----
P2=$(new_payment 30000)
expect_eq "the payer cannot refund: 403" 403 "$(refund "$PAYER" "$P2" "c1-$RUNID" 1000 30000)"
expect_eq "an official of another unit: 404" 404 "$(refund "$OTHER_OFF" "$P2" "o1-$RUNID" 1000 30000)"
expect_eq "no such payment: 404" 404 "$(refund "$OFF" "00000000-0000-4000-8000-000000000000" "n1-$RUNID" 1000 30000)"
expect_eq "nothing reserved" 0 "$(psql_cong "SELECT refunded_vnd FROM payments WHERE id = '$P2'")"
expect_eq "the official lists" "200 30000" "$(call "$OFF" GET "/v1/payments/$P2/refunds") $(field refund_amount_available)"
expect_eq "the official's view recorded, the payer's not" "1 0" "$(audit_count payment.refund_list "$P2") $(psql_cong "SELECT
  count(*) FROM audit_records WHERE action = 'payment.refund_list' AND actor = '$CITIZEN'")"
expect_eq "another unit's official does not" 404 "$(call "$OTHER_OFF" GET "/v1/payments/$P2/refunds")"
expect_eq "nor a stranger" 404 "$(call "$STRANGER" GET "/v1/payments/$P2/refunds")"
expect_eq "no Idempotency-Key: 400" 400 "$(call "$OFF" POST "/v1/payments/$P2/refunds" -H 'content-type: application/json' \
  -d '{"amount_vnd":1000,"refund_amount_available":30000,"reason":"x"}')"
expect_eq "a bad body: 422 naming the fields" "422 validation-failed" \
  "$(refund "$OFF" "$P2" "v1-$RUNID" 0 -5) $(problem)"
expect_match "amount_vnd and refund_amount_available" "amount_vnd.*refund_amount_available" "$(body)"
P3=$(new_payment 30000 leave expired)
expect_eq "a payment that did not succeed: 409" "409 payment-not-refundable expired" \
  "$(refund "$OFF" "$P3" "e1-$RUNID" 1000 0) $(fields problem state)"

# ---- six concurrent refunds of 30000 on a payment of 50000: exactly one ----
P4=$(new_payment 50000)
seq 1 6 | xargs -P 6 -I{} curl -s --http2-prior-knowledge --max-time 20 -o /dev/null -w '%{http_code}\n' -X POST \
  -H "authorization: Bearer $OFF" -H 'content-type: application/json' -H "idempotency-key: race-{}-$RUNID" \
  -d '{"amount_vnd":30000,"refund_amount_available":50000,"reason":"race"}' "$(url "/v1/payments/$P4/refunds")" \
  >"$GW_DIR/race"
expect_eq "one 201, five 412" "1 5" "$(grep -c '^201$' "$GW_DIR/race") $(grep -c '^412$' "$GW_DIR/race")"
expect_eq "one refund, 30000 reserved" "1 30000" "$(psql_cong "SELECT count(*) || ' ' || max(p.refunded_vnd)
  FROM payment_refunds r JOIN payments p ON p.id = r.payment_id WHERE p.id = '$P4'")"
expect_eq "the stand-in refunded once" "03:3000000" "$(standin_refunds "$(ref_of "$P4")")"

# ---- the provider refuses: failed, and the amount is refundable again ----
P5=$(new_payment 20000 leave) # only started at the stand-in: it refuses (95, not paid)
expect_eq "refused by the provider: 201 failed" "201 failed" "$(refund "$OFF" "$P5" "f1-$RUNID" 5000 20000) $(field state)"
expect_eq "its code kept, the amount given back" "95 0" "$(psql_cong "SELECT r.response_code || ' ' || p.refunded_vnd
  FROM payment_refunds r JOIN payments p ON p.id = r.payment_id WHERE p.id = '$P5'")"
expect_eq "recorded: payment.refund_failed" 1 "$(audit_count payment.refund_failed "$P5")"
expect_eq "refundable again" "200 20000" "$(call "$OFF" GET "/v1/payments/$P5/refunds") $(field refund_amount_available)"

# ---- the provider does not answer: 202 submitted; the retry job settles it once the provider is back ----
P6=$(new_payment 40000)
mode '{"api":"timeout"}'
expect_eq "no answer in time: 202 submitted" "202 submitted" "$(refund "$OFF" "$P6" "t1-$RUNID" 40000 40000) $(field state)"
R6=$(field id)
expect_eq "the amount stays reserved" 40000 "$(psql_cong "SELECT refunded_vnd FROM payments WHERE id = '$P6'")"
expect_eq "nothing refunded at the provider yet" "" "$(standin_refunds "$(ref_of "$P6")")"
mode '{"api":"normal"}'
settled() { [ "$(psql_cong "SELECT state FROM payment_refunds WHERE id = '$R6'")" = success ]; }
if wait_until 30 settled; then ok; else bad "the retry job did not settle refund $R6: $(psql_cong "SELECT state || ' ' || attempts FROM payment_refunds WHERE id = '$R6'")"; fi
expect_eq "refunded once, in full" "02:4000000" "$(standin_refunds "$(ref_of "$P6")")"
expect_eq "recorded by the system" "system|system" "$(psql_cong "SELECT actor || '|' || actor_kind FROM audit_records
  WHERE action = 'payment.refunded' AND object = 'payment:$P6'")"
expect_eq "a replay now answers it settled" "201 success" "$(refund "$OFF" "$P6" "t1-$RUNID" 40000 40000) $(field state)"

finish

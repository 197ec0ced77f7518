#!/usr/bin/env bash
# Payments (modules/payments) end to end on one gateway: a dossier awaiting its fee paid through an intent (POST
# /v1/payments) and a signed IPN (signed here in Python, independently of the C code): the dossier submitted, the
# receipt in the wallet and verifiable, push, portal outbox and audit rows; a forged hash (97), a replayed IPN (02,
# nothing twice), a wrong amount (04, alarm), an unknown order (01), an IPN from outside the allow-list (403, nothing
# recorded), a late IPN after the intent expired (applied), a failed and a cancelled payment (the dossier still waits),
# a grantee paying under a 'pay' mandate (and one whose mandate does not cover the procedure), a stranger, the
# Idempotency-Key (replay, 422), PostgreSQL down during an IPN (99, then the retry applies it once), the return page
# (the database's state). Then through the stand-in VNPay (tools/payment_standin): /control/pay, its HTML page in
# headless Chromium, and querydr settling payments whose IPN never came (paid, never chosen, unknown) while an open
# intent is not asked. Last, a gateway without a provider configured: 503 provider-unavailable.
source "$(dirname "$0")/lib.sh"

RUNID=$(date +%s)-$$-$RANDOM
S="pay-$RUNID"              # the applicant
GRANTEE="pay-$RUNID-grantee"
STRANGER="pay-$RUNID-stranger"
OFFICIAL="pay-$RUNID-official"
UNIT=HN-W-001
P_FEE="TPF-$((RANDOM % 10000))$((RANDOM % 100000))"  # 50,000 VND due at submission (a mandate names at most 20 bytes)
P_OTHER="TPO-${P_FEE#TPF-}"                           # another fee-bearing procedure (outside the grantee's mandate)
TMN=CONGTEST
SECRET=$(head -c 24 /dev/urandom | base64 | tr -d '/+=\n')
printf '%s\n' "$SECRET" >"$GW_DIR/vnpay-secret"
read -r STANDIN_PORT RETURN_PORT <<<"$(free_ports 2)"

psql_cong "INSERT INTO procedures (code, name_vi, name_en, domain, level, fee_vnd, fee_stage, processing_days, min_loa,
             online_level, accepts_electronic_copies)
           VALUES ('$P_FEE', 'Thủ tục thử thanh toán', 'Payment test', 'ho-tich', 'commune', 50000, 'submission', 5, 1,
                   'full', true),
                  ('$P_OTHER', 'Thủ tục thử khác', 'Other payment test', 'dat-dai', 'commune', 20000, 'submission', 5,
                   1, 'full', true);
           INSERT INTO procedure_units VALUES ('$P_FEE', '$UNIT'), ('$P_OTHER', '$UNIT');
           INSERT INTO user_roles (subject, role, resource) VALUES ('$OFFICIAL', 'official', '$UNIT')" >/dev/null

# vnpay.py: the test's own VNPay signing (PHP urlencode canonical string, HMAC-SHA512), independent of the C code.
cat >"$GW_DIR/vnpay.py" <<'PY'
import hashlib, hmac, sys, urllib.parse
SECRET = open(sys.argv[1]).read().strip().encode()
def canonical(pairs):
    keep = sorted((k, v) for k, v in pairs if k.startswith("vnp_") and k not in ("vnp_SecureHash", "vnp_SecureHashType"))
    return "&".join(urllib.parse.quote_plus(k, safe="") + "=" + urllib.parse.quote_plus(v, safe="") for k, v in keep)
def sign(text): return hmac.new(SECRET, text.encode(), hashlib.sha512).hexdigest()
cmd, args = sys.argv[2], sys.argv[3:]
if cmd == "ipn":  # TXN_REF AMOUNT_VND RESPONSE_CODE STATUS [bad] -> a signed IPN query
    q = {"vnp_Amount": str(int(args[1]) * 100), "vnp_BankCode": "NCB", "vnp_BankTranNo": "VNP1", "vnp_CardType": "ATM",
         "vnp_OrderInfo": "Thanh toan le phi", "vnp_PayDate": "20261206101500", "vnp_ResponseCode": args[2],
         "vnp_TmnCode": "CONGTEST", "vnp_TransactionNo": "1" + args[0][:8].translate(str.maketrans("ABCDEF", "123456")),
         "vnp_TransactionStatus": args[3], "vnp_TxnRef": args[0]}
    h = sign(canonical(q.items()))
    if len(args) > 4: h = ("0" if h[0] != "0" else "1") + h[1:]
    print(urllib.parse.urlencode(list(q.items()) + [("vnp_SecureHash", h)]))
elif cmd == "url-ok":  # URL -> "ok TXN_REF AMOUNT" when its vnp_SecureHash signs its other vnp_* parameters
    pairs = urllib.parse.parse_qsl(urllib.parse.urlsplit(args[0]).query, keep_blank_values=True)
    d = dict(pairs)
    print(("ok" if hmac.compare_digest(sign(canonical(pairs)), d.get("vnp_SecureHash", "")) else "bad"),
          d.get("vnp_TxnRef"), d.get("vnp_Amount"))
PY
vnpay() { python3 "$GW_DIR/vnpay.py" "$GW_DIR/vnpay-secret" "$@"; }

relay_start PGRELAY "$PG_PORT" || { bad "PostgreSQL relay"; finish; exit 1; }
start_gateway CONG_POSTGRES_CONNINFO="host=127.0.0.1 port=$PGRELAY_PORT dbname=cong user=cong connect_timeout=1" \
  CONG_SERVER_TRUSTED_PROXIES=127.0.0.1/32 \
  CONG_MODULES_PAYMENTS_VNPAY_TMN_CODE=$TMN CONG_MODULES_PAYMENTS_VNPAY_SECRET_FILE="$GW_DIR/vnpay-secret" \
  CONG_MODULES_PAYMENTS_VNPAY_PAY_URL="http://127.0.0.1:$STANDIN_PORT/paymentv2/vpcpay.html" \
  CONG_MODULES_PAYMENTS_VNPAY_API_URL="http://127.0.0.1:$STANDIN_PORT/merchant_webapi/api/transaction" \
  CONG_MODULES_PAYMENTS_RETURN_URL="http://127.0.0.1:$RETURN_PORT/v1/payments/vnpay/return" \
  CONG_MODULES_PAYMENTS_IPN_ALLOW="127.0.0.1 192.0.2.0/24" CONG_MODULES_PAYMENTS_INTENT_TTL_S=900 \
  CONG_MODULES_PAYMENTS_QUERYDR_INTERVAL_MS=200 CONG_MODULES_PAYMENTS_QUERYDR_GRACE_S=0 \
  CONG_MODULES_PAYMENTS_API_TIMEOUT_MS=5000 || { finish; exit 1; }
wait_stores_up || { finish; exit 1; }
# The return URL the browser is sent to: the city's public address, here a redirect to this gateway (whose port is known
# only now), as a load balancer in front of it would forward.
python3 - "$RETURN_PORT" "$H2C_PORT" 2>"$GW_DIR/return-redirect.log" <<'PY' &
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(302); self.send_header("Location", "http://127.0.0.1:%s%s" % (sys.argv[2], self.path))
        self.send_header("Content-Length", "0"); self.end_headers()
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
PY
EXTRA_PIDS+=($!)

CIT=$(token --sub "$S" --acr 1)
problem() { field type | sed 's#.*/##'; }
file() { psql_cong "SELECT body->>'code' FROM dossier_submit('$S', '$S', NULL, 'h', '${1:-$P_FEE}', '$UNIT', '{}', '[]',
                    'req-$RUNID')"; }
intent() { # TOKEN KEY DOSSIER → status; the intent in $GW_DIR/body
  call "$1" POST /v1/payments -H 'content-type: application/json' -H "idempotency-key: $2" \
    -d "{\"dossier_code\":\"$3\",\"provider\":\"vnpay\"}"
}
ipn() { # QUERY [X-FORWARDED-FOR] → the IPN's JSON answer (HTTP status in $GW_DIR/ipn.status)
  curl -s --http2-prior-knowledge --max-time 10 -o "$GW_DIR/ipn.body" -w '%{http_code}' ${2:+-H "x-forwarded-for: $2"} \
    "$(url "/v1/payments/vnpay/ipn?$1")" >"$GW_DIR/ipn.status"
  cat "$GW_DIR/ipn.body"
}
rsp() { [[ $1 =~ \"RspCode\":\"([0-9]+)\" ]] && echo "${BASH_REMATCH[1]}"; }
fields() { body | python3 -c 'import json,sys; d=json.load(sys.stdin); print("|".join(str(d.get(k)) for k in sys.argv[1:]))' "$@"; }
state() { psql_cong "SELECT state FROM payments WHERE id = '$1'"; }
status_of() { psql_cong "SELECT status FROM dossiers WHERE code = '$1'"; }
txn_of() { psql_cong "SELECT txn_ref FROM payments WHERE id = '$1'"; }

# ---- an intent ----
D1=$(file)
expect_eq "the dossier waits for its fee" awaiting_payment "$(status_of "$D1")"
expect_eq "POST /v1/payments: 201" 201 "$(intent "$CIT" "k1-$RUNID" "$D1")"
PAY1=$(field id)
expect_eq "the dossier's fee, created, not finished" "$D1|vnpay|50000|created|False" \
  "$(fields dossier_code provider amount_vnd state finished)"
expect_match "expires_at in local time" '^[0-9-]{10}T[0-9:]{8}\+07:00$' "$(field expires_at)"
expect_eq "Location" "/v1/payments/$PAY1" "$(header location)"
URL1=$(field redirect_url)
read -r SIG TXN1 AMOUNT <<<"$(vnpay url-ok "$URL1")"
expect_eq "redirect_url: the provider's page, signed (checked in Python), VND × 100" \
  "ok $(txn_of "$PAY1") 5000000" "$SIG $TXN1 $AMOUNT"
expect_match "...to the configured pay URL" "^http://127.0.0.1:$STANDIN_PORT/paymentv2/vpcpay.html\?" "$URL1"
expect_eq "same key, same body: the first answer" "201 $PAY1|$URL1" \
  "$(intent "$CIT" "k1-$RUNID" "$D1") $(fields id redirect_url)"
D2=$(file)
expect_eq "same key, another body: 422" "422 idempotency-key-reused" "$(intent "$CIT" "k1-$RUNID" "$D2") $(problem)"
expect_eq "one intent" 1 "$(psql_cong "SELECT count(*) FROM payments WHERE dossier_code = '$D1'")"
expect_eq "audit: payment.create by the citizen" "$S|citizen|$S" \
  "$(psql_cong "SELECT actor || '|' || actor_kind || '|' || subject FROM audit_records WHERE action = 'payment.create'
                AND object = 'payment:$PAY1'")"
expect_eq "a dossier that is not the caller's: 404" 404 \
  "$(intent "$(token --sub "$STRANGER" --acr 1)" "ks-$RUNID" "$D1")"
expect_eq "an unknown provider: 422" 422 \
  "$(call "$CIT" POST /v1/payments -H 'content-type: application/json' -H "idempotency-key: kp-$RUNID" \
      -d "{\"dossier_code\":\"$D1\",\"provider\":\"momo\"}")"

# ---- IPNs refused ----
callbacks() { psql_cong "SELECT count(*) FROM payment_callbacks WHERE payment_id = '$PAY1' OR raw->>'query' LIKE
                         '%$TXN1%'"; }
before=$(callbacks)
expect_eq "from outside the allow-list: 403" 403 "$(ipn "$(vnpay ipn "$TXN1" 50000 00 00)" 203.0.113.7 >/dev/null;
                                                    cat "$GW_DIR/ipn.status")"
expect_eq "...nothing recorded, nothing applied" "$before|created" "$(callbacks)|$(state "$PAY1")"
expect_eq "a forged hash: 97" 97 "$(rsp "$(ipn "$(vnpay ipn "$TXN1" 50000 00 00 bad)" 192.0.2.10)")"
expect_eq "...HTTP 200 as VNPay expects" 200 "$(cat "$GW_DIR/ipn.status")"
expect_eq "...recorded as refused, nothing applied" "$((before + 1))|created" "$(callbacks)|$(state "$PAY1")"
expect_eq "a wrong amount: 04" '{"RspCode":"04","Message":"invalid amount"}' \
  "$(ipn "$(vnpay ipn "$TXN1" 5000 00 00)")"
expect_eq "...alarmed and audited, nothing applied" "amount-mismatch|5000|1|created|awaiting_payment" \
  "$(psql_cong "SELECT kind || '|' || (detail->>'stated_vnd') FROM payment_alarms WHERE payment_id = '$PAY1'")|$(
    psql_cong "SELECT count(*) FROM audit_records WHERE action = 'payment.amount_mismatch' AND object = 'payment:$PAY1'")|$(
    state "$PAY1")|$(status_of "$D1")"
expect_eq "an unknown order: 01" 01 "$(rsp "$(ipn "$(vnpay ipn "NOSUCHORDER${RUNID//-/}" 50000 00 00)")")"

# ---- paid ----
expect_eq "a paid IPN: 00 Confirm Success" '{"RspCode":"00","Message":"Confirm Success"}' \
  "$(ipn "$(vnpay ipn "$TXN1" 50000 00 00)")"
expect_eq "the payment: success, by the IPN" "success|ipn|true" \
  "$(psql_cong "SELECT state || '|' || settled_by || '|' || (paid_at IS NOT NULL) FROM payments WHERE id = '$PAY1'")"
expect_eq "the dossier: submitted, paid, a 'pay' event by system" "submitted|true|pay|system" \
  "$(psql_cong "SELECT d.status || '|' || (d.paid_at IS NOT NULL) || '|' || e.action || '|' || e.actor_role
                FROM dossiers d JOIN dossier_events e ON e.dossier_id = d.id AND e.version = d.version
                WHERE d.code = '$D1'")"
expect_eq "portal outbox: version 2, submitted" "2|submitted|pay" \
  "$(psql_cong "SELECT version || '|' || (payload->>'status') || '|' || (payload->>'action') FROM portal_outbox
                WHERE dossier_code = '$D1' ORDER BY version DESC LIMIT 1")"
expect_eq "push: payment.status and dossier.status to the applicant" "1|1" \
  "$(psql_cong "SELECT count(*) FROM push_outbox WHERE subject = '$S' AND topic = 'payment.status'
                AND payload->>'id' = '$PAY1' AND payload->>'state' = 'success'")|$(
    psql_cong "SELECT count(*) FROM push_outbox WHERE subject = '$S' AND topic = 'dossier.status'
               AND payload->>'code' = '$D1' AND payload->>'status' = 'submitted'")"
expect_eq "audit: payment.success" "system|system|$S" \
  "$(psql_cong "SELECT actor || '|' || actor_kind || '|' || subject FROM audit_records WHERE action = 'payment.success'
                AND object = 'payment:$PAY1'")"
expect_eq "the receipt is in the applicant's wallet" "receipt|application/jose|$D1" \
  "$(psql_cong "SELECT kind || '|' || media_type || '|' || dossier_code FROM wallet_documents WHERE owner = '$S'
                AND kind = 'receipt'")"
expect_eq "...listed by GET /v1/me/documents" 200 "$(call "$CIT" GET /v1/me/documents)"
expect_match "...with its title" '"kind": ?"receipt"' "$(body)"
expect_eq "GET /v1/payments/{id}: the applicant" 200 "$(call "$CIT" GET "/v1/payments/$PAY1")"
expect_eq "...success, finished" "success|True" "$(fields state finished)"
RECEIPT=$(body | python3 -c 'import json,sys; print(json.load(sys.stdin)["receipt"]["signature"])')
expect_eq "the receipt verifies" 200 "$(call "" POST /v1/receipts/verify -H 'content-type: application/json' \
                                        -d "{\"signature\":\"$RECEIPT\"}")"
expect_eq "...valid, this payment, this amount" "True|$PAY1|50000|$D1" \
  "$(body | python3 -c 'import json,sys; d=json.load(sys.stdin); r=d.get("receipt") or {}
print(d["valid"], r.get("payment"), r.get("amount_vnd"), r.get("dossier"), sep="|")')"
# a signature character changed to another, away from the end (the last one carries padding bits a decoder may ignore)
C=${RECEIPT: -10:1}
TAMPERED="${RECEIPT:0:${#RECEIPT}-10}$([ "$C" = A ] && echo B || echo A)${RECEIPT: -9}"
expect_eq "a tampered receipt does not" "False bad-signature" \
  "$(call "" POST /v1/receipts/verify -H 'content-type: application/json' -d "{\"signature\":\"$TAMPERED\"}" >/dev/null
     body | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["valid"], d.get("reason"))')"
expect_eq "an official of the unit sees the payment" 200 \
  "$(call "$(token --sub "$OFFICIAL" --acr 2)" GET "/v1/payments/$PAY1")"
expect_eq "a stranger does not" 404 "$(call "$(token --sub "$STRANGER" --acr 1)" GET "/v1/payments/$PAY1")"
expect_eq "the return page shows the database's state" 200 \
  "$(curl -s -o "$GW_DIR/return.html" -w '%{http_code}' --http2-prior-knowledge -H 'accept-language: en' \
      "$(url "/v1/payments/vnpay/return?$(vnpay ipn "$TXN1" 50000 24 02)")")"
expect_match "...success, though this return URL says cancelled" 'data-state="success"' "$(cat "$GW_DIR/return.html")"
expect_eq "a return URL whose signature fails shows nothing" 400 \
  "$(curl -s -o "$GW_DIR/return.html" -w '%{http_code}' --http2-prior-knowledge \
      "$(url "/v1/payments/vnpay/return?$(vnpay ipn "$TXN1" 50000 00 00 bad)")")"

# ---- replayed ----
counts() { psql_cong "SELECT (SELECT count(*) FROM wallet_documents WHERE owner = '$S' AND kind = 'receipt') || '|' ||
  (SELECT count(*) FROM dossier_events e JOIN dossiers d ON d.id = e.dossier_id WHERE d.code = '$D1') || '|' ||
  (SELECT count(*) FROM push_outbox WHERE topic = 'payment.status' AND payload->>'id' = '$PAY1') || '|' ||
  (SELECT count(*) FROM audit_records WHERE action = 'payment.success' AND object = 'payment:$PAY1')"; }
before=$(counts)
expect_eq "the same IPN again: 02" 02 "$(rsp "$(ipn "$(vnpay ipn "$TXN1" 50000 00 00)")")"
expect_eq "...nothing twice" "1|2|1|1" "$before"
expect_eq "...nothing more" "$before" "$(counts)"

expect_eq "a paid dossier takes no new intent: 409" "409 invalid-transition" \
  "$(intent "$CIT" "k1b-$RUNID" "$D1") $(problem)"

# ---- failed and cancelled: the dossier still waits ----
intent "$CIT" "k2-$RUNID" "$D2" >/dev/null
PAY2=$(field id)
intent "$CIT" "k2b-$RUNID" "$D2" >/dev/null
PAY_TWICE=$(field id)                              # a second page left open: paid later, after another one
expect_eq "cancelled by the payer (24): 00" 00 "$(rsp "$(ipn "$(vnpay ipn "$(txn_of "$PAY2")" 50000 24 02)")")"
expect_eq "...cancelled; the dossier waits" "cancelled|awaiting_payment" "$(state "$PAY2")|$(status_of "$D2")"
intent "$CIT" "k3-$RUNID" "$D2" >/dev/null
PAY3=$(field id)
expect_eq "refused by the bank (51): 00" 00 "$(rsp "$(ipn "$(vnpay ipn "$(txn_of "$PAY3")" 50000 51 02)")")"
expect_eq "...failed; the dossier waits" "failed|awaiting_payment" "$(state "$PAY3")|$(status_of "$D2")"
expect_eq "...audited" 1 "$(psql_cong "SELECT count(*) FROM audit_records WHERE action = 'payment.failed'
                                      AND object = 'payment:$PAY3'")"

# ---- late: an intent the job closed as expired, paid after all ----
intent "$CIT" "k4-$RUNID" "$D2" >/dev/null
PAY4=$(field id)
psql_cong "UPDATE payments SET state = 'expired', finished_at = now(), settled_by = 'expiry',
           expires_at = now() - interval '1 hour' WHERE id = '$PAY4'" >/dev/null
expect_eq "a late IPN that says paid: 00" 00 "$(rsp "$(ipn "$(vnpay ipn "$(txn_of "$PAY4")" 50000 00 00)")")"
expect_eq "...applied: the money was taken" "success|submitted" "$(state "$PAY4")|$(status_of "$D2")"
expect_eq "money for the same dossier through the other page: 00" 00 \
  "$(rsp "$(ipn "$(vnpay ipn "$(txn_of "$PAY_TWICE")" 50000 00 00)")")"
expect_eq "...recorded as received, alarmed to refund, the dossier moved once" "success|double-payment|submitted|2" \
  "$(state "$PAY_TWICE")|$(psql_cong "SELECT kind FROM payment_alarms WHERE payment_id = '$PAY_TWICE'")|$(
    status_of "$D2")|$(psql_cong "SELECT version FROM dossiers WHERE code = '$D2'")"

# ---- acting for someone ----
UNTIL=$(($(date +%s) + 86400))
mandate() { psql_cong "INSERT INTO mandates (grantor, delegated_by, grantee, procedures, domains, actions, valid_from,
  valid_until, max_uses, status) VALUES ('$S', '$S', '$GRANTEE', '{$1}', '{}', '{view,pay}', now() - interval '1 hour',
  to_timestamp($UNTIL), 5, 'active') RETURNING id"; }
acting() { token --sub "$S" --acr 1 --claims-json "{\"act\":{\"sub\":\"$GRANTEE\"},\"mandate\":{\"id\":\"$1\",
  \"actions\":[\"view\",\"pay\"],\"procedures\":[\"$2\"],\"domains\":[],\"until\":$UNTIL}}"; }
M1=$(mandate "$P_FEE")
D3=$(file)
expect_eq "a grantee with a 'pay' mandate pays for the grantor: 201" 201 "$(intent "$(acting "$M1" "$P_FEE")" \
                                                                           "kg-$RUNID" "$D3")"
PAY5=$(field id)
expect_eq "...the applicant's fee, paid by the grantee under the mandate, one use" "$S|$GRANTEE|$M1|1" \
  "$(psql_cong "SELECT p.subject || '|' || p.paid_by || '|' || p.mandate_id || '|' || m.uses FROM payments p
                JOIN mandates m ON m.id = p.mandate_id WHERE p.id = '$PAY5'")"
expect_eq "...the use recorded: mandate.use pay" 1 \
  "$(psql_cong "SELECT count(*) FROM audit_records WHERE action = 'mandate.use' AND object = 'payment:$PAY5'")"
expect_eq "...paid: 00" 00 "$(rsp "$(ipn "$(vnpay ipn "$(txn_of "$PAY5")" 50000 00 00)")")"
expect_eq "...both are told" "1|1" \
  "$(psql_cong "SELECT count(*) FROM push_outbox WHERE subject = '$S' AND payload->>'id' = '$PAY5'")|$(
    psql_cong "SELECT count(*) FROM push_outbox WHERE subject = '$GRANTEE' AND payload->>'id' = '$PAY5'")"
expect_eq "...the grantee (not acting) sees what they paid" 200 \
  "$(call "$(token --sub "$GRANTEE" --acr 1)" GET "/v1/payments/$PAY5")"
D4=$(file "$P_OTHER")
expect_eq "a mandate that does not cover the procedure: 403" "403 mandate-does-not-cover" \
  "$(intent "$(acting "$M1" "$P_FEE")" "ko-$RUNID" "$D4") $(problem)"
expect_eq "...no intent, no use" "0|1" \
  "$(psql_cong "SELECT count(*) FROM payments WHERE dossier_code = '$D4'")|$(
    psql_cong "SELECT uses FROM mandates WHERE id = '$M1'")"

# ---- PostgreSQL down during an IPN: 99, then VNPay's retry applies it exactly once ----
intent "$CIT" "k6-$RUNID" "$D4" >/dev/null
PAY6=$(field id)
Q6=$(vnpay ipn "$(txn_of "$PAY6")" 20000 00 00)
relay_stop PGRELAY
wait_store_down postgres
expect_eq "PostgreSQL down: 99, so VNPay retries" '{"RspCode":"99","Message":"Unknown error"}' "$(ipn "$Q6")"
relay_start PGRELAY "$PG_PORT" "$PGRELAY_PORT" || bad "PostgreSQL relay restart"
wait_stores_up
expect_eq "the retry: 00" 00 "$(rsp "$(ipn "$Q6")")"
expect_eq "...applied once" "success|1|submitted|2" \
  "$(state "$PAY6")|$(psql_cong "SELECT count(*) FROM payment_callbacks WHERE payment_id = '$PAY6' AND verdict = '00'")|$(
    status_of "$D4")|$(psql_cong "SELECT version FROM dossiers WHERE code = '$D4'")"

# ---- through the stand-in VNPay ----
"$BUILD/payment-standin" --port "$STANDIN_PORT" --tmn-code $TMN --secret-file "$GW_DIR/vnpay-secret" \
  --ipn-url "$(url /v1/payments/vnpay/ipn)" --ipn-retry-ms 200 2>"$GW_DIR/standin.log" &
EXTRA_PIDS+=($!)
STANDIN="http://127.0.0.1:$STANDIN_PORT"
wait_until 20 curl -sf -o /dev/null "$STANDIN/healthz" || bad "the stand-in did not start"
control() { curl -s -X POST -H 'content-type: application/json' -d "$2" "$STANDIN/control/$1"; }
paid() { [ "$(state "$1")" = success ]; }
D5=$(file)
intent "$CIT" "k7-$RUNID" "$D5" >/dev/null
PAY7=$(field id)
expect_eq "the stand-in accepts cong's payment URL" 200 "$(curl -s -o /dev/null -w '%{http_code}' "$(field redirect_url)")"
RETURN=$(control pay "{\"txn_ref\":\"$(txn_of "$PAY7")\",\"choice\":\"pay\"}" | json return_url)
wait_until 20 paid "$PAY7" || bad "the stand-in's IPN did not settle the payment: $(state "$PAY7")"
expect_eq "...the dossier submitted" submitted "$(status_of "$D5")"
expect_match "the stand-in's return URL comes back to cong" "^http://127.0.0.1:$RETURN_PORT/v1/payments/vnpay/return\?" \
  "$RETURN"
expect_match "...whose page shows success" 'data-state="success"' \
  "$(h2c "$(url "/v1/payments/vnpay/return?${RETURN#*\?}")")"

# the payer's browser: the stand-in's page in headless Chromium, its button pressed, back to cong's return page
if ! command -v chromium >/dev/null 2>&1; then
  echo "SKIP: chromium is not installed; the payment page is not driven in a browser (scripts/deps.sh installs it)"
else
  D6=$(file)
  intent "$CIT" "k8-$RUNID" "$D6" >/dev/null
  PAY8=$(field id)
  CDP_PORT=$(free_port)
  timeout 60 chromium --headless --no-sandbox --disable-gpu --user-data-dir="$GW_DIR/chromium" \
    --remote-debugging-port="$CDP_PORT" "$(field redirect_url)" 2>"$GW_DIR/chromium.log" &
  CHROMIUM_PID=$!
  EXTRA_PIDS+=($CHROMIUM_PID)
  cdp() { python3 "$SRC/tests/integration/cdp.py" "$CDP_PORT" "$@"; }
  expect_eq "the payment page shows the fee" true \
    "$(cdp "!!document.body && /50[.,]000/.test(document.body.innerText)")"
  cdp "document.querySelector('button[value=pay]').click() || true" >/dev/null
  wait_until 20 paid "$PAY8" || bad "paid in the browser: $(state "$PAY8")"
  # the browser followed the redirect to cong's return page; read it (again, once the IPN has been applied)
  expect_eq "cong's return page in the browser: success" '"success"' \
    "$(cdp "location.pathname === '/v1/payments/vnpay/return' && (document.getElementById('state').dataset.state ===
           'success' ? 'success' : (location.reload(), ''))")"
  kill "$CHROMIUM_PID" 2>/dev/null
fi

# ---- querydr: no IPN came ----
control mode '{"ipn":"none"}' >/dev/null
D7=$(file)
intent "$CIT" "k9-$RUNID" "$D7" >/dev/null
PAY9=$(field id)                                   # paid at the provider, its IPN lost
curl -s -o /dev/null "$(field redirect_url)"
control pay "{\"txn_ref\":\"$(txn_of "$PAY9")\",\"choice\":\"pay\"}" >/dev/null
intent "$CIT" "k10-$RUNID" "$D7" >/dev/null
PAY10=$(field id)                                  # the page opened, nothing chosen
curl -s -o /dev/null "$(field redirect_url)"
intent "$CIT" "k11-$RUNID" "$D7" >/dev/null
PAY11=$(field id)                                  # never reached the provider
intent "$CIT" "k12-$RUNID" "$D7" >/dev/null
PAY12=$(field id)                                  # still open: never asked
expect_eq "no IPN: the payment stays open" created "$(state "$PAY9")"
psql_cong "UPDATE payments SET expires_at = now() - interval '1 second'
           WHERE id IN ('$PAY9', '$PAY10', '$PAY11')" >/dev/null
settled() { [ -n "$(psql_cong "SELECT 1 FROM payments WHERE id IN ('$PAY9', '$PAY10', '$PAY11') HAVING
                              bool_and(finished_at IS NOT NULL)")" ]; }
wait_until 30 settled || bad "querydr did not settle the expired payments"
expect_eq "querydr: paid → success, the dossier submitted" "success|querydr|submitted" \
  "$(psql_cong "SELECT state || '|' || settled_by FROM payments WHERE id = '$PAY9'")|$(status_of "$D7")"
expect_eq "...never chosen (01) and unknown (91) past expiry → expired" "expired|expired" \
  "$(state "$PAY10")|$(state "$PAY11")"
expect_eq "...an open intent is not asked" "created|0" \
  "$(psql_cong "SELECT state || '|' || query_attempts FROM payments WHERE id = '$PAY12'")"
control mode '{"api":"fail"}' >/dev/null           # the provider's API answers its own error (99)
psql_cong "UPDATE payments SET expires_at = now() - interval '1 second' WHERE id = '$PAY12'" >/dev/null
asked() { [ "$(psql_cong "SELECT query_attempts > 0 FROM payments WHERE id = '$PAY12'")" = t ]; }
wait_until 30 asked || bad "querydr did not ask about the open payment once expired"
expect_eq "the provider's error: asked again later (back-off), still open" "created|true" \
  "$(psql_cong "SELECT state || '|' || (next_query_at > now() + interval '10 seconds') FROM payments
                WHERE id = '$PAY12'")"
control mode '{"api":"normal"}' >/dev/null
call "$CIT" GET "/v1/payments/$PAY9" >/dev/null
RECEIPT9=$(body | python3 -c 'import json,sys; print(json.load(sys.stdin)["receipt"]["signature"])')
expect_eq "the receipt signed on the job thread verifies" True \
  "$(call "" POST /v1/receipts/verify -H 'content-type: application/json' -d "{\"signature\":\"$RECEIPT9\"}" >/dev/null
     field valid)"

stop_gateway

# ---- no provider configured: 503 ----
GW_NAME=unconfigured start_gateway || { finish; exit 1; }
wait_stores_up || { finish; exit 1; }
D8=$(file)
expect_eq "VNPay not configured: 503 provider-unavailable" "503 provider-unavailable" \
  "$(intent "$CIT" "k13-$RUNID" "$D8") $(problem)"
expect_match "...with Retry-After" '^[0-9]+$' "$(header retry-after)"
finish

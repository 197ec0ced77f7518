#!/usr/bin/env bash
# Dossiers of organizations (issue 18; modules/procedures/applicant.c, modules/payments): a business's API client
# (client credentials: sub "org:<id>", client_id, no level) files a dossier of an organization procedure, pays its fee
# through the stand-in VNPay (its IPN settles it), reads the dossier, the payment with its receipt (verified) and its
# wallet, and after the unit issues the result downloads it; the catalog carries `applicants` (GET /v1/procedures, one
# procedure, the generator's marks). Refused: an organization on a citizen-only procedure and a citizen on an
# organization-only one (403 applicant-not-allowed, nothing written), a plain API client on every applicant's route
# (403), another organization's client reading the first one's dossier, payment or result (404), a citizen at level 0
# (401 step-up, acr 1) and at level 1 on a level-2 procedure (401 step-up, acr 2). Someone acting for the organization
# under a mandate (sub "org:<id>", act = the employee, as token exchange issues it) files what the mandate covers, is
# held to the procedure's level, and is refused outside the mandate. Real gateway, Redis, PostgreSQL, HTTP/2 (h2c).
source "$(dirname "$0")/lib.sh"
vneid_start

RUNID=$(((RANDOM << 15 | RANDOM) % 100000000))
CODE_A=$(printf '05%08d' "$RUNID") CODE_B=$(printf '06%08d' "$RUNID")
UNIT=HN-W-001
P_ORG="TOR-$RUNID"  # organizations only; 50,000 VND at submission; a person needs level 2
P_CIT="TCI-$RUNID"  # citizens only, level 1
P_CIT2="TCL-$RUNID" # citizens only, level 2
P_BOTH="TBO-$RUNID" # both, level 1
OFFICIAL="orgd-official-$RUNID"
EMPLOYEE="orgd-employee-$RUNID"
REP=$(head -c 32 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n') # the legal representative: a citizen's subject
TMN=CONGTEST
SECRET=$(head -c 24 /dev/urandom | base64 | tr -d '/+=\n')
printf '%s\n' "$SECRET" >"$GW_DIR/vnpay-secret"
read -r STANDIN_PORT RETURN_PORT <<<"$(free_ports 2)"

psql_cong "INSERT INTO procedures (code, name_vi, name_en, domain, level, fee_vnd, fee_stage, processing_days, min_loa,
             online_level, accepts_electronic_copies, applicants)
           VALUES ('$P_ORG', 'Thủ tục thử của doanh nghiệp', 'Business test', 'dang-ky-kinh-doanh', 'commune', 50000,
                   'submission', 5, 2, 'full', true, 'organization'),
                  ('$P_CIT', 'Thủ tục thử của công dân', 'Citizen test', 'ho-tich', 'commune', 0, 'submission', 5, 1,
                   'full', true, 'citizen'),
                  ('$P_CIT2', 'Thủ tục thử mức 2', 'Level-2 test', 'ho-tich', 'commune', 0, 'submission', 5, 2,
                   'full', true, 'citizen'),
                  ('$P_BOTH', 'Thủ tục thử chung', 'Shared test', 'xay-dung', 'commune', 0, 'submission', 5, 1,
                   'full', true, 'both');
           INSERT INTO procedure_units VALUES ('$P_ORG', '$UNIT'), ('$P_CIT', '$UNIT'), ('$P_CIT2', '$UNIT'),
                                              ('$P_BOTH', '$UNIT');
           INSERT INTO user_roles (subject, role, resource) VALUES ('$OFFICIAL', 'official', '$UNIT')" >/dev/null

start_gateway "${IDENTITY_ENV[@]}" CONG_AUTH_ACCESS_TOKEN_TTL_S=600 CONG_RATE_LIMITS_DEFAULT_BURST=1000 \
  CONG_RATE_LIMITS_DEFAULT_PER_MINUTE=100000 CONG_MODULES_PROCEDURES_CATALOG_REFRESH_MS=250 \
  CONG_MODULES_PAYMENTS_VNPAY_TMN_CODE=$TMN CONG_MODULES_PAYMENTS_VNPAY_SECRET_FILE="$GW_DIR/vnpay-secret" \
  CONG_MODULES_PAYMENTS_VNPAY_PAY_URL="http://127.0.0.1:$STANDIN_PORT/paymentv2/vpcpay.html" \
  CONG_MODULES_PAYMENTS_VNPAY_API_URL="http://127.0.0.1:$STANDIN_PORT/merchant_webapi/api/transaction" \
  CONG_MODULES_PAYMENTS_RETURN_URL="http://127.0.0.1:$RETURN_PORT/v1/payments/vnpay/return" \
  CONG_MODULES_PAYMENTS_IPN_ALLOW="127.0.0.1" CONG_MODULES_PAYMENTS_INTENT_TTL_S=900 \
  CONG_MODULES_PAYMENTS_QUERYDR_INTERVAL_MS=60000 CONG_MODULES_PAYMENTS_API_TIMEOUT_MS=5000 || { finish; exit 1; }
wait_stores_up || { finish; exit 1; }
"$BUILD/payment-standin" --port "$STANDIN_PORT" --tmn-code $TMN --secret-file "$GW_DIR/vnpay-secret" \
  --ipn-url "$(url /v1/payments/vnpay/ipn)" --ipn-retry-ms 200 2>"$GW_DIR/standin.log" &
EXTRA_PIDS+=($!)
STANDIN="http://127.0.0.1:$STANDIN_PORT"
wait_until 20 curl -sf -o /dev/null "$STANDIN/healthz" || bad "the stand-in VNPay did not start"
control() { curl -s -X POST -H 'content-type: application/json' -d "$2" "$STANDIN/control/$1"; }

cong_cmd() { # ARGS... — a cong command against the test stores; stdout in $GW_DIR/out
  env CONG_POSTGRES_CONNINFO="host=127.0.0.1 port=$PG_PORT dbname=cong user=cong" CONG_REDIS_PORT="$REDIS_PORT" \
    CONG_AUTH_SUBJECT_SECRET_FILE="$GW_DIR/subject-secret" ASAN_OPTIONS=detect_leaks=0 \
    "$BUILD/cong" "$@" >"$GW_DIR/out" 2>"$GW_DIR/err"
  echo $?
}
out() { cat "$GW_DIR/out"; }
problem() { field type | sed 's#.*/##'; }
fields() { body | python3 -S -c 'import json,sys; d=json.load(sys.stdin); print("|".join(str(d.get(k)) for k in sys.argv[1:]))' "$@"; }
submit() { # TOKEN KEY PROCEDURE → status; the answer in $GW_DIR/body
  call "$1" POST /v1/dossiers -H 'content-type: application/json' -H "idempotency-key: $2" \
    -d "{\"procedure_code\":\"$3\",\"unit_code\":\"$UNIT\",\"form\":{}}"
}
intent() { # TOKEN KEY DOSSIER → status
  call "$1" POST /v1/payments -H 'content-type: application/json' -H "idempotency-key: $2" \
    -d "{\"dossier_code\":\"$3\",\"provider\":\"vnpay\"}"
}
dossiers_of() { psql_cong "SELECT count(*) FROM dossiers WHERE subject = '$1' AND procedure_code = '$2'"; }

# ---- two organizations, each with a client; a plain client ----
expect_eq "org create A" 0 "$(cong_cmd org create --code "$CODE_A" --name "Công ty CP Thử A" --representative-subject "$REP")"
ORG_A=$(out | sed -n 's/^organization: //p')
expect_eq "org create B" 0 "$(cong_cmd org create --code "$CODE_B" --name "Công ty CP Thử B" --representative-subject "$REP")"
ORG_B=$(out | sed -n 's/^organization: //p')
new_client() { # NAME [create options] → "client_id secret"
  cong_cmd client create "$@" >/dev/null
  echo "$(out | sed -n 's/^client_id: //p') $(out | sed -n 's/^client_secret: //p')"
}
client_token() { # CLIENT SECRET → an access token
  h2c -d "grant_type=client_credentials&client_id=$1&client_secret=$2" "$(url /v1/auth/token)" | json access_token
}
read -r CID_A SECRET_A <<<"$(new_client "ERP A" --scopes ping --org "$CODE_A")"
read -r CID_B SECRET_B <<<"$(new_client "ERP B" --scopes ping --org "$CODE_B")"
read -r CID_P SECRET_P <<<"$(new_client "Đối tác" --scopes ping)"
A=$(client_token "$CID_A" "$SECRET_A") B=$(client_token "$CID_B" "$SECRET_B") P=$(client_token "$CID_P" "$SECRET_P")
expect_eq "A's client acts for A, level 0" "org:$ORG_A|$CID_A|0" \
  "$(h2c -H "authorization: Bearer $A" "$(url /v1/ping)" | python3 -S -c 'import json,sys; p=json.load(sys.stdin)["principal"]; print(p["subject"], p.get("client_id"), p.get("loa", 0), sep="|")')"
CIT0=$(token --sub "orgd-cit-$RUNID") CIT1=$(token --sub "orgd-cit-$RUNID" --acr 1)
CIT2=$(token --sub "orgd-cit-$RUNID" --acr 2 --auth-time-offset 0)

# ---- the catalog says who may apply ----
loaded() { call "" GET "/v1/procedures?q=$P_ORG" >/dev/null && [ "$(body | python3 -S -c 'import json,sys; print(len(json.load(sys.stdin)["items"]))')" -gt 0 ]; }
wait_until 20 loaded || bad "the test procedures never showed in the catalog"
expect_eq "search: each item names its applicants" "$P_ORG organization" \
  "$(body | python3 -S -c 'import json,sys; i=json.load(sys.stdin)["items"][0]; print(i["code"], i["applicants"])')"
expect_eq "one procedure: its applicants" "200 both" "$(call "" GET "/v1/procedures/$P_BOTH") $(field applicants)"
expect_eq "the generator: enterprise dissolution an organization's, a construction permit both (for organisations: an
  organization's), birth registration a citizen's" "organization|both|organization|citizen" \
  "$(psql_cong "SELECT string_agg(applicants, '|' ORDER BY o) FROM (VALUES ('Giải thể doanh nghiệp', 1),
    ('Cấp giấy phép xây dựng cấp lần đầu', 2), ('Cấp giấy phép xây dựng cấp lần đầu đối với tổ chức', 3),
    ('Đăng ký khai sinh', 4)) v(n, o) JOIN procedures p ON p.name_vi = v.n")"

# ---- an organization files, pays, reads ----
expect_eq "A files an organization procedure with its client: 201" 201 "$(submit "$A" "a1-$RUNID" "$P_ORG")"
D=$(field code)
expect_eq "...waiting for its fee" "awaiting_payment|50000" "$(fields status fee_vnd)"
expect_eq "...the organization's dossier, filed by it" "org:$ORG_A|org:$ORG_A|" \
  "$(psql_cong "SELECT subject || '|' || submitted_by || '|' || coalesce(mandate_id::text, '') FROM dossiers WHERE code = '$D'")"
expect_eq "the same key again: the first answer" "201 $D true" \
  "$(submit "$A" "a1-$RUNID" "$P_ORG") $(field code) $(header idempotent-replayed)"
expect_eq "A reads it" "200 $D" "$(call "$A" GET "/v1/dossiers/$D") $(field code)"
expect_eq "A lists it" "200 $D" "$(call "$A" GET "/v1/dossiers?status=awaiting_payment") $(body | python3 -S -c 'import json,sys; print(" ".join(i["code"] for i in json.load(sys.stdin)["items"]))')"
expect_eq "another organization's client: 404" "404 not-found" "$(call "$B" GET "/v1/dossiers/$D") $(problem)"
expect_eq "...nor in its list" 0 "$(call "$B" GET /v1/dossiers >/dev/null; field total)"
expect_eq "...nor can it pay it: 404" 404 "$(intent "$B" "b1-$RUNID" "$D")"
expect_eq "A pays: an intent" 201 "$(intent "$A" "p1-$RUNID" "$D")"
PAY=$(field id)
expect_match "...to the stand-in's page" "^$STANDIN/paymentv2/vpcpay.html\?" "$(field redirect_url)"
expect_eq "the stand-in takes cong's URL" 200 "$(curl -s -o /dev/null -w '%{http_code}' "$(field redirect_url)")"
TXN=$(psql_cong "SELECT txn_ref FROM payments WHERE id = '$PAY'")
control pay "{\"txn_ref\":\"$TXN\",\"choice\":\"pay\"}" >/dev/null
paid() { [ "$(psql_cong "SELECT state FROM payments WHERE id = '$PAY'")" = success ]; }
wait_until 20 paid || bad "the stand-in's IPN did not settle the payment"
expect_eq "...paid by the organization: the dossier is submitted" "submitted" \
  "$(psql_cong "SELECT status FROM dossiers WHERE code = '$D'")"
expect_eq "A reads the payment, with its receipt" "200 success|50000" "$(call "$A" GET "/v1/payments/$PAY") $(fields state amount_vnd)"
RECEIPT_DOC=$(body | python3 -S -c 'import json,sys; print(json.load(sys.stdin)["receipt"]["wallet_document_id"])')
RECEIPT_SIG=$(body | python3 -S -c 'import json,sys; print(json.load(sys.stdin)["receipt"]["signature"])')
expect_eq "another organization's client cannot read the payment: 404" 404 "$(call "$B" GET "/v1/payments/$PAY")"
expect_eq "A reads its refunds (none): all of it refundable" "200 50000" \
  "$(call "$A" GET "/v1/payments/$PAY/refunds") $(field refund_amount_available)"
expect_eq "...B cannot: 404" 404 "$(call "$B" GET "/v1/payments/$PAY/refunds")"
expect_eq "the receipt verifies" "200 True" \
  "$(call "" POST /v1/receipts/verify -H 'content-type: application/json' -d "{\"signature\":\"$RECEIPT_SIG\"}") $(field valid)"
wallet() { # TOKEN → "kind:dossier" of its wallet's documents
  call "$1" GET /v1/me/documents >/dev/null
  body | python3 -S -c 'import json,sys; print(" ".join(sorted(d["kind"]+":"+(d["dossier_code"] or "") for d in json.load(sys.stdin)["documents"])))'
}
expect_eq "the receipt is in the organization's wallet" "receipt:$D" "$(wallet "$A")"
expect_eq "...owned by the organization" "org:$ORG_A" "$(psql_cong "SELECT owner FROM wallet_documents WHERE id = '$RECEIPT_DOC'")"
expect_eq "B's wallet is empty" "" "$(wallet "$B")"

# ---- the unit issues the result: the organization's wallet holds it ----
OFF=$(token --sub "$OFFICIAL" --acr 2 --auth-time-offset 0)
act() { call "$OFF" POST "/v1/desk/dossiers/$D/actions" -H 'content-type: application/json' -d "$1"; }
expect_eq "the unit receives, processes, approves" "200 200 200" \
  "$(act '{"action":"receive"}') $(act '{"action":"process"}') $(act '{"action":"approve"}')"
printf '%%PDF-1.4\n%% kết quả %s\n%%%%EOF\n' "$D" >"$GW_DIR/ket-qua.pdf"
expect_eq "the official uploads the result" 201 "$(call "$OFF" POST /v1/uploads --data-binary @"$GW_DIR/ket-qua.pdf")"
expect_eq "...and issues it" 200 "$(act "{\"action\":\"issue_result\",\"result_document\":\"$(field id)\"}")"
expect_eq "A downloads the result" "200 $(sha256sum "$GW_DIR/ket-qua.pdf" | cut -d' ' -f1)" \
  "$(call "$A" GET "/v1/dossiers/$D/result") $(header result-sha256)"
expect_eq "the organization's wallet: the receipt and the result" "receipt:$D result:$D" "$(wallet "$A")"
expect_eq "another organization's client: no result (404)" 404 "$(call "$B" GET "/v1/dossiers/$D/result")"

# ---- the organization rates its finished dossier (modules/feedback: feedback_rater_allowed) ----
rate() { # TOKEN KEY DOSSIER → status
  call "$1" POST /v1/feedback -H 'content-type: application/json' -H "idempotency-key: $2" \
    -d "{\"dossier_code\":\"$3\",\"stars\":4,\"tags\":[]}"
}
expect_eq "another organization cannot rate it (404)" 404 "$(rate "$B" "rb-$RUNID" "$D")"
expect_eq "A rates its dossier: 201" 201 "$(rate "$A" "ra-$RUNID" "$D")"
expect_eq "...given by the organization" "org:$ORG_A|4" "$(psql_cong "SELECT given_by || '|' || stars FROM feedback WHERE dossier_code = '$D'")"
expect_eq "...and listed as its own" "200 1" "$(call "$A" GET /v1/me/feedback) $(body | python3 -S -c 'import json,sys; print(len(json.load(sys.stdin)["items"]))')"

# ---- who may apply for what ----
expect_eq "an organization on a citizen-only procedure: 403" "403 applicant-not-allowed $P_CIT citizen" \
  "$(submit "$A" "a2-$RUNID" "$P_CIT") $(problem) $(fields procedure_code applicants | tr '|' ' ')"
expect_match "...said in Vietnamese" "chỉ dành cho công dân" "$(field detail)"
expect_match "...and in English" "citizens only" \
  "$(call "$A" POST /v1/dossiers -H 'accept-language: en' -H 'content-type: application/json' \
      -H "idempotency-key: a3-$RUNID" -d "{\"procedure_code\":\"$P_CIT\",\"unit_code\":\"$UNIT\",\"form\":{}}" >/dev/null
     field detail)"
expect_eq "...nothing filed" 0 "$(dossiers_of "org:$ORG_A" "$P_CIT")"
expect_eq "a citizen on an organization-only procedure: 403 (before any step-up)" \
  "403 applicant-not-allowed organization" "$(submit "$CIT1" "c1-$RUNID" "$P_ORG") $(problem) $(field applicants)"
expect_eq "...at level 2 too" "403 applicant-not-allowed" "$(submit "$CIT2" "c2-$RUNID" "$P_ORG") $(problem)"
expect_eq "...nothing filed" 0 "$(dossiers_of "orgd-cit-$RUNID" "$P_ORG")"
expect_eq "a procedure open to both: the organization files" 201 "$(submit "$A" "a4-$RUNID" "$P_BOTH")"
D_BOTH=$(field code)
expect_eq "...and the citizen" 201 "$(submit "$CIT1" "c3-$RUNID" "$P_BOTH")"
expect_eq "a citizen at level 1 on a citizen procedure" 201 "$(submit "$CIT1" "c4-$RUNID" "$P_CIT")"
expect_eq "a citizen at level 1 on a level-2 procedure: step-up" "401 step-up-required" \
  "$(submit "$CIT1" "c5-$RUNID" "$P_CIT2") $(problem)"
expect_match "...RFC 9470 challenge for level 2" 'error="insufficient_user_authentication", acr_values="2"' \
  "$(header www-authenticate)"
expect_eq "...at level 2" 201 "$(submit "$CIT2" "c6-$RUNID" "$P_CIT2")"
expect_eq "a citizen's token without a level: step-up to 1" "401 step-up-required" \
  "$(call "$CIT0" GET /v1/dossiers) $(problem)"
expect_match "...acr_values 1" 'acr_values="1"' "$(header www-authenticate)"
expect_eq "...paying too" 401 "$(intent "$CIT0" "c7-$RUNID" "$D")"
expect_eq "the citizen does not see the organization's dossier" 404 "$(call "$CIT2" GET "/v1/dossiers/$D")"

# ---- a plain API client (no organization) has no dossiers ----
for route in "GET /v1/dossiers" "GET /v1/dossiers/$D" "GET /v1/dossiers/$D/result" "GET /v1/me/documents" \
  "GET /v1/payments/$PAY" "GET /v1/payments/$PAY/refunds" "POST /v1/dossiers/$D/withdraw"; do
  expect_eq "plain client: $route → 403" "403 applicant-not-allowed" "$(call "$P" $route) $(problem)"
done
expect_eq "plain client: submit → 403" "403 applicant-not-allowed" "$(submit "$P" "p2-$RUNID" "$P_BOTH") $(problem)"
expect_eq "plain client: pay → 403" "403 applicant-not-allowed" "$(intent "$P" "p3-$RUNID" "$D") $(problem)"
expect_eq "plain client: rate → 403" "403 applicant-not-allowed" "$(rate "$P" "p4-$RUNID" "$D") $(problem)"
expect_eq "plain client: its feedback → 403" "403 applicant-not-allowed" "$(call "$P" GET /v1/me/feedback) $(problem)"
expect_eq "a citizen's token without a level: its feedback → step-up" "401 step-up-required" \
  "$(call "$CIT0" GET /v1/me/feedback) $(problem)"
printf '%%PDF-1.4\n%% giấy tờ %s\n%%%%EOF\n' "$RUNID" >"$GW_DIR/giay-to.pdf"
expect_eq "plain client: upload → 403" 403 "$(call "$P" POST /v1/uploads --data-binary @"$GW_DIR/giay-to.pdf")"
expect_eq "...nothing filed under its subject" 0 "$(psql_cong "SELECT count(*) FROM dossiers WHERE subject = '$CID_P'")"
expect_eq "an organization uploads: its own" "201 org:$ORG_A" \
  "$(call "$A" POST /v1/uploads --data-binary @"$GW_DIR/giay-to.pdf") $(psql_cong "SELECT owner FROM uploads WHERE id = '$(field id)'")"

# ---- someone acting for the organization under a mandate (token exchange's shape) ----
UNTIL=$(($(date +%s) + 86400))
M=$(psql_cong "INSERT INTO mandates (grantor, delegated_by, grantee, procedures, domains, actions, valid_from,
  valid_until, status) VALUES ('org:$ORG_A', '$REP', '$EMPLOYEE', '{$P_ORG}', '{}', '{view,submit}',
  now() - interval '1 hour', to_timestamp($UNTIL), 'active') RETURNING id")
employee() { # ACR → the employee's token acting for organization A
  token --sub "org:$ORG_A" --acr "$1" --auth-time-offset 0 --claims-json \
    "{\"act\":{\"sub\":\"$EMPLOYEE\"},\"mandate\":{\"id\":\"$M\",\"actions\":[\"view\",\"submit\"],\"procedures\":[\"$P_ORG\"],\"domains\":[],\"until\":$UNTIL}}"
}
E2=$(employee 2) E1=$(employee 1)
expect_eq "the employee (level 2) files for the organization" 201 "$(submit "$E2" "e1-$RUNID" "$P_ORG")"
D_E=$(field code)
expect_eq "...the organization's dossier, filed by the employee under the mandate" "org:$ORG_A|$EMPLOYEE|$M" \
  "$(psql_cong "SELECT subject || '|' || submitted_by || '|' || mandate_id FROM dossiers WHERE code = '$D_E'")"
expect_eq "...one use counted" 1 "$(psql_cong "SELECT uses FROM mandates WHERE id = '$M'")"
expect_eq "the employee at level 1: the procedure's level applies to people (step-up)" "401 step-up-required" \
  "$(submit "$E1" "e2-$RUNID" "$P_ORG") $(problem)"
expect_eq "outside the mandate: 403 mandate-does-not-cover" "403 mandate-does-not-cover" \
  "$(submit "$E2" "e3-$RUNID" "$P_BOTH") $(problem)"
expect_eq "...a dossier outside it is not shown (404)" 404 "$(call "$E2" GET "/v1/dossiers/$D_BOTH")"
expect_eq "...the list: only what the mandate covers" "2" "$(call "$E2" GET /v1/dossiers >/dev/null; field total)"
expect_eq "...a route the mandate's actions do not include (pay): 403" "403 mandate-does-not-cover" \
  "$(intent "$E2" "e4-$RUNID" "$D_E") $(problem)"

finish

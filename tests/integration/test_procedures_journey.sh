#!/usr/bin/env bash
# The procedures journey end to end, through a real HTTP/2 client against the real Redis and PostgreSQL: log in with
# the stand-in VNeID → search the catalog → upload → submit (Idempotency-Key: replay and conflict) → an official
# receives, processes, approves and issues a signed result → the citizen downloads and verifies it (a forged one
# fails) → the stand-in portal has every version exactly once. Also: another citizen's dossier is 404, an official
# outside the unit gets 404, invalid transitions 409, oversize and wrong-type uploads, step-up, withdrawal.
source "$(dirname "$0")/lib.sh"
CITIZEN=001099004711
OTHER_CITIZEN=001099004712
OFFICIAL=001088000101
OUTSIDER=001088000102
vneid_start
CONNINFO="host=127.0.0.1 port=$PG_PORT dbname=cong user=cong"
ENV=("${IDENTITY_ENV[@]}" CONG_RATE_LIMITS_DEFAULT_BURST=1000 CONG_MODULES_PROCEDURES_UPLOAD_MAX_BYTES=1048576)
start_gateway "${ENV[@]}" || exit 1

official() { env CONG_POSTGRES_CONNINFO="$CONNINFO" CONG_AUTH_SUBJECT_SECRET_FILE="$GW_DIR/subject-secret" "$BUILD/cong" official "$@"; }

CIT=$(vneid_login $CITIZEN 2)
OTHER=$(vneid_login $OTHER_CITIZEN 2)
CIT_LOW=$(vneid_login $CITIZEN 1)
OFF=$(vneid_login $OFFICIAL 2)
OUT=$(vneid_login $OUTSIDER 2)
expect_match "citizen logged in" '^ey' "$CIT"
expect_match "official logged in" '^ey' "$OFF"

# ---- the catalog ----
# Searched once the catalog is in memory: before that an answer comes from SQL, whose ETag hashes the bytes; from
# memory it hashes the catalog version and the parameters (catalog.c), so an ETag taken in the gateway's first second
# gets one 200 after the load, not a 304.
catalog_loaded() { grep -q "catalog: version [0-9]* in memory" "$GW_DIR/stderr"; }
wait_until 30 catalog_loaded || bad "the catalog was not loaded into memory"
expect_eq "search" 200 "$(call "" GET '/v1/procedures?q=dang%20ky%20khai%20sinh')"
expect_eq "the accent-free query finds Đăng ký khai sinh first" "Đăng ký khai sinh" \
  "$(body | python3 -S -c 'import json,sys; print(json.load(sys.stdin)["items"][0]["name_vi"])')"
CODE=$(body | python3 -S -c 'import json,sys; print(json.load(sys.stdin)["items"][0]["code"])')
ETAG=$(header etag)
expect_match "catalog answers carry an ETag" '^"[0-9a-f]{16}"$' "$ETAG"
expect_eq "If-None-Match → 304" 304 "$(call "" GET '/v1/procedures?q=dang%20ky%20khai%20sinh' -H "if-none-match: $ETAG")"
expect_eq "another page is another ETag" 1 \
  "$(call "" GET '/v1/procedures?q=dang%20ky%20khai%20sinh&page=2' >/dev/null; [ "$(header etag)" != "$ETAG" ] && echo 1)"
expect_eq "one procedure" 200 "$(call "" GET "/v1/procedures/$CODE")"
expect_eq "one procedure is cached in Redis under the catalog's version" 1 \
  "$(redis-cli -p "$REDIS_PORT" --scan --pattern 'cong:procedures:v2:[1-9]*' | head -1 | wc -l)"
body >"$GW_DIR/procedure.json"
UNIT=$(python3 -S -c 'import json,sys; print(json.load(open(sys.argv[1]))["units"][0]["code"])' "$GW_DIR/procedure.json")
expect_match "the procedure is handled by a unit" '^HN-' "$UNIT"
expect_eq "unknown procedure" 404 "$(call "" GET /v1/procedures/NO-SUCH-CODE)"
expect_eq "page_size over 100" 422 "$(call "" GET '/v1/procedures?page_size=500')"

# A valid form for the procedure's fields (values chosen to satisfy each declared type/pattern/enum).
FORM=$(valid_form "$GW_DIR/procedure.json")

# ---- uploads ----
printf '%%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%%%EOF\n' >"$GW_DIR/giay-to.pdf"
expect_eq "upload a PDF" 201 "$(call "$CIT" POST /v1/uploads -H 'content-type: application/pdf' --data-binary @"$GW_DIR/giay-to.pdf")"
UPLOAD=$(field id)
expect_eq "stored by its SHA-256" "$(sha256sum "$GW_DIR/giay-to.pdf" | cut -d' ' -f1)" "$(field sha256)"
expect_eq "sniffed as PDF" "application/pdf" "$(field media_type)"
SHA=$(field sha256)
expect_eq "the file is on disk under its hash" "$(sha256sum "$GW_DIR/giay-to.pdf" | cut -d' ' -f1)" \
  "$(sha256sum "$GW_DIR/data/${SHA:0:2}/$SHA" | cut -d' ' -f1)"
expect_eq "same bytes again: the same upload" "$UPLOAD" \
  "$(call "$CIT" POST /v1/uploads --data-binary @"$GW_DIR/giay-to.pdf" >/dev/null; field id)"
echo "#!/bin/sh" >"$GW_DIR/script.sh"
expect_eq "a shell script is refused, whatever its Content-Type" 415 \
  "$(call "$CIT" POST /v1/uploads -H 'content-type: application/pdf' --data-binary @"$GW_DIR/script.sh")"
# Just over the route's limit: cong answers 413 problem+json. Far over it (past the largest limit of any route +
# 64 KiB, where h2o stops reading): the HTTP/2 stream is refused (RST_STREAM) and nothing is stored.
head -c 1100000 /dev/zero >"$GW_DIR/big.bin"
expect_eq "over the upload limit" 413 "$(call "$CIT" POST /v1/uploads --data-binary @"$GW_DIR/big.bin")"
expect_match "payload-too-large" 'payload-too-large' "$(field type)"
head -c 3000000 /dev/zero >"$GW_DIR/huge.bin"
expect_eq "far over the limit: refused" 000 "$(call "$CIT" POST /v1/uploads --data-binary @"$GW_DIR/huge.bin")"
expect_eq "nothing stored for refused uploads" 1 "$(find "$GW_DIR/data" -type f | wc -l)"
expect_eq "uploads need a login" 401 "$(call "" POST /v1/uploads --data-binary @"$GW_DIR/giay-to.pdf")"

# ---- submission ----
SUBMIT=$(python3 -S -c 'import json,sys; print(json.dumps({"procedure_code":sys.argv[1],"unit_code":sys.argv[2],"form":json.loads(sys.argv[3]),"attachments":[{"name":"Giấy tờ","upload_id":sys.argv[4]}]}, ensure_ascii=False))' "$CODE" "$UNIT" "$FORM" "$UPLOAD")
KEY="journey-$(date +%s%N)"
expect_eq "submit without Idempotency-Key" 400 "$(call "$CIT" POST /v1/dossiers -H 'content-type: application/json' -d "$SUBMIT")"
expect_eq "submit" 201 "$(call "$CIT" POST /v1/dossiers -H 'content-type: application/json' -H "idempotency-key: $KEY" -d "$SUBMIT")"
DOSSIER=$(field code)
expect_match "dossier code" '^HN-20[0-9]{2}-[0-9]{7}$' "$DOSSIER"
expect_eq "status submitted" submitted "$(field status)"
expect_match "due date" '^20[0-9]{2}-[0-9]{2}-[0-9]{2}$' "$(field due_date)"
expect_eq "Location" "/v1/dossiers/$DOSSIER" "$(header location)"
expect_eq "durable before the 201" "submitted" "$(psql_cong "SELECT status FROM dossiers WHERE code = '$DOSSIER'")"
expect_eq "replay: same answer" "201 $DOSSIER true" \
  "$(call "$CIT" POST /v1/dossiers -H 'content-type: application/json' -H "idempotency-key: $KEY" -d "$SUBMIT") $(field code) $(header idempotent-replayed)"
expect_eq "replay filed nothing twice" 1 "$(psql_cong "SELECT count(*) FROM idempotency_keys WHERE key = '$KEY'")"
OTHER_BODY=$(echo "$SUBMIT" | python3 -S -c 'import json,sys; d=json.load(sys.stdin); d["attachments"]=[]; print(json.dumps(d))')
expect_eq "same key, other body" 422 "$(call "$CIT" POST /v1/dossiers -H 'content-type: application/json' -H "idempotency-key: $KEY" -d "$OTHER_BODY")"
expect_match "idempotency-key-reused" 'idempotency-key-reused' "$(field type)"
BAD_FORM=$(echo "$SUBMIT" | python3 -S -c 'import json,sys; d=json.load(sys.stdin); d["form"]={"no_such_field":1}; print(json.dumps(d))')
expect_eq "invalid form" 422 "$(call "$CIT" POST /v1/dossiers -H 'content-type: application/json' -H "idempotency-key: bad-$KEY" -d "$BAD_FORM")"
expect_match "each invalid field is listed" '"field":"no_such_field","code":"unknown-field"' "$(body)"
FOREIGN=$(echo "$SUBMIT" | python3 -S -c 'import json,sys; d=json.load(sys.stdin); d["attachments"]=[{"name":"x","upload_id":"00000000-0000-4000-8000-000000000000"}]; print(json.dumps(d))')
expect_eq "an attachment that is not mine" 422 "$(call "$CIT" POST /v1/dossiers -H 'content-type: application/json' -H "idempotency-key: foreign-$KEY" -d "$FOREIGN")"

# step-up: a procedure that needs level 2, with a level-1 token
LOA2=$(psql_cong "SELECT p.code || ' ' || min(pu.unit_code) FROM procedures p JOIN procedure_units pu ON pu.procedure_code = p.code WHERE p.min_loa = 2 AND p.applicants <> 'organization' GROUP BY p.code ORDER BY p.code LIMIT 1")
STEP=$(python3 -S -c 'import json,sys; print(json.dumps({"procedure_code":sys.argv[1],"unit_code":sys.argv[2],"form":{}}))' ${LOA2})
expect_eq "level 1 on a level-2 procedure" 401 "$(call "$CIT_LOW" POST /v1/dossiers -H 'content-type: application/json' -H "idempotency-key: step-$KEY" -d "$STEP")"
expect_match "step-up-required" 'step-up-required' "$(field type)"
expect_match "RFC 9470 challenge" 'insufficient_user_authentication' "$(header www-authenticate)"

# ---- the citizen's view ----
expect_eq "my dossier" 200 "$(call "$CIT" GET "/v1/dossiers/$DOSSIER")"
expect_eq "timeline starts with the submission" submit "$(body | python3 -S -c 'import json,sys; print(json.load(sys.stdin)["timeline"][0]["action"])')"
expect_eq "another citizen's dossier is 404, not 403" 404 "$(call "$OTHER" GET "/v1/dossiers/$DOSSIER")"
expect_eq "another citizen cannot withdraw it" 404 "$(call "$OTHER" POST "/v1/dossiers/$DOSSIER/withdraw")"
expect_eq "my list" "$DOSSIER" "$(call "$CIT" GET /v1/dossiers >/dev/null; body | python3 -S -c 'import json,sys; print(json.load(sys.stdin)["items"][0]["code"])')"

# ---- the officials' desk ----
echo "$OFFICIAL" | official add --unit "$UNIT" --citizen-file - >/dev/null
OTHER_UNIT=$(psql_cong "SELECT code FROM units WHERE code <> '$UNIT' ORDER BY code LIMIT 1")
echo "$OUTSIDER" | official add --unit "$OTHER_UNIT" --citizen-file - >/dev/null
expect_eq "a citizen is not an official" 403 "$(call "$CIT" GET /v1/desk/dossiers)"
expect_eq "desk list" 200 "$(call "$OFF" GET "/v1/desk/dossiers?unit=$UNIT&status=submitted&page_size=100")"
expect_match "the dossier is on the desk" "\"$DOSSIER\"" "$(body)"
expect_eq "a unit I do not serve" 403 "$(call "$OFF" GET "/v1/desk/dossiers?unit=$OTHER_UNIT")"
act() { call "$1" POST "/v1/desk/dossiers/$DOSSIER/actions" -H 'content-type: application/json' -d "$2"; }
expect_eq "an official of another unit: 404" 404 "$(act "$OUT" '{"action":"receive"}')"
expect_eq "receive" 200 "$(act "$OFF" '{"action":"receive","note":"Đã nhận hồ sơ"}')"
expect_eq "the citizen can no longer withdraw" 409 "$(call "$CIT" POST "/v1/dossiers/$DOSSIER/withdraw")"
expect_match "invalid-transition" 'invalid-transition' "$(field type)"
expect_eq "approve before processing: 409" 409 "$(act "$OFF" '{"action":"approve"}')"
expect_eq "process" 200 "$(act "$OFF" '{"action":"process"}')"
expect_eq "request a supplement" 200 "$(act "$OFF" '{"action":"request_supplement","note":"Bổ sung bản sao giấy chứng sinh"}')"
expect_eq "the citizen supplements" 200 "$(call "$CIT" POST "/v1/dossiers/$DOSSIER/supplement" -H 'content-type: application/json' -d '{"note":"Đã bổ sung"}')"
expect_eq "process again" 200 "$(act "$OFF" '{"action":"process"}')"
expect_eq "approve" 200 "$(act "$OFF" '{"action":"approve"}')"
expect_eq "unknown action" 422 "$(act "$OFF" '{"action":"teleport"}')"
printf '%%PDF-1.4\n%% Giấy khai sinh điện tử %s\n%%%%EOF\n' "$DOSSIER" >"$GW_DIR/ket-qua.pdf"
expect_eq "the official uploads the result" 201 "$(call "$OFF" POST /v1/uploads --data-binary @"$GW_DIR/ket-qua.pdf")"
RESULT_UPLOAD=$(field id)
expect_eq "issue_result without a document" 422 "$(act "$OFF" '{"action":"issue_result"}')"
expect_eq "issue the result" 200 "$(act "$OFF" "{\"action\":\"issue_result\",\"result_document\":\"$RESULT_UPLOAD\"}")"
expect_eq "status result_issued" result_issued "$(field status)"

# ---- the citizen gets and verifies the result ----
expect_eq "download the result" 200 "$(call "$CIT" GET "/v1/dossiers/$DOSSIER/result")"
expect_eq "the same bytes" "$(sha256sum "$GW_DIR/ket-qua.pdf" | cut -d' ' -f1)" "$(sha256sum "$GW_DIR/body" | cut -d' ' -f1)"
RSHA=$(header result-sha256)
RSIG=$(header result-signature)
expect_eq "Result-SHA256" "$(sha256sum "$GW_DIR/ket-qua.pdf" | cut -d' ' -f1)" "$RSHA"
expect_eq "another citizen cannot download it" 404 "$(call "$OTHER" GET "/v1/dossiers/$DOSSIER/result")"
verify() { call "" POST /v1/results/verify -H 'content-type: application/json' -d "{\"signature\":\"$1\",\"sha256\":\"$2\"}" >/dev/null; field valid; }
expect_eq "verify the result, no login" True "$(verify "$RSIG" "$RSHA")"
FORGED=$(python3 -c 'import sys,base64,json
h,p,s=sys.argv[1].split(".")
d=json.loads(base64.urlsafe_b64decode(p+"=="*2)); d["dossier"]="HN-2026-9999999"
print(h+"."+base64.urlsafe_b64encode(json.dumps(d,separators=(",",":")).encode()).decode().rstrip("=")+"."+s)' "$RSIG")
expect_eq "a forged result fails" False "$(verify "$FORGED" "$RSHA")"
expect_eq "reason bad-signature" bad-signature "$(field reason)"
expect_eq "another file fails" False "$(verify "$RSIG" "$(printf '%064d' 0)")"
expect_eq "reason hash-mismatch" hash-mismatch "$(field reason)"
expect_eq "the result is in the wallet" "$DOSSIER" \
  "$(call "$CIT" GET /v1/me/documents >/dev/null; body | python3 -S -c 'import json,sys; print(json.load(sys.stdin)["documents"][0]["dossier_code"])')"
expect_eq "complete" 200 "$(act "$OFF" '{"action":"complete"}')"
expect_eq "nothing after completed" 409 "$(act "$OFF" '{"action":"process"}')"
VERSIONS=$(psql_cong "SELECT version FROM dossiers WHERE code = '$DOSSIER'")
expect_eq "every transition wrote one outbox row" "$VERSIONS" "$(psql_cong "SELECT count(*) FROM portal_outbox WHERE dossier_code = '$DOSSIER'")"

# ---- withdrawal ----
expect_eq "a second dossier" 201 "$(call "$CIT" POST /v1/dossiers -H 'content-type: application/json' -H "idempotency-key: second-$KEY" -d "$SUBMIT")"
SECOND=$(field code)
expect_eq "withdraw before it is received" 200 "$(call "$CIT" POST "/v1/dossiers/$SECOND/withdraw")"
expect_eq "withdrawn" withdrawn "$(field status)"
expect_eq "withdraw twice" 409 "$(call "$CIT" POST "/v1/dossiers/$SECOND/withdraw")"

# ---- admin: the sync status needs the admin scope ----
expect_eq "sync status without the admin scope" 403 "$(call "$CIT" GET /v1/admin/sync)"
ADMIN=$(token --sub admin-journey --scope admin --acr 2)
expect_eq "sync status" 200 "$(call "$ADMIN" GET /v1/admin/sync)"
expect_match "pending counted" '"pending":[0-9]+' "$(body)"

# ---- the national portal: every version exactly once ----
PORTAL_PORT=$(free_port)
PORTAL=http://127.0.0.1:$PORTAL_PORT
head -c 24 /dev/urandom | base64 | tr -d '/+=' >"$GW_DIR/portal-token"
"$BUILD/portal-standin" --port "$PORTAL_PORT" --token-file "$GW_DIR/portal-token" --state-file "$GW_DIR/portal.state" \
  2>"$GW_DIR/portal.log" &
EXTRA_PIDS+=($!)
for _ in $(seq 1 50); do curl -s -o /dev/null "$PORTAL/healthz" && break; sleep 0.1; done
sync_once() {
  CONG_SERVER_ENVIRONMENT=development timeout 60 "$BUILD/cong-portal-sync" --pg "$CONNINFO" --portal-url "$PORTAL" --portal-token-file "$GW_DIR/portal-token" \
    --once 2>>"$GW_DIR/sync.log"
}
received() { # CODE → "versions (space-separated, arrival order) | duplicates"
  curl -s -m 5 "$PORTAL/api/v1/received/$1" | python3 -S -c '
import json, sys
d = json.load(sys.stdin)
print(" ".join(str(r["version"]) for r in d["records"]), "|", d["duplicates"])'
}
for _ in $(seq 1 5); do # --once takes one batch per dossier version; a few passes drain one dossier's history
  sync_once
  [ "$(psql_cong "SELECT count(*) FROM portal_outbox WHERE dossier_code = '$DOSSIER' AND acked_at IS NULL")" = 0 ] && break
done
expect_eq "the portal has every version of the dossier, once, in order" "$(seq -s ' ' 1 "$VERSIONS") | 0" "$(received "$DOSSIER")"
expect_eq "every version acknowledged" 0 "$(psql_cong "SELECT count(*) FROM portal_outbox WHERE dossier_code = '$DOSSIER' AND acked_at IS NULL")"
sync_once
expect_eq "a second relay pass applies nothing twice" "$(seq -s ' ' 1 "$VERSIONS") | 0" "$(received "$DOSSIER")"
# ---- the citizen's push events: push_outbox → Redis streams (push/relay) ----
timeout 60 "$BUILD/cong-push-relay" --pg "$CONNINFO" --redis-port "$REDIS_PORT" --once 2>>"$GW_DIR/sync.log"
expect_eq "the push relay drains the outbox" 0 "$?"
expect_match "the citizen's push events left through the outbox" '^[1-9]' \
  "$(redis-cli -p "$REDIS_PORT" XLEN cong:events:dossier.status)"
echo "$OFFICIAL" | official remove --unit "$UNIT" --citizen-file - >/dev/null
expect_eq "a removed official loses the desk at once" 403 "$(call "$OFF" GET /v1/desk/dossiers)"
finish

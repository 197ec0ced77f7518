#!/usr/bin/env bash
# Mandates (modules/mandates, issue 12) against the stand-in VNeID, real Redis and PostgreSQL, over HTTP/2: creating
# needs a fresh level-2 login; every invalid field is named; the acceptance code (wrong codes count, the 5th declines);
# lists; each sub-delegation rule; withdrawal cascading to every descendant and published on the revocation channel;
# decline and renounce; the expiry job; the RFC 8693 token exchange and its refusals; the audit records and push
# events each change writes. Citizens are new for each run; ages are made by choosing auth_time or by backdating rows,
# never by waiting for them.
source "$(dirname "$0")/lib.sh"
vneid_start
ENV=("${IDENTITY_ENV[@]}" CONG_AUTH_STEP_UP_MAX_AGE_S=600 CONG_AUTH_ACCESS_TOKEN_TTL_S=600
  CONG_MODULES_MANDATES_MAX_DAYS=30 CONG_MODULES_MANDATES_TOKEN_TTL_S=120
  CONG_RATE_LIMITS_DEFAULT_BURST=1000 CONG_RATE_LIMITS_DEFAULT_PER_MINUTE=100000)
# A second instance on the same Redis and PostgreSQL: a withdrawal must reach it too. Their job does not run within
# the test (10 min), so what refuses an acting-for token at once is the withdrawal's own revocation (unless another
# test's gateway, running alongside on the same stores, publishes it first); a third instance with a quick job comes
# later, for publishing what is pending and for expiry. Whether an ending is still unpublished is never asserted:
# every gateway of every test running at the same time runs this module's job against the same database.
ENV+=(CONG_MODULES_MANDATES_JOB_INTERVAL_MS=600000)
GW_NAME=second start_gateway "${ENV[@]}" || exit 1
wait_stores_up || { finish; exit 1; }
SECOND_PID=$GW_PID SECOND_PORT=$H2C_PORT
EXTRA_PIDS+=("$SECOND_PID") # stopped (and checked) by name at the end; killed on an early exit
GW_PID=
start_gateway "${ENV[@]}" || { GW_PID=$SECOND_PID GW_NAME=second stop_gateway; exit 1; }
wait_stores_up || { finish; exit 1; }

RUNID=$(((RANDOM << 15 | RANDOM) % 1000000))
citizen() { printf '009%03d%06d' "$1" "$RUNID"; }
NA=$(citizen 1) NB=$(citizen 2) NC=$(citizen 3) ND=$(citizen 4)
now=$(date +%s)
login() { # CITIZEN ACR [AUTH_TIME] → a cong access token
  local id_token
  id_token=$(curl -s -X POST -H 'content-type: application/json' \
    -d "{\"sub\":\"$1\",\"acr\":\"$2\",\"auth_time\":${3:-$(date +%s)}}" "$VNEID/test/mint" | json id_token)
  h2c -H 'content-type: application/json' -d "{\"id_token\":\"$id_token\",\"device\":{\"id\":\"d\",\"name\":\"n\",\"platform\":\"ios\"}}" \
    "$(url /v1/auth/vneid/exchange)" | json access_token
}
A=$(login "$NA" 2) B=$(login "$NB" 2) C=$(login "$NC" 2) D=$(login "$ND" 2)
A1=$(login "$NA" 1) A_STALE=$(login "$NA" 2 $((now - 900))) B1=$(login "$NB" 1)
subject_of() { h2c -H "authorization: Bearer $1" "$(url /v1/me)" | json subject; }
SA=$(subject_of "$A") SB=$(subject_of "$B") SC=$(subject_of "$C")
expect_match "four citizens logged in" '^[A-Za-z0-9_-]{43}$' "$SA"

# catalog codes: P1 and P2 in domain D1, P3 in domain D2
read -r D1 P1 P2 <<<"$(psql_cong "SELECT domain, min(code), max(code) FROM procedures GROUP BY domain ORDER BY domain LIMIT 1" | tr '|' ' ')"
read -r D2 P3 <<<"$(psql_cong "SELECT domain, min(code) FROM procedures WHERE domain <> '$D1' GROUP BY domain ORDER BY domain LIMIT 1" | tr '|' ' ')"
iso() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ; }
UNTIL=$(iso $((now + 10 * 86400)))

create() { # TOKEN JSON [IDEMPOTENCY_KEY] → status; body in $GW_DIR/body. Called in subshells too: a fresh key by time.
  call "$1" POST /v1/mandates -H 'content-type: application/json' -H "idempotency-key: ${3:-k-$(date +%s%N)}" -d "$2"
}
post() { call "$1" POST "$2" -H 'content-type: application/json' -d "${3:-{\}}"; }
problem() { field type | sed 's|.*/||'; }
errors() { body | python3 -S -c 'import json,sys; print(" ".join(e["field"]+":"+e["code"] for e in json.load(sys.stdin).get("errors", [])))'; }
ping_on() { # PORT TOKEN → status of GET /v1/ping; body in $GW_DIR/ping
  curl -s --http2-prior-knowledge --max-time 5 -o "$GW_DIR/ping" -w '%{http_code}' -H "authorization: Bearer $2" "http://127.0.0.1:$1/v1/ping"; }
mstatus() { psql_cong "SELECT status FROM mandates WHERE id = '$1'"; }

# ---- creating needs a fresh level-2 login ----
GOOD="{\"grantee_citizen_number\":\"$NB\",\"procedures\":[\"$P1\"],\"domains\":[\"$D2\"],\"actions\":[\"view\",\"submit\"],\"valid_until\":\"$UNTIL\",\"max_uses\":3,\"may_subdelegate\":true,\"note\":\"hồ sơ hưu trí của bố\"}"
expect_eq "level 1: 401" 401 "$(create "$A1" "$GOOD")"
expect_eq "...step-up-required" step-up-required "$(problem)"
expect_match "...RFC 9470 challenge" 'insufficient_user_authentication' "$(header www-authenticate)"
expect_eq "a level-2 login older than the step-up age: 401" 401 "$(create "$A_STALE" "$GOOD")"
expect_eq "...step-up-required" step-up-required "$(problem)"
expect_eq "no Idempotency-Key: 400" 400 "$(call "$A" POST /v1/mandates -H 'content-type: application/json' -d "$GOOD")"
expect_eq "...idempotency-key-required" idempotency-key-required "$(problem)"

# ---- validation: every bad field named ----
expect_eq "shape errors: 422" 422 "$(create "$A" "{\"grantee_citizen_number\":\"12\",\"actions\":[\"sign\"],\"max_uses\":0}")"
expect_eq "...each field" "grantee_citizen_number:invalid-format procedures:required actions[0]:unknown-action max_uses:out-of-range" "$(errors)"
expect_eq "catalog, time and self errors: 422" 422 "$(create "$A" "{\"grantee_citizen_number\":\"$NA\",\"procedures\":[\"9.999999\",\"$P1\"],\"domains\":[\"khong-co\"],\"actions\":[\"view\"],\"valid_from\":\"$(iso $((now + 7200)))\",\"valid_until\":\"$(iso $((now + 3600)))\"}")"
expect_eq "...each field" "procedures[0]:unknown-procedure domains[0]:unknown-domain valid_until:before-valid-from grantee_citizen_number:self" "$(errors)"
expect_eq "open-ended with submit: 422" 422 "$(create "$A" "{\"grantee_citizen_number\":\"$NB\",\"procedures\":[\"$P1\"],\"actions\":[\"view\",\"submit\"]}")"
expect_eq "...valid_until required" "valid_until:required" "$(errors)"
expect_eq "longer than max_days (30): 422" 422 "$(create "$A" "{\"grantee_citizen_number\":\"$NB\",\"procedures\":[\"$P1\"],\"actions\":[\"view\"],\"valid_until\":\"$(iso $((now + 40 * 86400)))\"}")"
expect_eq "...too-long" "valid_until:too-long" "$(errors)"
expect_eq "starting later than max_days from now: 422" 422 "$(create "$A" "{\"grantee_citizen_number\":\"$NB\",\"procedures\":[\"$P1\"],\"actions\":[\"view\"],\"valid_from\":\"$(iso $((now + 31 * 86400)))\",\"valid_until\":\"$(iso $((now + 32 * 86400)))\"}")"
expect_eq "...too-far" "valid_from:too-far" "$(errors)"
expect_eq "past and malformed times: 422" 422 "$(create "$A" "{\"grantee_citizen_number\":\"$NB\",\"procedures\":[\"$P1\"],\"actions\":[\"view\"],\"valid_from\":\"$(iso $((now - 3600)))\",\"valid_until\":\"tomorrow\"}")"
expect_eq "...both" "valid_from:in-the-past valid_until:invalid-format" "$(errors)"
expect_eq "open-ended to look only: 201" 201 "$(create "$A" "{\"grantee_citizen_number\":\"$NB\",\"domains\":[\"$D1\"],\"actions\":[\"view\",\"receive_result\"]}")"
expect_eq "...no end" "" "$(field valid_until)"

# ---- create, idempotent replay, acceptance ----
expect_eq "create: 201" 201 "$(create "$A" "$GOOD" "main-$RUNID")"
M1=$(field id); CODE0=$(field acceptance_code)
expect_eq "requested" requested "$(field status)"
expect_eq "grantor = the caller" "$SA" "$(field grantor)"
expect_eq "grantee by subject" "$SB" "$(field grantee)"
expect_match "an acceptance code: 12 of an unambiguous alphabet" '^[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}$' "$CODE0"
expect_eq "no-store" no-store "$(header cache-control)"
expect_eq "replay: 201" 201 "$(create "$A" "$GOOD" "main-$RUNID")"
expect_eq "...replayed" true "$(header idempotent-replayed)"
expect_eq "...the same mandate" "$M1" "$(field id)"
CODE=$(field acceptance_code)
expect_match "...with a new code (the first was never kept)" '^.{14}$' "$CODE"
expect_no_match "...not the first" "^$CODE0\$" "$CODE"
expect_eq "the key with another request: 422" 422 "$(create "$A" "${GOOD/view\",/view\",\"pay\",}" "main-$RUNID")"
expect_eq "...idempotency-key-reused" idempotency-key-reused "$(problem)"
expect_eq "the key for another grantee: 422" 422 "$(create "$A" "${GOOD/$NB/$NC}" "main-$RUNID")"
expect_eq "one mandate for the key" 1 "$(psql_cong "SELECT count(*) FROM mandates WHERE grantor = '$SA' AND note = 'hồ sơ hưu trí của bố'")"
expect_eq "only the hash of the code is stored" "$(printf %s "${CODE//-/}" | sha256sum | cut -d' ' -f1)" \
  "$(psql_cong "SELECT encode(acceptance_code_hash, 'hex') FROM mandates WHERE id = '$M1'")"

expect_eq "a stranger reads it: 404" 404 "$(call "$C" GET "/v1/mandates/$M1")"
expect_eq "the grantee reads it" 200 "$(call "$B" GET "/v1/mandates/$M1")"
expect_eq "...without the code" "" "$(field acceptance_code)"
expect_eq "the grantor reads it" 200 "$(call "$A" GET "/v1/mandates/$M1")"
expect_eq "a stranger accepts: 404" 404 "$(post "$C" "/v1/mandates/$M1/accept" "{\"acceptance_code\":\"$CODE\"}")"
expect_eq "the grantor cannot accept for the grantee: 404" 404 "$(post "$A" "/v1/mandates/$M1/accept" "{\"acceptance_code\":\"$CODE\"}")"
expect_eq "a wrong code: 403" 403 "$(post "$B1" "/v1/mandates/$M1/accept" '{"acceptance_code":"2222-2222-2222"}')"
expect_eq "...invalid-acceptance-code" invalid-acceptance-code "$(problem)"
expect_eq "...4 attempts left" 4 "$(field remaining_attempts)"
expect_eq "the replaced first code: 403" 403 "$(post "$B1" "/v1/mandates/$M1/accept" "{\"acceptance_code\":\"$CODE0\"}")"
lower=$(tr 'A-Z-' 'a-z ' <<<"$CODE")
expect_eq "the code as typed (lower case, spaces): 200" 200 "$(post "$B1" "/v1/mandates/$M1/accept" "{\"acceptance_code\":\"$lower\"}")"
expect_eq "...active" active "$(field status)"
expect_eq "...the code is gone" "" "$(psql_cong "SELECT acceptance_code_hash FROM mandates WHERE id = '$M1'")"
expect_eq "accepted twice: 409" 409 "$(post "$B1" "/v1/mandates/$M1/accept" "{\"acceptance_code\":\"$CODE\"}")"

# ---- five wrong codes decline the request ----
create "$A" "{\"grantee_citizen_number\":\"$NB\",\"procedures\":[\"$P1\"],\"actions\":[\"view\"],\"valid_until\":\"$UNTIL\"}" >/dev/null
M2=$(field id); M2CODE=$(field acceptance_code)
for i in 1 2 3 4; do post "$B1" "/v1/mandates/$M2/accept" '{"acceptance_code":"nonsense"}' >/dev/null; done
expect_eq "after 4 wrong codes: still requested" requested "$(mstatus "$M2")"
expect_eq "the 5th: 403" 403 "$(post "$B1" "/v1/mandates/$M2/accept" '{"acceptance_code":"3333-3333-3333"}')"
expect_eq "...declined" declined "$(field mandate_status)"
expect_eq "...in PostgreSQL" declined "$(mstatus "$M2")"
expect_eq "then the right code: 409" 409 "$(post "$B1" "/v1/mandates/$M2/accept" "{\"acceptance_code\":\"$M2CODE\"}")"
expect_eq "...an ending recorded" declined "$(psql_cong "SELECT status FROM mandate_endings WHERE mandate_id = '$M2'")"
expect_eq "...the failures audited" 5 "$(psql_cong "SELECT count(*) FROM audit_records WHERE object = 'mandate:$M2' AND action = 'mandate.accept_failed'")"

# ---- lists ----
ids() { body | python3 -S -c 'import json,sys; print(" ".join(m["id"] for m in json.load(sys.stdin)["mandates"]))'; }
expect_eq "given by A" 200 "$(call "$A" GET "/v1/mandates?role=given")"
expect_match "...has M1" "$M1" "$(ids)"
expect_eq "received by A: none of them" 200 "$(call "$A" GET "/v1/mandates?role=received")"
expect_no_match "...not M1" "$M1" "$(ids)"
call "$B" GET "/v1/mandates?role=received&status=active" >/dev/null
expect_match "received by B, active: M1" "$M1" "$(ids)"
expect_no_match "...not the declined M2" "$M2" "$(ids)"
expect_eq "an unknown role: 422" 422 "$(call "$B" GET "/v1/mandates?role=mine")"
expect_eq "an unknown status: 422" 422 "$(call "$B" GET "/v1/mandates?status=gone")"

# ---- sub-delegation: the child fits inside its parent ----
sub() { # JSON-FIELDS (after grantee) [TOKEN] → status of B's create under M1 for C
  create "${2:-$B}" "{\"grantee_citizen_number\":\"$NC\",\"parent_id\":\"$M1\",$1}"
}
FIT="\"procedures\":[\"$P1\"],\"actions\":[\"view\"],\"valid_until\":\"$UNTIL\",\"max_uses\":2"
expect_eq "not the parent's grantee: 422" 422 "$(sub "$FIT" "$C")"
expect_eq "...unknown-parent" "parent_id:unknown-parent grantee_citizen_number:self" "$(errors)"
expect_eq "a procedure outside: 422" 422 "$(sub "\"procedures\":[\"$P2\"],\"actions\":[\"view\"],\"valid_until\":\"$UNTIL\",\"max_uses\":2")"
expect_eq "...named" "procedures[0]:outside-parent" "$(errors)"
expect_eq "a domain outside: 422" 422 "$(sub "\"domains\":[\"$D1\"],\"actions\":[\"view\"],\"valid_until\":\"$UNTIL\",\"max_uses\":2")"
expect_eq "...named" "domains[0]:outside-parent" "$(errors)"
expect_eq "an action outside: 422" 422 "$(sub "\"procedures\":[\"$P1\"],\"actions\":[\"view\",\"pay\"],\"valid_until\":\"$UNTIL\",\"max_uses\":2")"
expect_eq "...named" "actions[1]:outside-parent" "$(errors)"
expect_eq "longer than the parent: 422" 422 "$(sub "\"procedures\":[\"$P1\"],\"actions\":[\"view\"],\"valid_until\":\"$(iso $((now + 11 * 86400)))\",\"max_uses\":2")"
expect_eq "...named" "valid_until:outside-parent" "$(errors)"
expect_eq "open-ended under a parent that ends: 422" 422 "$(sub "\"procedures\":[\"$P1\"],\"actions\":[\"view\"],\"max_uses\":2")"
expect_eq "...named" "valid_until:outside-parent" "$(errors)"
expect_eq "starting before the parent: 422" 422 "$(sub "$FIT,\"valid_from\":\"$(iso $(($(date -d "$(psql_cong "SELECT valid_from FROM mandates WHERE id = '$M1'")" +%s) - 60)))\"")"
expect_eq "...named" "valid_from:outside-parent" "$(errors)"
expect_eq "more uses than the parent: 422" 422 "$(sub "\"procedures\":[\"$P1\"],\"actions\":[\"view\"],\"valid_until\":\"$UNTIL\",\"max_uses\":4")"
expect_eq "...named" "max_uses:outside-parent" "$(errors)"
expect_eq "unbounded uses under a bounded parent: 422" 422 "$(sub "\"procedures\":[\"$P1\"],\"actions\":[\"view\"],\"valid_until\":\"$UNTIL\"")"
expect_eq "...named" "max_uses:outside-parent" "$(errors)"
expect_eq "back to the grantor: 422" 422 "$(create "$B" "{\"grantee_citizen_number\":\"$NA\",\"parent_id\":\"$M1\",$FIT}")"
expect_eq "...self" "grantee_citizen_number:self" "$(errors)"
create "$A" "{\"grantee_citizen_number\":\"$NB\",\"procedures\":[\"$P1\"],\"actions\":[\"view\"],\"valid_until\":\"$UNTIL\"}" >/dev/null
M3=$(field id); post "$B" "/v1/mandates/$M3/accept" "{\"acceptance_code\":\"$(field acceptance_code)\"}" >/dev/null
expect_eq "a parent that may not be sub-delegated: 422" 422 "$(create "$B" "{\"grantee_citizen_number\":\"$NC\",\"parent_id\":\"$M3\",$FIT}")"
expect_eq "...named" "parent_id:parent-not-subdelegable" "$(errors)"
create "$A" "{\"grantee_citizen_number\":\"$NB\",\"procedures\":[\"$P1\"],\"actions\":[\"view\"],\"valid_until\":\"$UNTIL\",\"may_subdelegate\":true}" >/dev/null
M4=$(field id)
expect_eq "a parent not accepted yet: 422" 422 "$(create "$B" "{\"grantee_citizen_number\":\"$NC\",\"parent_id\":\"$M4\",$FIT}")"
expect_eq "...named" "parent_id:parent-not-active" "$(errors)"
expect_eq "within: a procedure of the parent and one of its domains: 201" 201 \
  "$(sub "\"procedures\":[\"$P1\",\"$P3\"],\"actions\":[\"view\"],\"valid_until\":\"$UNTIL\",\"max_uses\":2,\"may_subdelegate\":true")"
CHILD=$(field id)
expect_eq "...grantor: the parent's" "$SA" "$(field grantor)"
expect_eq "...delegated by the parent's grantee" "$SB" "$(field delegated_by)"
post "$C" "/v1/mandates/$CHILD/accept" "{\"acceptance_code\":\"$(field acceptance_code)\"}" >/dev/null
expect_eq "...accepted by C" active "$(field status)"
expect_eq "a grandchild: 201" 201 "$(create "$C" "{\"grantee_citizen_number\":\"$ND\",\"parent_id\":\"$CHILD\",\"procedures\":[\"$P3\"],\"actions\":[\"view\"],\"valid_until\":\"$UNTIL\",\"max_uses\":1}")"
GRAND=$(field id)
post "$D" "/v1/mandates/$GRAND/accept" "{\"acceptance_code\":\"$(field acceptance_code)\"}" >/dev/null
expect_eq "...accepted by D" active "$(field status)"
call "$B" GET "/v1/mandates?role=given" >/dev/null
expect_match "B lists what B delegated" "$CHILD" "$(ids)"

# ---- token exchange (RFC 8693) ----
GT=urn:ietf:params:oauth:grant-type:token-exchange
MT=urn:cong:params:oauth:token-type:mandate
AT=urn:ietf:params:oauth:token-type:access_token
exchange() { # TOKEN MANDATE [extra form fields...] → status
  local tok=$1 m=$2; shift 2
  call "$tok" POST /v1/auth/token-exchange --data-urlencode "grant_type=$GT" --data-urlencode "subject_token=$m" \
    --data-urlencode "subject_token_type=$MT" "$@"
}
claims() { cut -d. -f2 <<<"$1" | python3 -S -c 'import base64,json,sys
s = sys.stdin.read().strip(); c = json.loads(base64.urlsafe_b64decode(s + "=" * (-len(s) % 4)))
m = c.get("mandate"); m = m if isinstance(m, dict) else {"id": m}
print(c["sub"], (c.get("act") or {}).get("sub"), m.get("id"), c["exp"] - c["iat"], c.get("sid"), c.get("scope"))'; }
expect_eq "the grantee exchanges: 200" 200 "$(exchange "$B" "$M1" --data-urlencode "actor_token=$B" --data-urlencode "actor_token_type=$AT")"
expect_eq "...no-store" no-store "$(header cache-control)"
expect_eq "...issued_token_type" "$AT" "$(field issued_token_type)"
expect_eq "...Bearer" Bearer "$(field token_type)"
expect_match "...short-lived (token_ttl_s 120)" '^(1[01][0-9]|120)$' "$(field expires_in)"
ACTING=$(field access_token)
read -r c_sub c_act c_mandate c_life c_sid c_scope <<<"$(claims "$ACTING")"
expect_eq "sub: the grantor (whose affairs)" "$SA" "$c_sub"
expect_eq "act.sub: the grantee (who acts)" "$SB" "$c_act"
expect_eq "the mandate claim names it" "$M1" "$c_mandate"
expect_eq "the caller's session" "$(claims "$B" | cut -d' ' -f5)" "$c_sid"
expect_eq "audited" 1 "$(psql_cong "SELECT count(*) FROM audit_records WHERE action = 'mandate.exchange' AND object = 'mandate:$M1' AND actor = '$SB' AND subject = '$SA' AND mandate_id = '$M1'")"
ADMIN_B=$(token --sub "$SB" --scope "citizen admin" --acr 1 --sid "s-admin-$RUNID")
expect_eq "a grantee holding the scope admin exchanges" 200 "$(exchange "$ADMIN_B" "$M1")"
expect_eq "...never passes admin on" "citizen" "$(claims "$(field access_token)" | cut -d' ' -f6)"
M1_UPPER=$(tr 'a-f' 'A-F' <<<"$M1")
expect_eq "the mandate id in upper case: 200" 200 "$(exchange "$B" "$M1_UPPER")"
expect_eq "...the token carries the canonical id (what a withdrawal revokes)" "$M1" "$(claims "$(field access_token)" | cut -d' ' -f3)"
UPPER_ACTING=$(field access_token)
expect_eq "the sub-mandate's grantee exchanges it" 200 "$(exchange "$C" "$CHILD")"
CHILD_ACTING=$(field access_token)
expect_eq "...sub: the original grantor" "$SA" "$(claims "$CHILD_ACTING" | cut -d' ' -f1)"
expect_eq "...acts on the second instance" 200 "$(ping_on "$SECOND_PORT" "$CHILD_ACTING")"
expect_eq "not the grantee: 400" 400 "$(exchange "$C" "$M1")"
expect_eq "...invalid-grant" invalid-grant "$(problem)"
expect_eq "an actor_token other than the bearer: 400" 400 "$(exchange "$B" "$M1" --data-urlencode "actor_token=$C" --data-urlencode "actor_token_type=$AT")"
expect_eq "...invalid-grant" invalid-grant "$(problem)"
expect_eq "a mandate not accepted yet: 400" 400 "$(exchange "$B" "$M4")"
create "$A" "{\"grantee_citizen_number\":\"$NB\",\"procedures\":[\"$P1\"],\"actions\":[\"view\"],\"valid_from\":\"$(iso $((now + 3600)))\",\"valid_until\":\"$UNTIL\"}" >/dev/null
LATER=$(field id); post "$B" "/v1/mandates/$LATER/accept" "{\"acceptance_code\":\"$(field acceptance_code)\"}" >/dev/null
expect_eq "a mandate valid from later is active once accepted" active "$(field status)"
expect_eq "...but not exchanged before its valid_from: 400" 400 "$(exchange "$B" "$LATER")"
expect_eq "an unknown mandate: 400" 400 "$(exchange "$B" "00000000-0000-4000-8000-000000000000")"
expect_eq "another grant type: 400" 400 "$(call "$B" POST /v1/auth/token-exchange -d grant_type=password -d "subject_token=$M1" -d "subject_token_type=$MT")"
expect_eq "...unsupported-grant-type" unsupported-grant-type "$(problem)"
expect_eq "another subject_token_type: 400" 400 "$(call "$B" POST /v1/auth/token-exchange --data-urlencode "grant_type=$GT" -d "subject_token=$M1" --data-urlencode "subject_token_type=$AT")"
expect_eq "no token: 401" 401 "$(exchange "" "$M1")"

# ---- acting with the exchanged token (the gateway's mandate phase) ----
expect_eq "acting for A on a 'view' route" 200 "$(ping_on "$H2C_PORT" "$ACTING")"
expect_eq "...the module sees both parties" "$SA|$SB|$M1" "$(python3 -S -c 'import json,sys; p=json.load(open(sys.argv[1]))["principal"]; print(p["subject"], p["actor"], p["mandate_id"], sep="|")' "$GW_DIR/ping")"
expect_eq "...on the second instance too" 200 "$(ping_on "$SECOND_PORT" "$ACTING")"
expect_eq "acting, nobody creates a mandate: 403" 403 "$(create "$ACTING" "$GOOD")"
expect_eq "...mandate-does-not-cover" mandate-does-not-cover "$(problem)"
expect_eq "acting, no exchange again: refused" 403 "$(exchange "$ACTING" "$M1")"
expect_eq "...mandate-does-not-cover" mandate-does-not-cover "$(problem)"
expect_eq "acting, nobody lists the grantor's mandates: 403" 403 "$(call "$ACTING" GET "/v1/mandates?role=given")"

# ---- withdrawal cascades, and reaches the revocation channel ----
expect_eq "the grantee cannot withdraw: 404" 404 "$(post "$B" "/v1/mandates/$M1/withdraw")"
expect_eq "the grantor withdraws: 200" 200 "$(post "$A" "/v1/mandates/$M1/withdraw")"
expect_eq "...withdrawn" withdrawn "$(field status)"
expect_eq "...the child" withdrawn "$(mstatus "$CHILD")"
expect_eq "...the grandchild" withdrawn "$(mstatus "$GRAND")"
expect_eq "...three endings" 3 "$(psql_cong "SELECT count(*) FROM mandate_endings WHERE mandate_id IN ('$M1', '$CHILD', '$GRAND')")"
for m in "$M1" "$CHILD" "$GRAND"; do
  expect_match "...mandate:${m:0:8} in the revocation set" '^[0-9]+' "$(redis-cli -p "$REDIS_PORT" ZSCORE cong:revoked "mandate:$m")"
done
expect_eq "the acting-for token, at once: 403" 403 "$(ping_on "$H2C_PORT" "$ACTING")"
expect_eq "...mandate-not-active" mandate-not-active "$(python3 -S -c 'import json,sys; print(json.load(open(sys.argv[1]))["type"].rsplit("/",1)[1])' "$GW_DIR/ping")"
expect_eq "...on the second instance too" 403 "$(ping_on "$SECOND_PORT" "$ACTING")"
expect_eq "the token exchanged with the upper-case id too" 403 "$(ping_on "$SECOND_PORT" "$UPPER_ACTING")"
expect_eq "the child's acting-for token too" 403 "$(ping_on "$SECOND_PORT" "$CHILD_ACTING")"
expect_eq "B's own token still works" 200 "$(ping_on "$SECOND_PORT" "$B")"
expect_eq "withdrawn twice: 409" 409 "$(post "$A" "/v1/mandates/$M1/withdraw")"
expect_eq "the withdrawn mandate is not exchanged: 400" 400 "$(exchange "$B" "$M1")"
expect_eq "nor its child: 400" 400 "$(exchange "$C" "$CHILD")"
expect_eq "the cascade is audited" 3 "$(psql_cong "SELECT count(*) FROM audit_records WHERE action = 'mandate.withdraw' AND object IN ('mandate:$M1', 'mandate:$CHILD', 'mandate:$GRAND')")"
expect_eq "grantor and grantee got M1's events" "$(printf '%s\n' "$SA" "$SB" | LC_ALL=C sort | tr '\n' ' ' | sed 's/ $//')" \
  "$(psql_cong "SELECT string_agg(subject, ' ' ORDER BY subject COLLATE \"C\") FROM (SELECT DISTINCT subject FROM push_outbox WHERE topic = 'mandate.changed' AND payload->>'id' = '$M1') s")"
expect_eq "the grandchild's parties too (C, D, and A)" 3 "$(psql_cong "SELECT count(DISTINCT subject) FROM push_outbox WHERE topic = 'mandate.changed' AND payload->>'id' = '$GRAND' AND payload->>'status' = 'withdrawn'")"

# ---- decline a request, renounce an active mandate ----
expect_eq "the grantor cannot decline: 404" 404 "$(post "$A" "/v1/mandates/$M4/decline")"
expect_eq "the grantee declines a request: 200" 200 "$(post "$B1" "/v1/mandates/$M4/decline")"
expect_eq "...declined" declined "$(field status)"
expect_eq "the grantee renounces an active one: 200" 200 "$(post "$B1" "/v1/mandates/$M3/decline")"
expect_eq "...declined" declined "$(mstatus "$M3")"
expect_eq "...audited" 1 "$(psql_cong "SELECT count(*) FROM audit_records WHERE action = 'mandate.decline' AND object = 'mandate:$M3' AND actor = '$SB'")"

# ---- the job (a third instance, every 200 ms, its Redis behind a relay): publishes what is pending ----
relay_start REDISR "$REDIS_PORT" || bad "no Redis relay"
MAIN_PID=$GW_PID MAIN_PORT=$H2C_PORT
GW_PID=
GW_NAME=jobs start_gateway "${ENV[@]}" CONG_MODULES_MANDATES_JOB_INTERVAL_MS=200 CONG_REDIS_PORT="$REDISR_PORT" \
  || { GW_PID=$MAIN_PID; finish; exit 1; }
JOBS_PID=$GW_PID JOBS_PORT=$H2C_PORT
EXTRA_PIDS+=("$JOBS_PID")
wait_stores_up
H2C_PORT=$MAIN_PORT GW_PID=$MAIN_PID
published() { [ "$(psql_cong "SELECT count(*) FROM mandate_endings WHERE mandate_id IN ($1) AND published_at IS NULL")" = 0 ]; }
wait_until 30 published "'$M1', '$CHILD', '$GRAND', '$M2', '$M3', '$M4'"
expect_eq "the endings published by the job" 0 "$(psql_cong "SELECT count(*) FROM mandate_endings WHERE mandate_id IN ('$M1', '$CHILD', '$GRAND', '$M2', '$M3', '$M4') AND published_at IS NULL")"
expect_match "...the declined request in the revocation set too" '^[0-9]+' "$(redis-cli -p "$REDIS_PORT" ZSCORE cong:revoked "mandate:$M2")"

# withdrawn while the answering instance cannot reach Redis: the reply follows the commit, the job publishes later
create "$A" "{\"grantee_citizen_number\":\"$NB\",\"procedures\":[\"$P1\"],\"actions\":[\"view\"],\"valid_until\":\"$UNTIL\"}" >/dev/null
M7=$(field id); post "$B" "/v1/mandates/$M7/accept" "{\"acceptance_code\":\"$(field acceptance_code)\"}" >/dev/null
exchange "$B" "$M7" >/dev/null; ACT7=$(field access_token)
expect_eq "acting under M7" 200 "$(ping_on "$SECOND_PORT" "$ACT7")"
relay_stop REDISR
wait_store_down redis
expect_eq "Redis down: the withdrawal still answers 200" 200 "$(H2C_PORT=$JOBS_PORT post "$A" "/v1/mandates/$M7/withdraw")"
expect_eq "...withdrawn" withdrawn "$(mstatus "$M7")"
relay_start REDISR "$REDIS_PORT" "$REDISR_PORT" || bad "the Redis relay did not come back"
wait_until 30 published "'$M7'"
expect_eq "Redis back: the job published it" 0 "$(psql_cong "SELECT count(*) FROM mandate_endings WHERE mandate_id = '$M7' AND published_at IS NULL")"
expect_eq "...M7's acting-for token refused on another instance" 403 "$(ping_on "$SECOND_PORT" "$ACT7")"
expect_eq "...and on this one" 403 "$(ping_on "$MAIN_PORT" "$ACT7")"

# a parent used up (cong_mandate_use, as an acting module counts): its active sub-mandate is withdrawn by the job
create "$A" "{\"grantee_citizen_number\":\"$NB\",\"procedures\":[\"$P1\"],\"actions\":[\"view\"],\"valid_until\":\"$UNTIL\",\"max_uses\":1,\"may_subdelegate\":true}" >/dev/null
M8=$(field id); post "$B" "/v1/mandates/$M8/accept" "{\"acceptance_code\":\"$(field acceptance_code)\"}" >/dev/null
create "$B" "{\"grantee_citizen_number\":\"$NC\",\"parent_id\":\"$M8\",\"procedures\":[\"$P1\"],\"actions\":[\"view\"],\"valid_until\":\"$UNTIL\",\"max_uses\":1}" >/dev/null
M8C=$(field id); post "$C" "/v1/mandates/$M8C/accept" "{\"acceptance_code\":\"$(field acceptance_code)\"}" >/dev/null
expect_eq "the parent's one use" ok "$(psql_cong "SELECT cong_mandate_use('$M8', '$SB', 'view', '$P1', '$D1', 'test', 'r-$RUNID', 'test')")"
expect_eq "...used up" used_up "$(mstatus "$M8")"
orphan_ended() { [ "$(mstatus "$M8C")" = withdrawn ]; }
wait_until 15 orphan_ended
expect_eq "its sub-mandate withdrawn by the job" withdrawn "$(mstatus "$M8C")"
wait_until 15 published "'$M8', '$M8C'"
expect_eq "...both endings published" 0 "$(psql_cong "SELECT count(*) FROM mandate_endings WHERE mandate_id IN ('$M8', '$M8C') AND published_at IS NULL")"

# expiry: a mandate past its last instant (backdated here, never waited for)
create "$A" "{\"grantee_citizen_number\":\"$NB\",\"procedures\":[\"$P1\"],\"actions\":[\"view\"],\"valid_until\":\"$UNTIL\"}" >/dev/null
M6=$(field id); post "$B" "/v1/mandates/$M6/accept" "{\"acceptance_code\":\"$(field acceptance_code)\"}" >/dev/null
psql_cong "UPDATE mandates SET valid_from = now() - interval '2 hours', valid_until = now() - interval '1 second' WHERE id = '$M6'" >/dev/null
expired() { [ "$(mstatus "$M6")" = expired ]; }
wait_until 15 expired
expect_eq "past valid_until: expired by the job" expired "$(mstatus "$M6")"
wait_until 15 published "'$M6'"
expect_eq "...its ending published" 1 "$(psql_cong "SELECT count(*) FROM mandate_endings WHERE mandate_id = '$M6' AND status = 'expired' AND published_at IS NOT NULL")"
expect_eq "...audited as the system's" system "$(psql_cong "SELECT actor FROM audit_records WHERE action = 'mandate.expire' AND object = 'mandate:$M6'")"
expect_eq "...both parties told" 2 "$(psql_cong "SELECT count(*) FROM push_outbox WHERE payload->>'id' = '$M6' AND payload->>'status' = 'expired'")"

# ---- the record of M1: audit and events ----
expect_eq "M1's audit trail" "mandate.accept mandate.create mandate.exchange mandate.withdraw" \
  "$(psql_cong "SELECT string_agg(DISTINCT action, ' ' ORDER BY action) FROM audit_records WHERE object = 'mandate:$M1' AND action <> 'mandate.accept_failed'")"
expect_eq "events to grantor and grantee at each change (create, accept, withdraw)" 6 \
  "$(psql_cong "SELECT count(*) FROM push_outbox WHERE topic = 'mandate.changed' AND payload->>'id' = '$M1'")"

# ---- never a citizen number or a code in what cong keeps or logs ----
leaks=$(psql_cong "SELECT count(*) FROM (SELECT detail::text AS t FROM audit_records UNION ALL SELECT payload::text FROM push_outbox
  UNION ALL SELECT m::text FROM mandates m) x WHERE t LIKE '%$NB%' OR t LIKE '%$NC%' OR t LIKE '%${CODE//-/}%' OR t LIKE '%$CODE%'")
expect_eq "no citizen number or code in PostgreSQL" 0 "$leaks"
expect_no_match "no citizen number or code in the logs" "$NB|$NC|$CODE" "$(cat "$GW_DIR/stderr" "$GW_DIR/access.log")"
GW_NAME=second GW_PID=$SECOND_PID stop_gateway
GW_NAME=jobs GW_PID=$JOBS_PID stop_gateway
finish

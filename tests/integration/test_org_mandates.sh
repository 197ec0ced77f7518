#!/usr/bin/env bash
# Staff acting for an organization (issue 18; modules/mandates 0002, modules/orgs, modules/identity) against the
# stand-in VNeID, real Redis and PostgreSQL, two gateway instances, over HTTP/2: the organization's legal
# representative grants an employee a mandate FROM the organization (not the representative: 403); the employee
# accepts it and exchanges their own token (RFC 8693) for one whose "sub" is the organization and "act" themselves, at
# their own level, and files the organization's procedure with it (201; not with their own token, not outside the
# mandate); GET /v1/orgs/{code} admits them on both instances (audited under the mandate), refuses an action the
# mandate lacks (403) and a token that acts for nobody sees nothing (404); cong_mandate_use counts uses inside the
# mandate's scope; the representative lists the organization's mandates and every use; only the CURRENT
# representative grants, withdraws, lists; withdrawal cascades and the next acting-for call fails on both instances;
# suspension makes the mandates unusable (live tokens refused, no exchange, no grant) until activation; a VNeID
# organization login creates the organization with its representative, finds it again, and is refused for another
# representative. Organizations and citizens are new for each run.
source "$(dirname "$0")/lib.sh"
vneid_start
ENV=("${IDENTITY_ENV[@]}" CONG_AUTH_STEP_UP_MAX_AGE_S=600 CONG_AUTH_ACCESS_TOKEN_TTL_S=600
  CONG_MODULES_MANDATES_MAX_DAYS=30 CONG_MODULES_MANDATES_TOKEN_TTL_S=120
  CONG_RATE_LIMITS_DEFAULT_BURST=1000 CONG_RATE_LIMITS_DEFAULT_PER_MINUTE=100000)
# Two instances on the same Redis and PostgreSQL (as test_mandates.sh): their mandate job does not run within the test,
# so what refuses an acting-for token on the other instance is the revocation the withdrawal (or `cong org suspend`)
# publishes itself.
ENV+=(CONG_MODULES_MANDATES_JOB_INTERVAL_MS=600000)
# An organization procedure (applicants 'organization', level 2) in the first domain, which the employee's mandate
# below covers: filing it with the exchanged token is the whole path a business's staff take.
RUNID=$(((RANDOM << 15 | RANDOM) % 1000000))
UNIT=HN-W-001 P_ORG="TOM-$RUNID"
D1=$(psql_cong "SELECT min(domain) FROM procedures")
psql_cong "INSERT INTO procedures (code, name_vi, name_en, domain, level, fee_vnd, fee_stage, processing_days, min_loa,
             online_level, accepts_electronic_copies, applicants)
           VALUES ('$P_ORG', 'Thủ tục thử của doanh nghiệp', 'Business test', '$D1', 'commune', 0, 'submission', 5, 2,
                   'full', true, 'organization');
           INSERT INTO procedure_units VALUES ('$P_ORG', '$UNIT')" >/dev/null
GW_NAME=second start_gateway "${ENV[@]}" || exit 1
wait_stores_up || { finish; exit 1; }
SECOND_PID=$GW_PID SECOND_PORT=$H2C_PORT
EXTRA_PIDS+=("$SECOND_PID")
GW_PID=
start_gateway "${ENV[@]}" || { GW_PID=$SECOND_PID GW_NAME=second stop_gateway; exit 1; }
wait_stores_up || { finish; exit 1; }

cong_cmd() { # ARGS... — a cong command against the test stores; stdout in $GW_DIR/out, stderr in $GW_DIR/err
  env CONG_POSTGRES_CONNINFO="host=127.0.0.1 port=$PG_PORT dbname=cong user=cong" CONG_REDIS_PORT="$REDIS_PORT" \
    CONG_AUTH_SUBJECT_SECRET_FILE="$GW_DIR/subject-secret" CONG_AUTH_ACCESS_TOKEN_TTL_S=600 \
    ASAN_OPTIONS=detect_leaks=0 "$BUILD/cong" "$@" >"$GW_DIR/out" 2>"$GW_DIR/err"
  echo $?
}

citizen() { printf '008%03d%06d' "$1" "$RUNID"; }
NREP=$(citizen 1) NEMP=$(citizen 2) NOTHER=$(citizen 3) NREP2=$(citizen 4) NNEW=$(citizen 5)
CODE=$(printf '05%02d%06d' $((RANDOM % 100)) "$RUNID") NEWCODE=$(printf '06%02d%06d' $((RANDOM % 100)) "$RUNID")
now=$(date +%s)
iso() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ; }
UNTIL=$(iso $((now + 10 * 86400)))
mint() { # JSON CLAIMS → a VNeID ID token from the stand-in
  curl -s -X POST -H 'content-type: application/json' -d "$1" "$VNEID/test/mint" | json id_token
}
vneid_exchange() { # ID_TOKEN → status; the answer in $GW_DIR/body
  call "" POST /v1/auth/vneid/exchange -H 'content-type: application/json' \
    -d "{\"id_token\":\"$1\",\"device\":{\"id\":\"d\",\"name\":\"n\",\"platform\":\"ios\"}}"
}
login() { # CITIZEN ACR → a cong access token
  vneid_exchange "$(mint "{\"sub\":\"$1\",\"acr\":\"$2\",\"auth_time\":$(date +%s)}")" >/dev/null
  field access_token
}
REP=$(login "$NREP" 2) EMP=$(login "$NEMP" 2) OTHER=$(login "$NOTHER" 2) REP2=$(login "$NREP2" 2) EMP1=$(login "$NEMP" 1)
subject_of() { h2c -H "authorization: Bearer $1" "$(url /v1/me)" | json subject; }
SREP=$(subject_of "$REP") SEMP=$(subject_of "$EMP") SOTHER=$(subject_of "$OTHER") SREP2=$(subject_of "$REP2")
expect_match "citizens logged in" '^[A-Za-z0-9_-]{43}$' "$SEMP"

# ---- the organization, as the demo makes it (`cong org create`) ----
expect_eq "org create (the demo's way)" 0 \
  "$(echo "$NREP" | cong_cmd org create --code "$CODE" --name "Công ty TNHH Nhân viên $RUNID" --representative-citizen-file -)"
ORG=$(sed -n 's/^organization: //p' "$GW_DIR/out")
OSUB="org:$ORG"
expect_match "its id" '^[0-9a-f-]{36}$' "$ORG"

read -r D1 P1 <<<"$(psql_cong "SELECT domain, min(code) FROM procedures GROUP BY domain ORDER BY domain LIMIT 1" | tr '|' ' ')"
read -r D2 P3 <<<"$(psql_cong "SELECT domain, min(code) FROM procedures WHERE domain <> '$D1' GROUP BY domain ORDER BY domain LIMIT 1" | tr '|' ' ')"
create() { # TOKEN JSON → status; body in $GW_DIR/body
  call "$1" POST /v1/mandates -H 'content-type: application/json' -H "idempotency-key: k-$(date +%s%N)" -d "$2"
}
post() { call "$1" POST "$2" -H 'content-type: application/json' -d "${3:-{\}}"; }
problem() { field type | sed 's|.*/||'; }
errors() { body | python3 -S -c 'import json,sys; print(" ".join(e["field"]+":"+e["code"] for e in json.load(sys.stdin).get("errors", [])))'; }
on() { # PORT TOKEN PATH → status; body in $GW_DIR/on
  curl -s --http2-prior-knowledge --max-time 5 -o "$GW_DIR/on" -w '%{http_code}' -H "authorization: Bearer $2" "http://127.0.0.1:$1$3"; }
on_type() { python3 -S -c 'import json,sys; print(json.load(open(sys.argv[1])).get("type","").rsplit("/",1)[-1])' "$GW_DIR/on"; }
mstatus() { psql_cong "SELECT status FROM mandates WHERE id = '$1'"; }

# ---- the representative grants an employee a mandate from the organization ----
GRANT="{\"grantor_org\":\"$CODE\",\"grantee_citizen_number\":\"$NEMP\",\"domains\":[\"$D1\"],\"actions\":[\"view\",\"submit\"],\"valid_until\":\"$UNTIL\",\"may_subdelegate\":true,\"note\":\"kế toán\"}"
expect_eq "someone not the representative cannot grant: 403" 403 "$(create "$OTHER" "$GRANT")"
expect_eq "...not-representative" not-representative "$(problem)"
expect_eq "a code nobody registered: 403 alike" 403 "$(create "$REP" "${GRANT/$CODE/0399999998}")"
expect_eq "...not-representative" not-representative "$(problem)"
expect_eq "level 1: 401 step-up" 401 "$(create "$(login "$NREP" 1)" "$GRANT")"
expect_eq "a malformed code: 422" 422 "$(create "$REP" "${GRANT/$CODE/12ab}")"
expect_eq "...named" "grantor_org:invalid-format" "$(errors)"
expect_eq "with a parent: 422" 422 "$(create "$REP" "${GRANT/\"grantor_org\"/\"parent_id\":\"00000000-0000-4000-8000-000000000000\",\"grantor_org\"}")"
expect_eq "...named" "grantor_org:not-with-parent" "$(errors)"
expect_eq "nothing made by the refusals" 0 "$(psql_cong "SELECT count(*) FROM mandates WHERE grantor = '$OSUB'")"
expect_eq "the representative grants: 201" 201 "$(create "$REP" "$GRANT")"
M=$(field id) MCODE=$(field acceptance_code)
expect_eq "...grantor: the organization" "$OSUB" "$(field grantor)"
expect_eq "...given by the organization (not by the person who represents it today)" "$OSUB" "$(field delegated_by)"
expect_eq "...the employee, by subject" "$SEMP" "$(field grantee)"
expect_eq "...audited: the representative acted for the organization" "$SREP|citizen|$OSUB|$CODE" \
  "$(psql_cong "SELECT actor, actor_kind, subject, detail->>'organization' FROM audit_records WHERE action = 'mandate.create' AND object = 'mandate:$M'")"
expect_eq "the employee cannot exchange it before accepting" 400 "$(call "$EMP" POST /v1/auth/token-exchange \
  --data-urlencode "grant_type=urn:ietf:params:oauth:grant-type:token-exchange" --data-urlencode "subject_token=$M" \
  --data-urlencode "subject_token_type=urn:cong:params:oauth:token-type:mandate")"
expect_eq "the employee accepts with the code" 200 "$(post "$EMP1" "/v1/mandates/$M/accept" "{\"acceptance_code\":\"$MCODE\"}")"
expect_eq "...active" active "$(field status)"
expect_eq "the representative may name themselves (to act for the organization in person): 201" 201 \
  "$(create "$REP" "{\"grantor_org\":\"$CODE\",\"grantee_citizen_number\":\"$NREP\",\"procedures\":[\"$P1\"],\"actions\":[\"view\"],\"valid_until\":\"$UNTIL\"}")"
expect_eq "...grantor the organization, grantee themselves" "$OSUB $SREP" "$(field grantor) $(field grantee)"
expect_eq "a citizen's own mandate to themselves stays refused: 422" 422 \
  "$(create "$REP" "{\"grantee_citizen_number\":\"$NREP\",\"procedures\":[\"$P1\"],\"actions\":[\"view\"],\"valid_until\":\"$UNTIL\"}")"
expect_eq "...self" "grantee_citizen_number:self" "$(errors)"
# a mandate that lets the employee pay only (for the 403 below)
create "$REP" "{\"grantor_org\":\"$CODE\",\"grantee_citizen_number\":\"$NEMP\",\"domains\":[\"$D1\"],\"actions\":[\"pay\"],\"valid_until\":\"$UNTIL\"}" >/dev/null
MPAY=$(field id); post "$EMP" "/v1/mandates/$MPAY/accept" "{\"acceptance_code\":\"$(field acceptance_code)\"}" >/dev/null

# ---- the employee exchanges (RFC 8693) and is admitted ----
exchange() { # TOKEN MANDATE → status; body in $GW_DIR/body
  call "$1" POST /v1/auth/token-exchange --data-urlencode "grant_type=urn:ietf:params:oauth:grant-type:token-exchange" \
    --data-urlencode "subject_token=$2" --data-urlencode "subject_token_type=urn:cong:params:oauth:token-type:mandate"
}
claims() { cut -d. -f2 <<<"$1" | python3 -S -c 'import base64,json,sys
s = sys.stdin.read().strip(); c = json.loads(base64.urlsafe_b64decode(s + "=" * (-len(s) % 4)))
m = c.get("mandate"); m = m if isinstance(m, dict) else {"id": m}
print(c["sub"], (c.get("act") or {}).get("sub"), m.get("id"), c.get("acr"))'; }
expect_eq "someone else cannot exchange the organization's mandate: 400" 400 "$(exchange "$OTHER" "$M")"
expect_eq "the representative neither (it is not theirs to use)" 400 "$(exchange "$REP" "$M")"
expect_eq "the employee exchanges at level 1: 200" 200 "$(exchange "$EMP1" "$M")"
expect_eq "...sub: the organization, act: the employee, the employee's level" "$OSUB $SEMP $M 1" "$(claims "$(field access_token)")"
expect_eq "the employee exchanges at level 2: 200" 200 "$(exchange "$EMP" "$M")"
ACTING=$(field access_token)
expect_eq "...at level 2" "$OSUB $SEMP $M 2" "$(claims "$ACTING")"
expect_eq "...audited under the mandate" 1 "$(psql_cong "SELECT count(*) FROM audit_records WHERE action = 'mandate.exchange' AND mandate_id = '$M' AND actor = '$SEMP' AND subject = '$OSUB' AND request_id = '$(header x-request-id)'")"
expect_eq "acting for the organization: GET /v1/orgs/{code} 200" 200 "$(on "$H2C_PORT" "$ACTING" "/v1/orgs/$CODE")"
expect_eq "...as staff" "staff $OSUB" "$(python3 -S -c 'import json,sys; o=json.load(open(sys.argv[1])); print(o["caller"], o["subject"])' "$GW_DIR/on")"
expect_eq "...on the second instance too" 200 "$(on "$SECOND_PORT" "$ACTING" "/v1/orgs/$CODE")"
expect_eq "...each read audited under the mandate" 2 "$(psql_cong "SELECT count(*) FROM audit_records WHERE action = 'org.view' AND mandate_id = '$M' AND actor = '$SEMP' AND subject = '$OSUB'")"
expect_eq "...the principal: the organization, acted for by the employee" "$OSUB|$SEMP|$M" \
  "$(on "$H2C_PORT" "$ACTING" /v1/ping >/dev/null; python3 -S -c 'import json,sys; p=json.load(open(sys.argv[1]))["principal"]; print(p["subject"], p["actor"], p["mandate_id"], sep="|")' "$GW_DIR/on")"
expect_eq "another organization's code: 404" 404 "$(on "$H2C_PORT" "$ACTING" /v1/orgs/0399999997)"
# ---- the employee files for the organization with the exchanged token ----
file() { # TOKEN KEY PROCEDURE → status; the answer in $GW_DIR/body
  call "$1" POST /v1/dossiers -H 'content-type: application/json' -H "idempotency-key: $2" \
    -d "{\"procedure_code\":\"$3\",\"unit_code\":\"$UNIT\",\"form\":{}}"
}
expect_eq "acting for the organization, the employee files its procedure: 201" 201 "$(file "$ACTING" "e1-$RUNID" "$P_ORG")"
DOSSIER=$(field code)
expect_eq "...the organization's dossier, filed by the employee under the mandate" "$OSUB|$SEMP|$M" \
  "$(psql_cong "SELECT subject || '|' || submitted_by || '|' || mandate_id FROM dossiers WHERE code = '$DOSSIER'")"
expect_eq "...the use audited under the mandate" 1 "$(psql_cong "SELECT count(*) FROM audit_records WHERE action = 'mandate.use' AND mandate_id = '$M' AND actor = '$SEMP' AND subject = '$OSUB'")"
expect_eq "the employee's own token on the organization procedure: 403" 403 "$(file "$EMP" "e2-$RUNID" "$P_ORG")"
expect_eq "...applicant-not-allowed" applicant-not-allowed "$(problem)"
expect_eq "a procedure outside the mandate's domain: 403" 403 "$(file "$ACTING" "e3-$RUNID" "$P3")"
expect_eq "...mandate-does-not-cover" mandate-does-not-cover "$(problem)"
expect_eq "...nothing else filed for the organization" 1 "$(psql_cong "SELECT count(*) FROM dossiers WHERE subject = '$OSUB'")"
exchange "$EMP" "$MPAY" >/dev/null; PAYING=$(field access_token)
expect_eq "a mandate without 'view': 403" 403 "$(on "$H2C_PORT" "$PAYING" "/v1/orgs/$CODE")"
expect_eq "...mandate-does-not-cover" mandate-does-not-cover "$(on_type)"
expect_eq "without a mandate (the employee's own token): the organization is not shown (404)" 404 "$(on "$H2C_PORT" "$EMP" "/v1/orgs/$CODE")"
expect_eq "acting, no mandate is granted for the organization: 403" 403 "$(create "$ACTING" "$GRANT")"
expect_eq "...mandate-does-not-cover" mandate-does-not-cover "$(problem)"

# ---- uses inside the scope (as a module counts them in its transaction: cong_mandate_use) ----
use() { psql_cong "SELECT cong_mandate_use('$M', '$SEMP', '$1', '$2', '$3', 'dossier:T-$RUNID', 'r-$RUNID-$1', 'procedures')"; }
expect_eq "a procedure of the mandate's domain, submit: ok" ok "$(use submit "$P1" "$D1")"
expect_eq "another domain: not-covered" not-covered "$(use submit "$P3" "$D2")"
expect_eq "an action it lacks: not-covered" not-covered "$(use pay "$P1" "$D1")"
expect_eq "not the grantee: not-found" not-found "$(psql_cong "SELECT cong_mandate_use('$M', '$SOTHER', 'view', '$P1', '$D1', 'x', 'r', 'procedures')")"
expect_eq "the use audited for the organization (with the filing's)" 2 "$(psql_cong "SELECT count(*) FROM audit_records WHERE action = 'mandate.use' AND mandate_id = '$M' AND subject = '$OSUB' AND actor = '$SEMP'")"

# ---- the representative sees the organization's mandates and every use ----
ids() { body | python3 -S -c 'import json,sys; print(" ".join(m["id"] for m in json.load(sys.stdin)["mandates"]))'; }
expect_eq "the representative lists them" 200 "$(call "$REP" GET "/v1/mandates?org=$CODE")"
expect_match "...M" "$M" "$(ids)"
expect_match "...MPAY" "$MPAY" "$(ids)"
expect_eq "...active only" 200 "$(call "$REP" GET "/v1/mandates?org=$CODE&status=withdrawn")"
expect_eq "...none withdrawn yet" "" "$(ids)"
expect_eq "someone else: 403" 403 "$(call "$OTHER" GET "/v1/mandates?org=$CODE")"
expect_eq "...not-representative" not-representative "$(problem)"
expect_eq "the employee: 403" 403 "$(call "$EMP" GET "/v1/mandates?org=$CODE")"
expect_eq "a malformed code: 422" 422 "$(call "$REP" GET "/v1/mandates?org=x1")"
expect_eq "the representative reads one" 200 "$(call "$REP" GET "/v1/mandates/$M")"
expect_eq "someone else does not: 404" 404 "$(call "$OTHER" GET "/v1/mandates/$M")"
expect_eq "its uses, to the representative" 200 "$(call "$REP" GET "/v1/mandates/$M/uses")"
uses() { body | python3 -S -c 'import json,sys; print(" ".join(sorted(u["action"] for u in json.load(sys.stdin)["uses"])))'; }
expect_eq "...every exchange, read and use" "mandate.exchange mandate.exchange mandate.use mandate.use org.view org.view" "$(uses)"
expect_eq "...each by the employee" "$SEMP" "$(body | python3 -S -c 'import json,sys; print(" ".join(sorted({u["actor"] for u in json.load(sys.stdin)["uses"]})))')"
first=$(body | python3 -S -c 'import json,sys; print(json.load(sys.stdin)["uses"][0]["id"])')
expect_eq "...paged with before" 200 "$(call "$REP" GET "/v1/mandates/$M/uses?before=$first")"
expect_eq "...the older ones" 5 "$(body | python3 -S -c 'import json,sys; print(len(json.load(sys.stdin)["uses"]))')"
expect_eq "a bad before: 422" 422 "$(call "$REP" GET "/v1/mandates/$M/uses?before=x")"
expect_eq "the uses, to someone else: 404" 404 "$(call "$OTHER" GET "/v1/mandates/$M/uses")"
expect_eq "...to the employee: 404" 404 "$(call "$EMP" GET "/v1/mandates/$M/uses")"

# ---- only the CURRENT representative: the organization names another one ----
psql_cong "UPDATE organizations SET representative = '$SREP2' WHERE id = '$ORG'" >/dev/null
expect_eq "the former representative cannot grant: 403" 403 "$(create "$REP" "$GRANT")"
expect_eq "...nor list: 403" 403 "$(call "$REP" GET "/v1/mandates?org=$CODE")"
expect_eq "...nor withdraw: 404" 404 "$(post "$REP" "/v1/mandates/$MPAY/withdraw")"
expect_eq "...nor see the uses: 404" 404 "$(call "$REP" GET "/v1/mandates/$M/uses")"
expect_eq "the new representative lists them" 200 "$(call "$REP2" GET "/v1/mandates?org=$CODE")"
expect_match "...M" "$M" "$(ids)"
expect_eq "the new representative withdraws MPAY: 200" 200 "$(post "$REP2" "/v1/mandates/$MPAY/withdraw")"
psql_cong "UPDATE organizations SET representative = '$SREP' WHERE id = '$ORG'" >/dev/null

# ---- a sub-mandate keeps the organization as grantor; withdrawal cascades ----
expect_eq "the employee passes part on: 201" 201 "$(create "$EMP" "{\"grantee_citizen_number\":\"$NOTHER\",\"parent_id\":\"$M\",\"procedures\":[\"$P1\"],\"actions\":[\"view\"],\"valid_until\":\"$UNTIL\"}")"
CHILD=$(field id)
expect_eq "...grantor: the organization" "$OSUB" "$(field grantor)"
expect_eq "...delegated by the employee" "$SEMP" "$(field delegated_by)"
post "$OTHER" "/v1/mandates/$CHILD/accept" "{\"acceptance_code\":\"$(field acceptance_code)\"}" >/dev/null
exchange "$OTHER" "$CHILD" >/dev/null; CHILD_ACTING=$(field access_token)
expect_eq "...acting under it" 200 "$(on "$SECOND_PORT" "$CHILD_ACTING" "/v1/orgs/$CODE")"
expect_eq "the employee cannot withdraw the organization's mandate: 404" 404 "$(post "$EMP" "/v1/mandates/$M/withdraw")"
expect_eq "nor someone else: 404" 404 "$(post "$OTHER" "/v1/mandates/$M/withdraw")"
expect_eq "before: acting on both instances" "200 200" "$(on "$H2C_PORT" "$ACTING" "/v1/orgs/$CODE") $(on "$SECOND_PORT" "$ACTING" "/v1/orgs/$CODE")"
expect_eq "the representative withdraws: 200" 200 "$(post "$REP" "/v1/mandates/$M/withdraw")"
expect_eq "...withdrawn, with the sub-mandate" "withdrawn withdrawn" "$(mstatus "$M") $(mstatus "$CHILD")"
expect_eq "the next call with the exchanged token: 403 on this instance" 403 "$(on "$H2C_PORT" "$ACTING" "/v1/orgs/$CODE")"
expect_eq "...mandate-not-active" mandate-not-active "$(on_type)"
expect_eq "...and on the other" 403 "$(on "$SECOND_PORT" "$ACTING" "/v1/orgs/$CODE")"
expect_eq "...the sub-mandate's token too" 403 "$(on "$SECOND_PORT" "$CHILD_ACTING" "/v1/orgs/$CODE")"
expect_eq "...no exchange any more" 400 "$(exchange "$EMP" "$M")"
expect_eq "...the employee's own token still works" 200 "$(on "$SECOND_PORT" "$EMP" /v1/me)"
expect_eq "the withdrawal audited: the representative's" "$SREP" "$(psql_cong "SELECT actor FROM audit_records WHERE action = 'mandate.withdraw' AND object = 'mandate:$M'")"
expect_eq "the representative sees it withdrawn" 200 "$(call "$REP" GET "/v1/mandates?org=$CODE&status=withdrawn")"
expect_match "...M" "$M" "$(ids)"

# ---- suspension: the organization's mandates unusable until it is active again ----
create "$REP" "{\"grantor_org\":\"$CODE\",\"grantee_citizen_number\":\"$NEMP\",\"procedures\":[\"$P1\"],\"actions\":[\"view\"],\"valid_until\":\"$UNTIL\"}" >/dev/null
M2=$(field id); post "$EMP" "/v1/mandates/$M2/accept" "{\"acceptance_code\":\"$(field acceptance_code)\"}" >/dev/null
exchange "$EMP" "$M2" >/dev/null; ACT2=$(field access_token)
expect_eq "acting under M2" 200 "$(on "$SECOND_PORT" "$ACT2" "/v1/orgs/$CODE")"
expect_eq "org suspend" 0 "$(cong_cmd org suspend "$CODE")"
refused_on() { [ "$(on "$1" "$ACT2" "/v1/orgs/$CODE")" = 403 ]; }
wait_until 10 refused_on "$H2C_PORT"; expect_eq "suspended: the live acting-for token refused here" 0 $?
wait_until 10 refused_on "$SECOND_PORT"; expect_eq "...and on the other instance" 0 $?
expect_eq "...no exchange" 400 "$(exchange "$EMP" "$M2")"
expect_eq "...no grant: 403" 403 "$(create "$REP" "$GRANT")"
expect_eq "...organization-suspended" organization-suspended "$(problem)"
expect_eq "...the mandate itself stays" active "$(mstatus "$M2")"
expect_eq "org activate" 0 "$(cong_cmd org activate "$CODE")"
expect_eq "active again: the mandate is exchanged" 200 "$(exchange "$EMP" "$M2")"

# ---- VNeID organization login ----
ORG_CLAIMS="\"account_type\":\"organization\",\"org_tax_code\":\"$NEWCODE\",\"org_name\":\"Công ty Cổ phần Mới $RUNID\""
expect_eq "an organization account's login: 200" 200 "$(vneid_exchange "$(mint "{\"sub\":\"$NNEW\",\"acr\":\"2\",\"auth_time\":$(date +%s),$ORG_CLAIMS}")")"
NEW_TOKEN=$(field access_token)
expect_eq "...the organization created" "True $NEWCODE" "$(body | python3 -S -c 'import json,sys; o=json.load(sys.stdin)["organization"]; print(o["created"], o["code"])')"
NEWORG=$(body | python3 -S -c 'import json,sys; print(json.load(sys.stdin)["organization"]["id"])')
SNEW=$(subject_of "$NEW_TOKEN")
expect_eq "...the representative logged in (their own subject, level 2)" "$SNEW 2" "$(h2c -H "authorization: Bearer $NEW_TOKEN" "$(url /v1/me)" | python3 -S -c 'import json,sys; m=json.load(sys.stdin); print(m["subject"], m["loa"])')"
expect_eq "...registered with them as representative" "$NEWORG|$SNEW|active|Công ty Cổ phần Mới $RUNID" \
  "$(psql_cong "SELECT id, representative, status, name FROM organizations WHERE code = '$NEWCODE'")"
expect_eq "...audited: created through VNeID by the representative" "$SNEW|vneid" \
  "$(psql_cong "SELECT actor, detail->>'via' FROM audit_records WHERE action = 'org.create' AND object = 'org:$NEWORG'")"
expect_eq "...the login audited with the organization" "org:$NEWORG" \
  "$(psql_cong "SELECT detail->>'organization' FROM audit_records WHERE action IN ('auth.step_up', 'auth.login') AND actor = '$SNEW' ORDER BY id DESC LIMIT 1")"
expect_eq "the representative sees the organization" 200 "$(call "$NEW_TOKEN" GET "/v1/orgs/$NEWCODE")"
expect_eq "the same login again: 200" 200 "$(vneid_exchange "$(mint "{\"sub\":\"$NNEW\",\"acr\":\"1\",$ORG_CLAIMS}")")"
expect_eq "...found, not created" "False $NEWORG" "$(body | python3 -S -c 'import json,sys; o=json.load(sys.stdin)["organization"]; print(o["created"], o["id"])')"
expect_eq "...one organization" 1 "$(psql_cong "SELECT count(*) FROM organizations WHERE code = '$NEWCODE'")"
expect_eq "VNeID says another name: 200" 200 "$(vneid_exchange "$(mint "{\"sub\":\"$NNEW\",\"acr\":\"1\",${ORG_CLAIMS/Mới/Đổi tên}}")")"
expect_eq "...the name is VNeID's now, audited" "Công ty Cổ phần Đổi tên $RUNID|1" "$(psql_cong "SELECT name, (SELECT count(*) FROM audit_records WHERE action = 'org.rename' AND object = 'org:$NEWORG') FROM organizations WHERE code = '$NEWCODE'")"
ORG_CLAIMS=${ORG_CLAIMS/Mới/Đổi tên}
expect_eq "...who can grant for it at once" 201 "$(create "$(login "$NNEW" 2)" "{\"grantor_org\":\"$NEWCODE\",\"grantee_citizen_number\":\"$NEMP\",\"procedures\":[\"$P1\"],\"actions\":[\"view\"],\"valid_until\":\"$UNTIL\"}")"
sessions_before=$(redis-cli -p "$REDIS_PORT" SCARD "cong:sessions:$SOTHER")
expect_eq "the organization's account with another representative: 403" 403 \
  "$(vneid_exchange "$(mint "{\"sub\":\"$NOTHER\",\"acr\":\"2\",$ORG_CLAIMS}")")"
expect_eq "...organization-representative-mismatch" organization-representative-mismatch "$(problem)"
expect_match "...said in both languages" "representative" "$(call "" POST /v1/auth/vneid/exchange -H 'accept-language: en' -H 'content-type: application/json' -d "{\"id_token\":\"$(mint "{\"sub\":\"$NOTHER\",\"acr\":\"2\",$ORG_CLAIMS}")\"}" >/dev/null; field detail)"
expect_eq "...no token, no session" "$sessions_before" "$(redis-cli -p "$REDIS_PORT" SCARD "cong:sessions:$SOTHER")"
expect_eq "...nothing changed" "$SNEW" "$(psql_cong "SELECT representative FROM organizations WHERE code = '$NEWCODE'")"
expect_eq "...the refusal audited" 2 "$(psql_cong "SELECT count(*) FROM audit_records WHERE action = 'org.login_refused' AND object = 'org:$NEWORG' AND actor = '$SOTHER'")"
expect_eq "...shown to the registered representative among who used their data" 200 "$(call "$NEW_TOKEN" GET "/v1/me/access-log?limit=5")"
expect_match "...in their words" "signed in to the VNeID account of an organization you represent" "$(call "$NEW_TOKEN" GET "/v1/me/access-log?limit=5" -H 'accept-language: en' >/dev/null; body)"
expect_eq "the demo's organization through VNeID with its representative: found" 200 \
  "$(vneid_exchange "$(mint "{\"sub\":\"$NREP\",\"acr\":\"1\",\"account_type\":\"organization\",\"org_tax_code\":\"$CODE\",\"org_name\":\"Công ty TNHH Nhân viên $RUNID\"}")")"
expect_eq "...the same organization" "False $ORG" "$(body | python3 -S -c 'import json,sys; o=json.load(sys.stdin)["organization"]; print(o["created"], o["id"])')"
expect_eq "an organization account without a tax code: 401" 401 \
  "$(vneid_exchange "$(mint "{\"sub\":\"$NNEW\",\"acr\":\"1\",\"account_type\":\"organization\",\"org_name\":\"X\"}")")"
expect_eq "a malformed tax code: 401" 401 \
  "$(vneid_exchange "$(mint "{\"sub\":\"$NNEW\",\"acr\":\"1\",\"account_type\":\"organization\",\"org_tax_code\":\"12-3\",\"org_name\":\"X\"}")")"
expect_eq "an unknown account type: 401" 401 "$(vneid_exchange "$(mint "{\"sub\":\"$NNEW\",\"acr\":\"1\",\"account_type\":\"robot\"}")")"
expect_eq "a citizen's own account (account_type citizen): 200, no organization" "200 " \
  "$(vneid_exchange "$(mint "{\"sub\":\"$NNEW\",\"acr\":\"1\",\"account_type\":\"citizen\"}")") $(field organization)"
cong_cmd org suspend "$NEWCODE" >/dev/null
expect_eq "a suspended organization's login: 403" 403 "$(vneid_exchange "$(mint "{\"sub\":\"$NNEW\",\"acr\":\"1\",$ORG_CLAIMS}")")"
expect_eq "...organization-suspended" organization-suspended "$(problem)"

# ---- never a citizen number in what cong keeps or logs ----
leaks=$(psql_cong "SELECT count(*) FROM (SELECT detail::text AS t FROM audit_records UNION ALL SELECT payload::text FROM push_outbox
  UNION ALL SELECT m::text FROM mandates m UNION ALL SELECT o::text FROM organizations o) x
  WHERE t LIKE '%$NEMP%' OR t LIKE '%$NREP%' OR t LIKE '%$NNEW%' OR t LIKE '%$NOTHER%'")
expect_eq "no citizen number in PostgreSQL" 0 "$leaks"
expect_no_match "no citizen number in the logs" "$NEMP|$NREP|$NNEW|$NOTHER" "$(cat "$GW_DIR/stderr" "$GW_DIR/access.log")"
GW_NAME=second GW_PID=$SECOND_PID stop_gateway
finish

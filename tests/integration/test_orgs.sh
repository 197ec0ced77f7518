#!/usr/bin/env bash
# Organizations (modules/orgs, issue 18): `cong org create` with the representative's citizen number read from stdin
# (never argv, never stored: only their subject), bad tax codes refused; a client of the organization
# (`cong client create --org`) gets a token whose "sub" is the organization's subject "org:<id>", which reaches the
# organization's dossiers (level 0; a plain client is refused 403: test_org_dossiers.sh has the rest); GET /v1/orgs/{code}
# answers its own clients and its representative, and 404 to another organization's client, a plain client and
# another citizen, as for a code nobody registered (422 for a code that is no tax code); a suspended organization's
# clients get no token and their live tokens are refused; client secrets rotate with overlap (both valid until
# finish-rotation or the overlap's end); private_key_jwt assertions accepted once each and every bad one refused;
# PostgreSQL down → 503 with Retry-After. Real Redis and PostgreSQL (through a relay), HTTP/2 over h2c.
source "$(dirname "$0")/lib.sh"
vneid_start
ENV=("${IDENTITY_ENV[@]}" CONG_AUTH_ACCESS_TOKEN_TTL_S=600 CONG_RATE_LIMITS_DEFAULT_BURST=1000
  CONG_RATE_LIMITS_DEFAULT_PER_MINUTE=100000)
relay_start PGRELAY "$PG_PORT" || { bad "PostgreSQL relay"; finish; exit 1; }
ENV+=(CONG_POSTGRES_CONNINFO="host=127.0.0.1 port=$PGRELAY_PORT dbname=cong user=cong connect_timeout=1")
start_gateway "${ENV[@]}" || exit 1
wait_stores_up || { finish; exit 1; }

cong_cmd() { # NAME ARGS... — a cong command against the test stores; stdout in $GW_DIR/out, stderr in $GW_DIR/err
  env CONG_POSTGRES_CONNINFO="host=127.0.0.1 port=$PG_PORT dbname=cong user=cong" CONG_REDIS_PORT="$REDIS_PORT" \
    CONG_AUTH_SUBJECT_SECRET_FILE="$GW_DIR/subject-secret" ASAN_OPTIONS=detect_leaks=0 \
    "$BUILD/cong" "$@" >"$GW_DIR/out" 2>"$GW_DIR/err"
  echo $?
}
out() { cat "$GW_DIR/out"; }
err() { cat "$GW_DIR/err"; }

RUNID=$(((RANDOM << 15 | RANDOM) % 100000000))
CODE_A=$(printf '01%08d' "$RUNID") CODE_B=$(printf '02%08d' "$RUNID") BRANCH_A="$(printf '01%08d' "$RUNID")-001"
NREP=$(printf '0010%08d' "$RUNID") NOTHER=$(printf '0020%08d' "$RUNID")
login() { # CITIZEN → a level-1 cong access token
  local id_token
  id_token=$(curl -s -X POST -H 'content-type: application/json' \
    -d "{\"sub\":\"$1\",\"acr\":\"1\",\"auth_time\":$(date +%s)}" "$VNEID/test/mint" | json id_token)
  h2c -H 'content-type: application/json' -d "{\"id_token\":\"$id_token\",\"device\":{\"id\":\"d\",\"name\":\"n\",\"platform\":\"ios\"}}" \
    "$(url /v1/auth/vneid/exchange)" | json access_token
}
REP=$(login "$NREP") OTHER=$(login "$NOTHER")
REP_SUB=$(h2c -H "authorization: Bearer $REP" "$(url /v1/me)" | json subject)

# ---- cong org create ----
expect_eq "org create: the number from stdin" 0 \
  "$(echo "$NREP" | cong_cmd org create --code "$CODE_A" --name "Công ty TNHH Sông Hồng" --representative-citizen-file -)"
ORG_A=$(out | sed -n 's/^organization: //p')
expect_match "org created: its id" '^[0-9a-f-]{36}$' "$ORG_A"
expect_match "org created: its subject" "subject: org:$ORG_A" "$(out)"
expect_eq "the representative stored as their subject" "$REP_SUB" \
  "$(psql_cong "SELECT representative FROM organizations WHERE code = '$CODE_A'")"
expect_eq "the citizen number stored nowhere" 0 \
  "$(psql_cong "SELECT count(*) FROM organizations o JOIN audit_records a ON a.object = 'org:' || o.id
                WHERE o.code = '$CODE_A' AND (o::text LIKE '%$NREP%' OR a::text LIKE '%$NREP%')")"
expect_eq "recorded: org.create" "admin|$REP_SUB" \
  "$(psql_cong "SELECT actor, subject FROM audit_records WHERE action = 'org.create' AND object = 'org:$ORG_A'")"
expect_eq "created twice: exit 0" 0 \
  "$(echo "$NREP" | cong_cmd org create --code "$CODE_A" --name "Công ty TNHH Sông Hồng" --representative-citizen-file -)"
expect_match "created twice: nothing changed" "nothing changed" "$(out)"
printf '%s\n' "$NREP" >"$GW_DIR/rep-number"
expect_eq "a branch code, the number from a file" 0 \
  "$(cong_cmd org create --code "$BRANCH_A" --name "Chi nhánh Gia Lâm" --representative-citizen-file "$GW_DIR/rep-number")"
expect_eq "another organization, by subject" 0 \
  "$(cong_cmd org create --code "$CODE_B" --name "Hợp tác xã Đông Anh" --representative-subject "$REP_SUB")"
for bad in 123 01234567890 012345678a "$CODE_A-000" "$CODE_A-01" "$CODE_A/001"; do
  expect_eq "bad tax code $bad: usage (2)" 2 \
    "$(echo "$NREP" | cong_cmd org create --code "$bad" --name X --representative-citizen-file -)"
  expect_match "bad tax code $bad: said" "not an enterprise/tax code" "$(err)"
done
expect_eq "a citizen number in argv: refused" 2 \
  "$(cong_cmd org create --code 0399999999 --name X --representative-citizen "$NREP")"
expect_match "... and why" "never goes on the command line" "$(err)"
expect_eq "a malformed citizen number: refused" 2 \
  "$(echo 12ab | cong_cmd org create --code 0399999999 --name X --representative-citizen-file -)"
expect_eq "nothing created by the refusals" 0 "$(psql_cong "SELECT count(*) FROM organizations WHERE code = '0399999999'")"
expect_eq "org list" 0 "$(cong_cmd org list)"
expect_match "org list shows it" "$CODE_A +active +$ORG_A" "$(out)"

# ---- clients of organizations ----
new_client() { # NAME [create options] → "client_id secret"
  cong_cmd client create "$@" >/dev/null
  echo "$(out | sed -n 's/^client_id: //p') $(out | sed -n 's/^client_secret: //p')"
}
read -r CID_A SECRET_A <<<"$(new_client "Sông Hồng ERP" --scopes "ping" --org "$CODE_A")"
read -r CID_B SECRET_B <<<"$(new_client "Đông Anh ERP" --scopes "ping" --org "$CODE_B")"
read -r CID_P SECRET_P <<<"$(new_client "Đối tác" --scopes "ping")"
expect_match "a client of the organization" '^c_' "$CID_A"
expect_eq "a client of an unknown organization: not found (3)" 3 "$(cong_cmd client create X --org 0388888888)"
tok() { # CLIENT SECRET → status; the answer in $GW_DIR/t
  h2c -o "$GW_DIR/t" -w '%{http_code}' -d "grant_type=client_credentials&client_id=$1&client_secret=$2" "$(url /v1/auth/token)"
}
claims() { python3 -c 'import base64,json,sys; p=sys.argv[1].split(".")[1]; c=json.loads(base64.urlsafe_b64decode(p+"="*(-len(p)%4))); print(c.get("sub"), c.get("client_id"), c.get("scope"))' "$1"; }
expect_eq "org client: token" 200 "$(tok "$CID_A" "$SECRET_A")"
A=$(json access_token <"$GW_DIR/t")
expect_eq "its token: sub is the organization, client_id the client, the client's scopes" "org:$ORG_A $CID_A ping" "$(claims "$A")"
principal=$(h2c -H "authorization: Bearer $A" "$(url /v1/ping)")
expect_eq "the principal's subject is the organization" "org:$ORG_A" \
  "$(echo "$principal" | python3 -S -c 'import json,sys; print(json.load(sys.stdin)["principal"]["subject"])')"
# the organization's dossiers (a level-0 token reaches them: test_org_dossiers.sh files, pays and reads them)
expect_eq "its dossiers: the organization's own list" "200 0" "$(call "$A" GET /v1/dossiers) $(field total)"
tok "$CID_B" "$SECRET_B" >/dev/null; B=$(json access_token <"$GW_DIR/t")
tok "$CID_P" "$SECRET_P" >/dev/null; P=$(json access_token <"$GW_DIR/t")
expect_eq "a plain client's token: sub is the client, as before" "$CID_P $CID_P ping" "$(claims "$P")"
expect_eq "a plain client has no dossiers: 403" 403 "$(call "$P" GET /v1/dossiers)"
expect_eq "... applicant-not-allowed" "https://cong.hanoi.gov.vn/problems/applicant-not-allowed" "$(field type)"

# ---- GET /v1/orgs/{code} ----
expect_eq "its own client: 200" 200 "$(call "$A" GET "/v1/orgs/$CODE_A")"
expect_eq "... the organization" "$ORG_A $CODE_A active org:$ORG_A client" \
  "$(body | python3 -S -c 'import json,sys; o=json.load(sys.stdin); print(o["id"], o["code"], o["status"], o["subject"], o["caller"])')"
expect_eq "... never cached" "no-store" "$(header cache-control)"
expect_eq "its representative: 200" 200 "$(call "$REP" GET "/v1/orgs/$CODE_A")"
expect_eq "... as its representative" representative "$(field caller)"
expect_eq "another organization's client: 404" 404 "$(call "$B" GET "/v1/orgs/$CODE_A")"
expect_eq "... not-found, as for nobody" "https://cong.hanoi.gov.vn/problems/not-found" "$(field type)"
expect_eq "a plain client: 404" 404 "$(call "$P" GET "/v1/orgs/$CODE_A")"
expect_eq "a citizen who is not the representative: 404" 404 "$(call "$OTHER" GET "/v1/orgs/$CODE_A")"
expect_eq "the branch is not the enterprise's client's: 404" 404 "$(call "$A" GET "/v1/orgs/$BRANCH_A")"
expect_eq "the representative sees the branch" 200 "$(call "$REP" GET "/v1/orgs/$BRANCH_A")"
expect_eq "a code nobody registered: 404" 404 "$(call "$REP" GET /v1/orgs/0377777777)"
expect_eq "no tax code at all: 422" 422 "$(call "$REP" GET /v1/orgs/12ab)"
expect_eq "... validation-failed on code" "https://cong.hanoi.gov.vn/problems/validation-failed code" \
  "$(body | python3 -S -c 'import json,sys; o=json.load(sys.stdin); print(o["type"], o["errors"][0]["field"])')"
expect_match "... problem+json" "application/problem\+json" "$(header content-type)"
expect_eq "without a token: 401" 401 "$(call "" GET "/v1/orgs/$CODE_A")"

# ---- suspension ----
expect_eq "org suspend" 0 "$(cong_cmd org suspend "$CODE_A")"
expect_eq "a suspended organization's client gets no token" 401 "$(tok "$CID_A" "$SECRET_A")"
live_refused() { [ "$(call "$A" GET "/v1/orgs/$CODE_A")" = 401 ]; }
wait_until 5 live_refused; expect_eq "its live token refused" 0 $?
expect_eq "suspended twice: exit 0" 0 "$(cong_cmd org suspend "$CODE_A")"
expect_match "... nothing changed" "nothing changed" "$(out)"
expect_eq "the representative still sees it, suspended" "200 suspended" \
  "$(call "$REP" GET "/v1/orgs/$CODE_A") $(field status)"
expect_eq "org activate" 0 "$(cong_cmd org activate "$CODE_A")"
expect_eq "active again: a token" 200 "$(tok "$CID_A" "$SECRET_A")"
expect_eq "suspend an unknown code: 3" 3 "$(cong_cmd org suspend 0366666666)"

# ---- client secrets rotate with overlap ----
expect_eq "rotate-secret" 0 "$(cong_cmd client rotate-secret "$CID_A")"
NEW_A=$(out | sed -n 's/^client_secret: //p')
expect_match "the new secret, shown once" '^[A-Za-z0-9_-]{43}$' "$NEW_A"
expect_eq "during the rotation the old secret works" 200 "$(tok "$CID_A" "$SECRET_A")"
expect_eq "... and the new one" 200 "$(tok "$CID_A" "$NEW_A")"
expect_eq "... acting for the organization" "org:$ORG_A $CID_A ping" "$(claims "$(json access_token <"$GW_DIR/t")")"
expect_eq "a wrong secret still refused" 401 "$(tok "$CID_A" "x$NEW_A")"
expect_eq "a second rotation while one is under way: refused (1)" 1 "$(cong_cmd client rotate-secret "$CID_A")"
expect_match "... finish it first" "finish-rotation" "$(err)"
expect_eq "finish-rotation" 0 "$(cong_cmd client finish-rotation "$CID_A")"
expect_eq "after it, the old secret is refused" 401 "$(tok "$CID_A" "$SECRET_A")"
expect_eq "... the new one works" 200 "$(tok "$CID_A" "$NEW_A")"
expect_eq "finished twice: exit 0" 0 "$(cong_cmd client finish-rotation "$CID_A")"
expect_match "... nothing changed" "nothing changed" "$(out)"
expect_eq "rotate an unknown client: 3" 3 "$(cong_cmd client rotate-secret c_nobody)"
expect_eq "a bad overlap: usage (2)" 2 "$(cong_cmd client rotate-secret "$CID_P" --overlap-hours 0)"
# the overlap's end: the old secret expires by itself (its end moved into the past instead of waiting an hour)
expect_eq "rotate with a one-hour overlap" 0 "$(cong_cmd client rotate-secret "$CID_P" --overlap-hours 1)"
NEW_P=$(out | sed -n 's/^client_secret: //p')
expect_eq "the old secret within the overlap" 200 "$(tok "$CID_P" "$SECRET_P")"
psql_cong "UPDATE api_clients SET previous_secret_expires_at = now() - interval '1 second' WHERE client_id = '$CID_P'"
expect_eq "the old secret after the overlap: refused" 401 "$(tok "$CID_P" "$SECRET_P")"
expect_eq "... the new one works" 200 "$(tok "$CID_P" "$NEW_P")"
expect_eq "a rotation after an expired one needs no finish" 0 "$(cong_cmd client rotate-secret "$CID_P")"
expect_eq "secrets stored hashed" 0 "$(psql_cong "SELECT count(*) FROM api_clients WHERE client_id IN ('$CID_A', '$CID_P')
  AND (secret_hash IN ('$NEW_A', '$NEW_P', '$SECRET_A') OR previous_secret_hash IN ('$SECRET_P', '$NEW_P'))")"
expect_eq "recorded: one rotation (the refused one none), one finish" "1|1" "$(psql_cong "SELECT count(*) FILTER (WHERE action = 'client.rotate_secret'),
  count(*) FILTER (WHERE action = 'client.finish_rotation') FROM audit_records WHERE object = 'client:$CID_A'")"

# ---- private_key_jwt (RFC 7523): a client signs an assertion with its own key ----
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$GW_DIR/client.key" 2>/dev/null
openssl pkey -in "$GW_DIR/client.key" -pubout -out "$GW_DIR/client.pub" 2>/dev/null
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$GW_DIR/other.key" 2>/dev/null
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$GW_DIR/rsa.key" 2>/dev/null
openssl pkey -in "$GW_DIR/rsa.key" -pubout -out "$GW_DIR/rsa.pub" 2>/dev/null
ENDPOINT="$ISSUER/v1/auth/token"
assertion() { python3 "$SRC/tests/integration/client_assertion.py" "$@"; }
by_key() { # ASSERTION [extra form fields] → status; the answer in $GW_DIR/t
  h2c -o "$GW_DIR/t" -w '%{http_code}' -d "grant_type=client_credentials&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer&client_assertion=$1${2:+&$2}" "$(url /v1/auth/token)"
}
expect_eq "no key registered yet: 401" 401 "$(by_key "$(assertion "$GW_DIR/client.key" "$CID_A" "$ENDPOINT")")"
expect_eq "set-key: an RSA key is refused (2)" 2 "$(cong_cmd client set-key "$CID_A" --public-key-file "$GW_DIR/rsa.pub")"
expect_eq "set-key" 0 "$(cong_cmd client set-key "$CID_A" --public-key-file "$GW_DIR/client.pub")"
expect_eq "set-key of an unknown client: 3" 3 "$(cong_cmd client set-key c_nobody --public-key-file "$GW_DIR/client.pub")"
JTI="jti-$RUNID"
expect_eq "an assertion for the token endpoint: 200" 200 "$(by_key "$(assertion "$GW_DIR/client.key" "$CID_A" "$ENDPOINT" --jti "$JTI")")"
expect_eq "... acting for the organization" "org:$ORG_A $CID_A ping" "$(claims "$(json access_token <"$GW_DIR/t")")"
expect_eq "the same jti again: refused (replay)" 401 "$(by_key "$(assertion "$GW_DIR/client.key" "$CID_A" "$ENDPOINT" --jti "$JTI")")"
expect_eq "the issuer as audience: 200" 200 "$(by_key "$(assertion "$GW_DIR/client.key" "$CID_A" "$ISSUER")")"
expect_eq "with client_id = its iss: 200" 200 "$(by_key "$(assertion "$GW_DIR/client.key" "$CID_A" "$ENDPOINT")" "client_id=$CID_A")"
expect_eq "with another client_id: 401" 401 "$(by_key "$(assertion "$GW_DIR/client.key" "$CID_A" "$ENDPOINT")" "client_id=$CID_B")"
expect_eq "and a secret too: 401" 401 "$(by_key "$(assertion "$GW_DIR/client.key" "$CID_A" "$ENDPOINT")" "client_secret=$NEW_A")"
expect_eq "signed by another key: 401" 401 "$(by_key "$(assertion "$GW_DIR/other.key" "$CID_A" "$ENDPOINT")")"
expect_eq "another audience: 401" 401 "$(by_key "$(assertion "$GW_DIR/client.key" "$CID_A" "https://elsewhere.example/token")")"
expect_eq "expired: 401" 401 "$(by_key "$(assertion "$GW_DIR/client.key" "$CID_A" "$ENDPOINT" --exp-in -5)")"
expect_eq "living too long (an hour): 401" 401 "$(by_key "$(assertion "$GW_DIR/client.key" "$CID_A" "$ENDPOINT" --exp-in 3600)")"
expect_eq "iss is another client: 401" 401 "$(by_key "$(assertion "$GW_DIR/client.key" "$CID_A" "$ENDPOINT" --iss "$CID_B")")"
expect_eq "alg none: 401" 401 "$(by_key "$(assertion "$GW_DIR/client.key" "$CID_A" "$ENDPOINT" --alg none)")"
expect_eq "a wrong assertion type: 401" 401 "$(h2c -o /dev/null -w '%{http_code}' -d "grant_type=client_credentials&client_assertion_type=x&client_assertion=$(assertion "$GW_DIR/client.key" "$CID_A" "$ENDPOINT")" "$(url /v1/auth/token)")"
expect_eq "the secret still works beside the key" 200 "$(tok "$CID_A" "$NEW_A")"
expect_eq "client list" 0 "$(cong_cmd client list)"
expect_match "client list: the organization and a key" "$CID_A .* $CODE_A +secret\+key " "$(out)"
expect_match "client list: a rotation under way" "$CID_P .* - +secret\+old " "$(out)"
expect_match "discovery lists private_key_jwt" "private_key_jwt" "$(h2c "$(url /.well-known/openid-configuration)")"

# ---- PostgreSQL down: 503 with Retry-After ----
relay_stop PGRELAY
wait_store_down postgres
expect_eq "PostgreSQL down: an organization is 503" "503 https://cong.hanoi.gov.vn/problems/service-unavailable" \
  "$(call "$REP" GET "/v1/orgs/$CODE_A") $(field type)"
expect_match "... with Retry-After" '^[0-9]+$' "$(header retry-after)"
expect_eq "... a client token too" 503 "$(tok "$CID_A" "$NEW_A")"
relay_start PGRELAY "$PG_PORT" "$PGRELAY_PORT" || bad "PostgreSQL relay restart"
wait_stores_up 30
expect_eq "PostgreSQL back: 200" 200 "$(call "$REP" GET "/v1/orgs/$CODE_A")"

# ---- what never leaks ----
logs=$(cat "$GW_DIR/stderr" "$GW_DIR/access.log" 2>/dev/null)
for secret in "$SECRET_A" "$NEW_A" "$SECRET_P" "$NEW_P" "$NREP"; do
  expect_no_match "never logged: a secret or the citizen number" "$secret" "$logs"
done
finish

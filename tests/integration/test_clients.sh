#!/usr/bin/env bash
# Business clients: `cong client create|list|revoke` (PostgreSQL), POST /v1/auth/token with client credentials
# (RFC 6749 §4.4), scopes within the client's, wrong secrets refused, logout refused for a client token (it has no
# session), and a revoked client's live tokens refused everywhere at once.
source "$(dirname "$0")/lib.sh"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$GW_DIR/cong-signing.pem" 2>/dev/null
head -c 48 /dev/urandom >"$GW_DIR/subject-secret"
ENVS=(CONG_AUTH_SIGNING_KEY_FILE="$GW_DIR/cong-signing.pem" CONG_AUTH_SUBJECT_SECRET_FILE="$GW_DIR/subject-secret"
  CONG_RATE_LIMITS_AUTH_BURST=1000)
admin() {
  env CONG_POSTGRES_CONNINFO="host=127.0.0.1 port=$PG_PORT dbname=cong user=cong" CONG_REDIS_PORT="$REDIS_PORT" \
    ASAN_OPTIONS=detect_leaks=0 "$BUILD/cong" client "$@"
}
start_gateway "${ENVS[@]}" || exit 1

out=$(admin create "Công ty Vận tải Thăng Long" --scopes "ping dossiers:read" --quota 5000)
CID=$(echo "$out" | sed -n 's/^client_id: //p'); SECRET=$(echo "$out" | sed -n 's/^client_secret: //p')
expect_match "client created" '^c_[A-Za-z0-9_-]+$' "$CID"
expect_match "secret shown once" '^[A-Za-z0-9_-]{43}$' "$SECRET"
expect_match "listed" "$CID" "$(admin list)"
expect_no_match "list never shows the secret" "$SECRET" "$(admin list)"
expect_eq "secret stored hashed" "0" "$(psql -h 127.0.0.1 -p "$PG_PORT" -U cong -d cong -qAt -c "select count(*) from api_clients where secret_hash = '$SECRET'")"

tok() { h2c -o "$GW_DIR/t" -w '%{http_code}' -d "grant_type=client_credentials&client_id=$CID&client_secret=$1${2:+&scope=$2}" "$(url /v1/auth/token)"; }
expect_eq "token issued" "200" "$(tok "$SECRET")"
ACCESS=$(json access_token <"$GW_DIR/t")
expect_eq "all of the client's scopes" "ping dossiers:read" "$(json scope <"$GW_DIR/t")"
body=$(h2c -H "authorization: Bearer $ACCESS" "$(url /v1/ping)")
expect_eq "principal is the client" "$CID" "$(echo "$body" | python3 -S -c 'import json,sys; print(json.load(sys.stdin)["principal"]["client_id"])')"
expect_eq "narrower scope" "200" "$(tok "$SECRET" ping)"
expect_eq "scope granted" "ping" "$(json scope <"$GW_DIR/t")"
expect_eq "scope beyond the client's" "400" "$(tok "$SECRET" admin)"
expect_eq "wrong secret" "401" "$(tok "x$SECRET")"
expect_eq "invalid-client type" "https://cong.hanoi.gov.vn/problems/invalid-client" "$(json type <"$GW_DIR/t")"
expect_eq "unknown client" "401" "$(h2c -o /dev/null -w '%{http_code}' -d "grant_type=client_credentials&client_id=nobody&client_secret=x" "$(url /v1/auth/token)")"
expect_eq "other grant types" "400" "$(h2c -o /dev/null -w '%{http_code}' -d "grant_type=password&client_id=$CID&client_secret=$SECRET" "$(url /v1/auth/token)")"
expect_eq "JSON body is not a form" "400" "$(h2c -o /dev/null -w '%{http_code}' -H 'content-type: application/json' -d '{"grant_type":"client_credentials"}' "$(url /v1/auth/token)")"

# the daily quota (a second client with a quota of 3 calls a day)
out=$(admin create "Hợp tác xã Gia Lâm" --scopes "ping" --quota 3)
CID2=$(echo "$out" | sed -n 's/^client_id: //p'); SECRET2=$(echo "$out" | sed -n 's/^client_secret: //p')
h2c -o "$GW_DIR/t2" -d "grant_type=client_credentials&client_id=$CID2&client_secret=$SECRET2" "$(url /v1/auth/token)"
ACCESS2=$(json access_token <"$GW_DIR/t2")
codes=$(for i in 1 2 3 4; do h2c -o /dev/null -w '%{http_code} ' -H "authorization: Bearer $ACCESS2" "$(url /v1/ping)"; done)
expect_eq "daily quota" "200 200 200 429 " "$codes"
h=$(h2c -D - -o /dev/null -H "authorization: Bearer $ACCESS2" "$(url /v1/ping)")
expect_match "quota: retry after midnight" "retry-after: [0-9]+" "$h"

# a client-credentials token has no session: logout is refused (it would revoke client:<id> and lock the business out
# until its tokens expired), and the token keeps working
expect_eq "logout with a client token: 400" "400" \
  "$(h2c -o "$GW_DIR/l" -w '%{http_code}' -X POST -H "authorization: Bearer $ACCESS" "$(url /v1/auth/logout)")"
expect_eq "logout: bad-request" "https://cong.hanoi.gov.vn/problems/bad-request" "$(json type <"$GW_DIR/l")"
expect_eq "nor its \"session\" deleted" "400" "$(h2c -o "$GW_DIR/l" -w '%{http_code}' -X DELETE \
  -H "authorization: Bearer $ACCESS" "$(url "/v1/me/sessions/client:$CID")")"
expect_eq "delete: bad-request" "https://cong.hanoi.gov.vn/problems/bad-request" "$(json type <"$GW_DIR/l")"
expect_eq "the client's token still works" "200" \
  "$(h2c -o /dev/null -w '%{http_code}' -H "authorization: Bearer $ACCESS" "$(url /v1/ping)")"
expect_eq "and so does a new one" "200" "$(tok "$SECRET")"

expect_match "revoke" "revoked $CID" "$(admin revoke "$CID")"
sleep 0.2
expect_eq "live token refused after revoke" "401" "$(h2c -o /dev/null -w '%{http_code}' -H "authorization: Bearer $ACCESS" "$(url /v1/ping)")"
expect_eq "no new token after revoke" "401" "$(tok "$SECRET")"
expect_no_match "secrets never logged" "$SECRET" "$(cat "$GW_DIR/stderr" "$GW_DIR/access.log")"
finish

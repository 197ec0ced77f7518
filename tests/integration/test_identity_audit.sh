#!/usr/bin/env bash
# The identity module's audit records (issue 12), against the stand-in VNeID, the real Redis and PostgreSQL:
#   a VNeID login ('auth.login', its level), a level-2 login of someone who has a session already ('auth.step_up'),
#   logout and session delete and refresh-token reuse ('auth.session_revoke' with the reason), `cong client create`
#   and `revoke` ('client.create', 'client.revoke'); never a token, secret or citizen number in a record.
#   PostgreSQL gone (the gateway reaches it through a relay of this test's own): a login answers 503 with Retry-After
#   and no session exists for it — nobody is let in unrecorded — and a logout changes nothing; back, both work.
source "$(dirname "$0")/lib.sh"
CITIZEN=0010990$(printf '%05d' $((RANDOM % 100000)))
vneid_start
relay_start PGRELAY "$PG_PORT" || { bad "PostgreSQL relay"; finish; exit 1; }
start_gateway "${IDENTITY_ENV[@]}" CONG_AUTH_REFRESH_REUSE_GRACE_S=0 CONG_SERVER_WORKERS=1 \
  CONG_POSTGRES_CONNINFO="host=127.0.0.1 port=$PGRELAY_PORT dbname=cong user=cong connect_timeout=1" \
  CONG_POSTGRES_TIMEOUT_MS=1000 || exit 1
wait_stores_up || { finish; exit 1; }

mint() { curl -s -X POST -H 'content-type: application/json' -d "$1" "$VNEID/test/mint" | json id_token; }
login() { # ACR → status; the answer in $GW_DIR/x, headers in $GW_DIR/xh
  h2c -o "$GW_DIR/x" -D "$GW_DIR/xh" -w '%{http_code}' -H 'content-type: application/json' \
    -d "{\"id_token\":\"$(mint "{\"sub\":\"$CITIZEN\",\"acr\":\"$1\",\"auth_time\":$(date +%s)}")\",\"device\":{\"id\":\"d\",\"name\":\"n\",\"platform\":\"ios\"}}" \
    "$(url /v1/auth/vneid/exchange)"
}
with() { h2c -o /dev/null -w '%{http_code}' -X "$1" -H "authorization: Bearer $2" "$(url "$3")"; }
# last ACTION → "actor|actor_kind|subject|object|detail" of its newest record about SUBJECT (set below)
last() { psql_cong "SELECT actor || '|' || actor_kind || '|' || coalesce(subject, '') || '|' || coalesce(object, '') ||
  '|' || detail::text FROM audit_records WHERE action = '$1' AND subject IS NOT DISTINCT FROM ${2:-'$SUBJECT'} ORDER BY id DESC LIMIT 1"; }
count() { psql_cong "SELECT count(*) FROM audit_records WHERE subject = '$SUBJECT'"; }

# ---- logins ----
expect_eq "a level-1 login" 200 "$(login 1)"
A1=$(json access_token <"$GW_DIR/x"); SID1=$(json session_id <"$GW_DIR/x"); R1=$(json refresh_token <"$GW_DIR/x")
SUBJECT=$(h2c -H "authorization: Bearer $A1" "$(url /v1/me)" | json subject)
expect_match "the subject" '^[A-Za-z0-9_-]{43}$' "$SUBJECT"
expect_eq "recorded: auth.login, level 1, the session" "$SUBJECT|citizen|$SUBJECT|session:$SID1|{\"loa\": 1}" "$(last auth.login)"
expect_eq "a level-2 login while a session exists" 200 "$(login 2)"
A2=$(json access_token <"$GW_DIR/x"); SID2=$(json session_id <"$GW_DIR/x")
expect_eq "recorded: auth.step_up, level 2" "$SUBJECT|citizen|$SUBJECT|session:$SID2|{\"loa\": 2}" "$(last auth.step_up)"

# ---- revocations ----
expect_eq "delete my other session" 204 "$(with DELETE "$A2" "/v1/me/sessions/$SID1")"
expect_eq "recorded: session_delete" "$SUBJECT|citizen|$SUBJECT|session:$SID1|{\"reason\": \"session_delete\"}" \
  "$(last auth.session_revoke)"
n=$(count)
expect_eq "a session id that is not mine" 404 "$(with DELETE "$A2" /v1/me/sessions/AAAAAAAAAAAAAAAAAAAAAA)"
expect_eq "records nothing" "$n" "$(count)"
expect_eq "logout" 204 "$(with POST "$A2" /v1/auth/logout)"
expect_eq "recorded: logout" "$SUBJECT|citizen|$SUBJECT|session:$SID2|{\"reason\": \"logout\"}" "$(last auth.session_revoke)"
expect_eq "a level-1 login" 200 "$(login 1)"
SID3=$(json session_id <"$GW_DIR/x"); R3=$(json refresh_token <"$GW_DIR/x")
expect_eq "refresh" 200 "$(h2c -o /dev/null -w '%{http_code}' -d "{\"refresh_token\":\"$R3\"}" "$(url /v1/auth/refresh)")"
expect_eq "the rotated token again: reuse" 401 "$(h2c -o /dev/null -w '%{http_code}' -d "{\"refresh_token\":\"$R3\"}" "$(url /v1/auth/refresh)")"
expect_eq "recorded: refresh_reuse" "$SUBJECT|citizen|$SUBJECT|session:$SID3|{\"reason\": \"refresh_reuse\"}" \
  "$(last auth.session_revoke)"

# ---- PostgreSQL gone: no login unrecorded ----
expect_eq "a level-1 login" 200 "$(login 1)"
A4=$(json access_token <"$GW_DIR/x"); SID4=$(json session_id <"$GW_DIR/x")
sessions=$(redis-cli -p "$REDIS_PORT" SCARD "cong:sessions:$SUBJECT")
n=$(count)
relay_stop PGRELAY
wait_store_down postgres
expect_eq "a login while PostgreSQL is down: 503" 503 "$(login 1)"
expect_match "with Retry-After" '^[0-9]+$' "$(grep -i '^retry-after:' "$GW_DIR/xh" | cut -d' ' -f2 | tr -d '\r')"
expect_no_match "and no token" 'access_token' "$(cat "$GW_DIR/x")"
expect_eq "no session was stored for it" "$sessions" "$(redis-cli -p "$REDIS_PORT" SCARD "cong:sessions:$SUBJECT")"
expect_eq "a logout while PostgreSQL is down: 503" 503 "$(with POST "$A4" /v1/auth/logout)"
expect_eq "changes nothing" 200 "$(with GET "$A4" /v1/me)"
relay_start PGRELAY "$PG_PORT" "$PGRELAY_PORT" || bad "PostgreSQL relay again"
wait_stores_up
expect_eq "nothing was recorded meanwhile" "$n" "$(count)"
expect_eq "PostgreSQL back: logout" 204 "$(with POST "$A4" /v1/auth/logout)"
expect_eq "recorded" "session:$SID4" "$(last auth.session_revoke | cut -d'|' -f4)"
expect_eq "and a login" 200 "$(login 1)"

# ---- API clients ----
admin() { env CONG_POSTGRES_CONNINFO="host=127.0.0.1 port=$PG_PORT dbname=cong user=cong" CONG_REDIS_PORT="$REDIS_PORT" \
  ASAN_OPTIONS=detect_leaks=0 "$BUILD/cong" client "$@"; }
out=$(admin create "Kiểm toán $$" --scopes ping --quota 7)
CID=$(echo "$out" | sed -n 's/^client_id: //p'); SECRET=$(echo "$out" | sed -n 's/^client_secret: //p')
expect_match "a client" '^c_' "$CID"
expect_eq "recorded: client.create" "admin|admin||client:$CID|{\"name\": \"Kiểm toán $$\", \"scopes\": \"ping\", \"daily_quota\": 7}" \
  "$(last client.create NULL)"
expect_match "revoke" "revoked" "$(admin revoke "$CID")"
expect_eq "recorded: client.revoke" "admin|admin||client:$CID|{}" "$(last client.revoke NULL)"
admin revoke "$CID" >/dev/null
expect_eq "revoking again records nothing" 1 "$(psql_cong "SELECT count(*) FROM audit_records WHERE action = 'client.revoke' AND object = 'client:$CID'")"

# ---- never a token, a secret or a citizen number ----
records=$(psql_cong "SELECT actor || object || coalesce(subject, '') || detail::text FROM audit_records WHERE subject = '$SUBJECT' OR object = 'client:$CID'")
expect_no_match "no citizen number in a record" "$CITIZEN" "$records"
expect_no_match "no client secret" "$SECRET" "$records"
expect_no_match "no refresh token" "$R1|$R3" "$records"
expect_no_match "no access token" '\.ey|^ey' "$records"
finish

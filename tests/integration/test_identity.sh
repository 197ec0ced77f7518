#!/usr/bin/env bash
# Identity end to end, against the stand-in VNeID: exchange an ID token for cong tokens, use them, refresh (rotation),
# reuse detection (no retry grace here: test_sessions.sh has it), logout on one gateway refused at once by another
# sharing Redis, session list/delete, the ID-token attack battery at the exchange, provider key rotation picked up
# without a restart — the very first token signed with the new key is accepted —, and the citizen number never
# reaching a token or a log.
source "$(dirname "$0")/lib.sh"
CITIZEN=001099000003
vneid_start
IDENTITY_ENV+=(CONG_VNEID_COOLDOWN_S=1 CONG_AUTH_REFRESH_REUSE_GRACE_S=0)

mint() { curl -s -X POST -H 'content-type: application/json' -d "$1" "$VNEID/test/mint" | json id_token; }
exchange() { # ID_TOKEN [PORT] → body in $GW_DIR/x, status printed
  curl -s --http2-prior-knowledge -o "$GW_DIR/x" -w '%{http_code}' -H 'content-type: application/json' \
    -d "{\"id_token\":\"$1\",\"device\":{\"id\":\"dev-1\",\"name\":\"Điện thoại của Lan\",\"platform\":\"android\"}}" \
    "http://127.0.0.1:${2:-$H2C_PORT}/v1/auth/vneid/exchange"
}
status_with() { # TOKEN PATH [PORT]
  curl -s --http2-prior-knowledge -o /dev/null -w '%{http_code}' -H "authorization: Bearer $1" "http://127.0.0.1:${3:-$H2C_PORT}$2"
}

GW_NAME=a start_gateway "${IDENTITY_ENV[@]}" || exit 1
A_PID=$GW_PID A_PORT=$H2C_PORT
GW_PID=
GW_NAME=b start_gateway "${IDENTITY_ENV[@]}" || exit 1
B_PORT=$H2C_PORT
H2C_PORT=$A_PORT

# discovery
expect_match "jwks published" '"kty":"EC"' "$(h2c "$(url /.well-known/jwks.json)")"
expect_eq "issuer" "https://id.cong.test" "$(h2c "$(url /.well-known/openid-configuration)" | json issuer)"

# exchange
id_token=$(mint "{\"sub\":\"$CITIZEN\",\"acr\":\"2\"}")
expect_eq "exchange" "200" "$(exchange "$id_token")"
ACCESS=$(json access_token <"$GW_DIR/x"); REFRESH=$(json refresh_token <"$GW_DIR/x"); SID=$(json session_id <"$GW_DIR/x")
expect_eq "token type" "Bearer" "$(json token_type <"$GW_DIR/x")"
expect_match "expires_in" '^[0-9]+$' "$(json expires_in <"$GW_DIR/x")"
claims=$(echo "$ACCESS" | cut -d. -f2 | tr '_-' '/+' | base64 -d 2>/dev/null)
expect_no_match "no citizen number in the access token" "$CITIZEN" "$claims"
expect_match "sid in the token" "\"sid\":\"$SID\"" "$claims"
expect_match "acr 2" '"acr":"2"' "$claims"
expect_match "an access token (RFC 9068)" '"typ":"at\+jwt"' "$(echo "$ACCESS" | cut -d. -f1 | tr '_-' '/+' | base64 -d 2>/dev/null)"

me=$(curl -s --http2-prior-knowledge -H "authorization: Bearer $ACCESS" "$(url /v1/me)")
SUBJECT=$(echo "$me" | json subject)
expect_match "pseudonymous subject" '^[A-Za-z0-9_-]{43}$' "$SUBJECT"
expect_eq "me: loa" "2" "$(echo "$me" | json loa)"
expect_eq "ping on the other instance" "200" "$(status_with "$ACCESS" /v1/ping "$B_PORT")"
expect_eq "same citizen, same subject" "$SUBJECT" "$(exchange "$(mint "{\"sub\":\"$CITIZEN\",\"acr\":\"1\"}")" >/dev/null; json access_token <"$GW_DIR/x" | cut -d. -f2 | tr '_-' '/+' | base64 -d 2>/dev/null | python3 -S -c 'import json,sys; print(json.loads(sys.stdin.read()+"")["sub"])' 2>/dev/null || true)"
SECOND_SID=$(json session_id <"$GW_DIR/x")
sessions=$(curl -s --http2-prior-knowledge -H "authorization: Bearer $ACCESS" "$(url /v1/me/sessions)")
expect_eq "two sessions listed" "2" "$(echo "$sessions" | python3 -S -c 'import json,sys; print(len(json.load(sys.stdin)["sessions"]))')"
expect_match "device kept" "Điện thoại của Lan" "$sessions"

# refresh rotates; the rotated token coming back revokes the session
code=$(h2c -o "$GW_DIR/r" -w '%{http_code}' -H 'content-type: application/json' -d "{\"refresh_token\":\"$REFRESH\"}" "$(url /v1/auth/refresh)")
expect_eq "refresh" "200" "$code"
ACCESS2=$(json access_token <"$GW_DIR/r"); REFRESH2=$(json refresh_token <"$GW_DIR/r")
expect_no_match "refresh token rotated" "^$REFRESH\$" "$REFRESH2"
expect_eq "new access token works" "200" "$(status_with "$ACCESS2" /v1/ping)"
code=$(h2c -o /dev/null -w '%{http_code}' -H 'content-type: application/json' -d "{\"refresh_token\":\"$REFRESH\"}" "$(url /v1/auth/refresh)")
expect_eq "reused refresh token: 401" "401" "$code"
expect_eq "session revoked here" "401" "$(status_with "$ACCESS2" /v1/ping)"
expect_eq "session revoked on the other instance" "401" "$(status_with "$ACCESS2" /v1/ping "$B_PORT")"
code=$(h2c -o /dev/null -w '%{http_code}' -H 'content-type: application/json' -d "{\"refresh_token\":\"$REFRESH2\"}" "$(url /v1/auth/refresh)")
expect_eq "the whole session is gone" "401" "$code"

# logout on A: the very next call on B is refused
exchange "$(mint "{\"sub\":\"$CITIZEN\",\"acr\":\"2\"}")" >/dev/null
ACCESS3=$(json access_token <"$GW_DIR/x")
expect_eq "B knows the token (cached)" "200" "$(status_with "$ACCESS3" /v1/ping "$B_PORT")"
expect_eq "logout on A" "204" "$(curl -s --http2-prior-knowledge -o /dev/null -w '%{http_code}' -X POST -H "authorization: Bearer $ACCESS3" "$(url /v1/auth/logout)")"
expect_eq "next call on B: 401" "401" "$(status_with "$ACCESS3" /v1/ping "$B_PORT")"

# an instance that missed a revocation (no message reached it) re-reads them when it resubscribes
exchange "$(mint "{\"sub\":\"$CITIZEN\",\"acr\":\"2\"}")" >/dev/null
ACCESS5=$(json access_token <"$GW_DIR/x"); SID5=$(json session_id <"$GW_DIR/x")
expect_eq "B knows the token" "200" "$(status_with "$ACCESS5" /v1/ping "$B_PORT")"
redis-cli -p "$REDIS_PORT" ZADD cong:revoked $(( $(date +%s) + 900 )) "$SID5" >/dev/null  # stored, never published
expect_eq "a missed revocation is not known yet" "200" "$(status_with "$ACCESS5" /v1/ping "$B_PORT")"
redis-cli -p "$REDIS_PORT" CLIENT KILL TYPE pubsub >/dev/null                          # every subscriber reconnects
code=200
for _ in $(seq 1 40); do code=$(status_with "$ACCESS5" /v1/ping "$B_PORT"); [ "$code" = 401 ] && break; sleep 0.05; done
expect_eq "caught up after resubscribing" "401" "$code"

# delete another session of mine
exchange "$(mint "{\"sub\":\"$CITIZEN\",\"acr\":\"2\"}")" >/dev/null
ACCESS4=$(json access_token <"$GW_DIR/x")
expect_eq "delete my other session" "204" "$(curl -s --http2-prior-knowledge -o /dev/null -w '%{http_code}' -X DELETE -H "authorization: Bearer $ACCESS4" "$(url "/v1/me/sessions/$SECOND_SID")")"
expect_eq "someone else's or unknown session" "404" "$(curl -s --http2-prior-knowledge -o /dev/null -w '%{http_code}' -X DELETE -H "authorization: Bearer $ACCESS4" "$(url /v1/me/sessions/AAAAAAAAAAAAAAAAAAAAAA)")"

# the ID-token battery at the exchange: all 401, none crash
now=$(date +%s)
for case in '{"aud":"other"}' '{"iss":"https://evil.test"}' "{\"exp\":$((now - 600))}" "{\"nbf\":$((now + 600))}" \
            "{\"iat\":$((now + 3600))}" '{"alg":"none"}' '{"alg":"HS256"}' '{"kid":"../../etc/passwd"}' '{"kid":null}' \
            '{"header":{"crit":["exp"]}}' "{\"aud\":[\"other\",\"x\"]}"; do
  t=$(mint "$(echo "$case" | python3 -S -c "import json,sys; d=json.load(sys.stdin); d.setdefault('sub','$CITIZEN'); print(json.dumps(d))")")
  expect_eq "exchange refuses $case" "401" "$(exchange "$t")"
done
good=$(mint "{\"sub\":\"$CITIZEN\"}")
expect_eq "tampered" "401" "$(exchange "${good%.*}x.${good##*.}")"
expect_eq "truncated signature" "401" "$(exchange "${good%??????}")"
expect_eq "garbage" "401" "$(exchange "not.a.token")"
expect_eq "no id_token" "422" "$(curl -s --http2-prior-knowledge -o /dev/null -w '%{http_code}' -d '{}' "$(url /v1/auth/vneid/exchange)")"

# provider key rotation: the first token with the new kid waits for the refetch it triggers (cooldown 1 s, so it starts
# within the exchange's 2 s) and is accepted, no restart, no retry
curl -s -X POST "$VNEID/admin/rotate" >/dev/null
rotated=$(mint "{\"sub\":\"$CITIZEN\"}")
started=$(date +%s%N)
expect_eq "the first token signed with the rotated key is accepted" "200" "$(exchange "$rotated")"
echo "first exchange after the rotation: $(( ($(date +%s%N) - started) / 1000000 )) ms"
expect_eq "on the other instance too" "200" "$(exchange "$(mint "{\"sub\":\"$CITIZEN\"}")" "$B_PORT")"
# a kid VNeID does not have: refused, and the wait stays bounded (the refetch it asks for is within the cooldown);
# minted before the clock starts, so that only the exchange is timed
unknown_kid=$(mint "{\"sub\":\"$CITIZEN\",\"kid\":\"no-such-key\"}")
started=$(date +%s%N)
expect_eq "unknown kid refused" "401" "$(exchange "$unknown_kid")"
elapsed=$(( ($(date +%s%N) - started) / 1000000 ))
echo "unknown kid refused after $elapsed ms"
expect_match "the wait is bounded (≤ 2 s, plus a slow machine's slack)" '^([0-9]{1,3}|[0-3][0-9]{3})$' "$elapsed"
expect_eq "token signed before the rotation still accepted" "200" "$(exchange "$(mint '{"sub":"'$CITIZEN'","sign_with":"previous"}')")"

sleep 0.3
expect_no_match "citizen number never logged" "$CITIZEN" "$(cat "$GW_DIR"/*stderr "$GW_DIR/access.log")"
expect_no_match "refresh tokens never logged" "$REFRESH" "$(cat "$GW_DIR"/*stderr "$GW_DIR/access.log")"

GW_NAME=b stop_gateway
GW_PID=$A_PID GW_NAME=a stop_gateway
finish

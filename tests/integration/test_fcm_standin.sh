#!/usr/bin/env bash
# tests/integration/test_fcm_standin.sh — the stand-in FCM (tools/fcm_standin) on its own: the OAuth token endpoint
# (a good RS256 assertion gets a token; another algorithm, another key or kid, a tampered assertion, the wrong iss, aud
# or scope, an expired one, one valid for over an hour, one issued in the future are refused), messages:send (works over
# HTTP/1.1 and h2c, is recorded; no token, a bad or an expired token: 401; another project: 403; a payload over 4096
# bytes and other invalid messages: 400 INVALID_ARGUMENT with FCM's error detail), the behaviours (UNREGISTERED, 429
# and 503 with Retry-After, 500, for N sends or always, per token or global, slow answers that do not block others),
# the stats, the reset, the control token, and a log without secrets.
# Needs bash, curl, openssl, python3 (stdlib); no gateway, no stores. Assertions are made by
# tests/integration/fcm_assertion.py with openssl, independently of the C code.
source "$(dirname "$0")/lib.sh"

STANDIN="$BUILD/fcm-standin"
TMP="$GW_DIR/fcm"
mkdir -p "$TMP"
read -r PORT PORT2 <<<"$(free_ports 2)"
FS="http://127.0.0.1:$PORT"
SA=$(bash "$SRC/tools/fcm_standin/make-service-account.sh" "$TMP" "$FS/token" cong-test)
printf 'fcm-ctl-token-7\n' >"$TMP/control-token"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$TMP/other.pem" 2>/dev/null
SEND="$FS/v1/projects/cong-test/messages:send"

expect_eq "the service account file is private" 600 "$(stat -c %a "$SA")"
expect_eq "no service account: exit 2" 2 "$("$STANDIN" --port 0 2>/dev/null; echo $?)"
echo '{"type":"service_account"}' >"$TMP/broken.json"
expect_eq "a service account without a key: exit 2" 2 "$("$STANDIN" --port 0 --service-account "$TMP/broken.json" 2>/dev/null; echo $?)"

ASAN_OPTIONS=halt_on_error=1 "$STANDIN" --port "$PORT" --service-account "$SA" \
  --control-token-file "$TMP/control-token" 2>"$TMP/standin.log" &
STANDIN_PID=$!
EXTRA_PIDS+=("$STANDIN_PID")
wait_until 10 curl -s -o /dev/null "$FS/healthz" || { bad "the stand-in did not start"; cat "$TMP/standin.log"; finish; exit 1; }

CTL=(-H "authorization: Bearer fcm-ctl-token-7")
ctl() { curl -s --max-time 10 "${CTL[@]}" "$@"; }
behaviour() { ctl -o /dev/null -w '%{http_code}' -X POST -d "$1" "$FS/control/behaviour"; }
# jq_ EXPR — a Python expression over the JSON on stdin (bound to j); its value printed.
jq_() { python3 -S -c 'import json,sys; j=json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"; }
assertion() { python3 -S "$SRC/tests/integration/fcm_assertion.py" "$SA" "$@"; }
# grant [assertion args...] → status; the answer in $TMP/grant.json
grant() {
  curl -s --max-time 10 -o "$TMP/grant.json" -D "$TMP/grant.headers" -w '%{http_code}' \
    --data-urlencode "grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer" --data-urlencode "assertion=$(assertion "$@")" "$FS/token"
}
grant_error() { jq_ 'j["error"]' <"$TMP/grant.json"; }
# send TOKEN BODY [curl args...] → status; the answer in $TMP/send.json, headers in $TMP/send.headers
send() {
  local tok=$1 body=$2
  shift 2
  curl -s --max-time 10 -o "$TMP/send.json" -D "$TMP/send.headers" -w '%{http_code}' -X POST \
    ${tok:+-H "authorization: Bearer $tok"} -H 'content-type: application/json' -d "$body" "$@" "$SEND"
}
error_of() { jq_ 'j["error"]["status"] + " " + ",".join(d.get("errorCode", "") for d in j["error"].get("details", []) if "errorCode" in d)' <"$TMP/send.json"; }
retry_after() { grep -i '^retry-after:' "$TMP/send.headers" | cut -d' ' -f2 | tr -d '\r'; }
msg() { printf '{"message":{"token":"%s","notification":{"title":"Hồ sơ","body":"đã chuyển"},"data":{"event":"%s"}}}' "$1" "${2:-dossier.moved}"; }

# ---- the token endpoint ----
expect_eq "a good assertion: 200" 200 "$(grant)"
TOKEN=$(jq_ 'j["access_token"]' <"$TMP/grant.json")
expect_eq "Bearer, 3599 s" "Bearer 3599" "$(jq_ 'j["token_type"] + " " + str(j["expires_in"])' <"$TMP/grant.json")"
expect_match "the token answer is not cached" 'no-store' "$(grep -i '^cache-control' "$TMP/grant.headers")"
expect_eq "alg none: refused" "400 invalid_grant" "$(grant '!alg=none') $(grant_error)"
expect_eq "alg HS256 keyed with the public key: refused" "400 invalid_grant" "$(grant '!alg=HS256') $(grant_error)"
expect_eq "alg PS256 in the header: refused" "400 invalid_grant" "$(grant '!alg=PS256') $(grant_error)"
expect_eq "alg ES256 in the header: refused" "400 invalid_grant" "$(grant '!alg=ES256') $(grant_error)"
expect_eq "signed with another key: refused" "400 invalid_grant" "$(grant "!key=$TMP/other.pem") $(grant_error)"
expect_match "... as an invalid signature" 'Invalid JWT Signature' "$(cat "$TMP/grant.json")"
expect_eq "a claim changed after signing: refused" "400 invalid_grant" "$(grant '!tamper') $(grant_error)"
expect_eq "a kid that is not the private_key_id: refused" "400 invalid_grant" "$(grant '!kid=0123abcd') $(grant_error)"
expect_eq "no kid: accepted" 200 "$(grant '!nokid')"
expect_eq "another iss: refused" "400 invalid_grant" "$(grant iss=someone@else.iam.gserviceaccount.com) $(grant_error)"
expect_eq "aud Google's token URI, not ours: refused" "400 invalid_grant" "$(grant aud=https://oauth2.googleapis.com/token) $(grant_error)"
expect_eq "another scope: refused" "400 invalid_scope" "$(grant scope=https://www.googleapis.com/auth/userinfo.email) $(grant_error)"
expect_eq "no scope: refused" "400 invalid_scope" "$(grant scope) $(grant_error)"
expect_eq "the messaging scope among others: accepted" 200 "$(grant 'scope=openid https://www.googleapis.com/auth/firebase.messaging')"
expect_eq "cloud-platform: accepted" 200 "$(grant scope=https://www.googleapis.com/auth/cloud-platform)"
expect_eq "expired: refused" "400 invalid_grant" "$(grant iat=now-4000 exp=now-400) $(grant_error)"
expect_match "... as Google says it" 'short-lived token' "$(cat "$TMP/grant.json")"
expect_eq "exp - iat = 3601: refused" "400 invalid_grant" "$(grant iat=now exp=now+3601) $(grant_error)"
expect_eq "exp - iat = 3600: accepted" 200 "$(grant iat=now exp=now+3600)"
expect_eq "issued 10 minutes in the future: refused" "400 invalid_grant" "$(grant iat=now+600 exp=now+1200) $(grant_error)"
expect_eq "no iat: refused" "400 invalid_grant" "$(grant iat) $(grant_error)"
expect_eq "no exp: refused" "400 invalid_grant" "$(grant exp) $(grant_error)"
expect_eq "another grant_type: unsupported_grant_type" "400 unsupported_grant_type" \
  "$(curl -s -o "$TMP/grant.json" -w '%{http_code}' --data-urlencode grant_type=client_credentials --data-urlencode "assertion=$(assertion)" "$FS/token") $(grant_error)"
expect_eq "no assertion: invalid_request" "400 invalid_request" \
  "$(curl -s -o "$TMP/grant.json" -w '%{http_code}' --data-urlencode grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer "$FS/token") $(grant_error)"
expect_eq "a JSON body: invalid_request" "400 invalid_request" \
  "$(curl -s -o "$TMP/grant.json" -w '%{http_code}' -H 'content-type: application/json' -d '{}' "$FS/token") $(grant_error)"
expect_eq "tokens issued and assertions refused, counted" "5 19" "$(ctl "$FS/control/stats" | jq_ 'str(j["tokens_issued"]) + " " + str(j["assertions_refused"])')"

# ---- messages:send ----
DEV_A=fcm-device-A_1:APA91bH
DEV_B=fcm-device-B_2:APA91bH
expect_eq "a message with the token: 200" 200 "$(send "$TOKEN" "$(msg "$DEV_A")")"
expect_match "its name" '^projects/cong-test/messages/0:[0-9]+%[0-9a-f]{16}$' "$(jq_ 'j["name"]' <"$TMP/send.json")"
NAME_A=$(jq_ 'j["name"]' <"$TMP/send.json")
expect_eq "over h2c (prior knowledge) too" "200 2" "$(curl -s -o /dev/null -w '%{http_code} %{http_version}' --http2-prior-knowledge -H "authorization: Bearer $TOKEN" -d "$(msg "$DEV_B" b1)" "$SEND")"
ctl "$FS/control/messages?token=$DEV_A" >"$TMP/messages.json"
expect_eq "recorded: name, token, data, notification" "1 $NAME_A $DEV_A dossier.moved Hồ sơ" \
  "$(jq_ '(lambda m: " ".join(map(str, [len(m), m[0]["name"], m[0]["token"], m[0]["message"]["data"]["event"], m[0]["message"]["notification"]["title"]])))(j["messages"])' <"$TMP/messages.json")"
expect_eq "all messages without ?token" 2 "$(ctl "$FS/control/messages" | jq_ 'len(j["messages"])')"
expect_eq "no token: 401 UNAUTHENTICATED" "401 UNAUTHENTICATED " "$(send "" "$(msg "$DEV_A")") $(error_of)"
expect_match "... with WWW-Authenticate" 'Bearer' "$(grep -i '^www-authenticate' "$TMP/send.headers")"
expect_eq "an unknown token: 401" 401 "$(send "ya29.standin.$(printf '0%.0s' {1..64})" "$(msg "$DEV_A")")"
expect_eq "the control token is no access token: 401" 401 "$(send fcm-ctl-token-7 "$(msg "$DEV_A")")"
expect_eq "another project: 403 PERMISSION_DENIED" "403 PERMISSION_DENIED " \
  "$(curl -s -o "$TMP/send.json" -w '%{http_code}' -H "authorization: Bearer $TOKEN" -d "$(msg "$DEV_A")" "$FS/v1/projects/other-project/messages:send") $(error_of)"
# The payload: the message's compact JSON without its target, {"data":{"k":"..."}} = 17 bytes + the value.
BIG4096=$(printf 'x%.0s' {1..4079})
expect_eq "a payload of 4096 bytes: 200" 200 "$(send "$TOKEN" "{\"message\":{\"token\":\"$DEV_A\",\"data\":{\"k\":\"$BIG4096\"}}}")"
expect_eq "a payload of 4097 bytes: 400 INVALID_ARGUMENT" "400 INVALID_ARGUMENT INVALID_ARGUMENT" \
  "$(send "$TOKEN" "{\"message\":{\"token\":\"$DEV_A\",\"data\":{\"k\":\"${BIG4096}y\"}}}") $(error_of)"
expect_match "... with the FcmError detail" '"@type":"type.googleapis.com/google.firebase.fcm.v1.FcmError"' "$(cat "$TMP/send.json")"
expect_eq "a data value that is a number: 400 with the field" "400 message.data[0].value" \
  "$(send "$TOKEN" "{\"message\":{\"token\":\"$DEV_A\",\"data\":{\"n\":12}}}") $(jq_ '[d for d in j["error"]["details"] if "fieldViolations" in d][0]["fieldViolations"][0]["field"]' <"$TMP/send.json")"
expect_eq "two targets: 400" 400 "$(send "$TOKEN" "{\"message\":{\"token\":\"$DEV_A\",\"topic\":\"news\"}}")"
expect_eq "no target: 400" 400 "$(send "$TOKEN" '{"message":{"data":{"a":"b"}}}')"
expect_eq "a token with a space: 400" 400 "$(send "$TOKEN" '{"message":{"token":"not a token"}}')"
expect_eq "a reserved data key: 400" 400 "$(send "$TOKEN" "{\"message\":{\"token\":\"$DEV_A\",\"data\":{\"google.x\":\"y\"}}}")"
expect_eq "an unknown member: 400" 400 "$(send "$TOKEN" "{\"message\":{\"token\":\"$DEV_A\",\"colour\":\"red\"}}")"
expect_eq "not JSON: 400" 400 "$(send "$TOKEN" 'message=hello')"
expect_eq "an unknown member with a long Vietnamese name: 400, its error JSON" "400 INVALID_ARGUMENT INVALID_ARGUMENT" \
  "$(send "$TOKEN" "{\"message\":{\"token\":\"$DEV_A\",\"$(printf 'ồ%.0s' {1..30})\":1}}") $(error_of)"
expect_eq "a topic: 200" 200 "$(send "$TOKEN" '{"message":{"topic":"ward-phuc-xa","notification":{"title":"t"}}}')"
expect_eq "validate_only: 200, a fake name" "200 projects/cong-test/messages/fake_message_id" \
  "$(send "$TOKEN" "{\"validate_only\":true,\"message\":{\"token\":\"$DEV_A\"}}") $(jq_ 'j["name"]' <"$TMP/send.json")"
expect_eq "validate_only is not recorded" 2 "$(ctl "$FS/control/messages?token=$DEV_A" | jq_ 'len(j["messages"])')"

# ---- behaviours ----
expect_eq "UNREGISTERED for device A: set" 200 "$(behaviour "{\"token\":\"$DEV_A\",\"mode\":\"unregistered\"}")"
expect_eq "device A: 404 UNREGISTERED" "404 NOT_FOUND UNREGISTERED" "$(send "$TOKEN" "$(msg "$DEV_A")") $(error_of)"
expect_eq "device A: still 404 (always)" 404 "$(send "$TOKEN" "$(msg "$DEV_A")")"
expect_eq "device B is not affected" 200 "$(send "$TOKEN" "$(msg "$DEV_B")")"
expect_eq "device A back to normal" "200 200" "$(behaviour "{\"token\":\"$DEV_A\",\"mode\":\"normal\"}") $(send "$TOKEN" "$(msg "$DEV_A")")"
behaviour '{"mode":"quota_exceeded","count":2,"retry_after_s":7}' >/dev/null
expect_eq "global QUOTA_EXCEEDED: 429 with Retry-After" "429 RESOURCE_EXHAUSTED QUOTA_EXCEEDED 7" "$(send "$TOKEN" "$(msg "$DEV_B")") $(error_of) $(retry_after)"
expect_eq "... for the second send too" "429 7" "$(send "$TOKEN" "$(msg "$DEV_A")") $(retry_after)"
expect_eq "... its HTTP/1.1 status line names it" "HTTP/1.1 429 Too Many Requests" "$(head -1 "$TMP/send.headers" | tr -d '\r')"
expect_eq "... and not the third (count 2)" 200 "$(send "$TOKEN" "$(msg "$DEV_B")")"
behaviour '{"mode":"unavailable","count":1,"retry_after_s":3}' >/dev/null
expect_eq "UNAVAILABLE: 503 with Retry-After" "503 UNAVAILABLE UNAVAILABLE 3" "$(send "$TOKEN" "$(msg "$DEV_B")") $(error_of) $(retry_after)"
behaviour '{"mode":"internal","count":1}' >/dev/null
expect_eq "INTERNAL: 500 without Retry-After" "500 INTERNAL INTERNAL " "$(send "$TOKEN" "$(msg "$DEV_B")") $(error_of) $(retry_after)"
expect_eq "then normal again" 200 "$(send "$TOKEN" "$(msg "$DEV_B")")"
behaviour "{\"token\":\"$DEV_B\",\"mode\":\"normal\",\"delay_ms\":5000,\"count\":1}" >/dev/null
T0=$(date +%s%N)
send "$TOKEN" "$(msg "$DEV_B" slow)" >"$TMP/slow.status" &
SLOW_PID=$!
slow_recorded() { [ "$(ctl "$FS/control/messages?token=$DEV_B" | jq_ 'sum(1 for m in j["messages"] if m["message"]["data"]["event"] == "slow")')" = 1 ]; }
wait_until 10 slow_recorded || bad "the slow send did not arrive"
# The slow send is recorded as it arrives, and answered 5 s later: other requests are answered meanwhile.
expect_eq "a held answer does not hold the others" "200 held" \
  "$(curl -s -o /dev/null -w '%{http_code}' "$FS/healthz") $(kill -0 "$SLOW_PID" 2>/dev/null && echo held)"
wait "$SLOW_PID"
expect_eq "the slow send: 200, after delay_ms" "200 1" "$(cat "$TMP/slow.status") $(( ($(date +%s%N) - T0) / 1000000 >= 5000 ))"
expect_eq "a bad behaviour: 400" 400 "$(behaviour '{"mode":"sometimes"}')"
expect_eq "a negative count: 400" 400 "$(behaviour '{"mode":"internal","count":0}')"
expect_eq "sends counted by outcome" "ok=9 validated=1 unauthenticated=3 permission_denied=1 invalid_argument=9 unregistered=2 quota_exceeded=2 unavailable=1 internal=1" \
  "$(ctl "$FS/control/stats" | jq_ '" ".join(f"{k}={v}" for k, v in j["sends"].items() if v)')"

# ---- the control token; expiring access tokens; reset ----
expect_eq "control without the token: 401" 401 "$(curl -s -o /dev/null -w '%{http_code}' "$FS/control/stats")"
expect_eq "control with another token: 401" 401 "$(curl -s -o /dev/null -w '%{http_code}' -H 'authorization: Bearer fcm-ctl-token-8' "$FS/control/stats")"
expect_eq "control with an access token: 401" 401 "$(curl -s -o /dev/null -w '%{http_code}' -H "authorization: Bearer $TOKEN" "$FS/control/stats")"
expect_eq "tokens/expire" 200 "$(ctl -o /dev/null -w '%{http_code}' -X POST "$FS/control/tokens/expire")"
expect_eq "an expired token: 401" 401 "$(send "$TOKEN" "$(msg "$DEV_A")")"
grant >/dev/null
TOKEN2=$(jq_ 'j["access_token"]' <"$TMP/grant.json")
expect_eq "a new token works" 200 "$(send "$TOKEN2" "$(msg "$DEV_A")")"
expect_eq "reset" 200 "$(ctl -o /dev/null -w '%{http_code}' -X POST "$FS/control/reset")"
expect_eq "after reset: no messages, counters zero" "0 0 0" \
  "$(ctl "$FS/control/stats" | jq_ '" ".join(map(str, [j["messages_kept"], j["tokens_issued"], sum(j["sends"].values())]))')"
expect_eq "after reset: the access token still works" 200 "$(send "$TOKEN2" "$(msg "$DEV_A")")"

# ---- --token-ttl-s: a token that expires by itself ----
SA2=$(bash "$SRC/tools/fcm_standin/make-service-account.sh" "$TMP/second" "http://127.0.0.1:$PORT2/token" cong-test)
"$STANDIN" --port "$PORT2" --service-account "$SA2" --token-ttl-s 1 2>"$TMP/standin2.log" &
EXTRA_PIDS+=($!)
wait_until 10 curl -s -o /dev/null "http://127.0.0.1:$PORT2/healthz" || bad "the second stand-in did not start"
SHORT=$(curl -s --data-urlencode grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer \
  --data-urlencode "assertion=$(python3 -S "$SRC/tests/integration/fcm_assertion.py" "$SA2")" "http://127.0.0.1:$PORT2/token" | jq_ 'str(j["expires_in"]) + " " + j["access_token"]')
expect_eq "--token-ttl-s 1: expires_in 1" 1 "${SHORT%% *}"
expect_eq "the first service account's assertion is refused by the second" 400 \
  "$(curl -s -o /dev/null -w '%{http_code}' --data-urlencode grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer --data-urlencode "assertion=$(assertion aud="http://127.0.0.1:$PORT2/token")" "http://127.0.0.1:$PORT2/token")"
short_expired() { [ "$(curl -s -o /dev/null -w '%{http_code}' -H "authorization: Bearer ${SHORT#* }" -d "$(msg "$DEV_A")" "http://127.0.0.1:$PORT2/v1/projects/cong-test/messages:send")" = 401 ]; }
wait_until 10 short_expired || bad "a token of --token-ttl-s 1 did not expire"
expect_eq "/control/ is open without --control-token-file" 200 "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT2/control/stats")"

# ---- the log ----
expect_no_match "no access token is logged" 'ya29' "$(cat "$TMP/standin.log")"
expect_no_match "no device token is logged" 'APA91bH' "$(cat "$TMP/standin.log")"
expect_no_match "no assertion is logged" 'eyJ' "$(cat "$TMP/standin.log")"
expect_no_match "no control token is logged" 'fcm-ctl-token' "$(cat "$TMP/standin.log")"
expect_match "one log line per request" 'fcm-standin: POST /v1/projects/cong-test/messages:send 200' "$(cat "$TMP/standin.log")"
expect_match "a refused assertion says why" 'assertion refused: bad-signature' "$(cat "$TMP/standin.log")"
kill -TERM "$STANDIN_PID"; wait "$STANDIN_PID"
expect_eq "SIGTERM stops it cleanly" 0 "$?"
expect_no_match "no sanitizer report" 'AddressSanitizer|LeakSanitizer|runtime error' "$(cat "$TMP/standin.log")"
finish

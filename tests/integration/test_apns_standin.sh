#!/usr/bin/env bash
# tests/integration/test_apns_standin.sh — the stand-in APNs (tools/apns_standin) on its own, over HTTP/2 with TLS
# (a CA and a certificate for 127.0.0.1 made here with openssl) and over h2c: a good notification (200, apns-id echoed
# or made, recorded), HTTP/1.1 refused, provider tokens (missing, another key, another kid or team, expired, iat in
# the future, refreshed on one connection within 20 minutes and after), every header and payload reason, the device
# marks (Unregistered with its timestamp), the fail modes (429/500/503 for N requests and always), the delay mode,
# the control token, reset, and a log without tokens.
# Needs bash, curl (with HTTP/2), openssl, python3 (stdlib); no gateway, no stores. Provider tokens are signed here with
# the openssl command line, independently of the C code (tools/apns_standin/apns_jwt.c) and of cong's auth/.
source "$(dirname "$0")/lib.sh"
PATH="$(dirname "$(python3 -c 'import sys; print(sys.executable)')"):$PATH" # the interpreter itself, not a shim

STANDIN="$BUILD/apns-standin"
TMP="$GW_DIR/apns"
mkdir -p "$TMP"
KID=ABC123DEFG
TEAM=DEF123GHIJ
TOPIC=vn.gov.hanoi.cong
CTL_TOKEN=apns-ctl-token-42
printf '%s\n' "$CTL_TOKEN" >"$TMP/control-token"
bash "$SRC/tools/apns_standin/make-auth-key.sh" "$TMP/key" >/dev/null
bash "$SRC/tools/apns_standin/make-auth-key.sh" "$TMP/other" >/dev/null # a key Apple never heard of
expect_eq "the .p8 is readable by its owner only" 600 "$(stat -c %a "$TMP/key/auth-key.p8")"

# A test CA and the stand-in's certificate for 127.0.0.1 (curl checks it against the CA, as cong's client would).
server_pki "$TMP" apns-standin-test-ca

# jwt KEY_DIR [iat=OFFSET_S] [kid=K] [iss=T] [alg=A] — an ES256 provider token, iat now + OFFSET_S (default 0).
cat >"$TMP/jwt.py" <<'PY'
import base64, json, subprocess, sys, time
def b64(b): return base64.urlsafe_b64encode(b).rstrip(b"=").decode()
def der_to_raw(der):   # ECDSA-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER } -> JOSE R||S (RFC 7518 §3.4)
    i = 2 if der[1] < 0x80 else 2 + (der[1] & 0x7f)
    out = b""
    for _ in range(2):
        n = der[i + 1]; out += der[i + 2:i + 2 + n].lstrip(b"\0").rjust(32, b"\0"); i += 2 + n
    return out
opts = dict(a.split("=", 1) for a in sys.argv[2:])
header = {"alg": opts.get("alg", "ES256"), "kid": opts.get("kid", "ABC123DEFG")}
claims = {"iss": opts.get("iss", "DEF123GHIJ"), "iat": int(time.time()) + int(opts.get("iat", "0"))}
signed = b64(json.dumps(header).encode()) + "." + b64(json.dumps(claims).encode())
der = subprocess.run(["openssl", "dgst", "-sha256", "-sign", sys.argv[1] + "/auth-key.p8"], input=signed.encode(),
                     capture_output=True, check=True).stdout
print(signed + "." + b64(der_to_raw(der)))
PY
jwt() { python3 -S "$TMP/jwt.py" "$@"; }

PORT=$(free_port)
expect_eq "bad arguments exit 2" 2 "$("$STANDIN" --port 0 --auth-key-pub "$TMP/key/auth-key.pub.pem" --key-id "$KID" \
  --team-id "$TEAM" 2>/dev/null; echo $?)"
expect_eq "a private key is no public key: exit 2" 2 "$("$STANDIN" --port 0 --auth-key-pub "$TMP/nothing.pem" \
  --key-id "$KID" --team-id "$TEAM" --topic "$TOPIC" 2>/dev/null; echo $?)"
"$STANDIN" --port "$PORT" --auth-key-pub "$TMP/key/auth-key.pub.pem" --key-id "$KID" --team-id "$TEAM" \
  --topic "$TOPIC" --tls-cert "$TMP/server.pem" --tls-key "$TMP/server.key" --control-token-file "$TMP/control-token" \
  2>"$TMP/standin.log" &
STANDIN_PID=$!
EXTRA_PIDS+=("$STANDIN_PID")
BASE="https://127.0.0.1:$PORT"
wait_until 10 curl -s -o /dev/null --cacert "$TMP/ca.pem" "$BASE/healthz" || bad "the stand-in did not start"

DEV=$(printf '%s' 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef)
GOOD=$(jwt "$TMP/key" iat=-10)
# push [CURL ARGS...] — one notification request over HTTP/2 + TLS; prints "STATUS REASON" (REASON "-" on success);
# the body and headers stay in $TMP/body, $TMP/headers. Defaults: device $DEV, a good token, topic, alert, a payload.
push() {
  local device=$DEV auth="authorization: bearer $GOOD" topic="apns-topic: $TOPIC" type="apns-push-type: alert"
  local data='{"aps":{"alert":{"title":"Hồ sơ","body":"Đã tiếp nhận"}}}' args=()
  while [ $# -gt 0 ]; do
    case "$1" in
      device=*) device=${1#device=} ;;
      auth=*) auth=${1#auth=} ;;
      topic=*) topic=${1#topic=} ;;
      type=*) type=${1#type=} ;;
      data=*) data=${1#data=} ;;
      *) args+=("$1") ;;
    esac
    shift
  done
  local code
  code=$(curl -s --http2 --cacert "$TMP/ca.pem" --max-time 10 -o "$TMP/body" -D "$TMP/headers" -w '%{http_code}' \
    -X POST "$BASE/3/device/$device" -H "$auth" -H "$topic" -H "$type" --data-binary "$data" "${args[@]}")
  local reason
  reason=$(sed -n 's/^{"reason":"\([A-Za-z]*\)".*/\1/p' "$TMP/body")
  [ -s "$TMP/body" ] || reason=-
  echo "$code ${reason:-?}"
}
ctl() { curl -s --http2 --cacert "$TMP/ca.pem" --max-time 10 -H "authorization: Bearer $CTL_TOKEN" "$@"; }
count_of() { ctl "$BASE/control/notifications?device_token=$1" | python3 -S -c 'import json,sys; print(len(json.load(sys.stdin)["notifications"]))'; }

# ---- a good notification ----
expect_eq "a good notification: 200" "200 -" "$(push -H 'apns-id: 123E4567-E89B-12D3-A456-426655440000' \
  -H 'apns-priority: 10' -H 'apns-expiration: 0' -H 'apns-collapse-id: dossier-42')"
expect_eq "over HTTP/2" "HTTP/2 200" "$(head -1 "$TMP/headers" | tr -d '\r' | sed 's/ *$//')"
cp "$TMP/headers" "$GW_DIR/headers"
expect_eq "the apns-id is echoed" "123E4567-E89B-12D3-A456-426655440000" "$(header apns-id)"
expect_eq "an empty body" 0 "$(stat -c %s "$TMP/body")"
expect_eq "without apns-id: 200" "200 -" "$(push)"
cp "$TMP/headers" "$GW_DIR/headers"
expect_match "without apns-id: one is made (a UUID)" '^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$' "$(header apns-id)"
ctl "$BASE/control/notifications?device_token=$DEV" >"$TMP/received.json"
expect_eq "both recorded, with what APNs would deliver" \
  "2 123E4567-E89B-12D3-A456-426655440000 $TOPIC alert 10 0 dossier-42 Đã tiếp nhận 200" \
  "$(python3 -S -c 'import json,sys
n=json.load(open(sys.argv[1]))["notifications"]; a=n[0]
print(len(n), a["apns_id"], a["topic"], a["push_type"], a["priority"], a["expiration"], a["collapse_id"], a["payload"]["aps"]["alert"]["body"], a["status"])' "$TMP/received.json")"

# ---- HTTP/2 only ----
expect_eq "HTTP/1.1 over TLS (no ALPN h2) is refused" 505 "$(curl -s --http1.1 --cacert "$TMP/ca.pem" -o /dev/null \
  -w '%{http_code}' -X POST "$BASE/3/device/$DEV" -H "authorization: bearer $GOOD" -H "apns-topic: $TOPIC" \
  -H 'apns-push-type: alert' -d '{"aps":{}}')"
expect_eq "ALPN offers h2 alone" "h2" "$(echo | openssl s_client -connect "127.0.0.1:$PORT" -alpn h2,http/1.1 \
  -CAfile "$TMP/ca.pem" 2>/dev/null | sed -n 's/^ALPN protocol: //p')"
expect_eq "the refused request is not recorded" 2 "$(count_of "$DEV")"

# ---- provider tokens ----
expect_eq "no authorization: 403 MissingProviderToken" "403 MissingProviderToken" "$(push 'auth=x-no: 1')"
expect_eq "another team's key: 403 InvalidProviderToken" "403 InvalidProviderToken" \
  "$(push "auth=authorization: bearer $(jwt "$TMP/other" kid=$KID)")"
expect_eq "another kid: 403 InvalidProviderToken" "403 InvalidProviderToken" \
  "$(push "auth=authorization: bearer $(jwt "$TMP/key" kid=ZZZ123DEFG)")"
expect_eq "another team: 403 InvalidProviderToken" "403 InvalidProviderToken" \
  "$(push "auth=authorization: bearer $(jwt "$TMP/key" iss=ZZZ123GHIJ)")"
expect_eq "alg ES384 in the header: 403 InvalidProviderToken" "403 InvalidProviderToken" \
  "$(push "auth=authorization: bearer $(jwt "$TMP/key" alg=ES384)")"
expect_eq "not a JWT: 403 InvalidProviderToken" "403 InvalidProviderToken" "$(push "auth=authorization: bearer abc.def")"
expect_eq "iat over an hour ago: 403 ExpiredProviderToken" "403 ExpiredProviderToken" \
  "$(push "auth=authorization: bearer $(jwt "$TMP/key" iat=-3700)")"
expect_eq "iat 55 minutes ago: 200" "200 -" "$(push "auth=authorization: bearer $(jwt "$TMP/key" iat=-3300)")"
expect_eq "iat 10 minutes ahead: 403 InvalidProviderToken" "403 InvalidProviderToken" \
  "$(push "auth=authorization: bearer $(jwt "$TMP/key" iat=600)")"

# A new token on the same connection within 20 minutes of the previous one's iat: 429; 25 minutes later: accepted.
# curl --next keeps the connection (num_connects 0 on the second request proves it).
refresh() { # OLD_TOKEN NEW_TOKEN -> "STATUS CONNECTS STATUS CONNECTS"
  local out=() common=(-s --http2 --cacert "$TMP/ca.pem" --max-time 10 -o /dev/null -w '%{http_code} %{num_connects} '
    -H "apns-topic: $TOPIC" -H 'apns-push-type: alert' -d '{"aps":{}}')
  curl "${common[@]}" -H "authorization: bearer $1" "$BASE/3/device/$DEV" \
    --next "${common[@]}" -H "authorization: bearer $2" "$BASE/3/device/$DEV"
}
expect_eq "a refresh within 20 minutes on one connection: 429" "200 1 429 0 " \
  "$(refresh "$(jwt "$TMP/key" iat=-60)" "$(jwt "$TMP/key")")"
expect_eq "the reason: TooManyProviderTokenUpdates" 1 \
  "$(ctl "$BASE/control/stats" | python3 -S -c 'import json,sys; print(json.load(sys.stdin)["by_reason"]["TooManyProviderTokenUpdates"])')"
expect_eq "a refresh 25 minutes after: 200" "200 1 200 0 " "$(refresh "$(jwt "$TMP/key" iat=-1500)" "$(jwt "$TMP/key")")"
expect_eq "the same token again on one connection: 200" "200 1 200 0 " "$(refresh "$GOOD" "$GOOD")"
expect_eq "a new connection starts afresh" "200 -" "$(push "auth=authorization: bearer $(jwt "$TMP/key" iat=-5)")"

# ---- headers, path, payload ----
expect_eq "another app's topic: 400 TopicDisallowed" "400 TopicDisallowed" "$(push "topic=apns-topic: com.example.other")"
expect_eq "no topic: 400 MissingTopic" "400 MissingTopic" "$(push 'topic=x-no: 1')"
expect_eq "voip to the bundle id: 400 DeviceTokenNotForTopic" "400 DeviceTokenNotForTopic" "$(push 'type=apns-push-type: voip')"
expect_eq "voip to .voip: 200" "200 -" "$(push 'type=apns-push-type: voip' "topic=apns-topic: $TOPIC.voip")"
expect_eq "no push type: 400 InvalidPushType" "400 InvalidPushType" "$(push 'type=x-no: 1')"
expect_eq "an unknown push type: 400 InvalidPushType" "400 InvalidPushType" "$(push 'type=apns-push-type: banner')"
expect_eq "priority 7: 400 BadPriority" "400 BadPriority" "$(push -H 'apns-priority: 7')"
expect_eq "background at priority 10: 400 BadPriority" "400 BadPriority" "$(push 'type=apns-push-type: background' -H 'apns-priority: 10')"
expect_eq "background at priority 5: 200" "200 -" "$(push 'type=apns-push-type: background' -H 'apns-priority: 5' 'data={"aps":{"content-available":1}}')"
expect_eq "a date for apns-expiration: 400 BadExpirationDate" "400 BadExpirationDate" "$(push -H 'apns-expiration: tomorrow')"
expect_eq "a 65-byte collapse id: 400 BadCollapseId" "400 BadCollapseId" "$(push -H "apns-collapse-id: $(printf 'c%.0s' {1..65})")"
expect_eq "a 64-byte collapse id: 200" "200 -" "$(push -H "apns-collapse-id: $(printf 'c%.0s' {1..64})")"
expect_eq "apns-id not a UUID: 400 BadMessageId" "400 BadMessageId" "$(push -H 'apns-id: 42')"
expect_eq "apns-topic twice: 400 DuplicateHeaders" "400 DuplicateHeaders" "$(push -H "apns-topic: $TOPIC")"
BIG=$(python3 -S -c 'print("{\"aps\":{\"alert\":\"" + "x" * 4077 + "\"}}", end="")') # 4097 bytes
expect_eq "a 4097-byte payload: 413 PayloadTooLarge" "413 PayloadTooLarge" "$(push "data=$BIG")"
expect_eq "a 4096-byte payload: 200" "200 -" "$(push "data=${BIG/xx/x}")"
expect_eq "4097 bytes to voip (5 KB there): 200" "200 -" "$(push 'type=apns-push-type: voip' "topic=apns-topic: $TOPIC.voip" "data=$BIG")"
expect_eq "an empty payload: 400 PayloadEmpty" "400 PayloadEmpty" "$(push data=)"
expect_eq "no aps: 400 PayloadEmpty" "400 PayloadEmpty" "$(push 'data={"alert":"hi"}')"
expect_eq "a device token of 63 digits: 400 BadDeviceToken" "400 BadDeviceToken" "$(push "device=${DEV:1}")"
expect_eq "a device token that is not hex: 400 BadDeviceToken" "400 BadDeviceToken" "$(push "device=${DEV:2}zz")"
expect_eq "no device token: 400 MissingDeviceToken" "400 MissingDeviceToken" "$(push device=)"
expect_eq "GET: 405 MethodNotAllowed" "405 MethodNotAllowed" "$(push -X GET)"
expect_eq "another path: 404 BadPath" 404 "$(curl -s --http2 --cacert "$TMP/ca.pem" -o /dev/null -w '%{http_code}' -X POST "$BASE/3/devices/$DEV")"

# ---- device marks ----
DEV2=$(printf 'ab%.0s' {1..32})
ctl -o /dev/null -X POST -d "{\"device_token\":\"$DEV2\",\"reason\":\"Unregistered\",\"timestamp\":1790000000123}" "$BASE/control/devices"
expect_eq "an unregistered device: 410 Unregistered" "410 Unregistered" "$(push "device=$DEV2")"
expect_eq "with its timestamp (ms)" '{"reason":"Unregistered","timestamp":1790000000123}' "$(cat "$TMP/body")"
expect_eq "the device token in upper case is the same device" "410 Unregistered" "$(push "device=${DEV2^^}")"
ctl -o /dev/null -X POST -d "{\"device_token\":\"$DEV2\",\"reason\":\"BadDeviceToken\"}" "$BASE/control/devices"
expect_eq "marked bad: 400 BadDeviceToken" "400 BadDeviceToken" "$(push "device=$DEV2")"
ctl -o /dev/null -X POST -d "{\"device_token\":\"$DEV2\",\"reason\":\"none\"}" "$BASE/control/devices"
expect_eq "unmarked: 200" "200 -" "$(push "device=$DEV2")"
expect_eq "a bad mark: 400" 400 "$(ctl -o /dev/null -w '%{http_code}' -X POST -d "{\"device_token\":\"$DEV2\",\"reason\":\"Gone\"}" "$BASE/control/devices")"

# ---- fail modes ----
mode() { ctl -o /dev/null -w '%{http_code}' -X POST -d "$1" "$BASE/control/mode"; }
expect_eq "mode: 429 for two requests" 200 "$(mode '{"fail":"TooManyRequests","count":2}')"
expect_eq "429 TooManyRequests, twice, then 200" "429 TooManyRequests|429 TooManyRequests|200 -" "$(push)|$(push)|$(push)"
mode '{"fail":"InternalServerError","count":1}' >/dev/null
expect_eq "500 InternalServerError once, then 200" "500 InternalServerError|200 -" "$(push)|$(push)"
mode '{"fail":"TooManyRequests","count":1,"retry_after_s":9}' >/dev/null
expect_eq "429 with Retry-After when asked" "429 TooManyRequests 9" "$(push) $(cp "$TMP/headers" "$GW_DIR/headers"; header retry-after)"
mode '{"fail":"ServiceUnavailable","retry_after_s":0}' >/dev/null
expect_eq "503 ServiceUnavailable always" "503 ServiceUnavailable|503 ServiceUnavailable|503 ServiceUnavailable" "$(push)|$(push)|$(push)"
expect_eq "a bad request is still refused first" "400 MissingTopic" "$(push 'topic=x-no: 1')"
mode '{"fail":"none"}' >/dev/null
expect_eq "fail none: 200" "200 -" "$(push)"
expect_eq "an unknown fail mode: 400" 400 "$(mode '{"fail":"Shutdown"}')"

# ---- the delay mode: each notification held, the rest served meanwhile ----
mode '{"delay_ms":1500}' >/dev/null
curl -s --http2 --cacert "$TMP/ca.pem" --max-time 20 -o /dev/null -w '%{http_code} %{time_total}' -X POST "$BASE/3/device/$DEV" \
  -H "authorization: bearer $GOOD" -H "apns-topic: $TOPIC" -H 'apns-push-type: alert' -d '{"aps":{}}' >"$TMP/slow" &
SLOW=$!
held() { [ "$(ctl "$BASE/control/stats" | json held)" = "$1" ]; }
wait_until 10 held 1 || bad "the notification was not held"
expect_eq "the control API answers while a notification is held" 200 "$(ctl -o /dev/null -w '%{http_code}' "$BASE/control/stats")"
wait "$SLOW"
read -r SLOW_CODE SLOW_TIME <"$TMP/slow"
expect_eq "held, then 200" 200 "$SLOW_CODE"
expect_eq "held at least 1.5 s" 1 "$(python3 -S -c "print(int($SLOW_TIME >= 1.5))")"
expect_eq "then no longer held" 0 "$(ctl "$BASE/control/stats" | json held)"
expect_eq "a client that gives up while held (curl's 0.5 s)" 28 "$(curl -s --http2 --cacert "$TMP/ca.pem" --max-time 0.5 \
  -o /dev/null -X POST "$BASE/3/device/$DEV" -H "authorization: bearer $GOOD" -H "apns-topic: $TOPIC" \
  -H 'apns-push-type: alert' -d '{"aps":{}}'; echo $?)"
wait_until 10 held 0 || bad "the abandoned request stayed held"
expect_eq "and the stand-in carries on" 200 "$(ctl -o /dev/null -w '%{http_code}' "$BASE/control/stats")"
mode '{"delay_ms":0}' >/dev/null

# ---- the control API ----
expect_eq "control without the token: 401" 401 "$(curl -s --http2 --cacert "$TMP/ca.pem" -o /dev/null -w '%{http_code}' "$BASE/control/stats")"
expect_eq "control with another token: 401" 401 "$(curl -s --http2 --cacert "$TMP/ca.pem" -o /dev/null -w '%{http_code}' \
  -H "authorization: Bearer ${CTL_TOKEN}x" -X POST -d '{"fail":"ServiceUnavailable"}' "$BASE/control/mode")"
expect_eq "so the mode did not change" "200 -" "$(push)"
ctl "$BASE/control/stats" >"$TMP/stats.json"
expect_eq "stats: 410s, 413s, token updates" "2 1 1" "$(python3 -S -c 'import json,sys
s=json.load(open(sys.argv[1])); print(s["by_status"]["410"], s["by_status"]["413"], s["token_updates"])' "$TMP/stats.json")"
expect_eq "reset" 200 "$(ctl -o /dev/null -w '%{http_code}' -X POST "$BASE/control/reset")"
expect_eq "after reset: nothing recorded" "0 0" "$(count_of "$DEV") $(ctl "$BASE/control/stats" | json requests)"

# ---- h2c (cleartext, prior knowledge), for tests that do without TLS ----
PORT2=$(free_port)
"$STANDIN" --port "$PORT2" --auth-key-pub "$TMP/key/auth-key.pub.pem" --key-id "$KID" --team-id "$TEAM" \
  --topic "$TOPIC" 2>"$TMP/standin2.log" &
EXTRA_PIDS+=($!)
wait_until 10 curl -s -o /dev/null "http://127.0.0.1:$PORT2/healthz" || bad "the h2c stand-in did not start"
expect_eq "h2c with prior knowledge: 200" 200 "$(curl -s --http2-prior-knowledge -o /dev/null -w '%{http_code}' -X POST \
  "http://127.0.0.1:$PORT2/3/device/$DEV" -H "authorization: bearer $GOOD" -H "apns-topic: $TOPIC" \
  -H 'apns-push-type: alert' -d '{"aps":{}}')"
expect_eq "cleartext HTTP/1.1: 505" 505 "$(curl -s --http1.1 -o /dev/null -w '%{http_code}' -X POST \
  "http://127.0.0.1:$PORT2/3/device/$DEV" -H "authorization: bearer $GOOD" -d '{"aps":{}}')"
expect_eq "no control token file: the control API is open" 200 "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT2/control/stats")"

# ---- the log ----
expect_no_match "no provider token is logged" "${GOOD:0:20}|${GOOD: -20}" "$(cat "$TMP/standin.log")"
expect_no_match "the control token is never logged" "$CTL_TOKEN" "$(cat "$TMP/standin.log")"
expect_no_match "no whole device token is logged" "$DEV|$DEV2" "$(cat "$TMP/standin.log")"
expect_match "one log line per request" 'apns-standin: POST /3/device/01234567\.\.\. 200' "$(cat "$TMP/standin.log")"
kill -TERM "$STANDIN_PID"; wait "$STANDIN_PID"
expect_eq "SIGTERM stops it cleanly" 0 "$?"
expect_no_match "no sanitizer report" 'AddressSanitizer|LeakSanitizer|runtime error' "$(cat "$TMP/standin.log" "$TMP/standin2.log")"
finish

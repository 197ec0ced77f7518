#!/usr/bin/env bash
# tests/integration/test_push_apns.sh — the APNs adapter (push/delivery/apns.c) against the stand-in APNs
# (tools/apns_standin) through cong-push-send: over TLS verified with a test CA (the real transport) and over h2c with
# prior knowledge, a batch of 20 sent on ONE connection with the right headers and payload (alert and background);
# batches through one adapter (push-batches: two threads, two rounds read from its stdin) on one connection with one provider token; the
# answers onto outcomes (Unregistered → gone with its timestamp, BadDeviceToken → gone, DeviceTokenNotForTopic and
# another topic → drop, 429/500/503 → retry with Retry-After, a refused provider token re-signed once); refusals
# before sending (collapse id, payload size);
# no stand-in, a stand-in too slow for the deadline, TLS without the CA → retry, never sent; options naming the key;
# no secret or whole device token on stderr.
# Needs bash, openssl, curl, python3 (stdlib); no gateway, no stores.
source "$(dirname "$0")/lib.sh"
PATH="$(dirname "$(python3 -c 'import sys; print(sys.executable)')"):$PATH" # the interpreter itself, not a shim

TMP="$GW_DIR/apns"
mkdir -p "$TMP"
KID=ABC123DEFG
TEAM=DEF123GHIJ
TOPIC=vn.gov.hanoi.cong
bash "$SRC/tools/apns_standin/make-auth-key.sh" "$TMP/key" >/dev/null
server_pki "$TMP" apns-standin-test-ca

read -r TLS_PORT H2C_PORT DEAD_PORT <<<"$(free_ports 3)"
common=(--auth-key-pub "$TMP/key/auth-key.pub.pem" --key-id "$KID" --team-id "$TEAM" --topic "$TOPIC")
"$BUILD/apns-standin" --port "$TLS_PORT" "${common[@]}" --tls-cert "$TMP/server.pem" --tls-key "$TMP/server.key" \
  2>"$TMP/tls.log" &
EXTRA_PIDS+=($!)
"$BUILD/apns-standin" --port "$H2C_PORT" "${common[@]}" 2>"$TMP/h2c.log" &
H2C_PID=$!
EXTRA_PIDS+=($!)
TLS=https://127.0.0.1:$TLS_PORT
H2C=http://127.0.0.1:$H2C_PORT
wait_until 10 curl -s -o /dev/null --cacert "$TMP/ca.pem" "$TLS/healthz" || bad "the TLS stand-in did not start"
wait_until 10 curl -s -o /dev/null "$H2C/healthz" || bad "the h2c stand-in did not start"

control() { curl -s --cacert "$TMP/ca.pem" --max-time 10 "$@"; } # control URL [CURL ARGS...]
mark() { control -o /dev/null -X POST -d "{\"device_token\":\"$2\",\"reason\":\"$3\"${4:+,\"timestamp\":$4}}" "$1/control/devices"; }
mode() { control -o /dev/null -X POST -d "$2" "$1/control/mode"; }

for i in $(seq 1 20); do printf '%064x\n' "$((0xa0000 + i))"; done >"$TMP/tokens20"
DEV1=$(sed -n 1p "$TMP/tokens20")
KEY_OPTS=(--option "auth_key_file=$TMP/key/auth-key.p8" --option "key_id=$KID" --option "team_id=$TEAM")
TLS_OPTS=("${KEY_OPTS[@]}" --option "topic=$TOPIC" --option "endpoint=$TLS" --option "ca_file=$TMP/ca.pem")
H2C_OPTS=("${KEY_OPTS[@]}" --option "topic=$TOPIC" --option "endpoint=$H2C" --option h2_prior_knowledge=1)
EVENT=123E4567-E89B-12D3-A456-426655440000
ALERT=(--title 'Hồ sơ' --body 'Đã tiếp nhận' --data '{"event":"dossier.accepted","dossier":"HN-1"}'
  --collapse-id dossier-42 --event-id "$EVENT" --ttl-s 3600 --high)

# push TOKENS_FILE ARGS... — cong-push-send through the adapter; its lines in $TMP/out, its stderr added to
# $TMP/stderr (checked for secrets at the end); prints its exit status.
push() {
  local f=$1
  shift
  "$BUILD/cong-push-send" --provider apns --tokens-file "$f" "$@" >"$TMP/out" 2>>"$TMP/stderr"
  echo $?
}
# outcomes [FILE] — the results counted: "20 sent/200/" or "1 gone/410/Unregistered 1 sent/200/" (sorted).
outcomes() {
  python3 -S -c 'import json,sys
c={}
for l in open(sys.argv[1]):
    r=json.loads(l); k="%s/%s/%s" % (r["outcome"], r["status"], r["reason"]); c[k]=c.get(k,0)+1
print(" ".join("%d %s" % (n,k) for k,n in sorted(c.items())))' "${1:-$TMP/out}"
}
# line I FIELD — a field of the I-th result line.
line() { sed -n "$(($1 + 1))p" "$TMP/out" | json "$2"; }
stat_of() { control "$1/control/stats" | json "$2"; }
notifications() { control "$1/control/notifications" >"$TMP/notes.json"; }

# ---- a batch of 20 over TLS (the test CA): sent on one connection, headers and payload as Apple asks ----
T0=$(date +%s)
expect_eq "20 alerts over TLS: exit 0" 0 "$(push "$TMP/tokens20" "${TLS_OPTS[@]}" "${ALERT[@]}" --deadline-ms 20000)"
expect_eq "20 sent" "20 sent/200/" "$(outcomes)"
notifications "$TLS"
expect_eq "recorded: 20 devices, one connection, topic, alert, priority 10, collapse id, apns-id, payload" \
  "20 1 $TOPIC alert 10 dossier-42 ${EVENT,,} Hồ sơ|Đã tiếp nhận|default|dossier.accepted|HN-1 200" \
  "$(python3 -S -c 'import json,sys
n=json.load(open(sys.argv[1]))["notifications"]; a=n[0]; p=a["payload"]
assert all((x["topic"],x["push_type"],x["priority"],x["collapse_id"],x["apns_id"],x["payload"])==(a["topic"],a["push_type"],a["priority"],a["collapse_id"],a["apns_id"],p) for x in n)
print(len({x["device_token"] for x in n}), len({x["connection"] for x in n}), a["topic"], a["push_type"], a["priority"],
  a["collapse_id"], a["apns_id"], "|".join([p["aps"]["alert"]["title"], p["aps"]["alert"]["body"], p["aps"]["sound"],
  p["event"], p["dossier"]]), a["status"])' "$TMP/notes.json")"
expect_eq "every device of the file" "$(sort "$TMP/tokens20" | tr '\n' ' ')" \
  "$(python3 -S -c 'import json,sys; print(" ".join(sorted(x["device_token"] for x in json.load(open(sys.argv[1]))["notifications"])), end=" ")' "$TMP/notes.json")"
expect_eq "apns-expiration: now + ttl_s" 1 "$(python3 -S -c 'import json,sys,time
e=json.load(open(sys.argv[1]))["notifications"][0]["expiration"]; print(int(int(sys.argv[2]) + 3600 <= e <= time.time() + 3600))' "$TMP/notes.json" "$T0")"

# ---- background (no title, no body): content-available, priority 5 even when high is asked, expiration 0 ----
control -o /dev/null -X POST "$TLS/control/reset"
expect_eq "a background push: exit 0" 0 "$(push <(echo "$DEV1") "${TLS_OPTS[@]}" --data '{"event":"sync"}' --high)"
notifications "$TLS"
expect_eq "background, priority 5, expiration 0, no apns-id of ours, content-available" \
  'background 5 0 None {"aps": {"content-available": 1}, "event": "sync"}' \
  "$(python3 -S -c 'import json,sys
a=json.load(open(sys.argv[1]))["notifications"][0]
print(a["push_type"], a["priority"], a["expiration"], a["collapse_id"], json.dumps(a["payload"], sort_keys=True))' "$TMP/notes.json")"

# ---- batches through one adapter, two threads at a time, one round after another: one connection, one token ----
control -o /dev/null -X POST "$TLS/control/reset"
printf 'round\nround\n' | "$BUILD/push-batches" --provider apns --tokens-file "$TMP/tokens20" --threads 2 \
  "${TLS_OPTS[@]}" --deadline-ms 20000 >"$TMP/out" 2>>"$TMP/stderr"
expect_eq "two rounds of two batches of 20: all sent" "sent=40 retry=0 gone=0 drop=0 sent=40 retry=0 gone=0 drop=0" \
  "$(tr '\n' ' ' <"$TMP/out" | sed 's/ $//')"
notifications "$TLS"
expect_eq "80 recorded on ONE connection" "80 1" "$(python3 -S -c 'import json,sys
n=json.load(open(sys.argv[1]))["notifications"]; print(len(n), len({x["connection"] for x in n}))' "$TMP/notes.json")"
# On one connection a second token within 20 minutes would be 429 TooManyProviderTokenUpdates, and a later one would
# count as an update: neither means the stand-in saw one token.
expect_eq "no TooManyProviderTokenUpdates, no token update" "0 0" \
  "$(control "$TLS/control/stats" | python3 -S -c 'import json,sys
s=json.load(sys.stdin); print(s["by_reason"].get("TooManyProviderTokenUpdates", 0), s["token_updates"])')"

# ---- answers onto outcomes ----
printf '%064x\n' 1 2 3 4 >"$TMP/tokens4"
mapfile -t D <"$TMP/tokens4"
mark "$TLS" "${D[0]}" Unregistered 1790000000123
mark "$TLS" "${D[1]}" BadDeviceToken
mark "$TLS" "${D[2]}" DeviceTokenNotForTopic
expect_eq "some not sent: exit 1" 1 "$(push "$TMP/tokens4" "${TLS_OPTS[@]}" --title t)"
expect_eq "Unregistered → gone, with APNs' timestamp" "gone 410 Unregistered 1790000000123" \
  "$(line 0 outcome) $(line 0 status) $(line 0 reason) $(line 0 gone_at_ms)"
expect_eq "BadDeviceToken → gone" "gone 400 BadDeviceToken 0" \
  "$(line 1 outcome) $(line 1 status) $(line 1 reason) $(line 1 gone_at_ms)"
expect_eq "DeviceTokenNotForTopic → drop" "drop 400 DeviceTokenNotForTopic" "$(line 2 outcome) $(line 2 status) $(line 2 reason)"
expect_eq "an unmarked device → sent" "sent 200" "$(line 3 outcome) $(line 3 status)"
expect_eq "another app's topic → drop" "1 drop/400/TopicDisallowed" \
  "$(push <(echo "${D[3]}") "${KEY_OPTS[@]}" --option topic=com.example.other --option "endpoint=$TLS" \
    --option "ca_file=$TMP/ca.pem" --title t >/dev/null; outcomes)"

# REASON:STATUS:RETRY_AFTER_S (0: the stand-in sends no Retry-After)
for fail in TooManyRequests:429:7 InternalServerError:500:0 ServiceUnavailable:503:30; do
  IFS=: read -r reason status after <<<"$fail"
  mode "$TLS" "{\"fail\":\"$reason\",\"count\":0,\"retry_after_s\":$after}"
  push "$TMP/tokens4" "${TLS_OPTS[@]}" --title t >/dev/null
  expect_eq "$reason → retry" "4 retry/$status/$reason" "$(outcomes)"
  expect_eq "$reason: retry_after_s from Retry-After" "$after $after" "$(line 0 retry_after_s) $(line 3 retry_after_s)"
done
mode "$TLS" '{"fail":"none","retry_after_s":0}'

# A provider token APNs refuses (another team): dropped, the message re-sent ONCE with a fresh token, then retry.
control -o /dev/null -X POST "$TLS/control/reset"
push <(echo "$DEV1") --option "auth_key_file=$TMP/key/auth-key.p8" --option "key_id=$KID" --option team_id=ZZZ123GHIJ \
  --option "topic=$TOPIC" --option "endpoint=$TLS" --option "ca_file=$TMP/ca.pem" --title t >/dev/null
expect_eq "InvalidProviderToken → retry" "1 retry/403/InvalidProviderToken" "$(outcomes)"
expect_eq "re-signed and re-sent once: two requests" 2 "$(stat_of "$TLS" requests)"

# ---- refused before sending: nothing reaches APNs ----
control -o /dev/null -X POST "$TLS/control/reset"
expect_eq "a 65-byte collapse id → drop BadCollapseId" "1 drop/0/BadCollapseId" \
  "$(push <(echo "$DEV1") "${TLS_OPTS[@]}" --title t --collapse-id "$(printf 'c%.0s' {1..65})" >/dev/null; outcomes)"
expect_eq "a 64-byte collapse id → sent" "1 sent/200/" \
  "$(push <(echo "$DEV1") "${TLS_OPTS[@]}" --title t --collapse-id "$(printf 'c%.0s' {1..64})" >/dev/null; outcomes)"
BIG=$(printf 'x%.0s' {1..4050}) # {"aps":{"alert":{"body":"…"},"sound":"default"}}: 4097 bytes
expect_eq "a 4097-byte payload → drop PayloadTooLarge" "1 drop/0/PayloadTooLarge" \
  "$(push <(echo "$DEV1") "${TLS_OPTS[@]}" --body "$BIG" >/dev/null; outcomes)"
expect_eq "a 4096-byte payload → sent" "1 sent/200/" "$(push <(echo "$DEV1") "${TLS_OPTS[@]}" --body "${BIG:1}" >/dev/null; outcomes)"
expect_eq "only the two good ones reached the stand-in" 2 "$(stat_of "$TLS" requests)"

# ---- no answer: retry within the deadline, never sent ----
expect_eq "TLS without the test CA: exit 1" 1 "$(push "$TMP/tokens4" "${KEY_OPTS[@]}" --option "topic=$TOPIC" \
  --option "endpoint=$TLS" --title t)"
expect_eq "TLS without the test CA → retry, verification failed" "4 retry/0/tls-verification-failed" "$(outcomes)"
expect_eq "and nothing reached the stand-in" 2 "$(stat_of "$TLS" requests)"
expect_eq "no stand-in on the port → retry" "4 retry/0/unreachable" \
  "$(push "$TMP/tokens4" "${KEY_OPTS[@]}" --option "topic=$TOPIC" --option "endpoint=https://127.0.0.1:$DEAD_PORT" \
    --title t --deadline-ms 5000 >/dev/null; outcomes)"
mode "$TLS" '{"delay_ms":20000}'
S=$(date +%s%N)
push "$TMP/tokens4" "${TLS_OPTS[@]}" --title t --deadline-ms 1500 >/dev/null
E=$((($(date +%s%N) - S) / 1000000))
expect_eq "a stand-in too slow for the deadline → retry timeout" "4 retry/0/timeout" "$(outcomes)"
expect_eq "back at the deadline (1.5 s; < 10 s with the tool's start on a busy machine, the hold is 20 s)" 1 \
  "$((E >= 1500 && E < 10000))"
mode "$TLS" '{"delay_ms":0}'

# ---- h2c with prior knowledge (loopback only) ----
expect_eq "20 alerts over h2c: exit 0" 0 "$(push "$TMP/tokens20" "${H2C_OPTS[@]}" "${ALERT[@]}" --deadline-ms 20000)"
expect_eq "20 sent over h2c" "20 sent/200/" "$(outcomes)"
notifications "$H2C"
# libcurl before 8.0.0 fails on a reused prior-knowledge connection (curl/curl#10643, "Error in the HTTP2 framing
# layer"): there the adapter opens one h2c connection per message (TLS, the real transport, multiplexes above).
CONNS=1
[ "$(curl-config --vernum 2>/dev/null || echo 080000)" \< 080000 ] && CONNS=20
expect_eq "on $CONNS connection(s) (libcurl $(curl-config --version 2>/dev/null))" "20 $CONNS" "$(python3 -S -c 'import json,sys
n=json.load(open(sys.argv[1]))["notifications"]; print(len(n), len({x["connection"] for x in n}))' "$TMP/notes.json")"
kill "$H2C_PID"
wait "$H2C_PID" 2>/dev/null
expect_eq "the h2c stand-in stopped → retry" "20 retry/0/unreachable" \
  "$(push "$TMP/tokens20" "${H2C_OPTS[@]}" --title t --deadline-ms 5000 >/dev/null; outcomes)"

# ---- options: errors name the key, never the value ----
: >"$TMP/open.err"
opened() { "$BUILD/cong-push-send" --provider apns --tokens-file "$TMP/tokens4" "$@" 2>>"$TMP/open.err" >/dev/null; echo $?; }
expect_eq "no key_id: exit 2" 2 "$(opened --option "auth_key_file=$TMP/key/auth-key.p8" --option "team_id=$TEAM" --option "topic=$TOPIC")"
expect_eq "h2_prior_knowledge to a remote endpoint: exit 2" 2 "$(opened "${KEY_OPTS[@]}" --option "topic=$TOPIC" \
  --option endpoint=http://api.push.apple.com --option h2_prior_knowledge=1)"
expect_eq "token_refresh_s under 20 minutes: exit 2" 2 "$(opened "${TLS_OPTS[@]}" --option token_refresh_s=1199)"
expect_eq "a public key is no auth key: exit 2" 2 "$(opened --option "auth_key_file=$TMP/key/auth-key.pub.pem" \
  --option "key_id=$KID" --option "team_id=$TEAM" --option "topic=$TOPIC")"
expect_eq "the errors name the keys" \
  "missing option key_id|h2_prior_knowledge=1 is for a loopback endpoint only: endpoint|bad value for option token_refresh_s|auth_key_file is not a readable EC P-256 private key (.p8)" \
  "$(sed 's/^cong-push-send: apns: //' "$TMP/open.err" | paste -sd '|')"
expect_no_match "never a value" "1199|api.push.apple.com|auth-key" "$(cat "$TMP/open.err")"

# ---- nothing secret on stderr ----
cat "$TMP/open.err" >>"$TMP/stderr"
expect_no_match "no provider token (a JWT starts eyJ)" 'eyJ' "$(cat "$TMP/stderr")"
expect_eq "no private key" 0 "$(grep -cF -e PRIVATE -e "$(sed -n 2p "$TMP/key/auth-key.p8" | cut -c1-24)" "$TMP/stderr")"
expect_no_match "no whole device token" "$DEV1|${D[0]}" "$(cat "$TMP/stderr" "$TMP/out")"
expect_no_match "no sanitizer report" 'AddressSanitizer|LeakSanitizer|runtime error' "$(cat "$TMP/stderr")"
finish

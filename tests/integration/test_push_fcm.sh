#!/usr/bin/env bash
# tests/integration/test_push_fcm.sh — the FCM HTTP v1 adapter (push/delivery/fcm.c) through cong-push-send against
# the stand-in FCM (tools/fcm_standin) over h2c: a batch of 20 is sent with one access token on one connection and
# recorded with the right fields; expired tokens are refreshed once; UNREGISTERED → gone, QUOTA_EXCEEDED → retry with
# the Retry-After, UNAVAILABLE/INTERNAL → retry, SENDER_ID_MISMATCH and a payload too large → drop; a token endpoint
# that refuses the assertion (another key) → all retry, exit 1; the stand-in stopped → retry within the deadline; bad
# options name the key; no secret, access token or whole device token on stderr.
# Needs bash, curl, openssl, python3 (stdlib); no gateway, no stores.
source "$(dirname "$0")/lib.sh"

STANDIN="$BUILD/fcm-standin"
PUSH_SEND="$BUILD/cong-push-send"
TMP="$GW_DIR/fcm"
mkdir -p "$TMP/other"
read -r PORT DEAD_PORT <<<"$(free_ports 2)"
FS="http://127.0.0.1:$PORT"
SA=$(bash "$SRC/tools/fcm_standin/make-service-account.sh" "$TMP" "$FS/token" cong-test)
# Another key under the same account names: the stand-in refuses its assertions (Invalid JWT Signature).
OTHER_SA=$(bash "$SRC/tools/fcm_standin/make-service-account.sh" "$TMP/other" "$FS/token" cong-test)

ASAN_OPTIONS=halt_on_error=1 "$STANDIN" --port "$PORT" --service-account "$SA" 2>"$TMP/standin.log" &
STANDIN_PID=$!
EXTRA_PIDS+=("$STANDIN_PID")
wait_until 10 curl -s -o /dev/null "$FS/healthz" || { bad "the stand-in did not start"; cat "$TMP/standin.log"; finish; exit 1; }

ctl() { curl -s --max-time 10 "$@"; }
behaviour() { ctl -o /dev/null -w '%{http_code}' -X POST -d "$1" "$FS/control/behaviour"; }
jq_() { python3 -S -c 'import json,sys; j=json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"; }
stat_() { ctl "$FS/control/stats" | jq_ "$1"; }
# push TOKENS_FILE [cong-push-send args...] — the tool with the adapter's options; stdout in $TMP/out.jsonl, stderr
# appended to $TMP/push.err (checked for secrets at the end) and copied to $TMP/last.err; prints the exit status.
push() {
  local tokens=$1
  shift
  "$PUSH_SEND" --provider fcm --tokens-file "$tokens" --option "service_account_file=${ACCOUNT:-$SA}" \
    --option "endpoint=${ENDPOINT:-$FS}" --option h2_prior_knowledge=1 --option connect_timeout_ms=2000 \
    --deadline-ms "${DEADLINE_MS:-10000}" "$@" >"$TMP/out.jsonl" 2>"$TMP/last.err"
  local rc=$?
  cat "$TMP/last.err" >>"$TMP/push.err"
  echo "$rc"
}
# outcomes — "outcome:status:reason:retry_after_s" of each line, sorted and counted ("20x sent:200::0")
outcomes() {
  python3 -S -c 'import json,sys,collections
c = collections.Counter("%s:%s:%s:%s" % (j["outcome"], j["status"], j["reason"], j["retry_after_s"]) for j in map(json.loads, sys.stdin))
print(" ".join("%dx %s" % (n, k) for k, n in sorted(c.items())))' <"$TMP/out.jsonl"
}

# Twenty distinct device tokens, long enough that a whole one in a log would show.
for i in $(seq -w 1 20); do echo "fcm-test-device-$i:APA91bHun4MxP5egoKMwt2KZFBaFUH-1RYqx"; done >"$TMP/tokens20"
head -1 "$TMP/tokens20" >"$TMP/token1"

# ---- a batch of 20 ----
expect_eq "a batch of 20: exit 0" 0 "$(push "$TMP/tokens20" --title 'Hồ sơ' --body 'đã chuyển' \
  --data '{"event":"dossier.moved","id":"42"}' --collapse-id dossier-42 --ttl-s 600 --high)"
expect_eq "... all 20 sent" "20x sent:200::0" "$(outcomes)"
expect_eq "... all 20 recorded, one per token" "20 20" \
  "$(ctl "$FS/control/messages" | jq_ 'str(len(j["messages"])) + " " + str(len(set(m["token"] for m in j["messages"])))')"
expect_eq "... with the right fields" \
  "Hồ sơ|đã chuyển|dossier.moved|42|HIGH|600s|dossier-42|10|dossier-42" \
  "$(ctl "$FS/control/messages?token=$(cat "$TMP/token1")" | jq_ '(lambda m: "|".join([m["notification"]["title"], m["notification"]["body"], m["data"]["event"], m["data"]["id"], m["android"]["priority"], m["android"]["ttl"], m["android"]["collapse_key"], m["apns"]["headers"]["apns-priority"], m["apns"]["headers"]["apns-collapse-id"]]))(j["messages"][0]["message"])')"
expect_eq "... with ONE access token for the 20 (cached, single-flight)" 1 "$(stat_ 'j["tokens_issued"]')"
expect_match "... on ONE HTTP/2 connection (libcurl's counts, logged by the adapter)" \
  'batch of 20: 20 sent, 0 retry, 0 gone, 0 drop; 1 new connection\(s\), 20 answers over HTTP/2' "$(cat "$TMP/last.err")"

# A data-only, normal-priority message: no notification, no ttl or collapse key.
ctl -X POST "$FS/control/reset" >/dev/null
expect_eq "a data-only message: exit 0" 0 "$(push "$TMP/token1" --data '{"k":"v"}')"
expect_eq "... recorded without notification, NORMAL, apns-priority 5" "False NORMAL False 5 {'k': 'v'}" \
  "$(ctl "$FS/control/messages" | jq_ '(lambda m: " ".join(map(str, ["notification" in m, m["android"]["priority"], "ttl" in m["android"], m["apns"]["headers"]["apns-priority"], m["data"]])))(j["messages"][0]["message"])')"

# ---- several batches through one adapter (push-batches: a batch per line on its stdin) ----
# Four threads share the adapter; each sends the 20 tokens in every batch, so a batch is 80 messages.
ctl -X POST "$FS/control/reset" >/dev/null
ISSUED0=$(stat_ 'j["tokens_issued"]')
coproc BATCHES { "$BUILD/push-batches" --provider fcm --tokens-file "$TMP/tokens20" --threads 4 --deadline-ms 10000 \
  --option "service_account_file=$SA" --option "endpoint=$FS" --option h2_prior_knowledge=1 2>>"$TMP/batches.err"; }
# bash forgets the coproc's variables once it ends: kept under names of our own.
BATCHES_IN=${BATCHES[1]:-} BATCHES_OUT=${BATCHES[0]:-} BATCH_PID=${BATCHES_PID:-}
EXTRA_PIDS+=($BATCH_PID)
batch() {
  local line="push-batches is not running"
  [ -n "$BATCHES_IN" ] && echo go 2>/dev/null >&"$BATCHES_IN" && read -r -t 30 line <&"$BATCHES_OUT"
  echo "$line"
}
issued() { echo $(($(stat_ 'j["tokens_issued"]') - ISSUED0)); }
expect_eq "batch 1 from 4 threads at once: all 80 sent" "sent=80 retry=0 gone=0 drop=0" "$(batch)"
expect_eq "... with ONE access token (single-flight across the threads)" 1 "$(issued)"
expect_eq "batch 2: all 80 sent" "sent=80 retry=0 gone=0 drop=0" "$(batch)"
expect_eq "... with the same token (cached across batches)" 1 "$(issued)"
expect_eq "... over the connection of batch 1: 1 connection made in all" 1 \
  "$(grep -o '[0-9]* new connection' "$TMP/batches.err" | awk '{s += $1} END {print s}')"
expect_eq "the stand-in expired every token: batch 3 all sent" "sent=80 retry=0 gone=0 drop=0" \
  "$(ctl -X POST "$FS/control/tokens/expire" >/dev/null; batch)"
# Each thread got the old token before sending; one that was scheduled late may already find the new one, so at
# least one thread's 20 were answered 401, and however many were, ONE new token was fetched.
expect_eq "... after 20 to 80 answers 401 and ONE new token" "True 2" \
  "$(stat_ 'str(20 <= j["sends"]["unauthenticated"] <= 80)') $(issued)"
[ -n "$BATCHES_IN" ] && exec {BATCHES_IN}>&-
wait $BATCH_PID
expect_eq "push-batches ends at the end of its input" 0 "$?"
cat "$TMP/batches.err" >>"$TMP/push.err"

# ---- what FCM answers, per device token ----
ctl -X POST "$FS/control/reset" >/dev/null
for i in 1 2 3 4 5; do sed -n "${i}p" "$TMP/tokens20"; done >"$TMP/tokens5"
tok() { sed -n "$1p" "$TMP/tokens5"; }
behaviour "{\"token\":\"$(tok 1)\",\"mode\":\"unregistered\"}" >/dev/null
behaviour "{\"token\":\"$(tok 2)\",\"mode\":\"quota_exceeded\",\"retry_after_s\":17}" >/dev/null
behaviour "{\"token\":\"$(tok 3)\",\"mode\":\"unavailable\",\"retry_after_s\":5}" >/dev/null
behaviour "{\"token\":\"$(tok 4)\",\"mode\":\"internal\"}" >/dev/null
behaviour "{\"token\":\"$(tok 5)\",\"mode\":\"sender_id_mismatch\"}" >/dev/null
expect_eq "FCM's errors: exit 1" 1 "$(push "$TMP/tokens5" --body b)"
expect_eq "... UNREGISTERED gone, QUOTA_EXCEEDED retry after 17 s, UNAVAILABLE retry after 5 s, INTERNAL retry, SENDER_ID_MISMATCH drop" \
  "gone:404:UNREGISTERED:0 retry:429:QUOTA_EXCEEDED:17 retry:503:UNAVAILABLE:5 retry:500:INTERNAL:0 drop:403:SENDER_ID_MISMATCH:0" \
  "$(python3 -S -c 'import json,sys; print(" ".join("%s:%s:%s:%s" % (j["outcome"], j["status"], j["reason"], j["retry_after_s"]) for j in map(json.loads, sys.stdin)))' <"$TMP/out.jsonl")"
expect_match "... each logged with the token's first 8 characters only" 'message 0 to fcm-test\.\.\.: gone 404 UNREGISTERED' "$(cat "$TMP/last.err")"
ctl -X POST "$FS/control/reset" >/dev/null
BIG=$(printf 'x%.0s' {1..4100})
expect_eq "a payload too large: exit 1" 1 "$(push "$TMP/token1" --data "{\"k\":\"$BIG\"}")"
expect_eq "... dropped with INVALID_ARGUMENT (the device stays)" "1x drop:400:INVALID_ARGUMENT:0" "$(outcomes)"
ctl -X POST "$FS/control/reset" >/dev/null
expect_eq "data that is not an object of strings: dropped before any send" "1 1x drop:0:invalid message:0 0" \
  "$(push "$TMP/token1" --data '{"n":12}') $(outcomes) $(stat_ 'sum(j["sends"].values())')"
printf 'not a token\n' >"$TMP/badtoken"
expect_eq "a token FCM calls invalid: gone" "1 1x gone:400:INVALID_ARGUMENT:0" "$(push "$TMP/badtoken" --body b) $(outcomes)"

# ---- no credential: the token endpoint refuses the assertion (another key) ----
ctl -X POST "$FS/control/reset" >/dev/null
expect_eq "signed with another key: exit 1" 1 "$(ACCOUNT=$OTHER_SA push "$TMP/tokens5" --body b)"
expect_eq "... all 5 retry, no send made" "5x retry:0:credential:0 0" "$(outcomes) $(stat_ 'sum(j["sends"].values())')"
expect_match "... and the log says why" 'no access token \(token endpoint: 400 invalid_grant\)' "$(cat "$TMP/last.err")"
expect_eq "... the stand-in refused the assertion" 1 "$(stat_ 'j["assertions_refused"]')"

# ---- the stand-in gone: retry within the deadline ----
expect_eq "a closed port: exit 1" 1 "$(ENDPOINT=http://127.0.0.1:$DEAD_PORT push "$TMP/tokens5" --body b)"
expect_eq "... all 5 retry on the connection" "5x retry:0:connection:0" "$(outcomes)"
ctl -X POST "$FS/control/reset" >/dev/null
behaviour '{"mode":"normal","delay_ms":60000}' >/dev/null
START=$(date +%s%N)
expect_eq "answers held 60 s, deadline 1500 ms: exit 1" 1 "$(DEADLINE_MS=1500 push "$TMP/tokens5" --body b)"
ELAPSED_MS=$((($(date +%s%N) - START) / 1000000))
expect_eq "... all 5 retry, timeout" "5x retry:0:timeout:0" "$(outcomes)"
[ "$ELAPSED_MS" -lt 8000 ] && ok || bad "the run took ${ELAPSED_MS} ms for a 1500 ms deadline"
behaviour '{"mode":"normal"}' >/dev/null
kill -TERM "$STANDIN_PID"; wait "$STANDIN_PID" 2>/dev/null
expect_eq "the stand-in stopped: exit 1" 1 "$(DEADLINE_MS=3000 push "$TMP/tokens5" --body b)"
expect_eq "... all 5 retry (no token endpoint either)" "5x retry:0:credential:0" "$(outcomes)"

# ---- options ----
expect_eq "no service_account_file: exit 2" 2 "$("$PUSH_SEND" --provider fcm --tokens-file "$TMP/token1" 2>"$TMP/last.err"; echo $?)"
expect_match "... naming the key" 'service_account_file' "$(cat "$TMP/last.err")"
expect_eq "h2_prior_knowledge to a remote endpoint: exit 2" 2 "$("$PUSH_SEND" --provider fcm --tokens-file "$TMP/token1" \
  --option "service_account_file=$SA" --option endpoint=https://fcm.googleapis.com --option h2_prior_knowledge=1 2>"$TMP/last.err"; echo $?)"
expect_match "... naming the key" 'h2_prior_knowledge' "$(cat "$TMP/last.err")"
expect_eq "cleartext to a remote endpoint: exit 2" 2 "$("$PUSH_SEND" --provider fcm --tokens-file "$TMP/token1" \
  --option "service_account_file=$SA" --option endpoint=http://fcm.googleapis.com 2>"$TMP/last.err"; echo $?)"
expect_eq "an unknown option: exit 2, the key named, not the value" "2 yes no" "$("$PUSH_SEND" --provider fcm --tokens-file "$TMP/token1" \
  --option "service_account_file=$SA" --option "colour=secret-value-9" 2>"$TMP/last.err"; echo $?) \
$(grep -q colour "$TMP/last.err" && echo yes || echo no) $(grep -q secret-value-9 "$TMP/last.err" && echo yes || echo no)"
echo '{"type":"service_account","client_email":"a@b","private_key_id":"k","token_uri":"http://127.0.0.1:1/token","project_id":"p","private_key":"not a key"}' >"$TMP/broken.json"
expect_eq "a key file without a usable key: exit 2" 2 "$("$PUSH_SEND" --provider fcm --tokens-file "$TMP/token1" \
  --option "service_account_file=$TMP/broken.json" 2>>"$TMP/push.err"; echo $?)"

# ---- nothing secret on stderr ----
KEY_LINE=$(python3 -S -c 'import json,sys; print(json.load(open(sys.argv[1]))["private_key"].splitlines()[1])' "$SA")
KEY_ID=$(python3 -S -c 'import json,sys; print(json.load(open(sys.argv[1]))["private_key_id"])' "$SA")
expect_no_match "no private key on stderr" "$KEY_LINE" "$(cat "$TMP/push.err")"
expect_no_match "no private_key_id on stderr" "$KEY_ID" "$(cat "$TMP/push.err")"
expect_no_match "no access token on stderr" 'ya29\.' "$(cat "$TMP/push.err")"
expect_no_match "no assertion on stderr" 'eyJ' "$(cat "$TMP/push.err")"
expect_no_match "no whole device token on stderr" 'APA91b' "$(cat "$TMP/push.err")"
expect_no_match "no payload on stderr" 'dossier.moved|đã chuyển|xxxxxxxx' "$(cat "$TMP/push.err")"
expect_match "... though stderr was written to" 'batch of 20' "$(cat "$TMP/push.err")"

finish

#!/usr/bin/env bash
# tests/integration/test_webhook_standin.sh — the stand-in webhook receiver (tools/webhook_standin) on its own, over
# HTTP/1.1 and h2c: deliveries signed here by a small python3 client (hmac, hashlib: independently of the C code in
# push/webhook/) are accepted and recorded as verified; a wrong signature, an old or future timestamp, a body changed
# by one byte, a missing or malformed header are refused with their status and recorded reason; a repeated webhook-id
# is one record with its attempts counted; a rotation (a sender signing with two secrets, a receiver holding two) is
# verified; the behaviours (fail for N deliveries, per path; stall past the sender's deadline; slow) take effect; the
# control token; a log without secrets or signatures.
# Needs bash, curl (with HTTP/2), python3 (stdlib); no gateway, no stores.
source "$(dirname "$0")/lib.sh"

STANDIN="$BUILD/webhook-standin"
TMP="$GW_DIR/webhook"
mkdir -p "$TMP"
CTL_TOKEN=webhook-ctl-token-7
printf '%s\n' "$CTL_TOKEN" >"$TMP/control-token"

# Two endpoint secrets as a sender would show them (whsec_ + base64 of 32 random bytes), each in its own file.
new_secret() { python3 -S -c 'import base64,os; print("whsec_" + base64.b64encode(os.urandom(32)).decode())'; }
new_secret >"$TMP/old.secret"
new_secret >"$TMP/new.secret"
cp "$TMP/old.secret" "$TMP/receiver.secrets"

# sign ID TS BODY_FILE SECRET_FILE... — the webhook-signature value: "v1,<base64 HMAC-SHA256(id.ts.body)>" per secret.
cat >"$TMP/sign.py" <<'PY'
import base64, hashlib, hmac, sys
def key(path):
    text = open(path).read().strip()
    assert text.startswith("whsec_")
    return base64.b64decode(text[len("whsec_"):], validate=True)
msg_id, ts, body = sys.argv[1], sys.argv[2], open(sys.argv[3], "rb").read()
signed = msg_id.encode() + b"." + ts.encode() + b"." + body
print(" ".join("v1," + base64.b64encode(hmac.new(key(p), signed, hashlib.sha256).digest()).decode()
               for p in sys.argv[4:]))
PY
sign() { python3 -S "$TMP/sign.py" "$@"; }
now() { echo "${EPOCHREALTIME%[.,]*}"; }

expect_eq "no secret file: exit 2" 2 "$("$STANDIN" --port 0 2>/dev/null; echo $?)"
printf 'not-a-secret\n' >"$TMP/bad.secrets"
expect_eq "a secret file without whsec_ lines: exit 2" 2 "$("$STANDIN" --port 0 --secret-file "$TMP/bad.secrets" \
  2>/dev/null; echo $?)"
printf 'whsec_c2hvcnQ=\n' >"$TMP/short.secrets"
expect_eq "a secret under 24 bytes: exit 2" 2 "$("$STANDIN" --port 0 --secret-file "$TMP/short.secrets" \
  2>/dev/null; echo $?)"

PORT=$(free_port)
"$STANDIN" --port "$PORT" --secret-file "$TMP/receiver.secrets" --tolerance-s 300 \
  --control-token-file "$TMP/control-token" 2>"$TMP/standin.log" &
STANDIN_PID=$!
EXTRA_PIDS+=("$STANDIN_PID")
BASE="http://127.0.0.1:$PORT"
wait_until 10 curl -s -o /dev/null "$BASE/healthz" || bad "the stand-in did not start"
AUTH=(-H "authorization: Bearer $CTL_TOKEN")

# deliver PATH ID TS SIGNATURE [CURL ARGS...] — POSTs $TMP/body with the three headers (an empty ID, TS or
# SIGNATURE leaves that header out); prints the status; the answer stays in $TMP/answer.
deliver() {
  local path=$1 id=$2 ts=$3 sig=$4 hdrs=()
  shift 4
  [ -n "$id" ] && hdrs+=(-H "webhook-id: $id")
  [ -n "$ts" ] && hdrs+=(-H "webhook-timestamp: $ts")
  [ -n "$sig" ] && hdrs+=(-H "webhook-signature: $sig")
  curl -s -o "$TMP/answer" -w '%{http_code}' -X POST "$BASE$path" -H 'content-type: application/json' \
    "${hdrs[@]}" --data-binary "@$TMP/body" "$@"
}
# record ID FIELD — a field of the stand-in's record of webhook-id ID.
record() {
  curl -s "${AUTH[@]}" "$BASE/control/deliveries?id=$1" |
    python3 -S -c 'import json,sys; d=json.load(sys.stdin)["deliveries"]; v=d[0].get(sys.argv[1]) if d else None
print("" if v is None else json.dumps(v) if isinstance(v, bool) else v)' "$2"
}
totals() { curl -s "${AUTH[@]}" "$BASE/control/deliveries" | json "$1"; }
reason() { json reason <"$TMP/answer"; }

# ---- a good delivery, over HTTP/1.1 and h2c ----
printf '%s' '{"type":"dossier.status_changed","timestamp":"2026-12-06T10:00:00Z","data":{"dossier":"HS-1"}}' \
  >"$TMP/body"
TS=$(now)
expect_eq "a signed delivery over HTTP/1.1: 204" 204 "$(deliver /hooks/a msg_good1 "$TS" \
  "$(sign msg_good1 "$TS" "$TMP/body" "$TMP/old.secret")" --http1.1)"
expect_eq "recorded as verified" true "$(record msg_good1 verified)"
expect_eq "its reason: ok" ok "$(record msg_good1 reason)"
expect_eq "its event type from the body" dossier.status_changed "$(record msg_good1 type)"
expect_eq "its timestamp" "$TS" "$(record msg_good1 timestamp)"
expect_eq "its path" /hooks/a "$(record msg_good1 path)"
expect_eq "its answer" 204 "$(record msg_good1 status)"
expect_eq "a signed delivery over h2c (prior knowledge): 204" 204 "$(deliver /hooks/a msg_good2 "$TS" \
  "$(sign msg_good2 "$TS" "$TMP/body" "$TMP/old.secret")" --http2-prior-knowledge)"
expect_eq "a signed delivery over h2c (upgrade): 204" 204 "$(deliver /hooks/a msg_good3 "$TS" \
  "$(sign msg_good3 "$TS" "$TMP/body" "$TMP/old.secret")" --http2)"

# ---- the same id again: one record, its attempts counted ----
expect_eq "the same delivery again: 204" 204 "$(deliver /hooks/a msg_good1 "$TS" \
  "$(sign msg_good1 "$TS" "$TMP/body" "$TMP/old.secret")")"
expect_eq "one record, two attempts" 2 "$(record msg_good1 attempts)"
expect_eq "both verified" 2 "$(record msg_good1 verified_attempts)"
expect_eq "counted as a duplicate" 1 "$(totals duplicates)"
expect_eq "three ids" 3 "$(totals unique_ids)"

# ---- refused: status and recorded reason ----
GOOD_SIG=$(sign msg_bad "$TS" "$TMP/body" "$TMP/old.secret")
expect_eq "another secret's signature: 401" 401 "$(deliver /hooks/a msg_bad "$TS" \
  "$(sign msg_bad "$TS" "$TMP/body" "$TMP/new.secret")")"
expect_eq "answered no_matching_signature" no_matching_signature "$(reason)"
expect_eq "recorded no_matching_signature" no_matching_signature "$(record msg_bad reason)"
expect_eq "recorded as not verified" false "$(record msg_bad verified)"
cp "$TMP/body" "$TMP/good-body"
sed -i 's/HS-1/HS-2/' "$TMP/body"
expect_eq "the body changed by one byte: 401" 401 "$(deliver /hooks/a msg_bad "$TS" "$GOOD_SIG")"
expect_eq "recorded no_matching_signature" no_matching_signature "$(record msg_bad reason)"
expect_eq "two attempts, none verified" "2 0" "$(record msg_bad attempts) $(record msg_bad verified_attempts)"
cp "$TMP/good-body" "$TMP/body"
expect_eq "the original body with that signature: 204" 204 "$(deliver /hooks/a msg_bad "$TS" "$GOOD_SIG")"
OLD=$(($(now) - 600))
expect_eq "a timestamp 10 minutes old, rightly signed: 401" 401 "$(deliver /hooks/a msg_old "$OLD" \
  "$(sign msg_old "$OLD" "$TMP/body" "$TMP/old.secret")")"
expect_eq "recorded too_old" too_old "$(record msg_old reason)"
expect_eq "the old timestamp recorded" "$OLD" "$(record msg_old timestamp)"
FUTURE=$(($(now) + 600))
expect_eq "a timestamp 10 minutes ahead: 401" 401 "$(deliver /hooks/a msg_new "$FUTURE" \
  "$(sign msg_new "$FUTURE" "$TMP/body" "$TMP/old.secret")")"
expect_eq "recorded too_new" too_new "$(record msg_new reason)"
expect_eq "no webhook-signature: 400" 400 "$(deliver /hooks/a msg_nosig "$TS" "")"
expect_eq "recorded missing_signature" missing_signature "$(record msg_nosig reason)"
expect_eq "no webhook-id: 400 missing_id" "400 missing_id" "$(deliver /hooks/a "" "$TS" "$GOOD_SIG") $(reason)"
expect_eq "a timestamp that is no integer: 400 bad_timestamp" "400 bad_timestamp" \
  "$(deliver /hooks/a msg_badts "$TS.5" "$GOOD_SIG") $(reason)"
expect_eq "a signature without its version: 400 malformed_signature" "400 malformed_signature" \
  "$(deliver /hooks/a msg_mal "$TS" "${GOOD_SIG#v1,}") $(reason)"
expect_eq "only an ed25519 (v1a) entry: 400 no_v1_signature" "400 no_v1_signature" \
  "$(deliver /hooks/a msg_v1a "$TS" "v1a,${GOOD_SIG#v1,}") $(reason)"
expect_eq "webhook-id sent twice: 400 bad_id" "400 bad_id" "$(deliver /hooks/a msg_bad "$TS" "$GOOD_SIG" \
  -H 'webhook-id: msg_other') $(reason)"
expect_eq "GET is no delivery: 405" 405 "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/hooks/a")"

# ---- rotation ----
expect_eq "a sender signing with the new and the old secret: 204" 204 "$(deliver /hooks/a msg_rot1 "$TS" \
  "$(sign msg_rot1 "$TS" "$TMP/body" "$TMP/new.secret" "$TMP/old.secret")")"
cat "$TMP/new.secret" "$TMP/old.secret" >"$TMP/receiver.secrets"
expect_eq "the receiver re-reads its file: two secrets" 2 "$(curl -s "${AUTH[@]}" -X POST \
  "$BASE/control/reload-secrets" | json secrets)"
expect_eq "holding both, the new secret alone verifies" 204 "$(deliver /hooks/a msg_rot2 "$TS" \
  "$(sign msg_rot2 "$TS" "$TMP/body" "$TMP/new.secret")")"
expect_eq "holding both, the old secret alone verifies" 204 "$(deliver /hooks/a msg_rot3 "$TS" \
  "$(sign msg_rot3 "$TS" "$TMP/body" "$TMP/old.secret")")"
cp "$TMP/new.secret" "$TMP/receiver.secrets"
curl -s -o /dev/null "${AUTH[@]}" -X POST "$BASE/control/reload-secrets"
expect_eq "the rotation over: the old secret alone is refused" "401 no_matching_signature" \
  "$(deliver /hooks/a msg_rot4 "$TS" "$(sign msg_rot4 "$TS" "$TMP/body" "$TMP/old.secret")") $(reason)"
printf 'garbage\n' >"$TMP/receiver.secrets"
expect_eq "a bad file on reload: 422" 422 "$(curl -s -o /dev/null -w '%{http_code}' "${AUTH[@]}" -X POST \
  "$BASE/control/reload-secrets")"
expect_eq "and the secrets in use are kept" 204 "$(deliver /hooks/a msg_rot5 "$TS" \
  "$(sign msg_rot5 "$TS" "$TMP/body" "$TMP/new.secret")")"
SECRET=$TMP/new.secret

# ---- behaviours ----
# behaviour JSON — POST /control/behaviour; prints the status.
behaviour() { curl -s -o "$TMP/ctl" -w '%{http_code}' "${AUTH[@]}" -X POST "$BASE/control/behaviour" -d "$1"; }
signed() { deliver "$1" "$2" "$TS" "$(sign "$2" "$TS" "$TMP/body" "$SECRET")" "${@:3}"; }
expect_eq "fail for the next 2 deliveries: accepted" 200 "$(behaviour '{"action":"fail","status":500,"count":2}')"
expect_eq "the first: 500" 500 "$(signed /hooks/a msg_f1)"
expect_eq "the second: 500" 500 "$(signed /hooks/b msg_f2)"
expect_eq "the third: 204 again" 204 "$(signed /hooks/a msg_f3)"
expect_eq "a failed delivery is still verified in the record" "true 500" \
  "$(record msg_f1 verified) $(record msg_f1 status)"
expect_eq "the retry of a failed delivery: 204, two attempts" "204 2" "$(signed /hooks/a msg_f1) $(record msg_f1 attempts)"
expect_eq "fail 503 on /hooks/b only, until changed" 200 "$(behaviour '{"action":"fail","status":503,"path":"/hooks/b"}')"
expect_eq "/hooks/b: 503" 503 "$(signed /hooks/b msg_p1)"
expect_eq "/hooks/b again: 503" 503 "$(signed /hooks/b msg_p2)"
expect_eq "/hooks/a: 204" 204 "$(signed /hooks/a msg_p3)"
expect_eq "GET lists the rule" '/hooks/b fail' "$(curl -s "${AUTH[@]}" "$BASE/control/behaviour" | python3 -S -c \
  'import json,sys; r=json.load(sys.stdin)["behaviours"][0]; print(r["path"], r["action"])')"
expect_eq "normal on /hooks/b removes it" 200 "$(behaviour '{"action":"normal","path":"/hooks/b"}')"
expect_eq "/hooks/b: 204" 204 "$(signed /hooks/b msg_p4)"
expect_eq "a bad behaviour: 400" 400 "$(behaviour '{"action":"explode"}')"
expect_eq "fail with a 2xx: 400" 400 "$(behaviour '{"action":"fail","status":200}')"

# stall: held 3 s, past the sender's 1 s deadline; the record has it (verified) at once, and its abandon afterwards
# (over HTTP/2, where h2o notices a sender gone while the answer is held; see the README).
expect_eq "stall 3000 ms for one delivery" 200 "$(behaviour '{"action":"stall","delay_ms":3000,"count":1}')"
expect_eq "the sender's 1 s deadline passes: no answer" 000 "$(signed /hooks/a msg_s1 --max-time 1 --http2-prior-knowledge)"
expect_eq "recorded as verified while held" true "$(record msg_s1 verified)"
wait_until 10 eval '[ "$(record msg_s1 abandoned)" = 1 ]' || bad "the stalled delivery was not noted abandoned"
expect_eq "the next delivery is answered at once" 204 "$(signed /hooks/a msg_s2 --max-time 5)"
expect_eq "stall 300 ms for one delivery" 200 "$(behaviour '{"action":"stall","delay_ms":300,"count":1}')"
expect_eq "a sender that waits: 503 after the stall" 503 "$(signed /hooks/a msg_s3 --max-time 10)"
expect_eq "its answer recorded" 503 "$(record msg_s3 status)"
# slow: answered as verification says, after the delay.
expect_eq "slow 400 ms, until changed" 200 "$(behaviour '{"action":"slow","delay_ms":400}')"
T0=${EPOCHREALTIME/[.,]/}
expect_eq "a slow but good answer: 204" 204 "$(signed /hooks/a msg_w1 --max-time 10)"
ELAPSED_MS=$(((${EPOCHREALTIME/[.,]/} - T0) / 1000))
[ "$ELAPSED_MS" -ge 400 ] && ok || bad "the slow answer came after $ELAPSED_MS ms, under 400"
expect_eq "slow answers a refusal slowly too" 401 "$(deliver /hooks/a msg_w2 "$TS" \
  "$(sign msg_w2 "$TS" "$TMP/body" "$TMP/old.secret")" --max-time 10)"
expect_eq "the slow rule stays" 204 "$(signed /hooks/a msg_w3 --max-time 10)"
# two deliveries held at once, from two senders: a held answer does not block the loop
expect_eq "slow 2000 ms, until changed" 200 "$(behaviour '{"action":"slow","delay_ms":2000}')"
signed /hooks/a msg_w4 --max-time 20 --http2-prior-knowledge >"$TMP/parallel1" &
PARALLEL1=$!
signed /hooks/a msg_w5 --max-time 20 --http1.1 >"$TMP/parallel2" &
PARALLEL2=$!
wait_until 10 eval '[ "$(totals held)" = 2 ]' && ok || bad "the two slow deliveries were not held at once"
wait "$PARALLEL1" "$PARALLEL2"
expect_eq "both answered 204 after the delay" "204 204" "$(cat "$TMP/parallel1") $(cat "$TMP/parallel2")"

# ---- the control API ----
expect_eq "no control token: 401" 401 "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/control/deliveries")"
expect_eq "a wrong control token: 401" 401 "$(curl -s -o /dev/null -w '%{http_code}' -H 'authorization: Bearer x' \
  "$BASE/control/deliveries")"
expect_eq "reset: 200" 200 "$(curl -s -o /dev/null -w '%{http_code}' "${AUTH[@]}" -X POST "$BASE/control/reset")"
expect_eq "the record is empty" 0 "$(totals requests)"
expect_eq "and the slow rule gone" 204 "$(signed /hooks/a msg_after_reset --max-time 1)"

# ---- the log ----
LOG=$(cat "$TMP/standin.log")
expect_no_match "no secret is logged" "$(cut -c7-20 "$TMP/old.secret")|$(cut -c7-20 "$TMP/new.secret")" "$LOG"
expect_no_match "no signature is logged" "${GOOD_SIG:3:20}" "$LOG"
expect_no_match "the control token is never logged" "$CTL_TOKEN" "$LOG"
expect_match "one line per delivery with its verdict" 'delivery msg_old to /hooks/a: too_old' "$LOG"
kill -TERM "$STANDIN_PID"; wait "$STANDIN_PID"
expect_eq "SIGTERM stops it cleanly" 0 "$?"
expect_no_match "no sanitizer report" 'AddressSanitizer|LeakSanitizer|runtime error' "$(cat "$TMP/standin.log")"
finish

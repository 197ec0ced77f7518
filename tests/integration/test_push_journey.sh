#!/usr/bin/env bash
# Issue 14 end to end, every part real: two citizens log in through the stand-in VNeID, B registers an FCM device and
# opens the app (GET /v1/me/events over HTTP/2); A gives B a mandate through the API (the mandates module writes its
# push_outbox row and the inbox row in its transaction); cong-push-relay and cong-push-worker carry it: B's inbox has
# it, the stand-in FCM got it for B's device with the inbox's texts, and B's event stream got it with the live log's
# id; B reconnects with that id and gets nothing twice. Then B logs out (POST /v1/auth/logout): the open stream gets
# `event: session-ended` and ends (module ABI 1.8, on every instance), a reconnect is refused; the next change reaches
# B's inbox and live log, but nothing is sent to the device, and its row is gone. The gateway and the worker share a
# private Redis (sessions, live logs, streams); the relay drains the shared push_outbox: RESOURCE_LOCK push_outbox.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/push_worker_lib.sh"
vneid_start
pw_start
start_gateway "${IDENTITY_ENV[@]}" CONG_REDIS_PORT="$PW_REDIS_PORT" CONG_MODULES_PUSH_EVENTS_HEARTBEAT_MS=1000 \
  CONG_RATE_LIMITS_DEFAULT_BURST=10000 CONG_RATE_LIMITS_DEFAULT_PER_MINUTE=1000000 || exit 1
wait_stores_up || { finish; exit 1; }

RUNID=$(((RANDOM << 15 | RANDOM) % 1000000))
NA=$(printf '019%03d%06d' 7 "$RUNID") NB=$(printf '019%03d%06d' 8 "$RUNID")
A=$(vneid_login "$NA" 2) B=$(vneid_login "$NB" 2)
subject_of() { h2c -H "authorization: Bearer $1" "$(url /v1/me)" | json subject; }
SB=$(subject_of "$B")
expect_match "two citizens logged in" '^[A-Za-z0-9_-]{43}$' "$SB"
FCM_TOKEN="journey-$RUNID:$(head -c 60 /dev/zero | tr '\0' a)"
expect_eq "B registers the phone" 201 "$(call "$B" POST /v1/me/devices -H 'content-type: application/json' \
  -d "{\"platform\":\"fcm\",\"token\":\"$FCM_TOKEN\",\"locale\":\"vi\"}")"
DEVICE=$(field id)

# B's app is open: an event stream (from now on)
curl -sN --http2-prior-knowledge --max-time 60 -H "authorization: Bearer $B" -o "$GW_DIR/b.sse" \
  "$(url /v1/me/events)" &
EXTRA_PIDS+=($!)
SSE_PID=$!
sse_has() { grep -q -- "$1" "$GW_DIR/b.sse" 2>/dev/null; }
wait_until 10 sse_has '^retry: ' || bad "B's event stream did not open"

pw_worker w
relay() { timeout 30 "$BUILD/cong-push-relay" --pg "$PW_CONNINFO" --redis-port "$PW_REDIS_PORT" --once \
  2>>"$GW_DIR/relay.log"; }

# ---- A gives B a mandate: one real change ----
mandate() {
  call "$A" POST /v1/mandates -H 'content-type: application/json' -H "idempotency-key: journey-$RUNID-$1" \
    -d "{\"grantee_citizen_number\":\"$NB\",\"procedures\":[\"$P1\"],\"actions\":[\"view\"],\"valid_until\":\"$UNTIL\"}"
}
P1=$(psql_cong "SELECT min(code) FROM procedures")
UNTIL=$(date -u -d '+5 days' +%Y-%m-%dT%H:%M:%SZ)
expect_eq "A gives B a mandate" 201 "$(mandate 1)"
M1=$(field id)
relay
fcm_sent_to_b() { [ "$(pw_fcm_sent | grep -c "^$FCM_TOKEN")" -ge "$1" ]; }
wait_until 20 fcm_sent_to_b 1 || bad "the stand-in FCM got nothing for B's phone"
wait_until 10 sse_has '^event: mandate.changed' || bad "B's event stream got nothing: $(cat "$GW_DIR/b.sse")"
read -r ITEM TITLE <<<"$(call "$B" GET /v1/me/inbox >/dev/null; body | python3 -c 'import json, sys
i = json.load(sys.stdin)["items"][0]
print(i["id"], i["title"])')"
expect_eq "B's inbox has it" "Ủy quyền có thay đổi" "$TITLE"
expect_eq "the phone got the inbox's Vietnamese title" "$FCM_TOKEN:Ủy quyền có thay đổi" "$(pw_fcm_sent | grep "^$FCM_TOKEN")"
EVENT_ID=$(sed -n 's/^id: //p' "$GW_DIR/b.sse" | tail -1)
# the id is a cursor "<person log id>.<area log id>.<city log id>" (modules/push/live_id.c): its first part is the entry's
expect_eq "the stream's event is the live log's entry" "$(pw_r XREVRANGE "cong:user:$SB:log" + - COUNT 1 | head -1)" \
  "${EVENT_ID%%.*}"
expect_match "... its data names the inbox item and the mandate" "\"inbox_id\":$ITEM,.*\"id\":\"$M1\"" \
  "$(grep -A2 "^id: $EVENT_ID" "$GW_DIR/b.sse" | grep '^data: ')"

# ---- B's app reconnects with Last-Event-ID: nothing twice ----
again=$(curl -sN --http2-prior-knowledge --max-time 3 -H "authorization: Bearer $B" -H "Last-Event-ID: $EVENT_ID" \
  "$(url /v1/me/events)")
expect_eq "a resume after the last event sends no event again" "" "$(grep '^id: ' <<<"$again")"

# ---- B logs out: the open stream is told and ends; the next change reaches the inbox and the live log, not the phone ----
expect_eq "B logs out" 204 "$(call "$B" POST /v1/auth/logout)"
sse_over() { ! kill -0 "$SSE_PID" 2>/dev/null; }
wait_until 10 sse_over || bad "B's event stream is still open after the logout"
expect_eq "...its last event says the session ended" "event: session-ended" \
  "$(grep '^event: ' "$GW_DIR/b.sse" | tail -1)"
expect_eq "...and a reconnect with the logged-out token is refused" 401 \
  "$(curl -s -o /dev/null -w '%{http_code}' --http2-prior-knowledge --max-time 5 -H "authorization: Bearer $B" \
    "$(url /v1/me/events)")"
expect_eq "A gives B another mandate" 201 "$(mandate 2)"
M2=$(field id)
relay
live_has_m2() { pw_r XRANGE "cong:user:$SB:log" - + | grep -q "$M2"; }
wait_until 20 live_has_m2 || bad "the second change did not reach B's live log"
device_gone() { [ "$(psql_cong "SELECT count(*) FROM push_devices WHERE id = '$DEVICE'")" = 0 ]; }
wait_until 20 device_gone || bad "the logged-out session's device is still registered"
expect_eq "nothing more was sent to the phone" 1 "$(pw_fcm_sent | grep -c "^$FCM_TOKEN")"
expect_eq "the second change is in B's inbox" 1 \
  "$(psql_cong "SELECT count(*) FROM push_inbox WHERE subject = '$SB' AND data->>'id' = '$M2'")"
pw_stop w
expect_eq "the worker stops cleanly" 0 "$PW_STATUS"
psql_cong "DELETE FROM push_inbox WHERE subject = '$SB'" >/dev/null
finish

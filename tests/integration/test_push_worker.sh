#!/usr/bin/env bash
# tests/integration/test_push_worker.sh — cong-push-worker (push/worker) end to end: a worker started while its Redis
# is down waits (alive, logging it) and works once Redis comes; a dossier status change (a push_outbox row with the
# real template topic dossier.status, written by SQL) → cong-push-relay → the worker → the inbox row's texts reach the
# stand-in FCM (Vietnamese device) and APNs (English device), and the person's live log has the entry once with the
# inbox id; the same event relayed again (at-least-once relay) is neither appended nor sent again; a broadcast's
# recipient entry is sent with its own texts and counted in the broadcast's progress; logout (the
# session's key deleted) and revocation (cong:revoked) → nothing sent to those devices and their rows deleted, while
# the person's live device gets it; SIGTERM → exit 0. Writes push_outbox rows: RESOURCE_LOCK push_outbox.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/push_worker_lib.sh"

S1="pw-$PW_RUNID-a"
S2="pw-$PW_RUNID-b"
LOG="$GW_DIR/w1.log"
pw_start redis-later

# ---- Redis down at start: the worker waits, never exits ----------------------------------------------------------
pw_worker w1
wait_until 20 grep -q "redis: 127.0.0.1:$PW_REDIS_PORT" "$LOG" || bad "no line about Redis being down"
kill -0 "$w1_PID" 2>/dev/null && ok || bad "the worker exited while Redis was down"
pw_redis_start

# ---- a dossier status change through the relay -------------------------------------------------------------------
read -r D1 D2 <<<"$(printf '%s\n' "$S1 fcm $(pw_fcm_token 1) vi pw-$PW_RUNID-sess-1" \
  "$S1 apns $(pw_apns_token 1) en pw-$PW_RUNID-sess-2" | pw_devices | tr '\n' ' ')"
OUTBOX=$(pw_q "INSERT INTO push_outbox (subject, topic, payload) VALUES ('$S1', 'dossier.status',
  '{\"code\": \"HN-$PW_RUNID\", \"status\": \"approved\", \"version\": 2}') RETURNING id")
INBOX=$(pw_q "SELECT id || '|' || title_vi || '|' || body_vi || '|' || title_en || '|' || body_en FROM push_inbox
  WHERE subject = '$S1' AND event_key = 'push_outbox:$OUTBOX'")
IFS='|' read -r INBOX_ID TITLE_VI BODY_VI TITLE_EN BODY_EN <<<"$INBOX"
expect_eq "the module's trigger rendered the inbox row" "Hồ sơ HN-$PW_RUNID có cập nhật" "$TITLE_VI"
relay_once() { timeout 30 "$BUILD/cong-push-relay" --pg "$PW_CONNINFO" --redis-port "$PW_REDIS_PORT" --once 2>>"$GW_DIR/relay.log"; }
relay_once
fcm_has_one() { [ "$(pw_fcm_count)" -ge 1 ]; }
apns_has_one() { [ "$(pw_apns_count)" -ge 1 ]; }
wait_until 20 fcm_has_one || bad "nothing reached the stand-in FCM"
wait_until 20 apns_has_one || bad "nothing reached the stand-in APNs"
expect_eq "FCM got the Vietnamese texts of the inbox row" "$(pw_fcm_token 1)|$TITLE_VI|$BODY_VI|push_outbox:$OUTBOX|$INBOX_ID" \
  "$(curl -s "$PW_FCM/control/messages" | pw_js '"\n".join("|".join([m["token"], m["message"]["notification"]["title"], m["message"]["notification"]["body"], m["message"]["data"]["event_key"], m["message"]["data"]["inbox_id"]]) for m in j["messages"])')"
expect_eq "APNs got the English texts" "$(pw_apns_token 1)|$TITLE_EN|$BODY_EN|alert|10" \
  "$(curl -s "$PW_APNS/control/notifications" | pw_js '"\n".join("|".join([n["device_token"], n["payload"]["aps"]["alert"]["title"], n["payload"]["aps"]["alert"]["body"], n["push_type"], str(n["priority"])]) for n in j["notifications"])')"
LIVE=$(pw_r XRANGE "cong:user:$S1:log" - +)
expect_eq "the live log has the entry once" 1 "$(pw_r XLEN "cong:user:$S1:log")"
expect_match "... with the event key, the inbox id and the texts" \
  "push_outbox:$OUTBOX.*\"inbox_id\":$INBOX_ID,\"title_vi\":\"$TITLE_VI\"" "$LIVE"
expect_no_match "... and the payload without the subject" "$S1" "$LIVE"
# The relay drains the whole shared outbox: other tests' unpublished rows may come along (RESOURCE_LOCK push_outbox
# keeps the tests that wait for theirs away), so "done" is: every entry read (lag 0) and acknowledged.
acked() { [ "$(pw_r XINFO GROUPS cong:events:dossier.status | awk '/^(lag|pending)$/ {getline; s += $1} END {print s + 0}')" = 0 ]; }
wait_until 10 acked || bad "the entry was not acknowledged: pending $(pw_pending dossier.status)"
expect_eq "the delivery marks" "sent sent" "$(pw_r HGET "cong:push:dlv:push_outbox:$OUTBOX" "$D1") $(pw_r HGET \
  "cong:push:dlv:push_outbox:$OUTBOX" "$D2")"

# ---- relayed again (the relay is at-least-once): nothing new anywhere --------------------------------------------
pw_q "UPDATE push_outbox SET published_at = NULL WHERE id = $OUTBOX" >/dev/null
relay_once
wait_until 20 acked || bad "the second copy was not acknowledged"
expect_eq "the second copy: still one message at each stand-in, one live entry" "1 1 1" \
  "$(pw_fcm_count) $(pw_apns_count) $(pw_r XLEN "cong:user:$S1:log")"

# ---- a broadcast's recipient (as cong-push-fanout writes it): its texts, no live append, the progress counted ------
BID="b$PW_RUNID"
echo "broadcast:$BID $S1 $BID" | pw_events broadcast.message
progress() { [ "$(pw_r HGET "cong:broadcast:$BID:progress" devices_sent)" = 2 ]; }
wait_until 20 progress || bad "broadcast progress: $(pw_r HGETALL "cong:broadcast:$BID:progress" | tr '\n' ' ')"
expect_eq "the broadcast's texts in each device's language" "$(pw_fcm_token 1):Thông báo $BID $(pw_apns_token 1):Notice $BID" \
  "$(pw_fcm_sent | grep "$BID") $(pw_apns_sent | grep "$BID")"
expect_eq "... not appended to the live log again (the fan-out did)" 1 "$(pw_r XLEN "cong:user:$S1:log")"

# ---- logout and revocation -----------------------------------------------------------------------------------------
read -r D3 D4 D5 <<<"$(printf '%s\n' "$S2 fcm $(pw_fcm_token 2) vi pw-$PW_RUNID-sess-3" \
  "$S2 apns $(pw_apns_token 2) vi pw-$PW_RUNID-sess-4" "$S2 fcm $(pw_fcm_token 3) en pw-$PW_RUNID-sess-5" |
  pw_devices | tr '\n' ' ')"
pw_r DEL "cong:session:pw-$PW_RUNID-sess-3" >/dev/null                                      # logged out
pw_r ZADD cong:revoked "$(($(date +%s) + 3600))" "pw-$PW_RUNID-sess-4" >/dev/null           # revoked
echo "$S2 pw-$PW_RUNID-e2 2" | pw_inboxes
echo "pw-$PW_RUNID-e2 $S2" | pw_events dossier.status
fcm_has_three() { [ "$(pw_fcm_count)" -ge 3 ]; }
wait_until 20 fcm_has_three || bad "the live device of the second person got nothing"
wait_until 10 acked || bad "the logout event was not acknowledged"
expect_eq "the live session's device got it, in English" "$(pw_fcm_token 3):Dossier T-2" \
  "$(pw_fcm_sent | grep "^$(pw_fcm_token 3)")"
expect_eq "nothing to the logged out nor to the revoked device" "" \
  "$(pw_fcm_sent | grep "^$(pw_fcm_token 2)")$(pw_apns_sent | grep "^$(pw_apns_token 2)")"
expect_eq "their rows are deleted, the live one stays" "$D5" \
  "$(pw_q "SELECT string_agg(id::text, ',') FROM push_devices WHERE id IN ('$D3', '$D4', '$D5')")"

# ---- SIGTERM; the log --------------------------------------------------------------------------------------------
pw_stop w1
expect_eq "SIGTERM: exit 0" 0 "$PW_STATUS"
expect_match "the totals line" "totals: sent [3-9][0-9]*, retry 0, gone 0, dropped 0, ended [2-9]" "$(cat "$LOG")"
expect_no_match "no subject, token or text in the log" "$S1|$S2|APA91b|$(pw_apns_token 1)|Dossier|Hồ sơ" "$(cat "$LOG")"
pw_q "DELETE FROM push_outbox WHERE id = $OUTBOX" >/dev/null
finish

#!/usr/bin/env bash
# tests/integration/test_push_worker_errors.sh — what cong-push-worker does with each provider's refusals: FCM 429
# QUOTA_EXCEEDED (Retry-After 3 s), 503 UNAVAILABLE and 500 INTERNAL, APNs 429 TooManyRequests (Retry-After 2 s),
# 503 ServiceUnavailable and 500 InternalServerError → retried through the retry set and delivered later, the
# Retry-After honoured (the backoff alone would retry after ~0.2 s: --retry-base-ms 200); FCM 404 UNREGISTERED and
# APNs 410 Unregistered → the device row deleted, its mark "gone", nothing recorded. The entries are acknowledged once
# every device has a mark or a scheduled retry, before the retries are done.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/push_worker_lib.sh"

pw_start
fcm_rule() { curl -s -o /dev/null -X POST -d "{\"token\":\"$(pw_fcm_token "$1")\",$2}" "$PW_FCM/control/behaviour"; }
apns_mode() { curl -s -o /dev/null -X POST -d "$1" "$PW_APNS/control/mode"; }
stat_fcm() { curl -s "$PW_FCM/control/stats" | pw_js "j[\"sends\"][\"$1\"]"; }
now_ms() { date +%s%3N; }
# Eight people with one device each (1-4 FCM, 5-8 APNs), an inbox row and an event each (sent when its case comes).
DEVICES=($(for i in $(seq 1 8); do
  if [ "$i" -le 4 ]; then echo "pw-$PW_RUNID-r$i fcm $(pw_fcm_token "$i") vi pw-$PW_RUNID-rs$i"
  else echo "pw-$PW_RUNID-r$i apns $(pw_apns_token "$i") vi pw-$PW_RUNID-rs$i"; fi
done | pw_devices))
for i in $(seq 1 8); do echo "pw-$PW_RUNID-r$i pw-$PW_RUNID-ev$i $i"; done | pw_inboxes
send_event() { for i in "$@"; do echo "pw-$PW_RUNID-ev$i pw-$PW_RUNID-r$i"; done | pw_events dossier.status; }
fcm_has() { pw_fcm_sent | grep "^$(pw_fcm_token "$1"):" >/dev/null; }
apns_has() { pw_apns_sent | grep "^$(pw_apns_token "$1"):" >/dev/null; }

pw_worker w --retry-base-ms 200 --retry-max-ms 1000
# ---- FCM: 429 with Retry-After 3, 503, 500, 404 UNREGISTERED, each for its own device ------------------------------
fcm_rule 1 '"mode":"quota_exceeded","count":1,"retry_after_s":3'
fcm_rule 2 '"mode":"unavailable","count":2,"retry_after_s":0'
fcm_rule 3 '"mode":"internal","count":1'
F4=${DEVICES[3]}
fcm_rule 4 '"mode":"unregistered"'
send_event 1 2 3 4
quota_seen() { [ "$(stat_fcm quota_exceeded)" = 1 ]; }
wait_until 20 quota_seen || bad "no 429 from the stand-in FCM"
T_429=$(now_ms)
wait_until 20 fcm_has 2 || bad "FCM 503 (twice): not delivered"
wait_until 20 fcm_has 3 || bad "FCM 500: not delivered"
expect_eq "FCM 503 twice, 500 once: retried and delivered" "2 1" "$(stat_fcm unavailable) $(stat_fcm internal)"
wait_until 20 fcm_has 1 || bad "FCM 429: not delivered"
T_SENT=$(curl -s "$PW_FCM/control/messages?token=$(pw_fcm_token 1)" | pw_js 'j["messages"][0]["received_ms"]')
# T_429 is when the test SAW the 429 (after it happened): the Retry-After of 3 s leaves at least 3 s minus the polling
# lag between them; the 0.2 s backoff alone would leave far less than 1.5 s.
[ $((T_SENT - T_429)) -ge 1500 ] && ok || bad "FCM 429: resent $((T_SENT - T_429)) ms after it was seen, Retry-After 3 s"
gone_fcm() { [ "$(pw_q "SELECT count(*) FROM push_devices WHERE id = '$F4'")" = 0 ]; }
wait_until 20 gone_fcm || bad "FCM UNREGISTERED: the device row is still there"
expect_eq "FCM UNREGISTERED: recorded nowhere, marked gone" "1 gone" \
  "$(stat_fcm unregistered) $(pw_r HGET "cong:push:dlv:pw-$PW_RUNID-ev4" "$F4")"
expect_eq "FCM: each delivered once" 3 "$(pw_fcm_count)"

# ---- APNs: the stand-in's fail mode is global, so one refusal at a time ------------------------------------------
apns_mode '{"fail":"TooManyRequests","count":1,"retry_after_s":2}'
send_event 5
wait_until 20 apns_has 5 || bad "APNs 429: not delivered"
expect_eq "APNs 429 then 200, the second at least 2 s after the first (Retry-After)" "429 200 True" \
  "$(curl -s "$PW_APNS/control/notifications?device_token=$(pw_apns_token 5)" | pw_js '" ".join(str(n["status"]) for n in j["notifications"]) + " " + str(j["notifications"][1]["received_at"] - j["notifications"][0]["received_at"] >= 2000)')"
apns_mode '{"fail":"ServiceUnavailable","count":1,"retry_after_s":0}'
send_event 6
wait_until 20 apns_has 6 || bad "APNs 503: not delivered"
apns_mode '{"fail":"InternalServerError","count":1,"retry_after_s":0}'
send_event 7
wait_until 20 apns_has 7 || bad "APNs 500: not delivered"
expect_eq "APNs 503 and 500: retried and delivered" "503 200 500 200" \
  "$(for t in 6 7; do curl -s "$PW_APNS/control/notifications?device_token=$(pw_apns_token $t)" | pw_js '" ".join(str(n["status"]) for n in j["notifications"])'; done | tr '\n' ' ' | sed 's/ $//')"
A8=${DEVICES[7]}
curl -s -o /dev/null -X POST -d "{\"device_token\":\"$(pw_apns_token 8)\",\"reason\":\"Unregistered\"}" "$PW_APNS/control/devices"
send_event 8
gone_apns() { [ "$(pw_q "SELECT count(*) FROM push_devices WHERE id = '$A8'")" = 0 ]; }
wait_until 20 gone_apns || bad "APNs 410: the device row is still there"
expect_eq "APNs 410: marked gone" gone "$(pw_r HGET "cong:push:dlv:pw-$PW_RUNID-ev8" "$A8")"
expect_eq "APNs: each delivered once" 3 "$(pw_apns_count)"

acked() { [ "$(pw_pending dossier.status)" = 0 ] && [ "$(pw_r ZCARD cong:push:retry)" = 0 ]; }
wait_until 10 acked || bad "entries pending or retries left: $(pw_pending dossier.status), $(pw_r ZCARD cong:push:retry)"
pw_stop w
expect_eq "SIGTERM: exit 0" 0 "$PW_STATUS"
expect_match "the totals" "totals: sent 6, retry 7, gone 2, dropped 0, ended 0, acked 8" "$(cat "$GW_DIR/w.log")"
finish

#!/usr/bin/env bash
# tests/integration/test_push_worker_kill.sh — a cong-push-worker killed with SIGKILL mid-batch loses nothing and
# sends nothing twice: 8 people with an FCM and an APNs device each, events read one at a time (--batch 1: over h2c
# this libcurl sends a batch's APNs messages one after the other, see push/delivery/apns.c); the stand-in APNs holds
# every notification 1.5 s, so the kill lands while a batch's APNs send is in flight (waited for: its "held" count),
# after that batch's FCM send was answered and marked. A second worker takes the dead one's pending entries over
# (XAUTOCLAIM after --claim-idle-ms) and reads the rest: every (event, device) is recorded at its stand-in exactly once.
#
# What stays at-least-once (push/pipeline.h): a send the provider ACCEPTED whose answer the worker never saw (killed
# between the provider's 200 and the mark) is sent again by the next worker. This test keeps out of that window
# honestly rather than by luck: the stand-in APNs looks at a held request only when its delay ends, and a client gone
# by then frees it unrecorded (tools/apns_standin/README.md, delay_ms), so the in-flight APNs sends were never
# accepted; and the worker writes each platform's outcomes before the next platform's sends (worker.h), so the batch's
# FCM sends were marked before the kill. The stand-in FCM, whose delay holds the 200 of a message it has already
# recorded, is the window itself: it is kept fast here (a slow FCM at the kill would be resent, by design).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/push_worker_lib.sh"

N=8
pw_start
for i in $(seq 1 $N); do
  echo "pw-$PW_RUNID-k$i fcm $(pw_fcm_token "$i") vi pw-$PW_RUNID-kf$i"
  echo "pw-$PW_RUNID-k$i apns $(pw_apns_token "$i") en pw-$PW_RUNID-ka$i"
done | pw_devices >/dev/null
for i in $(seq 1 $N); do echo "pw-$PW_RUNID-k$i pw-$PW_RUNID-ev$i $i"; done | pw_inboxes
for i in $(seq 1 $N); do echo "pw-$PW_RUNID-ev$i pw-$PW_RUNID-k$i"; done >"$GW_DIR/events"
curl -s -o /dev/null -X POST -d '{"delay_ms": 1500}' "$PW_APNS/control/mode"

# deadline 2 s > the 1.5 s hold; claim idle 6 s = 2 x deadline + 2 s (the worker refuses less)
FLAGS=(--batch 1 --deadline-ms 2000 --claim-idle-ms 6000)
pw_worker wa "${FLAGS[@]}"
pw_events dossier.status <"$GW_DIR/events"
held() { curl -s "$PW_APNS/control/stats" | pw_js 'j["held"]'; }
mid_batch() { [ "$(pw_apns_count)" -ge 1 ] && [ "$(held)" -ge 1 ]; }
wait_until 30 mid_batch || bad "no batch in flight after the first one: apns $(pw_apns_count), held $(held)"
kill -KILL "$wa_PID"
wait "$wa_PID" 2>/dev/null
AT_KILL="fcm $(pw_fcm_count), apns $(pw_apns_count), pending $(pw_pending dossier.status)"
expect_match "killed mid-run: some sent, entries left pending" "^fcm [2-7], apns [1-6], pending 1$" "$AT_KILL"

curl -s -o /dev/null -X POST -d '{"delay_ms": 0}' "$PW_APNS/control/mode"
pw_worker wb "${FLAGS[@]}"
all_done() { [ "$(pw_fcm_count)" -ge $N ] && [ "$(pw_apns_count)" -ge $N ] && [ "$(pw_pending dossier.status)" = 0 ]; }
wait_until 40 all_done || bad "not all delivered: fcm $(pw_fcm_count), apns $(pw_apns_count), pending $(pw_pending dossier.status)"
for i in $(seq 1 $N); do echo "$(pw_fcm_token "$i"):Hồ sơ T-$i"; done | sort >"$GW_DIR/want.fcm"
for i in $(seq 1 $N); do echo "$(pw_apns_token "$i"):Dossier T-$i"; done | sort >"$GW_DIR/want.apns"
expect_eq "FCM: every (event, device) exactly once" "$(cat "$GW_DIR/want.fcm")" "$(pw_fcm_sent)"
expect_eq "APNs: every (event, device) exactly once" "$(cat "$GW_DIR/want.apns")" "$(pw_apns_sent)"
expect_eq "every live log has its entry once" "$(printf '1 %.0s' $(seq 1 $N))" \
  "$(for i in $(seq 1 $N); do printf '%s ' "$(pw_r XLEN "cong:user:pw-$PW_RUNID-k$i:log")"; done)"
expect_match "the second worker reclaimed the dead one's entries" "reclaimed 1 entry" "$(cat "$GW_DIR/wb.log")"
pw_stop wb
expect_eq "SIGTERM: exit 0" 0 "$PW_STATUS"
finish

#!/usr/bin/env bash
# tests/integration/test_portal_sync.sh — cong-portal-sync (modules/procedures/portal_sync) against the stand-in
# portal (tools/portal_standin) and the test PostgreSQL + Redis: every dossier version arrives exactly once and in
# order per dossier; a failing portal leaves rows unacked with attempts and last_error, then they go through; a portal
# killed and restarted loses nothing and counts the resent versions as duplicates; a worker killed with SIGKILL and
# restarted loses nothing, and two workers at once keep the order; a portal that never answers is retried; workers
# whose PostgreSQL connections are dropped reconnect; SIGTERM stops the worker with status 0; the log shows no token and
# no payload. (push_outbox has its own relay and test: test_push_relay.sh.) Needs PostgreSQL migrated with the
# gateway's and modules/procedures' migrations. Rows are named after this run (PT<run>-...) and removed at the end.
source "$(dirname "$0")/lib.sh"
PATH="$(dirname "$(python3 -c 'import sys; print(sys.executable)')"):$PATH"

STANDIN="$BUILD/portal-standin"
WORKER="$BUILD/cong-portal-sync"
TMP="$GW_DIR/portal"
mkdir -p "$TMP"
RUNID=$(date +%s%N | tail -c 9)
P="PT$RUNID"                         # every code of this run starts with it
TOKEN="portal-token-$RUNID-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
SECRET="payload-marker-$RUNID"       # in every payload; must never reach a log
printf '%s\n' "$TOKEN" >"$TMP/token"
printf 'wrong-token\n' >"$TMP/bad-token"
CONNINFO="host=127.0.0.1 port=$PG_PORT dbname=cong user=cong"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:halt_on_error=1}

# Production (the default) refuses a plain-http portal: the token and the dossiers would cross the network in clear.
out=$(env -u CONG_SERVER_ENVIRONMENT "$WORKER" --pg "$CONNINFO" --portal-url http://127.0.0.1:9 \
  --portal-token-file "$TMP/token" --once 2>&1); status=$?
expect_eq "production refuses an http portal" "2" "$status"
expect_match "and says why" "over plain http" "$out"
export CONG_SERVER_ENVIRONMENT=development   # the stand-in portal speaks http on loopback

q() { timeout 20 psql -h 127.0.0.1 -p "$PG_PORT" -U cong -d cong -qAtX -v ON_ERROR_STOP=1 -c "$1"; }

# wait_for SECONDS COMMAND... — runs COMMAND every 0.1 s until it succeeds; 1 when the time is up.
wait_for() {
  local deadline=$((SECONDS + $1))
  shift
  until "$@"; do
    [ "$SECONDS" -ge "$deadline" ] && return 1
    sleep 0.1
  done
}

# --- the stand-in portal -------------------------------------------------------------------------------------------
PORTAL_PORT=$(free_port)
PORTAL=http://127.0.0.1:$PORTAL_PORT
PORTAL_PID=
start_portal() {
  "$STANDIN" --port "$PORTAL_PORT" --token-file "$TMP/token" --state-file "$TMP/portal.state" 2>>"$TMP/portal.log" &
  PORTAL_PID=$!
  EXTRA_PIDS+=("$PORTAL_PID")
  wait_for 10 curl -s -o /dev/null -m 2 "$PORTAL/healthz" || { echo "portal-standin did not start"; tail "$TMP/portal.log"; return 1; }
}
kill_portal() { kill -"${1:-TERM}" "$PORTAL_PID"; wait "$PORTAL_PID"; PORTAL_PID=; } 2>/dev/null
mode() { curl -s -m 5 -o /dev/null -w '%{http_code}' -X POST "$PORTAL/control/mode" -d "$1"; }
# received CODE FIELD — from GET /api/v1/received/CODE: "versions" (space-separated, arrival order), "duplicates",
# "out_of_order", "status:N" (status in version N's payload)
received() {
  curl -s -m 5 "$PORTAL/api/v1/received/$1" | python3 -S -c '
import json, sys
d, f = json.load(sys.stdin), sys.argv[1]
if f == "versions": print(" ".join(str(r["version"]) for r in d["records"]))
elif f.startswith("status:"): print(" ".join(r["payload"].get("status", "") for r in d["records"] if r["version"] == int(f[7:])))
else: print(d[f])' "$2"
}
put() { # put CODE VERSION [TOKEN] [curl options] — a PUT straight to the stand-in; prints the status
  local code=$1 version=$2 token=${3:-$TOKEN}
  shift $(($# < 3 ? $# : 3))
  curl -s -m 5 -o /dev/null -w '%{http_code}' -X PUT -H "Authorization: Bearer $token" \
    -H 'Content-Type: application/json' -d '{"status":"submitted"}' "$@" "$PORTAL/api/v1/dossiers/$code/versions/$version"
}

# --- the worker ----------------------------------------------------------------------------------------------------
WORKERS=()
# A delivery's timeout (WORKER_TIMEOUT_MS) far above what a loopback delivery takes on a busy machine: "one attempt
# each" must not depend on the machine's speed. The slow and silent portal modes below answer later than it.
WORKER_TIMEOUT_MS=3000
start_worker() { # start_worker [extra options] — one more worker (several may run at once)
  "$WORKER" --pg "$CONNINFO" --portal-url "$PORTAL" --portal-token-file "$TMP/token" \
    --batch 5 --timeout-ms "$WORKER_TIMEOUT_MS" --initial-backoff-ms 100 --max-backoff-ms 800 --poll-ms 100 "$@" \
    2>>"$TMP/worker.log" &
  WORKERS+=($!)
  EXTRA_PIDS+=($!)
}
stop_workers() { # stop_workers [SIGNAL] — WORKER_STATUS = their exit statuses (bash's "Killed" notice is silenced)
  local p i
  WORKER_STATUS=
  for p in "${WORKERS[@]}"; do kill -"${1:-TERM}" "$p"; done
  for p in "${WORKERS[@]}"; do
    for i in $(seq 1 100); do kill -0 "$p" || break; sleep 0.1; done
    kill -KILL "$p"
    wait "$p"
    WORKER_STATUS="$WORKER_STATUS${WORKER_STATUS:+ }$?"
  done
  WORKERS=()
} 2>/dev/null

# --- rows ------------------------------------------------------------------------------------------------------------
# dossier SUFFIX [VERSIONS] — a dossier PT<run>-SUFFIX at version VERSIONS (default 3), no outbox rows yet
dossier() {
  q "INSERT INTO dossiers (code, procedure_code, unit_code, subject, submitted_by, status, version, form, fee_vnd,
       due_date) VALUES ('$P-$1', '$P.1', '$P-U', 'sub-$RUNID', 'sub-$RUNID', 'processing', ${2:-3}, '{}', 0,
       current_date + 10)"
}
# outbox SUFFIX VERSION... — portal_outbox rows for those versions, inserted in the order given
outbox() {
  local code="$P-$1" v
  shift
  for v in "$@"; do
    q "INSERT INTO portal_outbox (dossier_id, dossier_code, version, payload)
       SELECT id, code, $v, jsonb_build_object('dossier_code', code, 'version', $v, 'status', 'status-$v',
              'note', '$SECRET') FROM dossiers WHERE code = '$code'"
  done
}
pending() { q "SELECT count(*) FROM portal_outbox WHERE dossier_code LIKE '$P-%' AND acked_at IS NULL"; }
all_acked() { [ "$(pending)" = 0 ]; }
row() { q "SELECT $3 FROM portal_outbox WHERE dossier_code = '$P-$1' AND version = $2"; }
cleanup_rows() {
  q "DELETE FROM portal_outbox WHERE dossier_code LIKE '$P-%';
     DELETE FROM dossiers WHERE code LIKE '$P-%';
     DELETE FROM procedures WHERE code = '$P.1';
     DELETE FROM domains WHERE code = 'pt-$RUNID';
     DELETE FROM units WHERE code = '$P-U'" >/dev/null
}

if [ "$(q "SELECT to_regclass('portal_outbox') IS NOT NULL")" != t ]; then
  bad "portal_outbox missing: apply gateway/migrations and modules/procedures/migrations first"
  finish
  exit 1
fi
q "INSERT INTO units (code, name, name_en, kind) VALUES ('$P-U', 'Phường thử $RUNID', 'Test ward $RUNID', 'ward');
   INSERT INTO domains (code, name_vi, name_en) VALUES ('pt-$RUNID', 'Thử', 'Test');
   INSERT INTO procedures (code, name_vi, name_en, domain, level, fee_vnd, processing_days, min_loa, online_level,
       accepts_electronic_copies) VALUES ('$P.1', 'Thủ tục thử', 'Test procedure', 'pt-$RUNID', 'commune', 0, 3, 1,
       'full', true)" || { bad "cannot insert the catalog rows"; finish; exit 1; }
trap 'cleanup_rows >/dev/null 2>&1; stop_gateway >/dev/null 2>&1; for p in "${EXTRA_PIDS[@]}"; do kill "$p" 2>/dev/null; done' EXIT

# Arguments.
expect_eq "worker: missing arguments exit 2" 2 "$("$WORKER" 2>/dev/null; echo $?)"
expect_eq "worker: bad number exit 2" 2 "$("$WORKER" --pg x --portal-url "$PORTAL" --portal-token-file "$TMP/token" \
  --batch 0 2>/dev/null; echo $?)"
expect_eq "worker --once without PostgreSQL: exit 1" 1 "$(timeout 30 "$WORKER" --pg "host=127.0.0.1 port=$(free_port) \
  dbname=cong user=cong connect_timeout=2" --portal-url http://127.0.0.1:1 --portal-token-file "$TMP/token" --once \
  2>>"$TMP/worker.log"; echo $?)"
expect_eq "stand-in: missing token exit 2" 2 "$("$STANDIN" --port 1 2>/dev/null; echo $?)"

# --- the stand-in's own rules --------------------------------------------------------------------------------------
start_portal || { finish; exit 1; }
expect_eq "stand-in: wrong token 401" 401 "$(put "$P-direct" 1 wrong)"
expect_eq "stand-in: no token 401" 401 "$(curl -s -m 5 -o /dev/null -w '%{http_code}' -X PUT -d '{}' \
  "$PORTAL/api/v1/dossiers/$P-direct/versions/1")"
expect_eq "stand-in: version 2 before 1 is 409" 409 "$(put "$P-direct" 2)"
expect_eq "stand-in: first version 201" 201 "$(put "$P-direct" 1)"
expect_eq "stand-in: same version again 200" 200 "$(put "$P-direct" 1)"
expect_eq "stand-in: next version over h2c 201" 201 "$(put "$P-direct" 2 "$TOKEN" --http2-prior-knowledge)"
expect_eq "stand-in: records once" "1 2" "$(received "$P-direct" versions)"
expect_eq "stand-in: duplicate counted" 1 "$(received "$P-direct" duplicates)"
expect_eq "stand-in: out of order counted" 1 "$(received "$P-direct" out_of_order)"
expect_eq "stand-in: bad version 400" 400 "$(put "$P-direct" 0)"
expect_eq "stand-in: bad mode 400" 400 "$(mode '{"mode":"sideways"}')"

# --- 1. everything arrives once, in order --------------------------------------------------------------------------
for d in A B C D; do dossier $d; done
outbox A 3 2 1 # newest first: ids must not decide the order
outbox B 1 2 3
outbox C 2 3 1
outbox D 1 3 2
start_worker
wait_for 30 all_acked || bad "first delivery: $(pending) rows still unacked after 30 s"
for d in A B C D; do
  expect_eq "dossier $d: versions in order, once" "1 2 3" "$(received "$P-$d" versions)"
  expect_eq "dossier $d: no duplicate" 0 "$(received "$P-$d" duplicates)"
  expect_eq "dossier $d: never out of order" 0 "$(received "$P-$d" out_of_order)"
done
expect_eq "payload arrives intact" "status-3" "$(received "$P-A" status:3)"
expect_eq "acked rows: one attempt, no error" "12|0" \
  "$(q "SELECT count(*), count(last_error) FROM portal_outbox WHERE dossier_code LIKE '$P-%' AND attempts = 1")"

# --- 2. portal failing, then back ---------------------------------------------------------------------------------
expect_eq "fail mode" 200 "$(mode '{"mode":"fail"}')"
dossier E 1
outbox A 4 5
outbox B 4
outbox E 1
attempted() { [ "$(row A 4 attempts)" -ge 2 ] && [ "$(row E 1 attempts)" -ge 2 ]; }
wait_for 15 attempted || bad "fail mode: rows were not retried"
expect_eq "fail mode: A v4 unacked" "" "$(row A 4 acked_at)"
expect_eq "fail mode: last_error is the status" "http 503" "$(row A 4 last_error)"
expect_eq "fail mode: rescheduled" t "$(row E 1 "next_attempt_at > created_at")"
expect_eq "fail mode: v5 never sent while v4 is unacked" "0|" "$(row A 5 "attempts, last_error")"
expect_eq "ok mode" 200 "$(mode '{"mode":"ok"}')"
wait_for 20 all_acked || bad "after fail mode: $(pending) rows still unacked"
expect_eq "after fail mode: A in order" "1 2 3 4 5" "$(received "$P-A" versions)"
expect_eq "after fail mode: B in order" "1 2 3 4" "$(received "$P-B" versions)"
expect_eq "after fail mode: E" "1" "$(received "$P-E" versions)"
expect_eq "after fail mode: error cleared" "" "$(row A 4 last_error)"
expect_eq "after fail mode: A never out of order" 0 "$(received "$P-A" out_of_order)"

# --- 3. lost acks: the portal records, then answers too late ------------------------------------------------------
expect_eq "slow mode beyond the worker's timeout" 200 \
  "$(mode "{\"mode\":\"slow\",\"delay_ms\":$((WORKER_TIMEOUT_MS + 1500))}")"
dossier F 1
outbox F 1
timed_out() { [ "$(row F 1 attempts)" -ge 1 ]; }
wait_for 30 timed_out || bad "slow mode: no attempt"
expect_eq "slow mode: timeout recorded" "curl CURLE_OPERATION_TIMEDOUT" "$(row F 1 last_error)"
expect_eq "slow mode: the portal has it anyway" "1" "$(received "$P-F" versions)"
mode '{"mode":"ok"}' >/dev/null
wait_for 15 all_acked || bad "after slow mode: $(pending) rows still unacked"
expect_eq "lost ack: recorded once" "1" "$(received "$P-F" versions)"
expect_match "lost ack: the resend is a duplicate" "^[1-9]" "$(received "$P-F" duplicates)"

# --- 4. the portal killed mid-run and restarted -------------------------------------------------------------------
mode "{\"mode\":\"slow\",\"delay_ms\":$((WORKER_TIMEOUT_MS + 5000))}" >/dev/null
dossier G 2
outbox G 1 2
recorded_g() { [ "$(received "$P-G" versions)" = 1 ]; }
wait_for 10 recorded_g || bad "portal kill: G v1 not recorded"
kill_portal KILL # G v1 recorded, its answer never sent
dossier H 3
outbox H 1 2 3
refused() { [ "$(row H 1 attempts)" -ge 1 ]; }
wait_for 10 refused || bad "portal down: no attempt"
expect_eq "portal down: connection refused" "curl CURLE_COULDNT_CONNECT" "$(row H 1 last_error)"
start_portal || { finish; exit 1; }
expect_eq "restarted portal remembers" "1 2 3 4 5" "$(received "$P-A" versions)"
wait_for 20 all_acked || bad "after portal restart: $(pending) rows still unacked"
expect_eq "portal restart: G once, in order" "1 2" "$(received "$P-G" versions)"
expect_match "portal restart: G v1 resent, counted as a duplicate (not applied)" "^[1-9]" "$(received "$P-G" duplicates)"
expect_eq "portal restart: H" "1 2 3" "$(received "$P-H" versions)"

# --- 5. the worker killed with SIGKILL mid-batch, then two workers at once ------------------------------------------
mode '{"mode":"slow","delay_ms":300}' >/dev/null
for d in J K L Q R S; do dossier $d; outbox $d 1 2 3; done
some_recorded() { [ -n "$(received "$P-J" versions)$(received "$P-K" versions)$(received "$P-L" versions)" ]; }
wait_for 10 some_recorded || bad "worker kill: nothing delivered before the kill"
stop_workers KILL
mode '{"mode":"ok"}' >/dev/null
start_worker
start_worker
wait_for 20 all_acked || bad "after worker restart: $(pending) rows still unacked"
for d in J K L Q R S; do
  expect_eq "worker kill, two workers: $d in order, once" "1 2 3" "$(received "$P-$d" versions)"
  expect_eq "worker kill, two workers: $d never out of order" 0 "$(received "$P-$d" out_of_order)"
done

# --- 6. PostgreSQL drops the workers' connections -------------------------------------------------------------------
expect_match "connections terminated" "^[1-9]" "$(q "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
  WHERE application_name = 'cong-portal-sync' AND usename = current_user")"
dossier T 2
outbox T 1 2
wait_for 20 all_acked || bad "after the connections were dropped: $(pending) rows still unacked"
expect_eq "reconnected: T in order, once" "1 2" "$(received "$P-T" versions)"

# --- 7. a portal that never answers ------------------------------------------------------------------------------
mode '{"mode":"timeout"}' >/dev/null
dossier M 1
outbox M 1
held() { [ "$(row M 1 attempts)" -ge 2 ]; }
wait_for 40 held || bad "timeout mode: not retried"
expect_eq "timeout mode: timed out" "curl CURLE_OPERATION_TIMEDOUT" "$(row M 1 last_error)"
expect_eq "timeout mode: not acked" "" "$(row M 1 acked_at)"
mode '{"mode":"ok"}' >/dev/null
wait_for 15 all_acked || bad "after timeout mode: $(pending) rows still unacked"
expect_eq "timeout mode: delivered after" "1" "$(received "$P-M" versions)"

# --- 8. SIGTERM: a clean stop ---------------------------------------------------------------------------------------
stop_workers TERM
expect_eq "SIGTERM: both workers exit 0" "0 0" "$WORKER_STATUS"

# --- 9. --once, a wrong token -----------------------------------------------------------------------------------------
dossier N 1
outbox N 1
timeout 30 "$WORKER" --pg "$CONNINFO" --portal-url "$PORTAL" --portal-token-file "$TMP/bad-token" \
  --once --timeout-ms 1000 2>>"$TMP/worker.log"
expect_eq "--once with a wrong token: exit 0" 0 "$?"
expect_eq "wrong token: 401 recorded" "http 401" "$(row N 1 last_error)"
q "UPDATE portal_outbox SET next_attempt_at = now() WHERE dossier_code = '$P-N'"
timeout 30 "$WORKER" --pg "$CONNINFO" --portal-url "$PORTAL" --portal-token-file "$TMP/token" \
  --once 2>>"$TMP/worker.log"
expect_eq "--once: exit 0" 0 "$?"
expect_eq "--once: delivered" "1" "$(received "$P-N" versions)"

# --- reset (the tests' control): forgets, and stays forgotten across a restart -------------------------------------
count_records() { curl -s -m 5 "$PORTAL/api/v1/received" | python3 -S -c 'import json,sys; print(len(json.load(sys.stdin)["records"]))'; }
expect_eq "reset" 200 "$(curl -s -m 5 -o /dev/null -w '%{http_code}' -X POST "$PORTAL/control/reset")"
expect_eq "reset: no records" 0 "$(count_records)"
kill_portal TERM
start_portal || { finish; exit 1; }
expect_eq "reset: still none after a restart" 0 "$(count_records)"
expect_eq "after reset: version 1 again is new" 201 "$(put "$P-direct" 1)"

# --- the logs ---------------------------------------------------------------------------------------------------------
kill_portal TERM
LOGS=$(cat "$TMP/worker.log" "$TMP/portal.log")
expect_match "worker logs failures" "portal-http: dossier .* http [0-9]{3}" "$LOGS"
expect_match "worker logs a lost PostgreSQL connection" "postgres: connection lost" "$LOGS"
expect_no_match "no token in the logs" "$TOKEN" "$LOGS"
expect_no_match "no payload in the logs" "$SECRET" "$LOGS"
expect_no_match "no sanitizer report" "AddressSanitizer|runtime error:|LeakSanitizer" "$LOGS"
expect_eq "state file never holds the token" 0 "$(grep -c -- "$TOKEN" "$TMP/portal.state")"

cleanup_rows
finish

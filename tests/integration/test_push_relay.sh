#!/usr/bin/env bash
# tests/integration/test_push_relay.sh — cong-push-relay (push/relay) against the test PostgreSQL + Redis: push_outbox
# rows reach their Redis stream in id order as push/push.h events (the subject in the data, the row named in the
# request id) and are marked published; a row that cannot be encoded is dropped without blocking the ones behind it;
# rows wait while Redis is down and go once it is back; SIGTERM stops the relay with status 0; the log shows no
# payload. Needs PostgreSQL migrated with the gateway's and modules/procedures' migrations (push_outbox). Rows and
# streams are named after this run and removed at the end.
source "$(dirname "$0")/lib.sh"

RELAY="$BUILD/cong-push-relay"
RUNID=$(date +%s%N | tail -c 9)
TOPIC="pr-$RUNID"
STREAM="cong:events:$TOPIC"
BAD_TOPIC="Bad Topic $RUNID"         # not [a-z0-9._-]: cannot be encoded
SECRET="payload-marker-$RUNID"       # in every payload; must never reach a log
LOG="$GW_DIR/relay.log"
CONNINFO="host=127.0.0.1 port=$PG_PORT dbname=cong user=cong"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:halt_on_error=1}

q() { timeout 20 psql -h 127.0.0.1 -p "$PG_PORT" -U cong -d cong -qAtX -v ON_ERROR_STOP=1 -c "$1"; }
rc() { timeout 10 redis-cli -h 127.0.0.1 -p "$REDIS_PORT" "$@"; }
unpublished() { q "SELECT count(*) FROM push_outbox WHERE topic IN ('$TOPIC', '$BAD_TOPIC') AND published_at IS NULL"; }
all_published() { [ "$(unpublished)" = 0 ]; }
cleanup_rows() {
  q "DELETE FROM push_outbox WHERE topic IN ('$TOPIC', '$BAD_TOPIC')" >/dev/null
  rc DEL "$STREAM" >/dev/null
}

if [ "$(q "SELECT to_regclass('push_outbox') IS NOT NULL")" != t ]; then
  bad "push_outbox missing: apply gateway/migrations and modules/procedures/migrations first"
  finish
  exit 1
fi
trap 'cleanup_rows >/dev/null 2>&1; for p in "${EXTRA_PIDS[@]}"; do kill "$p" 2>/dev/null; done' EXIT

# --- arguments -------------------------------------------------------------------------------------------------------
expect_eq "missing --pg: exit 2" 2 "$(env -u CONG_POSTGRES_CONNINFO "$RELAY" 2>/dev/null; echo $?)"
expect_eq "bad number: exit 2" 2 "$("$RELAY" --pg x --batch 0 2>/dev/null; echo $?)"
expect_eq "--once without PostgreSQL: exit 1" 1 "$(timeout 30 "$RELAY" --pg "host=127.0.0.1 port=$(free_port) \
  dbname=cong user=cong connect_timeout=2" --once 2>>"$LOG"; echo $?)"

# --- rows reach their stream, in id order ---------------------------------------------------------------------------
q "INSERT INTO push_outbox (subject, topic, payload)
   SELECT 'sub-$RUNID', '$TOPIC', jsonb_build_object('n', n, 'note', '$SECRET') FROM generate_series(1, 2) n;
   INSERT INTO push_outbox (subject, topic, payload) VALUES ('sub-$RUNID', '$BAD_TOPIC', '{\"note\": \"$SECRET\"}');
   INSERT INTO push_outbox (subject, topic, payload) VALUES ('sub-$RUNID', '$TOPIC', '\"$SECRET-3\"')"
"$RELAY" --pg "$CONNINFO" --redis-port "$REDIS_PORT" --batch 2 --poll-ms 100 2>>"$LOG" &
RELAY_PID=$!
EXTRA_PIDS+=("$RELAY_PID")
wait_until 30 all_published || bad "rows not published after 30 s: $(unpublished) left"
expect_eq "3 events in the stream (the bad topic dropped)" 3 "$(rc XLEN "$STREAM")"
EVENTS=$(rc --no-raw XRANGE "$STREAM" - +)
expect_match "event carries the subject" "sub-$RUNID" "$EVENTS"
expect_match "msgpack event with topic" "topic.*$TOPIC" "$EVENTS"
IDS=$(q "SELECT string_agg('push_outbox:' || id, ' ' ORDER BY id) FROM push_outbox WHERE topic = '$TOPIC'")
expect_eq "request ids name the rows, in id order" "$IDS" \
  "$(grep -o "push_outbox:[0-9]*" <<<"$EVENTS" | tr '\n' ' ' | sed 's/ $//')"
expect_match "a payload that is not an object goes under value" "value.*$SECRET-3" "$EVENTS"
expect_eq "the bad row is marked published (it blocks nothing)" 1 \
  "$(q "SELECT count(*) FROM push_outbox WHERE topic = '$BAD_TOPIC' AND published_at IS NOT NULL")"

# --- SIGTERM: a clean stop ------------------------------------------------------------------------------------------
kill -TERM "$RELAY_PID"
wait "$RELAY_PID"
expect_eq "SIGTERM: exit 0" 0 "$?"

# --- Redis down, then back --------------------------------------------------------------------------------------------
q "INSERT INTO push_outbox (subject, topic, payload) VALUES ('sub-$RUNID', '$TOPIC', '{\"n\": 4}')"
DEAD_REDIS=$(free_port)
timeout 30 "$RELAY" --pg "$CONNINFO" --redis-port "$DEAD_REDIS" --once 2>>"$LOG"
expect_eq "--once with Redis down: exit 0" 0 "$?"
expect_eq "Redis down: row kept" 1 "$(unpublished)"
timeout 30 "$RELAY" --pg "$CONNINFO" --redis-port "$REDIS_PORT" --once 2>>"$LOG"
expect_eq "--once: exit 0" 0 "$?"
expect_eq "Redis back: published" 0 "$(unpublished)"
expect_eq "Redis back: 4 events" 4 "$(rc XLEN "$STREAM")"

# --- the log ----------------------------------------------------------------------------------------------------------
LOGS=$(cat "$LOG")
expect_match "logs Redis down" "redis: 127.0.0.1:$DEAD_REDIS" "$LOGS"
expect_match "logs the dropped row" "push-encode: push_outbox row [0-9]+ cannot be encoded" "$LOGS"
expect_no_match "no payload in the log" "$SECRET" "$LOGS"
expect_no_match "no sanitizer report" "AddressSanitizer|runtime error:|LeakSanitizer" "$LOGS"

cleanup_rows
finish

#!/usr/bin/env bash
# Live events (GET /v1/me/events, modules/push events.c and live_streams.c; ABI 1.7 register_channel) over HTTP/2
# against the test Redis, written exactly as push/live.h says the writers do (XADD to cong:user:<subject>:log, then
# PUBLISH the subject on cong:live): an event written after connect arrives with its id (a cursor over the person's,
# area's and city's logs), nothing older; resume with Last-Event-ID (of the older single-log form here) gets exactly
# the missed entries; a trimmed log → event reset; area logs (written as cong-push-fanout does, with the PUBLISH of
# "area <ward>" / "area *"): a ward's broadcast reaches its ward's stream only, not one made before the person's
# area_since, a city-wide one every subscriber's stream; resume across the three logs, no gap, no duplicate, in the
# order person, area, city; an id of the single-log form reads the area logs whole; a lost area component → reset; a heartbeat comment; over the per-person
# cap → 429; a session-less token → 403; a bad Last-Event-ID → 400; TWO instances on one Redis: an event published
# once reaches a client on each; Redis lost and back: what was written meanwhile (its PUBLISH lost) arrives after the
# resubscription; Redis down at connect → 503 + Retry-After; a stalled reader (a raw HTTP/2 client holding its
# window at 0) is ended after events_stall_ms while the gateway's RSS stays bounded and another client on the same
# (single) worker gets its events promptly; the streams end cleanly when the gateway stops.
source "$(dirname "$0")/lib.sh"
RUNID=$$$RANDOM
EVENTS_ENV=(CONG_SERVER_WORKERS=1 CONG_MODULES_PUSH_EVENTS_HEARTBEAT_MS=700 CONG_MODULES_PUSH_EVENTS_STALL_MS=1500
  CONG_MODULES_PUSH_EVENTS_RETRY_MS=2000 CONG_MODULES_PUSH_EVENTS_BUFFER_BYTES=4096
  CONG_MODULES_PUSH_EVENTS_MAX_PER_SUBJECT=3 CONG_RATE_LIMITS_DEFAULT_BURST=10000
  CONG_RATE_LIMITS_DEFAULT_PER_MINUTE=1000000)
rcli() { redis-cli -p "$REDIS_PORT" "$@"; }
# write SUBJECT KEY [SIZE] — one entry appended as cong-push-worker appends it (XADD MAXLEN ~, EXPIRE), then the
# PUBLISH of the subject, in one round trip; prints the entry's id
APPEND="local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', 1000, '*', 'k', ARGV[2], 'e', 'dossier.status', 'd', ARGV[3])
redis.call('EXPIRE', KEYS[1], 2592000) redis.call('PUBLISH', 'cong:live', ARGV[1]) return id"
write() {
  local pad
  pad=$(head -c "${3:-0}" /dev/zero | tr '\0' x)
  rcli EVAL "$APPEND" 1 "cong:user:$1:log" "$1" "$2" \
    "{\"event_key\":\"$2\",\"topic\":\"dossier.status\",\"inbox_id\":null,\"title_vi\":\"Hồ sơ\",\"body_vi\":\"$pad\",\"title_en\":\"\",\"body_en\":\"\",\"data\":{}}"
}
S1="sse-$RUNID-1" S2="sse-$RUNID-2" S3="sse-$RUNID-3" S4="sse-$RUNID-4" SS="sse-$RUNID-stall" SO="sse-$RUNID-other"
SA="sse-$RUNID-wa" SB="sse-$RUNID-wb" SN="sse-$RUNID-city" SR="sse-$RUNID-revoked"
for s in "$S1" "$S2" "$S3" "$S4" "$SS" "$SO" "$SA" "$SB" "$SN" "$SR"; do token --sub "$s" --sid "sid-$s" --acr 1 >"$GW_DIR/token.$s" & done
wait
tok() { cat "$GW_DIR/token.$1"; } # a session's token of each person, minted once (at once)
# listen NAME SUBJECT [LAST-EVENT-ID] — an SSE client in the background; its output in $GW_DIR/NAME.sse
listen() {
  curl -sN --http2-prior-knowledge --max-time 60 -H "authorization: Bearer $(tok "$2")" ${3:+-H "Last-Event-ID: $3"} \
    -D "$GW_DIR/$1.headers" -o "$GW_DIR/$1.sse" "$(url /v1/me/events)" &
  printf -v "PID_$1" '%s' $!
  EXTRA_PIDS+=($!)
}
has() { grep -qx -- "$2" "$GW_DIR/$1.sse" 2>/dev/null; }
# An event's id is a cursor "<person log id>.<area log id>.<city log id>" (modules/push/live_id.c): has_id NAME ID —
# an event whose person component is ID; ids NAME — the person components of the events, in order
has_id() { grep -q -- "^id: $2\(\.\|$\)" "$GW_DIR/$1.sse" 2>/dev/null; }
ids() { sed -n 's/^id: \([^.]*\).*/\1/p' "$GW_DIR/$1.sse" 2>/dev/null | tr '\n' ' ' | sed 's/ $//'; }
connected() { has "$1" "retry: 2000"; }
# area_write KEY LINE EVENT-KEY MADE-US — a broadcast's entry in an area log (cong:area:<ward>:log, cong:city:log) as
# cong-push-fanout appends it (fields k e d a), then the PUBLISH of the area's line ("area <ward>", "area *")
AREA_APPEND="local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', 1000, '*', 'k', ARGV[2], 'e', 'broadcast.message',
  'd', ARGV[3], 'a', ARGV[4]) redis.call('EXPIRE', KEYS[1], 2592000) redis.call('PUBLISH', 'cong:live', ARGV[1]) return id"
area_write() {
  rcli EVAL "$AREA_APPEND" 1 "$1" "$2" "$3" "{\"event_key\":\"$3\",\"topic\":\"broadcast.message\",\"inbox_id\":1,\"data\":{}}" "$4"
}
# keys NAME — the event keys of this run's events NAME got, in order
keys() { grep -o '"event_key":"[^"]*"' "$GW_DIR/$1.sse" 2>/dev/null | sed 's/"event_key":"//; s/"$//' | grep -F -- "$RUNID" | tr '\n' ' ' | sed 's/ $//'; }
has_key() { keys "$1" | grep -qw -- "$2"; }

relay_start REDISRELAY "$REDIS_PORT" || { bad "Redis relay"; finish; exit 1; }
start_gateway "${EVENTS_ENV[@]}" CONG_REDIS_PORT="$REDISRELAY_PORT" || exit 1
wait_stores_up || { finish; exit 1; }
A_H2C=$H2C_PORT A_ADMIN=$ADMIN_PORT A_PID=$GW_PID

# ---- from now on: nothing old; a new event with its id ----
OLD=$(write "$S1" push_outbox:1)
listen one "$S1"
wait_until 10 connected one || bad "no retry hint first: $(head -c 200 "$GW_DIR/one.sse")"
expect_match "text/event-stream" "content-type: text/event-stream" "$(cat "$GW_DIR/one.headers")"
E1=$(write "$S1" push_outbox:2)
wait_until 10 has_id one "$E1" || bad "event after connect: $(cat "$GW_DIR/one.sse")"
expect_eq "...only it (no old entry)" "$E1" "$(ids one)"
expect_eq "...as live.h shapes it; no subscriber: no area followed" "id: $E1.0-0.0-0 event: dossier.status" \
  "$(grep -A1 "^id: $E1" "$GW_DIR/one.sse" | tr '\n' ' ' | sed 's/ $//')"
expect_match "...data on one line" '^data: \{"event_key":"push_outbox:2",' "$(grep -A2 "^id: $E1" "$GW_DIR/one.sse" | tail -1)"
expect_eq "the retry hint came first" "retry: 2000" "$(head -1 "$GW_DIR/one.sse")"
wait_until 10 has one ":" || bad "no heartbeat comment"
metric() { h2c "$(admin_url /metrics)" | awk -v m="$1" '$1 == m { print $2 }'; }
idle_unbuffered() { [ "$(metric cong_streams_open)" = 1 ] && [ "$(metric cong_stream_buffer_bytes)" = 0 ]; }
wait_until 10 idle_unbuffered ||
  bad "an idle stream holds buffers: $(metric cong_stream_buffer_bytes) bytes, $(metric cong_streams_open) open"

# ---- resume: exactly the missed entries, then live ones ----
kill "$PID_one"
E2=$(write "$S1" push_outbox:3) E3=$(write "$S1" push_outbox:4)
listen two "$S1" "$E1"
wait_until 10 has_id two "$E3" || bad "resume: $(cat "$GW_DIR/two.sse")"
E4=$(write "$S1" push_outbox:5)
wait_until 10 has_id two "$E4" || bad "live after resume"
expect_eq "resume: no gap, no duplicate" "$E2 $E3 $E4" "$(ids two)"
expect_no_match "...nothing before it" "$OLD|$E1" "$(ids two)"

# ---- a trimmed log: reset, with the newest id ----
F=$(write "$S2" push_outbox:10)
for i in 11 12 13; do L=$(write "$S2" "push_outbox:$i"); done
rcli XTRIM "cong:user:$S2:log" MAXLEN 2 >/dev/null
listen reset "$S2" "$F"
wait_until 10 has reset "event: reset" || bad "no reset: $(cat "$GW_DIR/reset.sse")"
expect_eq "...with the newest id" "$L" "$(ids reset)"
N=$(write "$S2" push_outbox:14)
wait_until 10 has_id reset "$N" || bad "live after reset"
expect_eq "...then what comes next" "$L $N" "$(ids reset)"
listen all "$S2" 0-0
three() { [ "$(ids all | wc -w)" = 3 ]; }
wait_until 10 three || bad "0-0 (the reset id of an empty log): the whole log, got $(ids all)"
expect_eq "...in order" "$(rcli XRANGE "cong:user:$S2:log" - + | grep -E '^[0-9]+-[0-9]+$' | tr '\n' ' ' | sed 's/ $//')" \
  "$(ids all)"
kill "$PID_all"

# ---- refusals ----
expect_eq "a bad Last-Event-ID: 400" 400 "$(call "$(tok "$S1")" GET /v1/me/events -H 'Last-Event-ID: 1-2-3')"
expect_eq "...validation-failed" validation-failed "$(field type | sed 's|.*/||')"
expect_eq "no session (an API client's token): 403" 403 \
  "$(call "$(token --sub "$S1" --acr 1 --client-id partner --sid client:partner)" GET /v1/me/events)"
expect_eq "...session-required" session-required "$(field type | sed 's|.*/||')"
for n in 1 2 3; do listen "cap$n" "$S3"; done
for n in 1 2 3; do wait_until 10 connected "cap$n" || bad "cap stream $n"; done
expect_eq "a 4th stream of one person: 429" 429 "$(call "$(tok "$S3")" GET /v1/me/events)"
expect_eq "...rate-limited" rate-limited "$(field type | sed 's|.*/||')"
kill "$PID_cap1"
room() { # a 4th stream now? (a 429 ends at once, a 200 stays open)
  rm -f "$GW_DIR/cap4.headers"
  listen cap4 "$S3"
  wait_until 5 grep -qs '^HTTP/2 [0-9]' "$GW_DIR/cap4.headers"
  grep -qs '^HTTP/2 200' "$GW_DIR/cap4.headers"
}
wait_until 10 room || bad "a stream closed makes room again: $(cat "$GW_DIR/cap4.sse")"

# ---- area logs: a ward's broadcast reaches its ward's streams only, a city-wide one everyone's; resume across logs ----
# Subscribers whose area_since is in 2100: no real broadcast of a test alongside reaches or counts them, and this
# section's entries say they were made after it (MADE-US), so they are shown — all but one made before it.
WA="EV-A-$RUNID" WB="EV-B-$RUNID" SINCE=4102444800000000
psql_cong "INSERT INTO push_subscribers (subject, ward_code, area_since) VALUES ('$SA', '$WA', '2100-01-01Z'),
  ('$SB', '$WB', '2100-01-01Z'), ('$SN', NULL, '2100-01-01Z')" >/dev/null
CITY_IDS=()
listen wa "$SA"; listen wb "$SB"; listen wn "$SN"
for n in wa wb wn; do wait_until 10 connected "$n" || bad "$n connected"; done
area_write "cong:area:$WA:log" "area $WA" "broadcast:$RUNID-0" $((SINCE - 1)) >/dev/null
A1=$(area_write "cong:area:$WA:log" "area $WA" "broadcast:$RUNID-1" $((SINCE + 1000)))
wait_until 10 has_key wa "broadcast:$RUNID-1" || bad "a ward's broadcast did not reach its ward's stream: $(cat "$GW_DIR/wa.sse")"
C1=$(area_write cong:city:log "area *" "broadcast:$RUNID-2" $((SINCE + 2000)))
CITY_IDS+=("$C1")
for n in wa wb wn; do wait_until 10 has_key "$n" "broadcast:$RUNID-2" || bad "the city-wide one did not reach $n"; done
expect_eq "the ward's stream: its ward's broadcast (not the one made before its area_since), then the city's" \
  "broadcast:$RUNID-1 broadcast:$RUNID-2" "$(keys wa)"
expect_eq "...another ward's stream and a city-only one: the city's only" "broadcast:$RUNID-2 broadcast:$RUNID-2" \
  "$(keys wb) $(keys wn)"
expect_eq "...the id: a cursor over the person's, the area's and the city's logs" "id: 0-0.$A1.$C1" \
  "$(grep -B2 -F "\"event_key\":\"broadcast:$RUNID-2\"" "$GW_DIR/wa.sse" | head -1)"
WA_LAST=$(sed -n 's/^id: //p' "$GW_DIR/wa.sse" | tail -1)
kill "$PID_wa"
P1=$(write "$SA" "push_outbox:$RUNID-p1")
A2=$(area_write "cong:area:$WA:log" "area $WA" "broadcast:$RUNID-3" $((SINCE + 3000)))
C2=$(area_write cong:city:log "area *" "broadcast:$RUNID-4" $((SINCE + 4000)))
CITY_IDS+=("$C2")
listen wa2 "$SA" "$WA_LAST"
wait_until 10 has_key wa2 "broadcast:$RUNID-4" || bad "resume across logs: $(cat "$GW_DIR/wa2.sse")"
expect_eq "resumed: each log after its own component, once each, the person's first, then the area's, the city's" \
  "push_outbox:$RUNID-p1 broadcast:$RUNID-3 broadcast:$RUNID-4" "$(keys wa2)"
expect_eq "...the last id names the newest of each" "$P1.$A2.$C2" "$(sed -n 's/^id: //p' "$GW_DIR/wa2.sse" | tail -1)"
listen wa3 "$SA" "$P1"
wait_until 10 has_key wa3 "broadcast:$RUNID-4" || bad "an id of the single-log form: $(cat "$GW_DIR/wa3.sse")"
expect_eq "an id of the older single-log form: the person's log after it, the area logs whole (since area_since)" \
  "broadcast:$RUNID-1 broadcast:$RUNID-3 broadcast:$RUNID-2 broadcast:$RUNID-4" "$(keys wa3)"
listen wa4 "$SA" "$P1.1-1.$C2"
wait_until 10 has wa4 "event: reset" || bad "an area component not in its log: no reset: $(cat "$GW_DIR/wa4.sse")"
expect_eq "...reset, with the area's newest id, the others kept" "$P1.$A2.$C2" "$(sed -n 's/^id: //p' "$GW_DIR/wa4.sse" | head -1)"
kill "$PID_wb" "$PID_wn" "$PID_wa2" "$PID_wa3" "$PID_wa4" 2>/dev/null
psql_cong "DELETE FROM push_subscribers WHERE subject IN ('$SA', '$SB', '$SN')" >/dev/null
rcli DEL "cong:area:$WA:log" "cong:area:$WB:log" >/dev/null
rcli XDEL cong:city:log "${CITY_IDS[@]}" >/dev/null

# ---- two instances, one Redis: published once, seen on both ----
GW_NAME=b start_gateway "${EVENTS_ENV[@]}" || exit 1
B_PID=$GW_PID
listen onb "$S4"
H2C_PORT=$A_H2C listen ona "$S4"
wait_until 10 connected onb && wait_until 10 connected ona || bad "both connected"
E=$(write "$S4" push_outbox:20)
wait_until 10 has_id onb "$E" || bad "instance B got no event published once"
wait_until 10 has_id ona "$E" || bad "instance A got no event published once"
GW_PID=$B_PID GW_NAME=b stop_gateway
expect_eq "instance B stopped cleanly" 0 "$GW_STATUS"
wait "$PID_onb"
expect_eq "...its stream ended cleanly (curl exit 0)" 0 "$?"
H2C_PORT=$A_H2C ADMIN_PORT=$A_ADMIN GW_PID=$A_PID

# ---- Redis lost and back: written meanwhile (its PUBLISH lost), read after the resubscription ----
relay_stop REDISRELAY
wait_store_down redis
W=$(write "$S1" push_outbox:30)
expect_eq "Redis down at connect: 503" 503 "$(call "$(tok "$S1")" GET /v1/me/events)"
expect_match "...with Retry-After" '^[0-9]+$' "$(header retry-after)"
relay_start REDISRELAY "$REDIS_PORT" "$REDISRELAY_PORT" || bad "relay again"
wait_until 20 has_id two "$W" || bad "nothing read after the resubscription: $(tail -5 "$GW_DIR/two.sse")"

# ---- a stalled reader: ended, memory bounded, its neighbour on the same worker served promptly ----
mkfifo "$GW_DIR/stall.in"
python3 "$SRC/tests/integration/sse_stall.py" 127.0.0.1 "$H2C_PORT" /v1/me/events "$(tok "$SS")" \
  <"$GW_DIR/stall.in" >"$GW_DIR/stall.out" &
EXTRA_PIDS+=($!)
STALL_PID=$!
exec 7>"$GW_DIR/stall.in"
listen other "$SO"
wait_until 10 grep -q "^headers 0x88" "$GW_DIR/stall.out" || bad "stalled client: no 200 $(cat "$GW_DIR/stall.out")"
wait_until 10 connected other || bad "the other client"
rss() { awk '/^VmRSS/ {print $2}' "/proc/$GW_PID/status"; }
RSS0=$(rss)
FIRST=$(write "$SS" push_outbox:40 1500)
# 4 MB more for the stalled reader, in one script: 2,000 entries of 2 KB (the log keeps ~1,000), then one PUBLISH
rcli EVAL "for i = 1, 2000 do redis.call('XADD', KEYS[1], 'MAXLEN', '~', 1000, '*', 'k', 'push_outbox:' .. (100 + i),
  'e', 'dossier.status', 'd', '{\"event_key\":\"x\",\"body_vi\":\"' .. string.rep('y', 2000) .. '\"}') end
  redis.call('PUBLISH', 'cong:live', ARGV[1]) return 1" 1 "cong:user:$SS:log" "$SS" >/dev/null
T0=$(date +%s%N)
O=$(write "$SO" push_outbox:41)
wait_until 5 has_id other "$O" || bad "the other client's event did not come"
MS=$((($(date +%s%N) - T0) / 1000000))
[ "$MS" -lt 1000 ] && ok || bad "the other client waited $MS ms behind the stalled one"
wait_until 10 grep -q "live event stream .* ended: its client took nothing for 1500 ms" "$GW_DIR/stderr" ||
  bad "the stalled stream was not ended"
LAST=$(write "$SS" push_outbox:9999)
# The log it could read holds ~1,000 of those entries (2 MB): a reader kept in memory would pass 1 MiB (seen: ~270 KiB)
GROWTH=$(($(rss) - RSS0))
[ "$GROWTH" -lt 1024 ] && ok || bad "RSS grew $GROWTH KiB for a stalled reader sent 4 MB"
echo open >&7
wait_until 10 grep -q "^END_STREAM" "$GW_DIR/stall.out" || bad "the stalled stream did not end: $(tail -c 300 "$GW_DIR/stall.out")"
expect_match "...after what was written (the retry hint, the first event)" "id: $FIRST" "$(cat "$GW_DIR/stall.out")"
expect_no_match "...and nothing after it was ended" "id: $LAST" "$(cat "$GW_DIR/stall.out")"
exec 7>&-

# ---- a session revoked while its stream connects (authenticated, its area not yet read): refused, never opened ----
# The connect's first query (push_subscribers) waits behind a lock held by psql; the revocation arrives meanwhile, as
# another instance's logout sends it (gateway/authn/revocation.c: the set, then the channel).
psql -h 127.0.0.1 -p "$PG_PORT" -U cong -d cong -qAtX -c "BEGIN; LOCK TABLE push_subscribers IN ACCESS EXCLUSIVE MODE;
  SELECT pg_sleep(2); COMMIT" >/dev/null &
LOCK_PID=$!
EXTRA_PIDS+=($LOCK_PID)
lock_held() { [ "$(psql_cong "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
  WHERE c.relname = 'push_subscribers' AND l.mode = 'AccessExclusiveLock' AND l.granted")" = 1 ]; }
wait_until 10 lock_held || bad "the lock was not taken"
curl -s --http2-prior-knowledge --max-time 20 -H "authorization: Bearer $(tok "$SR")" -o "$GW_DIR/revoked.body" \
  -w '%{http_code}' "$(url /v1/me/events)" >"$GW_DIR/revoked.status" &
REVOKED_CURL=$!
connect_waits() { [ "$(psql_cong "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'
  AND query LIKE '%FROM push_subscribers%'")" -ge 1 ]; }
wait_until 10 connect_waits || bad "the connect never reached its query"
UNTIL=$(($(date +%s) + 600))
rcli ZADD cong:revoked "$UNTIL" "sid-$SR" >/dev/null
rcli PUBLISH cong:revocations "sid-$SR $UNTIL" >/dev/null
wait "$LOCK_PID"
wait "$REVOKED_CURL"
expect_eq "the connect of a session revoked meanwhile: 401 invalid-token, no stream" "401 invalid-token" \
  "$(cat "$GW_DIR/revoked.status") $(python3 -S -c 'import json,sys; print(json.load(open(sys.argv[1]))["type"].rsplit("/",1)[-1])' "$GW_DIR/revoked.body")"
rcli ZREM cong:revoked "sid-$SR" >/dev/null

# ---- the gateway stops: the streams end cleanly ----
stop_gateway
expect_eq "clean exit" 0 "$GW_STATUS"
wait "$PID_other"
expect_eq "an open stream ended cleanly (curl exit 0)" 0 "$?"
finish

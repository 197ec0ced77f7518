#!/usr/bin/env bash
# Broadcasts (issue 14, "Broadcasts": modules/push broadcasts.c + area.c, push/fanout) over HTTP/2 against the test
# Redis and PostgreSQL: citizens choose an area; an official with scope broadcast sends to a ward (ONE entry in the
# ward's area log, none in anybody's own log; an open SSE stream of a person of that ward gets it, one of another
# ward, a city-only subscriber's and one of someone who moved there afterwards do not; each inbox listing once) and
# city-wide (one entry in the city log; every open stream gets it); a first page done again (its commit lost)
# appends the area entry once; Last-Event-ID resumes across the person's log and the area log with no gap and no
# duplicate; one delivery entry per recipient WITH a device on cong:events:broadcast.message, and no Redis key
# at all per recipient; read/delete of a broadcast item; progress (the workers' Redis counters included); cancel
# mid-way (paced slowly) stops it and progress shows it; a done one cannot be cancelled (409); a fan-out killed with
# SIGKILL mid-way and restarted reaches every recipient once; no scope → 403; Idempotency-Key replay and reuse;
# validation; audit records for create and cancel. Subjects, wards' subscribers and broadcasts are this run's.
source "$(dirname "$0")/lib.sh"
start_gateway CONG_RATE_LIMITS_DEFAULT_BURST=10000 CONG_RATE_LIMITS_DEFAULT_PER_MINUTE=1000000 || exit 1
wait_stores_up || { finish; exit 1; }
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:halt_on_error=1}

FANOUT="$BUILD/cong-push-fanout"
CONNINFO="host=127.0.0.1 port=$PG_PORT dbname=cong user=cong"
RUNID=$(date +%s%N | tail -c 10)
P="bc$RUNID"    # every subject of this run starts with it
STREAM=cong:events:broadcast.message
LOG="$GW_DIR/fanout.log"
rc() { timeout 10 redis-cli -h 127.0.0.1 -p "$REDIS_PORT" "$@"; }
fanout_once() { timeout 60 "$FANOUT" --pg "$CONNINFO" --redis-port "$REDIS_PORT" --once "$@" 2>>"$LOG"; }
cleanup() {
  psql_cong "DELETE FROM push_broadcast_marks WHERE subject LIKE '$P%';
    DELETE FROM push_broadcast_marks m USING push_broadcasts b WHERE b.id = m.broadcast_id AND b.created_by = '$P-official';
    DELETE FROM push_broadcasts WHERE created_by = '$P-official';
    DELETE FROM push_devices WHERE subject LIKE '$P%'; DELETE FROM push_subscribers WHERE subject LIKE '$P%';
    DELETE FROM user_roles WHERE subject LIKE '$P%'" >/dev/null
}
trap 'stop_gateway >/dev/null 2>&1; for p in "${EXTRA_PIDS[@]}"; do kill "$p" 2>/dev/null; done; cleanup' EXIT

read -r W1 W2 W3 W4 <<<"$(psql_cong "SELECT string_agg(code, ' ' ORDER BY code) FROM (SELECT code FROM units WHERE kind IN ('ward', 'commune') ORDER BY code LIMIT 4) u")"
expect_match "four wards in the catalog" '^[A-Z0-9-]+ [A-Z0-9-]+ [A-Z0-9-]+ [A-Z0-9-]+$' "$W1 $W2 $W3 $W4"
citizen() { token --sub "$P-$1" --acr 1 --sid "sid-$P-$1"; }
OFFICIAL=$(token --sub "$P-official" --acr 2 --sid "sid-$P-official" --scope broadcast)
# who may broadcast where (push migration 0003): the official serves a city department (any ward, the city); the
# ward official serves $W1 only
DEPT=$(psql_cong "SELECT min(code) FROM units WHERE kind = 'department'")
WARD_OFFICIAL=$(token --sub "$P-wofficial" --acr 2 --sid "sid-$P-wofficial" --scope broadcast)
psql_cong "INSERT INTO user_roles (subject, role, resource) VALUES ('$P-official', 'official', '$DEPT'),
             ('$P-wofficial', 'official', '$W1')" >/dev/null
fields() { python3 -S -c 'import json, sys
d = json.load(open(sys.argv[1]))
def show(k):
    v = d
    for part in k.split("."): v = v.get(part) if isinstance(v, dict) else None
    if k == "type" and v: return v.rsplit("/", 1)[-1]
    return "" if v is None else str(v)
print(" ".join(show(k) for k in sys.argv[2:]))' "$GW_DIR/body" "$@"; }
errors() { python3 -S -c 'import json,sys; print(" ".join(e["field"]+":"+e["code"] for e in json.load(open(sys.argv[1])).get("errors", [])))' "$GW_DIR/body"; }
area() { call "$1" PUT /v1/me/push-area -H 'content-type: application/json' -d "{\"ward_code\":$2}"; }
broadcast() { # KEY BODY [TOKEN]
  call "${3:-$OFFICIAL}" POST /v1/broadcasts -H 'content-type: application/json' -H "idempotency-key: $1" -d "$2"
}
texts='"title":{"vi":"Thông báo cắt nước","en":"Water cut"},"body":{"vi":"Phường tạm ngừng cấp nước\nngày mai.","en":"No water tomorrow."}'
to_ward() { echo "{\"area\":{\"kind\":\"ward\",\"ward_code\":\"$1\"},$texts}"; }
# live S ID — entries of broadcast ID in S's own live log; live_each ID S... — the same for each S, as one string of
# digits; in_log KEY ID — entries of broadcast ID in the log KEY (an area log: cong:area:<ward>:log, cong:city:log)
live() { live_each "$2" "$1"; }
live_each() {
  local id=$1 keys=() s
  shift
  for s in "$@"; do keys+=("cong:user:$P-$s:log"); done
  log_counts "$id" "${keys[@]}"
}
in_log() { log_counts "$2" "$1"; }
log_counts() {
  local id=$1
  shift
  rc --raw EVAL "local out = {}
    for i, key in ipairs(KEYS) do
      local n = 0
      for _, e in ipairs(redis.call('XRANGE', key, '-', '+')) do if e[2][2] == ARGV[1] then n = n + 1 end end
      out[i] = n
    end
    return out" "$#" "$@" "broadcast:$id" | tr -d '\n'
}
area_log() { echo "cong:area:$1:log"; }
CITY_LOG=cong:city:log
# listen NAME TOKEN [LAST-EVENT-ID] — an SSE client (GET /v1/me/events) in the background, its output in
# $GW_DIR/NAME.sse; sees NAME ID — it got broadcast ID; last_id NAME — the id of the last event it got
listen() {
  curl -sN --http2-prior-knowledge --max-time 120 -H "authorization: Bearer $2" ${3:+-H "Last-Event-ID: $3"} \
    -o "$GW_DIR/$1.sse" "$(url /v1/me/events)" &
  printf -v "PID_$1" '%s' $!
  EXTRA_PIDS+=($!)
}
connected() { grep -q '^retry: ' "$GW_DIR/$1.sse" 2>/dev/null; }
sees() { grep -qF "\"event_key\":\"broadcast:$2\"" "$GW_DIR/$1.sse" 2>/dev/null; }
seen_count() { grep -cF "\"event_key\":\"${2}\"" "$GW_DIR/$1.sse" 2>/dev/null; }
last_id() { sed -n 's/^id: //p' "$GW_DIR/$1.sse" | tail -1; }
# keys naming any of this run's subjects that match PATTERN (a glob of their names after "$P-")
keys_of() { rc --scan --pattern "*$P-$1*" | wc -l; }
progress() { call "$OFFICIAL" GET "/v1/broadcasts/$1" >/dev/null; fields "${@:2}"; }
state_is() { [ "$(progress "$1" state)" = "$2" ]; }
delivered_at_least() { [ "$(progress "$1" delivered)" -ge "$2" ] 2>/dev/null; }

# ---- areas ----
A1=$(citizen a1) A2=$(citizen a2) B1=$(citizen b1) C1=$(citizen c1) L1=$(citizen l1)
expect_eq "no area yet: 404" 404 "$(call "$A1" GET /v1/me/push-area)"
expect_eq "a1 chooses $W1: 200" "200 $W1" "$(area "$A1" "\"$W1\"") $(fields ward_code)"
expect_eq "...GET shows it, locale vi" "200 $W1 vi" "$(call "$A1" GET /v1/me/push-area) $(fields ward_code locale)"
expect_eq "a2 chooses $W1" 200 "$(area "$A2" "\"$W1\"")"
expect_eq "b1 chooses $W2" 200 "$(area "$B1" "\"$W2\"")"
expect_eq "an unknown ward: 422 unknown-ward" "422 ward_code:unknown-ward" "$(area "$A1" '"HN-W-NOPE-999"') $(errors)"
expect_eq "...a1's area unchanged" "$W1" "$(call "$A1" GET /v1/me/push-area >/dev/null; fields ward_code)"
expect_eq "a malformed ward: 422" "422 ward_code:invalid-format" "$(area "$A1" '"hn w 1"') $(errors)"
expect_eq "no ward_code member: 422" "422 ward_code:required" "$(call "$A1" PUT /v1/me/push-area -H 'content-type: application/json' -d '{}') $(errors)"
# a1 and c1 have a device: registering one makes c1 a subscriber (city-wide only), in the device's locale
expect_eq "a1 registers a device" 201 "$(call "$A1" POST /v1/me/devices -H 'content-type: application/json' -d "{\"platform\":\"fcm\",\"token\":\"$P-a1-token\"}")"
expect_eq "c1 registers a device (en)" 201 "$(call "$C1" POST /v1/me/devices -H 'content-type: application/json' -d "{\"platform\":\"fcm\",\"token\":\"$P-c1-token\",\"locale\":\"en\"}")"
expect_eq "...c1: a subscriber, no ward, en" "200  en" "$(call "$C1" GET /v1/me/push-area) $(fields ward_code locale)"
expect_eq "...a1 keeps its ward" "$W1" "$(call "$A1" GET /v1/me/push-area >/dev/null; fields ward_code)"

# ---- who may broadcast; what is accepted ----
expect_eq "a citizen (no scope broadcast): 403" "403 insufficient-scope" "$(broadcast "$P-k0" "$(to_ward "$W1")" "$A1") $(fields type)"
expect_eq "no Idempotency-Key: 400" "400 idempotency-key-required" \
  "$(call "$OFFICIAL" POST /v1/broadcasts -H 'content-type: application/json' -d "$(to_ward "$W1")") $(fields type)"
expect_eq "every error listed" "422 area.ward_code:required title.en:required body.vi:too-long" \
  "$(broadcast "$P-k1" "{\"area\":{\"kind\":\"ward\"},\"title\":{\"vi\":\"x\"},\"body\":{\"vi\":\"$(printf 'a%.0s' $(seq 1 501))\",\"en\":\"y\"}}") $(errors)"
expect_eq "a ward that is no unit: 422 unknown-ward" "422 area.ward_code:unknown-ward" "$(broadcast "$P-k2" "$(to_ward HN-W-NOPE-999)") $(errors)"
expect_eq "...nothing stored" 0 "$(psql_cong "SELECT count(*) FROM push_broadcasts WHERE created_by = '$P-official'")"

expect_eq "an official of no unit of that area: 403, nothing stored" "403 forbidden 0" \
  "$(broadcast "$P-k2b" "$(to_ward "$W2")" "$WARD_OFFICIAL") $(fields type) $(psql_cong "SELECT count(*) FROM push_broadcasts WHERE created_by = '$P-wofficial'")"
expect_eq "...nor city-wide, unless a department's" "403 forbidden" \
  "$(broadcast "$P-k2c" '{"area":{"kind":"city"},"title":{"vi":"x","en":"x"},"body":{"vi":"y","en":"y"}}' "$WARD_OFFICIAL") $(fields type)"
expect_eq "...its own ward: 201, and it may cancel that one: 200 cancelled" "201 200 cancelled" \
  "$(broadcast "$P-k2d" "$(to_ward "$W1")" "$WARD_OFFICIAL") $(call "$WARD_OFFICIAL" DELETE "/v1/broadcasts/$(fields id)") $(fields state)"

# ---- to a ward ----
expect_eq "an official broadcasts to $W1: 201" "201 queued ward $W1" "$(broadcast "$P-k3" "$(to_ward "$W1")") $(fields state area.kind area.ward_code)"
BW=$(fields id)
expect_eq "...Location" "/v1/broadcasts/$BW" "$(header location)"
expect_eq "the same key and body again: the same broadcast" "201 $BW true" "$(broadcast "$P-k3" "$(to_ward "$W1")") $(fields id) $(header idempotent-replayed)"
expect_eq "the same key, another body: 422" "422 idempotency-key-reused" "$(broadcast "$P-k3" "$(to_ward "$W2")") $(fields type)"
expect_eq "an audit record names the official" "1 official" \
  "$(psql_cong "SELECT count(*), max(actor_kind) FROM audit_records WHERE action = 'broadcast.create' AND object = 'broadcast:$BW' AND actor = '$P-official'" | tr '|' ' ')"
expect_eq "l1 chooses $W1 after the broadcast" 200 "$(area "$L1" "\"$W1\"")"
# open live streams: a1 ($W1), b1 ($W2), c1 (city only), l1 ($W1 since after the broadcast)
listen a1 "$A1"; listen b1 "$B1"; listen c1 "$C1"; listen l1 "$L1"
for n in a1 b1 c1 l1; do wait_until 10 connected "$n" || bad "$n's live stream did not open: $(head -c 300 "$GW_DIR/$n.sse")"; done
fanout_once
expect_eq "the fan-out (--once) exits 0" 0 "$?"
expect_eq "progress: done, 2 targeted, 2 delivered, no device outcome yet" "done 2 2 0 0" \
  "$(progress "$BW" state targeted delivered devices_sent devices_failed)"
expect_eq "$W1's area log has it once" 1 "$(in_log "$(area_log "$W1")" "$BW")"
expect_eq "...nobody's own log has it: $W1's, $W2's, the city-only, the late one" "00000" "$(live_each "$BW" a1 a2 b1 c1 l1)"
expect_eq "...nor another ward's log, nor the city log" "0 0" "$(in_log "$(area_log "$W2")" "$BW") $(in_log "$CITY_LOG" "$BW")"
ENTRY=$(rc --raw XRANGE "$(area_log "$W1")" - + | grep -F "\"event_key\":\"broadcast:$BW\"")
expect_match "...the area entry: the inbox id and both languages' texts" "\"inbox_id\":$BW.*\"title_en\":\"Water cut\"" "$ENTRY"
wait_until 10 sees a1 "$BW" || bad "a1's open stream ($W1) did not get the ward broadcast: $(tail -c 400 "$GW_DIR/a1.sse")"
expect_match "...as a broadcast.message event with a cursor id" "^id: [0-9]+-[0-9]+\.[0-9]+-[0-9]+\.[0-9]+-[0-9]+ event: broadcast.message$" \
  "$(grep -B2 -F "\"event_key\":\"broadcast:$BW\"" "$GW_DIR/a1.sse" | head -2 | tr '\n' ' ' | sed 's/ $//')"
ENTRIES=$(rc --no-raw XRANGE "$STREAM" - + | grep -o "$P-[a-z0-9]*" | sort | tr '\n' ' ')
expect_eq "a delivery entry for the recipient with a device only" "$P-a1 " "$ENTRIES"
expect_match "...it says live_done (the area log carries the live event)" "live_done" "$(rc --no-raw XRANGE "$STREAM" - + | grep -F "$P-a1")"
# its first page done again (a crash after Redis, before the commit): the area entry is appended once
psql_cong "UPDATE push_broadcasts SET state = 'queued', cursor = NULL, delivered = 0, targeted = 0 WHERE id = $BW" >/dev/null
fanout_once
expect_eq "a first page done twice: done 2 2, the area log has it once" "done 2 2 1" \
  "$(progress "$BW" state targeted delivered) $(in_log "$(area_log "$W1")" "$BW")"
expect_eq "...the delivery entry is written again (the workers' marks per event key and device send once)" 2 \
  "$(rc --no-raw XRANGE "$STREAM" - + | grep -c "$P-a1")"
call "$A1" GET /v1/me/inbox >/dev/null
expect_eq "a1's inbox lists it once, unread" "1 broadcast.message Thông báo cắt nước 1" \
  "$(python3 -S -c 'import json,sys; d=json.load(open(sys.argv[1])); i=[x for x in d["items"] if x["id"]==int(sys.argv[2])]; print(len(i), i[0]["topic"], i[0]["title"], d["unread"])' "$GW_DIR/body" "$BW")"
expect_eq "...in English too" "Water cut" "$(call "$A1" GET /v1/me/inbox -H 'accept-language: en' >/dev/null; python3 -S -c 'import json,sys; print(json.load(open(sys.argv[1]))["items"][0]["title"])' "$GW_DIR/body")"
expect_eq "b1's inbox: nothing" "0 0" "$(call "$B1" GET /v1/me/inbox >/dev/null; echo "$(fields unread)" "$(python3 -S -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["items"]))' "$GW_DIR/body")")"
expect_eq "l1's inbox (moved there afterwards): nothing" "0" "$(call "$L1" GET /v1/me/inbox >/dev/null; fields unread)"
expect_eq "a1 reads it: 204" 204 "$(call "$A1" POST "/v1/me/inbox/$BW/read")"
expect_eq "...unread 0, read" "0 True" "$(call "$A1" GET /v1/me/inbox >/dev/null; fields unread) $(python3 -S -c 'import json,sys; print(json.load(open(sys.argv[1]))["items"][0]["read"])' "$GW_DIR/body")"
expect_eq "b1 reads it: 404" 404 "$(call "$B1" POST "/v1/me/inbox/$BW/read")"
expect_eq "a2 deletes it: 204, twice" "204 204" "$(call "$A2" DELETE "/v1/me/inbox/$BW") $(call "$A2" DELETE "/v1/me/inbox/$BW")"
expect_eq "...gone from a2's inbox" "0 0" "$(call "$A2" GET /v1/me/inbox >/dev/null; echo "$(fields unread)" "$(python3 -S -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["items"]))' "$GW_DIR/body")")"
expect_eq "...read after deletion: 404" 404 "$(call "$A2" POST "/v1/me/inbox/$BW/read")"
rc HSET "cong:broadcast:$BW:progress" devices_sent 1 devices_failed 0 >/dev/null
expect_eq "progress shows the workers' counters" "1 0" "$(progress "$BW" devices_sent devices_failed)"
expect_eq "a done broadcast cannot be cancelled: 409" "409 conflict" "$(call "$OFFICIAL" DELETE "/v1/broadcasts/$BW") $(fields type)"
expect_eq "an unknown broadcast: 404" "404 404" "$(call "$OFFICIAL" GET /v1/broadcasts/999999999999) $(call "$OFFICIAL" DELETE /v1/broadcasts/abc)"
expect_eq "a citizen reads progress: 403" 403 "$(call "$A1" GET "/v1/broadcasts/$BW")"

# ---- city-wide ----
expect_eq "a city-wide broadcast: 201" 201 "$(broadcast "$P-k4" "{\"area\":{\"kind\":\"city\"},$texts}")"
BC=$(fields id)
WANT=$(psql_cong "SELECT count(*) FROM push_subscribers s, push_broadcasts b WHERE b.id = $BC AND s.area_since <= b.created_at")
expect_eq "a ward's official cannot cancel a city-wide one: 403" "403 forbidden" \
  "$(call "$WARD_OFFICIAL" DELETE "/v1/broadcasts/$BC") $(fields type)"
fanout_once
expect_eq "progress: done, every subscriber targeted and delivered" "done $WANT $WANT" "$(progress "$BC" state targeted delivered)"
expect_eq "...ONE entry, in the city log; none in this run's own logs" "1 00000" "$(in_log "$CITY_LOG" "$BC") $(live_each "$BC" a1 a2 b1 c1 l1)"
for n in a1 b1 c1 l1; do wait_until 10 sees "$n" "$BC" || bad "$n's open stream did not get the city-wide broadcast"; done
expect_eq "...the ward broadcast reached only the stream of its ward's subscriber (b1 $W2, c1 city only, l1 late: not)" \
  "1 0 0 0" "$(for n in a1 b1 c1 l1; do seen_count "$n" "broadcast:$BW"; done | tr '\n' ' ' | sed 's/ $//')"
expect_eq "...a1 got each once (the first page done twice included)" "1 1" "$(seen_count a1 "broadcast:$BW") $(seen_count a1 "broadcast:$BC")"

# ---- one cursor over both kinds: a1's own items (3 events) and the two broadcasts, pages of 2 ----
psql_cong "INSERT INTO push_outbox (subject, topic, payload) SELECT '$P-a1', 'queue.called', jsonb_build_object('number', n) FROM generate_series(1, 3) n" >/dev/null
WANT=$(psql_cong "SELECT string_agg(id::text, ' ' ORDER BY id DESC) FROM (SELECT id FROM push_inbox WHERE subject = '$P-a1' UNION ALL SELECT unnest(ARRAY[$BW, $BC]::bigint[])) x")
GOT="" CURSOR="" PAGES=0
while :; do
  call "$A1" GET "/v1/me/inbox?limit=2${CURSOR:+&cursor=$CURSOR}" >/dev/null
  PAGES=$((PAGES + 1)) GOT="$GOT $(python3 -S -c 'import json,sys; print(" ".join(str(i["id"]) for i in json.load(open(sys.argv[1]))["items"]))' "$GW_DIR/body")"
  CURSOR=$(fields next_cursor)
  [ -z "$CURSOR" ] || [ "$PAGES" -ge 10 ] && break
done
expect_eq "5 items in 3 pages, newest first, each once" "3 $WANT" "$PAGES $(echo $GOT)"
expect_eq "...4 unread: the events and the city-wide one" 4 "$(fields unread)"

# ---- resume across the person's log and the area log: no gap, no duplicate ----
kill "$PID_a1" 2>/dev/null
RESUME=$(last_id a1)
rc EVAL "local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', 1000, '*', 'k', ARGV[2], 'e', 'dossier.status', 'd', ARGV[3])
  redis.call('PUBLISH', 'cong:live', ARGV[1]) return id" 1 "cong:user:$P-a1:log" "$P-a1" "push_outbox:$P-1" \
  "{\"event_key\":\"push_outbox:$P-1\",\"topic\":\"dossier.status\",\"inbox_id\":null,\"data\":{}}" >/dev/null
expect_eq "a second broadcast to $W1 while a1 is away" 201 "$(broadcast "$P-k7" "$(to_ward "$W1")")"
BW2=$(fields id)
fanout_once
listen a1r "$A1" "$RESUME"
wait_until 10 sees a1r "$BW2" || bad "resume: the ward broadcast made meanwhile did not come: $(cat "$GW_DIR/a1r.sse")"
expect_eq "resumed with Last-Event-ID: the person's event and the area's, once each; nothing seen before" "1 1 0 0" \
  "$(seen_count a1r "push_outbox:$P-1") $(seen_count a1r "broadcast:$BW2") $(seen_count a1r "broadcast:$BW") $(seen_count a1r "broadcast:$BC")"
expect_no_match "...no reset" "event: reset" "$(cat "$GW_DIR/a1r.sse")"
kill "$PID_a1r" "$PID_b1" "$PID_c1" "$PID_l1" 2>/dev/null
expect_eq "b1's inbox shows it" "$BC" "$(call "$B1" GET /v1/me/inbox >/dev/null; python3 -S -c 'import json,sys; print(json.load(open(sys.argv[1]))["items"][0]["id"])' "$GW_DIR/body")"

# ---- cancel mid-way: 30 subscribers of $W3, 5 a second ----
psql_cong "INSERT INTO push_subscribers (subject, ward_code, area_since) SELECT '$P-w3-' || lpad(n::text, 2, '0'), '$W3', now() - interval '1 minute' FROM generate_series(1, 30) n" >/dev/null
expect_eq "a broadcast to $W3" 201 "$(broadcast "$P-k5" "$(to_ward "$W3")")"
BX=$(fields id)
"$FANOUT" --pg "$CONNINFO" --redis-port "$REDIS_PORT" --rate 5 --page 5 --poll-ms 50 2>>"$LOG" &
FANOUT_PID=$!
EXTRA_PIDS+=("$FANOUT_PID")
wait_until 20 delivered_at_least "$BX" 5 || bad "the first page was not sent in 20 s"
expect_eq "cancelled mid-way: 200, cancelled" "200 cancelled" "$(call "$OFFICIAL" DELETE "/v1/broadcasts/$BX") $(fields state)"
STOPPED=$(fields delivered)
expect_match "...some delivered, not all" '^([5-9]|[12][0-9])$' "$STOPPED"
expect_eq "...again: 200" 200 "$(call "$OFFICIAL" DELETE "/v1/broadcasts/$BX")"
kill -TERM "$FANOUT_PID"; wait "$FANOUT_PID"
expect_eq "the fan-out stops on SIGTERM with 0" 0 "$?"
fanout_once
expect_eq "...and nothing was sent after the cancel" "cancelled $STOPPED" "$(progress "$BX" state delivered)"
expect_eq "...its area log has it once" 1 "$(in_log "$(area_log "$W3")" "$BX")"
expect_eq "...30 recipients without a device: no Redis key names any, no delivery entry" "0 0" \
  "$(keys_of w3-) $(rc --no-raw XRANGE "$STREAM" - + | grep -c "$P-w3-")"
expect_eq "the cancel is audited" 1 "$(psql_cong "SELECT count(*) FROM audit_records WHERE action = 'broadcast.cancel' AND object = 'broadcast:$BX'")"
expect_eq "a cancelled broadcast is in nobody's inbox" "0" \
  "$(call "$(citizen w3-01)" GET /v1/me/inbox >/dev/null; python3 -S -c 'import json,sys; print(sum(1 for i in json.load(open(sys.argv[1]))["items"] if i["id"] == int(sys.argv[2])))' "$GW_DIR/body" "$BX")"

# ---- killed mid-way: 40 subscribers of $W4 (every other one with a device), SIGKILL, restart ----
psql_cong "INSERT INTO push_subscribers (subject, ward_code, area_since) SELECT '$P-w4-' || lpad(n::text, 2, '0'), '$W4', now() - interval '1 minute' FROM generate_series(1, 40) n;
  INSERT INTO push_devices (subject, session_id, platform, token) SELECT '$P-w4-' || lpad(n::text, 2, '0'), 'sid-$P-w4-' || n, 'fcm', '$P-w4-token-' || n FROM generate_series(2, 40, 2) n" >/dev/null
expect_eq "a broadcast to $W4" 201 "$(broadcast "$P-k6" "$(to_ward "$W4")")"
BK=$(fields id)
"$FANOUT" --pg "$CONNINFO" --redis-port "$REDIS_PORT" --rate 10 --page 5 --poll-ms 50 2>>"$LOG" &
FANOUT_PID=$!
wait_until 20 delivered_at_least "$BK" 10 || bad "two pages were not sent in 20 s"
kill -KILL "$FANOUT_PID"; wait "$FANOUT_PID" 2>/dev/null
# PostgreSQL rolls the killed page back once it sees the connection gone; until then the row is locked (and skipped).
no_fanout_session() { [ "$(psql_cong "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'cong-push-fanout'")" = 0 ]; }
wait_until 20 no_fanout_session || bad "the killed fan-out's session did not end"
expect_match "killed mid-way" '^(1[0-9]|2[0-9]|3[0-5])$' "$(progress "$BK" delivered)"
fanout_once
expect_eq "restarted: done, all 40 delivered once" "done 40 40" "$(progress "$BK" state targeted delivered)"
expect_eq "...its area log has it exactly once, no own log has it" "1 $(printf '0%.0s' $(seq 1 40))" \
  "$(in_log "$(area_log "$W4")" "$BK") $(live_each "$BK" $(seq -f 'w4-%02g' 1 40))"
expect_eq "...no Redis key names any of the 40 (with a device or not)" 0 "$(keys_of w4-)"
expect_eq "...a delivery entry for each of the 20 with a device, none for the others" \
  "$(seq -w 2 2 40 | sed "s/^/$P-w4-/" | tr '\n' ' ')" \
  "$(rc --no-raw XRANGE "$STREAM" - + | grep -o "$P-w4-[0-9]*" | sort -u | tr '\n' ' ')"

# ---- the log names no subject and no text ----
expect_no_match "the fan-out's log names no subject" "$P-" "$(cat "$LOG")"
expect_no_match "...and no text" "Water cut" "$(cat "$LOG")"
finish

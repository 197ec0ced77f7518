#!/usr/bin/env bash
# Slow clients (issue 19, item 3; h2o patch 0006): minimum transfer rates for responses and request bodies, HTTP/2
# and HTTP/1.1, with a 2 s window, 128 KiB a window (64 KiB/s) for responses and 32 KiB (16 KiB/s) for request bodies,
# and the idle timeout at 30 s (so that every close seen here comes from the rates, not from the idle, stall or header
# timers):
#   1. tools/h2_attack.c, each mode well below its minimum (all side by side): trickle-window (HTTP/2, 16 bytes of
#      window every 100 ms, reading everything), slow-body (HTTP/2 DATA, 16 bytes every 100 ms), slow-body-h1 (16 body
#      bytes every 100 ms: 408 first) and slow-read-h1 (1 KiB read every 100 ms of an 8 MB streamed reply): each is
#      closed by the server within a few windows, counted in cong_slow_client_closes_total and logged;
#   2. honest slow clients, four to eight times above the minimum, are not hurt: a 2 MB streamed reply read at 256 KB/s
#      (HTTP/2: curl --limit-rate; HTTP/1.1: slow_reader.py with a 16 KiB receive buffer) arrives whole (SHA-256), and
#      a 512 KiB body sent at 128 KiB/s (HTTP/2, HTTP/1.1 with content-length and chunked) reaches the gateway (its
#      405 answer), with no close counted. curl paces an upload in bursts of 64 KiB (one every 0.5 s here): the
#      window holds several, as a production window of 30 s holds many more;
#   3. Server-Sent Events streams (HTTP/2 and HTTP/1.1) that wait for their next event through all of the above
#      (nothing queued, so nothing to move) stay open and end complete.
# About 40 s.
source "$(dirname "$0")/lib.sh"

ATTACK=$BUILD/h2-attack
if [ ! -x "$ATTACK" ]; then
  ATTACK=$GW_DIR/h2-attack
  cc -std=c17 -O2 -Wall -Wextra -o "$ATTACK" "$SRC/tools/h2_attack.c" || { bad "cannot build tools/h2_attack.c"; finish; exit 1; }
fi

printf 'modules:\n  load: ["%s/partner_io.so"]\n' "$BUILD" >"$GW_DIR/cong.yaml"
start_gateway CONG_SERVER_IDLE_TIMEOUT_MS=30000 CONG_LIMITS_MIN_TRANSFER_RATE_WINDOW_MS=2000 \
  CONG_LIMITS_MIN_RESPONSE_RATE_BYTES=131072 CONG_LIMITS_MIN_REQUEST_BODY_RATE_BYTES=32768 \
  CONG_RATE_LIMITS_DEFAULT_BURST=100000 CONG_RATE_LIMITS_DEFAULT_PER_MINUTE=1000000 || { finish; exit 1; }
wait_stores_up

attack() { "$ATTACK" --host 127.0.0.1 --port "$H2C_PORT" "$@" 2>&1; }
# kv KEY LINE: the value of KEY=... in one of h2-attack's lines
kv() { sed -n "s/.*[ ^]$1=\([^ ]*\).*/\1/p; s/^$1=\([^ ]*\).*/\1/p" <<<"$2" | head -1; }
metric() { h2c "$(admin_url /metrics)" | awk -v m="$1" '$1 == m { print $2 }'; }
closes() { metric "cong_slow_client_closes_total{direction=\"$1\"}"; }
closes_are() { [ "$(closes response)" = "$1" ] && [ "$(closes request_body)" = "$2" ]; }
file_has() { grep -q "$2" "$1" 2>/dev/null; }
pattern_sha() { # N: the SHA-256 of the module's download of N bytes (byte k is k % 251)
  python3 -c 'import hashlib, sys; n = int(sys.argv[1])
print(hashlib.sha256((bytes(range(251)) * (n // 251 + 1))[:n]).hexdigest())' "$1"
}
established() { ss -Htn state established "( sport = :$H2C_PORT )" | wc -l; }

# ---- 3 (set up first). event streams that wait, with nothing queued, through everything below ----------------------
for gate in 1 2; do
  proto=$([ "$gate" = 2 ] && echo --http1.1 || echo --http2-prior-knowledge)
  curl -s -N $proto --max-time 120 -o "$GW_DIR/events$gate.txt" "$(url "/v1/partner-io/events?n=2&gate=$gate")" &
  eval "events${gate}_pid=$!"
  EXTRA_PIDS+=("$!")
done
wait_until 20 file_has "$GW_DIR/events1.txt" "data: event 1 of 2" || bad "HTTP/2 event stream: no first event"
wait_until 20 file_has "$GW_DIR/events2.txt" "data: event 1 of 2" || bad "HTTP/1.1 event stream: no first event"
expect_eq "no close counted before the attacks" "0 0" "$(closes response) $(closes request_body)"

# ---- 1. attackers below the minimum rates, side by side --------------------------------------------------------
established_before=$(established)
attack --mode trickle-window --connections 2 --payload 16 --interval-ms 100 --seconds 10 >"$GW_DIR/tw.out" &
tw_pid=$!
attack --mode slow-body --connections 2 --payload 16 --interval-ms 100 --seconds 10 >"$GW_DIR/sb.out" &
sb_pid=$!
attack --mode slow-body-h1 --connections 2 --payload 16 --interval-ms 100 --seconds 10 >"$GW_DIR/sbh1.out" &
sbh1_pid=$!
attack --mode slow-read-h1 --path "/v1/partner-io/download?bytes=8000000&buffer=65536" --payload 1024 \
  --interval-ms 100 --seconds 10 >"$GW_DIR/sr.out" &
sr_pid=$!
EXTRA_PIDS+=("$tw_pid" "$sb_pid" "$sbh1_pid" "$sr_pid")
all_connected() { [ "$(established)" -ge $((established_before + 7)) ]; }
all_closes_counted() { closes_are 3 4; }
# Each is closed within a few 2 s windows (the first window starts with the request; a check finds the data waiting
# at its start and its end): watched, not slept. The slow reader of HTTP/1.1 cannot see the server's close behind
# the data it does not read: its close shows here, in the counters and ss, not in its own report.
wait_until 3 all_connected ||
  bad "the attackers did not all connect: $(established) established (before: $established_before)"
if wait_until 15 all_closes_counted; then ok; else
  bad "closes counted: response $(closes response) (expected 3), request_body $(closes request_body) (expected 4)"; fi
back_to_before() { [ "$(established)" -le "$established_before" ]; }
if wait_until 5 back_to_before; then ok; else
  bad "attackers still established on the server's side:"
  ss -tn "( sport = :$H2C_PORT )"
fi
wait "$tw_pid" "$sb_pid" "$sbh1_pid" "$sr_pid"

# expect_closed NAME FILE DEBUG_REGEX: every connection line shows a close by the server after one to two windows
# (and some slack for a busy machine), with DEBUG
expect_closed() {
  local name=$1 out line ms
  out=$(cat "$2")
  expect_eq "$name: 2 connections reported" 2 "$(grep -c '^conn=' <<<"$out")"
  while read -r line; do
    [ -n "$line" ] || continue
    ms=$(kv closed_after_ms "$line")
    if [ "$(kv closed "$line")" = 1 ] && [ "${ms:-0}" -ge 1900 ] && [ "${ms:-0}" -le 8000 ]; then ok; else
      bad "$name: expected a close after 2..8 s: $line"; fi
    expect_match "$name: why" "$3" "$(kv debug "$line")"
  done < <(grep '^conn=' <<<"$out")
  echo "$name: closed after $(grep '^conn=' <<<"$out" | sed 's/.*closed_after_ms=\([0-9-]*\).*/\1/' | paste -sd' ') ms"
}
expect_closed "trickle-window (HTTP/2)" "$GW_DIR/tw.out" "^slow_reader:"
expect_closed "slow-body (HTTP/2)" "$GW_DIR/sb.out" "^slow_sender:"
expect_closed "slow-body-h1" "$GW_DIR/sbh1.out" "^HTTP/1.1_408_"
expect_match "the HTTP/1.1 slow reader got its answer started" "debug=HTTP/1.1_200_OK" "$(cat "$GW_DIR/sr.out")"
# One line per connection, bounded per tick (the attackers here close together: some lines are summed up)
log=$(cat "$GW_DIR/stderr")
expect_match "logged: HTTP/2" "http2: closing the connection from 127\.0\.0\.1: slow (reader|sender): " "$log"
expect_match "logged: HTTP/1.1" "http1: closing the connection from 127\.0\.0\.1: slow (reader|sender): " "$log"

# ---- 2. honest slow clients, four (reading) to eight (sending) times above the minimum -----------------------------
BYTES=2000000
download="/v1/partner-io/download?bytes=$BYTES&buffer=65536"
python3 "$SRC/tests/integration/slow_reader.py" "$H2C_PORT" "$download" 256000 >"$GW_DIR/slow_h1.txt" &
reader_pid=$!
EXTRA_PIDS+=("$reader_pid")
h2_sha=$(curl -s --http2-prior-knowledge --max-time 60 --limit-rate 256000 "$(url "$download")" | sha256sum |
  cut -d' ' -f1)
wait "$reader_pid"
expect_eq "an HTTP/2 reader at 256 KB/s gets the whole answer" "$(pattern_sha $BYTES)" "$h2_sha"
expect_eq "an HTTP/1.1 reader at 256 KB/s gets the whole answer" "200 $(pattern_sha $BYTES) $BYTES" \
  "$(cat "$GW_DIR/slow_h1.txt")"

head -c 524288 /dev/urandom >"$GW_DIR/upload.bin"
upload() {
  curl -s -o /dev/null -w '%{http_code}' --max-time 60 --limit-rate 131072 --data-binary "@$GW_DIR/upload.bin" "$@" \
    "$(url /healthz)"
}
upload --http1.1 -H 'Transfer-Encoding: chunked' >"$GW_DIR/up_chunked.txt" &
chunked_pid=$!
upload --http1.1 >"$GW_DIR/up_h1.txt" &
h1_pid=$!
expect_eq "an HTTP/2 body sent at 128 KiB/s reaches the gateway" 405 "$(upload --http2-prior-knowledge)"
wait "$chunked_pid" "$h1_pid"
expect_eq "an HTTP/1.1 body (content-length) sent at 128 KiB/s reaches the gateway" 405 "$(cat "$GW_DIR/up_h1.txt")"
expect_eq "an HTTP/1.1 body (chunked) sent at 128 KiB/s reaches the gateway" 405 "$(cat "$GW_DIR/up_chunked.txt")"
expect_eq "no honest client was counted" "3 4" "$(closes response) $(closes request_body)"

# ---- 3. the event streams waited through all of it, open, and end complete --------------------------------------
for gate in 1 2; do
  pid_var="events${gate}_pid"
  if kill -0 "${!pid_var}" 2>/dev/null; then ok; else bad "event stream $gate ended before its gate opened"; fi
  h2c -o /dev/null "$(url "/v1/partner-io/release?gate=$gate")"
  wait "${!pid_var}"
  expect_eq "event stream $gate: the client got a complete stream" 0 $?
  expect_eq "event stream $gate: both events" 2 "$(grep -c '^data: event' "$GW_DIR/events$gate.txt")"
done
expect_eq "still no other close counted" "3 4" "$(closes response) $(closes request_body)"
stop_gateway
finish

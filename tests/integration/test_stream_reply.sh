#!/usr/bin/env bash
# Streamed replies (module ABI 1.4: stream_begin / stream_write / stream_end), through the test module
# tests/partner/partner_io.c (see its header for its routes), over h2c and HTTP/1.1:
#   1. Server-Sent Events arrive one by one: the client reads the first event while the module has not written the
#      last (it waits behind a gate the test opens only then); HTTP/2 and chunked HTTP/1.1; HEAD gets no body.
#   2. Large bodies arrive whole: 16 MiB at full speed (h2c) and 16 MB to a reader of 4 MB/s with a small receive
#      buffer (HTTP/1.1, tests/integration/slow_reader.py) through a 64 KiB buffer: the module is told CONG_EBUSY and
#      waits for its writable callback; the stream buffers (cong_stream_buffer_bytes) hold at most 2 × 64 KiB.
#   3. A stalled reader (raw HTTP/2 client, tests/integration/h2_stall_reader.py: 4 streams, never a WINDOW_UPDATE):
#      the module's writes stop at the bound (accepted bytes ≤ the 64 KiB connection window + 4 × 64 KiB) and the
#      buffers stay ≤ 4 × 2 × 64 KiB while the module would write 64 MiB per stream; when the reader leaves, the
#      module hears CONG_EGONE for each stream and the buffers are freed.
#   4. A client that leaves an event stream: the module's closed callback runs (its counter, its log line,
#      cong_streams_client_gone_total), nothing is left open.
#   5. Misuse: a buffer under 1 KiB is refused (CONG_EINVAL), a write larger than the buffer gets CONG_ETOOBIG.
#   6. Shutdown with event streams open (HTTP/2 and HTTP/1.1): the module hears CONG_EGONE, the gateway ends the
#      responses cleanly (the clients see complete streams) and exits without waiting for its shutdown deadline.
source "$(dirname "$0")/lib.sh"

printf 'modules:\n  load: ["%s/partner_io.so"]\n' "$BUILD" >"$GW_DIR/cong.yaml"
start_gateway CONG_SERVER_SHUTDOWN_TIMEOUT_MS=30000 \
  CONG_RATE_LIMITS_DEFAULT_BURST=100000 CONG_RATE_LIMITS_DEFAULT_PER_MINUTE=1000000 || { finish; exit 1; }
wait_stores_up

stat() { h2c "$(url /v1/partner-io/stats)" | json "$1"; }
metric() { h2c "$(admin_url /metrics)" | awk -v m="$1" '$1 == m { print $2 }'; }
file_has() { grep -q "$2" "$1" 2>/dev/null; }
pattern_sha() { # N: the SHA-256 of the module's download of N bytes (byte k is k % 251)
  python3 -c 'import hashlib, sys; n = int(sys.argv[1])
print(hashlib.sha256((bytes(range(251)) * (n // 251 + 1))[:n]).hexdigest())' "$1"
}
KIB64=65536

# ---- 1. events arrive as they are written ----------------------------------------------------------------------
for proto in --http2-prior-knowledge --http1.1; do
  gate=$([ "$proto" = --http1.1 ] && echo 2 || echo 1)
  out="$GW_DIR/events$gate.txt"
  curl -s -N $proto --max-time 60 -D "$GW_DIR/events$gate.headers" -o "$out" \
    "$(url "/v1/partner-io/events?n=3&gate=$gate")" &
  curl_pid=$!
  EXTRA_PIDS+=("$curl_pid")
  if wait_until 20 file_has "$out" "data: event 1 of 3"; then ok; else bad "$proto: the first event did not arrive"; fi
  # the module writes the other two only after the release: the client has the first one, not the last
  expect_no_match "$proto: the last event is not there yet" "event 3 of 3" "$(cat "$out")"
  if kill -0 "$curl_pid" 2>/dev/null; then ok; else bad "$proto: the stream ended before the gate opened"; fi
  h2c -o /dev/null "$(url "/v1/partner-io/release?gate=$gate")"
  wait "$curl_pid"
  expect_eq "$proto: the client got a complete stream" 0 $?
  expect_eq "$proto: all three events" 3 "$(grep -c '^data: event' "$out")"
  headers=$(tr -d '\r' <"$GW_DIR/events$gate.headers")
  expect_match "$proto: text/event-stream" "content-type: text/event-stream" "$headers"
  expect_match "$proto: the module's header" "cache-control: no-cache" "$headers"
  expect_match "$proto: the response filters ran" "x-request-id: " "$headers"
done
expect_match "chunked HTTP/1.1" "transfer-encoding: chunked" "$(tr -d '\r' <"$GW_DIR/events2.headers")"
head_out=$(curl -s -I --http2-prior-knowledge --max-time 10 -o /dev/null -w '%{http_code} %{size_download}' \
  "$(url '/v1/partner-io/events?n=2&interval_ms=10')")
expect_eq "HEAD: the headers, no body" "200 0" "$head_out"

# ---- 2. large bodies, fast and slow readers -------------------------------------------------------------------
got=$(h2c --max-time 60 "$(url "/v1/partner-io/download?bytes=16777216&buffer=$KIB64")" | sha256sum | cut -d' ' -f1)
expect_eq "16 MiB over h2c, whole and in order" "$(pattern_sha 16777216)" "$got"

# 16 MB at 4 MB/s: the kernel's send buffer (up to 4 MB) takes the start, the rest waits in the stream's buffers
busy0=$(stat ebusy)
python3 "$SRC/tests/integration/slow_reader.py" "$H2C_PORT" "/v1/partner-io/download?bytes=16000000&buffer=$KIB64" \
  4000000 >"$GW_DIR/slow.txt" &
slow_pid=$!
EXTRA_PIDS+=("$slow_pid")
max_buffered=0
while kill -0 "$slow_pid" 2>/dev/null; do
  b=$(metric cong_stream_buffer_bytes)
  [ -n "$b" ] && [ "$b" -gt "$max_buffered" ] && max_buffered=$b
  sleep 0.1
done
wait "$slow_pid"
expect_eq "a slow reader (HTTP/1.1, 4 MB/s) gets the whole body" "200 $(pattern_sha 16000000) 16000000" \
  "$(cat "$GW_DIR/slow.txt")"
if [ "$max_buffered" -gt 0 ] && [ "$max_buffered" -le $((2 * KIB64)) ]; then ok; else
  bad "the stream's buffers held $max_buffered bytes (bound: $((2 * KIB64)))"; fi
busy1=$(stat ebusy)
if [ "$busy1" -gt "$busy0" ]; then ok; else bad "the slow reader never held the module back (CONG_EBUSY)"; fi
expect_eq "each CONG_EBUSY was followed by one writable callback" "$busy1" "$(stat writable)"

# ---- 3. a reader that grants no window ------------------------------------------------------------------------
accepted0=$(stat accepted)
closed0=$(stat closed)
busy0=$(stat ebusy)
python3 "$SRC/tests/integration/h2_stall_reader.py" "$H2C_PORT" \
  "/v1/partner-io/download?bytes=67108864&buffer=$KIB64" 4 "$GW_DIR/stall.txt" &
stall_pid=$!
EXTRA_PIDS+=("$stall_pid")
busy_of_four() { [ "$(($(stat ebusy) - busy0))" -ge 4 ]; }
if wait_until 20 busy_of_four; then ok; else bad "the four stalled streams did not fill their buffers"; fi
buffered=$(metric cong_stream_buffer_bytes)
accepted=$(($(stat accepted) - accepted0))
if [ "$accepted" -le $((65535 + 4 * KIB64)) ]; then ok; else
  bad "the module could write $accepted bytes to a stalled reader (bound $((65535 + 4 * KIB64)))"; fi
if [ "$buffered" -le $((4 * 2 * KIB64)) ]; then ok; else bad "stream buffers hold $buffered bytes"; fi
expect_eq "four streams open" 4 "$(metric cong_streams_open)"
received=$(cut -d' ' -f2 "$GW_DIR/stall.txt")
if [ "$received" -le 65535 ]; then ok; else bad "the stalled reader got $received bytes past its window"; fi
# the reader leaves (the stall timer of HTTP/2, test_h2_abuse.sh, would close it after server.idle_timeout_ms): the
# module hears it once per stream, and the buffers are freed
kill "$stall_pid"
four_closed() { [ "$(($(stat closed) - closed0))" -eq 4 ]; }
if wait_until 20 four_closed; then ok; else bad "the module heard $(($(stat closed) - closed0)) of 4 streams close"; fi
expect_eq "no stream left open" 0 "$(metric cong_streams_open)"
expect_eq "no buffer left" 0 "$(metric cong_stream_buffer_bytes)"
if [ "$(($(stat accepted) - accepted0))" -le $((65535 + 4 * KIB64)) ]; then ok; else
  bad "writes went on past the bound"; fi

# ---- 4. a client leaves an event stream ----------------------------------------------------------------------
closed0=$(stat closed)
gone0=$(metric cong_streams_client_gone_total)
curl -s -N --http2-prior-knowledge --max-time 60 -o "$GW_DIR/leaving.txt" \
  "$(url '/v1/partner-io/events?n=100000&interval_ms=50')" &
leaving_pid=$!
EXTRA_PIDS+=("$leaving_pid")
if wait_until 20 file_has "$GW_DIR/leaving.txt" "data: event 2 of"; then ok; else bad "no event stream"; fi
kill "$leaving_pid"
wait "$leaving_pid" 2>/dev/null
closed_once() { [ "$(stat closed)" -eq $((closed0 + 1)) ]; }
if wait_until 10 closed_once; then ok; else bad "the module did not hear that its client left"; fi
expect_eq "cong_streams_client_gone_total counts it" $((gone0 + 1)) "$(metric cong_streams_client_gone_total)"
expect_match "the module's log line" "event stream over \\(CONG_EGONE\\) after [0-9]+ event" \
  "$(cat "$GW_DIR/stderr")"
no_stream_open() { [ "$(metric cong_streams_open)" = 0 ]; }
if wait_until 5 no_stream_open; then ok; else bad "a stream is still open"; fi

# ---- 5. misuse ------------------------------------------------------------------------------------------------
expect_eq "a 100-byte buffer is refused" 400 "$(h2c -o /dev/null -w '%{http_code}' \
  "$(url '/v1/partner-io/download?bytes=10&buffer=100')")"
h2c -o /dev/null "$(url '/v1/partner-io/download?bytes=10000&buffer=4096&chunk=8192')"
expect_eq "a write larger than the buffer" CONG_ETOOBIG "$(stat last_write_err)"

h2c -o /dev/null -w '%{http_code}' "$(url /healthz)" | grep -q 200 && ok || bad "the gateway stopped answering"

# ---- 6. shutdown ends open streams ---------------------------------------------------------------------------
shut_pids=()
over0=$(grep -c "event stream over" "$GW_DIR/stderr")
for proto in --http2-prior-knowledge --http1.1; do
  curl -s -N $proto --max-time 60 -o "$GW_DIR/shut$proto.txt" "$(url '/v1/partner-io/events?n=100000&interval_ms=50')" &
  shut_pids+=($!)
  EXTRA_PIDS+=($!)
  if wait_until 20 file_has "$GW_DIR/shut$proto.txt" "data: event 2 of"; then ok; else bad "$proto: no stream"; fi
done
stop_gateway
for i in 0 1; do
  wait "${shut_pids[$i]}"
  expect_eq "stream $i ended cleanly at shutdown" 0 $?
done
expect_eq "the module heard both streams end" $((over0 + 2)) "$(grep -c "event stream over" "$GW_DIR/stderr")"
expect_no_match "no wait for the shutdown deadline" "shutdown deadline reached" "$(cat "$GW_DIR/stderr")"
expect_eq "a clean exit" 0 "$GW_STATUS"
finish

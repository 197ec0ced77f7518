#!/usr/bin/env bash
# Lifecycle: clients that disconnect mid-request (late PostgreSQL callbacks must find a cleared guard — ASan watches),
# multiplexing over one HTTP/2 connection, and a graceful shutdown that completes an in-flight request and exits 0.
source "$(dirname "$0")/lib.sh"
printf 'modules:\n  load: ["%s/partner_hello.so"]\n' "$BUILD" >"$GW_DIR/cong.yaml"
# The query and drain deadlines are far above the queries below (1 and 3 s), and the rate limits above the ~40
# anonymous requests (127.0.0.1's bucket, shared with the tests running at once): the limits the test relies on.
start_gateway CONG_POSTGRES_TIMEOUT_MS=60000 CONG_SERVER_SHUTDOWN_TIMEOUT_MS=60000 \
  CONG_RATE_LIMITS_DEFAULT_PER_MINUTE=600000 CONG_RATE_LIMITS_DEFAULT_BURST=100000 || exit 1
wait_stores_up || { finish; exit 1; }
# requests in flight now, the scrape that asks included
in_flight() { h2c "$(admin_url /metrics)" | awk '$1 == "cong_requests_in_flight" { print $2 }'; }
in_flight_is() { [ "$(in_flight)" = "$1" ]; }
in_flight_at_least() { [ "$(in_flight)" -ge "$1" ] 2>/dev/null; }

# 40 clients leave (after 0.5 s, not 0.1: time to send the request on a busy machine) while their query (1 s) is
# still running or queued for a connection.
clients=()
for i in $(seq 1 40); do
  curl -s --http2-prior-knowledge --max-time 0.5 -o /dev/null "$(url '/v1/partner/slow?ms=1000')" &
  clients+=($!)
done
wait "${clients[@]}"
# every query ends, each finding its client gone: then only the scrape itself is in flight
wait_until 60 in_flight_is 1 || bad "requests still in flight after 60 s: $(in_flight)"
expect_eq "alive after disconnects" "200" "$(h2c -o /dev/null -w '%{http_code}' "$(url /healthz)")"
expect_match "499s counted" 'route="/v1/partner/slow",status="499"' "$(h2c "$(admin_url /metrics)")"

# multiplexing: 200 requests over one connection, 20 streams at a time
out=$(h2load -n 200 -c 1 -m 20 "$(url /healthz)" 2>&1)
expect_match "h2load multiplexed" "200 succeeded, 0 failed" "$out"
expect_match "h2load protocol h2c" "Application protocol: h2c" "$out"

# graceful shutdown with a request in flight (it lasts 3 s; the gateway is told to stop once it has arrived)
curl -s --http2-prior-knowledge --max-time 60 -o "$GW_DIR/slow" -w '%{http_code}' "$(url '/v1/partner/slow?ms=3000')" >"$GW_DIR/slow.code" &
client=$!
wait_until 30 in_flight_at_least 2 || bad "the slow request never arrived: in flight $(in_flight)"
kill -TERM "$GW_PID"
refused() { [ "$(curl -s --http2-prior-knowledge --max-time 2 -o /dev/null -w '%{http_code}' "$(url /healthz)")" = 000 ]; }
wait_until 10 refused || bad "new connections still accepted 10 s after SIGTERM"
expect_eq "no new connections while draining: the request is still in flight" "" "$(cat "$GW_DIR/slow.code")"
wait "$client"
expect_eq "in-flight request completed" "200" "$(cat "$GW_DIR/slow.code")"
wait "$GW_PID"
expect_eq "exit status 0" "0" "$?"
GW_PID=
grep -q -E "AddressSanitizer|runtime error:" "$GW_DIR/stderr" && bad "sanitizer report" || ok
finish

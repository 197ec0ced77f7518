#!/usr/bin/env bash
# Lifecycle: clients that disconnect mid-request (late PostgreSQL callbacks must find a cleared guard — ASan watches),
# multiplexing over one HTTP/2 connection, and a graceful shutdown that completes an in-flight request and exits 0.
source "$(dirname "$0")/lib.sh"
printf 'modules:\n  load: ["%s/partner_hello.so"]\n' "$BUILD" >"$GW_DIR/cong.yaml"
start_gateway || exit 1

# 40 clients leave while their query (300 ms) is still running.
clients=()
for i in $(seq 1 40); do
  curl -s --http2-prior-knowledge --max-time 0.1 -o /dev/null "$(url '/v1/partner/slow?ms=300')" &
  clients+=($!)
done
wait "${clients[@]}"
sleep 0.6
expect_eq "alive after disconnects" "200" "$(h2c -o /dev/null -w '%{http_code}' "$(url /healthz)")"
expect_match "499s counted" 'route="/v1/partner/slow",status="499"' "$(h2c "$(admin_url /metrics)")"
expect_match "in-flight: only the scrape itself" 'cong_requests_in_flight 1[^0-9]' "$(h2c "$(admin_url /metrics)")"

# multiplexing: 200 requests over one connection, 20 streams at a time
out=$(h2load -n 200 -c 1 -m 20 "$(url /healthz)" 2>&1)
expect_match "h2load multiplexed" "200 succeeded, 0 failed" "$out"
expect_match "h2load protocol h2c" "Application protocol: h2c" "$out"

# graceful shutdown with a request in flight
curl -s --http2-prior-knowledge --max-time 10 -o "$GW_DIR/slow" -w '%{http_code}' "$(url '/v1/partner/slow?ms=1500')" >"$GW_DIR/slow.code" &
client=$!
sleep 0.4
kill -TERM "$GW_PID"
sleep 0.3
expect_eq "no new connections while draining" "000" "$(curl -s --http2-prior-knowledge --max-time 2 -o /dev/null -w '%{http_code}' "$(url /healthz)")"
wait "$client"
expect_eq "in-flight request completed" "200" "$(cat "$GW_DIR/slow.code")"
wait "$GW_PID"
expect_eq "exit status 0" "0" "$?"
GW_PID=
grep -q -E "AddressSanitizer|runtime error:" "$GW_DIR/stderr" && bad "sanitizer report" || ok
finish

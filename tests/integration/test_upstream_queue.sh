#!/usr/bin/env bash
# The breaker's bounded queue (gateway/upstream/breaker_queue.c), with max_concurrent 1 and a slow upstream: a second
# request waits for the slot and succeeds; one over max_queued gets 503 upstream-unavailable with Retry-After at once;
# a queued one whose queue_timeout_ms passes gets that 503 too; a client that leaves the queue gives its place back.
source "$(dirname "$0")/lib.sh"

read -r UP_PORT <<<"$(free_ports 1)"
"$BUILD/upstream-standin" --port "$UP_PORT" --name slow --log "$GW_DIR/upstream.log" 2>"$GW_DIR/standin.stderr" &
EXTRA_PIDS+=($!)
wait_until 10 curl -s -o /dev/null "http://127.0.0.1:$UP_PORT/ready" || bad "stand-in did not start"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$GW_DIR/cong-signing.pem" 2>/dev/null
head -c 48 /dev/urandom >"$GW_DIR/subject-secret"
cat >"$GW_DIR/cong.yaml" <<YAML
upstreams:
  - name: q-long
    targets: [{address: "127.0.0.1:$UP_PORT"}]
    limits: {max_concurrent: 1, max_queued: 1, queue_timeout_ms: 20000, first_byte_timeout_ms: 20000,
             total_timeout_ms: 30000}
    partner: {name: q1}
  - name: q-short
    targets: [{address: "127.0.0.1:$UP_PORT"}]
    limits: {max_concurrent: 1, max_queued: 4, queue_timeout_ms: 300, first_byte_timeout_ms: 20000,
             total_timeout_ms: 30000}
    partner: {name: q2}
partner_routes:
  - {method: GET, path: "/v1/partners/q1/{what}", upstream: q-long, auth: none}
  - {method: GET, path: "/v1/partners/q2/{what}", upstream: q-short, auth: none}
YAML
start_gateway CONG_AUTH_SIGNING_KEY_FILE="$GW_DIR/cong-signing.pem" \
  CONG_AUTH_SUBJECT_SECRET_FILE="$GW_DIR/subject-secret" \
  CONG_RATE_LIMITS_DEFAULT_BURST=1000 CONG_RATE_LIMITS_DEFAULT_PER_MINUTE=100000 || exit 1

gauge() { curl -s "$(admin_url /metrics)" | sed -n "s/^cong_upstream_$1{upstream=\"$2\"} //p"; }
gauge_is() { [ "$(gauge "$1" "$2")" = "$3" ]; }
# bg NAME PATH — a request in the background: its status, time and Retry-After in $GW_DIR/NAME.out
bg() {
  curl -s --http2-prior-knowledge --max-time 30 -o "$GW_DIR/$1.body" -D "$GW_DIR/$1.headers" \
    -w '%{http_code} %{time_total}' "$(url "$2")" >"$GW_DIR/$1.out" &
}

# --- a second request waits for the slot and gets it; a third, over max_queued, is refused at once
bg first '/v1/partners/q1/a?delay_ms=2500'
FIRST=$!
wait_until 10 gauge_is active q-long 1 || bad "the first request did not take the slot"
bg second /v1/partners/q1/b
SECOND=$!
wait_until 10 gauge_is queued q-long 1 || bad "the second request is not queued"
status=$(curl -s --http2-prior-knowledge --max-time 10 -o "$GW_DIR/body" -D "$GW_DIR/headers" \
  -w '%{http_code} %{time_total}' "$(url /v1/partners/q1/c)")
expect_eq "over max_queued: 503" 503 "${status% *}"
expect_eq "  upstream-unavailable" "upstream-unavailable" "$(field type | sed 's|.*/||')"
expect_match "  with Retry-After" '^[0-9]+$' "$(header retry-after)"
expect_eq "  at once (well before the slot frees)" 1 "$(awk -v t="${status#* }" 'BEGIN { print (t < 1.5) }')"
expect_eq "  while the first is still under way" 1 "$(gauge active q-long)"
wait "$FIRST"
wait "$SECOND"
read -r s1 _ <"$GW_DIR/first.out"
read -r s2 t2 <"$GW_DIR/second.out"
expect_eq "the first request: 200" 200 "$s1"
expect_eq "the queued request: 200 once the slot freed" 200 "$s2"
expect_eq "  after waiting for it" 1 "$(awk -v t="$t2" 'BEGIN { print (t > 1.0) }')"
wait_until 5 gauge_is queued q-long 0 || bad "the queue did not empty"
wait_until 5 gauge_is active q-long 0 || bad "the slot was not given back"

# --- a queued request past queue_timeout_ms: 503 with Retry-After
bg hold '/v1/partners/q2/a?delay_ms=3000'
HOLD=$!
wait_until 10 gauge_is active q-short 1 || bad "the holding request did not take the slot"
status=$(curl -s --http2-prior-knowledge --max-time 10 -o "$GW_DIR/body" -D "$GW_DIR/headers" \
  -w '%{http_code} %{time_total}' "$(url /v1/partners/q2/b)")
expect_eq "queued past queue_timeout_ms: 503" 503 "${status% *}"
expect_eq "  upstream-unavailable" "upstream-unavailable" "$(field type | sed 's|.*/||')"
expect_match "  with Retry-After" '^[0-9]+$' "$(header retry-after)"
expect_eq "  after waiting (≥ 0.3 s) but not for the slot (< 2.5 s)" 1 \
  "$(awk -v t="${status#* }" 'BEGIN { print (t >= 0.29 && t < 2.5) }')"
wait_until 5 gauge_is queued q-short 0 || bad "the timed-out request kept its place"

wait "$HOLD"
read -r sh _ <"$GW_DIR/hold.out"
expect_eq "the holding request: 200" 200 "$sh"

# --- a client that leaves the queue gives its place back (max_queued 1: the next one can queue again)
bg hold2 '/v1/partners/q1/a?delay_ms=2500'
HOLD2=$!
wait_until 10 gauge_is active q-long 1 || bad "the holding request did not take the slot"
curl -s --http2-prior-knowledge --max-time 0.5 -o /dev/null "$(url /v1/partners/q1/leaving)"
wait_until 5 gauge_is queued q-long 0 || bad "a client that left kept its place"
bg again /v1/partners/q1/again
AGAIN=$!
wait "$HOLD2"
wait "$AGAIN"
read -r sa _ <"$GW_DIR/again.out"
expect_eq "  the place is free again: the next one queues and gets 200" 200 "$sa"
finish

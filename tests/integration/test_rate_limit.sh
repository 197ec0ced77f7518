#!/usr/bin/env bash
# Rate limits: GCRA in Redis per subject (else client address) and route class — 429 with Retry-After and
# RateLimit-* headers, another subject unaffected, one budget shared exactly by two gateway instances, the "system"
# class never limited, leased tokens within their stated bound, and Redis down → requests let through and counted.
source "$(dirname "$0")/lib.sh"
RPORT=$(free_port)
redis-server --bind 127.0.0.1 --port "$RPORT" --save '' --appendonly no --daemonize yes \
  --pidfile "$GW_DIR/redis.pid" --logfile "$GW_DIR/redis.log" --dir "$GW_DIR" >/dev/null
for _ in $(seq 1 50); do redis-cli -p "$RPORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
LIMITS=(CONG_REDIS_PORT="$RPORT" CONG_RATE_LIMITS_DEFAULT_PER_MINUTE=6 CONG_RATE_LIMITS_DEFAULT_BURST=5)
# start_both: gateways a and b on the same Redis, each waited for until its workers have their stores (until then a
# worker without Redis lets requests through: availability first); url and admin_url then name a.
start_both() {
  GW_NAME=a start_gateway "${LIMITS[@]}" || exit 1
  wait_stores_up || exit 1
  A_PID=$GW_PID A_PORT=$H2C_PORT A_ADMIN=$ADMIN_PORT
  GW_PID=
  GW_NAME=b start_gateway "${LIMITS[@]}" || exit 1
  wait_stores_up || exit 1
  B_PORT=$H2C_PORT
  H2C_PORT=$A_PORT ADMIN_PORT=$A_ADMIN
}
start_both

T1=$(token --sub rate-one --scope ping)
T2=$(token --sub rate-two --scope ping)
codes=""
for i in 1 2 3 4 5 6; do
  codes+="$(curl -s --http2-prior-knowledge -o /dev/null -w '%{http_code}' -H "authorization: Bearer $T1" "$(url /v1/ping)") "
done
expect_eq "burst of 5 then 429" "200 200 200 200 200 429 " "$codes"
h=$(h2c -D - -o "$GW_DIR/b" -H "authorization: Bearer $T1" "$(url /v1/ping)")
expect_match "Retry-After" "retry-after: [0-9]+" "$h"
expect_match "RateLimit-Limit" "ratelimit-limit: 5" "$h"
expect_match "RateLimit-Remaining" "ratelimit-remaining: 0" "$h"
expect_eq "429 type" "https://cong.hanoi.gov.vn/problems/rate-limited" "$(json type <"$GW_DIR/b")"
h=$(h2c -D - -o /dev/null -H "authorization: Bearer $T2" "$(url /v1/ping)")
expect_match "another subject is not limited" "^HTTP/2 200" "$h"
expect_match "remaining counts down" "ratelimit-remaining: 4" "$h"
expect_eq "system class never limited" "200" "$(for i in $(seq 1 20); do h2c -o /dev/null -w '%{http_code}\n' "$(url /healthz)"; done | sort -u | tr -d '\n')"

# One budget for both instances: 5 requests alternating between A and B, then both refuse.
T3=$(token --sub rate-three --scope ping)
allowed=0
t0=$(date +%s%N)
for i in $(seq 1 10); do
  port=$([ $((i % 2)) -eq 0 ] && echo "$A_PORT" || echo "$B_PORT")
  [ "$(curl -s --http2-prior-knowledge -o /dev/null -w '%{http_code}' -H "authorization: Bearer $T3" "http://127.0.0.1:$port/v1/ping")" = 200 ] && allowed=$((allowed + 1))
done
# at 6/min one more token every 10 s while the loop runs, however long the machine takes
most=$((5 + ($(date +%s%N) - t0) / 10000000000 + 1))
expect_eq "shared budget across instances: 5, plus what refilled" "yes" \
  "$([ "$allowed" -ge 5 ] && [ "$allowed" -le "$most" ] && echo yes || echo "no ($allowed, at most $most)")"

# Leased tokens (gateway/limits/rate_limit_lease.h): burst B = 80 at 6/min, max_lease 16 → L = min(16, 80/8) = 10 per
# worker; N = 2 instances × W = 2 workers. 3×B requests at once, half on each instance: accepted ≤ B + what the rate
# adds meanwhile (and never more: leases come from the exact GCRA), ≥ B − N×W×L (leased but unspent), and far fewer
# script calls than requests.
GW_NAME=b stop_gateway
GW_PID=$A_PID GW_NAME=a stop_gateway
B=80 N=2 W=2 L=10
LIMITS=(CONG_REDIS_PORT="$RPORT" CONG_RATE_LIMITS_DEFAULT_PER_MINUTE=6 CONG_RATE_LIMITS_DEFAULT_BURST=$B
        CONG_RATE_LIMITS_MAX_LEASE=16 CONG_RATE_LIMITS_LEASE_TTL_MS=1000)
start_both
T5=$(token --sub rate-five --scope ping)
redis-cli -p "$RPORT" config resetstat >/dev/null
t0=$(date +%s%N)
h2load -n $((3 * B / 2)) -c 4 -m 8 -t 1 -H "authorization: Bearer $T5" "http://127.0.0.1:$A_PORT/v1/ping" >"$GW_DIR/h2load-a.txt" 2>&1 &
HA=$!
h2load -n $((3 * B / 2)) -c 4 -m 8 -t 1 -H "authorization: Bearer $T5" "http://127.0.0.1:$B_PORT/v1/ping" >"$GW_DIR/h2load-b.txt" 2>&1
wait "$HA"
elapsed_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
ok_of() { awk '/^status codes:/{ print $3 + 0 }' "$1"; }
refused_of() { awk '/^status codes:/{ print $7 + 0 }' "$1"; }
accepted=$(( $(ok_of "$GW_DIR/h2load-a.txt") + $(ok_of "$GW_DIR/h2load-b.txt") ))
refused=$(( $(refused_of "$GW_DIR/h2load-a.txt") + $(refused_of "$GW_DIR/h2load-b.txt") ))
upper=$(( B + elapsed_ms / 10000 + 1 )) # one more token every 10 s
lower=$(( B - N * W * L ))
calls=$(redis-cli -p "$RPORT" info commandstats | awk -F'[=,:]' '/^cmdstat_(evalsha|eval):/{ n += $3 } END { print n + 0 }')
echo "# leased burst: accepted $accepted, refused $refused of $((3 * B)) in $elapsed_ms ms, $calls script calls; bound [$lower, $upper]"
expect_eq "every request answered 200 or 429" "$((3 * B))" "$((accepted + refused))"
expect_eq "accepted within [B - N*W*L, B + rate*t]" "yes" "$([ "$accepted" -ge "$lower" ] && [ "$accepted" -le "$upper" ] && echo yes || echo "no ($accepted)")"
expect_eq "fewer script calls than accepted requests" "yes" "$([ "$calls" -lt "$accepted" ] && echo yes || echo "no ($calls)")"
# Tokens still leased to a worker (at most N×W×L in all) may be spent after the burst; then the key is refused.
extra=0
for _ in $(seq 0 $((N * W * L))); do
  h=$(h2c -D - -o /dev/null -H "authorization: Bearer $T5" "http://127.0.0.1:$B_PORT/v1/ping")
  [[ "$h" =~ ^HTTP/2\ 429 ]] && break
  extra=$((extra + 1))
done
expect_match "leased: 429 once spent" "^HTTP/2 429" "$h"
expect_eq "leased: accepted plus leftovers still within the bound" "yes" \
  "$([ $((accepted + extra)) -le "$upper" ] && echo yes || echo "no ($accepted + $extra)")"
expect_match "leased: Retry-After" "retry-after: [0-9]+" "$h"
expect_match "leased: RateLimit-Limit" "ratelimit-limit: $B" "$h"
expect_match "leased: RateLimit-Remaining" "ratelimit-remaining: 0" "$h"
T6=$(token --sub rate-six --scope ping)
h=$(h2c -D - -o /dev/null -H "authorization: Bearer $T6" "$(url /v1/ping)")
expect_match "leased: a fresh key counts from B - 1" "ratelimit-remaining: $((B - 1))" "$h"

# Redis down: let through, counted
kill "$(cat "$GW_DIR/redis.pid")"
wait_store_down redis
T4=$(token --sub rate-four --scope ping)
codes=$(for i in $(seq 1 8); do h2c -o /dev/null -w '%{http_code} ' -H "authorization: Bearer $T4" "$(url /v1/ping)"; done)
expect_eq "let through while Redis is down" "200 200 200 200 200 200 200 200 " "$codes"
expect_match "counted" 'cong_rate_limit_unavailable_total [1-9]' "$(h2c "$(admin_url /metrics)")"

GW_NAME=b stop_gateway
GW_PID=$A_PID GW_NAME=a stop_gateway
finish

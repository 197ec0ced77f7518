#!/usr/bin/env bash
# Stores: /readyz and module calls against a private Redis that the test stops and restarts. While Redis is down,
# readiness and Redis-backed routes answer 503 problem+json with Retry-After — never a crash, a hang or a wrong 200 —
# and both come back by themselves when Redis returns. PostgreSQL and events through a partner .so module.
source "$(dirname "$0")/lib.sh"
RPORT=$(free_port)
start_redis() {
  redis-server --bind 127.0.0.1 --port "$RPORT" --save '' --appendonly no --daemonize yes \
    --pidfile "$GW_DIR/redis.pid" --logfile "$GW_DIR/redis.log" --dir "$GW_DIR" >/dev/null
  for _ in $(seq 1 50); do redis-cli -p "$RPORT" ping >/dev/null 2>&1 && return 0; sleep 0.1; done
  return 1
}
stop_redis() {
  local pid; pid=$(cat "$GW_DIR/redis.pid")
  kill "$pid"; for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
}
start_redis || { echo "redis did not start"; exit 1; }
printf 'modules:\n  load: ["%s/partner_hello.so"]\n  partner_hello:\n    greeting: "chào Hà Nội"\n' "$BUILD" >"$GW_DIR/cong.yaml"
start_gateway CONG_REDIS_PORT="$RPORT" || exit 1

sleep 0.5
expect_eq "ready" "200" "$(h2c -o /dev/null -w '%{http_code}' "$(url /readyz)")"
expect_eq "redis via module" '{"count":1}' "$(h2c "$(url /v1/partner/counter)")"
expect_match "postgres via module" '"slept":"ok"' "$(h2c "$(url '/v1/partner/slow?ms=10')")"
expect_match "module config from the file" '"greeting":"chào Hà Nội"' "$(h2c "$(url /v1/partner/hello)")"
expect_match "registering after load is refused" '"late_register":"CONG_ESTATE"' "$(h2c "$(url /v1/partner/hello)")"

T=$(token --sub citizen-ev --scope "events:write")
code=$(h2c -o /dev/null -w '%{http_code}' -X POST -H "authorization: Bearer $T" -H 'content-type: application/json' \
  -d '{"dossier":"HN-2026-0000001","status":"received","n":3}' "$(url /v1/partner/events)")
expect_eq "event published" "202" "$code"
expect_eq "event in the stream" "1" "$(redis-cli -p "$RPORT" XLEN cong:events:partner.test)"
raw=$(redis-cli -p "$RPORT" --raw XRANGE cong:events:partner.test - + | tail -1 | xxd -p | tr -d '\n')
expect_match "msgpack map with topic" "$(printf 'partner.test' | xxd -p)" "$raw"
expect_eq "bad JSON body" "400" "$(h2c -o /dev/null -w '%{http_code}' -X POST -H "authorization: Bearer $T" -d '{bad' "$(url /v1/partner/events)")"

stop_redis
sleep 0.3
h=$(h2c -D - -o "$GW_DIR/b" "$(url /readyz)")
expect_match "readyz 503 when Redis is down" "^HTTP/2 503" "$h"
expect_match "Retry-After" "retry-after: [0-9]+" "$h"
expect_eq "503 type" "https://cong.hanoi.gov.vn/problems/service-unavailable" "$(json type <"$GW_DIR/b")"
expect_match "says which store" "Redis" "$(json detail <"$GW_DIR/b")"
for i in 1 2 3; do
  h=$(h2c -D - -o /dev/null "$(url /v1/partner/counter)")
  expect_match "module route 503 while Redis is down ($i)" "^HTTP/2 503" "$h"
done
expect_eq "healthz still 200" "200" "$(h2c -o /dev/null -w '%{http_code}' "$(url /healthz)")"
expect_match "metrics: redis down" 'cong_store_connections_up\{store="redis"\} 0' "$(h2c "$(admin_url /metrics)")"

start_redis || bad "redis restart"
ready=000
for _ in $(seq 1 60); do
  ready=$(h2c -o /dev/null -w '%{http_code}' "$(url /readyz)")
  [ "$ready" = 200 ] && break
  sleep 0.1
done
expect_eq "readyz back to 200 after Redis returns" "200" "$ready"
expect_match "redis route back" '"count":[0-9]+' "$(h2c "$(url /v1/partner/counter)")"
redis-cli -p "$RPORT" shutdown nosave >/dev/null 2>&1
finish

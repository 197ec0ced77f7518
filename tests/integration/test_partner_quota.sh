#!/usr/bin/env bash
# Partners' quotas (upstreams[].partner.quota; gateway/upstream/partner_quota.c) through the gateway's exact Redis
# limiter: a partner's burst spent by one caller → 429 rate-limited problem with Retry-After and the plan's
# RateLimit-* headers, the refused request never reaching the upstream (the stand-in's record), another caller of the
# same partner unaffected (keyed by partner AND caller), and a route class's own limit untouched; a daily quota spent
# → 429 until midnight UTC (Retry-After = the seconds left of the UTC day); a partner with no quota never refused.
source "$(dirname "$0")/lib.sh"

read -r UP_PORT <<<"$(free_ports 1)"
UP_LOG="$GW_DIR/upstream.log"
: >"$UP_LOG"
"$BUILD/upstream-standin" --port "$UP_PORT" --name plan --log "$UP_LOG" 2>"$GW_DIR/plan.stderr" &
EXTRA_PIDS+=($!)
wait_until 10 curl -s -o /dev/null "http://127.0.0.1:$UP_PORT/ready" || bad "stand-in did not start"

cat >"$GW_DIR/cong.yaml" <<YAML
upstreams:
  - name: plan-burst
    targets: [{address: "127.0.0.1:$UP_PORT"}]
    partner: {name: qburst, quota: {per_minute: 1, burst: 3}}
  - name: plan-daily
    targets: [{address: "127.0.0.1:$UP_PORT"}]
    partner: {name: qdaily, quota: {daily: 2}}
  - name: plan-none
    targets: [{address: "127.0.0.1:$UP_PORT"}]
    partner: {name: qnone}
partner_routes:
  - {method: GET, path: "/v1/partners/qburst/echo", upstream: plan-burst}
  - {method: GET, path: "/v1/partners/qdaily/echo", upstream: plan-daily}
  - {method: GET, path: "/v1/partners/qnone/echo", upstream: plan-none}
YAML
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$GW_DIR/cong-signing.pem" 2>/dev/null
head -c 48 /dev/urandom >"$GW_DIR/subject-secret"
# The route class's own numbers are far above the plans': every refusal below is the partner's plan. max_lease 1:
# every decision asks Redis (exact), as the plan's tiny numbers would anyway (burst/8 < 1).
start_gateway CONG_AUTH_SIGNING_KEY_FILE="$GW_DIR/cong-signing.pem" \
  CONG_AUTH_SUBJECT_SECRET_FILE="$GW_DIR/subject-secret" CONG_RATE_LIMITS_ENABLED=1 \
  CONG_RATE_LIMITS_DEFAULT_BURST=1000 CONG_RATE_LIMITS_DEFAULT_PER_MINUTE=100000 CONG_RATE_LIMITS_MAX_LEASE=1 || exit 1

RUN_ID="$$-$RANDOM" # the test Redis outlives runs: every caller is new
ALICE=$(token --sub "alice-$RUN_ID" --acr 2)
BOB=$(token --sub "bob-$RUN_ID" --acr 2)
arrivals() { grep -c "^plan GET $1\$" "$UP_LOG"; }

# --- burst 3 (1 a minute after it): three pass, the fourth is refused and never reaches the upstream
for i in 1 2 3; do
  expect_eq "burst: request $i passes" 200 "$(call "$ALICE" GET /v1/partners/qburst/echo)"
done
expect_eq "  the plan's RateLimit-Limit (tighter than the class's 1000)" 3 "$(header ratelimit-limit)"
expect_eq "  the plan's RateLimit-Remaining" 0 "$(header ratelimit-remaining)"
expect_eq "  one RateLimit-Limit only" 1 "$(grep -ci '^ratelimit-limit:' "$GW_DIR/headers")"
before=$(arrivals /echo)
expect_eq "burst spent: 429" 429 "$(call "$ALICE" GET /v1/partners/qburst/echo)"
expect_eq "  a problem" application/problem+json "$(header content-type)"
expect_match "  type rate-limited" 'rate-limited' "$(field type)"
expect_match "  Retry-After within the minute" '^([1-9]|[1-5][0-9]|60)$' "$(header retry-after)"
expect_eq "  RateLimit-Limit" 3 "$(header ratelimit-limit)"
expect_eq "  RateLimit-Remaining" 0 "$(header ratelimit-remaining)"
expect_eq "  the refused request never reached the upstream" "$before" "$(arrivals /echo)"
expect_eq "another caller of the same partner has a quota of its own" 200 "$(call "$BOB" GET /v1/partners/qburst/echo)"
expect_eq "the same caller at a partner without a quota" 200 "$(call "$ALICE" GET /v1/partners/qnone/echo)"
expect_eq "  carries the class's RateLimit-Limit" 1000 "$(header ratelimit-limit)"

# --- daily 2: two pass, the third is refused until midnight UTC
for i in 1 2; do
  expect_eq "daily: request $i passes" 200 "$(call "$ALICE" GET /v1/partners/qdaily/echo)"
done
expect_eq "  RateLimit-Limit is the day's quota" 2 "$(header ratelimit-limit)"
expect_eq "  RateLimit-Remaining what is left of it" 0 "$(header ratelimit-remaining)"
expect_eq "daily quota spent: 429" 429 "$(call "$ALICE" GET /v1/partners/qdaily/echo)"
to_midnight=$((86400 - $(date -u +%s) % 86400))
retry=$(header retry-after)
[ -n "$retry" ] && [ "$retry" -ge $((to_midnight - 5)) ] && [ "$retry" -le $((to_midnight + 5)) ] && ok ||
  bad "Retry-After should be the rest of the UTC day (~$to_midnight s), got [$retry]"
expect_eq "  another caller still has its day" 200 "$(call "$BOB" GET /v1/partners/qdaily/echo)"

finish

#!/usr/bin/env bash
# What the proxy keeps between requests (issue 16's bench): the upstream's HTTP/1.1 connections (kept on each worker's
# loop, per target, gateway/upstream/proxy_h1_idle.c) and cong's own token for the partner, reused by a
# worker for the same caller (auth/upstream_token.h). N requests through cong arrive on far fewer than N connections
# (the stand-in records each request's peer address: --peers), the same caller's requests carry the same token (jti
# then names the token), another caller gets another token, and a revoked session is refused by authentication
# before the proxy: the upstream never hears of it again. A kept connection the upstream closes while it is idle (a
# short keep-alive) is noticed at once and never used: a POST after that is answered.
source "$(dirname "$0")/lib.sh"

UP_PORT=$(free_port)
UP_LOG="$GW_DIR/upstream.log" PEERS="$GW_DIR/peers.log"
: >"$UP_LOG"; : >"$PEERS"
"$BUILD/upstream-standin" --port "$UP_PORT" --name reuse --log "$UP_LOG" --peers "$PEERS" 2>"$GW_DIR/reuse.stderr" &
EXTRA_PIDS+=($!)
wait_until 10 curl -s -o /dev/null "http://127.0.0.1:$UP_PORT/ready" || bad "stand-in did not start"
: >"$PEERS" # the readiness probe's connection is not cong's

STALE_PORT=$(free_port) STALE_LOG="$GW_DIR/stale.log"
: >"$STALE_LOG"
python3 "$SRC/tests/integration/stale_keepalive_upstream.py" "$STALE_PORT" "$STALE_LOG" &
EXTRA_PIDS+=($!)
SHORT_PORT=$(free_port) SHORT_LOG="$GW_DIR/short.log"
: >"$SHORT_LOG"
python3 "$SRC/tests/integration/short_keepalive_upstream.py" "$SHORT_PORT" "$SHORT_LOG" 300 &
EXTRA_PIDS+=($!)

openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$GW_DIR/cong-signing.pem" 2>/dev/null
head -c 48 /dev/urandom >"$GW_DIR/subject-secret"
cat >"$GW_DIR/cong.yaml" <<YAML
upstreams:
  - name: reuse
    targets: [{address: "127.0.0.1:$UP_PORT"}]
    protocol: http1
    limits: {max_concurrent: 64, max_queued: 0, first_byte_timeout_ms: 20000, total_timeout_ms: 30000}
    partner: {name: reuse, scopes: [reuse.read]}
  - name: stale
    targets: [{address: "127.0.0.1:$STALE_PORT"}]
    protocol: http1
    limits: {connect_timeout_ms: 2000, first_byte_timeout_ms: 5000, total_timeout_ms: 10000}
    outlier: {consecutive_failures: 0}
    partner: {name: stale}
  - name: short
    targets: [{address: "127.0.0.1:$SHORT_PORT"}]
    protocol: http1
    limits: {connect_timeout_ms: 2000, first_byte_timeout_ms: 5000, total_timeout_ms: 10000}
    outlier: {consecutive_failures: 0}
    partner: {name: short}
partner_routes:
  - {method: GET, path: "/v1/partners/reuse/echo", upstream: reuse, scopes: [reuse.read]}
  - {method: GET, path: "/v1/partners/stale/x", upstream: stale, auth: none}
  - {method: POST, path: "/v1/partners/stale/x", upstream: stale, auth: none}
  - {method: POST, path: "/v1/partners/short/x", upstream: short, auth: none}
YAML
start_gateway CONG_AUTH_SIGNING_KEY_FILE="$GW_DIR/cong-signing.pem" CONG_AUTH_SUBJECT_SECRET_FILE="$GW_DIR/subject-secret" \
  CONG_SERVER_WORKERS=2 CONG_RATE_LIMITS_DEFAULT_BURST=100000 CONG_RATE_LIMITS_DEFAULT_PER_MINUTE=10000000 \
  CONG_LOG_ACCESS_LOG= || exit 1

SID="reuse-$RANDOM$RANDOM"
TOK=$(token --sub "citizen-$$" --acr 2 --scope "reuse.read" --sid "$SID")
TOK2=$(token --sub "other-$$" --acr 2 --scope "reuse.read")
authz_of() { python3 -S -c 'import json,sys; print(json.load(open(sys.argv[1]))["headers"].get("authorization",""))' \
  "$GW_DIR/body"; }
distinct() { sort -u "$1" | wc -l; }

# --- sequential: each request its own client connection to cong; 2 workers, so one upstream connection a worker
# (four more allowed: a worker closes a kept connection idle for 4 s, and the stand-in, h2o, one idle for 10 s,
# which a worker serving none of the requests for that long on a slow machine then opens again) and one token of
# cong's a worker for this caller, not 30
: >"$GW_DIR/tokens"
fails=0
for _ in $(seq 1 30); do
  [ "$(call "$TOK" GET /v1/partners/reuse/echo)" = 200 ] || fails=$((fails + 1))
  authz_of >>"$GW_DIR/tokens"
done
expect_eq "30 sequential requests answered" 0 "$fails"
expect_eq "  each reached the upstream" 30 "$(grep -c '^reuse GET /echo$' "$UP_LOG")"
conns=$(distinct "$PEERS")
expect_match "  on one upstream connection a worker, not 30: $conns" '^[1-6]$' "$conns"
tokens=$(distinct "$GW_DIR/tokens")
# (one a worker; a second one each if the requests took longer than the token's 30 s of reuse)
expect_match "  cong's token for the caller reused (one a worker, not 30): $tokens" '^[1-4]$' "$tokens"
expect_match "  and it is cong's bearer token" '^Bearer [A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$' \
  "$(head -1 "$GW_DIR/tokens")"
[ "$(call "$TOK2" GET /v1/partners/reuse/echo)" = 200 ] || bad "another caller refused"
expect_eq "another caller gets a token of its own" 0 "$(grep -cF "$(authz_of)" "$GW_DIR/tokens")"

# --- concurrent: 2000 requests, 32 at a time over 4 client connections
before=$(distinct "$PEERS")
h2load -n 2000 -c 4 -m 8 -t 1 -H "authorization: Bearer $TOK" "$(url /v1/partners/reuse/echo)" >"$GW_DIR/h2load.txt" 2>&1
expect_match "2000 concurrent requests, all 2xx" 'status codes: 2000 2xx' "$(cat "$GW_DIR/h2load.txt")"
new=$(( $(distinct "$PEERS") - before ))
# at most what was under way at once on each worker (32 a worker), whatever the machine's pace: far fewer than 2000
expect_match "  on far fewer upstream connections: $new" '^([0-9]|[1-5][0-9]|6[0-6])$' "$new"

# --- a kept connection the upstream closes as the next request arrives: an idempotent request is sent again on a
# new connection of the same (only) target and answered; a POST is never sent twice (502). One worker at a time is
# enough: each worker's second request meets its kept connection.
fails=0
for _ in $(seq 1 6); do [ "$(call "" GET /v1/partners/stale/x)" = 200 ] || fails=$((fails + 1)); done
expect_eq "GETs over kept connections the upstream drops: all answered" 0 "$fails"
expect_match "  (the upstream did drop some: $(grep -c '^dropped GET' "$STALE_LOG"))" '^[1-9]' \
  "$(grep -c '^dropped GET' "$STALE_LOG")"
posts=0 post_fails=0
for _ in $(seq 1 6); do
  case "$(call "" POST /v1/partners/stale/x --data-binary p)" in 200) posts=$((posts + 1)) ;; *) post_fails=$((post_fails + 1)) ;; esac
done
expect_eq "  each POST reached the upstream once: answered + dropped = 6" 6 \
  "$(( $(grep -c '^answered POST' "$STALE_LOG") + $(grep -c '^dropped POST' "$STALE_LOG") ))"
expect_eq "  the dropped POSTs are the failed ones (never sent again)" "$post_fails" "$(grep -c '^dropped POST' "$STALE_LOG")"

# --- an upstream that closes a connection idle for 300 ms: each POST waits until the upstream closed the connection
# the last one left (well under the 1 s after which a kept connection is also asked before use, proxy_h1_idle.c), so
# only the worker's read of its idle connections can tell it is gone: every POST is answered, none dropped
fails=0
for i in $(seq 1 6); do
  [ "$(call "" POST /v1/partners/short/x --data-binary p)" = 200 ] || fails=$((fails + 1))
  closed_all() { [ "$(grep -c '^closed idle' "$SHORT_LOG")" -ge "$i" ]; }
  wait_until 10 closed_all || bad "the short keep-alive upstream did not close its idle connection"
done
expect_eq "POSTs after the upstream closed the kept connection while idle: all answered" 0 "$fails"
expect_eq "  each reached the upstream once" 6 "$(grep -c '^answered POST' "$SHORT_LOG")"

# --- a revoked session: refused by authentication (401), before the proxy — the upstream never sees it again
UNTIL=$(($(date +%s) + 600))
redis-cli -p "$REDIS_PORT" ZADD cong:revoked "$UNTIL" "$SID" >/dev/null
redis-cli -p "$REDIS_PORT" PUBLISH cong:revocations "$SID $UNTIL" >/dev/null
refused() { [ "$(call "$TOK" GET /v1/partners/reuse/echo)" = 401 ]; }
wait_until 20 refused || bad "the revoked session's request was not refused"
arrivals=$(grep -c '^reuse GET /echo$' "$UP_LOG")
for _ in 1 2 3 4; do refused || bad "a revoked session's request answered"; done
expect_eq "  the revoked session's requests never reached the upstream" "$arrivals" \
  "$(grep -c '^reuse GET /echo$' "$UP_LOG")"
redis-cli -p "$REDIS_PORT" ZREM cong:revoked "$SID" >/dev/null

finish

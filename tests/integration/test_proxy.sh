#!/usr/bin/env bash
# Partner routes answered by an upstream (gateway/upstream/proxy*.c), through real HTTP/2 clients against
# tools/upstream_standin (HTTP/1.1, h2c, h2 over TLS with mTLS): GET and POST proxied with the path rewritten, the
# upstream's status and
# body passed through; identity headers a client forges stripped, cong's own JWT sent instead (verified here with
# cong's published JWKS: aud = the partner, a per-partner pseudonym as sub, scopes cut to the partner's, exp ≤ 60 s),
# traceparent carried on with a new span, the deadline header; a hanging upstream → 504 upstream-timeout within its
# first-byte deadline; a dead target → an idempotent GET retried on the other target, a POST never repeated; the
# breaker full → 503 upstream-unavailable with Retry-After; auth and scopes of partner routes enforced (401/403);
# a big response streamed through, a client that stops reading holding the transfer paused (bounded buffers), a
# response over its limit or an upstream reset breaking the client's stream; active health checks over h2 + mTLS;
# the access log and /metrics by upstream and target.
source "$(dirname "$0")/lib.sh"

read -r H1_PORT H2C_UP_PORT DEAD_PORT TLS_UP_PORT <<<"$(free_ports 4)" # DEAD_PORT: nothing listens there
# TLS material: a partner CA, the upstream's certificate for upstream.test, cong's client certificate (mTLS).
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=partner-ca -days 2 \
  -keyout "$GW_DIR/ca.key" -out "$GW_DIR/ca.pem" 2>/dev/null
openssl req -x509 -CA "$GW_DIR/ca.pem" -CAkey "$GW_DIR/ca.key" -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
  -subj /CN=upstream.test -addext subjectAltName=DNS:upstream.test -days 2 -keyout "$GW_DIR/server.key" \
  -out "$GW_DIR/server.pem" 2>/dev/null
openssl req -x509 -CA "$GW_DIR/ca.pem" -CAkey "$GW_DIR/ca.key" -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
  -subj /CN=cong -days 2 -keyout "$GW_DIR/client.key" -out "$GW_DIR/client.pem" 2>/dev/null
chmod 600 "$GW_DIR"/*.key
UP_LOG="$GW_DIR/upstream.log"
: >"$UP_LOG"
for spec in "water-h1 $H1_PORT" "water-h2c $H2C_UP_PORT"; do
  read -r name port <<<"$spec"
  "$BUILD/upstream-standin" --port "$port" --name "$name" --log "$UP_LOG" 2>"$GW_DIR/$name.stderr" &
  EXTRA_PIDS+=($!)
done
"$BUILD/upstream-standin" --port "$TLS_UP_PORT" --name water-tls --log "$UP_LOG" --cert "$GW_DIR/server.pem" \
  --key "$GW_DIR/server.key" --client-ca "$GW_DIR/ca.pem" 2>"$GW_DIR/water-tls.stderr" &
EXTRA_PIDS+=($!)
for port in "$H1_PORT" "$H2C_UP_PORT"; do
  wait_until 10 curl -s -o /dev/null "http://127.0.0.1:$port/ready" || bad "stand-in on $port did not start"
done
wait_until 10 curl -s -o /dev/null --cacert "$GW_DIR/ca.pem" --cert "$GW_DIR/client.pem" --key "$GW_DIR/client.key" \
  --resolve "upstream.test:$TLS_UP_PORT:127.0.0.1" "https://upstream.test:$TLS_UP_PORT/ready" ||
  bad "TLS stand-in did not start"

openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$GW_DIR/cong-signing.pem" 2>/dev/null
head -c 48 /dev/urandom >"$GW_DIR/subject-secret"
cat >"$GW_DIR/cong.yaml" <<YAML
upstreams:
  - name: water-h1
    targets: [{address: "127.0.0.1:$H1_PORT"}]
    protocol: http1
    limits: {max_concurrent: 1, max_queued: 0, connect_timeout_ms: 500, first_byte_timeout_ms: 1500,
             total_timeout_ms: 5000}
    partner: {name: water, scopes: [water.read, water.write]}
  - name: water-h2c
    targets: [{address: "127.0.0.1:$H2C_UP_PORT"}]
    protocol: h2c
    limits: {max_response_body_bytes: 1000000}
    partner: {name: water2, scopes: [water.read]}
  - name: water-pair
    targets: [{address: "127.0.0.1:$DEAD_PORT"}, {address: "127.0.0.1:$H1_PORT"}]
    protocol: http1
    limits: {connect_timeout_ms: 500}
    retries: {budget_ratio: 1.0, min_per_s: 100}
    outlier: {consecutive_failures: 0}
    partner: {name: water3}
  - name: water-big
    targets: [{address: "127.0.0.1:$H1_PORT"}]
    limits: {total_timeout_ms: 60000}
    partner: {name: water6}
  - name: water-one
    targets: [{address: "127.0.0.1:$H1_PORT"}]
    limits: {max_concurrent: 1, max_queued: 0, first_byte_timeout_ms: 60000, total_timeout_ms: 60000}
    partner: {name: water7}
  - name: water-small
    targets: [{address: "127.0.0.1:$H1_PORT"}]
    limits: {max_response_body_bytes: 50}
    partner: {name: water8}
  - name: water-tls
    targets: [{address: "127.0.0.1:$TLS_UP_PORT"}]
    protocol: h2
    tls: {ca_file: "$GW_DIR/ca.pem", client_cert_file: "$GW_DIR/client.pem", client_key_file: "$GW_DIR/client.key",
          server_name: upstream.test}
    health: {path: /healthz, interval_ms: 300, timeout_ms: 250}
    partner: {name: water4}
  - name: water-tls-nocert
    targets: [{address: "127.0.0.1:$TLS_UP_PORT"}]
    protocol: h2
    tls: {ca_file: "$GW_DIR/ca.pem", server_name: upstream.test}
    outlier: {consecutive_failures: 0}
    partner: {name: water5}
partner_routes:
  - {method: GET, path: "/v1/partners/water/accounts/{id}", upstream: water-h1, rewrite: "/api/accounts/{id}",
     scopes: [water.read]}
  - {method: POST, path: "/v1/partners/water/readings", upstream: water-h1, scopes: [water.write]}
  - {method: GET, path: "/v1/partners/water/slow/{what}", upstream: water-h1, auth: none}
  - {method: GET, path: "/v1/partners/water2/accounts/{id}", upstream: water-h2c}
  - {method: POST, path: "/v1/partners/water2/readings", upstream: water-h2c}
  - {method: GET, path: "/v1/partners/water3/echo", upstream: water-pair, auth: none}
  - {method: POST, path: "/v1/partners/water3/echo", upstream: water-pair, auth: none}
  - {method: GET, path: "/v1/partners/water4/echo", upstream: water-tls, auth: none}
  - {method: GET, path: "/v1/partners/water6/{what}", upstream: water-big, auth: none}
  - {method: GET, path: "/v1/partners/water7/{what}", upstream: water-one, auth: none}
  - {method: GET, path: "/v1/partners/water5/echo", upstream: water-tls-nocert, auth: none}
  - {method: GET, path: "/v1/partners/water8/{what}", upstream: water-small, auth: none}
YAML
start_gateway CONG_AUTH_SIGNING_KEY_FILE="$GW_DIR/cong-signing.pem" CONG_AUTH_SUBJECT_SECRET_FILE="$GW_DIR/subject-secret" \
  CONG_RATE_LIMITS_DEFAULT_BURST=1000 CONG_RATE_LIMITS_DEFAULT_PER_MINUTE=100000 || exit 1

TOK=$(token --sub "citizen-$$" --acr 2 --scope "water.read water.write profile")
echo_field() { python3 -S -c 'import json,sys; d=json.load(open(sys.argv[1])); v=d
for k in sys.argv[2].split("."): v=v.get(k) if isinstance(v, dict) else None
print("" if v is None else v)' "$GW_DIR/body" "$1"; }

# --- GET over HTTP/1.1, path rewritten, forged identity stripped
status=$(call "$TOK" GET "/v1/partners/water/accounts/a%20b?x=1" -H "x-cong-subject: forged" -H "x-user-id: forged" \
  -H "x-forwarded-for: 6.6.6.6" -H "forwarded: for=6.6.6.6" -H "cookie: s=1" -H "x-partner-note: kept" \
  -H "traceparent: 00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
expect_eq "GET proxied (HTTP/1.1)" 200 "$status"
expect_eq "  answered by the HTTP/1.1 upstream" water-h1 "$(echo_field name)"
expect_eq "  path rewritten, query kept" "/api/accounts/a%20b?x=1" "$(echo_field path)"
expect_eq "  over HTTP/1.1" HTTP/1.1 "$(echo_field version)"
for h in x-cong-subject x-user-id x-forwarded-for forwarded cookie; do
  expect_eq "  $h stripped" "" "$(echo_field "headers.$h")"
done
expect_eq "  other headers kept" kept "$(echo_field headers.x-partner-note)"
expect_match "  deadline header" '^[0-9]+$' "$(echo_field headers.x-cong-deadline-ms)"
TP=$(echo_field headers.traceparent)
expect_match "  traceparent: the client's trace, a span of cong's own" '^00-0af7651916cd43dd8448eb211c80319c-[0-9a-f]{16}-01$' "$TP"
expect_no_match "  (not the client's span)" 'b7ad6b7169203331' "$TP"
AUTHZ=$(echo_field headers.authorization)
expect_no_match "  the client's token never forwarded" "$TOK" "$AUTHZ"

# --- cong's token, verified with cong's published JWKS
call "" GET /.well-known/jwks.json >/dev/null
cp "$GW_DIR/body" "$GW_DIR/jwks.json"
verify() { /usr/bin/python3 - "$GW_DIR/jwks.json" "$1" "$2" <<'PY'
import json, sys, time, jwt
jwks, authz, aud = json.load(open(sys.argv[1])), sys.argv[2], sys.argv[3]
token = authz.split(" ", 1)[1]
kid = jwt.get_unverified_header(token)["kid"]
key = next(jwt.algorithms.ECAlgorithm.from_jwk(json.dumps(k)) for k in jwks["keys"] if k["kid"] == kid)
c = jwt.decode(token, key, algorithms=["ES256"], audience=aud, issuer="https://id.cong.test")
assert c["exp"] - c["iat"] <= 60 and c["exp"] > time.time(), c
print(c["sub"], c["acr"], "jti" in c, c["scope"])
PY
}
read -r SUB1 ACR1 JTI1 SCOPE1 <<<"$(verify "$AUTHZ" water 2>&1)"
expect_match "JWT verifies with cong's JWKS (aud water)" '^[A-Za-z0-9_-]{43}$' "$SUB1"
expect_eq "  scopes cut to the partner's" "water.read water.write" "$SCOPE1"
expect_eq "  acr, jti" "2 True" "$ACR1 $JTI1"
expect_no_match "  sub is not cong's subject" "citizen-$$" "$SUB1"
expect_match "  another audience refused" "InvalidAudience" "$(verify "$AUTHZ" water2 2>&1)"

# --- POST over HTTP/1.1: the body as received
status=$(call "$TOK" POST /v1/partners/water/readings -H "content-type: application/json" --data '{"m3":12}')
expect_eq "POST proxied" 200 "$status"
expect_eq "  method and body" "POST 9" "$(echo_field method) $(echo_field body_bytes)"
expect_eq "  default path: after /v1/partners/water" /readings "$(echo_field path)"
expect_eq "  its content-type kept" application/json "$(echo_field headers.content-type)"
status=$(call "$TOK" POST /v1/partners/water/readings --data-binary @<(head -c 300000 /dev/zero))
expect_eq "POST of 300000 bytes over HTTP/1.1" "200 300000" "$status $(echo_field body_bytes)"

# --- h2c, and another partner's pseudonym
status=$(call "$TOK" GET /v1/partners/water2/accounts/7)
expect_eq "GET proxied (h2c)" 200 "$status"
expect_eq "  over HTTP/2" HTTP/2 "$(echo_field version)"
expect_eq "  default path" /accounts/7 "$(echo_field path)"
read -r SUB2 _ _ SCOPE2 <<<"$(verify "$(echo_field headers.authorization)" water2 2>&1)"
expect_match "  its JWT verifies (aud water2)" '^[A-Za-z0-9_-]{43}$' "$SUB2"
[ "$SUB1" != "$SUB2" ] && ok || bad "two partners got the same pseudonym"
expect_eq "  scopes: water2 has water.read only" water.read "$SCOPE2"
status=$(call "$TOK" POST /v1/partners/water2/readings --data-binary @<(head -c 100000 /dev/zero))
expect_eq "POST of 100000 bytes over h2c" "200 100000" "$status $(echo_field body_bytes)"
for i in 1 2 3; do call "$TOK" GET "/v1/partners/water2/accounts/$i" >/dev/null; done
expect_eq "h2c: several requests in a row" 200 "$(call "$TOK" GET /v1/partners/water2/accounts/9)"

# --- h2 over TLS with cong's client certificate (mTLS); without it the upstream refuses the handshake
expect_eq "GET proxied (h2 over TLS, mTLS)" 200 "$(call "" GET /v1/partners/water4/echo)"
expect_eq "  over HTTP/2" "water-tls HTTP/2" "$(echo_field name) $(echo_field version)"
wait_until 10 bash -c "curl -s '$(admin_url /metrics)' | grep -q 'cong_upstream_health_checks_total{upstream=\"water-tls\",target=\"127.0.0.1:$TLS_UP_PORT\",result=\"pass\"} [1-9]'" &&
  ok || bad "active health checks over h2 with mTLS and a server name do not pass"
expect_eq "without the client certificate: 502" 502 "$(call "" GET /v1/partners/water5/echo)"
expect_match "  upstream-failed" 'upstream-failed' "$(body)"

# --- auth and scopes of partner routes
expect_eq "no token: 401" 401 "$(call "" GET /v1/partners/water/accounts/1)"
expect_match "  problem" 'unauthorized' "$(body)"
expect_eq "missing scope: 403" 403 "$(call "$(token --sub "c-$$" --acr 2 --scope profile)" GET /v1/partners/water/accounts/1)"
expect_match "  problem" 'insufficient-scope' "$(body)"

# --- upstream status passed through; a big response streamed
expect_eq "upstream 500 passed through" 500 "$(call "" GET /v1/partners/water/slow/fail)"
expect_match "  its body" '"error":"fail"' "$(body)"
status=$(call "" GET "/v1/partners/water/slow/big?bytes=3000000")
expect_eq "3 MB streamed" "200 3000000" "$status $(stat -c %s "$GW_DIR/body")"

# --- a hanging upstream: 504 within the first-byte deadline (1.5 s), not the total (5 s)
start=$(date +%s%N)
status=$(call "" GET /v1/partners/water/slow/hang)
ms=$(( ($(date +%s%N) - start) / 1000000 ))
expect_eq "hang: 504" 504 "$status"
expect_match "  upstream-timeout" 'upstream-timeout' "$(body)"
[ "$ms" -ge 1400 ] && [ "$ms" -lt 4500 ] && ok || bad "hang answered after $ms ms (first-byte deadline 1500)"

# --- the breaker: max_concurrent 1, no queue. One request hangs (its deadlines are far); the next is refused with
# Retry-After; once the hanging client leaves, its slot is free again.
curl -s --http2-prior-knowledge -o /dev/null "$(url /v1/partners/water7/hang)" &
HANG=$!
wait_until 10 grep -q 'water-h1 GET /hang' "$UP_LOG" || bad "the hanging request never reached the upstream"
expect_eq "breaker full: 503" 503 "$(call "" GET /v1/partners/water7/x)"
expect_match "  upstream-unavailable" 'upstream-unavailable' "$(body)"
expect_match "  Retry-After" '^[0-9]+$' "$(header retry-after)"
kill "$HANG"; wait "$HANG" 2>/dev/null
wait_until 10 bash -c "[ \"\$(curl -s -o /dev/null -w '%{http_code}' --http2-prior-knowledge '$(url /v1/partners/water7/x)')\" = 200 ]" &&
  ok || bad "the breaker's slot was not given back when the client left"

# --- a dead target: GET retried on the other one; POST never repeated
before=$(grep -c "water-h1 GET /echo" "$UP_LOG")
ok_count=0
for i in 1 2 3 4; do [ "$(call "" GET /v1/partners/water3/echo)" = 200 ] && ok_count=$((ok_count + 1)); done
expect_eq "GET over a dead target and a live one: all answered" 4 "$ok_count"
expect_eq "  each reached the live one once" 4 $(( $(grep -c "water-h1 GET /echo" "$UP_LOG") - before ))
# Round-robin per worker over the two targets: of 8 POSTs at least 3 meet the dead one whatever the workers' share.
fails=0; oks=0; posts_before=$(grep -c "water-h1 POST /echo" "$UP_LOG")
for i in $(seq 1 8); do
  case "$(call "" POST /v1/partners/water3/echo --data x)" in
    502) fails=$((fails + 1)); expect_match "  upstream-failed" 'upstream-failed' "$(body)" ;;
    200) oks=$((oks + 1)) ;;
  esac
done
[ "$fails" -ge 3 ] && [ $((fails + oks)) -eq 8 ] && ok || bad "POSTs: $fails failed, $oks answered, of 8"
expect_eq "  POST never repeated: the live target saw only the answered ones" "$oks" \
  $(( $(grep -c "water-h1 POST /echo" "$UP_LOG") - posts_before ))

# --- a response over the upstream's max_response_body_bytes (1 MB), and an upstream that resets mid-body: the client
# sees a broken response, never a short one that looks whole
expect_eq "500 kB under the limit" "200 500000" "$(call "$TOK" GET "/v1/partners/water2/accounts/big?bytes=500000") $(stat -c %s "$GW_DIR/body")"
curl -s --http2-prior-knowledge -o /dev/null -H "authorization: Bearer $TOK" --max-time 10 \
  "$(url "/v1/partners/water2/accounts/big?bytes=2000000")"
expect_eq "2 MB over the limit: the stream is reset (curl: HTTP/2 stream error)" 92 "$?"
curl -s --http2-prior-knowledge -o /dev/null --max-time 10 "$(url /v1/partners/water/slow/reset)"
expect_eq "upstream reset mid-body: the stream is reset" 92 "$?"
# (HTTP/1.1, h2o's client: a content-length over the limit is refused before anything is sent; a chunked body over
# it breaks the stream like h2c's)
expect_eq "HTTP/1.1: a content-length over the limit (50 bytes): 502" 502 "$(call "" GET /v1/partners/water8/echo)"
expect_match "  upstream-failed" 'upstream-failed' "$(body)"
curl -s --http2-prior-knowledge -o /dev/null --max-time 10 "$(url "/v1/partners/water8/big?bytes=100000")"
expect_eq "HTTP/1.1: a chunked body over the limit: the stream is reset" 92 "$?"

# --- back-pressure: a client that grants no flow-control credit. The upstream's transfer is paused, so cong holds at
# most its stream buffers (2 × 256 KiB), not the 8 MB; when the client leaves, the transfer is dropped (its total
# deadline, 60 s, is far).
stream_buffers() { curl -s "$(admin_url /metrics)" | sed -n 's/^cong_stream_buffer_bytes //p'; }
python3 "$SRC/tests/integration/h2_stall_reader.py" "$H2C_PORT" "/v1/partners/water6/big?bytes=8000000" 1 \
  "$GW_DIR/stall" &
STALL=$!
wait_until 10 grep -q 'received [1-9]' "$GW_DIR/stall" || bad "the stalled reader got nothing"
wait_until 10 bash -c "[ \$(curl -s '$(admin_url /metrics)' | sed -n 's/^cong_stream_buffer_bytes //p') -gt 0 ]" ||
  bad "no stream buffer held"
expect_match "  the transfer is under way, paused" 'cong_upstream_active\{upstream="water-big"\} 1' \
  "$(curl -s "$(admin_url /metrics)")"
most=0 # sampled for a second: what would grow without back-pressure never does
for _ in $(seq 1 10); do held=$(stream_buffers); [ "$held" -gt "$most" ] && most=$held; sleep 0.1; done
[ "$most" -le 524288 ] && ok || bad "stalled stream held up to $most bytes of buffers (> 2 × 256 KiB)"
kill "$STALL"; wait "$STALL" 2>/dev/null
wait_until 10 bash -c "curl -s '$(admin_url /metrics)' | grep -q 'cong_upstream_active{upstream=\"water-big\"} 0'" &&
  ok || bad "the transfer was not dropped when the client left"

# --- the access log names the upstream, the target, its status and latency (one line each)
log_lines() { grep -cE "$1" "$GW_DIR/access.log"; }
[ "$(log_lines "\"route\":\"/v1/partners/water2/accounts/\\{id\\}\",\"status\":200,[^}]*\"upstream\":\"water-h2c\",\"upstream_target\":\"127.0.0.1:$H2C_UP_PORT\",\"upstream_status\":200,\"upstream_ms\":[0-9]+\}$")" -gt 0 ] &&
  ok || bad "access log: no line with the upstream, target, status and latency"
[ "$(log_lines '"status":504,[^}]*"upstream":"water-h1",[^}]*"upstream_status":0,')" -gt 0 ] && ok ||
  bad "access log: no timed-out line with upstream_status 0"

# --- /metrics by upstream and target
metrics=$(curl -s "$(admin_url /metrics)")
expect_match "metrics: outcomes by upstream and target" "cong_upstream_requests_total\{upstream=\"water-h1\",target=\"127.0.0.1:$H1_PORT\",outcome=\"2xx\"\} [1-9]" "$metrics"
expect_match "  timeouts counted" "upstream=\"water-h1\",target=\"127.0.0.1:$H1_PORT\",outcome=\"timeout\"\} [1-9]" "$metrics"
expect_match "  the dead target's failures" "upstream=\"water-pair\",target=\"127.0.0.1:$DEAD_PORT\",outcome=\"failed\"\} [1-9]" "$metrics"

finish

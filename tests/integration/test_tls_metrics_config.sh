#!/usr/bin/env bash
# TLS with ALPN (h2 and http/1.1), /metrics in Prometheus text, /openapi.json, and `cong --check-config`.
source "$(dirname "$0")/lib.sh"
start_gateway CONG_AUTH_PUBLIC_KEY_PRIVILEGED=1 || exit 1
wait_stores_up || { finish; exit 1; }   # the store gauge below counts connections, up only some time after start
T=$(token --sub citizen-tls --scope ping)

out=$(curl -s -k --http2 -D - -o "$GW_DIR/b" -H "authorization: Bearer $T" "https://127.0.0.1:$TLS_PORT/v1/ping")
expect_match "TLS + ALPN h2" "^HTTP/2 200" "$out"
expect_match "HSTS on TLS" "strict-transport-security: max-age=" "$out"
out=$(curl -s -k --http1.1 -D - -o /dev/null "https://127.0.0.1:$TLS_PORT/healthz")
expect_match "TLS + http/1.1" "^HTTP/1.1 200" "$out"
alpn=$(echo | timeout 5 openssl s_client -connect "127.0.0.1:$TLS_PORT" -alpn h2 2>/dev/null | grep -i "ALPN protocol")
expect_match "ALPN negotiates h2" "ALPN protocol: h2" "$alpn"
out=$(h2load -n 50 -c 2 -m 5 -H "authorization: Bearer $T" "https://127.0.0.1:$TLS_PORT/v1/ping" 2>&1)
expect_match "h2load over TLS" "50 succeeded, 0 failed" "$out"

m=$(h2c "$(admin_url /metrics)")
expect_match "requests counter" 'cong_requests_total\{method="GET",route="/v1/ping",status="200"\} [0-9]+' "$m"
expect_match "histogram" 'cong_request_duration_seconds_bucket\{le="\+Inf"\} [0-9]+' "$m"
expect_match "store gauge" 'cong_store_connections_up\{store="postgres"\} [1-9]' "$m"
expect_match "module errors" 'cong_module_errors_total\{module="ping"\} 0' "$m"
expect_no_match "no subject in metrics" "citizen-tls" "$m"

# /metrics: as is on the admin listener (loopback); on the public listener only for scope admin.
expect_eq "public /metrics without a token" "401" "$(h2c -o /dev/null -w '%{http_code}' "$(url /metrics)")"
expect_eq "public /metrics without scope admin" "403" \
  "$(h2c -o /dev/null -w '%{http_code}' -H "authorization: Bearer $T" "$(url /metrics)")"
A=$(token --sub operator-1 --scope admin)
expect_match "public /metrics with scope admin" "cong_requests_total" \
  "$(h2c -H "authorization: Bearer $A" "$(url /metrics)")"
expect_eq "admin listener serves no module route" "404" \
  "$(h2c -o /dev/null -w '%{http_code}' -H "authorization: Bearer $T" "$(admin_url /v1/ping)")"
expect_eq "admin listener ignores :authority" "404" \
  "$(h2c -o /dev/null -w '%{http_code}' -H "host: default" -H "authorization: Bearer $T" "$(admin_url /v1/ping)")"
expect_eq "public listener cannot reach the admin host" "401" \
  "$(h2c -o /dev/null -w '%{http_code}' -H "host: admin" "$(url /metrics)")"
expect_eq "admin listener serves /readyz" "200" "$(h2c -o /dev/null -w '%{http_code}' "$(admin_url /readyz)")"

doc=$(h2c "$(url /openapi.json)")
expect_eq "openapi version" "3.1.0" "$(echo "$doc" | json openapi)"

printf 'server:\n  tls_port: 8443\n  bogus: 1\nredis:\n  port: "many"\n' >"$GW_DIR/bad.yaml"
out=$(cd "$GW_DIR" && "$BUILD/cong" --check-config bad.yaml 2>&1); status=$?
expect_eq "check-config fails" "1" "$status"
expect_match "unknown key reported with its line" "bad.yaml:3: server.bogus: unknown key" "$out"
expect_match "type error reported with its line" "bad.yaml:5: redis.port: " "$out"
out=$(cd "$SRC" && CONG_MODULES_AUDIT_SIGNING_KEY_FILE="$RUN/keys/cong-audit.pem" "$BUILD/cong" --check-config cong.example.yaml 2>&1)
expect_match "example config is valid" ": ok$" "$out"
finish

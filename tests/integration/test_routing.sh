#!/usr/bin/env bash
# Routing and the problem+json shape: 404, 405 with Allow, 400 for dot segments, 501 for unknown methods, HEAD,
# the RFC 9457 body (type, title, status, detail, instance = request id) in Vietnamese and English.
source "$(dirname "$0")/lib.sh"
start_gateway || exit 1

# 404, Vietnamese by default
h2c -D "$GW_DIR/h" -o "$GW_DIR/b" "$(url /v1/khong-co)"
body=$(cat "$GW_DIR/b")
expect_match "404 status" "^HTTP/2 404" "$(head -1 "$GW_DIR/h")"
expect_match "problem content type" "content-type: application/problem\+json" "$(cat "$GW_DIR/h")"
expect_eq "problem type" "https://cong.hanoi.gov.vn/problems/not-found" "$(echo "$body" | json type)"
expect_eq "problem status" "404" "$(echo "$body" | json status)"
expect_eq "problem title (vi)" "Không tìm thấy" "$(echo "$body" | json title)"
rid=$(grep -i '^x-request-id:' "$GW_DIR/h" | tr -d '\r' | awk '{print $2}')
expect_eq "instance is the request id" "$rid" "$(echo "$body" | json instance)"
expect_match "security headers" "x-content-type-options: nosniff" "$(cat "$GW_DIR/h")"

# English by Accept-Language
body=$(h2c -H 'accept-language: en-US,en;q=0.9,vi;q=0.5' "$(url /v1/khong-co)")
expect_eq "problem title (en)" "Not found" "$(echo "$body" | json title)"
body=$(h2c -H 'accept-language: vi, en;q=0.8' "$(url /v1/khong-co)")
expect_eq "vi preferred over en" "Không tìm thấy" "$(echo "$body" | json title)"

# 405 with Allow
h2c -X POST -D "$GW_DIR/h" -o "$GW_DIR/b" "$(url /v1/ping)"
expect_match "405 status" "^HTTP/2 405" "$(head -1 "$GW_DIR/h")"
expect_match "Allow header" "allow: GET" "$(cat "$GW_DIR/h")"
expect_eq "405 type" "https://cong.hanoi.gov.vn/problems/method-not-allowed" "$(json type <"$GW_DIR/b")"

# dot segments, encoded or not, and NUL
for p in "/v1/../healthz" "/v1/%2e%2e/healthz" "/v1/%2E./healthz" "/v1/ping%00"; do
  code=$(h2c --path-as-is -o /dev/null -w '%{http_code}' "$(url "$p")")
  expect_eq "$p refused" "400" "$code"
done

# percent-encoded literal segments still route
expect_eq "encoded literal" "200" "$(h2c -o /dev/null -w '%{http_code}' "$(url /%68ealthz)")"

# unknown method → 501; HEAD answers without a body
expect_eq "unknown method" "501" "$(h2c -X BREW -o /dev/null -w '%{http_code}' "$(url /healthz)")"
out=$(h2c -I "$(url /healthz)")
expect_match "HEAD status" "^HTTP/2 200" "$out"
expect_match "HEAD content-length" "content-length: 18" "$out"

# HTTP/1.1 on the cleartext port gets the same answers
expect_eq "HTTP/1.1 404" "404" "$(curl -s --http1.1 -o /dev/null -w '%{http_code}' "$(url /nope)")"

finish

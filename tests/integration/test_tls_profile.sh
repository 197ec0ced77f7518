#!/usr/bin/env bash
# The TLS listener serves Mozilla's "intermediate" profile: TLS 1.2 and 1.3 only; on TLS 1.2 ECDHE with AEAD suites
# only (no CBC: LUCKY13, and HTTP/2 forbids them, RFC 9113 §9.2.2); groups X25519, P-256, P-384; the server's order,
# except that a client preferring ChaCha20 gets it. Strict-Transport-Security goes with every response over TLS, as
# configured, and never over the cleartext or admin listeners, whatever :scheme the client sends.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/tls_lib.sh"
start_gateway || exit 1

cipher_of() { tls_hello "$TLS_PORT" "$@" | sed -n 's/^New, \(TLSv1\.[23]\), Cipher is \(.*\)$/\1 \2/p'; }

for proto in -tls1 -tls1_1; do
  expect_eq "$proto refused" "" "$(cipher_of "$proto" -cipher 'DEFAULT@SECLEVEL=0')"
done
for cbc in ECDHE-ECDSA-AES128-SHA ECDHE-ECDSA-AES256-SHA ECDHE-ECDSA-AES128-SHA256 ECDHE-ECDSA-AES256-SHA384; do
  expect_eq "TLS 1.2 CBC suite $cbc refused" "" "$(cipher_of -tls1_2 -cipher "$cbc")"
done
for aead in ECDHE-ECDSA-AES128-GCM-SHA256 ECDHE-ECDSA-AES256-GCM-SHA384 ECDHE-ECDSA-CHACHA20-POLY1305; do
  expect_eq "TLS 1.2 AEAD suite $aead" "TLSv1.2 $aead" "$(cipher_of -tls1_2 -cipher "$aead")"
done
expect_eq "server order: AES-128-GCM before the client's AES-256-GCM" "TLSv1.2 ECDHE-ECDSA-AES128-GCM-SHA256" \
  "$(cipher_of -tls1_2 -cipher 'ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES128-GCM-SHA256')"
expect_eq "a client that prefers ChaCha20 gets it" "TLSv1.2 ECDHE-ECDSA-CHACHA20-POLY1305" \
  "$(cipher_of -tls1_2 -cipher 'ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-ECDSA-AES128-GCM-SHA256')"
expect_eq "TLS 1.3" "TLSv1.3 TLS_AES_128_GCM_SHA256" "$(cipher_of -tls1_3)"
expect_eq "TLS 1.3 ChaCha20 first" "TLSv1.3 TLS_CHACHA20_POLY1305_SHA256" \
  "$(cipher_of -tls1_3 -ciphersuites TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256)"
for group in X25519 P-256 P-384; do
  expect_match "group $group" "^TLSv1.3 " "$(cipher_of -tls1_3 -groups "$group")"
done
expect_eq "group P-521 refused" "" "$(cipher_of -tls1_3 -groups P-521)"
expect_eq "no compression" "Compression: NONE" "$(tls_hello "$TLS_PORT" -tls1_2 | grep '^Compression')"

# HSTS from the connection: over TLS even when the client says :scheme http; never over h2c or admin, even when the
# client says :scheme https.
hsts() { nghttp -v "$@" 2>&1 | grep -i 'recv.*strict-transport-security' | sed 's/.*strict-transport-security: //'; }
expect_eq "HSTS over TLS" "max-age=63072000; includeSubDomains" "$(hsts "https://127.0.0.1:$TLS_PORT/healthz")"
expect_eq "HSTS over TLS, :scheme http" "max-age=63072000; includeSubDomains" \
  "$(hsts -H ':scheme: http' "https://127.0.0.1:$TLS_PORT/healthz")"
expect_eq "HTTP/1.1 over TLS too" "max-age=63072000; includeSubDomains" \
  "$(curl -sk --http1.1 -D - -o /dev/null "https://127.0.0.1:$TLS_PORT/healthz" | tr -d '\r' |
     awk -F': ' 'tolower($1) == "strict-transport-security" { print $2 }')"
expect_eq "none over h2c, :scheme https" "" "$(hsts -H ':scheme: https' "$(url /healthz)")"
expect_eq "none over h2c" "" "$(hsts "$(url /healthz)")"
expect_eq "none on the admin listener, :scheme https" "" "$(hsts -H ':scheme: https' "$(admin_url /readyz)")"
stop_gateway

start_gateway CONG_SERVER_TLS_HSTS_MAX_AGE_S=86400 || exit 1
expect_eq "HSTS max-age as configured" "max-age=86400; includeSubDomains" "$(hsts "https://127.0.0.1:$TLS_PORT/healthz")"
stop_gateway
start_gateway CONG_SERVER_TLS_HSTS_MAX_AGE_S=0 || exit 1
expect_eq "max-age 0: no HSTS" "" "$(hsts "https://127.0.0.1:$TLS_PORT/healthz")"
expect_eq "still served" "200" "$(curl -sk -o /dev/null -w '%{http_code}' "https://127.0.0.1:$TLS_PORT/healthz")"
finish

#!/usr/bin/env bash
# SIGHUP reloads the TLS certificate and key without dropping a connection: a connection made before keeps working
# (with the certificate it was made with), HTTP/2 requests over TLS under way meanwhile all succeed, and new connections
# get the new certificate. A certificate that does not go with its key, or a missing file, is refused with a log line
# and the running certificate stays.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/tls_lib.sh"
command -v h2load >/dev/null || { bad "h2load is not installed (nghttp2-client)"; finish; exit 1; }

make_ca && make_leaf 1001 && make_leaf 1002
CERT=$GW_DIR/cert.pem KEY=$GW_DIR/key.pem
cp "$PKI/leaf-1001.chain.pem" "$CERT" && cp "$PKI/leaf-1001.key" "$KEY"
start_gateway CONG_SERVER_TLS_CERTIFICATE="$CERT" CONG_SERVER_TLS_PRIVATE_KEY="$KEY" CONG_SERVER_IDLE_TIMEOUT_MS=120000 \
  CONG_RATE_LIMITS_DEFAULT_PER_MINUTE=60000000 CONG_RATE_LIMITS_DEFAULT_BURST=1000000 || exit 1
expect_eq "the first certificate" "serial=1001" "$(served_serial "$TLS_PORT")"
fingerprint() { openssl x509 -in "$1" -outform der | sha256sum | cut -d' ' -f1; }

# A connection made now, asked again after the reload.
python3 "$SRC/tests/integration/tls_keepalive_client.py" "$TLS_PORT" "$GW_DIR/go" "$GW_DIR/keepalive.out" &
CLIENT=$!
EXTRA_PIDS+=("$CLIENT")
first_answered() { grep -q '^first ' "$GW_DIR/keepalive.out" 2>/dev/null; }
wait_until 20 first_answered || bad "the kept-alive connection got no first answer"
# HTTP/2 over TLS, running across the reload.
h2load -n 20000 -c 4 -m 8 "https://127.0.0.1:$TLS_PORT/healthz" >"$GW_DIR/h2load.out" 2>&1 &
LOAD=$!
EXTRA_PIDS+=("$LOAD")
load_under_way() { [ "$(wc -l <"$GW_DIR/access.log")" -ge 500 ]; }
wait_until 30 load_under_way || bad "h2load did not get going"

cp "$PKI/leaf-1002.chain.pem" "$CERT" && cp "$PKI/leaf-1002.key" "$KEY"
kill -HUP "$GW_PID"
wait_log 1 "TLS reloaded: certificate /CN=cong-leaf-1002" || bad "no TLS reload logged: $(tail -3 "$GW_DIR/stderr")"
expect_eq "the load was still running at the reload" "running" "$(kill -0 "$LOAD" 2>/dev/null && echo running)"
new_certificate() { [ "$(served_serial "$TLS_PORT")" = "serial=1002" ]; }
wait_until 10 new_certificate || bad "new connections do not get the new certificate: $(served_serial "$TLS_PORT")"
touch "$GW_DIR/go"
wait "$CLIENT"
expect_eq "the connection made before answers with 200, on its certificate" \
  "first 200 $(fingerprint "$PKI/leaf-1001.crt")|second 200 $(fingerprint "$PKI/leaf-1001.crt")" \
  "$(paste -sd '|' "$GW_DIR/keepalive.out")"
wait "$LOAD"
expect_match "HTTP/2 over TLS: no failed request across the reload" "20000 succeeded, 0 failed, 0 errored" \
  "$(cat "$GW_DIR/h2load.out")"
expect_match "every worker serves the new certificate" "^(serial=1002 ){8}$" \
  "$(for _ in 1 2 3 4 5 6 7 8; do printf '%s ' "$(served_serial "$TLS_PORT")"; done)"

# A certificate that does not go with the key: refused, the running one stays.
cp "$PKI/leaf-1001.chain.pem" "$CERT"
kill -HUP "$GW_PID"
wait_log 1 "tls: reload refused" || bad "a certificate without its key was not refused"
expect_match "says why" "cannot use the certificate .*cert.pem with the key .*key.pem: " "$(cat "$GW_DIR/stderr")"
expect_eq "the running certificate stays" "serial=1002" "$(served_serial "$TLS_PORT")"
rm "$CERT"
kill -HUP "$GW_PID"
wait_log 2 "tls: reload refused" || bad "a missing certificate was not refused"
expect_eq "still the running certificate" "serial=1002" "$(served_serial "$TLS_PORT")"
finish

#!/usr/bin/env bash
# Outbound HTTP (module ABI 1.4: http_request, and job_http_request on the job thread), through the test module
# tests/partner/partner_io.c (GET /v1/partner-io/fetch?url=…) against a partner stand-in on 127.0.0.1
# (tests/integration/http_upstream.py: cleartext, TLS with a test CA, TLS requiring a client certificate) and against
# the gateway itself for HTTP/2. One worker, at most 3 calls in flight:
#   1. status, body, a response header by name, method, request body and header; a 404 is an answer, not an error;
#   2. the deadline: a call to a server that sleeps 10 s ends with CONG_ETIMEDOUT after its 300 ms;
#   3. the response limits: a body over max_response_bytes (with a Content-Length, and chunked) and 100 KB of response
#      headers give CONG_ETOOBIG; a body exactly at the limit passes;
#   4. TLS: verified with the test CA; refused (CONG_EIO) without it and for a name the certificate does not carry;
#      mTLS: refused without a client certificate and with one from another CA, accepted with the right one;
#   5. HTTP/2 over TLS (ALPN) and over cleartext with prior knowledge, HTTP/1.1 when asked; a closed port answers
#      CONG_EUNAVAILABLE; a file:// URL and a header holding CR LF are refused synchronously (CONG_EINVAL);
#   6. three slow calls in flight (two to one HTTPS partner, both reach it at once): the fourth is refused with
#      CONG_EBUSY, the worker still answers at once (nothing blocks its loop); their clients leave: the calls are
#      cancelled at once (cong_http_client_in_flight back to 0 while the partner still sleeps), and the module's
#      callback never runs for them;
#   7. a job's blocking call (job_http_request) gets the partner's status.
source "$(dirname "$0")/lib.sh"

# ---- the partner stand-in and its certificates ------------------------------------------------------------------
pki=$GW_DIR/pki
mkdir -p "$pki"
mkcert() { # NAME CA_NAME SUBJECT [SAN]: an EC key and a certificate signed by CA_NAME
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=$3" \
    -keyout "$pki/$1.key" -out "$pki/$1.csr" 2>/dev/null
  openssl x509 -req -in "$pki/$1.csr" -CA "$pki/$2.pem" -CAkey "$pki/$2.key" -CAcreateserial -days 2 \
    ${4:+-extfile <(printf 'subjectAltName=%s\n' "$4")} -out "$pki/$1.pem" 2>/dev/null
}
for ca in ca rogue-ca; do
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj "/CN=test $ca" \
    -keyout "$pki/$ca.key" -out "$pki/$ca.pem" 2>/dev/null
done
mkcert server ca 127.0.0.1 IP:127.0.0.1
mkcert client ca partner-client
mkcert rogue-client rogue-ca partner-client

read -r PLAIN TLS MTLS <<<"$(free_ports 3)"
UPLOG=$GW_DIR/upstream.log
python3 "$SRC/tests/integration/http_upstream.py" "$UPLOG" "$PLAIN" "$TLS" "$MTLS" "$pki/server.pem" "$pki/server.key" \
  "$pki/ca.pem" 2>"$GW_DIR/upstream.stderr" &
EXTRA_PIDS+=($!)
file_has() { grep -q "$2" "$1" 2>/dev/null; }
wait_until 10 file_has "$UPLOG" ready || { bad "the partner stand-in did not start"; finish; exit 1; }

printf 'modules:\n  load: ["%s/partner_io.so"]\n' "$BUILD" >"$GW_DIR/cong.yaml"
# (the shutdown deadline is short: libcurl keeps its HTTP/2 connections to this very gateway open, and shutdown waits
# for open connections until its deadline)
start_gateway CONG_SERVER_WORKERS=1 CONG_LIMITS_OUTBOUND_HTTP_IN_FLIGHT=3 CONG_SERVER_SHUTDOWN_TIMEOUT_MS=1000 \
  CONG_RATE_LIMITS_DEFAULT_BURST=100000 CONG_RATE_LIMITS_DEFAULT_PER_MINUTE=1000000 \
  CONG_MODULES_PARTNER_IO_JOB_URL="http://127.0.0.1:$PLAIN/status/204" ||
  { finish; exit 1; }
wait_stores_up

stat() { h2c "$(url /v1/partner-io/stats)" | json "$1"; }
metric() { h2c "$(admin_url /metrics)" | awk -v m="$1" '$1 == m { print $2 }'; }
enc() { python3 -S -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$1"; }
# fetch URL [QUERY]: the module's call; "$code" and the headers/body files
fetch() {
  code=$(h2c --max-time 30 -o "$GW_DIR/fetch.body" -D "$GW_DIR/fetch.headers" -w '%{http_code}' \
    "$(url "/v1/partner-io/fetch?url=$(enc "$1")${2:+&$2}")")
}
got() { grep -i "^$1:" "$GW_DIR/fetch.headers" | head -1 | cut -d' ' -f2- | tr -d '\r'; }
P=http://127.0.0.1:$PLAIN

# ---- 1. answers ---------------------------------------------------------------------------------------------------
fetch "$P/status/200" "want=x-test"
expect_eq "GET: 200" 200 "$code"
expect_eq "GET: the upstream's status" 200 "$(got x-upstream-status)"
expect_eq "GET: HTTP/1.1" 11 "$(got x-upstream-version)"
expect_eq "GET: a response header by name (any case)" upstream "$(got x-upstream-header)"
expect_eq "GET: the body" "status 200" "$(cat "$GW_DIR/fetch.body")"
fetch "$P/echo" "method=POST&body=$(enc 'xin chào')&header=$(enc 'X-Test: from cong')"
expect_eq "POST: method, header, default content type, body" \
  "$(printf 'POST\nfrom cong\napplication/octet-stream\nxin chào')" "$(cat "$GW_DIR/fetch.body")"
fetch "$P/echo" "method=PUT&body=x&header=$(enc 'Content-Type: application/json')"
expect_eq "PUT: the module's content type" "$(printf 'PUT\n\napplication/json\nx')" "$(cat "$GW_DIR/fetch.body")"
fetch "$P/status/404"
expect_eq "a 404 is an answer" "200 404" "$code $(got x-upstream-status)"

# ---- 2. the deadline ----------------------------------------------------------------------------------------------
t0=$(date +%s%N)
fetch "$P/slow?ms=10000" "timeout_ms=300"
elapsed_ms=$((($(date +%s%N) - t0) / 1000000))
expect_eq "a slow partner: CONG_ETIMEDOUT" "502 CONG_ETIMEDOUT" "$code $(got x-upstream-err)"
# at the deadline, not when the partner answers (bounds wide enough for a loaded machine)
if [ "$elapsed_ms" -ge 300 ] && [ "$elapsed_ms" -lt 8000 ]; then ok; else
  bad "the 300 ms deadline took $elapsed_ms ms"; fi

# ---- 3. response limits -------------------------------------------------------------------------------------------
fetch "$P/big?bytes=100000" "max=10000"
expect_eq "a body over the limit (Content-Length)" CONG_ETOOBIG "$(got x-upstream-err)"
fetch "$P/big?bytes=100000&chunked=1" "max=10000"
expect_eq "a body over the limit (chunked)" CONG_ETOOBIG "$(got x-upstream-err)"
fetch "$P/big?bytes=10000&chunked=1" "max=10000"
expect_eq "a body at the limit passes" "200 10000" "$code $(wc -c <"$GW_DIR/fetch.body")"
fetch "$P/headers?n=100"
expect_eq "100 KB of response headers" CONG_ETOOBIG "$(got x-upstream-err)"

# ---- 4. TLS and mTLS ----------------------------------------------------------------------------------------------
ca=$(enc "$pki/ca.pem")
fetch "https://127.0.0.1:$TLS/status/200" "ca=$ca"
expect_eq "TLS verified with the partner's CA" "200 200" "$code $(got x-upstream-status)"
fetch "https://127.0.0.1:$TLS/status/200"
expect_eq "TLS: an unknown CA is refused" CONG_EIO "$(got x-upstream-err)"
fetch "https://localhost:$TLS/status/200" "ca=$ca"
expect_eq "TLS: a name the certificate does not carry is refused" CONG_EIO "$(got x-upstream-err)"
fetch "https://127.0.0.1:$MTLS/status/200" "ca=$ca"
expect_eq "mTLS: no client certificate" CONG_EIO "$(got x-upstream-err)"
rogue="cert=$(enc "$pki/rogue-client.pem")&key=$(enc "$pki/rogue-client.key")"
fetch "https://127.0.0.1:$MTLS/status/200" "ca=$ca&$rogue"
expect_eq "mTLS: a client certificate from another CA" CONG_EIO "$(got x-upstream-err)"
fetch "https://127.0.0.1:$MTLS/status/201" "ca=$ca&cert=$(enc "$pki/client.pem")&key=$(enc "$pki/client.key")"
expect_eq "mTLS: the partner's client certificate" "200 201" "$code $(got x-upstream-status)"
fetch "https://127.0.0.1:$MTLS/status/200" "ca=$ca&cert=$(enc "$pki/missing.pem")"
expect_eq "a certificate file that is not there" CONG_EINVAL "$(got x-upstream-err)"

# ---- 5. HTTP/2, errors --------------------------------------------------------------------------------------------
gw_ca=$(enc "$RUN/tls/cert.pem")
fetch "https://127.0.0.1:$TLS_PORT/healthz" "ca=$gw_ca"
expect_eq "HTTP/2 over TLS (ALPN)" "200 20" "$(got x-upstream-status) $(got x-upstream-version)"
fetch "https://127.0.0.1:$TLS_PORT/healthz" "ca=$gw_ca&version=1"
expect_eq "HTTP/1.1 when asked" "200 11" "$(got x-upstream-status) $(got x-upstream-version)"
fetch "http://127.0.0.1:$H2C_PORT/healthz" "version=2"
expect_eq "HTTP/2 with prior knowledge (h2c)" "200 20" "$(got x-upstream-status) $(got x-upstream-version)"
closed_port=$(free_port)
fetch "http://127.0.0.1:$closed_port/" ""
expect_eq "a closed port" CONG_EUNAVAILABLE "$(got x-upstream-err)"
fetch "file:///etc/passwd"
expect_eq "file:// is refused" CONG_EINVAL "$(got x-upstream-err)"
fetch "$P/status/200" "header=$(enc $'X-A: b\r\nX-B: c')"
expect_eq "a header holding CR LF is refused" CONG_EINVAL "$(got x-upstream-err)"
fetch "$P/status/200" "timeout_ms=0"
expect_eq "a call without a deadline is refused" CONG_EINVAL "$(got x-upstream-err)"

# ---- 6. the in-flight bound, a free loop, clients that leave ---------------------------------------------------
callbacks0=$(stat fetch_callbacks)
cancelled0=$(metric 'cong_http_client_calls_total{result="cancelled"}')
slow_pids=()
for target in "https://127.0.0.1:$TLS/slow?ms=20000" "https://127.0.0.1:$TLS/slow?ms=20000" "$P/slow?ms=20000"; do
  curl -s --http2-prior-knowledge --max-time 60 -o /dev/null \
    "$(url "/v1/partner-io/fetch?url=$(enc "$target")&timeout_ms=30000&ca=$ca")" &
  slow_pids+=($!)
  EXTRA_PIDS+=($!)
done
three_slow() { [ "$(grep -c " GET /slow$" "$UPLOG")" -ge 4 ] && [ "$(grep -c "^$TLS GET /slow$" "$UPLOG")" -eq 2 ]; }
if wait_until 20 three_slow; then ok; else bad "the three slow calls did not reach the partner"; fi
expect_eq "three calls in flight" 3 "$(metric cong_http_client_in_flight)"
fetch "$P/status/200"
expect_eq "a fourth call is refused" "502 CONG_EBUSY" "$code $(got x-upstream-err)"
# the only worker answers within h2c's 10 s while its three calls wait 20 s for the partner: they block nothing
expect_eq "/healthz meanwhile" 200 "$(h2c -o /dev/null -w '%{http_code}' "$(url /healthz)")"
kill "${slow_pids[@]}"
no_call() { [ "$(metric cong_http_client_in_flight)" = 0 ]; }
if wait_until 10 no_call; then ok; else bad "the calls of clients that left are still in flight"; fi
expect_eq "they count as cancelled" $((cancelled0 + 3)) "$(metric 'cong_http_client_calls_total{result="cancelled"}')"
expect_eq "and their callbacks never ran" "$callbacks0" "$(stat fetch_callbacks)"
fetch "$P/status/200"
expect_eq "calls go through again" "200 200" "$code $(got x-upstream-status)"

# ---- 7. the job thread's call -------------------------------------------------------------------------------------
job_done() { [ "$(stat job_status)" = 204 ]; }
if wait_until 20 job_done; then ok; else bad "the job's call: $(stat job_status)"; fi

finish

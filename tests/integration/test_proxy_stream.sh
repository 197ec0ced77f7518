#!/usr/bin/env bash
# Partner routes stream bodies both ways (h2o patch 0009, gateway/upstream/proxy_body.c), against a Python upstream
# that reads bodies piece by piece and answers their sha256 (stream_upstream.py):
#   - a 100 MB request body over HTTP/2 and HTTP/1.1 (declared length, and undeclared: chunked to the upstream)
#     reaches the upstream byte for byte while the gateway's VmRSS stays within +40 MB of where it started;
#   - a 100 MB response body over HTTP/2 and over HTTP/1.1, byte for byte, VmRSS as flat;
#   - a slow upstream reader (5 ms a 64 KiB piece) holds a 60 MB upload back: the gateway holds at most about one
#     flow-control window of it, never the body;
#   - a streamed body over its route's limit is cut: a declared length over it is refused at once (HTTP/2: the stream
#     refused; HTTP/1.1: 413 problem+json), an undeclared one reset (HTTP/2) or its connection closed (HTTP/1.1) once
#     it passes the limit; the upstream never sees a whole body; the gateway answers afterwards.
# ASan's quarantine is cut to 16 MB so that VmRSS reflects what the gateway holds. About 30-60 s.
source "$(dirname "$0")/lib.sh"

UP_PORT=$(free_port)
UP_LOG="$GW_DIR/bodies.log"
: >"$UP_LOG"
python3 "$SRC/tests/integration/stream_upstream.py" "$UP_PORT" "$UP_LOG" 2>"$GW_DIR/upstream.stderr" &
EXTRA_PIDS+=($!)
wait_until 10 curl -s -o /dev/null "http://127.0.0.1:$UP_PORT/ready" || bad "upstream did not start"

openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$GW_DIR/cong-signing.pem" 2>/dev/null
head -c 48 /dev/urandom >"$GW_DIR/subject-secret"
cat >"$GW_DIR/cong.yaml" <<YAML
upstreams:
  - name: bulk
    targets: [{address: "127.0.0.1:$UP_PORT"}]
    protocol: http1
    limits: {max_request_body_bytes: 120000000, max_response_body_bytes: 120000000, connect_timeout_ms: 2000,
             first_byte_timeout_ms: 30000, total_timeout_ms: 180000}
    partner: {name: bulk}
  - name: bulk-small
    targets: [{address: "127.0.0.1:$UP_PORT"}]
    protocol: http1
    limits: {max_request_body_bytes: 1000000, first_byte_timeout_ms: 30000, total_timeout_ms: 60000}
    partner: {name: bulk2}
partner_routes:
  - {method: POST, path: "/v1/partners/bulk/sha", upstream: bulk, auth: none}
  - {method: GET, path: "/v1/partners/bulk/big", upstream: bulk, auth: none}
  - {method: POST, path: "/v1/partners/bulk2/sha", upstream: bulk-small, auth: none}
YAML
start_gateway CONG_AUTH_SIGNING_KEY_FILE="$GW_DIR/cong-signing.pem" \
  CONG_AUTH_SUBJECT_SECRET_FILE="$GW_DIR/subject-secret" CONG_RATE_LIMITS_DEFAULT_BURST=1000 \
  CONG_RATE_LIMITS_DEFAULT_PER_MINUTE=100000 ASAN_OPTIONS=detect_leaks=0:halt_on_error=1:quarantine_size_mb=16 ||
  { finish; exit 1; }

rss_kib() { awk '/^VmRSS:/{print $2}' "/proc/$GW_PID/status"; }
# sample_rss PID FILE: the largest VmRSS seen while PID runs, into FILE
sample_rss() {
  local most=0 now
  while kill -0 "$1" 2>/dev/null; do
    now=$(rss_kib)
    [ "${now:-0}" -gt "$most" ] && most=$now
    sleep 0.05
  done
  echo "$most" >"$2"
}
# flat NAME BASE_KIB PEAK_KIB: the peak within 40 MB of the base
flat() {
  local growth=$(($3 - $2))
  if [ "$growth" -lt 40960 ]; then ok; else bad "$1: VmRSS grew by $growth KiB ($2 → $3)"; fi
  echo "$1: VmRSS $2 → peak $3 KiB (+$((growth / 1024)) MB)"
}
# measured NAME CMD...: runs CMD in the background while sampling VmRSS; CMD's output in $GW_DIR/out
measured() {
  local name=$1 base
  shift
  base=$(rss_kib)
  "$@" <&0 >"$GW_DIR/out" 2>"$GW_DIR/out.stderr" & # (<&0: an asynchronous command's stdin is /dev/null otherwise)
  local pid=$!
  sample_rss "$pid" "$GW_DIR/peak"
  wait "$pid"
  LAST_RC=$?
  flat "$name" "$base" "$(cat "$GW_DIR/peak")"
}

head -c 100000000 /dev/urandom >"$GW_DIR/up.bin"
UP_SHA=$(sha256sum "$GW_DIR/up.bin" | cut -d' ' -f1)
H2=(curl -s --http2-prior-knowledge)
# warm up: the workers' first partner request (token cache, libcurl handles) before measuring
"${H2[@]}" -o /dev/null -X POST --data-binary "warm" "$(url /v1/partners/bulk/sha)"
"${H2[@]}" -o /dev/null "$(url /v1/partners/bulk/big?bytes=1000000)"

# --- 100 MB up over HTTP/2, declared length
measured "100 MB up, HTTP/2, content-length" "${H2[@]}" -X POST --data-binary "@$GW_DIR/up.bin" \
  -w '\n%{http_code}' "$(url /v1/partners/bulk/sha)"
expect_eq "  answered 200" 200 "$(tail -1 "$GW_DIR/out")"
expect_eq "  the upstream got every byte" "$UP_SHA" "$(head -1 "$GW_DIR/out" | json sha256)"

# --- 100 MB up over HTTP/2, no declared length (chunked to the HTTP/1.1 upstream)
measured "100 MB up, HTTP/2, no length" "${H2[@]}" -X POST -T - -w '\n%{http_code}' \
  "$(url /v1/partners/bulk/sha)" <"$GW_DIR/up.bin"
expect_eq "  answered 200" 200 "$(tail -1 "$GW_DIR/out")"
expect_eq "  the upstream got every byte" "$UP_SHA" "$(head -1 "$GW_DIR/out" | json sha256)"

# --- 100 MB up over HTTP/1.1: declared length (after a 100 Continue), and chunked
H1=(curl -s --http1.1)
measured "100 MB up, HTTP/1.1, content-length" "${H1[@]}" -X POST --data-binary "@$GW_DIR/up.bin" \
  -w '\n%{http_code}' "$(url /v1/partners/bulk/sha)"
expect_eq "  answered 200" 200 "$(tail -1 "$GW_DIR/out")"
expect_eq "  the upstream got every byte" "$UP_SHA" "$(head -1 "$GW_DIR/out" | json sha256)"
measured "100 MB up, HTTP/1.1, chunked" "${H1[@]}" -X POST -T - -w '\n%{http_code}' \
  "$(url /v1/partners/bulk/sha)" <"$GW_DIR/up.bin"
expect_eq "  answered 200" 200 "$(tail -1 "$GW_DIR/out")"
expect_eq "  the upstream got every byte" "$UP_SHA" "$(head -1 "$GW_DIR/out" | json sha256)"

# --- 100 MB down, HTTP/2 and HTTP/1.1
DOWN_SHA=$(python3 -c 'import sys; sys.path.insert(0, sys.argv[1]); import stream_upstream as s, hashlib
print(hashlib.sha256(s.pattern_bytes(100000000)).hexdigest())' "$SRC/tests/integration")
down() { "$@" "$(url /v1/partners/bulk/big?bytes=100000000)" | sha256sum | cut -d' ' -f1; }
measured "100 MB down, HTTP/2" down "${H2[@]}"
expect_eq "  every byte" "$DOWN_SHA" "$(cat "$GW_DIR/out")"
measured "100 MB down, HTTP/1.1" down curl -s --http1.1
expect_eq "  every byte" "$DOWN_SHA" "$(cat "$GW_DIR/out")"

# --- a slow upstream reader holds the client back
head -c 60000000 "$GW_DIR/up.bin" >"$GW_DIR/up60.bin"
SLOW_SHA=$(sha256sum "$GW_DIR/up60.bin" | cut -d' ' -f1)
measured "60 MB up to a slow reader" "${H2[@]}" -X POST --data-binary "@$GW_DIR/up60.bin" -w '\n%{http_code}' \
  "$(url '/v1/partners/bulk/sha?delay_ms=5')"
expect_eq "  answered 200" 200 "$(tail -1 "$GW_DIR/out")"
expect_eq "  the upstream got every byte" "$SLOW_SHA" "$(head -1 "$GW_DIR/out" | json sha256)"

# --- over the route's limit (1,000,000 bytes): cut
head -c 2000000 "$GW_DIR/up.bin" >"$GW_DIR/up2.bin"
lines_before=$(wc -l <"$UP_LOG")
"${H2[@]}" -o /dev/null -X POST --data-binary "@$GW_DIR/up2.bin" "$(url /v1/partners/bulk2/sha)"
rc=$?
[ "$rc" -ne 0 ] && ok || bad "a declared 2 MB body over a 1 MB limit was not refused (curl exit $rc)"
"${H2[@]}" -o /dev/null -X POST -T - "$(url /v1/partners/bulk2/sha)" <"$GW_DIR/up2.bin"
rc=$?
[ "$rc" -ne 0 ] && ok || bad "an undeclared 2 MB body over a 1 MB limit was not cut (curl exit $rc)"
sleep 0.5 # (nothing to wait for: the upstream must NOT log a whole body)
expect_eq "  the upstream never got a whole body" "$lines_before" "$(wc -l <"$UP_LOG")"
head -c 900000 "$GW_DIR/up.bin" >"$GW_DIR/up09.bin"
status=$("${H2[@]}" -o "$GW_DIR/body" -w '%{http_code}' -X POST -T - "$(url /v1/partners/bulk2/sha)" \
  <"$GW_DIR/up09.bin")
expect_eq "  a body within the limit goes through" 200 "$status"
expect_eq "  whole" "$(sha256sum "$GW_DIR/up09.bin" | cut -d' ' -f1)" "$(field sha256)"

# --- HTTP/1.1: within the limit forwarded whole; a declared length over it 413 problem+json; chunked past it cut
status=$("${H1[@]}" -o "$GW_DIR/body" -w '%{http_code}' -X POST -T - "$(url /v1/partners/bulk2/sha)" \
  <"$GW_DIR/up09.bin")
expect_eq "HTTP/1.1, chunked within the limit" 200 "$status"
expect_eq "  whole" "$(sha256sum "$GW_DIR/up09.bin" | cut -d' ' -f1)" "$(field sha256)"
status=$("${H1[@]}" -o "$GW_DIR/body" -D "$GW_DIR/headers" -w '%{http_code}' -X POST --data-binary "@$GW_DIR/up2.bin" \
  "$(url /v1/partners/bulk2/sha)")
expect_eq "HTTP/1.1, declared length over the limit: 413" 413 "$status"
expect_eq "  a problem" "application/problem+json" "$(header content-type)"
lines_before=$(wc -l <"$UP_LOG")
"${H1[@]}" -o "$GW_DIR/body" -X POST -T - "$(url /v1/partners/bulk2/sha)" <"$GW_DIR/up2.bin"
rc=$?
[ "$rc" -ne 0 ] || ! grep -q '"sha256"' "$GW_DIR/body" && ok ||
  bad "HTTP/1.1: a chunked 2 MB body over a 1 MB limit went through"
sleep 0.5
expect_eq "  the upstream never got a whole body" "$lines_before" "$(wc -l <"$UP_LOG")"

status=$("${H2[@]}" -o /dev/null -w '%{http_code}' "$(url /healthz)")
expect_eq "the gateway still answers" 200 "$status"
rm -f "$GW_DIR"/up*.bin
finish

#!/usr/bin/env bash
# HTTP/1.1 request smuggling (issue 19, item 4): tests/integration/http1_smuggling.py's battery against a real gateway,
# on the cleartext listener (HTTP/1.1, and h2c prior knowledge for the HTTP/2 cases) and on the TLS one (ALPN
# http/1.1 and h2). Every ambiguous framing (Content-Length with Transfer-Encoding, two Content-Lengths, a coding other
# than "chunked", obs-fold, bare LF or CR, bad chunk sizes or extensions, Transfer-Encoding in HTTP/1.0, NUL) gets
# exactly one 400 and the connection closed, and the request pipelined behind it is never answered; well-framed
# requests (including one whose body holds a whole request) are one request each; HTTP/2 requests with
# connection-specific headers or a content-length that disagrees with their DATA are refused (RST_STREAM
# PROTOCOL_ERROR from h2o, or cong's 400 connection-specific-header). No hidden request reaches cong.
# Third_party/h2o-patches/0007 is what makes the HTTP/1.1 cases pass. About 5 s.
source "$(dirname "$0")/lib.sh"

BATTERY=$SRC/tests/integration/http1_smuggling.py
# The idle timeout far above the battery's per-case bound (5 s): a connection the battery sees closed was closed by
# the refusal, not by the idle timer. Rate limits out of reach: the battery makes ~150 requests per listener.
start_gateway CONG_SERVER_IDLE_TIMEOUT_MS=30000 CONG_RATE_LIMITS_DEFAULT_PER_MINUTE=100000 \
  CONG_RATE_LIMITS_DEFAULT_BURST=100000 || { finish; exit 1; }

# run_battery LABEL ARGS...: one check per case line, and the number of cases, so that a battery that ran nothing fails
run_battery() {
  local label=$1 out cases
  shift
  out=$(python3 "$BATTERY" --timeout 5 "$@" 2>&1)
  cases=$(grep -cv '^summary' <<<"$out")
  expect_match "$label: the battery ran (its summary line)" '^summary cases_failed=' "$(tail -1 <<<"$out")"
  expect_eq "$label: number of cases" "$EXPECTED_CASES" "$cases"
  while read -r name expect got verdict; do
    if [ "$verdict" = ok ]; then ok; else bad "$label: $name (expected $expect): got $got"; fi
  done < <(grep -v '^summary' <<<"$out" | awk '{ v = $NF; $NF = ""; print $1, $2, $3, v }')
  echo "$out" >"$GW_DIR/battery.$label.txt"
  [ -z "${SMUGGLING_TABLE:-}" ] || echo "$out" >"$SMUGGLING_TABLE.$label"
}
EXPECTED_CASES=$(python3 -c 'import sys; sys.path.insert(0, sys.argv[1]); import http1_smuggling as b
print(len(b.http1_cases("/", "h")) + len(b.h2_cases("/", "h", "http")))' "$SRC/tests/integration")

run_battery cleartext --port "$H2C_PORT"
run_battery tls --port "$TLS_PORT" --tls

# cong answered the HTTP/2 connection-specific headers that h2o lets through, with its problem type
for label in cleartext tls; do
  for name in h2-keep-alive h2-proxy-connection; do
    expect_eq "$label: $name answered by cong" "400/cong:connection-specific-header" \
      "$(awk -v n="$name" '$1 == n { print $3 }' "$GW_DIR/battery.$label.txt")"
  done
done

# no hidden request reached cong's handlers
expect_no_match "no smuggled request in the access log" 'smuggled' "$(cat "$GW_DIR/access.log")"
expect_eq "gateway alive after the battery" "200" "$(h2c -o /dev/null -w '%{http_code}' "$(url /healthz)")"
finish

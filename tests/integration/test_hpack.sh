#!/usr/bin/env bash
# HPACK on a long-lived connection (h2o patch 0005), spoken by nghttp2 clients (curl, nghttp), which send
# "authorization" as a never-indexed, Huffman-coded literal on every request:
#   1. one connection carries tokens A, A, B, A, A' (A with one signature character changed: same length, different
#      bytes), B, A: every answer is its own token's (the right subject; 401 for A'), so the per-connection memo of the
#      last decoded value never answers for other bytes;
#   2. 100 requests on one connection: after the first, no response HEADERS frame is longer than 150 bytes. The
#      request id and the rate-limit counters go out without indexing, so the stable headers stay in the client's
#      table (indexed, they pushed them out every ~20 responses, which then came back as 200+ byte frames).
source "$(dirname "$0")/lib.sh"

command -v nghttp >/dev/null || { bad "nghttp is not installed (nghttp2-client)"; finish; exit 1; }
# Alice makes 104 requests in a few seconds: a burst far above that, whatever the machine's speed (the default burst
# of 100 let this pass only where the machine was slow enough for tokens to refill). Subjects of this run only: a
# re-run on the same Redis starts from full buckets.
start_gateway CONG_RATE_LIMITS_DEFAULT_PER_MINUTE=600 CONG_RATE_LIMITS_DEFAULT_BURST=10000 || { finish; exit 1; }
RUN_ID=$$-$(date +%s%N)

A=$(token --sub "hpack-alice-$RUN_ID" --scope ping --acr 2 --ttl 600)
B=$(token --sub "hpack-bob-$RUN_ID" --scope ping --acr 2 --ttl 600)
# A': the 10th character from the end (inside the signature) replaced
pos=$((${#A} - 10)) c=${A:$pos:1}
if [ "$c" = Q ]; then r=R; else r=Q; fi
A2=${A:0:$pos}$r${A:$((pos + 1))}
expect_eq "A' is as long as A" "${#A}" "${#A2}"

# ---- 1. one connection, tokens that differ ------------------------------------------------------------------------
# Over TLS (ALPN h2), as the app connects: curl 7.88 does not reuse a prior-knowledge h2c connection for a second
# transfer (it answers 000 without sending), whatever the server.
tokens=("$A" "$A" "$B" "$A" "$A2" "$B" "$A")
want=("hpack-alice-$RUN_ID" "hpack-alice-$RUN_ID" "hpack-bob-$RUN_ID" "hpack-alice-$RUN_ID" 401 "hpack-bob-$RUN_ID"
  "hpack-alice-$RUN_ID")
args=()
for i in "${!tokens[@]}"; do
  [ "$i" -gt 0 ] && args+=(--next)
  args+=(-s --http2 --cacert "$RUN/tls/cert.pem" --max-time 10 -H "authorization: Bearer ${tokens[$i]}"
    -o "$GW_DIR/r$i" -w '%{http_code} %{num_connects}\n' "https://127.0.0.1:$TLS_PORT/v1/ping")
done
curl "${args[@]}" >"$GW_DIR/codes"
expect_eq "all seven requests on one connection" 1 "$(awk '{ n += $2 } END { print n }' "$GW_DIR/codes")"
for i in "${!tokens[@]}"; do
  code=$(sed -n "$((i + 1))p" "$GW_DIR/codes" | cut -d' ' -f1)
  if [ "${want[$i]}" = 401 ]; then
    expect_eq "request $i (A'): refused" 401 "$code"
    expect_match "request $i (A'): a problem body" '"type"' "$(cat "$GW_DIR/r$i")"
  else
    expect_eq "request $i: 200" 200 "$code"
    got=$(python3 -S -c 'import json,sys; print(json.load(open(sys.argv[1]))["principal"]["subject"])' "$GW_DIR/r$i" 2>/dev/null)
    expect_eq "request $i: its own token's subject" "${want[$i]}" "$got"
  fi
done

# ---- 2. response headers stay small on a long connection ----------------------------------------------------------
nghttp -v -m 100 -H "authorization: Bearer $A" "$(url /v1/ping)" >"$GW_DIR/nghttp.txt" 2>&1
sizes=$(grep 'recv HEADERS frame' "$GW_DIR/nghttp.txt" | sed 's/.*length=\([0-9]*\).*/\1/')
expect_eq "100 responses" 100 "$(wc -l <<<"$sizes" | tr -d ' ')"
expect_eq "all 200" 100 "$(grep -c 'recv (stream_id=[0-9]*) :status: 200' "$GW_DIR/nghttp.txt")"
largest=$(tail -n +2 <<<"$sizes" | sort -n | tail -1)
if [ -n "$largest" ] && [ "$largest" -le 150 ]; then ok; else
  bad "responses 2..100: largest HEADERS frame is $largest bytes (want <= 150): $(tr '\n' ' ' <<<"$sizes")"
fi
ids=$(grep -o 'x-request-id: [0-9a-f]*' "$GW_DIR/nghttp.txt" | sort -u | wc -l)
expect_eq "100 distinct request ids decoded by the client" 100 "$ids"

finish

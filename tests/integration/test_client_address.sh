#!/usr/bin/env bash
# The client address behind the city's load balancers: X-Forwarded-For / Forwarded only from a trusted proxy, the
# PROXY protocol when configured; per-address rate limits, and the failed-authentication budget, are keyed on it.
source "$(dirname "$0")/lib.sh"
rc() { redis-cli -h 127.0.0.1 -p "$REDIS_PORT" "$@"; }
anon() { h2c -o /dev/null -w '%{http_code}' "$@" "$(url '/v1/procedures?q=khai+sinh')"; }
A=198.51.100.$((RANDOM % 100 + 1)) B=203.0.113.$((RANDOM % 100 + 1))

# Not trusted: the headers are the client's own words.
start_gateway || exit 1
expect_eq "anonymous read" "200" "$(anon -H "x-forwarded-for: $A")"
expect_eq "untrusted X-Forwarded-For ignored" "0" "$(rc exists "cong:rl:default:ip:$A")"
expect_eq "keyed on the peer" "1" "$(rc exists "cong:rl:default:ip:127.0.0.1")"
stop_gateway

# Trusted: the rightmost untrusted hop; a spoofed hop on the left changes nothing.
start_gateway CONG_SERVER_TRUSTED_PROXIES=127.0.0.0/8 CONG_RATE_LIMITS_DEFAULT_BURST=3 \
  CONG_RATE_LIMITS_DEFAULT_PER_MINUTE=1 || exit 1
codes=""
for i in 1 2 3 4; do codes+="$(anon -H "x-forwarded-for: 6.6.6.$i, $A") "; done
expect_eq "one budget per forwarded client, whatever it writes on the left" "200 200 200 429 " "$codes"
expect_eq "another client keeps its own budget" "200" "$(anon -H "forwarded: for=\"$B:1234\";proto=https")"
expect_eq "Forwarded keyed on its for=" "1" "$(rc exists "cong:rl:default:ip:$B")"
stop_gateway

# Failed authentications: a budget per client address ("auth_failure" class). Once spent, refusals are 429, and a
# token this worker has never verified is refused without an ES256 verification; tokens it knows keep working.
# One worker, so that "this worker knows" is the worker every request reaches.
start_gateway CONG_SERVER_WORKERS=1 CONG_SERVER_TRUSTED_PROXIES=127.0.0.0/8 CONG_RATE_LIMITS_AUTH_FAILURE_BURST=3 \
  CONG_RATE_LIMITS_AUTH_FAILURE_PER_MINUTE=1 || exit 1
F=198.51.100.$((RANDOM % 100 + 101)) G=203.0.113.$((RANDOM % 100 + 101))
KNOWN=$(token --sub "citizen-known-$RANDOM" --scope ping)
FRESH=$(token --sub "citizen-fresh-$RANDOM" --scope ping)
# a signature character changed to another, away from the end (the last one carries padding bits a decoder may ignore)
C=${KNOWN: -10:1}
BAD="${KNOWN:0:${#KNOWN}-10}$([ "$C" = A ] && echo B || echo A)${KNOWN: -9}"
ping_from() { h2c -o "$GW_DIR/ping.out" -D "$GW_DIR/ping.h" -w '%{http_code}' -H "x-forwarded-for: $1" -H "authorization: Bearer $2" "$(url /v1/ping)"; }
expect_eq "a known token, before" "200" "$(ping_from "$F" "$KNOWN")"
codes=""
for i in 1 2 3 4 5; do codes+="$(ping_from "$F" "$BAD") "; done
expect_eq "three failures, then the address's budget is spent" "401 401 401 429 429 " "$codes"
expect_match "429 says when to retry" "retry-after: [0-9]+" "$(tr -d '\r' <"$GW_DIR/ping.h" | tr 'A-Z' 'a-z')"
expect_match "and why (vi by default)" "lần xác thực thất bại" "$(cat "$GW_DIR/ping.out")"
expect_eq "a never-seen token from that address: refused unverified" "429" "$(ping_from "$F" "$FRESH")"
expect_eq "the known token still works from that address" "200" "$(ping_from "$F" "$KNOWN")"
expect_eq "another address is not affected" "200" "$(ping_from "$G" "$FRESH")"
expect_eq "counted per address in Redis" "1" "$(rc exists "cong:rl:auth_failure:ip:$F")"
stop_gateway

# PROXY protocol v1: the load balancer's first line names the client.
start_gateway CONG_SERVER_PROXY_PROTOCOL=1 || exit 1
C=192.0.2.$((RANDOM % 100 + 1))
reply=$(python3 - "$H2C_PORT" "$C" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
s.sendall(("PROXY TCP4 %s 127.0.0.1 40000 %s\r\n" % (sys.argv[2], sys.argv[1])).encode()
          + b"GET /v1/procedures?q=khai+sinh HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
data = b""
while True:
    chunk = s.recv(65536)
    if not chunk:
        break
    data += chunk
print(data.split(b"\r\n", 1)[0].decode())
PY
)
expect_match "served after the PROXY line" "^HTTP/1.1 200" "$reply"
expect_eq "keyed on the PROXY line's client" "1" "$(rc exists "cong:rl:default:ip:$C")"
finish

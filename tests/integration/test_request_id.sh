#!/usr/bin/env bash
# Request ids: a valid X-Request-Id is kept, an invalid one replaced, a W3C traceparent's trace id is used, and the id
# is echoed in the response, the problem's instance and the access log (which never holds a token).
source "$(dirname "$0")/lib.sh"
start_gateway || exit 1

h=$(h2c -D - -o /dev/null -H 'x-request-id: app-7f3a.01' "$(url /healthz)")
expect_match "valid id echoed" "x-request-id: app-7f3a.01" "$h"

h=$(h2c -D - -o /dev/null -H 'x-request-id: bad id <script>' "$(url /healthz)")
expect_match "invalid id replaced" "x-request-id: [0-9a-f]{32}" "$h"
expect_no_match "invalid id not echoed" "script" "$h"

tp="00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
h=$(h2c -D - -o /dev/null -H "traceparent: $tp" "$(url /healthz)")
expect_match "traceparent trace id" "x-request-id: 4bf92f3577b34da6a3ce929d0e0e4736" "$h"
h=$(h2c -D - -o /dev/null -H "traceparent: 00-00000000000000000000000000000000-00f067aa0ba902b7-01" "$(url /healthz)")
expect_no_match "all-zero trace id refused" "x-request-id: 0{32}" "$h"

body=$(h2c -H 'x-request-id: trace-me-123' "$(url /missing)")
expect_eq "problem instance" "trace-me-123" "$(echo "$body" | json instance)"

T=$(token --sub sub-for-log --scope ping --acr 1)
h2c -o /dev/null -H "authorization: Bearer $T" -H 'x-request-id: logged-1' "$(url /v1/ping)"
logged() { grep -q '"logged-1"' "$GW_DIR/access.log" 2>/dev/null; }
wait_until 10 logged || bad "no access log line for request logged-1 after 10 s"
line=$(grep '"logged-1"' "$GW_DIR/access.log")
expect_match "access log line" '"route":"/v1/ping","status":200' "$line"
expect_match "pseudonymous subject" '"subject":"[0-9a-f]{16}"' "$line"
expect_no_match "no subject in clear" "sub-for-log" "$(cat "$GW_DIR/access.log")"
expect_no_match "no token in logs" "${T:0:40}" "$(cat "$GW_DIR/access.log" "$GW_DIR/stderr")"
python3 -S -c 'import json,sys; [json.loads(l) for l in open(sys.argv[1])]' "$GW_DIR/access.log" && ok || bad "access log is JSON lines"

finish

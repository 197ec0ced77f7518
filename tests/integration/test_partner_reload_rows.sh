#!/usr/bin/env bash
# What a SIGHUP reload of partner routes does to /metrics and /openapi.json (gateway/upstream/route_rows.c,
# gateway/openapi_doc.c): each partner route counts in its own per-route row (method and template), a route added by a
# reload gets its own row, a route kept across reloads keeps its counts (a counter never goes backwards); an upstream
# added with an OpenAPI fragment puts its paths in /openapi.json, and a reload with a broken fragment is refused with
# FILE:LINE while the document served stays.
source "$(dirname "$0")/lib.sh"

read -r A_PORT <<<"$(free_ports 1)"
"$BUILD/upstream-standin" --port "$A_PORT" --name svc-a --log "$GW_DIR/upstream.log" 2>"$GW_DIR/svc-a.stderr" &
EXTRA_PIDS+=($!)
wait_until 10 curl -s -o /dev/null "http://127.0.0.1:$A_PORT/ready" || bad "stand-in did not start"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$GW_DIR/cong-signing.pem" 2>/dev/null
head -c 48 /dev/urandom >"$GW_DIR/subject-secret"

cat >"$GW_DIR/gas.yaml" <<'YAML'
paths:
  /v1/partners/gas/meters/{id}:
    get:
      operationId: gas_meter_get
      summary: "Công tơ ga / Gas meter"
      responses:
        "200": {description: "Công tơ / The meter"}
YAML
# write_config EXTRA-UPSTREAMS EXTRA-ROUTES — atomically (a SIGHUP never reads half a file)
write_config() {
  cat >"$GW_DIR/cong.yaml.new" <<YAML
upstreams:
  - name: up-water
    targets: [{address: "127.0.0.1:$A_PORT"}]
    partner: {name: water}
$1
partner_routes:
  - {method: GET, path: "/v1/partners/water/echo/{what}", upstream: up-water, auth: none}
$2
YAML
  mv "$GW_DIR/cong.yaml.new" "$GW_DIR/cong.yaml"
}
wait_log() { # COUNT PATTERN — until the gateway's stderr holds COUNT lines matching PATTERN (at most 20 s)
  for _ in $(seq 1 200); do
    [ "$(grep -c -E "$2" "$GW_DIR/stderr")" -ge "$1" ] && return 0
    sleep 0.1
  done
  return 1
}
metrics() { curl -s "$(admin_url /metrics)"; }
row() { # METHOD TEMPLATE — the 200 count of the route's own row ("" when absent)
  metrics | grep -F "cong_requests_total{method=\"$1\",route=\"$2\",status=\"200\"}" | awk '{print $2}'
}
answers() { [ "$(call "" GET "$1")" = "$2" ]; }
openapi_has() { curl -s "$(url /openapi.json)" | grep -q -F "\"$1\""; }

write_config "" ""
start_gateway CONG_AUTH_SIGNING_KEY_FILE="$GW_DIR/cong-signing.pem" \
  CONG_AUTH_SUBJECT_SECRET_FILE="$GW_DIR/subject-secret" \
  CONG_RATE_LIMITS_DEFAULT_BURST=100000 CONG_RATE_LIMITS_DEFAULT_PER_MINUTE=10000000 || exit 1

for i in 1 2 3; do expect_eq "before ($i): the route answers" 200 "$(call "" GET "/v1/partners/water/echo/$i")"; done
counts() { [ "$(row GET "$1")" = "$2" ]; }
wait_until 5 counts '/v1/partners/water/echo/{what}' 3 ||
  bad "the route's own row does not count 3: $(metrics | grep partners)"
expect_eq "no catch-all row while every route has its own" "" "$(row '*' '/v1/partners/*')"
expect_eq "the route's row" 3 "$(row GET '/v1/partners/water/echo/{what}')"
openapi_has "/v1/partners/gas/meters/{id}" && bad "the fragment is served before its upstream came" || ok

# Reload: a new upstream with a fragment, and its route.
write_config "  - name: up-gas
    targets: [{address: \"127.0.0.1:$A_PORT\"}]
    partner: {name: gas}
    openapi: \"$GW_DIR/gas.yaml\"" \
  "  - {method: GET, path: \"/v1/partners/gas/meters/{id}\", upstream: up-gas, auth: none}"
kill -HUP "$GW_PID"
wait_log 1 "reloaded \(generation 1\)" || bad "no reload logged: $(tail -5 "$GW_DIR/stderr")"
wait_until 5 answers /v1/partners/gas/meters/7 200 || bad "the new route does not answer"
call "" GET /v1/partners/gas/meters/8 >/dev/null
wait_until 5 counts '/v1/partners/gas/meters/{id}' 2 && ok ||
  bad "the new route has no row of its own with its 2 requests: $(metrics | grep partners)"
expect_eq "after: the kept route's counter did not reset" 3 "$(row GET '/v1/partners/water/echo/{what}')"
call "" GET /v1/partners/water/echo/4 >/dev/null
wait_until 5 counts '/v1/partners/water/echo/{what}' 4 && ok || bad "the kept route's row does not go on counting"
openapi_has "/v1/partners/gas/meters/{id}" && ok || bad "/openapi.json lacks the new upstream's fragment"
openapi_has "gas_meter_get" && ok || bad "/openapi.json lacks the fragment's operation"

# A broken fragment: the whole reload refused with FILE:LINE; the document and the routes stay.
printf 'paths:\n  /v1/partners/gas/meters/{id}:\n    get: [unclosed\n' >"$GW_DIR/gas-broken.yaml"
write_config "  - name: up-gas
    targets: [{address: \"127.0.0.1:$A_PORT\"}]
    partner: {name: gas}
    openapi: \"$GW_DIR/gas-broken.yaml\"
  - name: up-oil
    targets: [{address: \"127.0.0.1:$A_PORT\"}]
    partner: {name: oil}" "  - {method: GET, path: \"/v1/partners/gas/meters/{id}\", upstream: up-gas, auth: none}
  - {method: GET, path: \"/v1/partners/oil/x\", upstream: up-oil, auth: none}"
kill -HUP "$GW_PID"
wait_log 1 "reload refused: .*gas-broken.yaml:[0-9]+" ||
  bad "the broken fragment was not refused with FILE:LINE: $(tail -3 "$GW_DIR/stderr")"
openapi_has "gas_meter_get" && ok || bad "a refused reload changed /openapi.json"
expect_eq "  the route of the refused file is not there" 404 "$(call "" GET /v1/partners/oil/x)"
expect_eq "  the routes in force still answer" 200 "$(call "" GET /v1/partners/gas/meters/9)"

# Reload removing the gas route: its row stays with its counts (a series never goes backwards), the fragment goes.
wait_until 5 counts '/v1/partners/gas/meters/{id}' 3 || bad "the gas route's row does not count 3"
write_config "" ""
kill -HUP "$GW_PID"
wait_log 1 "reloaded \(generation 2\)" || bad "the third reload was not logged: $(tail -5 "$GW_DIR/stderr")"
wait_until 5 answers /v1/partners/gas/meters/1 404 || bad "the removed route still answers"
expect_eq "a removed route's row keeps its counts" 3 "$(row GET '/v1/partners/gas/meters/{id}')"
openapi_has "gas_meter_get" && bad "the removed upstream's fragment is still served" || ok
expect_eq "still no catch-all row" "" "$(row '*' '/v1/partners/*')"
finish

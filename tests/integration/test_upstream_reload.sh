#!/usr/bin/env bash
# SIGHUP reloads partners' upstreams and routes (gateway/upstream/proxy_gen.c), with no restart: a reload that adds an
# upstream and a route (the new route answers), moves an upstream to another target (traffic follows), removes a route
# (404 problem afterwards) — while a slow request begun before it completes with 200 on the upstream it started with;
# /metrics follows the new set and keeps the counters and ejection of a target that stayed; no request fails across a
# reload under load. A reload with a syntax error and one with a semantic error (a route to no upstream) are refused
# with FILE:LINE in the log and the old routes keep serving.
source "$(dirname "$0")/lib.sh"

read -r A_PORT B_PORT DEAD_PORT <<<"$(free_ports 3)" # DEAD_PORT: nothing listens there
for spec in "svc-a $A_PORT" "svc-b $B_PORT"; do
  read -r name port <<<"$spec"
  "$BUILD/upstream-standin" --port "$port" --name "$name" --log "$GW_DIR/upstream.log" 2>"$GW_DIR/$name.stderr" &
  EXTRA_PIDS+=($!)
done
for port in "$A_PORT" "$B_PORT"; do
  wait_until 10 curl -s -o /dev/null "http://127.0.0.1:$port/ready" || bad "stand-in on $port did not start"
done
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$GW_DIR/cong-signing.pem" 2>/dev/null
head -c 48 /dev/urandom >"$GW_DIR/subject-secret"

# write_config TARGET-OF-up-main EXTRA-UPSTREAMS EXTRA-ROUTES — atomically (a SIGHUP never reads half a file)
write_config() {
  cat >"$GW_DIR/cong.yaml.new" <<YAML
upstreams:
  - name: up-main
    targets: [{address: "127.0.0.1:$1"}]
    limits: {max_concurrent: 64, max_queued: 0, first_byte_timeout_ms: 20000, total_timeout_ms: 30000}
    partner: {name: water}
  - name: up-eject
    targets: [{address: "127.0.0.1:$DEAD_PORT"}, {address: "127.0.0.1:$B_PORT"}]
    limits: {connect_timeout_ms: 500}
    retries: {budget_ratio: 0, min_per_s: 0}
    outlier: {consecutive_failures: 1, base_ejection_ms: 600000, max_ejection_percent: 50}
    partner: {name: eject}
$2
partner_routes:
  - {method: GET, path: "/v1/partners/water/echo/{what}", upstream: up-main, auth: none}
  - {method: GET, path: "/v1/partners/eject/{what}", upstream: up-eject, auth: none}
$3
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
name_of() { python3 -S -c 'import json,sys; print(json.load(open(sys.argv[1])).get("name", ""))' "$1" 2>/dev/null; }
metrics() { curl -s "$(admin_url /metrics)"; }
answers() { [ "$(call "" GET "$1")" = "$2" ]; }

write_config "$A_PORT" "" "  - {method: GET, path: \"/v1/partners/water/old\", upstream: up-main, auth: none}"
start_gateway CONG_AUTH_SIGNING_KEY_FILE="$GW_DIR/cong-signing.pem" \
  CONG_AUTH_SUBJECT_SECRET_FILE="$GW_DIR/subject-secret" \
  CONG_RATE_LIMITS_DEFAULT_BURST=100000 CONG_RATE_LIMITS_DEFAULT_PER_MINUTE=10000000 || exit 1

expect_eq "before: the route answers" 200 "$(call "" GET /v1/partners/water/echo/x)"
expect_eq "  from svc-a" svc-a "$(name_of "$GW_DIR/body")"
expect_eq "before: the route to be removed answers" 200 "$(call "" GET /v1/partners/water/old)"
expect_eq "before: the route to be added is not there" 404 "$(call "" GET /v1/partners/water2/hello)"

# A dead target ejected (for 10 minutes) before the reload: it must stay ejected after it.
ejected() { curl -s "$(admin_url /metrics)" | grep -q "^cong_upstream_target_state{upstream=\"up-eject\",target=\"127.0.0.1:$DEAD_PORT\",state=\"ejected\"} 1"; }
for i in 1 2 3; do call "" GET "/v1/partners/eject/$i" >/dev/null; done
wait_until 5 ejected && ok || bad "the dead target was not ejected"

# A slow request under way across the reload (svc-a answers after 6 s).
curl -s --http2-prior-knowledge --max-time 20 -o "$GW_DIR/slow.body" -w '%{http_code}' \
  "$(url '/v1/partners/water/echo/slow?delay_ms=6000')" >"$GW_DIR/slow.status" &
SLOW=$!
wait_until 10 sh -c "curl -s '$(admin_url /metrics)' | grep -q '^cong_upstream_active{upstream=\"up-main\"} 1'" ||
  bad "the slow request did not start"

# Reload: up-main moves to svc-b, up-new (svc-a) and its route come, /v1/partners/water/old goes.
write_config "$B_PORT" "  - name: up-new
    targets: [{address: \"127.0.0.1:$A_PORT\"}]
    partner: {name: water2}" "  - {method: GET, path: \"/v1/partners/water2/hello\", upstream: up-new, auth: none}"
kill -HUP "$GW_PID"
wait_log 1 "reloaded \(generation 1\)" || bad "no reload logged: $(tail -5 "$GW_DIR/stderr")"
expect_eq "the slow request still under way at the reload" running "$(kill -0 "$SLOW" 2>/dev/null && echo running)"
ejected && ok || bad "the reload forgot the dead target's ejection"
expect_match "the change logged as applied" "upstreams or partner_routes changed: new requests use them now" \
  "$(cat "$GW_DIR/stderr")"
wait_until 5 answers /v1/partners/water2/hello 200 || bad "the new route does not answer"
expect_eq "after: the new route answers" 200 "$(call "" GET /v1/partners/water2/hello)"
expect_eq "  from the new upstream (svc-a)" svc-a "$(name_of "$GW_DIR/body")"
wait_until 5 answers /v1/partners/water/old 404 || bad "the removed route still answers"
expect_eq "after: the removed route is gone" 404 "$(call "" GET /v1/partners/water/old)"
expect_match "  as a problem" "application/problem\+json" "$(header content-type)"
for i in 1 2 3 4; do # every worker: h2c connections land on either
  expect_eq "after ($i): traffic moved to svc-b" "200 svc-b" \
    "$(call "" GET "/v1/partners/water/echo/$i") $(name_of "$GW_DIR/body")"
done
wait "$SLOW"
expect_eq "the slow request begun before the reload completed" 200 "$(cat "$GW_DIR/slow.status")"
expect_eq "  on the upstream it started with" svc-a "$(name_of "$GW_DIR/slow.body")"

M=$(metrics)
expect_match "metrics: the new upstream" "cong_upstream_requests_total\{upstream=\"up-new\",target=\"127.0.0.1:$A_PORT\",outcome=\"2xx\"\} [1-9]" "$M"
expect_match "metrics: up-main's new target" "cong_upstream_requests_total\{upstream=\"up-main\",target=\"127.0.0.1:$B_PORT\",outcome=\"2xx\"\} [1-9]" "$M"
expect_no_match "metrics: up-main's old target gone" "upstream=\"up-main\",target=\"127.0.0.1:$A_PORT\"" "$M"

# up-new gets a second target and active checks: the target it had keeps its counters (a reload restarts no
# counter), and the checks probe both.
before=$(metrics | sed -n "s/^cong_upstream_requests_total{upstream=\"up-new\",target=\"127.0.0.1:$A_PORT\",outcome=\"2xx\"} //p")
write_config "$B_PORT" "  - name: up-new
    targets: [{address: \"127.0.0.1:$A_PORT\"}, {address: \"127.0.0.1:$B_PORT\"}]
    health: {path: /healthz, interval_ms: 200, timeout_ms: 150}
    partner: {name: water2}" "  - {method: GET, path: \"/v1/partners/water2/hello\", upstream: up-new, auth: none}"
kill -HUP "$GW_PID"
wait_log 1 "reloaded \(generation 2\)" || bad "second reload not logged"
wait_until 5 sh -c "curl -s '$(admin_url /metrics)' | grep -q 'upstream=\"up-new\",target=\"127.0.0.1:$B_PORT\"'" ||
  bad "the new target is not in /metrics"
after=$(metrics | sed -n "s/^cong_upstream_requests_total{upstream=\"up-new\",target=\"127.0.0.1:$A_PORT\",outcome=\"2xx\"} //p")
expect_eq "a target that stayed keeps its counters" "$before" "$after"
checked() { curl -s "$(admin_url /metrics)" | grep -q -E "^cong_upstream_health_checks_total\{upstream=\"up-new\",target=\"127.0.0.1:$1\",result=\"pass\"\} [1-9]"; }
wait_until 10 checked "$B_PORT" && wait_until 10 checked "$A_PORT" && ok ||
  bad "active health checks do not follow the reloaded upstream: $(metrics | grep health_checks)"

# Under load: a reload (up-main's limits: a new generation, same target) while h2load runs (32 streams at once, under
# max_concurrent); not one request fails.
if command -v h2load >/dev/null; then
  logged=$(wc -l <"$GW_DIR/access.log")
  h2load -n 6000 -c 4 -m 8 "$(url /v1/partners/water/echo/load)" >"$GW_DIR/h2load.out" 2>&1 &
  LOAD=$!
  wait_until 20 sh -c "[ \$(wc -l <'$GW_DIR/access.log') -ge $((logged + 300)) ]" || bad "the load did not start"
  cp "$GW_DIR/cong.yaml" "$GW_DIR/cong.yaml.new"
  sed -i 's/max_concurrent: 64/max_concurrent: 65/' "$GW_DIR/cong.yaml.new"
  mv "$GW_DIR/cong.yaml.new" "$GW_DIR/cong.yaml"
  kill -HUP "$GW_PID"
  wait_log 1 "reloaded \(generation 3\)" || bad "the reload under load was not logged"
  expect_eq "the load was still running at the reload" running "$(kill -0 "$LOAD" 2>/dev/null && echo running)"
  wait "$LOAD"
  expect_match "no failed request across the reload" "6000 succeeded, 0 failed, 0 errored" "$(cat "$GW_DIR/h2load.out")"
  expect_match "  all 2xx" "status codes: 6000 2xx, 0 3xx, 0 4xx, 0 5xx" "$(cat "$GW_DIR/h2load.out")"
else
  bad "h2load is not installed (nghttp2-client)"
fi

# A syntax error: refused with FILE:LINE, nothing changes.
cp "$GW_DIR/cong.yaml" "$GW_DIR/cong.yaml.good"
printf 'upstreams:\n  - name: up-main\n    targets: [{address: "127.0.0.1:1"}\n' >"$GW_DIR/cong.yaml"
kill -HUP "$GW_PID"
wait_log 1 "reload refused: .*cong.yaml:[0-9]+" || bad "syntax error not refused with its line: $(tail -3 "$GW_DIR/stderr")"
expect_eq "after a refused reload: the routes still answer" "200 svc-b" \
  "$(call "" GET /v1/partners/water/echo/y) $(name_of "$GW_DIR/body")"

# A semantic error: a route to no upstream — refused whole (the new upstream in the same file does not come either).
write_config "$A_PORT" "  - name: up-other
    targets: [{address: \"127.0.0.1:$A_PORT\"}]
    partner: {name: water3}" "  - {method: GET, path: \"/v1/partners/water3/x\", upstream: up-missing, auth: none}"
kill -HUP "$GW_PID"
wait_log 1 "reload refused: .*cong.yaml:[0-9]+: partner_routes\[2\]\.upstream: no upstream of that name" ||
  bad "semantic error not refused with its line: $(tail -3 "$GW_DIR/stderr")"
expect_eq "after a refused reload: up-main still on svc-b" "200 svc-b" \
  "$(call "" GET /v1/partners/water/echo/z) $(name_of "$GW_DIR/body")"
expect_eq "  and the route of the refused file is not there" 404 "$(call "" GET /v1/partners/water3/x)"
expect_eq "reloads accepted: 3 (the log)" 3 "$(grep -c -E "reloaded \(generation" "$GW_DIR/stderr")"
finish

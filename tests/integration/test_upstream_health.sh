#!/usr/bin/env bash
# Active health checks of partners' upstreams (gateway/upstream/health_check.c), against two tools/upstream_standin
# targets behind one round-robin upstream: a target whose health path answers 503 is taken out after
# unhealthy_threshold probes and no client request reaches it any more (the stand-in's own record of arrivals); told
# to recover, it comes back after healthy_threshold probes and gets traffic again. A target ejected by passive
# outlier detection with a long ejection (60 s) comes back as soon as the checks see it well (a dead port where a
# stand-in is started later); without active checks, an ejection simply ends with its time (3 s) and the target
# serves again. The state and the probes' results in /metrics by upstream and target. Only one
# worker probes: the probes' rate matches one prober, not one per worker.
source "$(dirname "$0")/lib.sh"

read -r A_PORT B_PORT C_PORT D_PORT <<<"$(free_ports 4)" # C, D: nothing listens there until the recovery parts
UP_LOG="$GW_DIR/upstream.log"
: >"$UP_LOG"
standin() { "$BUILD/upstream-standin" --port "$2" --name "$1" --log "$UP_LOG" 2>"$GW_DIR/$1.stderr" & EXTRA_PIDS+=($!); }
standin hc-a "$A_PORT"
standin hc-b "$B_PORT"
for port in "$A_PORT" "$B_PORT"; do
  wait_until 10 curl -s -o /dev/null "http://127.0.0.1:$port/ready" || bad "stand-in on $port did not start"
done

cat >"$GW_DIR/cong.yaml" <<YAML
upstreams:
  - name: hc-pair
    targets: [{address: "127.0.0.1:$A_PORT"}, {address: "127.0.0.1:$B_PORT"}]
    health: {path: /healthz, interval_ms: 200, timeout_ms: 150, healthy_threshold: 2, unhealthy_threshold: 2}
    outlier: {consecutive_failures: 0}
    partner: {name: hc}
  - name: hc-late
    targets: [{address: "127.0.0.1:$A_PORT"}, {address: "127.0.0.1:$C_PORT"}]
    health: {path: /healthz, interval_ms: 1000, timeout_ms: 500, healthy_threshold: 2, unhealthy_threshold: 100}
    limits: {connect_timeout_ms: 100}
    retries: {budget_ratio: 1.0, min_per_s: 100}
    outlier: {consecutive_failures: 1, base_ejection_ms: 60000, max_ejection_percent: 50}
    partner: {name: hclate}
  - name: hc-time
    targets: [{address: "127.0.0.1:$A_PORT"}, {address: "127.0.0.1:$D_PORT"}]
    limits: {connect_timeout_ms: 100}
    retries: {budget_ratio: 1.0, min_per_s: 100}
    outlier: {consecutive_failures: 1, base_ejection_ms: 3000, max_ejection_percent: 50}
    partner: {name: hctime}
partner_routes:
  - {method: GET, path: "/v1/partners/hc/echo", upstream: hc-pair, auth: none}
  - {method: GET, path: "/v1/partners/hctime/time", upstream: hc-time, auth: none}
  - {method: GET, path: "/v1/partners/hclate/late", upstream: hc-late, auth: none}
YAML
# cong signs the token every upstream gets: without a signing key partner routes answer 502
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$GW_DIR/cong-signing.pem" 2>/dev/null
head -c 48 /dev/urandom >"$GW_DIR/subject-secret"
start_gateway CONG_AUTH_SIGNING_KEY_FILE="$GW_DIR/cong-signing.pem" \
  CONG_AUTH_SUBJECT_SECRET_FILE="$GW_DIR/subject-secret" CONG_RATE_LIMITS_DEFAULT_BURST=1000 CONG_RATE_LIMITS_DEFAULT_PER_MINUTE=100000 || exit 1

metrics() { curl -s "$(admin_url /metrics)"; }
state_is() { # UPSTREAM PORT STATE: the target's state gauge is 1 for STATE
  metrics | grep -q "cong_upstream_target_state{upstream=\"$1\",target=\"127.0.0.1:$2\",state=\"$3\"} 1"
}
arrivals() { grep -c "^$1 GET $2\$" "$UP_LOG"; }
# send N PATH: N GETs, each must answer 200 (one failure reported, then the rest skipped)
send() {
  local i status
  for i in $(seq 1 "$1"); do
    status=$(call "" GET "$2")
    [ "$status" == 200 ] || { bad "GET $2 #$i answered $status"; return; }
  done
  ok
}

# --- both healthy: round-robin spreads requests over both
wait_until 10 bash -c "curl -s '$(admin_url /metrics)' | grep -q 'cong_upstream_health_checks_total{upstream=\"hc-pair\",target=\"127.0.0.1:$B_PORT\",result=\"pass\"} [2-9]'" ||
  bad "no passing probe counted for hc-b"
send 10 /v1/partners/hc/echo
[ "$(arrivals hc-a /echo)" -gt 0 ] && [ "$(arrivals hc-b /echo)" -gt 0 ] && ok ||
  bad "both targets should serve while healthy: a=$(arrivals hc-a /echo) b=$(arrivals hc-b /echo)"

# --- hc-b's health path fails: after 2 failed probes it is out, and no client request reaches it
curl -s -o /dev/null "http://127.0.0.1:$B_PORT/_standin/health-down"
wait_until 10 state_is hc-pair "$B_PORT" unhealthy && ok || bad "hc-b never became unhealthy"
expect_match "metrics: failed probes counted" \
  "cong_upstream_health_checks_total\{upstream=\"hc-pair\",target=\"127.0.0.1:$B_PORT\",result=\"fail\"\} [2-9]" \
  "$(metrics)"
b_before=$(arrivals hc-b /echo) a_before=$(arrivals hc-a /echo)
send 20 /v1/partners/hc/echo
expect_eq "no request reached the unhealthy target" "$b_before" "$(arrivals hc-b /echo)"
expect_eq "  all went to the healthy one" $((a_before + 20)) "$(arrivals hc-a /echo)"
expect_match "  yet it is still probed" "^[1-9]" "$(grep -c "^hc-b GET /healthz" "$UP_LOG")"

# --- told to recover: 2 passing probes bring it back, and traffic returns
curl -s -o /dev/null "http://127.0.0.1:$B_PORT/_standin/health-up"
wait_until 10 state_is hc-pair "$B_PORT" healthy && ok || bad "hc-b never became healthy again"
b_before=$(arrivals hc-b /echo)
send 20 /v1/partners/hc/echo
[ "$(arrivals hc-b /echo)" -ge $((b_before + 5)) ] && ok ||
  bad "traffic did not return to hc-b: $((b_before)) → $(arrivals hc-b /echo) of 20"

# --- probes come from one prober: over ~2 s, hc-a (a target of both upstreams) gets ~10 probes of hc-pair (200 ms)
# and ~2 of hc-late (1 s); two probing workers would give ~24
p0=$(grep -c "^hc-a GET /healthz" "$UP_LOG")
sleep 2
p1=$(grep -c "^hc-a GET /healthz" "$UP_LOG")
[ $((p1 - p0)) -ge 7 ] && [ $((p1 - p0)) -le 18 ] && ok || bad "probes of hc-a in 2 s: $((p1 - p0)) (expected ~12)"

# --- passive ejection (60 s) ended by the active checks: the dead target fails a request, is ejected (its failed
# probes, one a second, stay far below unhealthy_threshold 100 meanwhile, so its state is "ejected"); a stand-in
# starts on its port; two passing probes later it is healthy and serves again, long before its ejection would end
send 6 /v1/partners/hclate/late # the dead target's failure is retried on hc-a: every answer is 200
wait_until 5 state_is hc-late "$C_PORT" ejected && ok || bad "the dead target was not ejected"
expect_match "metrics: its ejection step" \
  "cong_upstream_ejection_step\{upstream=\"hc-late\",target=\"127.0.0.1:$C_PORT\"\} 1" "$(metrics)"
standin hc-c "$C_PORT"
wait_until 10 curl -s -o /dev/null "http://127.0.0.1:$C_PORT/ready" || bad "stand-in on $C_PORT did not start"
wait_until 10 state_is hc-late "$C_PORT" healthy && ok || bad "the ejected target did not recover by its checks"
send 10 /v1/partners/hclate/late
[ "$(arrivals hc-c /late)" -ge 3 ] && ok || bad "the recovered target got $(arrivals hc-c /late) of 10 requests"

# --- passive ejection alone (no active checks): it ends with its time, and the target serves again
send 6 /v1/partners/hctime/time
wait_until 5 state_is hc-time "$D_PORT" ejected && ok || bad "the dead target of hc-time was not ejected"
standin hc-d "$D_PORT"
wait_until 10 curl -s -o /dev/null "http://127.0.0.1:$D_PORT/ready" || bad "stand-in on $D_PORT did not start"
wait_until 10 state_is hc-time "$D_PORT" healthy && ok || bad "the ejection did not end with its time"
send 10 /v1/partners/hctime/time
[ "$(arrivals hc-d /time)" -ge 3 ] && ok || bad "the target back from ejection got $(arrivals hc-d /time) of 10"

finish

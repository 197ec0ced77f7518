#!/usr/bin/env bash
# The module host's ABI 1.4 end to end, with a test module (tests/modules/host_probe.c, built as probe_module.so) and
# the partner example built before 1.4 (partner_hello.so): a module's declared name and version in `cong
# --list-modules`, the log line at load and /metrics (an undeclared one: "unknown"); a route naming an unknown
# rate-limit class fails the load, saying which route and class; module commands (a blocking PostgreSQL context,
# citizen_subject, exit statuses, usage); per-worker init and dispose hooks and timers on a serving gateway (a stopped
# timer never fires; timers are stopped before the dispose hooks); 1.7 live channels (register_channel); 1.8 session listeners (register_session_listener).
source "$(dirname "$0")/lib.sh"
printf 'modules:\n  load: ["%s/partner_hello.so", "%s/probe_module.so"]\n' "$BUILD" "$BUILD" >"$GW_DIR/cong.yaml"
head -c 48 /dev/urandom >"$GW_DIR/subject-secret"
CLOSED=$(free_port) # nothing listens there
# cmd [KEY=VALUE...] -- ARGS...: cong's exit status; stdout in $GW_DIR/out, stderr in $GW_DIR/err.
cmd() {
  local envs=()
  while [ "$1" != -- ]; do envs+=("$1"); shift; done
  shift
  env CONG_POSTGRES_CONNINFO="host=127.0.0.1 port=$PG_PORT dbname=cong user=cong connect_timeout=5" \
    CONG_REDIS_PORT="$REDIS_PORT" CONG_AUTH_SUBJECT_SECRET_FILE="$GW_DIR/subject-secret" \
    CONG_MODULES_PROCEDURES_DATA_DIR="$GW_DIR/data" ASAN_OPTIONS=detect_leaks=1:halt_on_error=1 \
    "${envs[@]}" "$BUILD/cong" --config "$GW_DIR/cong.yaml" "$@" >"$GW_DIR/out" 2>"$GW_DIR/err"
  echo $?
}
out() { cat "$GW_DIR/out"; }
# expect_line DESCRIPTION REGEX TEXT: one whole line of TEXT matches REGEX (extended)
expect_line() { if grep -Eqx -- "$2" <<<"$3"; then ok; else bad "$1: no line /$2/ in [$3]"; fi; }
err() { cat "$GW_DIR/err"; }

# ---- names and versions, from the command line ----
expect_eq "--list-modules: 0" 0 "$(cmd -- --list-modules)"
MODULES=$(out)
expect_line "a module declares its name and version (not its file's name)" \
  "host_probe 2\.5\.1-test $BUILD/probe_module\.so" "$MODULES"
expect_line "a module built before 1.4: its file's name, version unknown" \
  "partner_hello unknown $BUILD/partner_hello\.so" "$MODULES"
expect_line "built-in modules have versions" "procedures 1\.[0-9]+\.[0-9]+ built-in" "$MODULES"
expect_line "...ping too" "ping 1\.[0-9]+\.[0-9]+ built-in" "$MODULES"
expect_eq "...and nothing else on stderr" "" "$(err)"
expect_eq "a command is no server: no data folder made" "" "$(ls -d "$GW_DIR/data" 2>/dev/null)"

# ---- rate-limit classes: a configured one, or the load fails naming the route and the class ----
expect_eq "a configured class: loads" 0 "$(cmd CONG_MODULES_HOST_PROBE_ROUTE_CLASS=upload -- --list-modules)"
expect_eq "an unknown class: the load fails" 1 \
  "$(cmd CONG_MODULES_HOST_PROBE_ROUTE_CLASS=uploads -- --list-modules)"
expect_match "...saying which route and class" \
  'host_probe: route GET /v1/probe/classy: rate_limit_class "uploads" is not a configured class \(default, auth, auth_failure, upload\)' \
  "$(err)"
expect_match "...and register_route said CONG_EINVAL" "host_probe: module failed to load: CONG_EINVAL" "$(err)"
expect_eq "system is the gateway's own" 1 "$(cmd CONG_MODULES_HOST_PROBE_ROUTE_CLASS=system -- --list-modules)"
expect_match "...refused" 'rate_limit_class "system" is not a configured class' "$(err)"
SERVING=(CONG_SERVER_OPENAPI_FILE="$SRC/openapi/cong.yaml"
  CONG_MODULES_PROCEDURES_DASHBOARD_DIR="$SRC/modules/procedures/dashboard"
  CONG_MODULES_AUDIT_SIGNING_KEY_FILE="$RUN/keys/cong-audit.pem")
expect_eq "--check-config: a configured class passes" 0 \
  "$(cmd "${SERVING[@]}" CONG_MODULES_HOST_PROBE_ROUTE_CLASS=auth -- --check-config "$GW_DIR/cong.yaml")"
expect_eq "...an unknown one fails" 1 \
  "$(cmd "${SERVING[@]}" CONG_MODULES_HOST_PROBE_ROUTE_CLASS=nope -- --check-config "$GW_DIR/cong.yaml")"
expect_match "...named" 'route GET /v1/probe/classy: rate_limit_class "nope"' "$(err)"

# ---- commands ----
LOAD="declare again CONG_ESTATE, command official CONG_EEXIST, command --probe CONG_EINVAL, purpose 1"
expect_eq "load-time answers" "$LOAD" "$(cmd -- probe load >/dev/null; out)"
expect_eq "a command queries PostgreSQL (job_pg_exec), blocking" 0 "$(cmd -- probe sql "xin chào")"
expect_eq "...answered" "xin chào from PostgreSQL (stopping 0)" "$(out)"
expect_eq "PostgreSQL unreachable: 1" 1 \
  "$(cmd CONG_POSTGRES_CONNINFO="host=127.0.0.1 port=$CLOSED dbname=cong user=cong" -- probe sql x)"
expect_match "...said" "probe: CONG_EUNAVAILABLE" "$(err)"
SUBJECT=$(python3 -c 'import base64, hashlib, hmac, sys
secret = open(sys.argv[1], "rb").read().rstrip(b"\r\n")
mac = hmac.new(secret, b"vneid:001099000005", hashlib.sha256).digest()
print(base64.urlsafe_b64encode(mac).rstrip(b"=").decode())' "$GW_DIR/subject-secret")
expect_eq "citizen_subject: 0" 0 "$(cmd -- probe subject 001099000005)"
expect_eq "...the login's HMAC, computed by the host" "$SUBJECT" "$(out)"
expect_no_match "...the number is not logged" "001099000005" "$(err)"
expect_eq "no subject secret: 1" 1 "$(cmd CONG_AUTH_SUBJECT_SECRET_FILE= -- probe subject 001099000005)"
expect_eq "...CONG_ENOTFOUND" "CONG_ENOTFOUND" "$(out)"
head -c 31 /dev/urandom | tr -d '\n\r' >"$GW_DIR/short-secret"
expect_eq "a secret under 32 bytes: 1" 1 \
  "$(cmd CONG_AUTH_SUBJECT_SECRET_FILE="$GW_DIR/short-secret" -- probe subject 1)"
expect_eq "job_jws_sign in a command: 0" 0 "$(cmd -- probe jws)"
expect_eq "...no document key is loaded for a command: CONG_ENOTFOUND" "CONG_ENOTFOUND" "$(out)"
expect_eq "a command's own status: 3" 3 "$(cmd -- probe exit 3)"
expect_eq "a status outside 0-3: 1" 1 "$(cmd -- probe exit 42)"
expect_eq "bad usage: 2" 2 "$(cmd -- probe)"
expect_match "...with the command's usage" "^usage:"$'\n'"cong probe load \| sql TEXT" "$(err)"
expect_eq "an unknown command: 2" 2 "$(cmd -- no-such-command)"
expect_eq "--help: 0" 0 "$(cmd -- --help)"
expect_match "--help lists a loaded module's command" "cong probe load \| sql TEXT \| subject NUMBER \| jws \| exit N" \
  "$(out)"
expect_match "...and the built-in modules'" "cong official list" "$(out)"

# ---- serving: the log line at load, /metrics, worker hooks and timers ----
CHANNEL="cong:probe:$$:$RANDOM" # this run's own: the test Redis is shared
start_gateway CONG_MODULES_HOST_PROBE_CHANNEL="$CHANNEL" || exit 1
wait_stores_up || { finish; exit 1; }
expect_match "the log line at load names the version and the file" \
  "module host_probe 2\.5\.1-test loaded \($BUILD/probe_module\.so\)" "$(cat "$GW_DIR/stderr")"
expect_match "...of a built-in module too" "module procedures 1\.[0-9]+\.[0-9]+ loaded \(built-in\)" \
  "$(cat "$GW_DIR/stderr")"
METRICS=$(h2c "$(admin_url /metrics)")
expect_match "/metrics: the module's version" 'cong_module_info\{module="host_probe",version="2\.5\.1-test"\} 1' \
  "$METRICS"
expect_match "/metrics: unknown before 1.4" 'cong_module_info\{module="partner_hello",version="unknown"\} 1' "$METRICS"
expect_match "/metrics: built-in" 'cong_module_info\{module="procedures",version="1\.[0-9]+\.[0-9]+"\} 1' \
  "$METRICS"

probe() { h2c "$(url /v1/probe/state)" | json "$1"; }
probe_is() { [ "$(probe "$1")" = "$2" ]; }
probe_at_least() { [ "$(probe "$1")" -ge "$2" ] 2>/dev/null; }
wait_until 30 probe_is inits 2 || bad "init hooks: $(probe inits) of 2 workers"
wait_until 30 probe_at_least ticks 3 || bad "a worker's repeating timer: $(probe ticks) ticks"
# each worker's self-stopping timer (every 5 ms) ran 3 times...
wait_until 30 probe_is three_fires 6 || bad "self-stopping timers: $(probe three_fires) runs of 6"
TIMERS=$(h2c -X POST "$(url /v1/probe/timers)")
expect_eq "timers from a handler (req_worker)" \
  '{"start":"CONG_OK","stop":"CONG_OK","stop_again":"CONG_ENOTFOUND","later":"CONG_OK"}' "$TIMERS"
# ...and after the later one-shot fired (60 ms: a dozen periods of theirs, and after the stopped one's 30 ms)
wait_until 30 probe_is later_fired 1 || bad "the later timer did not fire"
expect_eq "a timer stopped before its time never fired" 0 "$(probe cancelled_fired)"
expect_eq "a one-shot timer's id runs out once it fired" 1 "$(probe later_id_gone)"
expect_eq "the self-stopping timers ran no more" 6 "$(probe three_fires)"
expect_eq "no timer fired late" 0 "$(probe late_fires)"

# ---- 1.6: job_jws_sign on the job thread (verified by jws_verify), req_client_address ----
v16() { h2c -H 'X-Forwarded-For: 203.0.113.9' "$(url /v1/probe/v16)" | json "$1"; }
v16_is() { [ "$(v16 "$1")" = "$2" ]; }
wait_until 30 v16_is job_sign CONG_OK || bad "job_jws_sign: $(v16 job_sign)"
expect_eq "...what the job signed verifies with jws_verify" CONG_OK "$(v16 verify)"
expect_eq "...and is the job's payload" "{'probe': 'signed on the job thread'}" "$(v16 payload)"
expect_eq "req_client_address: the peer (a header from an untrusted peer proves nothing)" 127.0.0.1 \
  "$(v16 client_address)"
Q='vnp_OrderInfo=Thanh+toan+%3A5&b=%C3%A0&empty='
expect_eq "req_query: the raw query as received" "$Q" \
  "$(h2c "$(url "/v1/probe/v16?$Q")" | json query)"
expect_eq "...none: empty" "|0" "$(h2c "$(url /v1/probe/v16)" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["query"] + "|" + str(d["query_len"]))')"

# ---- 1.7: register_channel — every worker follows the channel, fn on its own thread, NULL after subscribing ----
v17() { h2c "$(url /v1/probe/v17)" | json "$1"; }
v17_is() { [ "$(v17 "$1")" = "$2" ]; }
v17_at_least() { [ "$(v17 "$1")" -ge "$2" ] 2>/dev/null; }
expect_eq "register_channel's answers at load (8 channels per gateway, the push module's cong:live included)" \
  "bad CONG_EINVAL, reserved CONG_EINVAL, no fn CONG_EINVAL, taken CONG_EEXIST, again CONG_EEXIST, 6 more then CONG_EBUSY" \
  "$(v17 load)"
expect_eq "...and after load" CONG_ESTATE "$(v17 late)"
# 7 channels of the probe on each of the 2 workers: each told once that it is subscribed
wait_until 30 v17_at_least subscribed 14 || bad "subscribed calls: $(v17 subscribed) of 14"
expect_eq "one PUBLISH reaches both workers" 2 "$(redis-cli -p "$REDIS_PORT" PUBLISH "$CHANNEL" "xin chào")"
wait_until 30 v17_is messages 2 || bad "channel messages: $(v17 messages) of 2"
expect_eq "...each on its worker's own thread" 0 "$(v17 wrong_thread)"
expect_eq "...the message as published" "xin chào" "$(v17 last)"

# ---- 1.8: register_session_listener — a revocation published by another instance reaches every worker ----
v18() { h2c "$(url /v1/probe/v18)" | json "$1"; }
v18_at_least() { [ "$(v18 "$1")" -ge "$2" ] 2>/dev/null; }
expect_eq "register_session_listener's answers at load" "no fn CONG_EINVAL, again CONG_EEXIST" "$(v18 load)"
expect_eq "...and after load" CONG_ESTATE "$(v18 late)"
expect_eq "no probe session ended yet" 0 "$(v18 calls)"
SID="probe-$RANDOM$RANDOM"
UNTIL=$(($(date +%s) + 600))
# What another instance's logout does (gateway/authn/revocation.c): the set first, then the channel.
redis-cli -p "$REDIS_PORT" ZADD cong:revoked "$UNTIL" "$SID" >/dev/null
# (every gateway of the tests running alongside follows the channel too: at least this one's 2 workers hear it)
expect_match "the revocation reaches both workers' subscriptions" '^([2-9]|[1-9][0-9]+)$' \
  "$(redis-cli -p "$REDIS_PORT" PUBLISH cong:revocations "$SID $UNTIL")"
wait_until 30 v18_at_least calls 2 || bad "session listener calls: $(v18 calls) of 2"
expect_eq "...each on its worker's own thread" 0 "$(v18 wrong_thread)"
expect_eq "...naming the session" "$SID" "$(v18 last)"
redis-cli -p "$REDIS_PORT" ZREM cong:revoked "$SID" >/dev/null

stop_gateway
expect_eq "clean exit" 0 "$GW_STATUS"
for i in 0 1; do
  expect_match "worker $i: dispose hook, timers already stopped" \
    "worker $i disposed \(index $i\): tick timer_stop CONG_ENOTFOUND, timer_start CONG_ESTATE, late fires 0" \
    "$(cat "$GW_DIR/stderr")"
done
finish

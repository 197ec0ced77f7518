#!/usr/bin/env bash
# make run over kept state: scripts/run.sh in its own state folder with its own ports (never .run/dev), against its
# own Redis and PostgreSQL, started again and again the way a newcomer does:
#   set-up, set-up again (the demo official's grants exist, the demo is loaded: exit 0, nothing doubled);
#   serve, with the demo lit up (KPIs of every unit, a late list, a dossier in every status on the demo official's
#   desk, three results signed by cong in the demo citizen's wallet), then Ctrl-C (SIGINT to the process group);
#   a reboot (the stores killed with SIGKILL, their pid files and run.sh's naming another live process), set-up;
#   serve, run.sh killed with SIGKILL (its children left running), serve again, Ctrl-C.
# Every wait is bounded; the stores are stopped at the end whatever happens.
source "$(dirname "$0")/lib.sh"
set -m   # run.sh in its own process group, with SIGINT not ignored: Ctrl-C is a SIGINT to that group
DEV=$(mktemp -d /tmp/cong-dev-it.XXXXXX)
chmod 755 "$DEV"   # PostgreSQL runs as user postgres and must reach $DEV/pg
read -r h2c tls admin vneid portal redis pg payment fcm apns <<<"$(free_ports 10)"
export CONG_DEV_H2C_PORT=$h2c CONG_DEV_TLS_PORT=$tls CONG_DEV_ADMIN_PORT=$admin CONG_DEV_VNEID_PORT=$vneid \
  CONG_DEV_PORTAL_PORT=$portal CONG_DEV_REDIS_PORT=$redis CONG_DEV_PG_PORT=$pg CONG_DEV_PAYMENT_PORT=$payment \
  CONG_DEV_FCM_PORT=$fcm CONG_DEV_APNS_PORT=$apns
export CONG_DEV_DIR="$DEV" CONG_DEV_BUILD="$BUILD" ASAN_OPTIONS=detect_leaks=0:halt_on_error=1
DPG=$CONG_DEV_PG_PORT
CONG="http://127.0.0.1:$CONG_DEV_H2C_PORT"
VNEID="http://127.0.0.1:$CONG_DEV_VNEID_PORT"
STRANGER=
RUN_PID=
cleanup_dev() {
  [ -d "$DEV" ] || return 0   # removed after a pass (services.sh would create it again)
  [ -n "$RUN_PID" ] && kill -TERM -- "-$RUN_PID" 2>/dev/null
  [ -n "$STRANGER" ] && kill "$STRANGER" 2>/dev/null
  for f in "$DEV"/pids/*.pid; do [ -f "$f" ] && kill -KILL "$(cat "$f")" 2>/dev/null; done
  bash "$SRC/scripts/services.sh" stop "$DEV" >/dev/null 2>&1
}
trap 'cleanup_dev; stop_gateway >/dev/null 2>&1' EXIT

sql() { psql -h 127.0.0.1 -p "$DPG" -U cong -d cong -v ON_ERROR_STOP=1 -qAtX -c "$1"; }
counts() { sql "select (select count(*) from dossiers), (select count(*) from dossier_events),
                       (select count(*) from portal_outbox), (select count(*) from wallet_documents)"; }
setup_only() { timeout 300 bash "$SRC/scripts/run.sh" --setup-only >"$DEV/setup.$1.out" 2>&1; }

# serve NAME: run.sh in the background until it prints its banner (at most 300 s); RUN_PID is its process group.
serve() {
  bash "$SRC/scripts/run.sh" >"$DEV/serve.$1.out" 2>&1 &
  RUN_PID=$!
  for _ in $(seq 1 600); do
    grep -q '^cong is running' "$DEV/serve.$1.out" && return 0
    kill -0 "$RUN_PID" 2>/dev/null || break
    sleep 0.5
  done
  echo "run.sh ($1) did not come up:"; cat "$DEV/serve.$1.out"
  for log in "$DEV"/*.log; do [ -s "$log" ] && { echo "--- the end of $log:"; tail -n 15 "$log"; }; done
  return 1
}
# ctrl_c: SIGINT to run.sh's process group, as a terminal does; RUN_STATUS = its exit status (at most 60 s).
ctrl_c() {
  kill -INT -- "-$RUN_PID"
  for _ in $(seq 1 120); do kill -0 "$RUN_PID" 2>/dev/null || break; sleep 0.5; done
  wait "$RUN_PID"
  RUN_STATUS=$?
  RUN_PID=
}
alive() { local s; s=$(sed 's/.*) //' "/proc/${1:-0}/stat" 2>/dev/null | cut -d' ' -f1); [ -n "$s" ] && [ "$s" != Z ]; }

# login CITIZEN → a cong access token, through the stand-in VNeID's login form (level 2) as the app does.
login() {
  local verifier challenge query location code id_token
  verifier=$(head -c 48 /dev/urandom | base64 -w0 | tr '+/' '-_' | tr -d '=')
  challenge=$(printf '%s' "$verifier" | openssl dgst -sha256 -binary | base64 -w0 | tr '+/' '-_' | tr -d '=')
  query="response_type=code&client_id=cong&redirect_uri=http://127.0.0.1/cb&scope=openid&state=s&nonce=n"
  query+="&code_challenge=$challenge&code_challenge_method=S256&acr_values=2"
  location=$(curl -s -o /dev/null -w '%{redirect_url}' -X POST --data "$query&citizen=$1&level=2" "$VNEID/authorize")
  code=$(printf '%s' "$location" | sed -n 's/.*[?&]code=\([^&]*\).*/\1/p')
  id_token=$(curl -s -X POST "$VNEID/token" --data "grant_type=authorization_code&code=$code&client_id=cong" \
    --data "redirect_uri=http://127.0.0.1/cb&code_verifier=$verifier" | json id_token)
  h2c -H 'content-type: application/json' \
    -d "{\"id_token\":\"$id_token\",\"device\":{\"id\":\"it-$1\",\"name\":\"test\",\"platform\":\"web\"}}" \
    "$CONG/v1/auth/vneid/exchange" | json access_token
}
py() { python3 -S -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

# ---- 1. set-up, twice ----
setup_only 1
expect_eq "first set-up: exit 0" 0 $?
expect_match "first set-up loads the demo" 'demo: [0-9]+ dossiers loaded' "$(cat "$DEV/setup.1.out")"
expect_match "...and publishes appointment schedules" 'demo: [0-9]+ appointment schedules published in 4 units' \
  "$(cat "$DEV/setup.1.out")"
FIRST=$(counts)
DOSSIERS=${FIRST%%|*}
expect_match "thousands of demo dossiers" '^[0-9]{4,}$' "$DOSSIERS"
expect_eq "the demo official serves two wards" 2 "$(sql "select count(*) from user_roles where role = 'official'")"
setup_only 2
expect_eq "second set-up over the same state: exit 0" 0 $?
expect_match "second set-up: the demo is there already" 'demo: loaded already .*nothing changed' \
  "$(cat "$DEV/setup.2.out")"
expect_eq "second set-up doubles nothing" "$FIRST" "$(counts)"
expect_no_match "...publishes no schedule again" 'appointment schedules' "$(cat "$DEV/setup.2.out")"
expect_eq "grants unchanged" 2 "$(sql "select count(*) from user_roles where role = 'official'")"

# ---- 2. serve: the demo lights up the KPIs, the desk and the wallet; Ctrl-C ----
serve 1 || { finish; exit 1; }
LAST_WEEK=$(python3 -c 'import datetime as d
y, w, _ = (d.datetime.now(d.timezone(d.timedelta(hours=7))) - d.timedelta(days=7)).isocalendar()
print("%d-W%02d" % (y, w))')   # complete, in Hanoi
UNITS=$(sql "select count(distinct unit_code) from procedure_units")
h2c "$CONG/v1/kpi/units?week=$LAST_WEEK" >"$GW_DIR/units.json"
expect_eq "KPIs of last week: every unit that handles procedures" "$UNITS" \
  "$(py 'len(d["units"])' <"$GW_DIR/units.json")"
expect_eq "...nearly all with an on-time rate" True \
  "$(py 'sum(u["on_time_rate"] is not None for u in d["units"]) >= 0.9 * len(d["units"])' <"$GW_DIR/units.json")"
h2c "$CONG/v1/kpi/late-units?week=$LAST_WEEK" >"$GW_DIR/late.json"
expect_eq "some units are under the threshold" True \
  "$(py 'sum("below_threshold" in u["reasons"] for u in d["units"]) >= 3' <"$GW_DIR/late.json")"
expect_eq "12 weeks of trend up to last week, each with a rate" 12 \
  "$(h2c "$CONG/v1/kpi/trend?weeks=12&week=$LAST_WEEK" | py 'sum(w["on_time_rate"] is not None for w in d["weeks"])')"

OFFICIAL=$(login 001099000005)
for status in submitted received processing supplement_requested supplement_submitted approved rejected \
              result_issued completed withdrawn; do
  expect_eq "the demo official's desk has a $status dossier" True \
    "$(h2c -H "authorization: Bearer $OFFICIAL" "$CONG/v1/desk/dossiers?status=$status&page_size=1" |
       py 'd["total"] > 0')"
done
CITIZEN=$(login 001099000001)
h2c -H "authorization: Bearer $CITIZEN" "$CONG/v1/me/documents" >"$GW_DIR/wallet.json"
expect_eq "three results in the demo citizen's wallet" 3 \
  "$(py 'sum(x["kind"] == "result" for x in d["documents"])' <"$GW_DIR/wallet.json")"
expect_eq "the demo citizen has dossiers of their own" True \
  "$(h2c -H "authorization: Bearer $CITIZEN" "$CONG/v1/dossiers" | py 'd["total"] >= 6')"
DOC=$(py 'd["documents"][0]["dossier_code"]' <"$GW_DIR/wallet.json")
curl -s --http2-prior-knowledge -D "$GW_DIR/result.headers" -o "$GW_DIR/result.pdf" \
  -H "authorization: Bearer $CITIZEN" "$CONG/v1/dossiers/$DOC/result"
SIG=$(sed -n 's/^result-signature: //ip' "$GW_DIR/result.headers" | tr -d '\r')
expect_eq "the result verifies: signed by cong" true "$(h2c -H 'content-type: application/json' \
  -d "{\"signature\":\"$SIG\",\"sha256\":\"$(sha256sum "$GW_DIR/result.pdf" | cut -d' ' -f1)\"}" \
  "$CONG/v1/results/verify" |
  py 'str(d["valid"]).lower()')"
# Payments are wired to the stand-in VNPay: its merchant code known to cong (an unsigned IPN from this machine is
# answered "bad checksum", not refused for its address or "provider not configured"), its page up.
expect_eq "make run: cong takes VNPay IPNs from this machine (unsigned: 97)" '"97"' \
  "$(h2c "$CONG/v1/payments/vnpay/ipn?vnp_TmnCode=CONGDEMO&vnp_TxnRef=x" | py 'json.dumps(d["RspCode"])')"
expect_eq "make run: the stand-in VNPay answers" 200 \
  "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$payment/healthz")"
# Appointment slots at the demo official's first ward: the demo publishes working-day schedules, so 14 days from
# tomorrow (Hanoi) hold two working weeks, never wholly holidays.
read -r FROM TO <<<"$(python3 -c 'import datetime as d
t = d.datetime.now(d.timezone(d.timedelta(hours=7))).date() + d.timedelta(days=1)
print(t, t + d.timedelta(days=13))')"
DESK_UNIT=$(sql "select min(resource) from user_roles where role = 'official'")
SLOT_DOMAIN=$(sql "select domain from appointment_schedules where unit_code = '$DESK_UNIT' order by domain limit 1")
expect_eq "make run: the demo official's ward offers appointment slots in the next 14 days" True \
  "$(h2c "$CONG/v1/units/$DESK_UNIT/slots?domain=$SLOT_DOMAIN&from=$FROM&to=$TO" | py 'len(d["slots"]) > 0')"
# Push delivery: both stand-ins answer, and the worker runs with both adapters open.
expect_eq "make run: the stand-in FCM and APNs answer" "200 200" \
  "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$fcm/healthz") $(curl -s -o /dev/null -w \
  '%{http_code}' "http://127.0.0.1:$apns/healthz")"
alive "$(cat "$DEV/pids/push-worker.pid")" && ok || bad "make run: cong-push-worker is not running"
expect_match "make run: cong-push-worker started with both adapters" 'started: .*fcm on, apns on' \
  "$(cat "$DEV/push-worker.log")"
alive "$(cat "$DEV/pids/webhook-worker.pid")" && ok || bad "make run: cong-webhook-worker is not running"
AFTER_SERVE=$(counts)
expect_eq "serving issued results but filed no dossier" "$DOSSIERS" "${AFTER_SERVE%%|*}"

PIDS=$(cat "$DEV"/pids/*.pid)
ctrl_c
expect_eq "Ctrl-C: run.sh ends as interrupted" 130 "$RUN_STATUS"
left=; for p in $PIDS; do alive "$p" && left+=" $p"; done
expect_eq "Ctrl-C stops the gateway, the stand-ins and the relay" "" "$left"
expect_eq "Ctrl-C stops the stores" "none" \
  "$(ls "$DEV/redis/redis.pid" "$DEV/pg/data/postmaster.pid" 2>/dev/null || echo none)"

# ---- 3. a reboot: the stores die without a word, their PIDs now belong to someone else ----
bash "$SRC/scripts/services.sh" start "$DEV" "$CONG_DEV_REDIS_PORT" "$DPG" >/dev/null
REDIS_PID=$(cat "$DEV/redis/redis.pid")
PG_PID=$(head -n 1 "$DEV/pg/data/postmaster.pid")
kill -KILL "$REDIS_PID" "$PG_PID" $(pgrep -P "$PG_PID")
for _ in $(seq 1 100); do alive "$REDIS_PID" || alive "$PG_PID" || break; sleep 0.1; done
STRANGER=$(sleep 600 >/dev/null 2>&1 & echo $!)   # not a job of this shell: job control stays quiet about it
echo "$STRANGER" >"$DEV/redis/redis.pid"
sed -i "1s/.*/$STRANGER/" "$DEV/pg/data/postmaster.pid" "$DEV"/pg/.s.PGSQL.*.lock
echo "$STRANGER" >"$DEV/run.pid"
echo "$STRANGER" >"$DEV/pids/gateway.pid"
setup_only 3
expect_eq "set-up after a reboot (stale pid files naming another process): exit 0" 0 $?
expect_match "the stale pid files are reported" 'redis: stale pid file removed.*postgres: stale pid file removed' \
  "$(tr '\n' ' ' <"$DEV/setup.3.out")"
alive "$STRANGER" && ok || bad "the process that got a store's PID was signalled"
expect_eq "nothing doubled after the reboot" "$AFTER_SERVE" "$(counts)"

# ---- 4. serve; run.sh killed with SIGKILL leaves its children; the next start stops them and serves ----
serve 2 || { finish; exit 1; }
OLD_GATEWAY=$(cat "$DEV/pids/gateway.pid")
expect_eq "the wallet results are not issued twice" \
  "demo: the demo citizen's wallet results are issued already; nothing changed" \
  "$(grep '^demo: the demo citizen' "$DEV/serve.2.out")"
kill -KILL "$RUN_PID"
wait "$RUN_PID" 2>/dev/null
RUN_PID=
alive "$OLD_GATEWAY" && ok || bad "the gateway should outlive a run.sh killed with SIGKILL"
serve 3 || { finish; exit 1; }
expect_match "the next start stops what the killed run left" 'stopping the gateway an earlier run left running' \
  "$(cat "$DEV/serve.3.out")"
alive "$OLD_GATEWAY" && bad "the old gateway still runs" || ok
expect_eq "serving again" "$UNITS" "$(h2c "$CONG/v1/kpi/units?week=$LAST_WEEK" | py 'len(d["units"])')"
expect_eq "nothing doubled after four starts" "$AFTER_SERVE" "$(counts)"
ctrl_c
expect_eq "Ctrl-C again" 130 "$RUN_STATUS"
alive "$STRANGER" && ok || bad "the stranger process was signalled"

if grep -l -E "AddressSanitizer|runtime error:" "$DEV"/*.out "$DEV"/*.log 2>/dev/null; then
  bad "sanitizer report (files above)"
fi
status=0
finish || status=1
cleanup_dev
[ "$status" = 0 ] && rm -rf "$DEV"
exit "$status"

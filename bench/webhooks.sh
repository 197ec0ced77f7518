#!/usr/bin/env bash
# bench/webhooks.sh — organizations' webhook deliveries (cong-webhook-worker, push/webhook_worker/worker.h, issue 18
# "Bench") against the push pipeline's own delivery rate (cong-push-worker to the stand-in FCM), in the same run.
# One run, 127.0.0.1 only, its own fresh PostgreSQL and Redis under WBENCH_DIR; each phase drains a backlog made before
# its worker starts, so the rate is the worker's, not the writer's:
#   webhooks  WBENCH_EVENTS push_outbox rows of topic dossier.status about 4 organizations (round robin), each with one
#             endpoint at ONE stand-in receiver (tools/webhook_standin: it holds at most 4 secrets) that verifies every
#             signature; the trigger makes the deliveries with the rows. Then cong-webhook-worker (--per-endpoint
#             WBENCH_PER_ENDPOINT, --max-in-flight 64) until every delivery is delivered: deliveries a second, and the
#             stand-in's count of verified ones.
#   push      WBENCH_EVENTS push_outbox rows of the same topic about as many people, each with an FCM device and a live
#             session; cong-push-relay puts them on the stream first (timed apart), then cong-push-worker until the
#             stand-in FCM has accepted every send: sends a second.
# Reported: both rates and their ratio (webhooks / push). Environment: CONG_BUILD_DIR (build-release), WBENCH_DIR
# (.run/wbench), WBENCH_EVENTS (20000), WBENCH_PER_ENDPOINT (16), WBENCH_PORT_BASE (19600).
set -euo pipefail

SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH_NAME=wbench
# shellcheck source=bench/lib.sh
source "$SRC/bench/lib.sh"
BUILD=${CONG_BUILD_DIR:-$SRC/build-release}
DIR=${WBENCH_DIR:-$SRC/.run/wbench}
N=${WBENCH_EVENTS:-20000}
PER=${WBENCH_PER_ENDPOINT:-16}
PB=${WBENCH_PORT_BASE:-19600}
REDIS_PORT=$((PB + 391)) PG_PORT=$((PB + 491)) HOOK_PORT=$((PB + 11)) FCM_PORT=$((PB + 12))
for tool in psql redis-cli python3 curl; do command -v "$tool" >/dev/null || die "$tool is not installed"; done
mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)
PIDS=()
on_exit_stop_cong_and_stores
trap 'rc=$?; for p in "${PIDS[@]}"; do stop_pid "$p" 5; done
      if [ "$SERVICES_STARTED" = 1 ]; then bash "$SRC/scripts/services.sh" stop "$DIR" || true; fi; exit "$rc"' EXIT
for p in $REDIS_PORT $PG_PORT $HOOK_PORT $FCM_PORT; do port_busy "$p" && die "port $p is already in use"; done
if [ ! -f "$BUILD/CMakeCache.txt" ]; then
  cmake -S "$SRC" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >"$DIR/build.log" 2>&1 || { cat "$DIR/build.log" >&2; exit 1; }
fi
grep -q '^CMAKE_BUILD_TYPE:STRING=Release' "$BUILD/CMakeCache.txt" || log "warning: $BUILD is not a Release build"
cmake --build "$BUILD" -j"$CORES" --target cong cong-webhook-worker cong-push-relay cong-push-worker webhook-standin \
  fcm-standin >>"$DIR/build.log" 2>&1 || { tail -30 "$DIR/build.log" >&2; die "build failed"; }

bash "$SRC/scripts/make-keys.sh" "$DIR" >/dev/null
rm -rf "$DIR/pg" "$DIR/redis"
SERVICES_STARTED=1
bash "$SRC/scripts/services.sh" start "$DIR" "$REDIS_PORT" "$PG_PORT"
CONNINFO="host=127.0.0.1 port=$PG_PORT dbname=cong user=cong"
sql() { psql -h 127.0.0.1 -p "$PG_PORT" -U cong -d cong -v ON_ERROR_STOP=1 -X -q -At -c "$1"; }
(cd "$SRC" && timeout 120 env -i PATH="$PATH" CONG_POSTGRES_CONNINFO="$CONNINFO" CONG_REDIS_PORT="$REDIS_PORT" \
  CONG_MODULES_AUDIT_SIGNING_KEY_FILE="$DIR/keys/cong-audit.pem" "$BUILD/cong" --migrate --config cong.example.yaml) \
  >"$DIR/migrate.log" 2>&1 || { cat "$DIR/migrate.log" >&2; die "cong --migrate failed"; }

# wait_for SECONDS COMMAND... — until COMMAND prints a number >= the target in $TARGET; prints the elapsed seconds
wait_count() { # SECONDS TARGET COMMAND...
  local limit=$1 target=$2 start now n
  shift 2
  start=$(date +%s.%N)
  while :; do
    n=$("$@" || echo 0)
    [ "${n:-0}" -ge "$target" ] && break
    now=$(date +%s.%N)
    awk -v s="$start" -v n="$now" -v l="$limit" 'BEGIN { exit !(n - s > l) }' && die "timed out at $n of $target"
    sleep 0.05
  done
  awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.3f", e - s }'
}

# ---- webhooks: 4 organizations, an endpoint each at the one stand-in, their secrets sealed as modules/orgs does ----
(umask 077 && openssl rand -hex 32 >"$DIR/webhook-key")
python3 - "$DIR/webhook-key" "$HOOK_PORT" "$DIR/hook.secrets" >"$DIR/orgs.sql" <<'PY'
import base64, os, sys, uuid
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
key = bytes.fromhex(open(sys.argv[1]).read().strip())
secrets = open(sys.argv[3], "w")
for i in range(4):
    org, ep = uuid.uuid4(), uuid.uuid4()
    secret = "whsec_" + base64.b64encode(os.urandom(32)).decode()
    secrets.write(secret + "\n")
    nonce = os.urandom(12)
    sealed = nonce + AESGCM(key).encrypt(nonce, secret.encode(), str(ep).encode())
    print(f"INSERT INTO organizations (id, code, name, representative) VALUES ('{org}', '09000000{i:02d}', 'wbench {i}',"
          f" '{'A' * 43}');")
    print(f"INSERT INTO webhook_endpoints (id, organization_id, url, event_types, secret_sealed, created_by) VALUES "
          f"('{ep}', '{org}', 'http://127.0.0.1:{sys.argv[2]}/hooks/{i}', '{{dossier.status_changed}}', "
          f"'\\x{sealed.hex()}', 'wbench');")
PY
psql -h 127.0.0.1 -p "$PG_PORT" -U cong -d cong -v ON_ERROR_STOP=1 -X -q -f "$DIR/orgs.sql"
$(server_pin) "$BUILD/webhook-standin" --port "$HOOK_PORT" --secret-file "$DIR/hook.secrets" 2>/dev/null &
PIDS+=($!)
log "webhooks: $N events about 4 organizations"
sql "INSERT INTO push_outbox (subject, topic, payload, published_at)
     SELECT 'org:' || (SELECT id FROM organizations ORDER BY code OFFSET n % 4 LIMIT 1), 'dossier.status',
            jsonb_build_object('code', 'WB-' || n, 'status', 'received', 'version', 2), now()
       FROM generate_series(1, $N) n"
[ "$(sql "SELECT count(*) FROM webhook_deliveries")" = "$N" ] || die "the trigger did not make $N deliveries"
for _ in $(seq 1 100); do curl -s -o /dev/null "http://127.0.0.1:$HOOK_PORT/healthz" && break; sleep 0.1; done
$(client_pin) "$BUILD/cong-webhook-worker" --pg "$CONNINFO" --key-file "$DIR/webhook-key" --allow-http-loopback 1 \
  --per-endpoint "$PER" --max-in-flight 64 --batch 64 --poll-ms 20 2>"$DIR/webhook-worker.log" &
PIDS+=($!)
HOOK_S=$(wait_count 1200 "$N" sql "SELECT count(*) FROM webhook_deliveries WHERE state = 'delivered'")
VERIFIED=$(curl -s "http://127.0.0.1:$HOOK_PORT/control/deliveries" | python3 -S -c 'import json,sys; print(json.load(sys.stdin)["verified"])')
stop_pid "${PIDS[-1]}" 10

# ---- push: as many people with an FCM device and a session, the same topic, relayed first ----
log "push: $N events about $N people with a device"
mkdir -p "$DIR/fcm"
SA=$(bash "$SRC/tools/fcm_standin/make-service-account.sh" "$DIR/fcm" "http://127.0.0.1:$FCM_PORT/token" wbench)
$(server_pin) "$BUILD/fcm-standin" --port "$FCM_PORT" --service-account "$SA" 2>/dev/null &
PIDS+=($!)
sql "INSERT INTO push_devices (subject, session_id, platform, token, locale)
       SELECT 'wb-' || n, 'wb-sid-' || n, 'fcm', 'wb-' || n || ':APA91bBenchToken', 'vi' FROM generate_series(1, $N) n;
     INSERT INTO push_outbox (subject, topic, payload)
       SELECT 'wb-' || n, 'dossier.status', jsonb_build_object('code', 'WB-' || n, 'status', 'received', 'version', 2)
         FROM generate_series(1, $N) n"
seq 1 "$N" | sed 's/^/SET cong:session:wb-sid-/; s/$/ 1/' | redis-cli -p "$REDIS_PORT" --pipe >/dev/null
"$BUILD/cong-push-relay" --pg "$CONNINFO" --redis-port "$REDIS_PORT" 2>"$DIR/push-relay.log" &
PIDS+=($!)
RELAY_S=$(wait_count 600 "$N" redis-cli -p "$REDIS_PORT" XLEN cong:events:dossier.status)
stop_pid "${PIDS[-1]}" 10
for _ in $(seq 1 100); do curl -s -o /dev/null "http://127.0.0.1:$FCM_PORT/healthz" && break; sleep 0.1; done
fcm_ok() { curl -s "http://127.0.0.1:$FCM_PORT/control/stats" | python3 -S -c 'import json,sys; print(json.load(sys.stdin)["sends"]["ok"])'; }
$(client_pin) "$BUILD/cong-push-worker" --pg "$CONNINFO" --redis-port "$REDIS_PORT" --batch 100 \
  --fcm "service_account_file=$SA" --fcm "endpoint=http://127.0.0.1:$FCM_PORT" --fcm h2_prior_knowledge=1 \
  2>"$DIR/push-worker.log" &
PIDS+=($!)
PUSH_S=$(wait_count 1200 "$N" fcm_ok)
stop_pid "${PIDS[-1]}" 10

{
  echo "| what ($N events) | seconds | per second |"
  echo "| --- | ---: | ---: |"
  awk -v n="$N" -v s="$HOOK_S" -v p="$PER" 'BEGIN { printf "| cong-webhook-worker: signed deliveries to the stand-in (4 endpoints, %d at once each) | %.2f | %.0f |\n", p, s, n / s }'
  awk -v n="$N" -v s="$PUSH_S" 'BEGIN { printf "| cong-push-worker: sends to the stand-in FCM (h2c), same run | %.2f | %.0f |\n", s, n / s }'
  awk -v n="$N" -v s="$RELAY_S" 'BEGIN { printf "| (cong-push-relay: the push events onto the stream first, not counted above) | %.2f | %.0f |\n", s, n / s }'
  awk -v h="$HOOK_S" -v p="$PUSH_S" 'BEGIN { printf "\nwebhook deliveries/s / push sends/s = %.2f\n", p / h }'
  echo "the stand-in receiver verified $VERIFIED signatures (of $N)"
} | tee "$DIR/results.md"

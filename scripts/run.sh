#!/usr/bin/env bash
# make run: Redis + PostgreSQL under .run/dev, keys and a self-signed certificate, the schema, the catalog, the demo
# official and (server.environment development, the default here) the demo data set; then the stand-in VNeID and
# portal, VNPay, FCM and APNs, the outbox relays, the push delivery worker and the gateway in the foreground. Ctrl-C
# stops the gateway and everything this script started, by PID.
#   scripts/run.sh                the set-up, then serve until Ctrl-C
#   scripts/run.sh --setup-only   the set-up alone; exits 0 with Redis and PostgreSQL running (`make stop` stops them)
# Every start works over the state an earlier one left, whether it ended with Ctrl-C, a kill -9 or a reboot: stale
# pid files are recognised (scripts/services.sh), processes an earlier run left behind are stopped, and every step
# is idempotent (existing grants, the demo loaded already, results issued already).
# Optional environment, read here and not passed on (the gateway refuses CONG_* variables it does not know):
#   CONG_DEV_DIR (.run/dev), CONG_DEV_BUILD (build-release), and the ports CONG_DEV_H2C_PORT (8080),
#   CONG_DEV_TLS_PORT (8443), CONG_DEV_ADMIN_PORT (9090), CONG_DEV_VNEID_PORT (8090), CONG_DEV_PORTAL_PORT (8091),
#   CONG_DEV_PAYMENT_PORT (8092), CONG_DEV_FCM_PORT (8093), CONG_DEV_APNS_PORT (8094), CONG_DEV_REDIS_PORT (6391),
#   CONG_DEV_PG_PORT (5491).
set -euo pipefail
cd "$(dirname "$0")/.."
case "${1:-}" in
  "") SETUP_ONLY=0 ;;
  --setup-only) SETUP_ONLY=1 ;;
  *) echo "usage: scripts/run.sh [--setup-only]" >&2; exit 2 ;;
esac
RUN=${CONG_DEV_DIR:-.run/dev}
BUILD=${CONG_DEV_BUILD:-build-release}
H2C_PORT=${CONG_DEV_H2C_PORT:-8080}
TLS_PORT=${CONG_DEV_TLS_PORT:-8443}
ADMIN_PORT=${CONG_DEV_ADMIN_PORT:-9090}
VNEID_PORT=${CONG_DEV_VNEID_PORT:-8090}
PORTAL_PORT=${CONG_DEV_PORTAL_PORT:-8091}
PAYMENT_PORT=${CONG_DEV_PAYMENT_PORT:-8092}
FCM_PORT=${CONG_DEV_FCM_PORT:-8093}
APNS_PORT=${CONG_DEV_APNS_PORT:-8094}
REDIS_PORT=${CONG_DEV_REDIS_PORT:-6391}
PG_PORT=${CONG_DEV_PG_PORT:-5491}
for name in ${!CONG_DEV_@}; do unset "$name"; done
# The demo: test citizens of the stand-in VNeID (tools/vneid_standin/citizens.c).
export DEMO_CITIZEN=001099000001 DEMO_CITIZEN_NAME="Nguyễn Văn An" DEMO_OFFICIAL=001099000005
export DEMO_UNITS="HN-W-001 HN-W-002"
VNEID="http://127.0.0.1:$VNEID_PORT"
mkdir -p "$RUN/pids"

# One run.sh per state folder: a second one would take the first one's ports and, on its way out, its stores.
if other=$(cat "$RUN/run.pid" 2>/dev/null) && [ -n "$other" ] && [ "$other" != $$ ] &&
   tr '\0' ' ' <"/proc/$other/cmdline" 2>/dev/null | grep -q 'scripts/run.sh'; then
  echo "cong: scripts/run.sh already runs with $RUN (PID $other); stop it first (Ctrl-C)" >&2
  exit 1
fi
echo $$ >"$RUN/run.pid"

# A process an earlier run started and left running (that run.sh was killed, or its terminal closed): its pid file
# names a live process of the same program, started with this state folder. Anything else the file may name after a
# reboot is left alone.
stop_leftover() {
  local name=$1 program=$2 pid
  pid=$(tr -dc 0-9 2>/dev/null <"$RUN/pids/$name.pid") || true
  if [ -n "$pid" ] && [ "$(readlink "/proc/$pid/exe" 2>/dev/null)" = "$(readlink -f "$program")" ] &&
     tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null | grep -qxF "CONG_LOG_ACCESS_LOG=$RUN/access.log"; then
    echo "cong: stopping the $name an earlier run left running (PID $pid)" >&2
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do [ -e "/proc/$pid/exe" ] || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$RUN/pids/$name.pid"
}
stop_leftover gateway "$BUILD/cong"
stop_leftover portal-sync "$BUILD/cong-portal-sync"
stop_leftover push-relay "$BUILD/cong-push-relay"
stop_leftover push-fanout "$BUILD/cong-push-fanout"
stop_leftover push-worker "$BUILD/cong-push-worker"
stop_leftover webhook-worker "$BUILD/cong-webhook-worker"
stop_leftover fcm "$BUILD/fcm-standin"
stop_leftover apns "$BUILD/apns-standin"
stop_leftover vneid "$BUILD/vneid-standin"
stop_leftover portal "$BUILD/portal-standin"
stop_leftover payment "$BUILD/payment-standin"

started=()   # "name pid", in start order
cleanup() {
  trap - EXIT INT TERM HUP
  local i
  for ((i = ${#started[@]} - 1; i >= 0; i--)); do
    local name=${started[i]% *} pid=${started[i]#* }
    kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
    rm -f "$RUN/pids/$name.pid"
  done
  bash scripts/services.sh stop "$RUN"
  rm -f "$RUN/run.pid"
  echo "cong: stopped"
}
trap cleanup EXIT
trap 'cleanup; exit 130' INT
trap 'cleanup; exit 143' TERM HUP

# start NAME COMMAND...: in the background, its PID remembered (for Ctrl-C, and for the next run if this one dies).
start() {
  local name=$1
  shift
  "$@" &
  started+=("$name $!")
  echo $! >"$RUN/pids/$name.pid"
}

# wait_http NAME URL [CURL_OPTIONS...]: until URL answers 200, while NAME's process lives; at most 30 s.
wait_http() {
  local name=$1 url=$2 pid= deadline=$((SECONDS + 30))
  shift 2
  for entry in "${started[@]}"; do [ "${entry% *}" = "$name" ] && pid=${entry#* }; done
  while [ "$SECONDS" -lt "$deadline" ]; do
    [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$@" "$url")" = 200 ] && return 0
    kill -0 "$pid" 2>/dev/null || { echo "cong: the $name exited (its messages: above, or $RUN/$name.log)" >&2; return 1; }
    sleep 0.1
  done
  echo "cong: the $name did not answer $url within 30 s" >&2
  return 1
}

# ---- the set-up ----
bash scripts/make-keys.sh "$RUN"
bash scripts/services.sh start "$RUN" "$REDIS_PORT" "$PG_PORT"
export CONG_SERVER_ENVIRONMENT=${CONG_SERVER_ENVIRONMENT:-development}
export CONG_SERVER_H2C_PORT="$H2C_PORT" CONG_SERVER_TLS_PORT="$TLS_PORT" CONG_SERVER_ADMIN_PORT="$ADMIN_PORT"
export CONG_SERVER_TLS_CERTIFICATE="$RUN/tls/cert.pem" CONG_SERVER_TLS_PRIVATE_KEY="$RUN/tls/key.pem"
export CONG_REDIS_PORT="$REDIS_PORT" CONG_POSTGRES_CONNINFO="host=127.0.0.1 port=$PG_PORT dbname=cong user=cong"
export CONG_AUTH_PUBLIC_KEY_FILE="$RUN/keys/issuer.pub.pem" CONG_AUTH_ISSUER="https://id.cong.test" CONG_AUTH_AUDIENCE="cong"
export CONG_AUTH_SIGNING_KEY_FILE="$RUN/keys/cong-signing.pem" CONG_AUTH_SUBJECT_SECRET_FILE="$RUN/keys/subject-secret"
export CONG_AUTH_DOCUMENT_SIGNING_KEY_FILE="$RUN/keys/cong-document.pem"
export CONG_MODULES_AUDIT_SIGNING_KEY_FILE="$RUN/keys/cong-audit.pem"
export CONG_VNEID_ISSUER="$VNEID" CONG_VNEID_CLIENT_ID=cong CONG_VNEID_JWKS="$VNEID/jwks.json"
export CONG_LOG_ACCESS_LOG="$RUN/access.log"
export CONG_MODULES_PROCEDURES_DATA_DIR="$RUN/data"
# Payments through the stand-in VNPay started below (merchant CONGDEMO; the secret made once, readable by this user
# only); the payer's browser comes back to the h2c listener (HTTP/1.1 too), and IPNs come from this machine only.
[ -s "$RUN/payment-secret" ] || (umask 077 && head -c 32 /dev/urandom | base64 | tr -d '/+=\n' >"$RUN/payment-secret")
export CONG_MODULES_PAYMENTS_VNPAY_TMN_CODE=CONGDEMO CONG_MODULES_PAYMENTS_VNPAY_SECRET_FILE="$RUN/payment-secret"
export CONG_MODULES_PAYMENTS_VNPAY_PAY_URL="http://127.0.0.1:$PAYMENT_PORT/paymentv2/vpcpay.html"
export CONG_MODULES_PAYMENTS_VNPAY_API_URL="http://127.0.0.1:$PAYMENT_PORT/merchant_webapi/api/transaction"
export CONG_MODULES_PAYMENTS_RETURN_URL="http://127.0.0.1:$H2C_PORT/v1/payments/vnpay/return"
export CONG_MODULES_PAYMENTS_IPN_ALLOW=127.0.0.1
# Webhook endpoints' secrets are sealed with this key (modules/orgs, "Webhooks"); cong-webhook-worker opens them with
# it. Made once per checkout, readable by this user only. http://127.0.0.1 endpoints (a stand-in receiver) allowed.
[ -s "$RUN/webhook-key" ] || (umask 077 && openssl rand -hex 32 >"$RUN/webhook-key")
export CONG_MODULES_ORGS_WEBHOOK_KEY_FILE="$RUN/webhook-key" CONG_MODULES_ORGS_WEBHOOK_ALLOW_HTTP_LOOPBACK=true

# Their warnings about the stand-in VNeID not being up yet (its JWKS) are noise here: shown only when they fail.
quietly() { "$@" >"$RUN/setup.log" 2>&1 || { cat "$RUN/setup.log" >&2; echo "cong: failed: $*" >&2; return 1; }; }
quietly "$BUILD/cong" --check-config cong.example.yaml
quietly "$BUILD/cong" --config cong.example.yaml --migrate
applied=$(grep -c ' applied ' "$RUN/setup.log" || true)
[ "$applied" = 0 ] || echo "cong: $applied migration(s) applied"
bash scripts/seed.sh "$REDIS_PORT" "$PG_PORT"
# The demo's official: test citizen 001099000005 (Hoàng Đức Thắng) serves the first two wards' desks.
for unit in $DEMO_UNITS; do
  printf '%s\n' "$DEMO_OFFICIAL" | "$BUILD/cong" --config cong.example.yaml official add --unit "$unit" \
    --citizen-file - >/dev/null
done
if [ "$CONG_SERVER_ENVIRONMENT" = development ]; then
  bash scripts/demo-data.sh "$PG_PORT" "$RUN/keys/subject-secret"
fi
if [ "$SETUP_ONLY" = 1 ]; then
  trap - EXIT INT TERM HUP
  rm -f "$RUN/run.pid"
  echo "cong: set up in $RUN; Redis (port $REDIS_PORT) and PostgreSQL (port $PG_PORT) run: make stop stops them"
  exit 0
fi

# ---- serving ----
# The stand-in VNeID (OpenID provider): discovery, JWKS, demo login with test citizens, key rotation.
start vneid "$BUILD/vneid-standin" --port "$VNEID_PORT" --issuer "$VNEID" --client-id cong \
  --redirect-uri-prefix http://127.0.0.1 --redirect-uri-prefix "https://127.0.0.1:$TLS_PORT/" \
  --state-dir "$RUN/vneid" 2>>"$RUN/vneid.log"
wait_http vneid "$VNEID/healthz"

# The stand-in National Public Service Portal: receives every dossier version cong-portal-sync delivers (its records
# persist in $RUN/portal.state). Its bearer token is made once, readable by this user only.
[ -s "$RUN/portal-token" ] || (umask 077 && head -c 24 /dev/urandom | base64 | tr -d '/+=\n' >"$RUN/portal-token")
start portal "$BUILD/portal-standin" --port "$PORTAL_PORT" --token-file "$RUN/portal-token" \
  --state-file "$RUN/portal.state" 2>>"$RUN/portal.log"
wait_http portal "http://127.0.0.1:$PORTAL_PORT/healthz"

# The stand-in VNPay gateway (tools/payment_standin/README.md): merchant CONGDEMO, its secret made at set-up; IPNs go
# to cong's VNPay IPN route (retried 5 times, 1 s apart, while cong does not answer 00).
start payment "$BUILD/payment-standin" --port "$PAYMENT_PORT" --tmn-code CONGDEMO --secret-file "$RUN/payment-secret" \
  --ipn-url "http://127.0.0.1:$H2C_PORT/v1/payments/vnpay/ipn" 2>>"$RUN/payment.log"
wait_http payment "http://127.0.0.1:$PAYMENT_PORT/healthz"

# The stand-in FCM and APNs (tools/fcm_standin, tools/apns_standin; h2c on loopback) that cong-push-worker delivers
# to. Their credentials are made here by the stand-ins' scripts, readable by this user only, never committed: the
# FCM service account (a new one per start, its token URI naming this start's port) and the APNs .p8 key (kept).
FCM="http://127.0.0.1:$FCM_PORT"
APNS="http://127.0.0.1:$APNS_PORT"
FCM_ACCOUNT=$(bash tools/fcm_standin/make-service-account.sh "$RUN/fcm" "$FCM/token" cong-demo)
bash tools/apns_standin/make-auth-key.sh "$RUN/apns" >/dev/null
start fcm "$BUILD/fcm-standin" --port "$FCM_PORT" --service-account "$FCM_ACCOUNT" 2>>"$RUN/fcm.log"
wait_http fcm "$FCM/healthz"
start apns "$BUILD/apns-standin" --port "$APNS_PORT" --auth-key-pub "$RUN/apns/auth-key.pub.pem" --key-id CONGDEMO01 \
  --team-id CONGTEAM01 --topic vn.gov.hanoi.cong 2>>"$RUN/apns.log"
wait_http apns "$APNS/healthz"

# The outbox relays: dossier versions to the stand-in portal (the procedures'), push events to Redis streams (push's).
start portal-sync "$BUILD/cong-portal-sync" --pg "$CONG_POSTGRES_CONNINFO" \
  --portal-url "http://127.0.0.1:$PORTAL_PORT" --portal-token-file "$RUN/portal-token" 2>>"$RUN/portal-sync.log"
start push-relay "$BUILD/cong-push-relay" --pg "$CONG_POSTGRES_CONNINFO" --redis-port "$REDIS_PORT" \
  2>>"$RUN/push-relay.log"
# The broadcasts' fan-out (push/fanout): POST /v1/broadcasts to the recipients' live logs and delivery entries.
start push-fanout "$BUILD/cong-push-fanout" --pg "$CONG_POSTGRES_CONNINFO" --redis-port "$REDIS_PORT" \
  2>>"$RUN/push-fanout.log"
# The delivery worker: event streams → live logs and the devices registered with POST /v1/me/devices.
start push-worker "$BUILD/cong-push-worker" --pg "$CONG_POSTGRES_CONNINFO" --redis-port "$REDIS_PORT" \
  --fcm "service_account_file=$FCM_ACCOUNT" --fcm "endpoint=$FCM" --fcm h2_prior_knowledge=1 \
  --apns "auth_key_file=$RUN/apns/auth-key.p8" --apns key_id=CONGDEMO01 --apns team_id=CONGTEAM01 \
  --apns topic=vn.gov.hanoi.cong --apns "endpoint=$APNS" --apns h2_prior_knowledge=1 2>>"$RUN/push-worker.log"
# Organizations' webhooks (push/webhook_worker): deliveries to their endpoints, signed, retried for a day.
start webhook-worker "$BUILD/cong-webhook-worker" --pg "$CONG_POSTGRES_CONNINFO" --key-file "$RUN/webhook-key" \
  --allow-http-loopback 1 2>>"$RUN/webhook-worker.log"
start gateway "$BUILD/cong" --config cong.example.yaml
wait_http gateway "http://127.0.0.1:$H2C_PORT/readyz" --http2-prior-knowledge

if [ "$CONG_SERVER_ENVIRONMENT" = development ]; then
  bash scripts/demo-results.sh "$PG_PORT" "http://127.0.0.1:$H2C_PORT" "$VNEID" ||
    echo "cong: the demo citizen's wallet results could not be issued (above); the rest of the demo is there" >&2
fi
TOKEN=$("$BUILD/cong-jwt-mint" --key "$RUN/keys/issuer.key.pem" --iss https://id.cong.test --aud cong \
  --sub demo-citizen --scope "ping" --acr 1 --ttl 3600) # acr 2 from a service key needs auth.public_key_privileged
login="bash scripts/demo-login.sh"
[ "$VNEID_PORT:$TLS_PORT" = 8090:8443 ] || login="VNEID=$VNEID CONG=https://127.0.0.1:$TLS_PORT $login"
cat <<MSG

cong is running (PID ${started[-1]#* }). Ctrl-C stops it and the stores.
  TLS (h2, http/1.1):   https://127.0.0.1:$TLS_PORT
  h2c (prior knowledge): http://127.0.0.1:$H2C_PORT
  health / readiness:    http://127.0.0.1:$H2C_PORT/healthz   http://127.0.0.1:$H2C_PORT/readyz
  metrics:               http://127.0.0.1:$ADMIN_PORT/metrics   (admin listener, loopback)
  API description:       http://127.0.0.1:$H2C_PORT/openapi.json
  stand-in VNeID:        $VNEID/.well-known/openid-configuration
  stand-in portal:       http://127.0.0.1:$PORTAL_PORT/api/v1/received   (fed by cong-portal-sync, log $RUN/portal-sync.log)
  stand-in VNPay:        http://127.0.0.1:$PAYMENT_PORT/control/transactions   (TmnCode CONGDEMO, secret $RUN/payment-secret)
  stand-in FCM, APNs:    $FCM/control/messages   $APNS/control/notifications   (fed by cong-push-worker)
  catalog:               http://127.0.0.1:$H2C_PORT/v1/procedures?q=dang%20ky%20khai%20sinh
  KPI dashboard:         http://127.0.0.1:$H2C_PORT/dashboard   (open it in a browser; README "The demo")
  demo official:         log in as test citizen $DEMO_OFFICIAL: desk of wards ${DEMO_UNITS// / and }
  demo citizen:          log in as test citizen $DEMO_CITIZEN ($DEMO_CITIZEN_NAME): dossiers, results in the wallet
  access log:            $RUN/access.log

Log in as a test citizen through the stand-in VNeID and get cong tokens (authorization code + PKCE, then the
exchange; every step is printed; CITIZEN=$DEMO_OFFICIAL for the official):
  $login

Or try a kid-less demo service token (valid one hour):
  curl --http2 -k -H "Authorization: Bearer $TOKEN" https://127.0.0.1:$TLS_PORT/v1/ping
  curl --http2-prior-knowledge -H "Authorization: Bearer $TOKEN" http://127.0.0.1:$H2C_PORT/v1/ping

MSG
wait "${started[-1]#* }"

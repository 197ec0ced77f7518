#!/usr/bin/env bash
# make run: Redis + PostgreSQL under .run/dev, keys and a self-signed certificate, then the gateway in the foreground.
# Ctrl-C stops the gateway and everything this script started, by PID.
set -euo pipefail
cd "$(dirname "$0")/.."
RUN=.run/dev
REDIS_PORT=${CONG_DEV_REDIS_PORT:-6391}
PG_PORT=${CONG_DEV_PG_PORT:-5491}

bash scripts/make-keys.sh "$RUN"
bash scripts/services.sh start "$RUN" "$REDIS_PORT" "$PG_PORT"
export CONG_SERVER_TLS_CERTIFICATE="$RUN/tls/cert.pem" CONG_SERVER_TLS_PRIVATE_KEY="$RUN/tls/key.pem"
export CONG_REDIS_PORT="$REDIS_PORT" CONG_POSTGRES_CONNINFO="host=127.0.0.1 port=$PG_PORT dbname=cong user=cong"
export CONG_AUTH_PUBLIC_KEY_FILE="$RUN/keys/issuer.pub.pem" CONG_AUTH_ISSUER="https://id.cong.test" CONG_AUTH_AUDIENCE="cong"
export CONG_AUTH_SIGNING_KEY_FILE="$RUN/keys/cong-signing.pem" CONG_AUTH_SUBJECT_SECRET_FILE="$RUN/keys/subject-secret"
export CONG_VNEID_ISSUER="http://127.0.0.1:8090" CONG_VNEID_CLIENT_ID=cong CONG_VNEID_JWKS="http://127.0.0.1:8090/jwks.json"
export CONG_LOG_ACCESS_LOG="$RUN/access.log"
export CONG_MODULES_PROCEDURES_DATA_DIR="$RUN/data"

gateway_pid=
vneid_pid=
portal_pid=
sync_pid=
cleanup() {
  trap - EXIT INT TERM
  [ -n "$sync_pid" ] && kill -TERM "$sync_pid" 2>/dev/null && wait "$sync_pid" 2>/dev/null || true
  [ -n "$portal_pid" ] && kill -TERM "$portal_pid" 2>/dev/null && wait "$portal_pid" 2>/dev/null || true
  [ -n "$vneid_pid" ] && kill -TERM "$vneid_pid" 2>/dev/null && wait "$vneid_pid" 2>/dev/null || true
  [ -n "$gateway_pid" ] && kill -TERM "$gateway_pid" 2>/dev/null && wait "$gateway_pid" 2>/dev/null || true
  bash scripts/services.sh stop "$RUN"
  echo "cong: stopped"
}
trap cleanup EXIT INT TERM

# The stand-in VNeID (OpenID provider): discovery, JWKS, demo login with test citizens, key rotation.
build-release/vneid-standin --port 8090 --issuer http://127.0.0.1:8090 --client-id cong \
  --redirect-uri-prefix http://127.0.0.1 --redirect-uri-prefix https://127.0.0.1:8443/ \
  --state-dir "$RUN/vneid" 2>>"$RUN/vneid.log" &
vneid_pid=$!
for _ in $(seq 1 50); do curl -s -o /dev/null http://127.0.0.1:8090/healthz && break; sleep 0.1; done

# The stand-in National Public Service Portal: receives every dossier version cong-portal-sync delivers (its records
# persist in $RUN/portal.state). Its bearer token is made once, readable by this user only.
[ -s "$RUN/portal-token" ] || (umask 077 && head -c 24 /dev/urandom | base64 | tr -d '/+=\n' >"$RUN/portal-token")
build-release/portal-standin --port 8091 --token-file "$RUN/portal-token" --state-file "$RUN/portal.state" \
  2>>"$RUN/portal.log" &
portal_pid=$!
for _ in $(seq 1 50); do curl -s -o /dev/null http://127.0.0.1:8091/healthz && break; sleep 0.1; done

build-release/cong --check-config cong.example.yaml >/dev/null
build-release/cong --config cong.example.yaml --migrate
bash scripts/seed.sh "$REDIS_PORT" "$PG_PORT"
# The demo's official: test citizen 001099000005 (Hoàng Đức Thắng) serves the first two wards' desks.
for unit in HN-W-001 HN-W-002; do
  build-release/cong --config cong.example.yaml official add --unit "$unit" --citizen 001099000005 >/dev/null
done
# The outbox relay: dossier versions to the stand-in portal, push events to Redis streams.
build-release/cong-portal-sync --pg "$CONG_POSTGRES_CONNINFO" --portal-url http://127.0.0.1:8091 \
  --portal-token-file "$RUN/portal-token" --redis-port "$REDIS_PORT" 2>>"$RUN/portal-sync.log" &
sync_pid=$!
build-release/cong --config cong.example.yaml &
gateway_pid=$!
for _ in $(seq 1 100); do
  curl -s -o /dev/null --http2-prior-knowledge http://127.0.0.1:8080/healthz && break
  sleep 0.1
done
TOKEN=$(build-release/cong-jwt-mint --key "$RUN/keys/issuer.key.pem" --iss https://id.cong.test --aud cong \
  --sub demo-citizen --scope "ping" --acr 1 --ttl 3600) # acr 2 from a service key needs auth.public_key_privileged
cat <<MSG

cong is running (PID $gateway_pid). Ctrl-C stops it and the stores.
  TLS (h2, http/1.1):   https://127.0.0.1:8443
  h2c (prior knowledge): http://127.0.0.1:8080
  health / readiness:    http://127.0.0.1:8080/healthz   http://127.0.0.1:8080/readyz
  metrics:               http://127.0.0.1:8080/metrics
  API description:       http://127.0.0.1:8080/openapi.json
  stand-in VNeID:        http://127.0.0.1:8090/.well-known/openid-configuration
  stand-in portal:       http://127.0.0.1:8091/api/v1/received   (fed by cong-portal-sync, log $RUN/portal-sync.log)
  catalog:               http://127.0.0.1:8080/v1/procedures?q=dang%20ky%20khai%20sinh
  KPI dashboard:         http://127.0.0.1:8080/dashboard   (open it in a browser)
  demo official:         log in as test citizen 001099000005: desk of wards HN-W-001 and HN-W-002
  access log:            $RUN/access.log

Log in as a test citizen through the stand-in VNeID and get cong tokens (authorization code + PKCE, then the
exchange; every step is printed):
  bash scripts/demo-login.sh

Or try a kid-less demo service token (valid one hour):
  curl --http2 -k -H "Authorization: Bearer $TOKEN" https://127.0.0.1:8443/v1/ping
  curl --http2-prior-knowledge -H "Authorization: Bearer $TOKEN" http://127.0.0.1:8080/v1/ping

MSG
wait "$gateway_pid"

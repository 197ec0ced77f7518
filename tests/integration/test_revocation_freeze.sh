#!/usr/bin/env bash
# Revocation does not stop silently. Gateway A (one worker) reaches Redis through a relay of this test's own; gateway
# B reaches it directly; both trust the same keys. The relay then freezes A's connections (they stop forwarding, they
# do not close: a frozen peer, a middlebox that dropped the flow). A logout on B must still reach A within a few
# seconds: A's subscription misses its PING deadline (redis.timeout_ms, set here), is dropped, made again through the
# relay, and catches up from the revocation set. A's metrics count the resubscription.
source "$(dirname "$0")/lib.sh"
CITIZEN=001099000007
vneid_start
relay_start REDISRELAY "$REDIS_PORT" || { bad "Redis relay"; finish; exit 1; }

mint() { curl -s -X POST -H 'content-type: application/json' -d "$1" "$VNEID/test/mint" | json id_token; }
session() { # → an access token of a new session, made on B
  curl -s --http2-prior-knowledge -H 'content-type: application/json' \
    -d "{\"id_token\":\"$(mint "{\"sub\":\"$CITIZEN\",\"acr\":\"2\"}")\"}" \
    "http://127.0.0.1:$B_PORT/v1/auth/vneid/exchange" | json access_token
}
status_on() { # PORT TOKEN PATH
  curl -s --http2-prior-knowledge --max-time 5 -o /dev/null -w '%{http_code}' -H "authorization: Bearer $2" \
    "http://127.0.0.1:$1$3"
}
logout_on_b() {
  curl -s --http2-prior-knowledge -o /dev/null -w '%{http_code}' -X POST -H "authorization: Bearer $1" \
    "http://127.0.0.1:$B_PORT/v1/auth/logout"
}
now_ms() { echo $(($(date +%s%N) / 1000000)); }
# until_refused_on_a TOKEN: polls A until it refuses TOKEN (401) or 8 s pass; prints the last status and the wait.
until_refused_on_a() {
  local start code give_up
  start=$(now_ms); give_up=$((start + 8000))
  code=$(status_on "$A_PORT" "$1" /v1/ping)
  while [ "$code" != 401 ] && [ "$(now_ms)" -lt "$give_up" ]; do sleep 0.1; code=$(status_on "$A_PORT" "$1" /v1/ping); done
  echo "$code $(($(now_ms) - start))"
}
metric_on_a() { curl -s --http2-prior-knowledge "http://127.0.0.1:$A_ADMIN_PORT/metrics" | awk -v m="$1" '$1 == m {print $2}'; }

GW_NAME=a start_gateway "${IDENTITY_ENV[@]}" CONG_SERVER_WORKERS=1 CONG_REDIS_PORT="$REDISRELAY_PORT" \
  CONG_REDIS_TIMEOUT_MS=500 || { finish; exit 1; }
A_PID=$GW_PID A_PORT=$H2C_PORT A_ADMIN_PORT=$ADMIN_PORT
GW_PID=
GW_NAME=b start_gateway "${IDENTITY_ENV[@]}" || { GW_PID=$A_PID; finish; exit 1; }
B_PORT=$H2C_PORT

# A hears revocations while its connections flow (this also waits for its subscription to be up).
T1=$(session)
expect_eq "A knows the first token (cached)" 200 "$(status_on "$A_PORT" "$T1" /v1/ping)"
expect_eq "logout on B" 204 "$(logout_on_b "$T1")"
read -r code waited <<<"$(until_refused_on_a "$T1")"
expect_eq "A refuses it" 401 "$code"
expect_eq "A's subscription is up" 1 "$(metric_on_a cong_revocation_subscriptions_up)"
expect_eq "no resubscription yet" 0 "$(metric_on_a cong_revocation_resubscriptions_total)"

# Frozen: A's subscription hears nothing any more, and its socket stays open.
T2=$(session)
expect_eq "A knows the second token (cached)" 200 "$(status_on "$A_PORT" "$T2" /v1/ping)"
relay_freeze REDISRELAY || bad "freezing the relay"
expect_eq "logout on B while A's subscription is frozen" 204 "$(logout_on_b "$T2")"
read -r code waited <<<"$(until_refused_on_a "$T2")"
expect_eq "the logout still reaches A" 401 "$code"
if [ "$code" = 401 ] && [ "$waited" -le 5000 ]; then ok; else bad "within 5 s: waited $waited ms"; fi
echo "logout reached the frozen worker after $waited ms"
expect_match "A counts the resubscription" '^[1-9]' "$(metric_on_a cong_revocation_resubscriptions_total)"
expect_match "A says why" "did not answer a PING within 500 ms; resubscribing" "$(cat "$GW_DIR/a.stderr")"

GW_NAME=b stop_gateway
GW_PID=$A_PID GW_NAME=a stop_gateway
finish

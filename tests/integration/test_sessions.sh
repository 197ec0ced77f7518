#!/usr/bin/env bash
# Sessions against the stand-in VNeID: how long a level-2 login counts (auth.step_up_max_age_s, RFC 9470 max_age),
# the refresh retry grace (the previous refresh token gets the same answer for auth.refresh_reuse_grace_s, reuse
# after it revokes the session), and the absolute and idle lifetimes. Limits are set small here; ages are made by
# choosing the ID token's auth_time or by backdating a session record in Redis, never by waiting for them.
source "$(dirname "$0")/lib.sh"
CITIZEN=001099000004
vneid_start
printf 'modules:\n  load: ["%s/partner_hello.so"]\n' "$BUILD" >"$GW_DIR/cong.yaml" # GET /v1/partner/secure needs level 2
start_gateway "${IDENTITY_ENV[@]}" CONG_AUTH_STEP_UP_MAX_AGE_S=60 CONG_AUTH_REFRESH_REUSE_GRACE_S=5 \
  CONG_AUTH_SESSION_LIFETIME_S=3600 CONG_AUTH_SESSION_IDLE_TIMEOUT_S=300 CONG_AUTH_ACCESS_TOKEN_TTL_S=600 \
  CONG_AUTH_REFRESH_TOKEN_TTL_S=86400 || exit 1

mint() { curl -s -X POST -H 'content-type: application/json' -d "$1" "$VNEID/test/mint" | json id_token; }
login() { # ID_TOKEN_CLAIMS_JSON → the exchange's answer in $GW_DIR/x; status printed
  h2c -o "$GW_DIR/x" -w '%{http_code}' -H 'content-type: application/json' \
    -d "{\"id_token\":\"$(mint "$1")\",\"device\":{\"id\":\"d\",\"name\":\"n\",\"platform\":\"ios\"}}" \
    "$(url /v1/auth/vneid/exchange)"
}
refresh() { # REFRESH_TOKEN OUT_FILE → status printed
  h2c -o "$2" -w '%{http_code}' -H 'content-type: application/json' -d "{\"refresh_token\":\"$1\"}" "$(url /v1/auth/refresh)"
}
status_with() { h2c -o /dev/null -w '%{http_code}' -H "authorization: Bearer $1" "$(url "$2")"; }
claim() { cut -d. -f2 <<<"$1" | tr '_-' '/+' | base64 -d 2>/dev/null | python3 -S -c 'import json,sys
d = json.loads(sys.stdin.read()); print(d.get(sys.argv[1], ""))' "$2"; }
# backdate SID FIELD SECONDS: the session record's created/last_seen as that many seconds ago (its TTL kept)
backdate() {
  redis-cli -p "$REDIS_PORT" EVAL "local k = 'cong:session:'..ARGV[1] local s = cmsgpack.unpack(redis.call('GET', k))
    s[ARGV[2]] = tonumber(ARGV[3]) redis.call('SET', k, cmsgpack.pack(s), 'KEEPTTL') return 1" 0 \
    "$1" "$2" "$(( $(date +%s) - $3 ))" >/dev/null
}
now=$(date +%s)

# ---- step-up: a level-2 login counts for step_up_max_age_s (60 s here) ----
expect_eq "fresh level-2 login" 200 "$(login "{\"sub\":\"$CITIZEN\",\"acr\":\"2\",\"auth_time\":$now}")"
FRESH=$(json access_token <"$GW_DIR/x"); FRESH_R=$(json refresh_token <"$GW_DIR/x")
expect_eq "the access token carries the login's auth_time" "$now" "$(claim "$FRESH" auth_time)"
expect_eq "fresh: a level-2 route" 200 "$(status_with "$FRESH" /v1/partner/secure)"

expect_eq "a level-2 login 120 s old" 200 "$(login "{\"sub\":\"$CITIZEN\",\"acr\":\"2\",\"auth_time\":$((now - 120))}")"
STALE=$(json access_token <"$GW_DIR/x"); STALE_R=$(json refresh_token <"$GW_DIR/x")
h=$(h2c -D - -o "$GW_DIR/b" -H "authorization: Bearer $STALE" "$(url /v1/partner/secure)")
expect_match "too old for a level-2 route: 401" "^HTTP/2 401" "$h"
expect_eq "step-up-required" "https://cong.hanoi.gov.vn/problems/step-up-required" "$(json type <"$GW_DIR/b")"
expect_match "RFC 9470 challenge with max_age" \
  'www-authenticate: Bearer realm="cong", error="insufficient_user_authentication", acr_values="2", max_age="60"' "$h"
expect_eq "it counts as level 1 now" 1 "$(h2c -H "authorization: Bearer $STALE" "$(url /v1/me)" | json loa)"
expect_eq "level-1 routes still open" 200 "$(status_with "$STALE" /v1/ping)"
expect_eq "refreshing the stale session" 200 "$(refresh "$STALE_R" "$GW_DIR/r")"
expect_eq "does not renew the login" 401 "$(status_with "$(json access_token <"$GW_DIR/r")" /v1/partner/secure)"
expect_eq "refreshing the fresh one" 200 "$(refresh "$FRESH_R" "$GW_DIR/r")"
expect_eq "keeps its auth_time" "$now" "$(claim "$(json access_token <"$GW_DIR/r")" auth_time)"
expect_eq "and its level" 200 "$(status_with "$(json access_token <"$GW_DIR/r")" /v1/partner/secure)"
expect_eq "an ID token without auth_time" 200 "$(login "{\"sub\":\"$CITIZEN\",\"acr\":\"2\",\"auth_time\":null}")"
expect_eq "is never a recent level 2" 401 "$(status_with "$(json access_token <"$GW_DIR/x")" /v1/partner/secure)"

# ---- refresh retried after a lost answer: the same pair within the grace (5 s), a revocation after it ----
login "{\"sub\":\"$CITIZEN\",\"acr\":\"1\"}" >/dev/null
R1=$(json refresh_token <"$GW_DIR/x")
retry_key="cong:refresh-retry:$(printf %s "$R1" | sha256sum | cut -d' ' -f1)"
# back to back, nothing slow in between: the retry must land within the grace even on a busy machine
expect_eq "refresh" 200 "$(refresh "$R1" "$GW_DIR/r1")"
ttl=$(redis-cli -p "$REDIS_PORT" TTL "$retry_key"); kept=$(redis-cli -p "$REDIS_PORT" GET "$retry_key")
expect_eq "the same token again, within the grace" 200 "$(refresh "$R1" "$GW_DIR/r1b")"
A2=$(json access_token <"$GW_DIR/r1"); R2=$(json refresh_token <"$GW_DIR/r1")
expect_eq "gets the same access token" "$A2" "$(json access_token <"$GW_DIR/r1b")"
expect_eq "and the same refresh token" "$R2" "$(json refresh_token <"$GW_DIR/r1b")"
expect_match "the answer is kept no longer than the grace" '^[1-5]$' "$ttl"
expect_match "sealed: Redis never holds the tokens" '^[A-Za-z0-9_-]{200,}$' "$kept"
expect_no_match "not even inside" "${A2:(-40)}|$R2" "$kept"
expect_eq "that pair works" 200 "$(status_with "$A2" /v1/ping)"
deadline=$(( $(date +%s) + 30 ))
while [ "$(redis-cli -p "$REDIS_PORT" EXISTS "$retry_key")" != 0 ] && [ "$(date +%s)" -lt "$deadline" ]; do sleep 0.1; done
expect_eq "the grace has ended" 0 "$(redis-cli -p "$REDIS_PORT" EXISTS "$retry_key")"
expect_eq "the previous token after the grace: reuse" 401 "$(refresh "$R1" "$GW_DIR/r")"
expect_eq "the session is revoked" 401 "$(status_with "$A2" /v1/ping)"
expect_eq "its current refresh token too" 401 "$(refresh "$R2" "$GW_DIR/r")"

login "{\"sub\":\"$CITIZEN\",\"acr\":\"1\"}" >/dev/null
R1=$(json refresh_token <"$GW_DIR/x")
refresh "$R1" "$GW_DIR/r" >/dev/null
R2=$(json refresh_token <"$GW_DIR/r")
expect_eq "rotate twice" 200 "$(refresh "$R2" "$GW_DIR/r")"
A3=$(json access_token <"$GW_DIR/r")
expect_eq "a token two rotations old, even within the grace: reuse" 401 "$(refresh "$R1" "$GW_DIR/r")"
expect_eq "revoked" 401 "$(status_with "$A3" /v1/ping)"

login "{\"sub\":\"$CITIZEN\",\"acr\":\"1\"}" >/dev/null
R1=$(json refresh_token <"$GW_DIR/x")
pids=()
for i in 1 2 3 4; do refresh "$R1" "$GW_DIR/c$i" >"$GW_DIR/c$i.status" & pids+=($!); done
wait "${pids[@]}"
expect_eq "four concurrent uses of one token" "200 200 200 200 " "$(for i in 1 2 3 4; do printf '%s ' "$(cat "$GW_DIR/c$i.status")"; done)"
expect_eq "rotate once: one pair for all" 1 "$(for i in 1 2 3 4; do json refresh_token <"$GW_DIR/c$i"; done | sort -u | wc -l)"

# ---- lifetimes: absolute 3600 s, idle 300 s ----
login "{\"sub\":\"$CITIZEN\",\"acr\":\"1\"}" >/dev/null
SID=$(json session_id <"$GW_DIR/x"); R=$(json refresh_token <"$GW_DIR/x")
expect_match "an access token ends with the idle timeout at the latest" '^(29[0-9]|300)$' "$(json expires_in <"$GW_DIR/x")"
# (TTLs and ages below leave a busy machine a minute of slack: a check only tells ≤ 300 from the refresh lifetime)
expect_match "the record expires with it" '^(2[4-9][0-9]|300)$' "$(redis-cli -p "$REDIS_PORT" TTL "cong:session:$SID")"
backdate "$SID" created 3540
expect_eq "60 s before the absolute end" 200 "$(refresh "$R" "$GW_DIR/r")"
expect_match "the new access token ends with the session" '^([1-5]?[0-9]|60)$' "$(json expires_in <"$GW_DIR/r")"
expect_match "so does the record" '^([1-5]?[0-9]|60)$' "$(redis-cli -p "$REDIS_PORT" TTL "cong:session:$SID")"
R=$(json refresh_token <"$GW_DIR/r")
backdate "$SID" created 3600
expect_eq "past the absolute lifetime" 401 "$(refresh "$R" "$GW_DIR/r")"
expect_match "the session has ended" "hết hạn" "$(json detail <"$GW_DIR/r")"
expect_eq "and is gone" 0 "$(redis-cli -p "$REDIS_PORT" EXISTS "cong:session:$SID")"

login "{\"sub\":\"$CITIZEN\",\"acr\":\"1\"}" >/dev/null
SID=$(json session_id <"$GW_DIR/x"); R=$(json refresh_token <"$GW_DIR/x")
backdate "$SID" last_seen 240
expect_eq "used 240 s ago" 200 "$(refresh "$R" "$GW_DIR/r")"
R=$(json refresh_token <"$GW_DIR/r")
backdate "$SID" last_seen 300
expect_eq "unused for the idle timeout" 401 "$(refresh "$R" "$GW_DIR/r")"
ACCESS=$(json access_token <"$GW_DIR/x")
expect_no_match "no longer listed" "$SID" "$(h2c -H "authorization: Bearer $ACCESS" "$(url /v1/me/sessions)")"

expect_no_match "refresh tokens never logged" "$R1|$R2" "$(cat "$GW_DIR/stderr" "$GW_DIR/access.log")"
finish

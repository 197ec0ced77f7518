#!/usr/bin/env bash
# Authentication and authorization on the wire: missing, valid, expired, wrong issuer/audience, alg none, tampered,
# not an access token (typ at+jwt, RFC 9068); scopes (403) and level of assurance (401 step-up, RFC 9470, with the
# login's age: max_age); what a kid-less service key may claim without auth.public_key_privileged. A partner module
# provides the scoped and level-2 routes.
source "$(dirname "$0")/lib.sh"
printf 'modules:\n  load: ["%s/partner_hello.so"]\n' "$BUILD" >"$GW_DIR/cong.yaml"
start_gateway || exit 1

h=$(h2c -D - -o "$GW_DIR/b" "$(url /v1/ping)")
expect_match "no token: 401" "^HTTP/2 401" "$h"
expect_match "challenge" 'www-authenticate: Bearer realm="cong"' "$h"
expect_eq "no token: type" "https://cong.hanoi.gov.vn/problems/unauthorized" "$(json type <"$GW_DIR/b")"

T=$(token --sub citizen-abc --scope "ping events:write" --acr 2 --sid s-1)
body=$(h2c -H "authorization: Bearer $T" "$(url /v1/ping)")
expect_eq "valid: subject" "citizen-abc" "$(echo "$body" | python3 -S -c 'import json,sys; print(json.load(sys.stdin)["principal"]["subject"])')"
expect_eq "valid: loa" "2" "$(echo "$body" | python3 -S -c 'import json,sys; print(json.load(sys.stdin)["principal"]["loa"])')"
expect_eq "valid: session and scopes" "s-1|ping events:write|None|None" "$(echo "$body" | python3 -S -c 'import json,sys
p = json.load(sys.stdin)["principal"]; print(p["session_id"], p["scopes"], p["client_id"], p["on_behalf_of"], sep="|")')"
# /v1/ping writes its JSON itself: a subject with a quote, a backslash, a tab and Vietnamese comes back intact
ODD=$'a"b\\c\td Nguyễn'
T=$(token --sub "$ODD" --scope ping --acr 1)
h2c -H "authorization: Bearer $T" "$(url /v1/ping)" >"$GW_DIR/odd"
expect_eq "odd subject: valid JSON, same subject" "$(printf '%s' "$ODD" | od -An -c | tr -s ' ')" \
  "$(python3 -S -c 'import json,sys; sys.stdout.write(json.load(open(sys.argv[1]))["principal"]["subject"])' "$GW_DIR/odd" 2>&1 | od -An -c | tr -s ' ')"

check_401() { # DESCRIPTION TOKEN
  local out
  out=$(h2c -D - -o "$GW_DIR/b" -H "authorization: Bearer $2" "$(url /v1/ping)")
  expect_match "$1: 401" "^HTTP/2 401" "$out"
  expect_eq "$1: type" "https://cong.hanoi.gov.vn/problems/invalid-token" "$(json type <"$GW_DIR/b")"
}
check_401 "expired" "$(token --sub x --ttl -120)"
check_401 "not yet valid" "$(token --sub x --nbf-offset 600)"
check_401 "wrong issuer" "$("$BUILD/cong-jwt-mint" --key "$RUN/keys/issuer.key.pem" --iss https://evil.test --aud cong --sub x)"
check_401 "wrong audience" "$("$BUILD/cong-jwt-mint" --key "$RUN/keys/issuer.key.pem" --iss "$ISSUER" --aud other --sub x)"
payload=$(printf '{"iss":"%s","aud":"cong","sub":"x","exp":%d}' "$ISSUER" $(( $(date +%s) + 600 )) | base64 -w0 | tr '+/' '-_' | tr -d '=')
check_401 "alg none" "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.$payload."
good=$(token --sub x)
check_401 "tampered payload" "${good%%.*}.$payload.${good##*.}"
check_401 "not an access token (typ JWT)" "$(token --sub x --typ JWT)"
check_401 "garbage" "not-a-token"
check_401 "long garbage" "$(head -c 6000 /dev/zero | tr '\0' 'a')"
expect_eq "20 KB token: headers too large" "431" \
  "$(h2c -o /dev/null -w '%{http_code}' -H "authorization: Bearer $(head -c 20000 /dev/zero | tr '\0' 'a')" "$(url /v1/ping)")"
h=$(h2c -D - -o /dev/null -H "authorization: Basic dXNlcjpwYXNz" "$(url /v1/ping)")
expect_match "basic auth refused" "^HTTP/2 401" "$h"
# a bad token is refused even on a public route
expect_eq "bad token on public route" "401" "$(h2c -o /dev/null -w '%{http_code}' -H 'authorization: Bearer x.y.z' "$(url /healthz)")"

# scope
T_noscope=$(token --sub citizen-abc --scope "ping" --acr 2)
h=$(h2c -D - -o "$GW_DIR/b" -X POST -H "authorization: Bearer $T_noscope" -H 'content-type: application/json' -d '{}' "$(url /v1/partner/events)")
expect_match "missing scope: 403" "^HTTP/2 403" "$h"
expect_match "insufficient_scope challenge" 'error="insufficient_scope"' "$h"

# level of assurance: step-up
T_l1=$(token --sub citizen-abc --acr 1)
h=$(h2c -D - -o "$GW_DIR/b" -H "authorization: Bearer $T_l1" "$(url /v1/partner/secure)")
expect_match "step-up: 401" "^HTTP/2 401" "$h"
expect_match "RFC 9470 challenge" 'error="insufficient_user_authentication", acr_values="2"' "$h"
expect_eq "step-up type" "https://cong.hanoi.gov.vn/problems/step-up-required" "$(json type <"$GW_DIR/b")"
T_l2=$(token --sub citizen-abc --acr 2)
expect_eq "level 2 passes" "200" "$(h2c -o /dev/null -w '%{http_code}' -H "authorization: Bearer $T_l2" "$(url /v1/partner/secure)")"
# a level-2 login counts for auth.step_up_max_age_s (900 by default) after its auth_time
T_old=$(token --sub citizen-abc --acr 2 --auth-time-offset -901)
h=$(h2c -D - -o "$GW_DIR/b" -H "authorization: Bearer $T_old" "$(url /v1/partner/secure)")
expect_match "a level-2 login too old: 401" "^HTTP/2 401" "$h"
expect_match "RFC 9470 challenge with max_age" 'acr_values="2", max_age="900"' "$h"
expect_eq "step-up type" "https://cong.hanoi.gov.vn/problems/step-up-required" "$(json type <"$GW_DIR/b")"
expect_eq "no auth_time: not a recent login" "401" "$(h2c -o /dev/null -w '%{http_code}' \
  -H "authorization: Bearer $(token --sub citizen-abc --acr 2 --claims-json '{"auth_time":null}')" "$(url /v1/partner/secure)")"
expect_eq "a login in the future: no" "401" "$(h2c -o /dev/null -w '%{http_code}' \
  -H "authorization: Bearer $(token --sub citizen-abc --acr 2 --auth-time-offset 3600)" "$(url /v1/partner/secure)")"

expect_no_match "tokens never logged" "${good:0:30}|${T:0:30}" "$(cat "$GW_DIR/access.log" "$GW_DIR/stderr")"
stop_gateway

# the service key without auth.public_key_privileged: no acting for someone, no level 2, no administration
start_gateway CONG_AUTH_PUBLIC_KEY_PRIVILEGED=0 || exit 1
ping_with() { h2c -o /dev/null -w '%{http_code}' -H "authorization: Bearer $1" "$(url /v1/ping)"; }
expect_eq "unprivileged: a plain service token" "200" "$(ping_with "$(token --sub svc --scope "ping dossiers:read" --acr 1)")"
expect_eq "unprivileged: acr 2 refused" "401" "$(ping_with "$(token --sub svc --acr 2)")"
expect_eq "unprivileged: scope admin refused" "401" "$(ping_with "$(token --sub svc --scope "ping admin")")"
expect_eq "unprivileged: act refused" "401" "$(ping_with "$(token --sub svc --claims-json '{"act":{"sub":"someone"}}')")"
finish

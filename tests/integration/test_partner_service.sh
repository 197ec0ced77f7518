#!/usr/bin/env bash
# A partner's first hour (examples/partner-service): cong runs with the example's own configuration snippet
# (cong.partner.yaml, its port changed; a second partner made of the same snippet), the example service (Python 3,
# Debian's PyJWT) runs as each partner's upstream, and a citizen calls it through cong. The service verifies cong's
# token with PyJWT and cong's published JWKS and answers with what it learned: the citizen's pseudonym for that partner
# (not cong's subject, different for the two partners, the same on every call), the scopes cut to the partner's. A
# client's forged identity headers never reach it. Called straight, the service refuses (401, a JSON error saying
# why) the citizen's own cong token, a token signed with another key, another partner's token, an expired or
# long-lived one, HS256 and no token; it accepts a token cong's key signed for it (so the refusals are the checks,
# not a service that refuses everything). The README shows the snippet the test runs.
source "$(dirname "$0")/lib.sh"

EXAMPLE="$SRC/examples/partner-service"
PY=/usr/bin/python3 # Debian's interpreter: python3-jwt and python3-cryptography are Debian packages
"$PY" -c 'import jwt, cryptography' || { bad "Debian's python3-jwt / python3-cryptography missing (scripts/deps.sh)"; finish; exit 1; }

read -r HAWACO_PORT EVN_PORT <<<"$(free_ports 2)"
# The snippet as the partner wrote it, and a second partner ("evn") declared by the same lines.
sed "s/127.0.0.1:8081/127.0.0.1:$HAWACO_PORT/" "$EXAMPLE/cong.partner.yaml" >"$GW_DIR/hawaco.yaml"
sed "s/127.0.0.1:8081/127.0.0.1:$EVN_PORT/; s/hawaco/evn/g" "$EXAMPLE/cong.partner.yaml" >"$GW_DIR/evn.yaml"
section() { sed -n "/^$1:/,/^[a-z_]*:/p" "$GW_DIR/hawaco.yaml" "$GW_DIR/evn.yaml" | grep -v '^[a-z_]*:'; }
{ echo "upstreams:"; section upstreams; echo "partner_routes:"; section partner_routes; } >"$GW_DIR/cong.yaml"

openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$GW_DIR/cong-signing.pem" 2>/dev/null
head -c 48 /dev/urandom >"$GW_DIR/subject-secret"
start_gateway CONG_AUTH_SIGNING_KEY_FILE="$GW_DIR/cong-signing.pem" CONG_AUTH_SUBJECT_SECRET_FILE="$GW_DIR/subject-secret" \
  CONG_RATE_LIMITS_DEFAULT_BURST=1000 CONG_RATE_LIMITS_DEFAULT_PER_MINUTE=100000 || exit 1

for spec in "hawaco $HAWACO_PORT" "evn $EVN_PORT"; do
  read -r partner port <<<"$spec"
  PARTNER_JWKS_URL="$(url /.well-known/jwks.json)" "$PY" "$EXAMPLE/partner_service.py" --port "$port" \
    --audience "$partner" --issuer "$ISSUER" 2>"$GW_DIR/$partner.stderr" &
  EXTRA_PIDS+=($!)
done
for port in "$HAWACO_PORT" "$EVN_PORT"; do
  wait_until 20 curl -s -o /dev/null "http://127.0.0.1:$port/healthz" || bad "the service on $port did not start"
done

reply() { "$PY" -S -c 'import json,sys; v=json.load(open(sys.argv[1])).get(sys.argv[2])
print(" ".join(v) if isinstance(v, list) else ("" if v is None else v))' "$GW_DIR/body" "$1"; }

# --- through cong: the service verified cong's token and saw the pseudonym, never the forged headers
CITIZEN="citizen-$$"
TOK=$(token --sub "$CITIZEN" --acr 2 --scope "hawaco.read hawaco.write evn.read profile")
status=$(call "$TOK" GET /v1/partners/hawaco/bills/42 -H "x-cong-subject: $CITIZEN" -H "x-user-id: forged" \
  -H "x-cong-partner-sub: forged" -H "x-forwarded-for: 6.6.6.6" -H "x-partner-note: kept")
expect_eq "GET through cong: 200 from the service" 200 "$status"
[ "$status" = 200 ] || { body; cat "$GW_DIR/hawaco.stderr"; }
expect_eq "  its partner" hawaco "$(reply partner)"
expect_eq "  the path cong sent" /bills/42 "$(reply path)"
SUB_HAWACO=$(reply sub)
expect_match "  sub: a pseudonym (PyJWT verified the token)" '^[A-Za-z0-9_-]{43}$' "$SUB_HAWACO"
expect_no_match "  not the citizen's own subject" "$CITIZEN" "$SUB_HAWACO"
expect_eq "  scopes cut to the partner's" "hawaco.read hawaco.write" "$(reply scopes)"
expect_eq "  no actor" "" "$(reply actor)"
HEADERS=$(reply received_headers)
for h in x-cong-subject x-user-id x-cong-partner-sub x-forwarded-for; do
  expect_no_match "  forged $h never reached the service" "(^| )$h( |$)" "$HEADERS"
done
expect_match "  cong's own token did" "(^| )authorization( |$)" "$HEADERS"
expect_match "  other headers did" "(^| )x-partner-note( |$)" "$HEADERS"

status=$(call "$TOK" POST /v1/partners/hawaco/readings -H "content-type: application/json" --data '{"m3":12}')
expect_eq "POST through cong: 200, the body as sent" "200 POST 9" "$status $(reply method) $(reply body_bytes)"
expect_eq "  the same pseudonym on every call" "$SUB_HAWACO" "$(reply sub)"

expect_eq "another partner's service through cong" 200 "$(call "$TOK" GET /v1/partners/evn/bills/42)"
expect_eq "  its partner" evn "$(reply partner)"
SUB_EVN=$(reply sub)
expect_match "  its pseudonym" '^[A-Za-z0-9_-]{43}$' "$SUB_EVN"
[ -n "$SUB_EVN" ] && [ "$SUB_EVN" != "$SUB_HAWACO" ] && ok || bad "two partners got the same pseudonym: $SUB_EVN"
expect_eq "  scopes cut to evn's" evn.read "$(reply scopes)"
expect_eq "cong itself refuses a token without the route's scope" 403 \
  "$(call "$(token --sub "$CITIZEN" --acr 2 --scope profile)" GET /v1/partners/hawaco/bills/42)"

# --- straight to the service: only a token cong signed for this partner is accepted
KID=$(curl -s "$(url /.well-known/jwks.json)" | "$PY" -S -c 'import json,sys; print(json.load(sys.stdin)["keys"][0]["kid"])')
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$GW_DIR/other.pem" 2>/dev/null
mint() { # KEY AUD [cong-jwt-mint options]: a token like cong's for partners (typ JWT, cong's kid, a jti)
  local key=$1 aud=$2; shift 2
  "$BUILD/cong-jwt-mint" --key "$key" --kid "$KID" --iss "$ISSUER" --aud "$aud" --sub someone --typ JWT \
    --ttl 60 --claims-json '{"jti":"t-1"}' "$@"
}
straight() { # TOKEN: the status of a GET straight to hawaco's service (body in $GW_DIR/body)
  curl -s --max-time 10 -o "$GW_DIR/body" -w '%{http_code}' ${1:+-H "authorization: Bearer $1"} \
    "http://127.0.0.1:$HAWACO_PORT/bills/42"
}
refused() { # WHAT TOKEN ERROR-REGEX
  local status; status=$(straight "$2")
  expect_eq "straight to the service, $1: 401" 401 "$status"
  expect_eq "  invalid_token" invalid_token "$(reply error)"
  expect_match "  says why" "$3" "$(reply error_description)"
}
expect_eq "straight, a token cong's key signed for hawaco: 200" 200 "$(straight "$(mint "$GW_DIR/cong-signing.pem" hawaco)")"
expect_eq "  (the checks below are the refusals)" someone "$(reply sub)"
refused "no token" "" "no bearer token"
refused "the citizen's own cong token" \
  "$("$BUILD/cong-jwt-mint" --key "$GW_DIR/cong-signing.pem" --kid "$KID" --iss "$ISSUER" --aud cong --sub "$CITIZEN")" \
  "cong access token"
refused "the citizen's cong token as typ JWT" "$(mint "$GW_DIR/cong-signing.pem" cong)" "InvalidAudience"
refused "the citizen's token from another issuer" "$TOK" "cong access token"
refused "a key cong does not publish (no kid)" "$("$BUILD/cong-jwt-mint" --key "$RUN/keys/issuer.key.pem" --iss "$ISSUER" \
  --aud hawaco --sub someone --typ JWT --ttl 60 --claims-json '{"jti":"t-2"}')" "not among cong's published keys"
refused "signed with another key under cong's kid" "$(mint "$GW_DIR/other.pem" hawaco)" "InvalidSignature"
refused "another partner's token" "$(mint "$GW_DIR/cong-signing.pem" evn)" "InvalidAudience"
refused "another issuer" "$(mint "$GW_DIR/cong-signing.pem" hawaco --iss https://evil.test)" "InvalidIssuer"
refused "expired (beyond the 5 s leeway)" "$(mint "$GW_DIR/cong-signing.pem" hawaco --iat-offset -120 --ttl -60)" \
  "ExpiredSignature"
refused "living over 60 s" "$(mint "$GW_DIR/cong-signing.pem" hawaco --ttl 3600)" "at most 60"
refused "without jti" "$(mint "$GW_DIR/cong-signing.pem" hawaco --claims-json '{"jti":null}')" "jti"
HS=$("$PY" -c 'import jwt, sys, time
print(jwt.encode({"iss": sys.argv[1], "aud": "hawaco", "sub": "x", "iat": int(time.time()), "exp": int(time.time()) + 60,
                  "jti": "j"}, "a shared secret of at least thirty-two bytes", algorithm="HS256", headers={"kid": sys.argv[2]}))' \
  "$ISSUER" "$KID")
refused "HS256" "$HS" "only ES256"
ODD_KID=$("$PY" -S -c 'import base64, json
b64 = lambda o: base64.urlsafe_b64encode(json.dumps(o).encode()).decode().rstrip("=")
print(b64({"alg": "ES256", "typ": "JWT", "kid": ["a", "list"]}) + "." + b64({"aud": "hawaco"}) + ".c2ln")')
refused "a kid that is no string" "$ODD_KID" "Key ID|kid"
refused "garbage" "not.a.jwt" "not a JWT"

# --- the tutorial shows the configuration this test ran
"$PY" -S - "$EXAMPLE/cong.partner.yaml" "$EXAMPLE/README.md" <<'PY' && ok || bad "README.md does not show cong.partner.yaml"
import sys
snippet, readme = open(sys.argv[1]).read(), open(sys.argv[2]).read()
sys.exit(0 if snippet.strip() in readme else 1)
PY

finish

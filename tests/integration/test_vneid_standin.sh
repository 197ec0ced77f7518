#!/usr/bin/env bash
# tests/integration/test_vneid_standin.sh — the stand-in VNeID OpenID provider (tools/vneid_standin), on its own:
# discovery and JWKS, the authorization-code flow with PKCE driven by curl through the login page, the ID token's
# claims and its ES256 signature checked with openssl against the published JWK, code reuse and PKCE failures, redirect
# URIs outside the prefix, key rotation with overlap, the test mint, persisted keys, code expiry, and a request log
# that never shows a code, a verifier or a token. Needs bash, curl, python3 (stdlib) and openssl; no gateway, no stores.
source "$(dirname "$0")/lib.sh"
# Resolve python3 once: a version-manager shim (pyenv) costs about half a second per call, and this test makes many.
PATH="$(dirname "$(python3 -c 'import sys; print(sys.executable)')"):$PATH"

STANDIN="$BUILD/vneid-standin"
TMP="$GW_DIR/vneid"
mkdir -p "$TMP"
REDIRECT=http://127.0.0.1:8443/v1/auth/vneid/callback

# Helpers in Python (stdlib only): PKCE, the login form, URLs, JWT parts, and JWK/JOSE -> PEM/DER for openssl.
cat >"$TMP/h.py" <<'PY'
import base64, hashlib, hmac, html.parser, json, os, sys, urllib.parse

def b64e(b): return base64.urlsafe_b64encode(b).rstrip(b"=").decode()
def b64d(s): return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))

def jwk_spki_der(jwk):
    # SubjectPublicKeyInfo for an EC P-256 key: a fixed 26-byte prefix, then the uncompressed point 04||x||y.
    prefix = bytes.fromhex("3059301306072a8648ce3d020106082a8648ce3d030107034200")
    return prefix + b"\x04" + b64d(jwk["x"]) + b64d(jwk["y"])

def pem(der):
    body = base64.b64encode(der).decode()
    return "-----BEGIN PUBLIC KEY-----\n" + "\n".join(body[i:i + 64] for i in range(0, len(body), 64)) + \
        "\n-----END PUBLIC KEY-----\n"

def der_int(b):
    b = b.lstrip(b"\x00") or b"\x00"
    if b[0] & 0x80:
        b = b"\x00" + b
    return b"\x02" + bytes([len(b)]) + b

def rs_to_der(rs):
    body = der_int(rs[:32]) + der_int(rs[32:])
    return b"\x30" + bytes([len(body)]) + body

class Form(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.fields, self.citizens, self.checked_level = [], [], None
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag != "input":
            return
        if a.get("type") == "hidden":
            self.fields.append((a["name"], a.get("value", "")))
        elif a.get("name") == "citizen":
            self.citizens.append(a["value"])
        elif a.get("name") == "level" and "checked" in a:
            self.checked_level = a["value"]

def key_for(token, jwks_file):
    kid = json.loads(b64d(token.split(".")[0])).get("kid")
    for k in json.load(open(jwks_file))["keys"]:
        if k["kid"] == kid:
            return k
    return None

cmd, args = sys.argv[1], sys.argv[2:]
if cmd == "pkce":
    v = b64e(os.urandom(32))
    print(v, b64e(hashlib.sha256(v.encode()).digest()))
elif cmd == "form":          # PAGE CITIZEN LEVEL [ACTION] -> the form body the browser would post
    f = Form(); f.feed(open(args[0], encoding="utf-8").read())
    extra = [("citizen", args[1]), ("level", args[2]), ("action", args[3] if len(args) > 3 else "login")]
    print(urllib.parse.urlencode(f.fields + extra))
elif cmd == "page":          # PAGE -> "<number of citizens> <preselected level>"
    f = Form(); f.feed(open(args[0], encoding="utf-8").read())
    print(len(f.citizens), f.checked_level)
elif cmd == "query":         # URL NAME -> the query parameter's value
    q = urllib.parse.parse_qs(urllib.parse.urlsplit(args[0]).query)
    print(q.get(args[1], [""])[0])
elif cmd == "base":          # URL -> the URL without its query
    print(urllib.parse.urlsplit(args[0])._replace(query="").geturl())
elif cmd == "header" or cmd == "claim":   # TOKEN NAME -> a header parameter or claim (JSON unless a string)
    v = json.loads(b64d(args[0].split(".")[0 if cmd == "header" else 1])).get(args[1])
    print("" if v is None else v if isinstance(v, str) else json.dumps(v))
elif cmd == "prepare":       # TOKEN JWKS DIR -> DIR/{pub.pem,sig.der,data}; exit 1 when the kid is not published
    token, k = args[0], key_for(args[0], args[1])
    if k is None or k["kty"] != "EC" or k["crv"] != "P-256":
        sys.exit(1)
    h, p, s = token.split(".")
    open(os.path.join(args[2], "pub.pem"), "w").write(pem(jwk_spki_der(k)))
    open(os.path.join(args[2], "sig.der"), "wb").write(rs_to_der(b64d(s)))
    open(os.path.join(args[2], "data"), "w").write(h + "." + p)
elif cmd == "tamper":        # TOKEN -> the same token with "sub" changed in the payload
    h, p, s = args[0].split(".")
    claims = json.loads(b64d(p)); claims["sub"] = "001099999999"
    print(h + "." + b64e(json.dumps(claims).encode()) + "." + s)
elif cmd == "hs256":         # TOKEN JWKS -> ok when the HMAC is keyed with the kid's public key PEM
    h, p, s = args[0].split(".")
    secret = pem(jwk_spki_der(key_for(args[0], args[1]))).encode()
    mac = hmac.new(secret, (h + "." + p).encode(), hashlib.sha256).digest()
    print("ok" if hmac.compare_digest(b64e(mac), s) else "bad")
elif cmd == "authz_url":     # BASE NAME=VALUE... -> an authorization request; later pairs win, a bare NAME removes
    q = {"response_type": "code", "client_id": "cong", "scope": "openid", "state": "xyz",
         "code_challenge_method": "S256"}
    for a in args[1:]:
        name, eq, value = a.partition("=")
        if eq: q[name] = value
        else: q.pop(name, None)
    print(args[0] + "?" + urllib.parse.urlencode(q))
elif cmd == "jwk":           # FILE -> the first key's members, with the coordinates' lengths
    k = json.load(open(args[0]))["keys"][0]
    print(k["kty"], k["crv"], k["alg"], k["use"], len(k["x"]), len(k["y"]))
elif cmd == "count":         # FILE -> number of keys in a JWKS
    print(len(json.load(open(args[0]))["keys"]))
elif cmd == "kids":          # FILE -> kids of a JWKS, space-separated
    print(" ".join(k["kid"] for k in json.load(open(args[0]))["keys"]))
PY
h() { python3 -S "$TMP/h.py" "$@"; }

STANDIN_PID=
# start_standin NAME [options...] — a stand-in on a free port (VS_PORT, VS), its stderr in $TMP/NAME.log.
start_standin() {
  local name=$1
  shift
  VS_PORT=$(free_port)
  VS=http://127.0.0.1:$VS_PORT
  ASAN_OPTIONS=halt_on_error=1 "$STANDIN" --port "$VS_PORT" --issuer "$VS" --client-id cong \
    --redirect-uri-prefix http://127.0.0.1 "$@" 2>>"$TMP/$name.log" &
  STANDIN_PID=$!
  EXTRA_PIDS+=("$STANDIN_PID")
  for _ in $(seq 1 100); do
    curl -s -o /dev/null "$VS/healthz" && return 0
    kill -0 "$STANDIN_PID" 2>/dev/null || break
    sleep 0.05
  done
  echo "vneid-standin did not start:"; cat "$TMP/$name.log"
  return 1
}
stop_standin() {
  kill -TERM "$STANDIN_PID" 2>/dev/null
  wait "$STANDIN_PID" 2>/dev/null
  STANDIN_PID=
}

# verify TOKEN JWKS_FILE — "Verified OK" when openssl accepts the ES256 signature under the published key of its kid.
verify() {
  local dir
  dir=$(mktemp -d "$TMP/v.XXXXXX")
  if h prepare "$1" "$2" "$dir"; then
    openssl dgst -sha256 -verify "$dir/pub.pem" -signature "$dir/sig.der" "$dir/data" 2>&1 | head -1
  else
    echo "kid not in the JWKS"
  fi
}

# login CITIZEN LEVEL [EXTRA_QUERY] [EXTRA_FORM] — the browser part of the flow: GET the login page, post its form back.
# Sets VERIFIER, PAGE_STATUS, LOCATION, CODE, STATE (the state sent is "s t&ü" plus a counter, to check encoding).
LOGIN_N=0
login() {
  LOGIN_N=$((LOGIN_N + 1))
  read -r VERIFIER CHALLENGE < <(h pkce)
  SENT_STATE="s t&ü$LOGIN_N"
  PAGE_STATUS=$(curl -s -o "$TMP/page.html" -w '%{http_code}' -G "$VS/authorize" \
    --data-urlencode response_type=code --data-urlencode client_id=cong --data-urlencode "redirect_uri=$REDIRECT" \
    --data-urlencode "scope=openid profile" --data-urlencode "state=$SENT_STATE" --data-urlencode "nonce=n-$LOGIN_N" \
    --data-urlencode "code_challenge=$CHALLENGE" --data-urlencode code_challenge_method=S256 ${3:+--data "$3"})
  LOCATION=$(curl -s -o /dev/null -w '%{redirect_url}' -X POST "$VS/authorize" \
    -H 'Content-Type: application/x-www-form-urlencoded' --data "$(h form "$TMP/page.html" "$1" "$2")${4:+&$4}")
  CODE=$(h query "$LOCATION" code)
  STATE=$(h query "$LOCATION" state)
}

# redeem CODE VERIFIER [REDIRECT_URI] — POST /token; the body goes to $TMP/token.json, the status to stdout.
redeem() {
  curl -s -o "$TMP/token.json" -D "$TMP/token.headers" -w '%{http_code}' -X POST "$VS/token" \
    --data-urlencode grant_type=authorization_code --data-urlencode "code=$1" \
    --data-urlencode "redirect_uri=${3:-$REDIRECT}" --data-urlencode client_id=cong --data-urlencode "code_verifier=$2"
}

# redeem_error CODE VERIFIER [REDIRECT_URI] — the "error" of that redemption.
redeem_error() { redeem "$@" >/dev/null; json error <"$TMP/token.json"; }
# token_error FORM_BODY — the "error" of a raw POST /token.
token_error() { curl -s -X POST "$VS/token" --data "$1" | json error; }

# authz_url NAME=VALUE... — an authorization request URL (defaults: code, cong, openid, state xyz, S256; the
# redirect_uri and code_challenge of the current test); status_of URL — GET it, body and headers in $TMP/resp.*;
# location_of URL — where it redirects; post_authz BODY — POST /authorize, the status; post_authz_location BODY.
authz_url() { h authz_url "$VS/authorize" "redirect_uri=$REDIRECT" "code_challenge=$CHALLENGE" "$@"; }
status_of() { curl -s -o "$TMP/resp.html" -D "$TMP/resp.headers" -w '%{http_code}' "$1"; }
location_of() { curl -s -o /dev/null -w '%{redirect_url}' "$1"; }
post_authz() { curl -s -o /dev/null -w '%{http_code}' -X POST "$VS/authorize" --data "$1"; }
post_authz_location() { curl -s -o /dev/null -w '%{redirect_url}' -X POST "$VS/authorize" --data "$1"; }

jwks() { curl -s -o "$TMP/jwks.json" "$VS/jwks.json"; }
mint() { curl -s -X POST "$VS/test/mint" -H 'Content-Type: application/json' --data "$1" | json id_token; }
mint_status() { curl -s -o /dev/null -w '%{http_code}' -X POST "$VS/test/mint" --data "$1"; }

expect_eq "bad arguments exit 2" 2 "$("$STANDIN" --port x 2>/dev/null; echo $?)"

start_standin main --test-endpoints --redirect-uri-prefix https://127.0.0.1:8443/ || { finish; exit 1; }

# Discovery and JWKS.
expect_eq "healthz" 200 "$(curl -s -o /dev/null -w '%{http_code}' "$VS/healthz")"
DISCOVERY=$(curl -s "$VS/.well-known/openid-configuration")
expect_eq "discovery issuer" "$VS" "$(json issuer <<<"$DISCOVERY")"
expect_eq "discovery token_endpoint" "$VS/token" "$(json token_endpoint <<<"$DISCOVERY")"
expect_eq "discovery authorization_endpoint" "$VS/authorize" "$(json authorization_endpoint <<<"$DISCOVERY")"
expect_eq "discovery jwks_uri" "$VS/jwks.json" "$(json jwks_uri <<<"$DISCOVERY")"
expect_eq "discovery PKCE" "['S256']" "$(json code_challenge_methods_supported <<<"$DISCOVERY")"
expect_eq "discovery algorithms" "['ES256']" "$(json id_token_signing_alg_values_supported <<<"$DISCOVERY")"
expect_eq "discovery acr values" "['1', '2']" "$(json acr_values_supported <<<"$DISCOVERY")"
expect_eq "discovery response types" "['code']" "$(json response_types_supported <<<"$DISCOVERY")"
JWKS_HEADERS=$(curl -s -D - -o "$TMP/jwks.json" "$VS/jwks.json")
expect_match "JWKS Cache-Control" $'[Cc]ache-[Cc]ontrol: max-age=60\r' "$JWKS_HEADERS"
expect_eq "JWKS has one key before any rotation" 1 "$(h count "$TMP/jwks.json")"
expect_eq "JWK members" "EC P-256 ES256 sig 43 43" "$(h jwk "$TMP/jwks.json")"
KID1=$(h kids "$TMP/jwks.json")
expect_eq "mint with the previous key before any rotation: 409" 409 "$(mint_status '{"sign_with":"previous"}')"

# The flow: login page, form post, code, token.
login 001099000003 2 "acr_values=2"
expect_eq "login page status" 200 "$PAGE_STATUS"
expect_match "login page lists the citizens" "Lê Minh Hoàng.*001099000003" "$(tr '\n' ' ' <"$TMP/page.html")"
expect_match "login page is Vietnamese with English glosses" "Đăng nhập.*Sign in" "$(tr '\n' ' ' <"$TMP/page.html")"
expect_no_match "login page loads nothing from elsewhere" "(src|href)=\"?https?:" "$(cat "$TMP/page.html")"
expect_eq "8 citizens, level 2 preselected from acr_values" "8 2" "$(h page "$TMP/page.html")"
expect_eq "302 back to the redirect_uri" "$REDIRECT" "$(h base "$LOCATION")"
expect_eq "state comes back intact" "$SENT_STATE" "$STATE"
expect_eq "iss in the redirect (RFC 9207)" "$VS" "$(h query "$LOCATION" iss)"
expect_match "code is 256 bits of base64url" '^[A-Za-z0-9_-]{43}$' "$CODE"
FIRST_CODE=$CODE FIRST_VERIFIER=$VERIFIER
expect_eq "token endpoint answers 200" 200 "$(redeem "$CODE" "$VERIFIER")"
expect_match "token response is not cached" $'[Cc]ache-[Cc]ontrol: no-store\r' "$(cat "$TMP/token.headers")"
expect_eq "token_type" Bearer "$(json token_type <"$TMP/token.json")"
expect_eq "expires_in" 300 "$(json expires_in <"$TMP/token.json")"
expect_match "opaque access token" '^[A-Za-z0-9_-]{43}$' "$(json access_token <"$TMP/token.json")"
ACCESS_TOKEN=$(json access_token <"$TMP/token.json")
ID_TOKEN=$(json id_token <"$TMP/token.json")
expect_eq "id_token alg" ES256 "$(h header "$ID_TOKEN" alg)"
expect_eq "id_token kid is the current key" "$KID1" "$(h header "$ID_TOKEN" kid)"
expect_eq "iss" "$VS" "$(h claim "$ID_TOKEN" iss)"
expect_eq "aud" cong "$(h claim "$ID_TOKEN" aud)"
expect_eq "sub is the citizen identity number" 001099000003 "$(h claim "$ID_TOKEN" sub)"
expect_eq "name" "Lê Minh Hoàng" "$(h claim "$ID_TOKEN" name)"
expect_eq "birthdate" 1978-07-21 "$(h claim "$ID_TOKEN" birthdate)"
expect_eq "acr" 2 "$(h claim "$ID_TOKEN" acr)"
expect_eq "a citizen's own account: no organization claims" "" "$(h claim "$ID_TOKEN" account_type)$(h claim "$ID_TOKEN" org_tax_code)"

expect_eq "amr at level 2" '["pwd", "otp"]' "$(h claim "$ID_TOKEN" amr)"
expect_eq "nonce" "n-$LOGIN_N" "$(h claim "$ID_TOKEN" nonce)"
IAT=$(h claim "$ID_TOKEN" iat)
expect_eq "exp = iat + 300" $((IAT + 300)) "$(h claim "$ID_TOKEN" exp)"
expect_match "auth_time" '^[0-9]+$' "$(h claim "$ID_TOKEN" auth_time)"
expect_match "jti" '^[A-Za-z0-9_-]{16,}$' "$(h claim "$ID_TOKEN" jti)"
expect_eq "ES256 signature verifies against the JWKS (openssl)" "Verified OK" "$(verify "$ID_TOKEN" "$TMP/jwks.json")"
expect_eq "a tampered payload does not verify" "Verification failure" \
  "$(verify "$(h tamper "$ID_TOKEN")" "$TMP/jwks.json")"

# an organization's account (organizations.h): its legal representative signs in, whoever was picked as citizen
login 001099000002 2 "" "organization=0109990002"
expect_match "the login page offers the test organizations" 'name="organization" value="0109990002"' "$(cat "$TMP/page.html")"
expect_eq "an organization login: token 200" 200 "$(redeem "$CODE" "$VERIFIER")"
ORG_TOKEN=$(json id_token <"$TMP/token.json")
expect_eq "... sub: the representative" 001099000003 "$(h claim "$ORG_TOKEN" sub)"
expect_eq "... account_type organization" organization "$(h claim "$ORG_TOKEN" account_type)"
expect_eq "... its tax code" 0109990002 "$(h claim "$ORG_TOKEN" org_tax_code)"
expect_match "... its name" "^Hợp tác xã Nông nghiệp Đông Anh" "$(h claim "$ORG_TOKEN" org_name)"
expect_eq "... the representative's level" 2 "$(h claim "$ORG_TOKEN" acr)"
login 001099000002 1 "" "organization=0100000000"
expect_eq "an unknown organization: no code" "" "$CODE"

# Codes are single-use and bound to the verifier, the redirect_uri and the client.
expect_eq "code reuse is refused" 400 "$(redeem "$FIRST_CODE" "$FIRST_VERIFIER")"
expect_eq "code reuse: invalid_grant" invalid_grant "$(json error <"$TMP/token.json")"
login 001099000001 1
expect_eq "wrong verifier is refused" 400 "$(redeem "$CODE" "$(h pkce | cut -d' ' -f1)")"
expect_eq "wrong verifier: invalid_grant" invalid_grant "$(json error <"$TMP/token.json")"
expect_eq "a failed attempt burns the code" invalid_grant "$(redeem_error "$CODE" "$VERIFIER")"
login 001099000001 1
expect_eq "verifier too short: invalid_grant" invalid_grant "$(redeem_error "$CODE" abc)"
login 001099000001 1
expect_eq "other redirect_uri: invalid_grant" invalid_grant \
  "$(redeem_error "$CODE" "$VERIFIER" http://127.0.0.1:8443/other)"
expect_eq "unknown code: invalid_grant" invalid_grant "$(redeem_error "$(h pkce | cut -d' ' -f2)" "$VERIFIER")"
expect_eq "wrong grant_type" unsupported_grant_type \
  "$(token_error "grant_type=password&code=x&redirect_uri=x&client_id=cong&code_verifier=x")"
expect_eq "unknown client: 401" 401 "$(curl -s -o /dev/null -w '%{http_code}' -X POST "$VS/token" \
  -d "grant_type=authorization_code&code=x&redirect_uri=x&client_id=evil&code_verifier=x")"
expect_eq "missing code_verifier" invalid_request \
  "$(token_error "grant_type=authorization_code&code=x&redirect_uri=x&client_id=cong")"
expect_eq "repeated parameter" invalid_request \
  "$(token_error "grant_type=authorization_code&code=x&code=y&redirect_uri=x&client_id=cong&code_verifier=x")"

# Level 1, no nonce, no state: acr "1", amr ["pwd"], no nonce claim, no state in the redirect.
read -r VERIFIER CHALLENGE < <(h pkce)
status_of "$(authz_url state)" >/dev/null
expect_eq "no acr_values: level 1 preselected" "8 1" "$(h page "$TMP/resp.html")"
LOCATION=$(post_authz_location "$(h form "$TMP/resp.html" 001099000008 1)")
expect_eq "no state sent, none returned" "" "$(h query "$LOCATION" state)"
redeem "$(h query "$LOCATION" code)" "$VERIFIER" >/dev/null
T1=$(json id_token <"$TMP/token.json")
expect_eq "level 1 acr" 1 "$(h claim "$T1" acr)"
expect_eq "level 1 amr" '["pwd"]' "$(h claim "$T1" amr)"
expect_eq "no nonce asked, none given" "" "$(h claim "$T1" nonce)"

# Authorization request errors: a 400 page, never a redirect, when client_id or redirect_uri is wrong; otherwise the
# error goes back to the client with its state.
expect_eq "redirect_uri outside the prefix: 400" 400 "$(status_of "$(authz_url redirect_uri=https://evil.example/cb)")"
expect_no_match "... and no redirect" "[Ll]ocation:" "$(cat "$TMP/resp.headers")"
expect_match "... an HTML page" "text/html; charset=utf-8" "$(cat "$TMP/resp.headers")"
expect_eq "prefix must end on a URL boundary" 400 \
  "$(status_of "$(authz_url redirect_uri=http://127.0.0.1.evil.example/cb)")"
expect_eq "no userinfo trick" 400 "$(status_of "$(authz_url redirect_uri=http://127.0.0.1:80@evil.example/cb)")"
expect_eq "no fragment" 400 "$(status_of "$(authz_url "redirect_uri=$REDIRECT#x")")"
expect_eq "a second prefix is honoured" 200 \
  "$(status_of "$(authz_url redirect_uri=https://127.0.0.1:8443/v1/auth/vneid/callback)")"
expect_eq "... and no other https origin" 400 "$(status_of "$(authz_url redirect_uri=https://127.0.0.1:9443/cb)")"
expect_eq "unknown client_id: 400" 400 "$(status_of "$(authz_url client_id=evil)")"
expect_eq "repeated parameter: 400" 400 "$(status_of "$(authz_url)&state=again")"
expect_eq "no PKCE: redirected" 302 "$(status_of "$(authz_url code_challenge code_challenge_method)")"
LOCATION=$(location_of "$(authz_url code_challenge_method=plain)")
expect_eq "plain PKCE: invalid_request" "invalid_request xyz" \
  "$(h query "$LOCATION" error) $(h query "$LOCATION" state)"
expect_eq "no openid scope: invalid_scope" invalid_scope \
  "$(h query "$(location_of "$(authz_url scope=profile)")" error)"
expect_eq "response_type token: unsupported_response_type" unsupported_response_type \
  "$(h query "$(location_of "$(authz_url response_type=token)")" error)"
status_of "$(authz_url state=c1)" >/dev/null
LOCATION=$(post_authz_location "$(h form "$TMP/resp.html" 001099000002 2 cancel)")
expect_eq "cancel: access_denied" "access_denied c1" "$(h query "$LOCATION" error) $(h query "$LOCATION" state)"
TAMPERED=$(h form "$TMP/resp.html" 001099000002 2 | sed 's/redirect_uri=[^&]*/redirect_uri=https%3A%2F%2Fevil.example/')
expect_eq "tampered hidden redirect_uri: 400" 400 "$(post_authz "$TAMPERED")"
expect_eq "unknown citizen: 400" 400 "$(post_authz "$(h form "$TMP/resp.html" 123456789012 2)")"
expect_eq "level 3: 400" 400 "$(post_authz "$(h form "$TMP/resp.html" 001099000002 3)")"

# Key rotation: the new key signs, the previous one stays published for one rotation.
BEFORE=$(mint '{}')
ROTATED=$(curl -s -X POST "$VS/admin/rotate")
KID2=$(json kid <<<"$ROTATED")
expect_match "rotation answers a new kid" '^[A-Za-z0-9_-]{43}$' "$KID2"
expect_no_match "... different from the old one" "^$KID1\$" "$KID2"
jwks
expect_eq "JWKS: current and previous" "$KID2 $KID1" "$(h kids "$TMP/jwks.json")"
login 001099000005 2
redeem "$CODE" "$VERIFIER" >/dev/null
AFTER=$(json id_token <"$TMP/token.json")
expect_eq "new token signed by the new key" "$KID2" "$(h header "$AFTER" kid)"
expect_eq "new token verifies" "Verified OK" "$(verify "$AFTER" "$TMP/jwks.json")"
expect_eq "token from before the rotation still verifies" "Verified OK" "$(verify "$BEFORE" "$TMP/jwks.json")"
KID3=$(curl -s -X POST "$VS/admin/rotate" | json kid)
jwks
expect_eq "second rotation drops the oldest key" "$KID3 $KID2" "$(h kids "$TMP/jwks.json")"
expect_eq "... and its tokens no longer verify" "kid not in the JWKS" "$(verify "$BEFORE" "$TMP/jwks.json")"
expect_eq "rotation is POST only" 405 "$(curl -s -o /dev/null -w '%{http_code}' "$VS/admin/rotate")"

# The test mint: claims override the defaults, the provider's real keys sign.
M=$(mint '{"aud":"someone-else","exp":1000,"acr":"1","sub":"001099000004","extra":{"a":[1,2]}}')
expect_eq "mint: aud" someone-else "$(h claim "$M" aud)"
expect_eq "mint: exp" 1000 "$(h claim "$M" exp)"
expect_eq "mint: acr" 1 "$(h claim "$M" acr)"
expect_eq "mint: sub" 001099000004 "$(h claim "$M" sub)"
expect_eq "mint: extra claim" '{"a": [1, 2]}' "$(h claim "$M" extra)"
expect_eq "mint: default iss" "$VS" "$(h claim "$M" iss)"
expect_eq "mint: current kid" "$KID3" "$(h header "$M" kid)"
expect_eq "mint: verifies" "Verified OK" "$(verify "$M" "$TMP/jwks.json")"
M=$(mint '{"iat":null,"nbf":4102444800}')
expect_eq "mint: null removes a claim" "" "$(h claim "$M" iat)"
expect_eq "mint: nbf" 4102444800 "$(h claim "$M" nbf)"
M=$(mint '{"sign_with":"previous"}')
expect_eq "mint: previous key's kid" "$KID2" "$(h header "$M" kid)"
expect_eq "mint: previous key's signature" "Verified OK" "$(verify "$M" "$TMP/jwks.json")"
M=$(mint '{"kid":"../../etc/passwd"}')
expect_eq "mint: chosen kid" "../../etc/passwd" "$(h header "$M" kid)"
M=$(mint '{"kid":null}')
expect_eq "mint: no kid" "" "$(h header "$M" kid)"
M=$(mint '{"alg":"none"}')
expect_eq "mint: alg none, empty signature" "none ." "$(h header "$M" alg) ${M: -1}"
M=$(mint '{"alg":"HS256"}')
expect_eq "mint: HS256 keyed with the public key PEM" "HS256 ok" \
  "$(h header "$M" alg) $(h hs256 "$M" "$TMP/jwks.json")"
M=$(mint '{"alg":"RS256"}')
expect_eq "mint: another alg, ES256 signature" "RS256 Verified OK" \
  "$(h header "$M" alg) $(verify "$M" "$TMP/jwks.json")"
M=$(mint '{"header":{"crit":["exp"],"jku":"https://evil.example/jwks.json"}}')
expect_eq "mint: extra header members" '["exp"] https://evil.example/jwks.json' \
  "$(h header "$M" crit) $(h header "$M" jku)"
expect_eq "mint: a body that is not an object" 400 "$(mint_status '[1]')"

# The log: one line per request, no secrets.
LOG=$(cat "$TMP/main.log")
expect_match "request log line" "vneid-standin: POST /token 200" "$LOG"
expect_match "log has the path without its query" "vneid-standin: GET /authorize 200" "$LOG"
for secret in "$FIRST_CODE" "$FIRST_VERIFIER" "${ID_TOKEN:0:60}" "${ID_TOKEN: -40}" "$ACCESS_TOKEN" "001099000003"; do
  expect_no_match "no code, verifier, token or citizen number in the log" "$secret" "$LOG"
done
stop_standin
expect_no_match "no sanitizer report" "AddressSanitizer|runtime error:|LeakSanitizer" "$(cat "$TMP/main.log")"

# Without --test-endpoints, with --state-dir: no mint; keys persist across restarts; short-lived codes expire.
start_standin state --state-dir "$TMP/state" --code-ttl 1 || { finish; exit 1; }
expect_eq "no mint without --test-endpoints" 404 "$(mint_status '{}')"
expect_eq "key file mode 0600" 600 "$(stat -c %a "$TMP/state/current.pem")"
jwks
SK1=$(h kids "$TMP/jwks.json")
login 001099000006 2
sleep 2.1
expect_eq "expired code: invalid_grant" "invalid_grant" "$(redeem_error "$CODE" "$VERIFIER")"
expect_match "... saying so" "expired" "$(json error_description <"$TMP/token.json")"
stop_standin
start_standin state --state-dir "$TMP/state" || { finish; exit 1; }
jwks
expect_eq "restart keeps the key" "$SK1" "$(h kids "$TMP/jwks.json")"
SK2=$(curl -s -X POST "$VS/admin/rotate" | json kid)
expect_eq "previous key file mode 0600" 600 "$(stat -c %a "$TMP/state/previous.pem")"
stop_standin
start_standin state --state-dir "$TMP/state" || { finish; exit 1; }
jwks
expect_eq "restart keeps both keys after a rotation" "$SK2 $SK1" "$(h kids "$TMP/jwks.json")"
stop_standin
expect_no_match "no sanitizer report" "AddressSanitizer|runtime error:|LeakSanitizer" "$(cat "$TMP/state.log")"

finish

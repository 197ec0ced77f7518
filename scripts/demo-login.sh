#!/usr/bin/env bash
# The demo login, end to end, with curl: what the mobile app does with VNeID and cong.
#   1. the app opens VNeID's /authorize with PKCE (a person picks a test citizen and a level on the page; here the
#      script submits the form for citizen 001099000001 at level 2; with ORG=0109990001 (or 0109990002) it signs in to
#      that test organization's account as its legal representative, and cong creates or finds the organization)
#   2. VNeID redirects to the app with a code; the app redeems it at /token with its code_verifier → ID token
#   3. the app exchanges the ID token at cong → cong access token + refresh token
#   4. the app calls cong with the access token
# Needs `make run` running (stand-in VNeID on 127.0.0.1:8090, cong on 127.0.0.1:8443/8080).
set -euo pipefail
VNEID=${VNEID:-http://127.0.0.1:8090}
CONG=${CONG:-https://127.0.0.1:8443}
CITIZEN=${CITIZEN:-001099000001}
ORG=${ORG:-}
REDIRECT=http://127.0.0.1/app/callback

b64url() { base64 -w0 | tr '+/' '-_' | tr -d '='; }
verifier=$(head -c 48 /dev/urandom | b64url)
challenge=$(printf '%s' "$verifier" | openssl dgst -sha256 -binary | b64url)
state=$(head -c 12 /dev/urandom | b64url)
nonce=$(head -c 12 /dev/urandom | b64url)
query="response_type=code&client_id=cong&redirect_uri=$REDIRECT&scope=openid&state=$state&nonce=$nonce&code_challenge=$challenge&code_challenge_method=S256&acr_values=2"

echo "1. Open in a browser to see the login page: $VNEID/authorize?$query"
location=$(curl -s -o /dev/null -w '%{redirect_url}' -X POST "$VNEID/authorize" \
  --data "$query&citizen=$CITIZEN&level=2${ORG:+&organization=$ORG}")
code=$(printf '%s' "$location" | sed -n 's/.*[?&]code=\([^&]*\).*/\1/p')
echo "2. VNeID redirected to the app: ${location%%\?*}?code=…&state=…"
id_token=$(curl -s -X POST "$VNEID/token" --data "grant_type=authorization_code&code=$code&redirect_uri=$REDIRECT&client_id=cong&code_verifier=$verifier" \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["id_token"])')
echo "   ID token from VNeID: ${id_token:0:24}…"
tokens=$(curl -s -k --http2 -H 'content-type: application/json' \
  -d "{\"id_token\":\"$id_token\",\"device\":{\"id\":\"demo-1\",\"name\":\"Demo phone\",\"platform\":\"android\"}}" \
  "$CONG/v1/auth/vneid/exchange")
access=$(printf '%s' "$tokens" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
echo "3. cong session: $(printf '%s' "$tokens" | python3 -c 'import json,sys; d=json.load(sys.stdin); print("session", d["session_id"], "- access token expires in", d["expires_in"], "s")')"
if [ -n "$ORG" ]; then
  echo "   organization: $(printf '%s' "$tokens" | python3 -c 'import json,sys; o=json.load(sys.stdin)["organization"]; print(o["code"], o["subject"], "(created now)" if o["created"] else "(found)")')"
fi
echo "4. GET /v1/me:"
curl -s -k --http2 -H "authorization: Bearer $access" "$CONG/v1/me"; echo
echo
echo "   export TOKEN=$access"

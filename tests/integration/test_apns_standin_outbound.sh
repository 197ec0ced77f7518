#!/usr/bin/env bash
# tests/integration/test_apns_standin_outbound.sh — cong's outbound HTTP client (module ABI http_request, through the
# test module tests/partner/partner_io.c: GET /v1/partner-io/fetch?url=…) reaches the stand-in APNs
# (tools/apns_standin) the way the push delivery will: HTTP/2 over TLS by ALPN, the server verified against a test CA
# (refused without it), and h2c with prior knowledge; HTTP/1.1 (CONG_HTTP_AUTO over http://) is refused with 505.
# The module passes one request header, the provider token: the stand-in's 400 MissingTopic shows the token passed
# (403 otherwise) and that the request arrived over HTTP/2.
source "$(dirname "$0")/lib.sh"
PATH="$(dirname "$(python3 -c 'import sys; print(sys.executable)')"):$PATH" # the interpreter itself, not a shim

TMP="$GW_DIR/apns"
mkdir -p "$TMP"
KID=ABC123DEFG
TEAM=DEF123GHIJ
TOPIC=vn.gov.hanoi.cong
bash "$SRC/tools/apns_standin/make-auth-key.sh" "$TMP/key" >/dev/null
server_pki "$TMP" apns-standin-test-ca

read -r APNS_TLS APNS_H2C <<<"$(free_ports 2)"
common=(--auth-key-pub "$TMP/key/auth-key.pub.pem" --key-id "$KID" --team-id "$TEAM" --topic "$TOPIC")
"$BUILD/apns-standin" --port "$APNS_TLS" "${common[@]}" --tls-cert "$TMP/server.pem" --tls-key "$TMP/server.key" \
  2>"$TMP/tls.log" &
EXTRA_PIDS+=($!)
"$BUILD/apns-standin" --port "$APNS_H2C" "${common[@]}" 2>"$TMP/h2c.log" &
EXTRA_PIDS+=($!)
wait_until 10 curl -s -o /dev/null --cacert "$TMP/ca.pem" "https://127.0.0.1:$APNS_TLS/healthz" || bad "TLS stand-in"
wait_until 10 curl -s -o /dev/null "http://127.0.0.1:$APNS_H2C/healthz" || bad "h2c stand-in"

# An ES256 provider token signed with the openssl command line (R||S from its DER signature).
JWT=$(python3 -S - "$TMP/key/auth-key.p8" <<'PY'
import base64, json, subprocess, sys, time
def b64(b): return base64.urlsafe_b64encode(b).rstrip(b"=").decode()
signed = b64(json.dumps({"alg": "ES256", "kid": "ABC123DEFG"}).encode()) + "." + \
         b64(json.dumps({"iss": "DEF123GHIJ", "iat": int(time.time())}).encode())
der = subprocess.run(["openssl", "dgst", "-sha256", "-sign", sys.argv[1]], input=signed.encode(),
                     capture_output=True, check=True).stdout
i, rs = 2 if der[1] < 0x80 else 2 + (der[1] & 0x7f), b""
for _ in range(2):
    n = der[i + 1]; rs += der[i + 2:i + 2 + n].lstrip(b"\0").rjust(32, b"\0"); i += 2 + n
print(signed + "." + b64(rs))
PY
)

printf 'modules:\n  load: ["%s/partner_io.so"]\n' "$BUILD" >"$GW_DIR/cong.yaml"
# (start_gateway sets H2C_PORT, TLS_PORT and ADMIN_PORT: the stand-ins' ports are named otherwise)
start_gateway CONG_SERVER_WORKERS=1 CONG_SERVER_SHUTDOWN_TIMEOUT_MS=1000 || { finish; exit 1; }

enc() { python3 -S -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$1"; }
DEV=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
# notify BASE VERSION [QUERY] — the module POSTs {"aps":{}} with the provider token; "$code" and the answer's files
notify() {
  code=$(h2c --max-time 30 -o "$GW_DIR/fetch.body" -D "$GW_DIR/fetch.headers" -w '%{http_code}' \
    "$(url "/v1/partner-io/fetch?url=$(enc "$1/3/device/$DEV")&method=POST&body=$(enc '{"aps":{}}')&version=$2&header=$(enc "authorization: bearer $JWT")&want=apns-id${3:+&$3}")")
}
got() { grep -i "^$1:" "$GW_DIR/fetch.headers" | head -1 | cut -d' ' -f2- | tr -d '\r'; }

notify "https://127.0.0.1:$APNS_TLS" 0 "ca=$(enc "$TMP/ca.pem")"
expect_eq "TLS, CONG_HTTP_AUTO, the test CA: the stand-in answered" 200 "$code"
expect_eq "over HTTP/2 (ALPN)" 20 "$(got x-upstream-version)"
expect_eq "the token passed, the missing topic did not" "400 {\"reason\":\"MissingTopic\"}" \
  "$(got x-upstream-status) $(cat "$GW_DIR/fetch.body")"
expect_match "with an apns-id" '^[0-9a-f-]{36}$' "$(got x-upstream-header)"
notify "https://127.0.0.1:$APNS_TLS" 0
expect_eq "TLS without the test CA: refused (CONG_EIO)" "502 CONG_EIO" "$code $(got x-upstream-err)"
notify "http://127.0.0.1:$APNS_H2C" 0
expect_eq "CONG_HTTP_AUTO over http:// on a new connection is HTTP/1.1: 505" "200 11 505" \
  "$code $(got x-upstream-version) $(got x-upstream-status)"
notify "http://127.0.0.1:$APNS_H2C" 2
expect_eq "h2c with CONG_HTTP_2_PRIOR_KNOWLEDGE: HTTP/2, MissingTopic" "200 20 400" \
  "$code $(got x-upstream-version) $(got x-upstream-status)"
expect_eq "the TLS stand-in counted one MissingTopic" 1 "$(curl -s --cacert "$TMP/ca.pem" \
  "https://127.0.0.1:$APNS_TLS/control/stats" | python3 -S -c 'import json,sys; print(json.load(sys.stdin)["by_reason"].get("MissingTopic", 0))')"
finish

#!/usr/bin/env bash
# Puts the demo citizen's results in their wallet the way a real official does, through cong's API: the demo
# official logs in with the stand-in VNeID (authorization code + PKCE, level 2), uploads a PDF for each dossier and
# applies issue_result, so cong signs each result with its own key (a JWS that POST /v1/results/verify accepts;
# SQL cannot make one). The dossiers are those of demo_data.wallet_codes (scripts/demo/demo-data.sql) still approved
# or rejected, so a second run issues nothing. scripts/run.sh calls it once the gateway is ready.
#   scripts/demo-results.sh PG_PORT CONG_URL VNEID_URL      (CONG_URL: the h2c base, e.g. http://127.0.0.1:8080)
# Environment: DEMO_OFFICIAL, the official's test citizen number.
set -euo pipefail
PG_PORT=${1:?PG_PORT}
CONG=${2:?CONG_URL}
VNEID=${3:?VNEID_URL}
: "${DEMO_OFFICIAL:?}"
REDIRECT=http://127.0.0.1/app/callback
work=$(mktemp -d /tmp/cong-demo.XXXXXX)
trap 'rm -rf "$work"' EXIT

codes=$(psql -h 127.0.0.1 -p "$PG_PORT" -U cong -d cong -v ON_ERROR_STOP=1 -qAtX -c "
  SELECT d.code FROM dossiers d WHERE to_regclass('demo_data') IS NOT NULL
     AND d.code = ANY (coalesce((SELECT wallet_codes FROM demo_data WHERE name = 'make-run'), '{}'))
     AND d.status IN ('approved', 'rejected') ORDER BY d.code")
if [ -z "$codes" ]; then
  echo "demo: the demo citizen's wallet results are issued already; nothing changed"
  exit 0
fi

fail() { echo "demo-results: $*" >&2; exit 1; }
json_field() { python3 -c 'import json,sys; print(json.load(sys.stdin).get(sys.argv[1], ""))' "$1"; }
h2c() { curl -s --http2-prior-knowledge --max-time 10 "$@"; }

# The official's cong access token: /authorize (the login form, submitted), /token, then cong's exchange.
b64url() { base64 -w0 | tr '+/' '-_' | tr -d '='; }
verifier=$(head -c 48 /dev/urandom | b64url)
challenge=$(printf '%s' "$verifier" | openssl dgst -sha256 -binary | b64url)
query="response_type=code&client_id=cong&redirect_uri=$REDIRECT&scope=openid&state=demo&nonce=demo-results"
query+="&code_challenge=$challenge&code_challenge_method=S256&acr_values=2"
location=$(printf '%s&citizen=%s&level=2' "$query" "$DEMO_OFFICIAL" |
  curl -s -o /dev/null -w '%{redirect_url}' --max-time 10 -X POST --data @- "$VNEID/authorize")
code=$(printf '%s' "$location" | sed -n 's/.*[?&]code=\([^&]*\).*/\1/p')
[ -n "$code" ] || fail "the stand-in VNeID gave no authorization code"
id_token=$(curl -s --max-time 10 -X POST "$VNEID/token" \
  --data "grant_type=authorization_code&code=$code&redirect_uri=$REDIRECT&client_id=cong&code_verifier=$verifier" |
  json_field id_token)
[ -n "$id_token" ] || fail "the stand-in VNeID gave no ID token"
token=$(h2c -H 'content-type: application/json' \
  -d "{\"id_token\":\"$id_token\",\"device\":{\"id\":\"demo-desk\",\"name\":\"Một cửa\",\"platform\":\"web\"}}" \
  "$CONG/v1/auth/vneid/exchange" | json_field access_token)
[ -n "$token" ] || fail "cong refused the official's ID token"

# A one-page PDF naming the dossier (Helvetica: ASCII text).
make_pdf() {
  python3 - "$1" "$2" <<'PY'
import sys
code, path = sys.argv[1], sys.argv[2]
lines = ["UBND phuong - Ket qua giai quyet thu tuc hanh chinh", "Ho so / Dossier: " + code,
         "Tai lieu mau cua ban demo cong (demo document)."]
text = " ".join("BT /F1 13 Tf 60 %d Td (%s) Tj ET" % (780 - 24 * i, l) for i, l in enumerate(lines)).encode()
objs = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >>"
        b" /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d >>\nstream\n" % len(text) + text + b"\nendstream"]
out, offsets = bytearray(b"%PDF-1.4\n"), []
for i, body in enumerate(objs, 1):
    offsets.append(len(out))
    out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
xref = len(out)
out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1) + b"".join(b"%010d 00000 n \n" % o for o in offsets)
out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
open(path, "wb").write(out)
PY
}

issued=0
for dossier in $codes; do
  make_pdf "$dossier" "$work/$dossier.pdf"
  status=$(h2c -o "$work/upload.json" -w '%{http_code}' -H "authorization: Bearer $token" \
    -H 'content-type: application/pdf' --data-binary @"$work/$dossier.pdf" "$CONG/v1/uploads")
  [ "$status" = 201 ] || fail "uploading the result of $dossier: HTTP $status $(cat "$work/upload.json")"
  upload=$(json_field id <"$work/upload.json")
  status=$(h2c -o "$work/action.json" -w '%{http_code}' -H "authorization: Bearer $token" \
    -H 'content-type: application/json' -d "{\"action\":\"issue_result\",\"result_document\":\"$upload\"}" \
    "$CONG/v1/desk/dossiers/$dossier/actions")
  [ "$status" = 200 ] || fail "issuing the result of $dossier: HTTP $status $(cat "$work/action.json")"
  issued=$((issued + 1))
done
echo "demo: $issued results signed by cong and put in the demo citizen's wallet"

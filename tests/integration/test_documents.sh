#!/usr/bin/env bash
# Electronic results signed with cong's document keys (gateway/host/document_keys.c): an official issues a result under
# document key 1; the gateway restarts with key 2, then key 3 (two rotations): the old result still verifies and
# /.well-known/cong-document-keys.json still publishes key 1. A result's signature is not an access token (401), an
# access token is not a result signature (not verified). Key 4, recorded by another instance, becomes known to a
# running one without a restart (a document naming an unknown kid wakes the history's refresh). Without a document
# key: production refuses to serve, development signs with a key of its own and says so. The history is append-only.
source "$(dirname "$0")/lib.sh"
CITIZEN=001099004801
OFFICIAL=001088000201
vneid_start
CONNINFO="host=127.0.0.1 port=$PG_PORT dbname=cong user=cong"
for i in 1 2 3 4; do
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$GW_DIR/doc$i.pem" 2>/dev/null
done
# cong's kid: the first 16 characters of base64url(SHA-256(DER public key))
kid_of() {
  openssl pkey -in "$1" -pubout -outform DER 2>/dev/null | openssl dgst -sha256 -binary | base64 | tr '+/' '-_' |
    tr -d '=' | cut -c1-16
}
KID1=$(kid_of "$GW_DIR/doc1.pem") KID2=$(kid_of "$GW_DIR/doc2.pem") KID3=$(kid_of "$GW_DIR/doc3.pem")
KID4=$(kid_of "$GW_DIR/doc4.pem") TOKEN_KID=$(kid_of "$GW_DIR/cong-signing.pem")
cleanup_keys() { # the shared test database keeps only the keys other tests use (the trigger guards it otherwise)
  psql_cong "ALTER TABLE document_keys DISABLE TRIGGER document_keys_no_change;
    DELETE FROM document_keys WHERE kid IN ('$KID1', '$KID2', '$KID3', '$KID4');
    ALTER TABLE document_keys ENABLE TRIGGER document_keys_no_change" >/dev/null 2>&1
}
ENV=("${IDENTITY_ENV[@]}" CONG_RATE_LIMITS_DEFAULT_BURST=1000 CONG_RATE_LIMITS_UPLOAD_BURST=1000)
GW_NAME=key1 start_gateway "${ENV[@]}" CONG_AUTH_DOCUMENT_SIGNING_KEY_FILE="$GW_DIR/doc1.pem" || exit 1

official() { env CONG_POSTGRES_CONNINFO="$CONNINFO" CONG_AUTH_SUBJECT_SECRET_FILE="$GW_DIR/subject-secret" "$BUILD/cong" official "$@"; }
verify() { # SIGNATURE SHA256 → "valid reason"
  call "" POST /v1/results/verify -H 'content-type: application/json' -d "{\"signature\":\"$1\",\"sha256\":\"$2\"}" >/dev/null
  echo "$(field valid) $(field reason)"
}
published_kids() { # the kids at /.well-known/cong-document-keys.json, sorted, space-separated
  call "" GET /.well-known/cong-document-keys.json >/dev/null
  body | python3 -S -c 'import json,sys; print(" ".join(sorted(k["kid"] for k in json.load(sys.stdin)["keys"])))'
}
has() { [[ " $1 " == *" $2 "* ]] && echo yes || echo no; }
jws_header() { python3 -c 'import base64,sys; h=sys.argv[1].split(".")[0]; print(base64.urlsafe_b64decode(h+"="*(-len(h)%4)).decode())' "$1"; }
# jwk_of KEY_FILE KID → the public JWK, as cong records it in the history
jwk_of() {
  openssl pkey -in "$1" -pubout -outform DER 2>/dev/null | python3 -c '
import base64, json, sys
point = sys.stdin.buffer.read()[-64:]
b64 = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()
print(json.dumps({"kty": "EC", "crv": "P-256", "x": b64(point[:32]), "y": b64(point[32:]), "use": "sig",
                  "alg": "ES256", "kid": sys.argv[1]}))' "$2"
}
# sign_document KEY_FILE KID PAYLOAD_JSON → a JWS with cong's document header, signed by openssl (DER → R||S)
sign_document() {
  python3 - "$1" "$2" "$3" <<'PY'
import base64, json, subprocess, sys
b64 = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()
header = json.dumps({"alg": "ES256", "typ": "cong-document+jwt", "kid": sys.argv[2]}, separators=(",", ":"))
signing_input = b64(header.encode()) + "." + b64(sys.argv[3].encode())
der = subprocess.run(["openssl", "dgst", "-sha256", "-sign", sys.argv[1]], input=signing_input.encode(),
                     capture_output=True, check=True).stdout
def integer(d, i):  # DER INTEGER at i → (value, next index)
    n = d[i + 1]
    return int.from_bytes(d[i + 2:i + 2 + n], "big"), i + 2 + n
r, i = integer(der, 2)
s, _ = integer(der, i)
print(signing_input + "." + b64(r.to_bytes(32, "big") + s.to_bytes(32, "big")))
PY
}

CIT=$(vneid_login $CITIZEN 2)
OFF=$(vneid_login $OFFICIAL 2)
expect_match "citizen logged in" '^ey' "$CIT"

# ---- a result issued under document key 1 ----
expect_eq "search" 200 "$(call "" GET '/v1/procedures?q=dang%20ky%20khai%20sinh')"
CODE=$(body | python3 -S -c 'import json,sys; print(json.load(sys.stdin)["items"][0]["code"])')
call "" GET "/v1/procedures/$CODE" >/dev/null
body >"$GW_DIR/procedure.json"
UNIT=$(python3 -S -c 'import json,sys; print(json.load(open(sys.argv[1]))["units"][0]["code"])' "$GW_DIR/procedure.json")
FORM=$(valid_form "$GW_DIR/procedure.json")
printf '%%PDF-1.4\n%% giấy tờ %s\n%%%%EOF\n' "$(date +%s%N)" >"$GW_DIR/giay-to.pdf"
expect_eq "upload" 201 "$(call "$CIT" POST /v1/uploads --data-binary @"$GW_DIR/giay-to.pdf")"
UPLOAD=$(field id)
SUBMIT=$(python3 -S -c 'import json,sys; print(json.dumps({"procedure_code":sys.argv[1],"unit_code":sys.argv[2],"form":json.loads(sys.argv[3]),"attachments":[{"name":"Giấy tờ","upload_id":sys.argv[4]}]}, ensure_ascii=False))' "$CODE" "$UNIT" "$FORM" "$UPLOAD")
expect_eq "submit" 201 "$(call "$CIT" POST /v1/dossiers -H 'content-type: application/json' -H "idempotency-key: documents-$(date +%s%N)" -d "$SUBMIT")"
DOSSIER=$(field code)
echo "$OFFICIAL" | official add --unit "$UNIT" --citizen-file - >/dev/null
act() { call "$OFF" POST "/v1/desk/dossiers/$DOSSIER/actions" -H 'content-type: application/json' -d "$1"; }
expect_eq "receive" 200 "$(act '{"action":"receive"}')"
expect_eq "process" 200 "$(act '{"action":"process"}')"
expect_eq "approve" 200 "$(act '{"action":"approve"}')"
printf '%%PDF-1.4\n%% kết quả %s\n%%%%EOF\n' "$DOSSIER" >"$GW_DIR/ket-qua.pdf"
expect_eq "the official uploads the result" 201 "$(call "$OFF" POST /v1/uploads --data-binary @"$GW_DIR/ket-qua.pdf")"
expect_eq "issue the result" 200 "$(act "{\"action\":\"issue_result\",\"result_document\":\"$(field id)\"}")"
expect_eq "download the result" 200 "$(call "$CIT" GET "/v1/dossiers/$DOSSIER/result")"
RSIG=$(header result-signature)
RSHA=$(header result-sha256)
expect_eq "a document header of its own, naming document key 1" \
  "{\"alg\":\"ES256\",\"typ\":\"cong-document+jwt\",\"kid\":\"$KID1\"}" "$(jws_header "$RSIG")"
expect_eq "the result verifies" "True " "$(verify "$RSIG" "$RSHA")"
KIDS=$(published_kids)
expect_eq "document key 1 is published" yes "$(has "$KIDS" "$KID1")"
expect_eq "the access-token key is not a document key" no "$(has "$KIDS" "$TOKEN_KID")"
expect_eq "no private member is published" "" "$(body | grep -o '"d":')"
expect_eq "cacheable" "public, max-age=300" "$(header cache-control)"
call "" GET /.well-known/jwks.json >/dev/null
expect_no_match "document key 1 does not verify access tokens" "$KID1" "$(body)"

# ---- a result is not an access token, an access token is not a result ----
expect_eq "my profile with my token (the control)" 200 "$(call "$CIT" GET /v1/me)"
expect_eq "a result's signature as a bearer token: 401" 401 "$(call "$RSIG" GET /v1/me)"
expect_eq "invalid-token" invalid-token "$(field type | sed 's|.*/||')"
expect_eq "an access token as a result signature: not verified" "False bad-signature" "$(verify "$CIT" "$RSHA")"
FORGED=$(sign_document "$GW_DIR/cong-signing.pem" "$TOKEN_KID" "{\"typ\":\"cong-result\",\"dossier\":\"$DOSSIER\",\"sha256\":\"$RSHA\"}")
expect_eq "a document signed with the access-token key: not verified" "False bad-signature" "$(verify "$FORGED" "$RSHA")"

# ---- two rotations: restart with key 2, then key 3 ----
GW_NAME=key1 stop_gateway
GW_NAME=key2 start_gateway "${ENV[@]}" CONG_AUTH_DOCUMENT_SIGNING_KEY_FILE="$GW_DIR/doc2.pem" || exit 1
expect_eq "after one rotation the result verifies" "True " "$(verify "$RSIG" "$RSHA")"
GW_NAME=key2 stop_gateway
GW_NAME=key3 start_gateway "${ENV[@]}" CONG_AUTH_DOCUMENT_SIGNING_KEY_FILE="$GW_DIR/doc3.pem" || exit 1
STARTED=$(date +%s)
# ---- meanwhile another instance records key 4: this one learns it without a restart, long before its periodic
# refresh (60 s after its start): a document naming a kid it does not know wakes the refresh ----
psql_cong "INSERT INTO document_keys (kid, jwk) VALUES ('$KID4', '$(jwk_of "$GW_DIR/doc4.pem" "$KID4")')" >/dev/null
BY4=$(sign_document "$GW_DIR/doc4.pem" "$KID4" "{\"typ\":\"cong-result\",\"dossier\":\"$DOSSIER\",\"sha256\":\"$RSHA\"}")
# Signed with key 4, but no dossier carries it: once key 4 is known the verdict is unknown-result, not bad-signature.
verdict=
while [ $(($(date +%s) - STARTED)) -lt 45 ]; do
  verdict=$(verify "$BY4" "$RSHA")
  [ "$verdict" = "False unknown-result" ] && break
  sleep 0.2
done
expect_eq "a document under key 4 verifies well before the periodic refresh" "False unknown-result" "$verdict"
expect_eq "after two rotations the result still verifies" "True " "$(verify "$RSIG" "$RSHA")"
KIDS=$(published_kids)
expect_eq "key 1 is still published" yes "$(has "$KIDS" "$KID1")"
expect_eq "key 2 is published" yes "$(has "$KIDS" "$KID2")"
expect_eq "key 3 (current) is published" yes "$(has "$KIDS" "$KID3")"
expect_eq "key 4 (the other instance's) is published" yes "$(has "$KIDS" "$KID4")"
expect_eq "the history has each key once" 1 "$(psql_cong "SELECT count(*) FROM document_keys WHERE kid = '$KID1'")"
expect_match "the history cannot be rewritten" 'append-only' \
  "$(psql_cong "DELETE FROM document_keys WHERE kid = '$KID1'" 2>&1)"
expect_eq "... nor truncated" 1 "$(psql_cong "TRUNCATE document_keys" >/dev/null 2>&1; psql_cong "SELECT count(*) FROM document_keys WHERE kid = '$KID1'")"
GW_NAME=key3 stop_gateway

# ---- no document key ----
# production, otherwise safe (the production policy would refuse the demo service key and the http stand-in first)
mkdir -p "$GW_DIR/svc" && cp "$RUN/keys/issuer.pub.pem" "$GW_DIR/svc/"
start_gateway "${ENV[@]}" CONG_AUTH_DOCUMENT_SIGNING_KEY_FILE= CONG_SERVER_ENVIRONMENT=production \
  CONG_AUTH_PUBLIC_KEY_FILE="$GW_DIR/svc/issuer.pub.pem" CONG_VNEID_JWKS= >/dev/null 2>&1
expect_eq "production without a document key does not serve" "" "$(kill -0 "$GW_PID" 2>/dev/null && echo running)"
expect_match "it says why" 'document_signing_key_file is required in production' "$(cat "$GW_DIR/stderr")"
stop_gateway
expect_eq "and exits with 1" 1 "$GW_STATUS"
before=$(psql_cong "SELECT count(*) FROM document_keys")
GW_NAME=dev start_gateway "${ENV[@]}" CONG_AUTH_DOCUMENT_SIGNING_KEY_FILE= CONG_SERVER_ENVIRONMENT=development || exit 1
expect_match "development warns" 'not recorded; they stop verifying' "$(cat "$GW_DIR/dev.stderr")"
expect_eq "its own key is published (with the history)" $((before + 1)) "$(published_kids | wc -w)"
expect_eq "but not recorded" "$before" "$(psql_cong "SELECT count(*) FROM document_keys")"
expect_eq "old results verify there too" "True " "$(verify "$RSIG" "$RSHA")"
GW_NAME=dev stop_gateway
start_gateway "${ENV[@]}" CONG_AUTH_DOCUMENT_SIGNING_KEY_FILE="$GW_DIR/cong-signing.pem" >/dev/null 2>&1
expect_match "the access-token key as document key is refused" 'documents need a key of their own' \
  "$(cat "$GW_DIR/stderr")"
stop_gateway

echo "$OFFICIAL" | official remove --unit "$UNIT" --citizen-file - >/dev/null
cleanup_keys
finish

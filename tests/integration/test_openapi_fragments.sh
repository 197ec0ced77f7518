#!/usr/bin/env bash
# Partners' OpenAPI fragments (upstreams[].openapi; gateway/config/openapi_fragments.h): a YAML fragment's and a JSON
# fragment's operations served inside /openapi.json next to cong's own (the document /docs renders), with their
# Vietnamese and English text; `cong --check-config` refuses, as FILE:LINE: upstreams[i].openapi: message, a path
# outside the partner's /v1/partners/<partner>/, a fragment that is not YAML/JSON (the reader's line), one that
# brings more than paths, and a file that cannot be read (the config's line).
source "$(dirname "$0")/lib.sh"

check() { (set -o pipefail; cd "$SRC" && CONG_MODULES_AUDIT_SIGNING_KEY_FILE="$RUN/keys/cong-audit.pem" \
  CONG_AUTH_SIGNING_KEY_FILE="${SIGNING_KEY-$RUN/keys/cong-signing.pem}" CONG_AUTH_ISSUER=https://id.cong.test \
  CONG_AUTH_AUDIENCE=cong CONG_AUTH_SUBJECT_SECRET_FILE="$RUN/keys/subject-secret" \
  CONG_SERVER_DOCS_BUNDLE_FILE="$SRC/tools/docs-renderer/node_modules/redoc/bundles/redoc.standalone.js" \
  "$BUILD/cong" --check-config "$1" 2>&1 | grep -v -E ' (info|warn) ')
}

cat >"$GW_DIR/water.yaml" <<'YAML'
openapi: 3.0.3
info: {title: Water company, version: "1"}
paths:
  /v1/partners/water/bills/{id}:
    get:
      operationId: water_bill_get
      summary: "Hóa đơn nước / Water bill"
      description: "Hóa đơn tiền nước của hộ gia đình. / A household's water bill."
      parameters:
        - {name: id, in: path, required: true, schema: {type: string}}
      responses:
        "200": {description: "Hóa đơn / The bill"}
YAML
cat >"$GW_DIR/power.json" <<'JSON'
{"openapi": "3.0.3", "paths": {"/v1/partners/power/meters": {"post": {"operationId": "power_meter_reading",
 "summary": "Chỉ số công tơ / Meter reading", "responses": {"202": {"description": "Đã nhận / Accepted"}}}}}}
JSON
config() { # WATER_FRAGMENT POWER_FRAGMENT
  cat <<YAML
upstreams:
  - name: water
    targets: [{address: "127.0.0.1:9"}]
    partner: {name: water}
    openapi: "$1"
  - name: power
    targets: [{address: "127.0.0.1:9"}]
    partner: {name: power}
    openapi: "$2"
partner_routes:
  - {method: GET, path: "/v1/partners/water/bills/{id}", upstream: water}
  - {method: POST, path: "/v1/partners/power/meters", upstream: power}
YAML
}

config "$GW_DIR/water.yaml" "$GW_DIR/power.json" >"$GW_DIR/good.yaml"
out=$(check "$GW_DIR/good.yaml")
expect_eq "good fragments pass --check-config" "0" "$?"
expect_match "  said ok" "good.yaml: ok$" "$out"

# --- bad fragments, each named with its file and line
cat >"$GW_DIR/outside.yaml" <<'YAML'
paths:
  /v1/partners/water/ok:
    get: {responses: {"200": {description: ok}}}
  /v1/partners/power/meters:
    get: {responses: {"200": {description: stolen}}}
YAML
cat >"$GW_DIR/broken.yaml" <<'YAML'
paths:
  /v1/partners/power/x:
    get: [unclosed
YAML
cat >"$GW_DIR/more.yaml" <<'YAML'
paths:
  /v1/partners/power/x: {get: {responses: {"200": {description: ok}}}}
components:
  schemas: {}
YAML
config "$GW_DIR/outside.yaml" "$GW_DIR/broken.yaml" >"$GW_DIR/bad.yaml"
out=$(check "$GW_DIR/bad.yaml")
expect_eq "bad fragments fail --check-config" "1" "$?"
expect_match "a path outside the partner's prefix, at its line" \
  "outside.yaml:4: upstreams\[0\].openapi: paths: /v1/partners/power/meters is not under /v1/partners/water/" "$out"
expect_match "not YAML, at the reader's line" "broken.yaml:[34]: upstreams\[1\].openapi: not a YAML or JSON document" \
  "$out"
config "$GW_DIR/missing.yaml" "$GW_DIR/more.yaml" >"$GW_DIR/bad2.yaml"
out=$(check "$GW_DIR/bad2.yaml")
expect_match "an unreadable fragment, at the config's line" \
  "bad2.yaml:5: upstreams\[0\].openapi: cannot read .*missing.yaml: No such file or directory" "$out"
expect_match "more than paths refused" "more.yaml:3: upstreams\[1\].openapi: components: a fragment brings paths only" \
  "$out"

# --- served: /openapi.json holds cong's operations and the partners'
cp "$GW_DIR/good.yaml" "$GW_DIR/cong.yaml"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$GW_DIR/cong-signing.pem" 2>/dev/null
head -c 48 /dev/urandom >"$GW_DIR/subject-secret"
start_gateway CONG_AUTH_SIGNING_KEY_FILE="$GW_DIR/cong-signing.pem" \
  CONG_AUTH_SUBJECT_SECRET_FILE="$GW_DIR/subject-secret" || exit 1
expect_eq "/openapi.json" 200 "$(call "" GET /openapi.json)"
ops=$(python3 -S -c 'import json, sys
d = json.load(open(sys.argv[1]))
for path, item in sorted(d["paths"].items()):
    for method, op in item.items():
        if isinstance(op, dict) and "operationId" in op:
            print(method.upper(), path, op["operationId"], op.get("summary", ""))' "$GW_DIR/body")
expect_match "the YAML fragment's operation" \
  "GET /v1/partners/water/bills/\{id\} water_bill_get Hóa đơn nước / Water bill" "$ops"
expect_match "the JSON fragment's operation" "POST /v1/partners/power/meters power_meter_reading" "$ops"
expect_match "cong's own operations still there" "GET /healthz " "$ops"
expect_match "the fragments' own openapi and info ignored: cong's document stays 3.1" "^3\.1" "$(python3 -S -c '
import json, sys; print(json.load(open(sys.argv[1]))["openapi"])' "$GW_DIR/body")"
expect_eq "/docs renders that document" 200 "$(call "" GET /docs)"

finish

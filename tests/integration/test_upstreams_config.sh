#!/usr/bin/env bash
# Partners' upstreams and their routes in the configuration (gateway/config/upstreams_config.h): `cong --check-config`
# passes a good file, lists every mistake of a bad one in one run as FILE:LINE: key: message (never a value, never a
# key file's contents), opens the TLS files (a client key that is not the certificate's is refused), checks the rate
# classes only the gateway knows; at start and at SIGHUP the same checks refuse a bad file.
source "$(dirname "$0")/lib.sh"

check() { (set -o pipefail; cd "$SRC" && CONG_MODULES_AUDIT_SIGNING_KEY_FILE="$RUN/keys/cong-audit.pem" \
  CONG_AUTH_SIGNING_KEY_FILE="${SIGNING_KEY-$RUN/keys/cong-signing.pem}" CONG_AUTH_ISSUER=https://id.cong.test \
  CONG_AUTH_AUDIENCE=cong CONG_AUTH_SUBJECT_SECRET_FILE="$RUN/keys/subject-secret" \
  CONG_SERVER_DOCS_BUNDLE_FILE="$SRC/tools/docs-renderer/node_modules/redoc/bundles/redoc.standalone.js" \
  "$BUILD/cong" --check-config "$1" 2>&1 | grep -v -E ' (info|warn) ')
}

# mTLS material: a CA, a client certificate it signed, its key; another key that is not the certificate's.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=partner-ca -days 2 \
  -keyout "$GW_DIR/ca.key" -out "$GW_DIR/ca.pem" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=cong -keyout "$GW_DIR/client.key" \
  -out "$GW_DIR/client.csr" 2>/dev/null
openssl x509 -req -in "$GW_DIR/client.csr" -CA "$GW_DIR/ca.pem" -CAkey "$GW_DIR/ca.key" -CAcreateserial -days 2 \
  -out "$GW_DIR/client.pem" 2>/dev/null
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$GW_DIR/other.key" 2>/dev/null
chmod 600 "$GW_DIR"/*.key

good() {
  cat <<YAML
upstreams:
  - name: evn-billing
    targets:
      - {address: "10.0.0.1:8443", weight: 3}
      - address: "billing.evn.example:443"
    protocol: h2
    tls:
      ca_file: "$GW_DIR/ca.pem"
      client_cert_file: "$GW_DIR/client.pem"
      client_key_file: "$GW_DIR/$1"
    limits: {max_concurrent: 100, total_timeout_ms: 15000}
    retries: {budget_ratio: 0.25}
    balance: {policy: consistent_hash, key: subject}
    health: {path: /healthz, interval_ms: 2000, timeout_ms: 500}
    partner: {name: evn, scopes: [bills.read], quota: {per_minute: 600}}
  - name: hanoi-water
    targets: [{address: "127.0.0.1:9100"}]
    protocol: h2c
    partner: {name: nuoc-sach}
partner_routes:
  - method: GET
    path: "/v1/partners/evn/bills/{id}"
    upstream: evn-billing
    rewrite: "/api/bills/{id}"
    scopes: [bills.read]
    mandate_action: pay
    rate_class: ${2:-default}
  - {method: GET, path: "/v1/partners/nuoc-sach/status", upstream: hanoi-water, auth: none}
YAML
}

good client.key >"$GW_DIR/good.yaml"
out=$(check "$GW_DIR/good.yaml"); status=$?
expect_match "upstreams and partner routes pass" "good.yaml: ok$" "$out"
out=$(SIGNING_KEY='' check "$GW_DIR/good.yaml")
expect_match "...not without the key cong signs the partner's token with" \
  "good.yaml:[0-9]+: partner_routes: cong signs a token for the partner on every proxied call: set auth.signing_key_file" "$out"

good other.key >"$GW_DIR/mismatch.yaml"
out=$(check "$GW_DIR/mismatch.yaml")
expect_match "a key that is not the certificate's" \
  "mismatch.yaml:10: upstreams\[0\].tls.client_key_file: is not the key of client_cert_file" "$out"
expect_no_match "no key material in errors" "PRIVATE|BEGIN" "$out"

good client.key upload_fast >"$GW_DIR/class.yaml"
out=$(check "$GW_DIR/class.yaml")
expect_match "an unknown rate class, with its line (checked by the gateway)" \
  "class.yaml:27: partner_routes\[0\].rate_class: not a configured class \(default, auth" "$out"

cat >"$GW_DIR/bad.yaml" <<YAML
upstreams:
  - name: evn-billing
    targets:
      - {address: "10.0.0.1", weight: 0}
    protocol: h2c
    tls: {ca_file: "$GW_DIR/missing-ca.pem"}
    bogus: 1
    partner: {name: evn}
  - name: evn-billing
    targets: [{address: "s3cr3t-host:99999"}]
    partner: {name: evn}
partner_routes:
  - {method: GET, path: "/v1/partners/evn/bills/{id}", upstream: nope}
  - {method: GET, path: "/v1/other/x", upstream: evn-billing}
  - {method: GET, path: "/v1/partners/evn/bills/{x}", upstream: evn-billing}
YAML
out=$(check "$GW_DIR/bad.yaml"); status=$?
expect_eq "a bad file fails" "1" "$status"
expect_match "bad address" "bad.yaml:4: upstreams\[0\].targets\[0\].address: expected host:port" "$out"
expect_match "weight 0" "bad.yaml:4: upstreams\[0\].targets\[0\].weight: expected an integer between 1 and 1000" "$out"
expect_match "h2c with tls" "bad.yaml:6: upstreams\[0\].tls: h2c is cleartext HTTP/2" "$out"
expect_match "unknown key" "bad.yaml:7: upstreams\[0\].bogus: unknown key" "$out"
expect_match "duplicate name" "bad.yaml:9: upstreams\[1\].name: the same name as upstreams\[0\]" "$out"
expect_match "port out of range" "bad.yaml:10: upstreams\[1\].targets\[0\].address: " "$out"
expect_match "unknown upstream" "bad.yaml:13: partner_routes\[0\].upstream: no upstream of that name" "$out"
expect_match "route outside /v1/partners/" "bad.yaml:14: partner_routes\[1\].path: must start with /v1/partners/" "$out"
expect_match "same route twice" \
  "bad.yaml:15: partner_routes\[2\].path: the same method and path as partner_routes\[0\]" "$out"
expect_match "missing CA file" \
  "bad.yaml:6: upstreams\[0\].tls.ca_file: cannot read it: No such file or directory" "$out"
expect_eq "every mistake in one run" "10" "$(grep -c 'bad.yaml:' <<<"$out")"
expect_no_match "never quotes a value" "s3cr3t|99999|10\.0\.0\.1" "$out"

# At start and at SIGHUP: a bad file is refused with the same lines; a good one is adopted (applied: the proxy
# reloads its upstreams and routes, test_upstream_reload.sh).
cp "$GW_DIR/bad.yaml" "$GW_DIR/cong.yaml"
start_gateway >/dev/null 2>&1
expect_eq "start refused" "" "$(kill -0 "$GW_PID" 2>/dev/null && echo running)"
wait "$GW_PID" 2>/dev/null; GW_PID=
expect_match "start names the mistake" "cong.yaml:13: partner_routes\[0\].upstream: no upstream" \
  "$(cat "$GW_DIR/stderr")"

good client.key >"$GW_DIR/cong.yaml"
start_gateway CONG_AUTH_SIGNING_KEY_FILE="$RUN/keys/cong-signing.pem" \
  CONG_AUTH_SUBJECT_SECRET_FILE="$RUN/keys/subject-secret" || exit 1
wait_log() { for _ in $(seq 1 100); do [ "$(grep -c -E "$2" "$GW_DIR/stderr")" -ge "$1" ] && return 0; sleep 0.1; done
  return 1; }
sed -i 's|address: "127.0.0.1:9100"|address: "127.0.0.1:0"|' "$GW_DIR/cong.yaml"
kill -HUP "$GW_PID"
wait_log 1 "reload refused: .*cong.yaml:17: upstreams\[1\].targets\[0\].address: expected host:port" \
  || bad "a bad upstream not refused at reload: $(tail -3 "$GW_DIR/stderr")"
sed -i 's|address: "127.0.0.1:0"|address: "127.0.0.1:9101"|' "$GW_DIR/cong.yaml"
kill -HUP "$GW_PID"
wait_log 1 "reloaded \(generation 1\): [1-9][0-9]* change\(s\) applied, 0 need a restart" ||
  bad "a good upstream change not applied: $(tail -3 "$GW_DIR/stderr")"
wait_log 1 "reload: upstreams or partner_routes changed: new requests use them now" && ok ||
  bad "the reload did not say the new upstreams are in use (test_upstream_reload.sh tests what they do)"
expect_eq "still serving" "200" "$(h2c -o /dev/null -w '%{http_code}' "$(url /healthz)")"
finish

#!/usr/bin/env bash
# OCSP stapling from server.tls_ocsp_response_file: a good, current response about the certificate, signed by its
# issuer, is stapled (TLS 1.2 and 1.3) to clients that ask; one that is stale, about another certificate, REVOKED,
# unsuccessful, signed by someone else, without nextUpdate or not OCSP at all is not stapled and is logged; each is read
# at SIGHUP, and a response whose nextUpdate passes while it is in use stops being stapled.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/tls_lib.sh"
command -v python3 >/dev/null && python3 -c 'import cryptography' 2>/dev/null ||
  { bad "python3-cryptography is not installed (scripts/deps.sh)"; finish; exit 1; }

make_ca && make_leaf 1001 && make_leaf 1002
(PKI=$PKI/other && make_ca) # another CA, with no say over our leaves
cd "$PKI" || exit 1
printf 'V\t301231235959Z\t\t1001\tunknown\t/CN=cong-leaf-1001\nV\t301231235959Z\t\t1002\tunknown\t/CN=cong-leaf-1002\n' >index.txt
printf 'R\t301231235959Z\t261201000000Z\t1001\tunknown\t/CN=cong-leaf-1001\n' >revoked.txt
# ocsp_by_ca SERIAL INDEX OUT [openssl ocsp options] — the CA's own responder (`openssl ocsp`) answers about a leaf.
ocsp_by_ca() {
  local serial=$1 index=$2 out=$3
  shift 3
  openssl ocsp -issuer ca.crt -cert "leaf-$serial.crt" -reqout "req-$serial.der" >/dev/null 2>&1 &&
    openssl ocsp -index "$index" -CA ca.crt -rsigner ca.crt -rkey ca.key -reqin "req-$serial.der" -respout "$out" \
      "$@" >/dev/null 2>&1
}
crafted() { python3 "$SRC/tests/integration/ocsp_response.py" leaf-1001.crt ca.crt "$@"; }
ocsp_by_ca 1001 index.txt good.der -ndays 1
ocsp_by_ca 1002 index.txt other-cert.der -ndays 1
ocsp_by_ca 1001 revoked.txt revoked.der -ndays 1
ocsp_by_ca 1001 index.txt no-next-update.der
crafted ca.crt ca.key stale.der good -7200 -3600
crafted ca.crt ca.key unauthorized.der unauthorized
crafted other/ca.crt other/ca.key foreign.der good -60 86400
head -c 300 /dev/urandom >garbage.der
cd - >/dev/null || exit 1

OCSP=$GW_DIR/ocsp.der
cp "$PKI/good.der" "$OCSP"
start_gateway CONG_SERVER_TLS_CERTIFICATE="$PKI/leaf-1001.chain.pem" CONG_SERVER_TLS_PRIVATE_KEY="$PKI/leaf-1001.key" \
  CONG_SERVER_TLS_OCSP_RESPONSE_FILE="$OCSP" || exit 1

# staple [s_client options] — "good"/"revoked": the stapled response's status for the served certificate; "none".
staple() {
  tls_hello "$TLS_PORT" -status "$@" |
    awk '/OCSP response: no response sent/ { print "none"; exit } /Cert Status:/ { print $3; exit }'
}
expect_match "stapling announced at start" "OCSP response .*ocsp.der stapled until" "$(cat "$GW_DIR/stderr")"
expect_eq "stapled, TLS 1.2" "good" "$(staple -tls1_2)"
expect_eq "stapled, TLS 1.3" "good" "$(staple -tls1_3)"
expect_eq "only to clients that ask" "" "$(tls_hello "$TLS_PORT" | grep -E 'OCSP Response Status')"

reloads=0
# refused NAME WHY — the response NAME, installed by SIGHUP, is not stapled and the log says WHY.
refused() {
  cp "$PKI/$1.der" "$OCSP"
  kill -HUP "$GW_PID"
  reloads=$((reloads + 1))
  wait_log "$reloads" "TLS reloaded: " || bad "$1: no TLS reload logged"
  expect_match "$1: logged" "OCSP response .*ocsp.der not stapled: $2" "$(grep 'not stapled' "$GW_DIR/stderr" | tail -1)"
  expect_eq "$1: not stapled, TLS 1.2" "none" "$(staple -tls1_2)"
  expect_eq "$1: not stapled, TLS 1.3" "none" "$(staple -tls1_3)"
}
refused stale "its nextUpdate has passed|outside its validity"
refused other-cert "it is not about this certificate"
refused revoked "it says the certificate is REVOKED"
refused no-next-update "it has no nextUpdate"
refused unauthorized "its status is not successful"
refused foreign "not signed by the certificate's issuer"
refused garbage "not a DER OCSP response"
expect_eq "still serving" "200" "$(curl -sk -o /dev/null -w '%{http_code}' "https://127.0.0.1:$TLS_PORT/healthz")"

# last_reload — the log line of the newest TLS reload.
last_reload() { grep "TLS reloaded: " "$GW_DIR/stderr" | tail -1; }
cp "$PKI/good.der" "$OCSP"
kill -HUP "$GW_PID"
wait_log $((reloads + 1)) "TLS reloaded: " || bad "no TLS reload logged"
expect_match "a good one again, at SIGHUP: logged" "OCSP stapling on$" "$(last_reload)"
expect_eq "a good one again, at SIGHUP" "good" "$(staple -tls1_3)"

# A response whose nextUpdate comes while it is stapled: from then on, not stapled, and logged once.
(cd "$PKI" && crafted ca.crt ca.key soon.der good -60 20) && cp "$PKI/soon.der" "$OCSP"
kill -HUP "$GW_PID"
wait_log $((reloads + 2)) "TLS reloaded: " || bad "no TLS reload logged"
expect_match "short-lived response stapled at first" "OCSP stapling on$" "$(last_reload)"
# Until the clock reaches its nextUpdate no handshake can tell anything (each is an s_client against the ASan gateway,
# most of this test's CPU when polled for 20 s): wait for the clock, then for the staple to go.
NEXT=$(openssl ocsp -respin "$PKI/soon.der" -resp_text -noverify 2>/dev/null | sed -n 's/^ *Next Update: //p')
NEXT=$(date -d "$NEXT" +%s 2>/dev/null)
expect_match "the short-lived response's nextUpdate is read" '^[0-9]+$' "$NEXT"
until_clock=$((SECONDS + 60))
while [ "$EPOCHSECONDS" -lt "${NEXT:-0}" ] && [ "$SECONDS" -lt "$until_clock" ]; do sleep 0.5; done
not_stapled() { [ "$(staple -tls1_2)" = none ]; }
wait_until 45 not_stapled || bad "still stapled after its nextUpdate"
expect_eq "its passing logged once" "1" "$(staple -tls1_3 >/dev/null; grep -c 'passed its nextUpdate' "$GW_DIR/stderr")"
finish

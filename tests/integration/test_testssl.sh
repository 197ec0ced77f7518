#!/usr/bin/env bash
# testssl (Debian package testssl.sh) against the TLS listener on 127.0.0.1: protocols, cipher categories, server
# preferences, server defaults (certificate, OCSP stapling, session tickets), HTTP headers (HSTS) and every
# vulnerability check (-U: Heartbleed, CCS, Ticketbleed, ROBOT, renegotiation, CRIME, BREACH, POODLE, TLS_FALLBACK_SCSV,
# SWEET32, FREAK, DROWN, LOGJAM, BEAST, LUCKY13, RC4). The certificate is a test CA's (given to testssl with --add-ca)
# whose good OCSP response cong staples, so nothing about the certificate is excused either: any finding of severity
# LOW or above, or WARN (a check testssl could not make), fails the test. About two minutes on a busy 2-core machine.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/tls_lib.sh"
command -v testssl >/dev/null || { bad "testssl is not installed (scripts/deps.sh: testssl.sh)"; finish; exit 1; }

SERIAL=5A$(openssl rand -hex 15 | tr a-f A-F) # 16 bytes: testssl wants a serial with entropy
make_ca && make_leaf "$SERIAL" || exit 1
printf 'V\t301231235959Z\t\t%s\tunknown\t/CN=cong-leaf-%s\n' "$SERIAL" "$SERIAL" >"$PKI/index.txt"
(cd "$PKI" && openssl ocsp -issuer ca.crt -cert "leaf-$SERIAL.crt" -reqout req.der >/dev/null 2>&1 &&
  openssl ocsp -index index.txt -CA ca.crt -rsigner ca.crt -rkey ca.key -reqin req.der -respout good.der -ndays 1 \
    >/dev/null 2>&1) || { bad "cannot make the OCSP response"; finish; exit 1; }
head -c 160 /dev/urandom >"$GW_DIR/ticket.keys"
chmod 600 "$GW_DIR/ticket.keys"
start_gateway CONG_SERVER_TLS_CERTIFICATE="$PKI/leaf-$SERIAL.chain.pem" CONG_SERVER_TLS_PRIVATE_KEY="$PKI/leaf-$SERIAL.key" \
  CONG_SERVER_TLS_OCSP_RESPONSE_FILE="$PKI/good.der" CONG_SERVER_TLS_SESSION_TICKET_KEY_FILE="$GW_DIR/ticket.keys" ||
  exit 1

# One run, bounded; generous timeouts per connection, so a busy machine slows it down rather than failing a check.
started=$(date +%s)
timeout 280 testssl --quiet --color 0 --warnings off --nodns none --ip 127.0.0.1 --add-ca "$PKI/ca.crt" \
  --connect-timeout 20 --openssl-timeout 20 --jsonfile "$GW_DIR/testssl.json" -p -s -P -S -h -U \
  "127.0.0.1:$TLS_PORT" >"$GW_DIR/testssl.txt" 2>&1
echo "testssl: $(($(date +%s) - started)) s"
expect_match "testssl ran to its end" " Done .* -->> 127.0.0.1:$TLS_PORT " "$(cat "$GW_DIR/testssl.txt")"

# findings JSON... — "SEVERITY id: finding" for each of LOW or above or WARN, and "missing id" for each check that
# must have been made and was not (a run cut short must not pass).
findings() {
  python3 - "$@" <<'PY'
import json, sys
seen = {}
for path in sys.argv[1:]:
    try:
        for f in json.load(open(path)):
            seen[f["id"]] = f
    except (OSError, ValueError) as e:
        print("unreadable", path, e)
for f in seen.values():
    if f["severity"] in ("LOW", "MEDIUM", "HIGH", "CRITICAL", "WARN"):
        print("%s %s: %s" % (f["severity"], f["id"], f["finding"]))
for id in ("SSLv3 TLS1 TLS1_1 TLS1_2 TLS1_3 cipherlist_AVERAGE cipherlist_3DES_IDEA cipher_order cert_chain_of_trust "
           "OCSP_stapling HSTS_time heartbleed CCS ROBOT secure_client_renego CRIME_TLS BREACH POODLE_SSL "
           "fallback_SCSV SWEET32 FREAK DROWN LOGJAM BEAST LUCKY13 RC4").split():
    if id not in seen:
        print("missing", id)
PY
}
expect_eq "testssl: no finding" "" "$(findings "$GW_DIR/testssl.json")"
expect_match "OCSP stapling offered" "OCSP stapling +offered" "$(cat "$GW_DIR/testssl.txt")"
expect_match "HSTS seen" "Strict Transport Security +730 days" "$(cat "$GW_DIR/testssl.txt")"
expect_match "tickets resume" "Session Resumption +Tickets: yes" "$(cat "$GW_DIR/testssl.txt")"
finish

# tests/integration/tls_lib.sh — what the TLS tests share (source it after lib.sh): a tiny CA and its leaves, waiting
# for a log line, and asking the TLS listener with openssl s_client. Everything is made in $GW_DIR/pki.
PKI=$GW_DIR/pki

# make_ca — a P-256 CA (ca.crt, ca.key) that signs the leaves and their OCSP responses.
make_ca() {
  mkdir -p "$PKI"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 365 -subj "/CN=cong test CA" \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign,digitalSignature \
    -keyout "$PKI/ca.key" -out "$PKI/ca.crt" 2>/dev/null
}

# make_leaf SERIAL — leaf-SERIAL.crt (127.0.0.1, serial 0xSERIAL (hex), 90 days, an OCSP URI) and leaf-SERIAL.key, signed by the CA;
# leaf-SERIAL.chain.pem is the leaf then the CA, as server.tls_certificate wants it.
make_leaf() {
  local leaf=$PKI/leaf-$1
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=cong-leaf-$1" \
    -keyout "$leaf.key" -out "$leaf.csr" 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1\nauthorityInfoAccess=OCSP;URI:http://127.0.0.1:9/\n' >"$leaf.ext"
  openssl x509 -req -in "$leaf.csr" -CA "$PKI/ca.crt" -CAkey "$PKI/ca.key" -set_serial "0x$1" -days 90 \
    -extfile "$leaf.ext" -out "$leaf.crt" 2>/dev/null
  cat "$leaf.crt" "$PKI/ca.crt" >"$leaf.chain.pem"
}

# wait_log COUNT PATTERN — until the gateway's stderr holds COUNT lines matching PATTERN (at most 20 s).
wait_log() {
  local log="$GW_DIR/${GW_NAME:+$GW_NAME.}stderr"
  for _ in $(seq 1 200); do
    [ "$(grep -c -E "$2" "$log")" -ge "$1" ] && return 0
    sleep 0.1
  done
  return 1
}

# tls_hello PORT [s_client options...] — one handshake with the listener on PORT; openssl s_client's report.
tls_hello() {
  local port=$1
  shift
  timeout 10 openssl s_client -connect "127.0.0.1:$port" -servername localhost "$@" </dev/null 2>&1
}

# served_serial PORT — the serial number of the certificate a new connection to PORT is given (e.g. serial=1002).
served_serial() { tls_hello "$1" | openssl x509 -noout -serial 2>/dev/null; }

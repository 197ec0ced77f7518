#!/usr/bin/env bash
# Creates, once, what a local cong needs under DIR: a self-signed TLS certificate for 127.0.0.1/localhost, an ES256
# (P-256) key pair for kid-less service tokens (demo, tests, bench), cong's own signing key, its document key (signs
# electronic results; never access tokens), the audit log's key (signs its tree heads; modules/audit), and the secret
# that makes subjects pseudonymous.   scripts/make-keys.sh DIR
set -euo pipefail
dir=${1:?DIR}
mkdir -p "$dir/tls" "$dir/keys"
chmod 700 "$dir/keys"
if [ ! -f "$dir/tls/cert.pem" ]; then
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 365 \
    -subj "/CN=localhost" -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
    -keyout "$dir/tls/key.pem" -out "$dir/tls/cert.pem" >/dev/null 2>&1
fi
if [ ! -f "$dir/keys/issuer.key.pem" ]; then
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$dir/keys/issuer.key.pem" 2>/dev/null
  openssl pkey -in "$dir/keys/issuer.key.pem" -pubout -out "$dir/keys/issuer.pub.pem"
fi
if [ ! -f "$dir/keys/cong-signing.pem" ]; then
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$dir/keys/cong-signing.pem" 2>/dev/null
fi
if [ ! -f "$dir/keys/cong-document.pem" ]; then
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$dir/keys/cong-document.pem" 2>/dev/null
fi
if [ ! -f "$dir/keys/cong-audit.pem" ]; then
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$dir/keys/cong-audit.pem" 2>/dev/null
fi
if [ ! -f "$dir/keys/subject-secret" ]; then
  (umask 077; head -c 48 /dev/urandom >"$dir/keys/subject-secret")
fi

#!/usr/bin/env bash
# tools/apns_standin/make-auth-key.sh DIR — an APNs provider authentication key for the tests and `make run`, the way
# Apple hands one out: DIR/auth-key.p8, an EC P-256 private key as unencrypted PKCS#8 PEM (Apple's AuthKey_<KEYID>.p8;
# it signs the ES256 provider tokens, readable by this user only), and DIR/auth-key.pub.pem, its public key (what
# apns-standin --auth-key-pub reads; Apple keeps that half). An existing key is kept, so `make run` reuses it.
set -euo pipefail
dir=${1:?usage: make-auth-key.sh DIR}
mkdir -p "$dir"
if [ ! -s "$dir/auth-key.p8" ]; then
  (umask 077 && openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$dir/auth-key.p8.tmp" &&
    mv "$dir/auth-key.p8.tmp" "$dir/auth-key.p8")
fi
openssl pkey -in "$dir/auth-key.p8" -pubout -out "$dir/auth-key.pub.pem"

#!/usr/bin/env bash
# Installs every Debian package that cong's build, run, tests and bench need. Idempotent; fast when all is present.
set -euo pipefail

PACKAGES=(
  build-essential cmake pkg-config git ca-certificates
  libuv1-dev libssl-dev openssl zlib1g-dev dpkg-dev
  libjwt-dev libcurl4-openssl-dev libhiredis-dev libpq-dev libmsgpack-dev libjansson-dev libyaml-dev libcmocka-dev
  redis-server postgresql postgresql-contrib
  curl nghttp2-client haproxy
  clang libclang-rt-14-dev
  procps iproute2 python3 libmagic-dev
  chromium
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "deps: missing packages: ${missing[*]} (run as root, or install them)" >&2
  exit 1
fi

echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# Package post-install scripts must not start system-wide services on the default ports: cong runs its own.
printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d.cong
chmod +x /usr/sbin/policy-rc.d.cong
if [ ! -e /usr/sbin/policy-rc.d ]; then
  cp /usr/sbin/policy-rc.d.cong /usr/sbin/policy-rc.d
  trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi
rm -f /usr/sbin/policy-rc.d.cong
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "deps: done"

#!/usr/bin/env bash
# Installs every Debian package that cong's build, run, tests and bench need, then the OpenAPI linter (Redocly CLI,
# the version pinned in tools/openapi-lint/package-lock.json) into tools/openapi-lint/node_modules and the renderer of
# the /docs page (Redoc, pinned in tools/docs-renderer/package-lock.json). Idempotent; fast when all is present. The tests fetch nothing: what they run is installed here.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(
  build-essential cmake pkg-config git ca-certificates
  libuv1-dev libssl-dev openssl zlib1g-dev dpkg-dev
  libjwt-dev libcurl4-openssl-dev libhiredis-dev libpq-dev libmsgpack-dev libjansson-dev libyaml-dev libcmocka-dev
  redis-server postgresql postgresql-contrib
  curl nghttp2-client haproxy testssl.sh python3-cryptography python3-jwt
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

# Node.js and npm for the OpenAPI linter: the machine's own when it has them (this image's Node.js 20 from NodeSource
# brings npm), else Debian's.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  missing+=(nodejs npm)
fi

if [ ${#missing[@]} -gt 0 ]; then
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
fi

# The OpenAPI linter: `npm ci` from the committed lock file, skipped while node_modules was installed from this very
# lock file (a stamp of its SHA-256). Redocly CLI 2 needs Node.js >= 20.19.
lint=tools/openapi-lint
stamp=$lint/node_modules/.cong-lock-sha256
lock_sum=$(sha256sum "$lint/package-lock.json" | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$lock_sum" ]; then
  if ! node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a == 20 && b >= 19) ? 0 : 1)'; then
    echo "deps: Node.js $(node --version) is too old for Redocly CLI (needs >= 20.19): install a newer nodejs" >&2
    exit 1
  fi
  echo "deps: installing the OpenAPI linter ($lint, npm ci)"
  (cd "$lint" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error >/dev/null)
  echo "$lock_sum" >"$stamp"
fi

# The renderer of /docs (Redoc's standalone bundle, which cong serves): the same way. Its peer dependencies (React and
# the like) are left out: the standalone bundle carries its own copies, and nothing else of the package is used.
docs=tools/docs-renderer
stamp=$docs/node_modules/.cong-lock-sha256
lock_sum=$(sha256sum "$docs/package-lock.json" | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$lock_sum" ]; then
  echo "deps: installing the /docs renderer ($docs, npm ci)"
  (cd "$docs" && npm ci --omit=peer --no-audit --no-fund --ignore-scripts --loglevel=error >/dev/null)
  echo "$lock_sum" >"$stamp"
fi

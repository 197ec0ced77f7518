#!/usr/bin/env bash
# scripts/build-h2o.sh — builds the libh2o that cong links statically: Debian's own h2o source package (fetched from
# the Debian registry with apt-get source, Debian's quilt patches applied by dpkg-source) plus cong's patches in
# third_party/h2o-patches/*.patch (HTTP/2 abuse budgets, see their headers). The project never contains h2o's code.
#
#   scripts/build-h2o.sh            → build-h2o/install/{include,lib/libh2o.a}  (prints one summary line)
#
# Idempotent and fast when done: a stamp keyed on the Debian version, the patches' contents, this script and the
# build flags; nothing is fetched or built again while it matches. From scratch: ~1 minute on 2 cores.
#
# Environment (optional):
#   CONG_H2O_DIR          output folder (default <checkout>/build-h2o, git-ignored by "build-*/")
#   CONG_H2O_DEB_VERSION  Debian source version to build (default 2.2.5+dfsg2-7, bookworm's). Our patches are written
#                         against it: after a change, check that they still apply (the script stops if one does not).
#   CONG_H2O_JOBS         parallel compile jobs (default 2)
#   CONG_H2O_CC           C compiler (default: cmake's choice, cc)
#   CONG_H2O_EXTRA_CFLAGS flags added after the usual ones (sanitizers). Both enter the stamp. scripts/fuzz.sh sets them
#                         (clang, -fsanitize=fuzzer-no-link,...) with CONG_H2O_DIR=build-h2o-fuzz: a second,
#                         instrumented copy; the default build is untouched by them.
#
# The deb-src line: as root, /etc/apt/sources.list.d/cong-deb-src.list (the mirror this machine already uses, signed
# by Debian's archive keyring) and apt-get update once. Not as root: the same line in a private apt state under
# CONG_H2O_DIR/apt, so that nothing outside the checkout changes.
set -euo pipefail

SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=${CONG_H2O_DIR:-$SRC/build-h2o}
DEB_VERSION=${CONG_H2O_DEB_VERSION:-2.2.5+dfsg2-7}
JOBS=${CONG_H2O_JOBS:-2}
PATCH_DIR=$SRC/third_party/h2o-patches
PREFIX=$OUT/install
START=$(date +%s)

log() { echo "build-h2o: $*" >&2; }
die() { log "$*"; exit 1; }

mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
PREFIX=$OUT/install
# One build at a time per output folder (parallel make targets may call this script concurrently).
exec 9>"$OUT/.lock"
flock 9

shopt -s nullglob
PATCHES=("$PATCH_DIR"/*.patch)
shopt -u nullglob

# ---- stamp: Debian version + patches + this script + flags --------------------------------------------------------
# Build type None: h2o's own "-O2 -g" with its assertions kept, as Debian builds it; Debian's hardening flags too.
C_FLAGS="-fstack-protector-strong -D_FORTIFY_SOURCE=2 -Wformat -Werror=format-security"
[ -z "${CONG_H2O_EXTRA_CFLAGS:-}" ] || C_FLAGS+=" $CONG_H2O_EXTRA_CFLAGS"
CMAKE_FLAGS=(-DCMAKE_BUILD_TYPE=None -DBUILD_SHARED_LIBS=OFF -DCMAKE_POSITION_INDEPENDENT_CODE=ON
  -DWITH_MRUBY=OFF -DWITH_BUNDLED_SSL=OFF -DWITH_PICOTLS=OFF "-DCMAKE_C_FLAGS=$C_FLAGS")
[ -z "${CONG_H2O_CC:-}" ] || CMAKE_FLAGS+=("-DCMAKE_C_COMPILER=$CONG_H2O_CC")
stamp_key() {
  {
    echo "deb=$DEB_VERSION"
    echo "flags=${CMAKE_FLAGS[*]}"
    sha256sum "${BASH_SOURCE[0]}" | cut -d' ' -f1
    for p in "${PATCHES[@]}"; do echo "$(basename "$p") $(sha256sum "$p" | cut -d' ' -f1)"; done
  } | sha256sum | cut -d' ' -f1
}
KEY=$(stamp_key)
if [ -f "$PREFIX/.stamp" ] && [ "$(cat "$PREFIX/.stamp")" = "$KEY" ] && [ -f "$PREFIX/lib/libh2o.a" ] &&
  [ -f "$PREFIX/include/h2o.h" ]; then
  echo "build-h2o: up to date — Debian h2o $DEB_VERSION + ${#PATCHES[@]} cong patch(es) in $PREFIX"
  exit 0
fi

# ---- tools and libraries the build needs (Debian packages) --------------------------------------------------------
need=()
for pair in dpkg-source:dpkg-dev cmake:cmake cc:build-essential make:build-essential patch:patch pkg-config:pkg-config \
  apt-get:apt; do
  command -v "${pair%%:*}" >/dev/null || need+=("${pair#*:}")
done
for pair in libuv:libuv1-dev openssl:libssl-dev zlib:zlib1g-dev yaml-0.1:libyaml-dev; do
  pkg-config --exists "${pair%%:*}" 2>/dev/null || need+=("${pair#*:}")
done
if [ ${#need[@]} -ne 0 ]; then
  mapfile -t need < <(printf '%s\n' "${need[@]}" | sort -u)
  [ "$(id -u)" -eq 0 ] || die "missing packages: ${need[*]} (run as root, or install them)"
  log "installing ${need[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null ||
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null; }
fi

# ---- the deb-src line ---------------------------------------------------------------------------------------------
CODENAME=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
[ -n "$CODENAME" ] || die "cannot tell the Debian release from /etc/os-release"

# The mirror this machine already uses for "$CODENAME" (one-line and deb822 formats); Debian's by default.
detect_mirror() {
  local f uri=
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    uri=$(awk -v s="$CODENAME" '$1 == "deb" { i = 2; if ($2 ~ /^\[/) { while (i <= NF && $i !~ /\]$/) i++; i++ }
                                             if ($(i + 1) == s) { print $i; exit } }' "$f")
    [ -n "$uri" ] && { echo "${uri%/}"; return; }
  done
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    uri=$(awk -v s="$CODENAME" 'BEGIN { RS = ""; FS = "\n" }
      { t = u = su = ""; for (i = 1; i <= NF; i++) { if ($i ~ /^Types:/) t = $i; if ($i ~ /^URIs:/) u = $i; if ($i ~ /^Suites:/) su = $i }
        if (t ~ /(^|[ \t])deb([ \t]|$)/ && (" " su " ") ~ (" " s " ")) { sub(/^URIs:[ \t]*/, "", u); split(u, a, /[ \t]+/); print a[1]; exit } }' "$f")
    [ -n "$uri" ] && { echo "${uri%/}"; return; }
  done
  echo "http://deb.debian.org/debian"
}
MIRROR=$(detect_mirror)
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
SIGNED=
[ -f "$KEYRING" ] && SIGNED="[signed-by=$KEYRING] "
SRC_LINE="deb-src ${SIGNED}$MIRROR $CODENAME main"

APT=(apt-get -q)
APT_CACHE=(apt-cache)
if [ "$(id -u)" -eq 0 ]; then
  APT+=(-o APT::Sandbox::User=root)
  LIST=/etc/apt/sources.list.d/cong-deb-src.list
  if [ ! -f "$LIST" ] || [ "$(cat "$LIST")" != "$SRC_LINE" ]; then
    echo "$SRC_LINE" >"$LIST"
    log "wrote $LIST: $SRC_LINE"
  fi
else
  # A private apt state: our sources list only, lists and caches under $OUT/apt.
  mkdir -p "$OUT/apt/lists/partial" "$OUT/apt/cache/archives/partial"
  echo "$SRC_LINE" >"$OUT/apt/sources.list"
  PRIV=(-o "Dir::Etc::SourceList=$OUT/apt/sources.list" -o Dir::Etc::SourceParts=/nonexistent
    -o "Dir::State::Lists=$OUT/apt/lists" -o "Dir::Cache=$OUT/apt/cache" -o Debug::NoLocking=1)
  APT+=("${PRIV[@]}")
  APT_CACHE+=("${PRIV[@]}")
fi
has_source() { "${APT_CACHE[@]}" showsrc h2o 2>/dev/null | grep -qx "Version: $DEB_VERSION"; }
if ! has_source; then
  log "apt-get update (for the $CODENAME Sources index)"
  "${APT[@]}" update -qq >"$OUT/apt-update.log" 2>&1 || { cat "$OUT/apt-update.log" >&2; die "apt-get update failed"; }
  has_source || die "Debian's registry has no source package h2o $DEB_VERSION for $CODENAME (set CONG_H2O_DEB_VERSION)"
fi

# ---- fetch (kept in $OUT/dl between builds) and unpack with Debian's patches ------------------------------------
DL=$OUT/dl
mkdir -p "$DL"
DSC=$DL/h2o_${DEB_VERSION#*:}.dsc
if [ ! -f "$DSC" ]; then
  log "fetching Debian source package h2o $DEB_VERSION from $MIRROR"
  (cd "$DL" && "${APT[@]}" source --download-only "h2o=$DEB_VERSION" >"$OUT/fetch.log" 2>&1) ||
    { cat "$OUT/fetch.log" >&2; die "apt-get source failed"; }
fi
rm -rf "$OUT/src" "$OUT/src.tmp"
# dpkg-source verifies the checksums listed in the .dsc (whose own hash apt checked against the signed index) and
# applies debian/patches/series.
dpkg-source --no-copy -x "$DSC" "$OUT/src.tmp" >"$OUT/unpack.log" 2>&1 || { cat "$OUT/unpack.log" >&2; die "dpkg-source -x failed"; }
mv "$OUT/src.tmp" "$OUT/src"

# ---- cong's patches -----------------------------------------------------------------------------------------------
for p in "${PATCHES[@]}"; do
  patch -d "$OUT/src" -p1 --forward --batch --no-backup-if-mismatch -s <"$p" >"$OUT/patch.log" 2>&1 ||
    { cat "$OUT/patch.log" >&2; die "$(basename "$p") does not apply to Debian h2o $DEB_VERSION"; }
done

# ---- configure and build the static, libuv-flavoured library only ------------------------------------------------
rm -rf "$OUT/obj"
cmake -S "$OUT/src" -B "$OUT/obj" "${CMAKE_FLAGS[@]}" -Wno-dev >"$OUT/cmake.log" 2>&1 ||
  { cat "$OUT/cmake.log" >&2; die "cmake configure failed"; }
cmake --build "$OUT/obj" --target libh2o -j "$JOBS" >"$OUT/make.log" 2>&1 ||
  { tail -40 "$OUT/make.log" >&2; die "build failed (see $OUT/make.log)"; }

# ---- install: headers + libh2o.a, swapped in at once --------------------------------------------------------------
rm -rf "$PREFIX.tmp"
mkdir -p "$PREFIX.tmp/lib"
cp -R "$OUT/src/include" "$PREFIX.tmp/include"
cp "$OUT/obj/libh2o.a" "$PREFIX.tmp/lib/libh2o.a"
echo "$KEY" >"$PREFIX.tmp/.stamp"
rm -rf "$PREFIX"
mv "$PREFIX.tmp" "$PREFIX"
echo "build-h2o: built Debian h2o $DEB_VERSION + ${#PATCHES[@]} cong patch(es) in $(($(date +%s) - START))s → $PREFIX/lib/libh2o.a"

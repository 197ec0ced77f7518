#!/usr/bin/env bash
# tests/partner/out_of_tree.sh — the partner example (examples/partner_hello) built the way a partner builds it: cong's
# public headers and cong-module.pc installed into a prefix (`cmake --install BUILD --prefix`), the example copied
# away from the source tree, configured with pkg-config seeing that prefix alone, built, and its .so loaded by cong
# (`--list-routes`, then a served request). Without cong-module.pc the example must not configure: the header comes
# from the install and from nowhere else.
source "$(dirname "$0")/../integration/lib.sh"

T="$GW_DIR/partner"
PREFIX="$T/prefix"
mkdir -p "$T/empty"

# --- the install ---------------------------------------------------------------------------------------------------
cmake --install "$BUILD" --prefix "$PREFIX" >"$T/install.log" 2>&1
expect_eq "cmake --install: exit 0" 0 "$?"
expect_eq "installed headers" "errors.h module.h" \
  "$(cd "$PREFIX/include/cong" 2>/dev/null && ls | tr '\n' ' ' | sed 's/ $//')"
export PKG_CONFIG_LIBDIR="$T/empty" # the machine's own pkg-config folders (a cong installed there) are out of sight
export PKG_CONFIG_PATH="$PREFIX/lib/pkgconfig"
expect_eq "pkg-config cong-module: Cflags" "-I$PREFIX/include" "$(pkg-config --cflags cong-module | sed 's/ *$//')"
ABI=$(awk '/^#define CONG_MODULE_ABI_MAJOR/ {ma = $3} /^#define CONG_MODULE_ABI_MINOR/ {mi = $3}
  END {print ma "." mi}' "$SRC/include/cong/module.h")
expect_eq "pkg-config cong-module: the ABI version" "$ABI" "$(pkg-config --modversion cong-module)"

# --- the example, out of tree ----------------------------------------------------------------------------------------
cp -r "$SRC/examples/partner_hello" "$T/src"
PKG_CONFIG_PATH="$T/empty" cmake -S "$T/src" -B "$T/unfound" >"$T/unfound.log" 2>&1
expect_eq "without cong-module.pc the example does not configure" 1 "$?"
expect_match "and says what is missing" "cong-module" "$(cat "$T/unfound.log")"
cmake -S "$T/src" -B "$T/build" -DCMAKE_EXPORT_COMPILE_COMMANDS=ON >"$T/configure.log" 2>&1 &&
  cmake --build "$T/build" >"$T/build.log" 2>&1
status=$?
expect_eq "configured and built against the installed header" 0 "$status"
[ "$status" = 0 ] || cat "$T/configure.log" "$T/build.log" 2>/dev/null
COMPILE=$(cat "$T/build/compile_commands.json" 2>/dev/null)
expect_match "compiled with the prefix's include folder" "$PREFIX/include" "$COMPILE"
expect_no_match "and nothing of the source tree" "$SRC" "$COMPILE"
SO="$T/build/partner_hello.so"
expect_eq "exports the entry point only" "cong_module_onload" \
  "$(nm -D --defined-only "$SO" | awk '$2 == "T" {print $3}')"

# --- cong loads it ---------------------------------------------------------------------------------------------------
printf 'modules:\n  load: ["%s"]\n  partner_hello:\n    greeting: "built out of tree"\n' "$SO" >"$GW_DIR/cong.yaml"
ROUTES=$(cd "$SRC" && env CONG_SERVER_ENVIRONMENT=development CONG_MODULES_AUDIT_SIGNING_KEY_FILE="$RUN/keys/cong-audit.pem" \
  "$BUILD/cong" --list-routes --config "$GW_DIR/cong.yaml" \
  2>"$T/list.log") # from the source root, like make run: the built-in modules find their files there
expect_match "cong --list-routes: the partner's route" "GET /v1/partner/hello partnerHello" "$ROUTES"
start_gateway || { finish; exit 1; }
expect_eq "served by the out-of-tree module" '{"greeting":"built out of tree","late_register":"CONG_ESTATE"}' \
  "$(h2c "$(url /v1/partner/hello)")"

finish

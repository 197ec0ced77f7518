#!/usr/bin/env bash
# ctest lint/openapi: Redocly CLI lints openapi/cong.yaml with the rules of redocly.yaml (checkout root): zero errors
# and zero warnings. The CLI is the version pinned in tools/openapi-lint/package-lock.json, installed into
# tools/openapi-lint/node_modules by scripts/deps.sh; nothing is fetched here, and the CLI's telemetry and update check
# are off. Prints one line per problem (FILE:LINE:COL severity rule message) and "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/../.."
here=tools/openapi-lint
cli=$here/node_modules/.bin/redocly

fail() { echo "not ok - $*"; echo "0 passed, 1 failed"; exit 1; }
[ -x "$cli" ] || fail "Redocly CLI is not installed in $here/node_modules: run scripts/deps.sh"
want=$(node -p "require('./$here/package-lock.json').packages['node_modules/@redocly/cli'].version") ||
  fail "cannot read $here/package-lock.json"
have=$(node -p "require('./$here/node_modules/@redocly/cli/package.json').version") || fail "cannot read the installed CLI"
[ "$want" = "$have" ] || fail "Redocly CLI $have is installed, the lock file pins $want: run scripts/deps.sh"

errors=$(mktemp)
trap 'rm -f "$errors"' EXIT
out=$(REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true NO_UPDATE_NOTIFIER=1 \
  "$cli" lint --config redocly.yaml --format=json --max-problems 100000 2>"$errors")
python3 - "$have" "$errors" 3<<<"$out" <<'PY'
import json, os, sys
try:
    report = json.load(os.fdopen(3))
except ValueError as e:
    print(f"not ok - Redocly CLI printed no report ({e}):")
    print(open(sys.argv[2]).read())
    print("0 passed, 1 failed")
    sys.exit(1)
for p in report["problems"]:
    loc = (p.get("location") or [{}])[0]
    start = loc.get("start") or {}
    print(f"{loc.get('source', {}).get('ref', '?')}:{start.get('line', '?')}:{start.get('col', '?')} "
          f"{p['severity']} {p['ruleId']} {p['message']}")
t = report["totals"]
print(f"Redocly CLI {sys.argv[1]}: {t['errors']} error(s), {t['warnings']} warning(s), {t['ignored']} ignored "
      "(each with its reason in .redocly.lint-ignore.yaml)")
failed = 1 if t["errors"] or t["warnings"] else 0
print(("ok" if not failed else "not ok") + " - openapi/cong.yaml lints clean")
print(f"{1 - failed} passed, {failed} failed")
sys.exit(failed)
PY

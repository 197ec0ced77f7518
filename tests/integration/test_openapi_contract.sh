#!/usr/bin/env bash
# The API contract: openapi/cong.yaml documents exactly the routes the gateway registers.
#
# `cong --list-routes` prints "METHOD PATH operationId" for every registered route (built-in modules and the system
# routes). This test reads the `paths:` section of openapi/cong.yaml and fails, naming each difference, when
#   - a route is registered but not documented (same method and path template),
#   - an operation is documented but no such route is registered,
#   - both exist but their operationIds differ,
#   - the document repeats an operationId or has an operation without one,
#   - a route that may be called acting for someone (its mandate action, "mandate:ACTION" in the listing) lacks the
#     403 MandateRefused answer, or an operation has that answer and its route takes no acting-for token.
# No server is started. The YAML is read by a small indentation-based reader (python3 standard library only: there
# is no YAML module on the machines), which understands block mappings, sequences, quoted keys and values, comments,
# and skips block scalars (| >) and multi-line quoted scalars; it stops with an error on tabs in indentation.
#
# Env: CONG_BUILD_DIR (default /work/main/build), CONG_SOURCE_DIR (default /work/main); set by ctest.
# Last line: "N passed, N failed". Exit 0 when nothing failed, else 1.
set -uo pipefail

CONG_SOURCE_DIR=${CONG_SOURCE_DIR:-/work/main}
CONG_BUILD_DIR=${CONG_BUILD_DIR:-/work/main/build}
spec="$CONG_SOURCE_DIR/openapi/cong.yaml"
cong="$CONG_BUILD_DIR/cong"

if [ ! -x "$cong" ]; then
  echo "not ok - $cong is not built"
  echo "0 passed, 1 failed"
  exit 1
fi
if [ ! -f "$spec" ]; then
  echo "not ok - $spec does not exist"
  echo "0 passed, 1 failed"
  exit 1
fi

routes_file=$(mktemp)
errors_file=$(mktemp)
key_dir=$(mktemp -d)
trap 'rm -rf "$routes_file" "$errors_file" "$key_dir"' EXIT
# With a signing key, the identity module registers its routes too: every route is listed.
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$key_dir/signing.pem" 2>/dev/null
head -c 48 /dev/urandom >"$key_dir/secret"

(cd "$CONG_SOURCE_DIR" && CONG_SERVER_OPENAPI_FILE="$spec" \
  CONG_POSTGRES_MIGRATIONS_DIR="$CONG_SOURCE_DIR/gateway/migrations" \
  CONG_AUTH_ISSUER=https://id.cong.test CONG_AUTH_AUDIENCE=cong CONG_AUTH_SIGNING_KEY_FILE="$key_dir/signing.pem" \
  CONG_AUTH_SUBJECT_SECRET_FILE="$key_dir/secret" CONG_MODULES_AUDIT_SIGNING_KEY_FILE="$key_dir/signing.pem" \
  "$cong" --list-routes) >"$routes_file" 2>"$errors_file"
rc=$?
if [ $rc -ne 0 ]; then
  echo "not ok - cong --list-routes exited $rc:"
  sed 's/^/    /' "$errors_file"
  echo "0 passed, 1 failed"
  exit 1
fi

python3 - "$spec" "$routes_file" <<'PY'
import re
import sys

METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
spec_path, routes_path = sys.argv[1], sys.argv[2]

KEY_RE = re.compile(
    r"""^(?P<indent>[ ]*)(?P<dash>(?:-[ ]+)*)"""
    r"""(?P<key>"(?:[^"\\]|\\.)*"|'(?:[^']|'')*'|[^\s#'"\-?][^#]*?|-[^\s#][^#]*?)"""
    r"""[ ]*:(?:[ ]+(?P<value>.*?))?[ ]*$""")
BLOCK_RE = re.compile(r"^[|>][-+0-9]*[ ]*(#.*)?$")


def unquote(text):
    text = text.strip()
    if len(text) >= 2 and text[0] == '"' and text[-1] == '"':
        return bytes(text[1:-1], "utf-8").decode("unicode_escape") if "\\" in text else text[1:-1]
    if len(text) >= 2 and text[0] == "'" and text[-1] == "'":
        return text[1:-1].replace("''", "'")
    return text


def strip_comment(value):
    """A plain or quoted scalar without its trailing comment."""
    value = value.strip()
    if value and value[0] in "\"'":
        quote = value[0]
        i = 1
        while i < len(value):
            if quote == '"' and value[i] == "\\":
                i += 2
                continue
            if value[i] == quote:
                if quote == "'" and i + 1 < len(value) and value[i + 1] == "'":
                    i += 2
                    continue
                return value[: i + 1]
            i += 1
        return value  # unterminated: continues on the next lines
    m = re.search(r"[ ]#", value)
    return value[: m.start()].rstrip() if m else value


def read_operations(path):
    """[(method, path, operationId or None, line, 403 response $ref or None)] from the `paths:` mapping, plus a list
    of reader errors."""
    with open(path, encoding="utf-8") as f:
        lines = f.read().splitlines()
    ops, errors = [], []
    stack = []           # [(indent, key)] of the enclosing mapping keys
    skip_deeper = None   # skip lines indented more than this (block scalar), or None
    skip_until_quote = None
    found_paths = False
    for number, raw in enumerate(lines, 1):
        if skip_until_quote is not None:
            if skip_until_quote in raw:
                skip_until_quote = None
            continue
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        indent = len(raw) - len(raw.lstrip(" "))
        if skip_deeper is not None:
            if indent > skip_deeper:
                continue
            skip_deeper = None
        if raw[indent:indent + 1] == "\t" or "\t" in raw[:indent + 1]:
            errors.append(f"line {number}: tab in indentation")
            continue
        if raw.strip() in ("---", "..."):
            continue
        m = KEY_RE.match(raw)
        if not m:
            continue  # a sequence item scalar or a continuation line
        key_indent = indent + len(m.group("dash"))
        key = unquote(m.group("key"))
        value = strip_comment(m.group("value") or "")
        while stack and stack[-1][0] >= key_indent:
            stack.pop()
        stack.append((key_indent, key))
        keys = [k for _, k in stack]
        if BLOCK_RE.match(value):
            skip_deeper = key_indent
        elif value and value[0] in "\"'" and (len(value) < 2 or value[-1] != value[0]):
            skip_until_quote = value[0]
        if keys[0] != "paths" or stack[0][0] != 0:
            continue
        found_paths = True
        if len(keys) == 3 and keys[2].lower() in METHODS and keys[1].startswith("/"):
            op = None
            if value.startswith("{"):  # flow mapping: get: {operationId: x, ...}
                fm = re.search(r"""operationId\s*:\s*("[^"]*"|'[^']*'|[^,}\s]+)""", value)
                op = unquote(fm.group(1)) if fm else None
            ops.append([keys[2].upper(), keys[1], op, number, None])
        elif len(keys) == 4 and keys[3] == "operationId" and keys[2].lower() in METHODS:
            for entry in reversed(ops):
                if entry[0] == keys[2].upper() and entry[1] == keys[1]:
                    entry[2] = unquote(value)
                    break
        elif len(keys) == 6 and keys[3:] == ["responses", "403", "$ref"] and keys[2].lower() in METHODS:
            for entry in reversed(ops):
                if entry[0] == keys[2].upper() and entry[1] == keys[1]:
                    entry[4] = unquote(value)
                    break
    if not found_paths:
        errors.append("no top-level `paths:` mapping found")
    return [tuple(o) for o in ops], errors


passed = failed = 0


def ok(message):
    global passed
    passed += 1
    print(f"ok - {message}")


def not_ok(message):
    global failed
    failed += 1
    print(f"not ok - {message}")


documented, errors = read_operations(spec_path)
for e in errors:
    not_ok(f"openapi/cong.yaml: {e}")

registered = []
with open(routes_path, encoding="utf-8") as f:
    for line in f:
        parts = line.split()
        if len(parts) == 3:
            registered.append((*parts, None))
        elif len(parts) == 4 and parts[3].startswith("mandate:"):
            registered.append((*parts[:3], parts[3][8:]))
        elif parts:
            not_ok(f"cong --list-routes printed an unexpected line: {line.rstrip()!r}")

if registered:
    ok(f"cong --list-routes lists {len(registered)} route(s)")
else:
    not_ok("cong --list-routes lists no route")
if documented:
    ok(f"openapi/cong.yaml documents {len(documented)} operation(s)")
else:
    not_ok("openapi/cong.yaml documents no operation")

doc_by_route = {}
for method, path, op, line, forbidden in documented:
    if (method, path) in doc_by_route:
        not_ok(f"openapi/cong.yaml:{line}: {method} {path} documented twice")
    doc_by_route[(method, path)] = (op, line, forbidden)

seen_ops = {}
for method, path, op, line, _ in documented:
    if op is None:
        not_ok(f"openapi/cong.yaml:{line}: {method} {path} has no operationId")
    elif op in seen_ops:
        not_ok(f"openapi/cong.yaml:{line}: operationId {op} is used twice (also {seen_ops[op]})")
    else:
        seen_ops[op] = f"{method} {path}"

reg_by_route = {}
for method, path, op, action in registered:
    if (method, path) in reg_by_route:
        not_ok(f"{method} {path} registered twice")
    reg_by_route[(method, path)] = (op, action)

MANDATE_REFUSED = "#/components/responses/MandateRefused"
# The applicant's routes answer ApplicantRefused, which holds the mandate refusals too (plus a client of no
# organization and a procedure not open to the applicant's kind).
MANDATE_ANSWERS = (MANDATE_REFUSED, "#/components/responses/ApplicantRefused")
for (method, path), (op, action) in reg_by_route.items():
    if (method, path) not in doc_by_route:
        not_ok(f"registered but undocumented: {method} {path} {op}")
        continue
    doc_op, line, forbidden = doc_by_route[(method, path)]
    if action is not None and forbidden not in MANDATE_ANSWERS:
        not_ok(f"{method} {path} takes acting-for tokens (mandate action {action}) but its 403 is neither "
               f"MandateRefused nor ApplicantRefused (openapi/cong.yaml:{line})")
    elif action is None and forbidden in MANDATE_ANSWERS:
        not_ok(f"{method} {path} documents MandateRefused but takes no acting-for token (openapi/cong.yaml:{line})")
    if doc_op == op:
        ok(f"{method} {path} {op}")
    elif doc_op is not None:
        not_ok(f"operationId mismatch for {method} {path}: registered {op}, documented {doc_op} "
               f"(openapi/cong.yaml:{line})")

for (method, path), (op, line, _) in doc_by_route.items():
    if (method, path) not in reg_by_route:
        not_ok(f"documented but not registered: {method} {path} {op or '(no operationId)'} (openapi/cong.yaml:{line})")

print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
PY
rc=$?
if [ $rc -gt 1 ]; then
  echo "not ok - the contract checker itself failed (exit $rc)"
  echo "0 passed, 1 failed"
  exit 1
fi
exit $rc

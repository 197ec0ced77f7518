#!/usr/bin/env bash
# The API documentation page, /docs (gateway/host/docs_page.h): its headers (a Content-Security-Policy that lets
# nothing but this gateway in and no inline script, nosniff, the page revalidated with an ETag, the bundle under a
# versioned URL cached as immutable), the page in headless Chromium as a person sees it — every operation of
# /openapi.json rendered with its English / Vietnamese summary, a known operation's English and Vietnamese
# descriptions visible, no request beyond 127.0.0.1, no console error, no CSP violation — and the two ways it is not
# there: turned off (404) and the renderer missing at start (503 problem, the API served all the same).
source "$(dirname "$0")/lib.sh"

BUNDLE="$SRC/tools/docs-renderer/node_modules/redoc/bundles/redoc.standalone.js"
if [ ! -s "$BUNDLE" ]; then
  bad "Redoc is not installed at $BUNDLE: run scripts/deps.sh"
  finish
  exit 1
fi
# A few dozen anonymous requests, drawn from the bucket of 127.0.0.1 that every test running at once shares.
LIMITS=(CONG_RATE_LIMITS_DEFAULT_PER_MINUTE=600000 CONG_RATE_LIMITS_DEFAULT_BURST=100000)
start_gateway "${LIMITS[@]}" || { bad "gateway start"; finish; exit 1; }

# ---- the page's headers ----
h2c -D "$GW_DIR/h" -o "$GW_DIR/page.html" "$(url /docs)"
headers=$(tr -d '\r' <"$GW_DIR/h")
expect_match "page: 200" "^HTTP/2 200" "$headers"
expect_match "page: html" "content-type: text/html; charset=utf-8" "$headers"
csp=$(grep -i '^content-security-policy:' <<<"$headers" | cut -d' ' -f2-)
expect_eq "page: one CSP" "1" "$(grep -ci '^content-security-policy:' <<<"$headers")"
expect_match "page: CSP allows nothing by default" "^default-src 'none'; " "$csp"
expect_match "page: scripts from this gateway only" "; script-src 'self';" "$csp"
expect_match "page: fetches to this gateway only" "; connect-src 'self';" "$csp"
expect_match "page: Redoc's search worker from a blob only" "; worker-src blob:;" "$csp"
expect_match "page: never framed" "frame-ancestors 'none'" "$csp"
expect_no_match "page: no eval" "unsafe-eval" "$csp"
expect_no_match "page: no other origin" "https?:|\\*" "$csp"
expect_eq "page: inline styles only (Redoc writes <style>), never inline scripts" "style-src 'self' 'unsafe-inline'" \
  "$(tr ';' '\n' <<<"$csp" | grep unsafe-inline | sed 's/^ *//')"
expect_match "page: nosniff" "x-content-type-options: nosniff" "$headers"
expect_eq "page: revalidated each time" "cache-control: no-cache" "$(grep -i '^cache-control:' <<<"$headers")"
page_etag=$(grep -i '^etag:' <<<"$headers" | cut -d' ' -f2-)
expect_match "page: strong ETag" '^"[0-9a-f]{16}"$' "$page_etag"
expect_match "page: 304 on If-None-Match" "^HTTP/2 304" \
  "$(h2c -D - -o /dev/null -H "if-none-match: W/$page_etag" "$(url /docs)")"
expect_no_match "page: no inline script" "<script>|<script [^>]*>[^<]" "$(cat "$GW_DIR/page.html")"
script=$(grep -o 'src="/docs/redoc.standalone.js?v=[0-9a-f]*"' "$GW_DIR/page.html" | sed 's/^src="//; s/"$//')
expect_match "page: loads the bundle by a versioned URL" '^/docs/redoc.standalone.js\?v=[0-9a-f]{16}$' "$script"

# ---- the bundle's headers: the file installed from the lock, named by its content ----
h2c -D "$GW_DIR/h" -o "$GW_DIR/bundle.js" "$(url "$script")"
headers=$(tr -d '\r' <"$GW_DIR/h")
expect_match "bundle: 200" "^HTTP/2 200" "$headers"
expect_match "bundle: javascript" "content-type: text/javascript; charset=utf-8" "$headers"
expect_match "bundle: nosniff" "x-content-type-options: nosniff" "$headers"
expect_eq "bundle: cached a year, immutable" "cache-control: public, max-age=31536000, immutable" \
  "$(grep -i '^cache-control:' <<<"$headers")"
expect_eq "bundle: the ETag is the version the page names" "\"${script##*v=}\"" \
  "$(grep -i '^etag:' <<<"$headers" | cut -d' ' -f2-)"
# the installed file, but for Redocly's logo on a CDN, pointed at an empty data: image (docs_page.c)
if sed 's|"https://cdn.redoc.ly/redoc/logo-mini.svg"|"data:,"|' "$BUNDLE" | cmp -s - "$GW_DIR/bundle.js"; then ok
else bad "bundle: not the installed Redoc bundle with its remote logo dropped"; fi
expect_eq "bundle: names no CDN" "0" "$(grep -c 'cdn\.redoc\.ly' "$GW_DIR/bundle.js")"
expect_match "bundle: 304 on If-None-Match" "^HTTP/2 304" \
  "$(h2c -D - -o /dev/null -H "if-none-match: \"${script##*v=}\"" "$(url /docs/redoc.standalone.js)")"

# ---- the page as a person sees it (headless Chromium) ----
h2c -o "$GW_DIR/openapi.json" "$(url /openapi.json)"
python3 -S -c 'import json, sys
d = json.load(open(sys.argv[1]))
for item in d["paths"].values():
    for op in item.values():
        if isinstance(op, dict) and "operationId" in op:
            print(op["operationId"])' "$GW_DIR/openapi.json" >"$GW_DIR/operation_ids"
expect_match "the document has the operations, /docs among them" "^[0-9]{2,}$" "$(grep -c . "$GW_DIR/operation_ids")"
expect_match "the document has /docs" "getDocs" "$(cat "$GW_DIR/operation_ids")"
if ! command -v chromium >/dev/null 2>&1; then
  bad "chromium is not installed (scripts/deps.sh installs it): the page cannot be checked"
else
  CDP_PORT=$(free_port)
  timeout 120 chromium --headless --no-sandbox --disable-gpu --user-data-dir="$GW_DIR/chromium" \
    --remote-debugging-port="$CDP_PORT" about:blank 2>"$GW_DIR/chromium.log" &
  EXTRA_PIDS+=($!)
  # Waits until every operation is rendered (at most 60 s: a loaded machine), then reports; see docs_page.py.
  timeout 90 python3 "$SRC/tests/integration/docs_page.py" "$CDP_PORT" "$(url /docs)" "$GW_DIR/operation_ids" 60 \
    >"$GW_DIR/seen.json" || bad "not every operation was rendered in time"
  # One line per finding, each checked below.
  python3 -S - "$GW_DIR/seen.json" "$GW_DIR/openapi.json" "$H2C_PORT" >"$GW_DIR/findings" <<'PY'
import json, re, sys
seen, doc, port = json.load(open(sys.argv[1])), json.load(open(sys.argv[2])), sys.argv[3]
ops = {op["operationId"]: op for item in doc["paths"].values() for op in item.values()
       if isinstance(op, dict) and "operationId" in op}
sections = seen["sections"]
print("MISSING", " ".join(seen["missing"]))
print("RENDERED", len([o for o in ops if o in sections]), "OF", len(ops))
flat = lambda text: " ".join(text.split())
print("NO_SUMMARY", " ".join(o for o in ops if flat(ops[o]["summary"]) not in flat(sections.get(o, ""))))
viet = re.compile("[ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ]", re.I)
print("NO_VIETNAMESE", " ".join(o for o in ops if not viet.search(sections.get(o, ""))))
health = flat(sections.get("getHealth", ""))
print("HEALTH_EN", "The process is alive and its event loops answer." in health)
print("HEALTH_VI", "Tiến trình còn hoạt động. Không truy cập Redis hay PostgreSQL." in health)
own = "http://127.0.0.1:%s/" % port
print("FOREIGN", " ".join(u for u in seen["requests"] if not u.startswith((own, "blob:" + own, "data:"))))
print("REQUESTED_DOCUMENT", any(u == own + "openapi.json" for u in seen["requests"]))
print("ERRORS", " | ".join(seen["errors"]))
print("VIOLATIONS", " | ".join(seen["violations"]))
PY
  finding() { grep "^$1 " "$GW_DIR/findings" | cut -d' ' -f2-; grep -q "^$1 " "$GW_DIR/findings" || echo "(no $1)"; }
  expect_eq "browser: every operation rendered" "" "$(finding MISSING)"
  expect_match "browser: every operation of the document has its section" "^([0-9]+) OF \\1$" "$(finding RENDERED)"
  expect_eq "browser: every operation shows its English / Vietnamese summary" "" "$(finding NO_SUMMARY)"
  expect_eq "browser: every operation shows Vietnamese text" "" "$(finding NO_VIETNAMESE)"
  expect_eq "browser: getHealth's English description is visible" "True" "$(finding HEALTH_EN)"
  expect_eq "browser: getHealth's Vietnamese description is visible" "True" "$(finding HEALTH_VI)"
  expect_eq "browser: the page read /openapi.json from this gateway" "True" "$(finding REQUESTED_DOCUMENT)"
  expect_eq "browser: no request left 127.0.0.1" "" "$(finding FOREIGN)"
  expect_eq "browser: no console error" "" "$(finding ERRORS)"
  expect_eq "browser: no CSP violation" "" "$(finding VIOLATIONS)"
fi
stop_gateway

# ---- turned off: no page ----
GW_NAME=off start_gateway "${LIMITS[@]}" CONG_SERVER_DOCS_ENABLED=0 ||
  { bad "gateway start (docs off)"; finish; exit 1; }
for path in /docs /docs/redoc.standalone.js; do
  expect_eq "docs off: $path 404" "404" "$(h2c -o /dev/null -w '%{http_code}' "$(url "$path")")"
done
expect_eq "docs off: the document is still served" "200" "$(h2c -o /dev/null -w '%{http_code}' "$(url /openapi.json)")"
stop_gateway

# ---- the renderer missing at start: the gateway serves, /docs says why it is not there ----
GW_NAME=missing start_gateway "${LIMITS[@]}" CONG_SERVER_DOCS_BUNDLE_FILE="$GW_DIR/no-such-bundle.js" ||
  { bad "gateway start without the renderer"; finish; exit 1; }
for path in /docs /docs/redoc.standalone.js; do
  h=$(h2c -D - -o "$GW_DIR/b" "$(url "$path")" | tr -d '\r')
  expect_match "no renderer: $path 503" "^HTTP/2 503" "$h"
  expect_match "no renderer: $path a problem" "content-type: application/problem\\+json" "$h"
  expect_match "no renderer: $path Retry-After" "retry-after: [0-9]+" "$h"
  expect_eq "no renderer: $path problem type" "https://cong.hanoi.gov.vn/problems/service-unavailable" \
    "$(json type <"$GW_DIR/b")"
done
expect_eq "no renderer: the API is served" "200" "$(h2c -o /dev/null -w '%{http_code}' "$(url /openapi.json)")"
expect_match "no renderer: the log names the file and the key" "no-such-bundle.js \\(server.docs_bundle_file" \
  "$(cat "$GW_DIR/missing.stderr")"
stop_gateway

finish

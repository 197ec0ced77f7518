#!/usr/bin/env bash
# The KPI routes and the dashboard page, end to end: a controlled set of dossiers for a unit of its own in a past ISO
# week (2026-W02), the three KPI endpoints (figures, late list with reasons, 12-week trend, 422 on bad weeks, 503 when
# PostgreSQL is unreachable), the static files (types, ETag, 304, CSP), and the page rendered by headless Chromium:
# what a person would see — the unit's row and figures, the unit in the late list with its reasons, one chart point
# per week; the citizens' satisfaction (feedback module: 5 ratings of 5,4,4,2,1 stars in the week, mean 3.2) in the
# KPI answers, as the reason "satisfaction" of the late list, as the units table's column and as the unit's bar in the
# satisfaction chart. The Chromium part is skipped (with a message) only when chromium is not installed.
#
# Needs the procedures schema (modules/procedures/migrations, applied here with psql when the `units` table is
# missing, until the gateway applies them itself) and the SQL functions kpi_units, kpi_late_units and kpi_trend.
source "$(dirname "$0")/lib.sh"

PSQL=(psql -h 127.0.0.1 -p "$PG_PORT" -U cong -d cong -v ON_ERROR_STOP=1 -qAt)
WEEK=2026-W02 # Monday 2026-01-05 .. Sunday 2026-01-11
SUFFIX="$(date +%s)$$"
UNIT="T-DASH-$SUFFIX"
PROC="T-DASH-P-$SUFFIX"

# ---- the schema and the data set ----
if [ -z "$("${PSQL[@]}" -c "select to_regclass('public.units')")" ]; then
  for f in "$SRC"/modules/procedures/migrations/*.sql; do
    "${PSQL[@]}" -f "$f" >/dev/null || { bad "applying $f"; finish; exit 1; }
  done
fi
for fn in kpi_units kpi_late_units kpi_trend; do
  if [ -z "$("${PSQL[@]}" -c "select to_regproc('public.$fn')")" ]; then
    bad "the SQL function $fn does not exist (procedures migrations not applied?)"
  fi
done

"${PSQL[@]}" >/dev/null <<SQL || bad "inserting the data set"
INSERT INTO domains (code, name_vi, name_en) VALUES ('t-dash', 'Thử nghiệm', 'Testing') ON CONFLICT DO NOTHING;
INSERT INTO units (code, name, name_en, kind) VALUES ('$UNIT', 'Phường Thử Nghiệm $SUFFIX', 'Test Ward $SUFFIX', 'ward');
INSERT INTO procedures (code, name_vi, name_en, domain, level, fee_vnd, processing_days, min_loa, online_level,
                        accepts_electronic_copies)
  VALUES ('$PROC', 'Thủ tục thử nghiệm', 'Test procedure', 't-dash', 'commune', 0, 3, 1, 'full', true);
INSERT INTO procedure_units (procedure_code, unit_code) VALUES ('$PROC', '$UNIT');
-- week $WEEK: 5 received; 2 completed on time, 2 completed late (rate 50.0); 1 still open and overdue (overdue and
-- in progress are disjoint: in progress = open and not yet due at the week's end)
INSERT INTO dossiers (code, procedure_code, unit_code, subject, submitted_by, status, form, fee_vnd, submitted_at,
                      due_date, completed_at) VALUES
  ('$UNIT-1', '$PROC', '$UNIT', 't-dash', 't-dash', 'completed', '{}', 0, '2026-01-05 09:00+07', '2026-01-09', '2026-01-07 10:00+07'),
  ('$UNIT-2', '$PROC', '$UNIT', 't-dash', 't-dash', 'completed', '{}', 0, '2026-01-05 10:00+07', '2026-01-09', '2026-01-08 15:00+07'),
  ('$UNIT-3', '$PROC', '$UNIT', 't-dash', 't-dash', 'completed', '{}', 0, '2026-01-05 11:00+07', '2026-01-06', '2026-01-09 10:00+07'),
  ('$UNIT-4', '$PROC', '$UNIT', 't-dash', 't-dash', 'completed', '{}', 0, '2026-01-06 09:00+07', '2026-01-07', '2026-01-09 16:00+07'),
  ('$UNIT-5', '$PROC', '$UNIT', 't-dash', 't-dash', 'processing', '{}', 0, '2026-01-06 10:00+07', '2026-01-08', NULL);
-- the unit rated in week $WEEK (modules/feedback's table; its trigger keeps the weekly index): 5,4,4,2,1 stars
INSERT INTO feedback (unit_code, subject, given_by, stars, week_start, created_at)
SELECT '$UNIT', 't-dash-' || n, 't-dash-' || n, (ARRAY[5, 4, 4, 2, 1])[n], '2026-01-05', '2026-01-07 10:00+07'
  FROM generate_series(1, 5) n;
SQL

# ~40 anonymous requests, drawn from the bucket of 127.0.0.1 that every test running at once shares: limits far above.
LIMITS=(CONG_RATE_LIMITS_DEFAULT_PER_MINUTE=600000 CONG_RATE_LIMITS_DEFAULT_BURST=100000
  CONG_MODULES_PROCEDURES_KPI_SATISFACTION_THRESHOLD=3.5 CONG_MODULES_PROCEDURES_KPI_SATISFACTION_MIN_RATINGS=5)
start_gateway "${LIMITS[@]}" CONG_MODULES_PROCEDURES_DASHBOARD_DIR="$SRC/modules/procedures/dashboard" ||
  { bad "gateway start"; finish; exit 1; }
wait_stores_up || { finish; exit 1; }

# pyget EXPR — evaluate a Python expression over the JSON on stdin (bound to `d`); prints the result as JSON.
pyget() { python3 -S -c 'import json,sys; d=json.load(sys.stdin); print(json.dumps(eval(sys.argv[1]), ensure_ascii=False))' "$1"; }
unit_of() { echo "[u for u in d['units'] if u['unit_code'] == '$UNIT'][0]"; }

# ---- GET /v1/kpi/units ----
h2c -D "$GW_DIR/h" -o "$GW_DIR/b" "$(url "/v1/kpi/units?week=$WEEK")"
expect_match "units: 200" "^HTTP/2 200" "$(head -1 "$GW_DIR/h")"
expect_match "units: cacheable for a minute" "cache-control: public, max-age=60" "$(cat "$GW_DIR/h")"
expect_eq "units: one Cache-Control only" "1" "$(grep -ci '^cache-control:' "$GW_DIR/h")"
expect_eq "units: week" '["2026-W02", "2026-01-05", "2026-01-11"]' "$(pyget "[d['week'], d['week_start'], d['week_end']]" <"$GW_DIR/b")"
expect_eq "units: the test unit's figures" \
  "{\"unit_code\": \"$UNIT\", \"unit_name\": \"Phường Thử Nghiệm $SUFFIX\", \"received\": 5, \"completed_on_time\": 2, \"completed_late\": 2, \"in_progress\": 0, \"overdue\": 1, \"on_time_rate\": 50.0, \"satisfaction\": {\"ratings\": 5, \"mean\": 3.2, \"share_4_5\": 0.6, \"distribution\": [1, 1, 0, 2, 1]}}" \
  "$(pyget "$(unit_of)" <"$GW_DIR/b")"
expect_eq "units: a unit without completed dossiers has a null rate" "true" \
  "$(pyget "all(u['on_time_rate'] is None for u in d['units'] if u['completed_on_time'] + u['completed_late'] == 0)" <"$GW_DIR/b")"

# ---- GET /v1/kpi/late-units ----
body=$(h2c "$(url "/v1/kpi/late-units?week=$WEEK")")
expect_eq "late: thresholds and week" '[80, 3.5, 5, "2026-W02", "2026-01-05", "2026-01-11"]' \
  "$(echo "$body" | pyget "[d['threshold'], d['satisfaction_threshold'], d['satisfaction_min_ratings'], d['week'], d['week_start'], d['week_end']]")"
expect_eq "late: the test unit with its three reasons" '[50.0, 1, ["below_threshold", "overdue", "satisfaction"]]' \
  "$(echo "$body" | pyget "[(u['on_time_rate'], u['overdue'], sorted(u['reasons'])) for u in d['units'] if u['unit_code'] == '$UNIT'][0]")"

# ---- GET /v1/kpi/trend ----
body=$(h2c "$(url "/v1/kpi/trend?week=$WEEK")")
expect_eq "trend: 12 weeks by default, ending with the week asked" '[12, "2025-W43", "2026-W02", "2026-01-05"]' \
  "$(echo "$body" | pyget "[len(d['weeks']), d['weeks'][0]['week'], d['weeks'][-1]['week'], d['weeks'][-1]['week_start']]")"
expect_eq "trend: the week's completed dossiers are counted" "true" \
  "$(echo "$body" | pyget "d['weeks'][-1]['completed_on_time'] >= 2 and d['weeks'][-1]['completed_late'] >= 2 and isinstance(d['weeks'][-1]['on_time_rate'], float)")"
expect_eq "trend: weeks=3" "3" "$(h2c "$(url "/v1/kpi/trend?week=$WEEK&weeks=3")" | pyget "len(d['weeks'])")"

# ---- validation ----
# weeks outside the data's years (2020 to next year) too: an old one would make kpi_units read every completion since
FAR=$(($(date -u +%Y) + 3))
for q in "units?week=2026-W99" "units?week=garbage" "late-units?week=2025-W53" "trend?week=2026-W00" \
         "units?week=" "trend?weeks=0" "trend?weeks=53" "trend?weeks=1x" \
         "units?week=0001-W01" "late-units?week=2019-W52" "trend?week=$FAR-W01"; do
  h2c -o "$GW_DIR/b" -D "$GW_DIR/h" "$(url "/v1/kpi/$q")"
  expect_match "$q: 422" "^HTTP/2 422" "$(head -1 "$GW_DIR/h")"
  expect_eq "$q: problem type" "https://cong.hanoi.gov.vn/problems/validation-failed" "$(json type <"$GW_DIR/b")"
done
expect_match "422 says what a week looks like" "YYYY-Www" "$(h2c "$(url "/v1/kpi/units?week=garbage")" | json detail)"
expect_match "422 says the week does not exist" "tuần" "$(h2c "$(url "/v1/kpi/units?week=2026-W99")" | json detail)"
expect_eq "2026 has a week 53" "200" "$(h2c -o /dev/null -w '%{http_code}' "$(url "/v1/kpi/units?week=2026-W53")")"
expect_match "422 gives the weeks there are" "from 2020-W01 to [0-9]{4}-W5[23]" \
  "$(h2c -H 'accept-language: en' "$(url "/v1/kpi/units?week=0001-W01")" | json detail)"
expect_eq "the first week there is" "200" "$(h2c -o /dev/null -w '%{http_code}' "$(url "/v1/kpi/units?week=2020-W01")")"

# the current week in Hanoi by default (read twice around the request: a week may turn in between)
cur() { python3 -c 'import datetime as t; y,w,_=(t.datetime.now(t.timezone.utc)+t.timedelta(hours=7)).isocalendar(); print(f"{y}-W{w:02d}")'; }
before=$(cur); got=$(h2c "$(url /v1/kpi/units)" | json week); after=$(cur)
if [ "$got" = "$before" ] || [ "$got" = "$after" ]; then ok; else bad "default week: expected $before, got $got"; fi

# ---- the static files ----
h2c -D "$GW_DIR/h" -o "$GW_DIR/b" "$(url /dashboard)"
headers=$(tr -d '\r' <"$GW_DIR/h")
expect_match "dashboard: 200" "^HTTP/2 200" "$headers"
expect_match "dashboard: html" "content-type: text/html; charset=utf-8" "$headers"
expect_match "dashboard: CSP default-src self" "content-security-policy: default-src 'self'; script-src 'self'; style-src 'self'" "$headers"
expect_no_match "dashboard: CSP allows nothing inline" "unsafe-inline|unsafe-eval" "$headers"
expect_eq "dashboard: revalidated each time (one Cache-Control)" "cache-control: no-cache" "$(grep -i '^cache-control:' <<<"$headers")"
expect_eq "dashboard: one CSP" "1" "$(grep -ci '^content-security-policy:' <<<"$headers")"
expect_match "dashboard: loads its script" 'src="/dashboard/dashboard.js"' "$(cat "$GW_DIR/b")"
etag=$(grep -i '^etag:' <<<"$headers" | cut -d' ' -f2-)
expect_match "dashboard: strong ETag" '^"[0-9a-f]{16}"$' "$etag"
rm -f "$GW_DIR/b"
h=$(h2c -D - -o "$GW_DIR/b" -H "if-none-match: $etag" "$(url /dashboard)" | tr -d '\r')
expect_match "dashboard: 304 on If-None-Match" "^HTTP/2 304" "$h"
expect_match "dashboard: 304 keeps the ETag" "etag: $etag" "$h"
expect_eq "dashboard: 304 has no body" "0" "$(cat "$GW_DIR/b" 2>/dev/null | wc -c)"
expect_match "dashboard: 304 on a list with a weak tag" "^HTTP/2 304" \
  "$(h2c -D - -o /dev/null -H "if-none-match: \"0000000000000000\", W/$etag" "$(url /dashboard)")"
expect_match "dashboard: 200 on another tag" "^HTTP/2 200" \
  "$(h2c -D - -o /dev/null -H 'if-none-match: "0000000000000000"' "$(url /dashboard)")"
expect_match "script type" "content-type: text/javascript; charset=utf-8" "$(h2c -D - -o /dev/null "$(url /dashboard/dashboard.js)")"
expect_match "style type" "content-type: text/css; charset=utf-8" "$(h2c -D - -o /dev/null "$(url /dashboard/dashboard.css)")"

# ---- the page as a person sees it (headless Chromium) ----
if ! command -v chromium >/dev/null 2>&1; then
  echo "SKIP: chromium is not installed; the rendered page is not checked (scripts/deps.sh installs it)"
else
  timeout 90 chromium --headless --no-sandbox --disable-gpu --user-data-dir="$GW_DIR/chromium" \
    --virtual-time-budget=5000 --dump-dom "$(url "/dashboard?week=$WEEK")" >"$GW_DIR/dom.html" 2>"$GW_DIR/chromium.log"
  # One line per thing seen: UNIT code|cells..., LATE code|reasons|texts, POINT week|rate|class, STATUS text.
  python3 - "$GW_DIR/dom.html" >"$GW_DIR/seen.txt" <<'PY'
import sys
from html.parser import HTMLParser

class Seen(HTMLParser):
    def __init__(self):
        super().__init__()
        self.table = None; self.row = None; self.cell = None; self.in_status = False; self.status = ""
        self.points = []; self.reasons = []
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "table": self.table = a.get("id")
        elif tag == "tr" and "data-unit" in a: self.row = [a["data-unit"]]; self.reasons = []
        elif tag in ("td", "th") and self.row is not None: self.cell = ""
        elif tag == "li" and "data-reason" in a: self.reasons.append(a["data-reason"])
        elif tag == "circle" and "point" in a.get("class", ""): self.points.append((a.get("data-week"), a.get("data-rate"), a.get("class")))
        elif tag == "rect" and "bar" in a.get("class", "").split(): print("BAR", "|".join(a.get(k) or "" for k in ("data-unit", "data-mean", "data-ratings", "class")))
        elif a.get("id") == "status": self.in_status = True
        if self.cell is not None: self.cell += " "  # elements inside a cell read as separate words
    def handle_endtag(self, tag):
        if self.cell is not None: self.cell += " "
        if tag in ("td", "th") and self.cell is not None: self.row.append(" ".join(self.cell.split())); self.cell = None
        elif tag == "tr" and self.row is not None:
            kind = "UNIT" if self.table == "units-table" else "LATE"
            extra = [",".join(sorted(self.reasons))] if kind == "LATE" else []
            print(kind, "|".join(self.row[:1] + extra + self.row[1:])); self.row = None
        elif tag == "p": self.in_status = False
    def handle_data(self, data):
        if self.cell is not None: self.cell += data
        if self.in_status: self.status += data

s = Seen(); s.feed(open(sys.argv[1], encoding="utf-8").read())
for p in s.points: print("POINT", "|".join(x or "" for x in p))
print("STATUS", s.status.strip())
PY
  seen=$(cat "$GW_DIR/seen.txt")
  unit_row=$(grep "^UNIT $UNIT|" <<<"$seen")
  expect_match "page: the unit's row, name and figures" \
    "^UNIT $UNIT\|Phường Thử Nghiệm $SUFFIX $UNIT\|5\|2\|2\|0\|1\|50,0 % Chậm\|3,2 ★ 5 lượt$" "$unit_row"
  late_row=$(grep "^LATE $UNIT|" <<<"$seen")
  expect_match "page: the unit in the late list with its three reasons" \
    "^LATE $UNIT\|below_threshold,overdue,satisfaction\|Phường Thử Nghiệm $SUFFIX $UNIT\|50,0 %\|1\|" "$late_row"
  expect_match "page: reasons in Vietnamese" "Có hồ sơ quá hạn.*Tỉ lệ đúng hạn dưới ngưỡng.*Mức hài lòng dưới ngưỡng" "$late_row"
  expect_eq "page: the unit's bar in the satisfaction chart, under the threshold" "BAR $UNIT|3.2|5|bar below" \
    "$(grep "^BAR $UNIT|" <<<"$seen")"
  expect_match "page: the chart's bars, least satisfying first" "^BAR [^|]+\|[0-9.]+\|[0-9]+\|bar( below)?$" \
    "$(grep '^BAR ' <<<"$seen" | head -1)"
  expect_match "page: the chart's threshold line" '<line [^>]*class="threshold"' \
    "$(grep -o '<svg[^>]*class="satisfaction-svg".*</svg>' "$GW_DIR/dom.html")"
  expect_eq "page: one chart point per week" "12" "$(grep -c '^POINT ' <<<"$seen")"
  expect_match "page: the last point is the week asked, with a rate" "^POINT 2026-W02\|[0-9.]+\|point$" \
    "$(grep '^POINT ' <<<"$seen" | tail -1)"
  expect_eq "page: no error shown" "STATUS " "$(grep '^STATUS' <<<"$seen")"
  expect_match "page: the week's dates are shown" '<span id="week-range" class="week-range">từ 2026-01-05 đến 2026-01-11</span>' \
    "$(cat "$GW_DIR/dom.html")"
  expect_match "page: the late list's caption gives both thresholds" '<caption id="late-caption">Đơn vị có hồ sơ quá hạn, tỉ lệ đúng hạn dưới 80% hoặc điểm hài lòng dưới 3,5 sao, tuần 2026-W02</caption>' \
    "$(cat "$GW_DIR/dom.html")"
  expect_match "page: the table's caption names the week" '<caption id="units-caption">Chỉ số của [0-9]+ đơn vị, tuần 2026-W02</caption>' \
    "$(cat "$GW_DIR/dom.html")"

  # a bad week in the address: the API's 422 is shown to the person, no table row
  timeout 90 chromium --headless --no-sandbox --disable-gpu --user-data-dir="$GW_DIR/chromium" \
    --virtual-time-budget=5000 --dump-dom "$(url "/dashboard?week=2026-W99")" >"$GW_DIR/dom-bad.html" 2>>"$GW_DIR/chromium.log"
  expect_match "page: a bad week shows the API's message" 'class="status error"[^>]*>Không tải được số liệu: [^<]*tuần' \
    "$(cat "$GW_DIR/dom-bad.html")"
fi

stop_gateway

# ---- PostgreSQL gone: 503, never a crash or a wrong 200 ----
# The gateway reaches PostgreSQL through a TCP relay of this test's own (the shared test database stays up); killing
# the relay drops the gateway's connections and refuses new ones. The test waits for the pool to be connected, then
# for it to be down; a query then fails at once, so the deadline is one no busy machine reaches (1 s was also the
# connect timeout: on a loaded machine the pool never came up through the relay, and the first request got 503).
relay_start PGRELAY "$PG_PORT" || bad "relay start"
GW_NAME=relay start_gateway "${LIMITS[@]}" CONG_MODULES_PROCEDURES_DASHBOARD_DIR="$SRC/modules/procedures/dashboard" \
  CONG_POSTGRES_CONNINFO="host=127.0.0.1 port=$PGRELAY_PORT dbname=cong user=cong" \
  CONG_POSTGRES_TIMEOUT_MS=60000 CONG_MODULES_PROCEDURES_KPI_CACHE_TTL_MS=0 \
  || { bad "gateway start through the relay"; finish; exit 1; }
wait_stores_up || { finish; exit 1; }
expect_eq "through the relay: 200" "200" "$(h2c -o /dev/null -w '%{http_code}' "$(url "/v1/kpi/units?week=$WEEK")")"
relay_stop PGRELAY
wait_store_down postgres
for q in "units?week=$WEEK" "late-units?week=$WEEK" "trend?week=$WEEK"; do
  h=$(h2c -D - -o "$GW_DIR/b" "$(url "/v1/kpi/$q")")
  expect_match "$q without PostgreSQL: 503" "^HTTP/2 503" "$h"
  expect_eq "$q without PostgreSQL: problem type" "https://cong.hanoi.gov.vn/problems/service-unavailable" \
    "$(json type <"$GW_DIR/b")"
done
expect_eq "the page itself needs no database" "200" "$(h2c -o /dev/null -w '%{http_code}' "$(url /dashboard)")"

finish

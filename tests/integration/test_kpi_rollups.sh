#!/usr/bin/env bash
# The KPIs from rollups (procedures 0012, 0015) against the exact functions they replace (kpi_units_exact, and
# kpi_late_units_exact over it), every figure of every unit, in one snapshot:
#   1. test_dashboard's controlled set (a unit of its own in 2026-W02: 5 received, 2 on time, 2 late, 1 overdue),
#   2. a generated set of KPI_TEST_DOSSIERS dossiers (default 6,000: every case below, and seconds in make test) in
#      units of its own over 30 weeks: every status, completions on time, late, in the week of submission, weeks
#      later, and never; withdrawn ones; due dates before and after the weeks' ends, so that open dossiers cross many
#      week ends,
#   3. the same after the writes dossiers see in life and some they never see (completion, reopening, withdrawal, due
#      date, unit and submission moved, copies inserted by one statement, deletions),
#   4. many sessions at once (pgbench, 16 clients on 8 slots: sessions share rows) toggling completion and withdrawal
#      of dossiers of one unit and week, each transaction touching several rollup rows: no count lost, no deadlock,
#   5. the slots of closed weeks folded into one row (kpi_dossiers_weekly_fold): the same figures,
#   6. the gateway's kpi_fold job (modules/procedures/kpi_fold.c) doing so by itself, current weeks left alone.
# Each comparison runs in one REPEATABLE READ transaction, so the other tests writing dossiers meanwhile cannot make
# the two sides differ, and covers all the units (not only this test's). The rollup tables themselves are also compared
# with kpi_dossiers_weekly_expected() and kpi_dossiers_yearly_expected() (the backfills' queries over the dossiers) for
# this test's units.
source "$(dirname "$0")/lib.sh"

PSQL=(psql -h 127.0.0.1 -p "$PG_PORT" -U cong -d cong -v ON_ERROR_STOP=1 -qAtX)
N=${KPI_TEST_DOSSIERS:-6000}
SUFFIX="$(date +%s)$$"
U="T-KR-$SUFFIX"   # units $U-0 .. $U-11 (generated), $U-D (controlled), $U-C (concurrency)
PROC="T-KR-P-$SUFFIX"
sql() { "${PSQL[@]}" -c "$1"; }

for fn in kpi_units kpi_units_exact kpi_late_units kpi_late_units_exact kpi_dossiers_weekly_expected \
          kpi_dossiers_yearly_expected; do
  [ -n "$(sql "select to_regproc('public.$fn')")" ] ||
    { bad "the SQL function $fn does not exist (procedures 0012, 0015?)"; finish; exit 1; }
done

# compare NAME FIRST_MONDAY WEEKS — 0 when kpi_units equals kpi_units_exact for WEEKS weeks from FIRST_MONDAY (and
# kpi_units_rated, kpi_late_units their exact twins for every 4th of them: they add only the satisfaction join), and
# the rollup rows of this test's units equal the dossiers' own; prints the differences.
compare() {
  local out
  out=$("${PSQL[@]}" <<SQL 2>&1
BEGIN ISOLATION LEVEL REPEATABLE READ;
WITH weeks AS (SELECT (date '$2' + 7 * n) AS w, n % 4 = 0 AS every_4th FROM generate_series(0, $3 - 1) n)
SELECT 'units ' || w || ': ' || x::text FROM weeks, LATERAL (
  (SELECT * FROM kpi_units(w) EXCEPT ALL SELECT * FROM kpi_units_exact(w))
  UNION ALL (SELECT * FROM kpi_units_exact(w) EXCEPT ALL SELECT * FROM kpi_units(w))) x
UNION ALL
SELECT 'rated ' || w || ': ' || x::text FROM weeks, LATERAL (
  (SELECT * FROM kpi_units_rated(w) EXCEPT ALL SELECT * FROM kpi_units_rated_exact(w))
  UNION ALL (SELECT * FROM kpi_units_rated_exact(w) EXCEPT ALL SELECT * FROM kpi_units_rated(w))) x WHERE every_4th
UNION ALL
SELECT 'late ' || w || ': ' || x::text FROM weeks, LATERAL (
  (SELECT * FROM kpi_late_units(w, 80, 3.5, 5) EXCEPT ALL SELECT * FROM kpi_late_units_exact(w, 80, 3.5, 5))
  UNION ALL (SELECT * FROM kpi_late_units_exact(w, 80, 3.5, 5) EXCEPT ALL SELECT * FROM kpi_late_units(w, 80, 3.5, 5))) x
 WHERE every_4th
LIMIT 20;
WITH mine AS (
  SELECT unit_code, week_start, sum(received)::bigint AS r, sum(open_delta)::bigint AS o, sum(overdue_delta)::bigint AS v
    FROM kpi_dossiers_weekly WHERE unit_code LIKE '$U-%' GROUP BY 1, 2
  HAVING sum(received) <> 0 OR sum(open_delta) <> 0 OR sum(overdue_delta) <> 0
), expected AS (SELECT * FROM kpi_dossiers_weekly_expected() WHERE unit_code LIKE '$U-%')
SELECT 'rollup: ' || x::text FROM ((SELECT * FROM mine EXCEPT ALL SELECT * FROM expected)
                                   UNION ALL (SELECT * FROM expected EXCEPT ALL SELECT * FROM mine)) x LIMIT 20;
WITH mine AS (
  SELECT unit_code, year_start, sum(open_delta)::bigint AS o, sum(overdue_delta)::bigint AS v
    FROM kpi_dossiers_yearly WHERE unit_code LIKE '$U-%' GROUP BY 1, 2
  HAVING sum(open_delta) <> 0 OR sum(overdue_delta) <> 0
), expected AS (SELECT * FROM kpi_dossiers_yearly_expected() WHERE unit_code LIKE '$U-%')
SELECT 'yearly rollup: ' || x::text FROM ((SELECT * FROM mine EXCEPT ALL SELECT * FROM expected)
                                          UNION ALL (SELECT * FROM expected EXCEPT ALL SELECT * FROM mine)) x LIMIT 20;
COMMIT;
SQL
  )
  if [ -n "$out" ]; then bad "$1: the rollups differ from the exact figures:"; echo "$out" | head -20; return 1; fi
  ok
}

# ---- 1. the controlled set of test_dashboard (the same rows, in a unit of its own) ----
"${PSQL[@]}" >/dev/null <<SQL || bad "inserting the controlled set"
INSERT INTO domains (code, name_vi, name_en) VALUES ('t-kr', 'Thử nghiệm', 'Testing') ON CONFLICT DO NOTHING;
INSERT INTO units (code, name, name_en, kind)
SELECT '$U-' || k, 'Phường Cuộn ' || k || ' $SUFFIX', 'Rollup Ward ' || k || ' $SUFFIX', 'ward'
  FROM (SELECT g::text AS k FROM generate_series(0, 11) g UNION ALL VALUES ('D'), ('C')) ks;
INSERT INTO procedures (code, name_vi, name_en, domain, level, fee_vnd, processing_days, min_loa, online_level,
                        accepts_electronic_copies)
  VALUES ('$PROC', 'Thủ tục thử nghiệm', 'Test procedure', 't-kr', 'commune', 0, 3, 1, 'full', true);
INSERT INTO dossiers (code, procedure_code, unit_code, subject, submitted_by, status, form, fee_vnd, submitted_at,
                      due_date, completed_at) VALUES
  ('$U-D-1', '$PROC', '$U-D', 't-kr', 't-kr', 'completed', '{}', 0, '2026-01-05 09:00+07', '2026-01-09', '2026-01-07 10:00+07'),
  ('$U-D-2', '$PROC', '$U-D', 't-kr', 't-kr', 'completed', '{}', 0, '2026-01-05 10:00+07', '2026-01-09', '2026-01-08 15:00+07'),
  ('$U-D-3', '$PROC', '$U-D', 't-kr', 't-kr', 'completed', '{}', 0, '2026-01-05 11:00+07', '2026-01-06', '2026-01-09 10:00+07'),
  ('$U-D-4', '$PROC', '$U-D', 't-kr', 't-kr', 'completed', '{}', 0, '2026-01-06 09:00+07', '2026-01-07', '2026-01-09 16:00+07'),
  ('$U-D-5', '$PROC', '$U-D', 't-kr', 't-kr', 'processing', '{}', 0, '2026-01-06 10:00+07', '2026-01-08', NULL);
SQL
expect_eq "controlled set: the unit's figures in 2026-W02 (test_dashboard's)" "$U-D|5|2|2|0|1|50.0" \
  "$(sql "SELECT unit_code, received, completed_on_time, completed_late, in_progress, overdue, on_time_rate
            FROM kpi_units('2026-01-07') WHERE unit_code = '$U-D'")"
expect_eq "controlled set: on the late list for its overdue dossier and its rate" "$U-D|{overdue,below_threshold}" \
  "$(sql "SELECT unit_code, reasons FROM kpi_late_units('2026-01-05', 80) WHERE unit_code = '$U-D'")"
compare "controlled set" 2025-12-22 6

# ---- 2. a generated set: submitted over 30 weeks from 64 weeks ago (local 07:00-22:00), due 0-20 days later ----
# kpi_units (0015) reads a week of the first half of its year forwards from 1 January and one of the second half
# backwards from the next 1 January: the weeks compared (65 to 30 weeks ago, 36 weeks) always cross a switch between
# the two (1 July or 1 January), whatever the day the test runs; the controlled set's weeks cross a new year.
START=$(sql "SELECT kpi_monday(cong_local_date(now())) - 7 * 64")
"${PSQL[@]}" >/dev/null <<SQL || bad "generating $N dossiers"
SELECT setseed(0.17);
INSERT INTO dossiers (code, procedure_code, unit_code, subject, submitted_by, status, form, fee_vnd, submitted_at,
                      due_date, completed_at)
SELECT '$U-G-' || i, '$PROC', '$U-' || (i % 12), 't-kr', 't-kr',
       CASE WHEN fate < 0.05 THEN 'withdrawn' WHEN done IS NOT NULL THEN 'completed'
            ELSE (ARRAY['submitted', 'received', 'processing', 'supplement_requested', 'approved'])[1 + i % 5] END,
       '{}', 0, sub, cong_local_date(sub) + due_in, done
  FROM (SELECT i, fate, sub, due_in,
               CASE WHEN fate >= 0.05 AND fate < 0.93                   -- completed: 0 to 35 days after submission
                    THEN sub + (random() * 35 * 86400) * interval '1 second' END AS done
          FROM (SELECT i, random() AS fate, floor(random() * 21)::int AS due_in,
                       cong_local_midnight('$START') + interval '7 hours' + floor(random() * 210) * interval '1 day'
                           + random() * interval '15 hours' AS sub
                  FROM generate_series(1, $N) i) r) g;
SQL
expect_eq "generated set: $N dossiers in 12 units" "$N|12" \
  "$(sql "SELECT count(*), count(DISTINCT unit_code) FROM dossiers WHERE code LIKE '$U-G-%'")"
expect_eq "generated set: open dossiers cross week ends (submitted and completed in different weeks)" "t" \
  "$(sql "SELECT count(*) > $N / 4 FROM dossiers WHERE code LIKE '$U-G-%'
            AND kpi_monday(cong_local_date(completed_at)) > kpi_monday(cong_local_date(submitted_at))")"
# every week of the span, the week before and five after it; then the last 4 weeks (every test's dossiers)
FIRST=$(sql "SELECT date '$START' - 7")
compare "generated set" "$FIRST" 36
compare "the last weeks" "$(sql "SELECT kpi_monday(cong_local_date(now())) - 21")" 4

# ---- 3. writes: what transitions do, and what only an administrator would ----
"${PSQL[@]}" >/dev/null <<SQL || bad "changing the generated set"
UPDATE dossiers SET status = 'completed', completed_at = submitted_at + interval '9 days'
 WHERE code LIKE '$U-G-%' AND completed_at IS NULL AND status <> 'withdrawn' AND length(code) % 3 = 0;
UPDATE dossiers SET status = 'withdrawn' WHERE code LIKE '$U-G-%' AND completed_at IS NULL AND right(code, 1) = '7';
UPDATE dossiers SET status = 'processing', completed_at = NULL WHERE code LIKE '$U-G-%' AND right(code, 2) = '11';
UPDATE dossiers SET due_date = due_date + 12 WHERE code LIKE '$U-G-%' AND right(code, 2) = '23';
UPDATE dossiers SET submitted_at = submitted_at - interval '16 days' WHERE code LIKE '$U-G-%' AND right(code, 2) = '31';
UPDATE dossiers SET unit_code = '$U-0' WHERE code LIKE '$U-G-%' AND right(code, 2) = '45';
UPDATE dossiers SET completed_at = submitted_at - interval '8 days' WHERE code LIKE '$U-G-%' AND right(code, 2) = '52'
   AND completed_at IS NOT NULL;
UPDATE dossiers SET version = version + 1, updated_at = now() WHERE code LIKE '$U-G-%' AND right(code, 1) = '3';
INSERT INTO dossiers (code, procedure_code, unit_code, subject, submitted_by, status, form, fee_vnd, submitted_at,
                      due_date, completed_at)
SELECT code || '-copy', procedure_code, unit_code, subject, submitted_by, status, form, fee_vnd,
       submitted_at + interval '20 days', due_date + 20, completed_at + interval '27 days'
  FROM dossiers WHERE code LIKE '$U-G-%' AND right(code, 2) = '64';
DELETE FROM dossiers WHERE code LIKE '$U-G-%' AND right(code, 2) = '78';
SQL
compare "generated set after the writes" "$FIRST" 36

# ---- 4. many sessions at once on one unit and week ----
# 400 dossiers of $U-C submitted in 2026-W02, due in W02..W04; a transaction toggles the completion of one (completed
# in W03 or W05, 'completed' <-> 'processing') or its withdrawal ('withdrawn' <-> 'processing' when not completed).
"${PSQL[@]}" >/dev/null <<SQL || bad "inserting the concurrency set"
INSERT INTO dossiers (code, procedure_code, unit_code, subject, submitted_by, status, form, fee_vnd, submitted_at,
                      due_date)
SELECT '$U-C-' || i, '$PROC', '$U-C', 't-kr', 't-kr', 'processing', '{}', 0, '2026-01-06 09:00+07',
       date '2026-01-07' + 7 * (i % 3)
  FROM generate_series(1, 400) i;
SQL
cat >"$GW_DIR/complete.sql" <<SQL
\set k random(1, 400)
UPDATE dossiers SET completed_at = CASE WHEN completed_at IS NULL
                                        THEN timestamptz '2026-01-14 10:00+07' + (:k % 2) * interval '14 days' END,
                    status = CASE WHEN completed_at IS NULL THEN 'completed' ELSE 'processing' END
 WHERE code = '$U-C-' || :k AND status <> 'withdrawn';
SQL
cat >"$GW_DIR/withdraw.sql" <<SQL
\set k random(1, 400)
UPDATE dossiers SET status = CASE WHEN status = 'withdrawn' THEN 'processing' ELSE 'withdrawn' END
 WHERE code = '$U-C-' || :k AND completed_at IS NULL;
SQL
pgbench -h 127.0.0.1 -p "$PG_PORT" -U cong -n -c 16 -j 2 -t 150 -f "$GW_DIR/complete.sql@2" \
  -f "$GW_DIR/withdraw.sql@1" cong >"$GW_DIR/pgbench.txt" 2>&1 || { bad "pgbench failed"; cat "$GW_DIR/pgbench.txt"; }
expect_eq "concurrency: 16 x 150 transactions, none failed (no deadlock)" "2400|0" \
  "$(awk '/actually processed/ { split($6, a, "/"); p = a[1] } /^number of failed/ { f = $5 }
          END { print p "|" (f == "" ? 0 : f) }' "$GW_DIR/pgbench.txt")"
expect_eq "concurrency: several sessions wrote the unit's rows (16 sessions on 8 slots: some share a row)" "t" \
  "$(sql "SELECT count(DISTINCT slot) > 1 FROM kpi_dossiers_weekly WHERE unit_code = '$U-C'")"
expect_eq "concurrency: the dossiers did change" "t" \
  "$(sql "SELECT count(*) FILTER (WHERE completed_at IS NOT NULL) > 0 AND count(*) FILTER (WHERE status = 'withdrawn') > 0
            FROM dossiers WHERE unit_code = '$U-C'")"
compare "after concurrent status changes" 2025-12-29 7

# ---- 5. folding the slots of closed weeks (kpi_dossiers_weekly_fold) changes no figure ----
expect_eq "fold: the concurrency unit's rows were in several slots" "t" \
  "$(sql "SELECT count(*) > count(DISTINCT week_start) FROM kpi_dossiers_weekly WHERE unit_code = '$U-C'")"
sql "SELECT kpi_dossiers_weekly_fold('2026-02-02')" >/dev/null || bad "kpi_dossiers_weekly_fold failed"
expect_eq "fold: one row per week left for the unit" "t" \
  "$(sql "SELECT count(*) = count(DISTINCT week_start) AND bool_and(slot = 0) FROM kpi_dossiers_weekly
            WHERE unit_code = '$U-C' AND week_start < '2026-02-02'")"
compare "after folding" 2025-12-29 7

# ---- 6. the gateway's kpi_fold job folds closed weeks by itself, and leaves the current weeks' slots alone ----
# Rows of a unit of its own: an old week in three slots, and this week in two (writers still add to it).
THIS_WEEK=$(sql "SELECT date_trunc('week', now() AT TIME ZONE 'Asia/Ho_Chi_Minh')::date")
sql "INSERT INTO kpi_dossiers_weekly (unit_code, week_start, slot, received, open_delta, overdue_delta)
     VALUES ('$U-F', '2025-03-03', 1, 2, 1, 0), ('$U-F', '2025-03-03', 4, 3, -1, 1), ('$U-F', '2025-03-03', 7, 1, 0, 0),
            ('$U-F', '$THIS_WEEK', 2, 1, 1, 0), ('$U-F', '$THIS_WEEK', 5, 1, 1, 0)" >/dev/null
start_gateway CONG_MODULES_PROCEDURES_KPI_FOLD_INTERVAL_S=1 || { finish; exit 1; }
folded() { [ "$(sql "SELECT count(*) FROM kpi_dossiers_weekly WHERE unit_code = '$U-F' AND week_start = '2025-03-03'")" = 1 ]; }
wait_until 30 folded; expect_eq "the job folded the closed week into one row" 0 $?
expect_eq "...slot 0, the same sums" "0|6|0|1" \
  "$(sql "SELECT slot, received, open_delta, overdue_delta FROM kpi_dossiers_weekly WHERE unit_code = '$U-F' AND week_start = '2025-03-03'")"
expect_eq "...this week's slots untouched" "2 5" \
  "$(sql "SELECT string_agg(slot::text, ' ' ORDER BY slot) FROM kpi_dossiers_weekly WHERE unit_code = '$U-F' AND week_start = '$THIS_WEEK'")"
expect_match "...and said so" "kpi fold: [0-9]+ writer-slot row\(s\) merged" "$(cat "$GW_DIR/stderr")"
sql "DELETE FROM kpi_dossiers_weekly WHERE unit_code = '$U-F'" >/dev/null

finish

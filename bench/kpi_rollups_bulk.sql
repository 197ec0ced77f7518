-- bench/kpi_rollups_bulk.sql — bench/kpi.sh's rollups rebuilt from the rows after a bulk load, in one pass over the
-- dossiers. Same rows as 0012's kpi_dossiers_weekly_expected() (kpi_dossier_deltas per dossier, summed): that query
-- calls the delta function once per dossier, ~180 µs a row on the busy machine, half an hour at 10 M; this one groups
-- the dossiers by (unit, s, e, o, open for good) first — a few hundred thousand groups — and expands each group into
-- its deltas (0012's header: +1 received at s; open +1 at s and -1 at e; overdue +1 at o and -1 at e). bench/kpi.sh
-- checks the result against kpi_dossiers_weekly_expected() for three units, and every figure against the exact
-- functions. Also 0005's completions, 0014's years and feedback 0001's weekly satisfaction, each from its rows.
BEGIN;
LOCK TABLE dossiers, feedback IN SHARE MODE;
TRUNCATE kpi_completions_weekly, kpi_dossiers_weekly, kpi_dossiers_yearly, feedback_weekly;
INSERT INTO kpi_completions_weekly (unit_code, week_start, on_time, late)       -- 0005's backfill
SELECT unit_code, date_trunc('week', cong_local_date(completed_at))::date,
       count(*) FILTER (WHERE cong_local_date(completed_at) <= due_date),
       count(*) FILTER (WHERE cong_local_date(completed_at) > due_date)
  FROM dossiers WHERE completed_at IS NOT NULL GROUP BY 1, 2;
INSERT INTO kpi_dossiers_weekly (unit_code, week_start, slot, received, open_delta, overdue_delta)
WITH d AS (
    SELECT unit_code, kpi_monday(cong_local_date(submitted_at)) AS s, kpi_monday(cong_local_date(completed_at)) AS e,
           greatest(kpi_monday(cong_local_date(submitted_at)), kpi_monday(due_date)) AS o,
           completed_at IS NULL AND status <> 'withdrawn' AS open_for_good
      FROM dossiers
), g AS (
    SELECT unit_code, s, e, o, open_for_good, count(*) AS n FROM d GROUP BY 1, 2, 3, 4, 5
), x AS (
    SELECT unit_code, s AS week_start, n AS received, 0::bigint AS open_delta, 0::bigint AS overdue_delta FROM g
    UNION ALL SELECT unit_code, s, 0, n, 0 FROM g WHERE open_for_good OR e > s
    UNION ALL SELECT unit_code, e, 0, -n, 0 FROM g WHERE e > s
    UNION ALL SELECT unit_code, o, 0, 0, n FROM g WHERE open_for_good OR e > o
    UNION ALL SELECT unit_code, e, 0, 0, -n FROM g WHERE e > o
)
SELECT unit_code, week_start, 0, sum(received), sum(open_delta), sum(overdue_delta) FROM x GROUP BY 1, 2
HAVING sum(received) <> 0 OR sum(open_delta) <> 0 OR sum(overdue_delta) <> 0;
INSERT INTO kpi_dossiers_yearly (unit_code, year_start, slot, open_delta, overdue_delta)   -- 0014's, from the weeks
SELECT unit_code, date_trunc('year', week_start)::date, 0, sum(open_delta), sum(overdue_delta)
  FROM kpi_dossiers_weekly GROUP BY 1, 2 HAVING sum(open_delta) <> 0 OR sum(overdue_delta) <> 0;
INSERT INTO feedback_weekly (unit_code, week_start, ratings, stars_sum, s1, s2, s3, s4, s5)   -- feedback_track, summed
SELECT unit_code, week_start, count(*), sum(stars), count(*) FILTER (WHERE stars = 1), count(*) FILTER (WHERE stars = 2),
       count(*) FILTER (WHERE stars = 3), count(*) FILTER (WHERE stars = 4), count(*) FILTER (WHERE stars = 5)
  FROM feedback GROUP BY 1, 2;
COMMIT;

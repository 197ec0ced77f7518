-- bench/gen_dossiers_years.sql — bench/kpi.sh's city-scale data set: n dossiers (default 10,000,000) filed over
-- `years` years (default 8: 416 weeks, ending today) and a rating for one in ten of the completed ones, in two
-- set-based INSERT ... SELECT generate_series statements (no per-row work outside PostgreSQL's executor).
--   psql ... -v ON_ERROR_STOP=1 [-v n=10000000] [-v years=8] -f bench/gen_dossiers_years.sql
--
-- It only writes rows. The caller (bench/kpi.sh) disables the rollup triggers and drops the dossiers' secondary indexes
-- first, then rebuilds the indexes from their definitions and the rollups from the rows with the migrations' own
-- backfill queries, and compares every figure with the exact functions: a 10 M-row load through row triggers and nine
-- indexes kept row by row would take hours on the shared machine, and the final state is the same. Foreign keys,
-- checks and the primary and unique keys stay on. Deterministic for a given catalog and day (setseed).
--
-- The mix (local time, Asia/Ho_Chi_Minh), meant to look like the city's eight years:
--   submitted     day d of the period with a density growing linearly from 0.5 to 1.5 (the city's use tripled):
--                 dossier i (1..n) is the (i - 0.5) / n quantile, so the rows come out in time order with no sort;
--                 between 07:00 and 22:00, never in the future
--   unit          the 126 wards and communes (units.kind <> 'department'), skewed: unit k of 126 (code order) is
--                 drawn with weight ~ (k + 1)^(-0.375) (floor(126 * random()^1.6)): the busiest ~6x the quietest
--   procedure     the commune-level ones, skewed the same way harder (random()^2.5): a few procedures are most of
--                 the dossiers, as birth, residence and certification are
--   due_date      the processing_days-th working day after submission (weekends and public holidays skipped)
--   fate          3% withdrawn; 1% forgotten (open for ever: at 10 M that is 100,000 open dossiers, the set 0012's
--                 recent-week branch counted on every call); the rest completed on time (88%) or 1-10 days late
--                 (12%), between 08:00 and 17:00; still open when that day is to come (status along the way)
--   feedback      one completed dossier in ten rated by its applicant 0-3 days after completion (never in the future):
--                 5 stars 45%, 4 25%, 3 15%, 2 8%, 1 7%, one star less at the ten busiest units
\set ON_ERROR_STOP 1
\if :{?n}
\else
\set n 10000000
\endif
\if :{?years}
\else
\set years 8
\endif
SET synchronous_commit = off;
SELECT setseed(0.2424);

CREATE TEMP TABLE gen_period AS
SELECT (now() AT TIME ZONE 'Asia/Ho_Chi_Minh')::date - 7 * 52 * :years + 1 AS first_day, 7 * 52 * :years AS days;

-- The working-day calendar around the data: per day, how many working days there have been since the first one.
CREATE TEMP TABLE gen_calendar AS
SELECT day, working, count(*) FILTER (WHERE working) OVER (ORDER BY day) AS ordinal
  FROM (SELECT s.day::date AS day,
               (extract(isodow FROM s.day) < 6 AND NOT EXISTS (SELECT 1 FROM holidays h WHERE h.day = s.day::date))
                   AS working
          FROM gen_period p, generate_series(p.first_day - 1, p.first_day + p.days + 200, interval '1 day') AS s (day)) x;
CREATE UNIQUE INDEX ON gen_calendar (day);
CREATE TEMP TABLE gen_due AS SELECT ordinal, day FROM gen_calendar WHERE working;
CREATE UNIQUE INDEX ON gen_due (ordinal);
CREATE TEMP TABLE gen_units AS
SELECT (row_number() OVER (ORDER BY code) - 1)::int AS k, code FROM units WHERE kind <> 'department';
CREATE TEMP TABLE gen_procedures AS
SELECT (row_number() OVER (ORDER BY code) - 1)::int AS k, code, processing_days, fee_vnd FROM procedures
 WHERE level = 'commune';
ANALYZE gen_calendar, gen_due, gen_units, gen_procedures;

\timing on
INSERT INTO dossiers (code, procedure_code, unit_code, subject, submitted_by, status, version, form, fee_vnd,
                      submitted_at, due_date, received_at, decided_at, completed_at, updated_at)
SELECT 'HN-G' || extract(year FROM g.sub_day)::int || '-' || lpad(g.i::text, 8, '0'),
       g.procedure_code, g.unit_code, 'gen-subject-' || (g.i % 3000000), 'gen-subject-' || (g.i % 3000000),
       s.status, s.version,
       jsonb_build_object('ho_ten', 'Nguyễn Văn ' || g.i, 'so_dien_thoai', '09' || lpad((g.i % 100000000)::text, 8, '0'),
                          'hinh_thuc_nhan_ket_qua', 'truc_tuyen'),
       g.fee_vnd, g.submitted_at, g.due_date,
       CASE WHEN s.status NOT IN ('submitted', 'withdrawn') THEN g.submitted_at + interval '2 hours' END,
       CASE WHEN s.status IN ('approved', 'rejected', 'result_issued', 'completed')
            THEN coalesce(g.completed_at, now()) - interval '1 hour' END,
       g.completed_at, coalesce(g.completed_at, g.submitted_at + interval '2 hours')
  FROM (
    SELECT t.*, CASE WHEN t.done_at <= now() THEN t.done_at END AS completed_at
      FROM (
        SELECT p.*,
               CASE WHEN p.done_day IS NOT NULL THEN
                   greatest(p.done_day::timestamp AT TIME ZONE 'Asia/Ho_Chi_Minh' + (8 + 9 * p.r_done_hour) * interval '1 hour',
                            p.submitted_at + interval '30 minutes') END AS done_at
          FROM (
            SELECT d.*,
                   CASE WHEN d.r_fate < 0.03 THEN 'withdrawn' WHEN d.r_fate < 0.04 THEN 'forgotten'
                        WHEN d.r_fate < 0.04 + 0.96 * 0.12 THEN 'late' ELSE 'on_time' END AS fate,
                   CASE WHEN d.r_fate < 0.04 THEN NULL
                        WHEN d.r_fate < 0.04 + 0.96 * 0.12 THEN d.due_date + 1 + floor(d.r_when * 10)::int
                        ELSE d.sub_day + floor(d.r_when * (d.due_date - d.sub_day + 1))::int END AS done_day
              FROM (
                SELECT r.*, u.code AS unit_code, pr.code AS procedure_code, pr.fee_vnd, due.day AS due_date,
                       least(r.sub_day::timestamp AT TIME ZONE 'Asia/Ho_Chi_Minh' + (7 + 15 * r.r_hour) * interval '1 hour',
                             now() - interval '1 minute') AS submitted_at
                  FROM (
                    SELECT i, per.first_day + floor((sqrt(1 + 8 * ((i - 0.5) / :n)) - 1) / 2 * per.days)::int AS sub_day,
                           floor((SELECT count(*) FROM gen_units) * power(random(), 1.6))::int AS uk,
                           floor((SELECT count(*) FROM gen_procedures) * power(random(), 2.5))::int AS pk,
                           random() AS r_hour, random() AS r_fate, random() AS r_when, random() AS r_status,
                           random() AS r_done_hour
                      FROM gen_period per, generate_series(1, :n) AS i
                  ) r
                  JOIN gen_units u ON u.k = r.uk
                  JOIN gen_procedures pr ON pr.k = r.pk
                  JOIN gen_calendar c ON c.day = r.sub_day
                  JOIN gen_due due ON due.ordinal = c.ordinal + pr.processing_days
              ) d
          ) p
      ) t
  ) g
 CROSS JOIN LATERAL (
        SELECT CASE
                 WHEN g.fate = 'withdrawn' THEN 'withdrawn'
                 WHEN g.completed_at IS NOT NULL THEN CASE WHEN g.r_status < 0.85 THEN 'completed' ELSE 'result_issued' END
                 WHEN g.submitted_at > now() - interval '1 day' THEN 'submitted'
                 WHEN g.r_status < 0.05 THEN 'submitted'
                 WHEN g.r_status < 0.25 THEN 'received'
                 WHEN g.r_status < 0.70 THEN 'processing'
                 WHEN g.r_status < 0.80 THEN 'supplement_requested'
                 WHEN g.r_status < 0.85 THEN 'supplement_submitted'
                 WHEN g.r_status < 0.95 THEN 'approved'
                 ELSE 'rejected' END AS status) s0
 CROSS JOIN LATERAL (
        SELECT s0.status,
               CASE s0.status WHEN 'submitted' THEN 1 WHEN 'withdrawn' THEN 2 WHEN 'received' THEN 2
                              WHEN 'processing' THEN 3 WHEN 'supplement_requested' THEN 4
                              WHEN 'supplement_submitted' THEN 5 WHEN 'approved' THEN 4 WHEN 'rejected' THEN 4
                              WHEN 'result_issued' THEN 5 ELSE 6 END AS version) s;

-- Ratings: one completed dossier in ten (by id), its applicant, 0-3 days after completion.
INSERT INTO feedback (unit_code, dossier_code, subject, given_by, stars, week_start, created_at)
SELECT f.unit_code, f.code, f.subject, f.subject,
       greatest(1, CASE WHEN f.r < 0.45 THEN 5 WHEN f.r < 0.70 THEN 4 WHEN f.r < 0.85 THEN 3 WHEN f.r < 0.93 THEN 2
                        ELSE 1 END - CASE WHEN f.busy THEN 1 ELSE 0 END),
       feedback_week_of(f.at), f.at
  FROM (SELECT d.unit_code, d.code, d.subject, random() AS r, u.k < 10 AS busy,
               least(d.completed_at + random() * interval '3 days', now()) AS at
          FROM dossiers d JOIN gen_units u ON u.code = d.unit_code
         WHERE d.completed_at IS NOT NULL AND d.id % 10 = 0) f;

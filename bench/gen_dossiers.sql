-- bench/gen_dossiers.sql — the KPI data set of bench/procedures.sh: 1,000,000 dossiers (psql variable n, default
-- 1000000) filed over the last 52 weeks at the city's wards and communes, for the KPI functions to be timed on.
--   psql ... -v ON_ERROR_STOP=1 [-v n=1000000] [-v first=1] -f bench/gen_dossiers.sql
-- first: the number of the first dossier (default 1), so that runs can add to one table (bench/kpi.sh: 1 M, then 2 M
-- more); the draws are seeded from it.
--
-- Needs the procedures schema and the catalog (units, procedures, holidays). Writes only the dossiers table (no
-- timeline events, outbox rows or idempotency keys: the KPIs read dossiers alone), through the table's own indexes,
-- constraints and foreign keys: nothing is disabled (synchronous_commit is off for the load). Deterministic for a
-- given catalog and day (setseed). Then VACUUM (ANALYZE) dossiers.
--
-- The mix (local time, Asia/Ho_Chi_Minh):
--   unit          round robin over every ward and commune (units.kind <> 'department': 126 in the catalog)
--   procedure     one of the commune-level procedures, at random; fee and processing days are the procedure's
--   submitted_at  a day among the last 364 (today included), between 07:00 and 22:00, never in the future
--   due_date      the processing_days-th working day after the day of submission (weekends and public holidays
--                 skipped: the rule of cong_add_working_days, computed here with a calendar table for speed)
--   3%            withdrawn (never completed)
--   1%            forgotten: still open today whatever its age (overdue once its due date has passed)
--   the rest      completed on a day between submission and the due date (88%) or 1 to 10 days after it (12%),
--                 between 08:00 and 17:00; when that day is still to come the dossier is open today, in a status
--                 of the way (submitted, received, processing, supplement requested or submitted, approved,
--                 rejected); completed ones are 'completed' (85%) or 'result_issued' (15%)
\set ON_ERROR_STOP 1
\if :{?n}
\else
\set n 1000000
\endif
\if :{?first}
\else
\set first 1
\endif
SET synchronous_commit = off;
SELECT setseed(0.4242 + ((:first - 1) % 5000) / 10000.0);  -- first = 1: the draws of the earlier runs

BEGIN;
-- The working-day calendar around the data: per day, how many working days there have been since the first one.
CREATE TEMP TABLE gen_days ON COMMIT DROP AS
SELECT day::date AS day,
       (extract(isodow FROM day) < 6 AND NOT EXISTS (SELECT 1 FROM holidays h WHERE h.day = s.day::date)) AS working
  FROM generate_series((now() AT TIME ZONE 'Asia/Ho_Chi_Minh')::date - 400,
                       (now() AT TIME ZONE 'Asia/Ho_Chi_Minh')::date + 200, interval '1 day') AS s (day);
CREATE TEMP TABLE gen_calendar ON COMMIT DROP AS
SELECT day, working, count(*) FILTER (WHERE working) OVER (ORDER BY day) AS ordinal FROM gen_days;
CREATE UNIQUE INDEX ON gen_calendar (day);
CREATE INDEX ON gen_calendar (ordinal) WHERE working;

CREATE TEMP TABLE gen_units ON COMMIT DROP AS
SELECT row_number() OVER (ORDER BY code) - 1 AS k, code FROM units WHERE kind <> 'department';
CREATE TEMP TABLE gen_procedures ON COMMIT DROP AS
SELECT row_number() OVER (ORDER BY code) - 1 AS k, code, processing_days, fee_vnd FROM procedures
 WHERE level = 'commune';

-- One row per dossier with its random draws.
CREATE TEMP TABLE gen_rows ON COMMIT DROP AS
SELECT i,
       i % (SELECT count(*) FROM gen_units) AS uk,
       floor(random() * (SELECT count(*) FROM gen_procedures))::int AS pk,
       floor(random() * 364)::int AS days_ago,
       random() AS r_hour, random() AS r_fate, random() AS r_when, random() AS r_status, random() AS r_done_hour
  FROM generate_series(:first, :first + :n - 1) AS i;

CREATE TEMP TABLE gen_dossiers ON COMMIT DROP AS
WITH t AS (
    SELECT g.*, u.code AS unit_code, p.code AS procedure_code, p.processing_days, p.fee_vnd,
           least(((now() AT TIME ZONE 'Asia/Ho_Chi_Minh')::date - g.days_ago)::timestamp
                     AT TIME ZONE 'Asia/Ho_Chi_Minh' + (7 + 15 * g.r_hour) * interval '1 hour',
                 now() - interval '1 minute') AS submitted_at
      FROM gen_rows g JOIN gen_procedures p ON p.k = g.pk JOIN gen_units u ON u.k = g.uk
), d AS (
    SELECT t.*, (t.submitted_at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date AS sub_day,
           due.day AS due_date
      FROM t
      JOIN gen_calendar c ON c.day = (t.submitted_at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date
      JOIN gen_calendar due ON due.working AND due.ordinal = c.ordinal + t.processing_days
), planned AS (
    SELECT d.*,
           CASE WHEN r_fate < 0.03 THEN 'withdrawn'
                WHEN r_fate < 0.04 THEN 'forgotten'
                WHEN r_fate < 0.04 + 0.96 * 0.12 THEN 'late'
                ELSE 'on_time' END AS fate,
           CASE WHEN r_fate < 0.04 THEN NULL
                WHEN r_fate < 0.04 + 0.96 * 0.12 THEN d.due_date + 1 + floor(r_when * 10)::int
                ELSE d.sub_day + floor(r_when * (d.due_date - d.sub_day + 1))::int END AS done_day
      FROM d
), timed AS (
    SELECT p.*,
           CASE WHEN p.done_day IS NOT NULL THEN
               greatest(p.done_day::timestamp AT TIME ZONE 'Asia/Ho_Chi_Minh' + (8 + 9 * r_done_hour) * interval '1 hour',
                        p.submitted_at + interval '30 minutes') END AS done_at
      FROM planned p
)
SELECT i, unit_code, procedure_code, fee_vnd, submitted_at, due_date, fate, r_status,
       CASE WHEN done_at <= now() THEN done_at END AS completed_at
  FROM timed;

INSERT INTO dossiers (code, procedure_code, unit_code, subject, submitted_by, status, version, form, fee_vnd,
                      submitted_at, due_date, received_at, decided_at, completed_at, updated_at)
SELECT 'HN-G' || extract(year FROM g.submitted_at AT TIME ZONE 'Asia/Ho_Chi_Minh')::int || '-' || lpad(g.i::text, 7, '0'),
       g.procedure_code, g.unit_code,
       'gen-subject-' || (g.i % 400000), 'gen-subject-' || (g.i % 400000),
       s.status, s.version,
       jsonb_build_object('ho_ten', 'Nguyễn Văn ' || g.i, 'so_dien_thoai', '09' || lpad((g.i % 100000000)::text, 8, '0'),
                          'dia_chi', 'Số ' || (g.i % 300) || ' phố Huế, Hà Nội', 'hinh_thuc_nhan_ket_qua', 'truc_tuyen'),
       g.fee_vnd, g.submitted_at, g.due_date,
       CASE WHEN s.status NOT IN ('submitted', 'withdrawn') THEN g.submitted_at + interval '2 hours' END,
       CASE WHEN s.status IN ('approved', 'rejected', 'result_issued', 'completed')
            THEN coalesce(g.completed_at, now()) - interval '1 hour' END,
       g.completed_at,
       coalesce(g.completed_at, g.submitted_at + interval '2 hours')
  FROM gen_dossiers g
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
                              WHEN 'result_issued' THEN 5 ELSE 6 END AS version) s
 ORDER BY g.submitted_at;  -- filed in time order, as they would have been
COMMIT;

-- VACUUM as well as ANALYZE: the KPI plans are index-only scans, which need the visibility map that autovacuum keeps
-- on a live table; right after a bulk load every row would be a heap fetch.
VACUUM (ANALYZE) dossiers;

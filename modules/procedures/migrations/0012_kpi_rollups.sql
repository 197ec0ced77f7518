-- procedures 0012: kpi_units (and through it kpi_units_rated and kpi_late_units, what GET /v1/kpi/units and
-- /v1/kpi/late-units read) answer from per-(unit, week) rollups kept exact by the writers' own transactions, as
-- kpi_trend does since 0005. The 0003 function read the dossiers of the week and every completion since it: 350-390 ms
-- at a million dossiers (bench/README.md, "KPIs from rollups", says why it was 39 ms before and what it is now).
--
-- Where each figure of week W (local Monday) comes from:
--   completed_on_time, completed_late  kpi_completions_weekly (0005), the row (W, unit)
--   received                           kpi_dossiers_weekly.received, the rows (unit, W)
--   open at W's end, overdue           prefix sums over the weeks <= W of kpi_dossiers_weekly.open_delta and
--                                      overdue_delta; in_progress = open - overdue
-- A dossier is open at the end of W (0003's rule) when it was submitted in a week <= W and is not completed in a week
-- <= W, and either is completed (in a later week) or, not completed, is not withdrawn. With s, e and d the weeks of
-- submission, completion (none: never) and due date, that is the interval of weeks [s, e); it is overdue in
-- [max(s, d), e) (due on or before W's Sunday). An interval is a +1 at its first week and a -1 at its end: open at W
-- is the sum of the deltas of the weeks <= W. So each dossier writes at most three rollup rows (s, max(s, d), e), and a
-- change of status, completion, due date, unit or submission moves only its own deltas: the old row's are taken
-- away, the new row's added. Nothing is estimated, the reading cost is one row per unit, week and slot up to W
-- (126 units x 52 weeks a year), not one per dossier.
--
-- Concurrency. The rollup is written by statement-level triggers in the writer's transaction (it commits or rolls back
-- with the dossiers), as one INSERT ... ON CONFLICT DO UPDATE SET n = n + delta: two transactions on one row serialise
-- on its row lock and both increments count. Each session writes its own slot (pg_backend_pid() % 8): every
-- submission of a unit in a week touches the unit's row of that week, and one row for all would make the unit's
-- submissions commit one after the other (the lock is held until the commit's WAL flush), defeating group commit under
-- a burst; readers sum the slots. Deadlocks: one statement's deltas are summed per (unit, week) and written in
-- (unit_code, week_start) order, and the triggers of dossiers write kpi_completions_weekly (row triggers, fired first)
-- before this table (statement triggers, fired after them), so two statements wait for each other's rows only in
-- that one global order. (Two transactions that each change several dossiers, in opposite orders, can still deadlock
-- on the dossiers' own rows as before; the module's writes change one dossier per transaction.)
--
-- The exact 0003 function stays as kpi_units_exact (with kpi_units_rated_exact and kpi_late_units_exact over it): the
-- reference tests/integration/test_kpi_rollups.sh and bench/kpi.sh compare the rollups with, not for serving.

CREATE TABLE kpi_dossiers_weekly (
    unit_code     text NOT NULL,
    week_start    date NOT NULL,          -- local Monday
    slot          smallint NOT NULL,      -- the writing session's (see above); readers sum over it
    received      bigint NOT NULL DEFAULT 0,
    open_delta    bigint NOT NULL DEFAULT 0,
    overdue_delta bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (unit_code, week_start, slot)
);

-- The Monday of the ISO week holding day d.
CREATE FUNCTION kpi_monday(d date) RETURNS date
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    RETURN d - (extract(isodow FROM d)::int - 1);

-- The rollup deltas of one dossier as it is (see the header): (week_start, received, open_delta, overdue_delta) rows,
-- possibly several for one week. A completed dossier counts as open before its completion week whatever its status,
-- as 0003's "completed after the week" branch does.
CREATE FUNCTION kpi_dossier_deltas(p_submitted timestamptz, p_completed timestamptz, p_due date, p_status text)
    RETURNS TABLE (week_start date, received integer, open_delta integer, overdue_delta integer)
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT x.week_start, x.received, x.open_delta, x.overdue_delta
      FROM (SELECT kpi_monday(cong_local_date(p_submitted)) AS s,
                   kpi_monday(cong_local_date(p_completed)) AS e,
                   greatest(kpi_monday(cong_local_date(p_submitted)), kpi_monday(p_due)) AS o,
                   p_completed IS NULL AND p_status IS DISTINCT FROM 'withdrawn' AS open_for_good) w
     CROSS JOIN LATERAL (VALUES
            (w.s, 1, 0, 0),
            (w.s, 0, CASE WHEN w.open_for_good OR w.e > w.s THEN 1 ELSE 0 END, 0),
            (w.e, 0, CASE WHEN w.e > w.s THEN -1 ELSE 0 END, 0),
            (w.o, 0, 0, CASE WHEN w.open_for_good OR w.e > w.o THEN 1 ELSE 0 END),
            (w.e, 0, 0, CASE WHEN w.e > w.o THEN -1 ELSE 0 END)) AS x (week_start, received, open_delta, overdue_delta)
     WHERE x.received <> 0 OR x.open_delta <> 0 OR x.overdue_delta <> 0
$$;

-- The rollup as the dossiers make it, per (unit, week): the backfill below, and what the tests compare the table with.
CREATE FUNCTION kpi_dossiers_weekly_expected()
    RETURNS TABLE (unit_code text, week_start date, received bigint, open_delta bigint, overdue_delta bigint)
    LANGUAGE sql STABLE AS $$
    SELECT d.unit_code, x.week_start, sum(x.received)::bigint, sum(x.open_delta)::bigint, sum(x.overdue_delta)::bigint
      FROM dossiers d
     CROSS JOIN LATERAL kpi_dossier_deltas(d.submitted_at, d.completed_at, d.due_date, d.status) x
     GROUP BY 1, 2
    HAVING sum(x.received) <> 0 OR sum(x.open_delta) <> 0 OR sum(x.overdue_delta) <> 0
$$;

-- One trigger function for the three statement triggers: the rows the statement removed (old_rows) count -1, the rows
-- it wrote (new_rows) +1; an UPDATE that moves nothing the KPIs read (most transitions) sums to zero and writes no row.
CREATE FUNCTION kpi_track_dossiers() RETURNS trigger
    LANGUAGE plpgsql AS $$
DECLARE
    changed text := CASE TG_OP
        WHEN 'INSERT' THEN 'SELECT n.unit_code, n.submitted_at, n.completed_at, n.due_date, n.status, 1 AS sign
                              FROM new_rows n'
        WHEN 'DELETE' THEN 'SELECT o.unit_code, o.submitted_at, o.completed_at, o.due_date, o.status, -1 AS sign
                              FROM old_rows o'
        ELSE 'SELECT n.unit_code, n.submitted_at, n.completed_at, n.due_date, n.status, 1 AS sign FROM new_rows n
              UNION ALL
              SELECT o.unit_code, o.submitted_at, o.completed_at, o.due_date, o.status, -1 FROM old_rows o' END;
BEGIN
    EXECUTE format($sql$
        INSERT INTO kpi_dossiers_weekly AS k (unit_code, week_start, slot, received, open_delta, overdue_delta)
        SELECT c.unit_code, x.week_start, pg_backend_pid() %% 8, sum(c.sign * x.received), sum(c.sign * x.open_delta),
               sum(c.sign * x.overdue_delta)
          FROM (%s) c
         CROSS JOIN LATERAL kpi_dossier_deltas(c.submitted_at, c.completed_at, c.due_date, c.status) x
         GROUP BY c.unit_code, x.week_start
        HAVING sum(c.sign * x.received) <> 0 OR sum(c.sign * x.open_delta) <> 0 OR sum(c.sign * x.overdue_delta) <> 0
         ORDER BY c.unit_code, x.week_start
        ON CONFLICT (unit_code, week_start, slot) DO UPDATE
           SET received = k.received + EXCLUDED.received, open_delta = k.open_delta + EXCLUDED.open_delta,
               overdue_delta = k.overdue_delta + EXCLUDED.overdue_delta$sql$, changed);
    RETURN NULL;
END $$;

CREATE TRIGGER dossiers_kpi_rollup_insert AFTER INSERT ON dossiers REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION kpi_track_dossiers();
CREATE TRIGGER dossiers_kpi_rollup_update AFTER UPDATE ON dossiers REFERENCING OLD TABLE AS old_rows
    NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION kpi_track_dossiers();
CREATE TRIGGER dossiers_kpi_rollup_delete AFTER DELETE ON dossiers REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION kpi_track_dossiers();

-- What is there already (the table is locked against writers until this migration commits).
LOCK TABLE dossiers IN SHARE MODE;
INSERT INTO kpi_dossiers_weekly (unit_code, week_start, slot, received, open_delta, overdue_delta)
SELECT unit_code, week_start, 0, received, open_delta, overdue_delta FROM kpi_dossiers_weekly_expected();

-- The 0003 function, kept as the reference under its new name.
ALTER FUNCTION kpi_units(date) RENAME TO kpi_units_exact;

-- Same signature, same columns, same rules as 0003's (now kpi_units_exact), from the rollups.
CREATE FUNCTION kpi_units(p_week_start date)
    RETURNS TABLE (unit_code text, unit_name text, received bigint, completed_on_time bigint, completed_late bigint,
                   in_progress bigint, overdue bigint, on_time_rate numeric)
    LANGUAGE sql STABLE AS $$
    WITH flows AS (
        SELECT k.unit_code,
               coalesce(sum(k.received) FILTER (WHERE k.week_start = kpi_monday(p_week_start)), 0)::bigint AS received,
               sum(k.open_delta)::bigint AS open, sum(k.overdue_delta)::bigint AS overdue
          FROM kpi_dossiers_weekly k
         WHERE k.week_start <= kpi_monday(p_week_start)
         GROUP BY k.unit_code
    ), done AS (
        SELECT c.unit_code, sum(c.on_time)::bigint AS on_time, sum(c.late)::bigint AS late
          FROM kpi_completions_weekly c
         WHERE c.week_start = kpi_monday(p_week_start)
         GROUP BY c.unit_code
    ), per_unit AS (
        SELECT u.code, u.name, coalesce(f.received, 0) AS received, coalesce(d.on_time, 0) AS on_time,
               coalesce(d.late, 0) AS late, coalesce(f.open - f.overdue, 0) AS in_progress,
               coalesce(f.overdue, 0) AS overdue
          FROM units u
          LEFT JOIN flows f ON f.unit_code = u.code
          LEFT JOIN done d ON d.unit_code = u.code
    )
    SELECT p.code, p.name, p.received, p.on_time, p.late, p.in_progress, p.overdue,
           CASE WHEN p.on_time + p.late > 0 THEN round(100.0 * p.on_time / (p.on_time + p.late), 1) END
      FROM per_unit p
     WHERE p.received + p.on_time + p.late + p.in_progress + p.overdue > 0
     ORDER BY p.code
$$;

-- 0011's kpi_units_rated and kpi_late_units call kpi_units by name: they now read the rollups. Their exact twins, over
-- kpi_units_exact, for the comparison test and the bench (same bodies as 0011's).
CREATE FUNCTION kpi_units_rated_exact(p_week_start date)
    RETURNS TABLE (unit_code text, unit_name text, received bigint, completed_on_time bigint, completed_late bigint,
                   in_progress bigint, overdue bigint, on_time_rate numeric, ratings bigint, satisfaction_mean numeric,
                   satisfaction_share_4_5 numeric, satisfaction_distribution bigint[])
    LANGUAGE sql STABLE AS $$
    SELECT coalesce(k.unit_code, s.unit_code), coalesce(k.unit_name, u.name), coalesce(k.received, 0),
           coalesce(k.completed_on_time, 0), coalesce(k.completed_late, 0), coalesce(k.in_progress, 0),
           coalesce(k.overdue, 0), k.on_time_rate, coalesce(s.ratings, 0), s.mean, s.share_4_5, s.distribution
      FROM kpi_units_exact(p_week_start) k
      FULL JOIN kpi_unit_satisfaction(p_week_start) s ON s.unit_code = k.unit_code
      LEFT JOIN units u ON u.code = s.unit_code
     ORDER BY 1
$$;

CREATE FUNCTION kpi_late_units_exact(p_week_start date, p_min_rate numeric, p_min_satisfaction numeric DEFAULT NULL,
                                     p_min_ratings integer DEFAULT 1)
    RETURNS TABLE (unit_code text, unit_name text, received bigint, completed_on_time bigint, completed_late bigint,
                   in_progress bigint, overdue bigint, on_time_rate numeric, reasons text[], ratings bigint,
                   satisfaction_mean numeric, satisfaction_share_4_5 numeric, satisfaction_distribution bigint[])
    LANGUAGE sql STABLE AS $$
    SELECT k.unit_code, k.unit_name, k.received, k.completed_on_time, k.completed_late, k.in_progress, k.overdue,
           k.on_time_rate, r.reasons, k.ratings, k.satisfaction_mean, k.satisfaction_share_4_5,
           k.satisfaction_distribution
      FROM kpi_units_rated_exact(p_week_start) k
     CROSS JOIN LATERAL (SELECT array_remove(ARRAY[
                CASE WHEN k.overdue > 0 THEN 'overdue' END,
                CASE WHEN k.on_time_rate < p_min_rate THEN 'below_threshold' END,
                CASE WHEN k.ratings >= greatest(p_min_ratings, 1) AND k.satisfaction_mean < p_min_satisfaction
                     THEN 'satisfaction' END], NULL) AS reasons) r
     WHERE cardinality(r.reasons) > 0
     ORDER BY k.unit_code
$$;

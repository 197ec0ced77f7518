-- procedures 0012: kpi_units (and through it kpi_units_rated and kpi_late_units, what GET /v1/kpi/units and
-- /v1/kpi/late-units read) answer from per-(unit, week) rollups kept exact by the writers' own transactions, as
-- kpi_trend does since 0005. The 0003 function read the dossiers of the week and every completion since it: 350-390 ms
-- at a million dossiers (bench/README.md, "KPIs from rollups", says why it was 39 ms before and what it is now).
--
-- Where each figure of week W (local Monday) comes from:
--   completed_on_time, completed_late  kpi_completions_weekly (0005), the row (W, unit)
--   received                           kpi_dossiers_weekly.received, the rows (unit, W)
--   open at W's end, overdue           sums of kpi_dossiers_weekly.open_delta and overdue_delta over the weeks
--                                      <= W (or the open dossiers now less the weeks > W: see kpi_units);
--                                      in_progress = open - overdue
-- A dossier is open at the end of W (0003's rule) when it was submitted in a week <= W and is not completed in a week
-- <= W, and either is completed (in a later week) or, not completed, is not withdrawn. With s, e and d the weeks of
-- submission, completion (none: never) and due date, that is the interval of weeks [s, e); it is overdue in
-- [max(s, d), e) (due on or before W's Sunday). An interval is a +1 at its first week and a -1 at its end: open at W
-- is the sum of the deltas of the weeks <= W. So each dossier writes at most three rollup rows (s, max(s, d), e), and a
-- change of status, completion, due date, unit or submission moves only its own deltas: the old row's are taken
-- away, the new row's added. Nothing is estimated; the reading cost is the rollup rows between W and the present
-- (or the first week), one per unit, week and slot, not one per dossier.
--
-- Concurrency. The rollup is written by a row trigger in the writer's transaction (it commits or rolls back with the
-- dossier), as one INSERT ... ON CONFLICT DO UPDATE SET n = n + delta: two transactions on one row serialise on its
-- row lock and both increments count. Each session writes its own slot (pg_backend_pid() % 8): every
-- submission of a unit in a week touches the unit's row of that week, and one row for all would make the unit's
-- submissions commit one after the other (the lock is held until the commit's WAL flush), defeating group commit under
-- a burst; readers sum the slots. Deadlocks: a dossier's deltas (old and new, at most six weeks) are summed per
-- (unit, week) and written by one statement in (week_start, unit_code) order, after the dossier's own row and its
-- kpi_completions_weekly row (0005's triggers fire first: names), so transactions that change one dossier each (every
-- writer of the module: submit, transition, fee paid) take their locks in one global order and cannot wait in a
-- cycle. A transaction that changes several dossiers takes their rollup rows dossier by dossier: two such transactions,
-- in opposite orders, can deadlock, as they already could on the dossiers' own rows (PostgreSQL then aborts one).
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
    PRIMARY KEY (week_start, unit_code, slot)   -- ranges of weeks: the asked one, those before or after it
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

-- The trigger: the dossier as it was (OLD) counts -1, as it is (NEW) +1, summed per week and written in one upsert in
-- week order. Row-level, with the plan cached by PL/pgSQL: a statement-level trigger over transition tables (one
-- aggregate for a bulk insert) cost a submission 4.4 ms more of CPU, measured (bench/README.md); this one 0.3-1 ms
-- on the busy test machine.
CREATE FUNCTION kpi_track_dossier() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO kpi_dossiers_weekly AS k (unit_code, week_start, slot, received, open_delta, overdue_delta)
    SELECT c.unit_code, x.week_start, pg_backend_pid() % 8, sum(c.sign * x.received), sum(c.sign * x.open_delta),
           sum(c.sign * x.overdue_delta)
      FROM (SELECT OLD.unit_code, OLD.submitted_at, OLD.completed_at, OLD.due_date, OLD.status, -1 AS sign
             WHERE TG_OP <> 'INSERT'
            UNION ALL
            SELECT NEW.unit_code, NEW.submitted_at, NEW.completed_at, NEW.due_date, NEW.status, 1
             WHERE TG_OP <> 'DELETE') c
     CROSS JOIN LATERAL kpi_dossier_deltas(c.submitted_at, c.completed_at, c.due_date, c.status) x
     GROUP BY c.unit_code, x.week_start
    HAVING sum(c.sign * x.received) <> 0 OR sum(c.sign * x.open_delta) <> 0 OR sum(c.sign * x.overdue_delta) <> 0
     ORDER BY x.week_start, c.unit_code
    ON CONFLICT (week_start, unit_code, slot) DO UPDATE
       SET received = k.received + EXCLUDED.received, open_delta = k.open_delta + EXCLUDED.open_delta,
           overdue_delta = k.overdue_delta + EXCLUDED.overdue_delta;
    RETURN NULL;
END $$;

-- Named to sort after 0005's dossiers_kpi_* triggers: AFTER triggers of a row fire in name order, so every writer
-- locks its kpi_completions_weekly row before its kpi_dossiers_weekly rows. Transitions that change none of the
-- columns read (receive, process, approve...) do not fire it.
CREATE TRIGGER dossiers_rollup_kpi_insert_delete AFTER INSERT OR DELETE ON dossiers
    FOR EACH ROW EXECUTE FUNCTION kpi_track_dossier();
CREATE TRIGGER dossiers_rollup_kpi_update AFTER UPDATE OF unit_code, submitted_at, completed_at, due_date, status
    ON dossiers FOR EACH ROW
    WHEN ((OLD.unit_code, OLD.submitted_at, OLD.completed_at, OLD.due_date, OLD.status = 'withdrawn')
          IS DISTINCT FROM (NEW.unit_code, NEW.submitted_at, NEW.completed_at, NEW.due_date, NEW.status = 'withdrawn'))
    EXECUTE FUNCTION kpi_track_dossier();

-- Folds the slots of the weeks before p_before into slot 0; returns how many rows it removed. The figures do not change
-- (readers sum the slots, and this runs in one transaction); reading a week older than 52 weeks sums every row up to
-- it, so folding the closed weeks keeps that at one row per unit and week. Locks: first every row it deletes, in
-- (week_start, unit_code, slot) order, then the slot-0 rows in (week_start, unit_code) order; a writer locks only rows
-- of its own slot in (week_start, unit_code) order: no cycle. Nothing schedules it yet (see bench/README.md).
CREATE FUNCTION kpi_dossiers_weekly_fold(p_before date) RETURNS bigint
    LANGUAGE sql AS $$
    WITH locked AS (
        SELECT k.ctid AS row_id FROM kpi_dossiers_weekly k
         WHERE k.week_start < p_before AND k.slot <> 0
         ORDER BY k.week_start, k.unit_code, k.slot FOR UPDATE
    ), gone AS (
        DELETE FROM kpi_dossiers_weekly k USING locked l WHERE k.ctid = l.row_id
        RETURNING k.unit_code, k.week_start, k.received, k.open_delta, k.overdue_delta
    ), merged AS (
        INSERT INTO kpi_dossiers_weekly AS k (unit_code, week_start, slot, received, open_delta, overdue_delta)
        SELECT g.unit_code, g.week_start, 0, sum(g.received), sum(g.open_delta), sum(g.overdue_delta)
          FROM gone g GROUP BY g.week_start, g.unit_code ORDER BY g.week_start, g.unit_code
        ON CONFLICT (week_start, unit_code, slot) DO UPDATE
           SET received = k.received + EXCLUDED.received, open_delta = k.open_delta + EXCLUDED.open_delta,
               overdue_delta = k.overdue_delta + EXCLUDED.overdue_delta
        RETURNING 1
    )
    SELECT count(*) FROM gone WHERE (SELECT count(*) FROM merged) >= 0
$$;

-- What is there already (the table is locked against writers until this migration commits).
LOCK TABLE dossiers IN SHARE MODE;
INSERT INTO kpi_dossiers_weekly (unit_code, week_start, slot, received, open_delta, overdue_delta)
SELECT unit_code, week_start, 0, received, open_delta, overdue_delta FROM kpi_dossiers_weekly_expected();

-- The 0003 function, kept as the reference under its new name.
ALTER FUNCTION kpi_units(date) RENAME TO kpi_units_exact;

-- Same signature, same columns, same rules as 0003's (now kpi_units_exact), from the rollups. Open and overdue at the
-- end of W: for the last 52 weeks (what the dashboard and the trend show) from the present backwards, the dossiers
-- open now (dossiers_open_kpi, an index-only count of the open ones: the sum of every delta) less the deltas of the
-- weeks after W, a few rows per unit for a recent week; for older weeks from the first week forwards, the sum of the
-- deltas of the weeks <= W. Either way the cost is the rollup rows read, never the dossiers of the period.
CREATE FUNCTION kpi_units(p_week_start date)
    RETURNS TABLE (unit_code text, unit_name text, received bigint, completed_on_time bigint, completed_late bigint,
                   in_progress bigint, overdue bigint, on_time_rate numeric)
    LANGUAGE plpgsql STABLE AS $$
DECLARE
    monday  date := kpi_monday(p_week_start);
    recent  boolean := kpi_monday(p_week_start) >= kpi_monday(cong_local_date(now())) - 7 * 52;
BEGIN
    RETURN QUERY
    WITH received AS (
        SELECT k.unit_code, sum(k.received)::bigint AS n
          FROM kpi_dossiers_weekly k WHERE k.week_start = monday GROUP BY k.unit_code
    ), open_now AS (           -- recent weeks only: count(*) is the sum of every delta of the unit
        SELECT d.unit_code, count(*) AS n
          FROM dossiers d WHERE recent AND d.completed_at IS NULL AND d.status <> 'withdrawn' GROUP BY d.unit_code
    ), deltas AS (             -- recent: the weeks after W, subtracted; older: the weeks up to W, added
        SELECT k.unit_code, sum(k.open_delta)::bigint AS open, sum(k.overdue_delta)::bigint AS overdue
          FROM kpi_dossiers_weekly k
         WHERE (recent AND k.week_start > monday) OR (NOT recent AND k.week_start <= monday)
         GROUP BY k.unit_code
    ), open_at_end AS (
        SELECT coalesce(o.unit_code, x.unit_code) AS unit_code,
               CASE WHEN recent THEN coalesce(o.n, 0) - coalesce(x.open, 0) ELSE x.open END AS open,
               CASE WHEN recent THEN coalesce(o.n, 0) - coalesce(x.overdue, 0) ELSE x.overdue END AS overdue
          FROM open_now o FULL JOIN deltas x ON x.unit_code = o.unit_code
    ), done AS (
        SELECT c.unit_code, sum(c.on_time)::bigint AS on_time, sum(c.late)::bigint AS late
          FROM kpi_completions_weekly c WHERE c.week_start = monday GROUP BY c.unit_code
    ), per_unit AS (
        SELECT u.code, u.name, coalesce(r.n, 0) AS received, coalesce(d.on_time, 0) AS on_time,
               coalesce(d.late, 0) AS late, coalesce(e.open - e.overdue, 0) AS in_progress,
               coalesce(e.overdue, 0) AS overdue
          FROM units u
          LEFT JOIN received r ON r.unit_code = u.code
          LEFT JOIN open_at_end e ON e.unit_code = u.code
          LEFT JOIN done d ON d.unit_code = u.code
    )
    SELECT p.code, p.name, p.received, p.on_time, p.late, p.in_progress, p.overdue,
           CASE WHEN p.on_time + p.late > 0 THEN round(100.0 * p.on_time / (p.on_time + p.late), 1) END
      FROM per_unit p
     WHERE p.received + p.on_time + p.late + p.in_progress + p.overdue > 0
     ORDER BY p.code;
END $$;

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

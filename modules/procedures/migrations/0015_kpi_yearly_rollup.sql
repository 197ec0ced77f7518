-- procedures 0015: the open and overdue figures of any week from a bounded number of rollup rows (issue 17 part 2, at
-- 10 M dossiers). 0012's kpi_units summed, for a week older than 52 weeks, every kpi_dossiers_weekly row before it
-- (eight years unfolded: 733,000 rows, 320-430 ms), and for a recent week counted the dossiers open now, a set that
-- grows with the history (every forgotten dossier stays in it). Now it reads neither.
--
-- kpi_dossiers_yearly holds, per (unit, calendar year of the week's Monday, writer slot), the sum of the open_delta
-- and overdue_delta of that year's kpi_dossiers_weekly rows. It is written by the same trigger in the same
-- transaction (kpi_track_dossier, replaced below), from the same deltas: it is exact for the same reasons (0012's
-- header). Open at the end of week W (Monday m, year starting y0, next year y1):
--   m in the first half of its year:   sum(yearly, years < y0) + sum(weekly, y0 <= week <= m)
--   m in the second half:              sum(yearly, years <= y0) - sum(weekly, m < week < y1)
-- so a week reads at most 26 weeks of weekly rows and one row per unit, year and slot before it: ~126 x 26 x 8 +
-- 126 x 8 x years rows at worst (unfolded), whatever the number of dossiers, the open ones included.
--
-- Concurrency: as 0012's. The trigger locks its kpi_dossiers_weekly rows in (week_start, unit_code) order, then its
-- kpi_dossiers_yearly rows in (year_start, unit_code) order: every single-dossier writer takes its locks in one
-- global order (completions row, weekly rows, yearly rows). The yearly row of a unit is touched by every submission
-- of the unit in the year, as the weekly row is in the week: the writer's slot spreads them the same way.

CREATE TABLE kpi_dossiers_yearly (
    unit_code     text NOT NULL,
    year_start    date NOT NULL,          -- 1 January of the year the weeks' Mondays fall in
    slot          smallint NOT NULL,      -- the writing session's, as in kpi_dossiers_weekly; readers sum over it
    open_delta    bigint NOT NULL DEFAULT 0,
    overdue_delta bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (year_start, unit_code, slot)
);

-- The yearly rollup as the dossiers make it (the backfill below; what tests and the bench compare the table with).
CREATE FUNCTION kpi_dossiers_yearly_expected()
    RETURNS TABLE (unit_code text, year_start date, open_delta bigint, overdue_delta bigint)
    LANGUAGE sql STABLE AS $$
    SELECT e.unit_code, date_trunc('year', e.week_start)::date, sum(e.open_delta)::bigint, sum(e.overdue_delta)::bigint
      FROM kpi_dossiers_weekly_expected() e
     GROUP BY 1, 2
    HAVING sum(e.open_delta) <> 0 OR sum(e.overdue_delta) <> 0
$$;

-- 0012's trigger, plus the yearly rows (second statement: after the weekly rows, see the header).
CREATE OR REPLACE FUNCTION kpi_track_dossier() RETURNS trigger
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

    INSERT INTO kpi_dossiers_yearly AS k (unit_code, year_start, slot, open_delta, overdue_delta)
    SELECT c.unit_code, date_trunc('year', x.week_start)::date, pg_backend_pid() % 8, sum(c.sign * x.open_delta),
           sum(c.sign * x.overdue_delta)
      FROM (SELECT OLD.unit_code, OLD.submitted_at, OLD.completed_at, OLD.due_date, OLD.status, -1 AS sign
             WHERE TG_OP <> 'INSERT'
            UNION ALL
            SELECT NEW.unit_code, NEW.submitted_at, NEW.completed_at, NEW.due_date, NEW.status, 1
             WHERE TG_OP <> 'DELETE') c
     CROSS JOIN LATERAL kpi_dossier_deltas(c.submitted_at, c.completed_at, c.due_date, c.status) x
     GROUP BY c.unit_code, date_trunc('year', x.week_start)::date
    HAVING sum(c.sign * x.open_delta) <> 0 OR sum(c.sign * x.overdue_delta) <> 0
     ORDER BY 2, 1
    ON CONFLICT (year_start, unit_code, slot) DO UPDATE
       SET open_delta = k.open_delta + EXCLUDED.open_delta, overdue_delta = k.overdue_delta + EXCLUDED.overdue_delta;
    RETURN NULL;
END $$;

-- What is there already (writers wait until this migration commits).
LOCK TABLE dossiers IN SHARE MODE;
INSERT INTO kpi_dossiers_yearly (unit_code, year_start, slot, open_delta, overdue_delta)
SELECT unit_code, year_start, 0, open_delta, overdue_delta FROM kpi_dossiers_yearly_expected();

-- Same signature, columns and rules as 0012's (and 0003's kpi_units_exact); open and overdue at the end of W as the
-- header says. Two queries rather than one with OR-ed ranges: each reads its index range and nothing else.
CREATE OR REPLACE FUNCTION kpi_units(p_week_start date)
    RETURNS TABLE (unit_code text, unit_name text, received bigint, completed_on_time bigint, completed_late bigint,
                   in_progress bigint, overdue bigint, on_time_rate numeric)
    LANGUAGE plpgsql STABLE AS $$
DECLARE
    monday  date := kpi_monday(p_week_start);
    y0      date := date_trunc('year', kpi_monday(p_week_start))::date;
    y1      date := (date_trunc('year', kpi_monday(p_week_start)) + interval '1 year')::date;
    forward boolean := kpi_monday(p_week_start) < date_trunc('year', kpi_monday(p_week_start))::date + 182;
BEGIN
    RETURN QUERY
    WITH received AS (
        SELECT k.unit_code, sum(k.received)::bigint AS n
          FROM kpi_dossiers_weekly k WHERE k.week_start = monday GROUP BY k.unit_code
    ), years AS (              -- the years before W's (forward) or up to W's (backward)
        SELECT y.unit_code, y.open_delta, y.overdue_delta
          FROM kpi_dossiers_yearly y WHERE y.year_start < CASE WHEN forward THEN y0 ELSE y1 END
    ), weeks AS (              -- forward: W's year up to W, added; backward: the rest of W's year, subtracted
        SELECT k.unit_code, k.open_delta, k.overdue_delta
          FROM kpi_dossiers_weekly k WHERE forward AND k.week_start >= y0 AND k.week_start <= monday
        UNION ALL
        SELECT k.unit_code, -k.open_delta, -k.overdue_delta
          FROM kpi_dossiers_weekly k WHERE NOT forward AND k.week_start > monday AND k.week_start < y1
    ), open_at_end AS (
        SELECT a.unit_code, sum(a.open_delta)::bigint AS open, sum(a.overdue_delta)::bigint AS overdue
          FROM (SELECT * FROM years UNION ALL SELECT * FROM weeks) a
         GROUP BY a.unit_code
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

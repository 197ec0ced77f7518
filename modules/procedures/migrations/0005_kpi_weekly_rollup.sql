-- procedures 0005: completions counted per unit and ISO week as they happen, so the city-wide trend reads a few
-- hundred rollup rows instead of every completion of the period (kpi_trend took ~360 ms over 12 weeks at a million
-- dossiers, measured by bench/procedures.sh; the rollup makes it independent of the number of dossiers).
--
-- kpi_completions_weekly holds, per (unit, local Monday of the completion), how many dossiers were completed on time
-- (local completion date <= due date) and late. A trigger on dossiers keeps it exact for every INSERT, UPDATE and
-- DELETE that sets, moves or clears completed_at; it runs in the writer's transaction, so the rollup commits or rolls
-- back with the dossier. Concurrent completions in one unit and week serialise on that one rollup row (officials of a
-- unit complete at human speed).
CREATE TABLE kpi_completions_weekly (
    unit_code   text NOT NULL,
    week_start  date NOT NULL,        -- local Monday
    on_time     bigint NOT NULL DEFAULT 0,
    late        bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (week_start, unit_code)
);

CREATE FUNCTION kpi_count_completion(p_unit text, p_completed timestamptz, p_due date, p_sign integer) RETURNS void
    LANGUAGE sql AS $$
    INSERT INTO kpi_completions_weekly AS k (unit_code, week_start, on_time, late)
    VALUES (p_unit, date_trunc('week', cong_local_date(p_completed))::date,
            CASE WHEN cong_local_date(p_completed) <= p_due THEN p_sign ELSE 0 END,
            CASE WHEN cong_local_date(p_completed) > p_due THEN p_sign ELSE 0 END)
    ON CONFLICT (week_start, unit_code) DO UPDATE
       SET on_time = k.on_time + EXCLUDED.on_time, late = k.late + EXCLUDED.late
$$;

CREATE FUNCTION kpi_track_completion() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.completed_at IS NOT NULL THEN
        PERFORM kpi_count_completion(OLD.unit_code, OLD.completed_at, OLD.due_date, -1);
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') AND NEW.completed_at IS NOT NULL THEN
        PERFORM kpi_count_completion(NEW.unit_code, NEW.completed_at, NEW.due_date, 1);
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER dossiers_kpi_insert_delete AFTER INSERT OR DELETE ON dossiers
    FOR EACH ROW EXECUTE FUNCTION kpi_track_completion();
CREATE TRIGGER dossiers_kpi_update AFTER UPDATE OF completed_at, due_date, unit_code ON dossiers
    FOR EACH ROW WHEN (OLD.completed_at IS DISTINCT FROM NEW.completed_at OR OLD.due_date IS DISTINCT FROM NEW.due_date
                       OR OLD.unit_code IS DISTINCT FROM NEW.unit_code)
    EXECUTE FUNCTION kpi_track_completion();

-- What is there already.
INSERT INTO kpi_completions_weekly (unit_code, week_start, on_time, late)
SELECT unit_code, date_trunc('week', cong_local_date(completed_at))::date,
       count(*) FILTER (WHERE cong_local_date(completed_at) <= due_date),
       count(*) FILTER (WHERE cong_local_date(completed_at) > due_date)
  FROM dossiers WHERE completed_at IS NOT NULL GROUP BY 1, 2;

-- The trend, from the rollup: one row per week (oldest first), weeks without completions with zeros and a NULL rate.
CREATE OR REPLACE FUNCTION kpi_trend(p_weeks integer, p_until date)
    RETURNS TABLE (week_start date, iso_week text, completed_on_time bigint, completed_late bigint,
                   on_time_rate numeric)
    LANGUAGE sql STABLE AS $$
    WITH weeks AS (
        SELECT (date_trunc('week', p_until)::date - 7 * n) AS ws
          FROM generate_series(0, greatest(p_weeks, 1) - 1) AS n
    ), done AS (
        SELECT k.week_start AS ws, sum(k.on_time) AS on_time, sum(k.late) AS late
          FROM kpi_completions_weekly k
         WHERE k.week_start >= (SELECT min(ws) FROM weeks) AND k.week_start <= (SELECT max(ws) FROM weeks)
         GROUP BY 1
    )
    SELECT w.ws, to_char(w.ws, 'IYYY-"W"IW'), coalesce(d.on_time, 0)::bigint, coalesce(d.late, 0)::bigint,
           CASE WHEN coalesce(d.on_time, 0) + coalesce(d.late, 0) > 0
                THEN round(100.0 * d.on_time / (d.on_time + d.late), 1) END
      FROM weeks w LEFT JOIN done d ON d.ws = w.ws
     ORDER BY w.ws
$$;

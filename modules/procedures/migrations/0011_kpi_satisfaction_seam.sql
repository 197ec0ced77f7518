-- procedures 0011: the seam through which citizens' satisfaction joins the weekly KPIs (issue 15). Modules never call
-- each other in C; they meet here, in SQL.
--
-- kpi_unit_satisfaction(week) is OWNED BY THE FEEDBACK MODULE (modules/feedback/migrations/0001_feedback.sql replaces
-- it with CREATE OR REPLACE: its migrations run after this module's, modules being migrated in the host's built-in
-- order). Defined here as an empty stub so that the KPI functions below work — with no satisfaction figures — in a
-- gateway built or configured without that module. Its result type is the contract: change it in both files or not at
-- all (CREATE OR REPLACE cannot change a function's result type).
--   unit_code     the unit rated
--   ratings       how many ratings it received in the ISO week (Hanoi time) holding week_start
--   mean          their mean number of stars (1..5), two decimals
--   share_4_5     the share of 4- and 5-star ratings, 0..1, three decimals
--   distribution  how many of 1, 2, 3, 4 and 5 stars (five elements)
-- Only units with at least one rating are returned.
-- Created only when missing: a database whose feedback migration ran before this one (a module's migrations are
-- recorded per module, so an older procedures folder can be migrated after a newer feedback one) keeps the real one.
DO $do$
BEGIN
    IF to_regprocedure('kpi_unit_satisfaction(date)') IS NULL THEN
        CREATE FUNCTION kpi_unit_satisfaction(p_week_start date)
            RETURNS TABLE (unit_code text, ratings bigint, mean numeric, share_4_5 numeric, distribution bigint[])
            LANGUAGE sql STABLE AS $$
            SELECT NULL::text, NULL::bigint, NULL::numeric, NULL::numeric, NULL::bigint[] WHERE false
        $$;
    END IF;
END $do$;

-- kpi_units (0003) with each unit's satisfaction: what GET /v1/kpi/units reads. A FULL join, so that a unit rated in
-- the week without any dossier figure (walk-in feedback) is listed too, with zero counts; a unit without ratings has
-- ratings 0 and NULL satisfaction figures. kpi_units itself is unchanged (its callers and the bench read it as it is).
CREATE FUNCTION kpi_units_rated(p_week_start date)
    RETURNS TABLE (unit_code text, unit_name text, received bigint, completed_on_time bigint, completed_late bigint,
                   in_progress bigint, overdue bigint, on_time_rate numeric, ratings bigint, satisfaction_mean numeric,
                   satisfaction_share_4_5 numeric, satisfaction_distribution bigint[])
    LANGUAGE sql STABLE AS $$
    SELECT coalesce(k.unit_code, s.unit_code), coalesce(k.unit_name, u.name), coalesce(k.received, 0),
           coalesce(k.completed_on_time, 0), coalesce(k.completed_late, 0), coalesce(k.in_progress, 0),
           coalesce(k.overdue, 0), k.on_time_rate, coalesce(s.ratings, 0), s.mean, s.share_4_5, s.distribution
      FROM kpi_units(p_week_start) k
      FULL JOIN kpi_unit_satisfaction(p_week_start) s ON s.unit_code = k.unit_code
      LEFT JOIN units u ON u.code = s.unit_code
     ORDER BY 1
$$;

-- 0003's late list, now also for satisfaction: reason 'satisfaction' when the unit received at least p_min_ratings
-- ratings in the week (modules.procedures.kpi_satisfaction_min_ratings: one angry rating does not list a unit) and
-- their mean is below p_min_satisfaction (kpi_satisfaction_threshold). NULL p_min_satisfaction: no such reason. The
-- old two-argument form is replaced (same first two arguments, so its callers keep working).
DROP FUNCTION kpi_late_units(date, numeric);
CREATE FUNCTION kpi_late_units(p_week_start date, p_min_rate numeric, p_min_satisfaction numeric DEFAULT NULL,
                               p_min_ratings integer DEFAULT 1)
    RETURNS TABLE (unit_code text, unit_name text, received bigint, completed_on_time bigint, completed_late bigint,
                   in_progress bigint, overdue bigint, on_time_rate numeric, reasons text[], ratings bigint,
                   satisfaction_mean numeric, satisfaction_share_4_5 numeric, satisfaction_distribution bigint[])
    LANGUAGE sql STABLE AS $$
    SELECT k.unit_code, k.unit_name, k.received, k.completed_on_time, k.completed_late, k.in_progress, k.overdue,
           k.on_time_rate, r.reasons, k.ratings, k.satisfaction_mean, k.satisfaction_share_4_5,
           k.satisfaction_distribution
      FROM kpi_units_rated(p_week_start) k
     CROSS JOIN LATERAL (SELECT array_remove(ARRAY[
                CASE WHEN k.overdue > 0 THEN 'overdue' END,
                CASE WHEN k.on_time_rate < p_min_rate THEN 'below_threshold' END,
                CASE WHEN k.ratings >= greatest(p_min_ratings, 1) AND k.satisfaction_mean < p_min_satisfaction
                     THEN 'satisfaction' END], NULL) AS reasons) r
     WHERE cardinality(r.reasons) > 0
     ORDER BY k.unit_code
$$;

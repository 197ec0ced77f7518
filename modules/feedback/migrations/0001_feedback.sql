-- feedback 0001: citizens' ratings of a finished dossier or of a unit (modules/feedback, issue 15), and the weekly
-- satisfaction index per unit. Units, dossiers, procedures, mandates, user_roles and idempotency_keys are other
-- modules' tables (procedures, the gateway): read here, never changed, except that an Idempotency-Key is claimed in
-- idempotency_keys under the namespace 'feedback:' as payments does with 'payments:'.
--
-- OWNERSHIP: this migration replaces kpi_unit_satisfaction(date), the stub procedures' migration 0011 defines (the
-- procedures module's KPI functions join it); the function's result type is fixed by 0011. This module's migrations
-- run after the procedures module's (the host migrates modules in its built-in order: feedback after procedures).

CREATE TABLE feedback (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    unit_code       text NOT NULL REFERENCES units (code),
    dossier_code    text UNIQUE REFERENCES dossiers (code), -- NULL: feedback on a unit; once per dossier
    subject         text NOT NULL,               -- whose affairs: the dossier's applicant, or who rates a unit
    given_by        text NOT NULL,               -- who acted: the subject, or a grantee under mandate_id
    mandate_id      uuid,
    stars           smallint NOT NULL CHECK (stars BETWEEN 1 AND 5),
    comment         text,                        -- as the citizen wrote it (the API serves it as a JSON string)
    tags            text[] NOT NULL DEFAULT '{}',
    week_start      date NOT NULL,               -- Monday of the ISO week (Hanoi) the rating was given in
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX feedback_unit_newest ON feedback (unit_code, created_at DESC, id DESC);
CREATE INDEX feedback_unit_week ON feedback (unit_code, week_start, created_at DESC, id DESC);
CREATE INDEX feedback_subject ON feedback (subject, created_at DESC, id DESC);
CREATE INDEX feedback_given_by ON feedback (given_by, created_at DESC, id DESC);
-- the weekly limit on unit feedback counts these
CREATE INDEX feedback_unit_only ON feedback (subject, unit_code, week_start) WHERE dossier_code IS NULL;

-- The weekly satisfaction index, kept per (unit, week) by a trigger in the writer's transaction: the KPIs read one row
-- per unit and week whatever the number of ratings. A view over feedback would aggregate every rating of the week for
-- every unit on each KPI cache miss: at 1.24 M dossiers in four months (~73,000 a week) with a third of them rated,
-- ~24,000 ratings a week city-wide, growing with the city's use, while the rollup stays at one row per rated unit a
-- week; it is also the pattern of kpi_completions_weekly (procedures 0005). Measured on the test database with 100,000
-- ratings over 17 weeks in 161 units (~5,900 a week): both answer in milliseconds (the rollup ~8 ms cold, the
-- aggregate ~3 ms); the rollup's point is that its cost does not grow with the ratings. Concurrent ratings of one unit
-- in one week serialise on its row until they commit: citizens rate at human speed.
CREATE TABLE feedback_weekly (
    unit_code   text NOT NULL,
    week_start  date NOT NULL,
    ratings     bigint NOT NULL DEFAULT 0,
    stars_sum   bigint NOT NULL DEFAULT 0,
    s1          bigint NOT NULL DEFAULT 0,
    s2          bigint NOT NULL DEFAULT 0,
    s3          bigint NOT NULL DEFAULT 0,
    s4          bigint NOT NULL DEFAULT 0,
    s5          bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (week_start, unit_code)
);

CREATE FUNCTION feedback_count(p_unit text, p_week date, p_stars integer, p_sign integer) RETURNS void
    LANGUAGE sql AS $$
    INSERT INTO feedback_weekly AS w (unit_code, week_start, ratings, stars_sum, s1, s2, s3, s4, s5)
    VALUES (p_unit, p_week, p_sign, p_sign * p_stars, CASE WHEN p_stars = 1 THEN p_sign ELSE 0 END,
            CASE WHEN p_stars = 2 THEN p_sign ELSE 0 END, CASE WHEN p_stars = 3 THEN p_sign ELSE 0 END,
            CASE WHEN p_stars = 4 THEN p_sign ELSE 0 END, CASE WHEN p_stars = 5 THEN p_sign ELSE 0 END)
    ON CONFLICT (week_start, unit_code) DO UPDATE
       SET ratings = w.ratings + EXCLUDED.ratings, stars_sum = w.stars_sum + EXCLUDED.stars_sum,
           s1 = w.s1 + EXCLUDED.s1, s2 = w.s2 + EXCLUDED.s2, s3 = w.s3 + EXCLUDED.s3, s4 = w.s4 + EXCLUDED.s4,
           s5 = w.s5 + EXCLUDED.s5
$$;

CREATE FUNCTION feedback_track() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM feedback_count(OLD.unit_code, OLD.week_start, OLD.stars, -1);
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
        PERFORM feedback_count(NEW.unit_code, NEW.week_start, NEW.stars, 1);
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER feedback_weekly_insert_delete AFTER INSERT OR DELETE ON feedback
    FOR EACH ROW EXECUTE FUNCTION feedback_track();
CREATE TRIGGER feedback_weekly_update AFTER UPDATE OF unit_code, week_start, stars ON feedback
    FOR EACH ROW EXECUTE FUNCTION feedback_track();

-- The contract of procedures 0011 (see there), from the rollup.
CREATE OR REPLACE FUNCTION kpi_unit_satisfaction(p_week_start date)
    RETURNS TABLE (unit_code text, ratings bigint, mean numeric, share_4_5 numeric, distribution bigint[])
    LANGUAGE sql STABLE AS $$
    SELECT w.unit_code, w.ratings, round(w.stars_sum::numeric / w.ratings, 2),
           round((w.s4 + w.s5)::numeric / w.ratings, 3), ARRAY[w.s1, w.s2, w.s3, w.s4, w.s5]
      FROM feedback_weekly w
     WHERE w.week_start = p_week_start - (extract(isodow FROM p_week_start)::int - 1) AND w.ratings > 0
$$;

-- The Monday of the ISO week, in Hanoi, that instant t falls in.
CREATE FUNCTION feedback_week_of(t timestamptz) RETURNS date
    LANGUAGE sql STABLE
    RETURN date_trunc('week', cong_local_date(t))::date;

-- Feedback as its author reads it (and as officials do, without who gave it: feedback_desk).
CREATE FUNCTION feedback_json(f feedback) RETURNS jsonb
    LANGUAGE sql STABLE
    RETURN jsonb_build_object('id', f.id, 'unit_code', f.unit_code, 'dossier_code', f.dossier_code,
                              'stars', f.stars, 'comment', f.comment, 'tags', to_jsonb(f.tags),
                              'week', to_char(f.week_start, 'IYYY-"W"IW'), 'created_at', cong_local_iso(f.created_at));

-- The problem bodies of feedback_give (slugs of gateway/http/problem.c).
CREATE FUNCTION feedback_problem(p_slug text, p_extra jsonb DEFAULT '{}'::jsonb) RETURNS jsonb
    LANGUAGE sql IMMUTABLE
    RETURN jsonb_build_object('problem', p_slug) || p_extra;

---------------------------------------------------------------------------------------------------------------------
-- feedback_give: p_actor gives feedback for p_subject (p_actor = p_subject for one's own, else a grantee under
-- p_mandate, whose 'rate' use is counted here), on dossier p_dossier or, when it is NULL, on unit p_unit. One
-- transaction: the Idempotency-Key claimed, the checks, the mandate's use, the row (and through the trigger the weekly
-- index), the audit record. Answers (http_status, body, replayed):
--   201 the feedback; the same key and body again: the first answer, replayed true; another body: 422
--   404 not-found       no such dossier, another person's, or one the mandate does not cover (never revealed)
--   409 dossier-not-finished  the unit has not finished it (no result issued yet; a withdrawn one never is)
--   409 feedback-already-given  the dossier has feedback (UNIQUE dossier_code; concurrent posts serialise on the
--                               dossier's row lock, so the second sees the first)
--   403 mandate-*       the mandate refused the use (nothing written)
--   404 not-found       unit feedback: no such unit
--   429 feedback-limit-reached {max, retry_after}: p_unit_weekly_max unit feedbacks of this citizen on this unit in
--                       this ISO week already, counted under an advisory lock on (citizen, unit): concurrent posts
--                       are counted one after the other
CREATE FUNCTION feedback_give(p_actor text, p_subject text, p_mandate uuid, p_key text, p_request_hash text,
                              p_dossier text, p_unit text, p_stars integer, p_comment text, p_tags text[],
                              p_unit_weekly_max integer, p_request_id text)
    RETURNS TABLE (http_status integer, body jsonb, replayed boolean)
    LANGUAGE plpgsql AS $$
DECLARE
    v_key    text := 'feedback:' || p_key;
    claimed  boolean := false;
    k        idempotency_keys;
    d        dossiers;
    v_domain text;
    v_unit   text := p_unit;
    v_week   date := feedback_week_of(now());
    v_id     uuid := gen_random_uuid();
    answer   text;
    f        feedback;
    outcome  jsonb;
    status   integer;
BEGIN
    IF p_key IS NOT NULL THEN
        INSERT INTO idempotency_keys (subject, key, request_hash, status, response)
        VALUES (p_actor, v_key, p_request_hash, 0, '{}'::jsonb)
        ON CONFLICT (subject, key) DO NOTHING
        RETURNING true INTO claimed;
        IF NOT coalesce(claimed, false) THEN
            SELECT * INTO k FROM idempotency_keys WHERE subject = p_actor AND key = v_key;
            IF k.request_hash IS DISTINCT FROM p_request_hash THEN
                RETURN QUERY SELECT 422, feedback_problem('idempotency-key-reused'), false;
            ELSE
                RETURN QUERY SELECT k.status, k.response, true;
            END IF;
            RETURN;
        END IF;
    END IF;

    IF p_dossier IS NOT NULL THEN
        SELECT * INTO d FROM dossiers WHERE code = p_dossier FOR UPDATE;
        SELECT pr.domain INTO v_domain FROM procedures pr WHERE pr.code = d.procedure_code;
        IF d.id IS NULL OR d.subject IS DISTINCT FROM p_subject
           OR NOT dossier_mandate_scope(p_mandate, d.procedure_code, v_domain) THEN
            status := 404; outcome := feedback_problem('not-found');
        ELSIF d.completed_at IS NULL THEN
            status := 409; outcome := feedback_problem('dossier-not-finished', jsonb_build_object('dossier_status', d.status));
        ELSIF EXISTS (SELECT 1 FROM feedback WHERE dossier_code = d.code) THEN
            status := 409; outcome := feedback_problem('feedback-already-given');
        ELSIF p_mandate IS NOT NULL THEN
            answer := 'not-found';
            IF EXISTS (SELECT 1 FROM mandates WHERE id = p_mandate AND grantor = p_subject) THEN
                answer := cong_mandate_use(p_mandate, p_actor, 'rate', d.procedure_code, v_domain,
                                           'feedback:' || v_id, p_request_id, 'feedback');
            END IF;
            IF answer <> 'ok' THEN
                status := 403;
                outcome := dossier_mandate_problem(answer, p_mandate, 'rate', d.procedure_code, v_domain);
            END IF;
        END IF;
        v_unit := d.unit_code;
    ELSIF NOT EXISTS (SELECT 1 FROM units WHERE code = p_unit) THEN
        status := 404; outcome := feedback_problem('not-found');
    ELSE
        PERFORM pg_advisory_xact_lock(hashtext('feedback:' || p_subject || ':' || p_unit));
        IF (SELECT count(*) FROM feedback x WHERE x.subject = p_subject AND x.unit_code = p_unit
               AND x.dossier_code IS NULL AND x.week_start = v_week) >= p_unit_weekly_max THEN
            status := 429;
            outcome := feedback_problem('feedback-limit-reached', jsonb_build_object(
                'max', p_unit_weekly_max,
                'retry_after', greatest(1, ceil(extract(epoch FROM cong_local_midnight(v_week + 7) - now())))::bigint));
        END IF;
    END IF;
    IF status IS NOT NULL THEN
        DELETE FROM idempotency_keys WHERE claimed AND subject = p_actor AND key = v_key;
        RETURN QUERY SELECT status, outcome, false;
        RETURN;
    END IF;

    INSERT INTO feedback (id, unit_code, dossier_code, subject, given_by, mandate_id, stars, comment, tags, week_start)
    VALUES (v_id, v_unit, p_dossier, p_subject, p_actor, p_mandate, p_stars, p_comment, coalesce(p_tags, '{}'), v_week)
    RETURNING * INTO f;
    PERFORM cong_audit('feedback', p_actor, 'citizen', p_subject, 'feedback.give', 'feedback:' || f.id, p_request_id,
                       jsonb_build_object('unit', f.unit_code, 'dossier', f.dossier_code, 'stars', f.stars),
                       p_mandate);
    outcome := feedback_json(f);
    IF claimed THEN
        UPDATE idempotency_keys SET status = 201, response = outcome WHERE subject = p_actor AND key = v_key;
    END IF;
    RETURN QUERY SELECT 201, outcome, false;
END $$;

-- A citizen's own feedback, newest first: what they gave or what was given for them under a mandate. p_cursor: the id
-- of the last item of the previous page (next_cursor). {items, next_cursor}.
CREATE FUNCTION feedback_mine(p_subject text, p_cursor uuid, p_limit integer) RETURNS jsonb
    LANGUAGE sql STABLE AS $$
    WITH after AS (SELECT c.created_at, c.id FROM feedback c
                    WHERE c.id = p_cursor AND (c.subject = p_subject OR c.given_by = p_subject)),
    page AS (SELECT f AS row, f.created_at, f.id FROM feedback f
              WHERE (f.subject = p_subject OR f.given_by = p_subject)
                AND (p_cursor IS NULL OR (f.created_at, f.id) < (SELECT a.created_at, a.id FROM after a))
              ORDER BY f.created_at DESC, f.id DESC LIMIT p_limit + 1),
    shown AS (SELECT * FROM page ORDER BY created_at DESC, id DESC LIMIT p_limit)
    SELECT jsonb_build_object(
        'items', coalesce((SELECT jsonb_agg(feedback_json(s.row) ORDER BY s.created_at DESC, s.id DESC) FROM shown s),
                          '[]'::jsonb),
        'next_cursor', CASE WHEN (SELECT count(*) FROM page) > p_limit
                            THEN (SELECT s.id FROM shown s ORDER BY s.created_at, s.id LIMIT 1) END)
$$;

-- The officials' page of a unit's feedback, newest first, optionally of one ISO week (p_week 'YYYY-Www', its format
-- checked by the caller; bad-week when the year has no such week): outcome not-official / not-your-unit (the procedures module's rule, user_roles, as the queue module reads it) or ok with
-- {unit_code, week, items, next_cursor}. Who gave it is not shown. Every item shown is an official's view of a
-- citizen's words: one audit record each (feedback.read, subject the citizen), in this statement, before anything is
-- answered.
CREATE FUNCTION feedback_desk(p_official text, p_unit text, p_week text, p_cursor uuid, p_limit integer,
                              p_request_id text)
    RETURNS TABLE (outcome text, body jsonb)
    LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    monday date := to_date(p_week, 'IYYY-"W"IW');
BEGIN
    IF p_week IS NOT NULL AND to_char(monday, 'IYYY-"W"IW') <> p_week THEN
        RETURN QUERY SELECT 'bad-week', NULL::jsonb;
        RETURN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM user_roles WHERE subject = p_official AND role = 'official') THEN
        RETURN QUERY SELECT 'not-official', NULL::jsonb;
        RETURN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM user_roles WHERE subject = p_official AND role = 'official' AND resource = p_unit) THEN
        RETURN QUERY SELECT 'not-your-unit', NULL::jsonb;
        RETURN;
    END IF;
    RETURN QUERY
    WITH after AS (SELECT c.created_at, c.id FROM feedback c WHERE c.id = p_cursor AND c.unit_code = p_unit),
    page AS (SELECT f AS row, f.created_at, f.id, f.subject FROM feedback f
              WHERE f.unit_code = p_unit AND (monday IS NULL OR f.week_start = monday)
                AND (p_cursor IS NULL OR (f.created_at, f.id) < (SELECT a.created_at, a.id FROM after a))
              ORDER BY f.created_at DESC, f.id DESC LIMIT p_limit + 1),
    shown AS (SELECT * FROM page ORDER BY created_at DESC, id DESC LIMIT p_limit),
    audited AS (SELECT cong_audit('feedback', p_official, 'official', s.subject, 'feedback.read', 'feedback:' || s.id,
                                  p_request_id, jsonb_build_object('unit', p_unit)) FROM shown s)
    SELECT 'ok', jsonb_build_object(
        'unit_code', p_unit, 'week', p_week,
        'items', coalesce((SELECT jsonb_agg(feedback_json(s.row) - 'unit_code' ORDER BY s.created_at DESC, s.id DESC)
                           FROM shown s), '[]'::jsonb),
        'next_cursor', CASE WHEN (SELECT count(*) FROM page) > p_limit
                            THEN (SELECT s.id FROM shown s ORDER BY s.created_at, s.id LIMIT 1) END)
      FROM (SELECT count(*) FROM audited) a;
END $$;

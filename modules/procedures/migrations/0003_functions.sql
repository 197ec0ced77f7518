-- procedures 0003: the SQL layer the procedures module calls. Every function runs in the caller's transaction (one
-- statement = one transaction when called alone), so a dossier, its timeline event, its portal and push outbox rows and
-- its idempotency key are written all together or not at all.
--
-- Answers are (http_status, body) pairs: the C module copies them to the response. Problem bodies carry a short
-- "problem" slug (not-found, validation-failed, invalid-transition, idempotency-key-reused) that the module maps to
-- its problem+json type URIs.
--
-- Local time is Asia/Ho_Chi_Minh (UTC+07:00, no daylight saving): due dates, dossier years and KPI weeks use it.

---------------------------------------------------------------------------------------------------------------------
-- Transition rules, as data. A role may apply an action to a dossier in from_status; the dossier goes to to_status.
-- dossier_transition() accepts nothing that is not a row here.
CREATE TABLE dossier_transitions (
    from_status text NOT NULL,
    action      text NOT NULL,
    to_status   text NOT NULL,
    actor_role  text NOT NULL CHECK (actor_role IN ('citizen', 'official')),
    PRIMARY KEY (from_status, action)
);
INSERT INTO dossier_transitions (from_status, action, to_status, actor_role) VALUES
    ('submitted',            'withdraw',           'withdrawn',            'citizen'),
    ('supplement_requested', 'supplement',         'supplement_submitted', 'citizen'),
    ('submitted',            'receive',            'received',             'official'),
    ('received',             'process',            'processing',           'official'),
    ('supplement_submitted', 'process',            'processing',           'official'),
    ('processing',           'request_supplement', 'supplement_requested', 'official'),
    ('processing',           'approve',            'approved',             'official'),
    ('processing',           'reject',             'rejected',             'official'),
    ('approved',             'issue_result',       'result_issued',        'official'),
    ('rejected',             'issue_result',       'result_issued',        'official'),
    ('result_issued',        'complete',           'completed',            'official');

-- Indexes for the KPIs (see kpi_units for the measured plan).
-- City-wide KPI trend counts completions per week across all units: a range on completed_at alone.
-- (dossiers_unit_completed leads with unit_code, which a city-wide range cannot use.) due_date is included so the
-- on-time test needs no heap access.
CREATE INDEX dossiers_completed_at ON dossiers (completed_at) INCLUDE (due_date) WHERE completed_at IS NOT NULL;
-- Covering versions of 0002's dossiers_unit_completed and dossiers_open_due: kpi_units reads due_date and
-- submitted_at from them with index-only scans. Open dossiers are scattered over the table (one heap page each), so
-- without submitted_at in the index the "open at the week's end" count read a heap page per open dossier.
CREATE INDEX dossiers_unit_completed_kpi ON dossiers (unit_code, completed_at) INCLUDE (due_date, submitted_at)
    WHERE completed_at IS NOT NULL;
CREATE INDEX dossiers_open_kpi ON dossiers (unit_code, due_date) INCLUDE (submitted_at)
    WHERE completed_at IS NULL AND status <> 'withdrawn';

---------------------------------------------------------------------------------------------------------------------
-- Small helpers.

-- '2026-03-06T10:15:00+07:00': an instant in local time with its offset (Hanoi has no daylight saving).
CREATE FUNCTION cong_local_iso(t timestamptz) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    RETURN to_char(t AT TIME ZONE 'Asia/Ho_Chi_Minh', 'YYYY-MM-DD"T"HH24:MI:SS"+07:00"');

-- The local calendar day of an instant.
CREATE FUNCTION cong_local_date(t timestamptz) RETURNS date
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    RETURN (t AT TIME ZONE 'Asia/Ho_Chi_Minh')::date;

-- The midnight that starts a local day, as an instant.
CREATE FUNCTION cong_local_midnight(d date) RETURNS timestamptz
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    RETURN d::timestamp AT TIME ZONE 'Asia/Ho_Chi_Minh';

-- Rule: the answer is the p_days-th working day AFTER the local day of p_start. The day of submission never counts,
-- whatever the hour. A working day is Monday to Friday and not a row of holidays (compensatory days off are rows of
-- holidays too; Saturdays that officials work to make up for a bridged day are not modelled: weekends never count).
-- p_days <= 0 gives the local day of p_start itself.
-- Example: submitted Friday 2026-03-06 at any hour, 1 working day -> Monday 2026-03-09.
CREATE FUNCTION cong_add_working_days(p_start timestamptz, p_days integer) RETURNS date
    LANGUAGE plpgsql STABLE STRICT AS $$
DECLARE
    d    date := cong_local_date(p_start);
    remaining integer := p_days;
BEGIN
    WHILE remaining > 0 LOOP
        d := d + 1;
        IF extract(isodow FROM d) < 6 AND NOT EXISTS (SELECT 1 FROM holidays h WHERE h.day = d) THEN
            remaining := remaining - 1;
        END IF;
    END LOOP;
    RETURN d;
END $$;

-- The public shape of a dossier (the submit answer, the transition answer, the start of the view).
CREATE FUNCTION dossier_json(d dossiers) RETURNS jsonb
    LANGUAGE sql STABLE
    RETURN jsonb_build_object(
        'code', d.code, 'status', d.status, 'version', d.version,
        'procedure_code', d.procedure_code, 'unit_code', d.unit_code,
        'submitted_at', cong_local_iso(d.submitted_at), 'due_date', to_char(d.due_date, 'YYYY-MM-DD'),
        'fee_vnd', d.fee_vnd);

-- Writes what every version of a dossier leaves behind, in the caller's transaction: the timeline event, the portal
-- outbox row (keyed by dossier and version; the same payload shape for every version) and the push event to the
-- applicant. d is the dossier as it is after the change.
CREATE FUNCTION dossier_record_version(d dossiers, p_actor text, p_role text, p_action text, p_from text,
                                       p_note text, p_request_id text) RETURNS void
    LANGUAGE plpgsql AS $$
DECLARE
    happened timestamptz := now();
BEGIN
    INSERT INTO dossier_events (dossier_id, version, at, actor, actor_role, action, from_status, to_status, note,
                                request_id)
    VALUES (d.id, d.version, happened, p_actor, p_role, p_action, p_from, d.status, p_note, p_request_id);

    INSERT INTO portal_outbox (dossier_id, dossier_code, version, payload)
    VALUES (d.id, d.code, d.version, jsonb_build_object(
        'dossier_code', d.code, 'version', d.version, 'status', d.status,
        'procedure_code', d.procedure_code, 'unit_code', d.unit_code,
        'submitted_at', cong_local_iso(d.submitted_at), 'due_date', to_char(d.due_date, 'YYYY-MM-DD'),
        'at', cong_local_iso(happened), 'action', p_action));

    INSERT INTO push_outbox (subject, topic, payload)
    VALUES (d.subject, 'dossier.status', jsonb_build_object('code', d.code, 'status', d.status, 'version', d.version));
END $$;

CREATE FUNCTION cong_problem_validation(p_errors jsonb) RETURNS jsonb
    LANGUAGE sql IMMUTABLE
    RETURN jsonb_build_object('problem', 'validation-failed', 'errors', p_errors);

---------------------------------------------------------------------------------------------------------------------
-- dossier_submit: files a dossier.
--
-- Idempotency (p_idem_key not NULL): the key (p_subject, p_idem_key) is claimed first with INSERT ... ON CONFLICT DO
-- NOTHING. A concurrent call holding the same key makes this INSERT wait until that transaction ends; then either the
-- row exists (answer from it: replay, or 422 when the request hash differs) or it vanished (the other call failed and
-- deleted its claim) and this call claims it. So one key never files two dossiers.
-- Only a success (201) is remembered: a failed call deletes its claim, so a corrected retry with the same key works.
--
-- Attachment error codes (field "attachments[i]", i from 0):
--   invalid-attachment              not an object with a non-empty "name" and exactly one well-formed uuid reference
--   unknown-attachment              no such upload of the subject or of the filer / no such wallet document of the
--                                   subject (whether it exists for someone else is not revealed)
--   electronic-copies-not-accepted  a wallet document, for a procedure that does not accept electronic copies
CREATE FUNCTION dossier_submit(p_subject text, p_submitted_by text, p_idem_key text, p_request_hash text,
                               p_procedure text, p_unit text, p_form jsonb, p_attachments jsonb, p_request_id text)
    RETURNS TABLE (http_status integer, body jsonb, replayed boolean)
    LANGUAGE plpgsql AS $$
DECLARE
    uuid_re constant text := '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';
    claimed  boolean := false;
    k        idempotency_keys;
    p        procedures;
    d        dossiers;
    errors   jsonb := '[]'::jsonb;
    att      jsonb;
    atts     jsonb := coalesce(p_attachments, '[]'::jsonb);
    i        integer;
    ref      text;
    sha      text;
    resolved jsonb := '[]'::jsonb;   -- [{name, upload_id | wallet_document_id, sha256}] once all are valid
    answer   jsonb;
BEGIN
    IF p_idem_key IS NOT NULL THEN
        INSERT INTO idempotency_keys (subject, key, request_hash, status, response)
        VALUES (p_subject, p_idem_key, p_request_hash, 0, '{}'::jsonb)  -- status 0: claimed, not answered yet
        ON CONFLICT (subject, key) DO NOTHING
        RETURNING true INTO claimed;
        IF NOT coalesce(claimed, false) THEN
            SELECT * INTO k FROM idempotency_keys WHERE subject = p_subject AND key = p_idem_key;
            IF k.request_hash IS DISTINCT FROM p_request_hash THEN
                RETURN QUERY SELECT 422, '{"problem":"idempotency-key-reused"}'::jsonb, false;
            ELSE
                RETURN QUERY SELECT k.status, k.response, true;
            END IF;
            RETURN;
        END IF;
    END IF;

    SELECT * INTO p FROM procedures WHERE code = p_procedure;
    IF NOT FOUND THEN
        DELETE FROM idempotency_keys WHERE claimed AND subject = p_subject AND key = p_idem_key;
        RETURN QUERY SELECT 404, '{"problem":"not-found"}'::jsonb, false;
        RETURN;
    END IF;

    IF NOT EXISTS (SELECT 1 FROM procedure_units pu WHERE pu.procedure_code = p.code AND pu.unit_code = p_unit) THEN
        errors := errors || '[{"field":"unit","code":"unit-not-handling"}]'::jsonb;
    END IF;

    IF jsonb_typeof(atts) <> 'array' THEN
        errors := errors || '[{"field":"attachments","code":"invalid-attachment"}]'::jsonb;
        atts := '[]'::jsonb;
    END IF;
    FOR i IN 0 .. jsonb_array_length(atts) - 1 LOOP
        att := atts -> i;
        sha := NULL;
        IF jsonb_typeof(att) <> 'object' OR jsonb_typeof(att -> 'name') IS DISTINCT FROM 'string'
           OR btrim(att ->> 'name') = '' OR ((att ? 'upload_id') = (att ? 'wallet_document_id'))
           OR coalesce(att ->> 'upload_id', att ->> 'wallet_document_id') !~ uuid_re THEN
            errors := errors || jsonb_build_array(jsonb_build_object(
                'field', format('attachments[%s]', i), 'code', 'invalid-attachment'));
            CONTINUE;
        END IF;
        IF att ? 'upload_id' THEN
            ref := att ->> 'upload_id';
            SELECT u.sha256 INTO sha FROM uploads u
             WHERE u.id = ref::uuid AND u.owner IN (p_subject, p_submitted_by);
            IF sha IS NULL THEN
                errors := errors || jsonb_build_array(jsonb_build_object(
                    'field', format('attachments[%s]', i), 'code', 'unknown-attachment'));
                CONTINUE;
            END IF;
            resolved := resolved || jsonb_build_array(jsonb_build_object(
                'name', att ->> 'name', 'upload_id', ref, 'sha256', sha));
        ELSE
            ref := att ->> 'wallet_document_id';
            SELECT w.sha256 INTO sha FROM wallet_documents w WHERE w.id = ref::uuid AND w.owner = p_subject;
            IF sha IS NULL THEN
                errors := errors || jsonb_build_array(jsonb_build_object(
                    'field', format('attachments[%s]', i), 'code', 'unknown-attachment'));
                CONTINUE;
            END IF;
            IF NOT p.accepts_electronic_copies THEN
                errors := errors || jsonb_build_array(jsonb_build_object(
                    'field', format('attachments[%s]', i), 'code', 'electronic-copies-not-accepted'));
                CONTINUE;
            END IF;
            resolved := resolved || jsonb_build_array(jsonb_build_object(
                'name', att ->> 'name', 'wallet_document_id', ref, 'sha256', sha));
        END IF;
    END LOOP;

    IF jsonb_array_length(errors) > 0 THEN
        DELETE FROM idempotency_keys WHERE claimed AND subject = p_subject AND key = p_idem_key;
        RETURN QUERY SELECT 422, cong_problem_validation(errors), false;
        RETURN;
    END IF;

    INSERT INTO dossiers (code, procedure_code, unit_code, subject, submitted_by, status, version, form, fee_vnd,
                          submitted_at, due_date, updated_at)
    VALUES ('HN-' || extract(year FROM now() AT TIME ZONE 'Asia/Ho_Chi_Minh')::int || '-'
                || lpad(nextval('dossier_number_seq')::text, 7, '0'),
            p.code, p_unit, p_subject, p_submitted_by, 'submitted', 1, coalesce(p_form, '{}'::jsonb), p.fee_vnd,
            now(), cong_add_working_days(now(), p.processing_days), now())
    RETURNING * INTO d;

    INSERT INTO dossier_attachments (dossier_id, position, name, upload_id, wallet_document_id, sha256)
    SELECT d.id, r.ord - 1, r.a ->> 'name', (r.a ->> 'upload_id')::uuid, (r.a ->> 'wallet_document_id')::uuid,
           r.a ->> 'sha256'
      FROM jsonb_array_elements(resolved) WITH ORDINALITY AS r (a, ord);

    PERFORM dossier_record_version(d, p_submitted_by, 'citizen', 'submit', NULL, NULL, p_request_id);

    answer := dossier_json(d);
    IF claimed THEN
        UPDATE idempotency_keys SET status = 201, response = answer WHERE subject = p_subject AND key = p_idem_key;
    END IF;
    RETURN QUERY SELECT 201, answer, false;
END $$;

---------------------------------------------------------------------------------------------------------------------
-- dossier_transition: an action by a citizen (on their own dossier) or an official (of the dossier's unit).
-- Order of checks: unknown role/action -> 422; dossier absent or not visible -> 404 (never 403: existence is not
-- revealed); no rule (status, action, role) in dossier_transitions -> 409; issue_result without its result -> 422.
-- Timestamps: receive sets received_at, approve/reject set decided_at, issue_result sets completed_at (the unit's
-- work is done: the KPIs count it) with the result's hash and signature, and files the result in the applicant's
-- wallet in the same transaction.
CREATE FUNCTION dossier_transition(p_code text, p_actor text, p_role text, p_action text, p_note text,
                                   p_units text[], p_result jsonb, p_request_id text)
    RETURNS TABLE (http_status integer, body jsonb)
    LANGUAGE plpgsql AS $$
DECLARE
    d      dossiers;
    p      procedures;
    rule   dossier_transitions;
    errors jsonb := '[]'::jsonb;
    f      text;
BEGIN
    IF p_role IS NULL OR p_role NOT IN ('citizen', 'official') THEN
        RETURN QUERY SELECT 422, cong_problem_validation('[{"field":"role","code":"unknown-role"}]');
        RETURN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM dossier_transitions t WHERE t.action = p_action) THEN
        RETURN QUERY SELECT 422, cong_problem_validation('[{"field":"action","code":"unknown-action"}]');
        RETURN;
    END IF;

    SELECT * INTO d FROM dossiers WHERE code = p_code FOR UPDATE;
    IF NOT FOUND
       OR (p_role = 'citizen' AND d.subject IS DISTINCT FROM p_actor)
       OR (p_role = 'official' AND NOT (d.unit_code = ANY (coalesce(p_units, '{}')))) THEN
        RETURN QUERY SELECT 404, '{"problem":"not-found"}'::jsonb;
        RETURN;
    END IF;

    SELECT * INTO rule FROM dossier_transitions t
     WHERE t.from_status = d.status AND t.action = p_action AND t.actor_role = p_role;
    IF NOT FOUND THEN
        RETURN QUERY SELECT 409, jsonb_build_object('problem', 'invalid-transition', 'current_status', d.status,
                                                    'action', p_action);
        RETURN;
    END IF;

    IF p_action = 'issue_result' THEN
        FOREACH f IN ARRAY ARRAY['sha256', 'signature', 'media_type'] LOOP
            IF jsonb_typeof(p_result -> f) IS DISTINCT FROM 'string' OR btrim(p_result ->> f) = '' THEN
                errors := errors || jsonb_build_array(jsonb_build_object('field', 'result.' || f, 'code', 'required'));
            END IF;
        END LOOP;
        IF jsonb_array_length(errors) > 0 THEN
            RETURN QUERY SELECT 422, cong_problem_validation(errors);
            RETURN;
        END IF;
    END IF;

    UPDATE dossiers SET
        status           = rule.to_status,
        version          = version + 1,
        received_at      = CASE WHEN p_action = 'receive' THEN now() ELSE received_at END,
        decided_at       = CASE WHEN p_action IN ('approve', 'reject') THEN now() ELSE decided_at END,
        completed_at     = CASE WHEN p_action = 'issue_result' THEN now() ELSE completed_at END,
        result_sha256    = CASE WHEN p_action = 'issue_result' THEN p_result ->> 'sha256' ELSE result_sha256 END,
        result_signature = CASE WHEN p_action = 'issue_result' THEN p_result ->> 'signature' ELSE result_signature END,
        updated_at       = now()
     WHERE id = d.id
    RETURNING * INTO d;

    IF p_action = 'issue_result' THEN
        SELECT * INTO p FROM procedures WHERE code = d.procedure_code;
        INSERT INTO wallet_documents (id, owner, kind, title_vi, title_en, sha256, media_type, dossier_code, signature)
        VALUES (gen_random_uuid(), d.subject, 'result', 'Kết quả: ' || p.name_vi, 'Result: ' || p.name_en,
                p_result ->> 'sha256', p_result ->> 'media_type', d.code, p_result ->> 'signature');
    END IF;

    PERFORM dossier_record_version(d, p_actor, p_role, p_action, rule.from_status, p_note, p_request_id);
    RETURN QUERY SELECT 200, dossier_json(d);
END $$;

---------------------------------------------------------------------------------------------------------------------
-- dossier_view: the dossier, its timeline (oldest first) and its attachments; NULL when absent or not visible.
-- p_units NULL: the applicant's view (subject must be p_subject). Otherwise an official's view (unit in p_units).
-- Officials are not named to anyone: an event's actor is shown only for citizen events, null otherwise.
CREATE FUNCTION dossier_view(p_code text, p_subject text, p_units text[]) RETURNS jsonb
    LANGUAGE sql STABLE AS $$
    SELECT dossier_json(d) || jsonb_build_object(
        'received_at', cong_local_iso(d.received_at),
        'decided_at', cong_local_iso(d.decided_at),
        'completed_at', cong_local_iso(d.completed_at),
        'result_sha256', d.result_sha256,
        'form', d.form,
        'timeline', coalesce((
            SELECT jsonb_agg(jsonb_build_object(
                       'version', e.version, 'at', cong_local_iso(e.at), 'actor_role', e.actor_role,
                       'actor', CASE WHEN e.actor_role = 'citizen' THEN e.actor END,
                       'action', e.action, 'from_status', e.from_status, 'to_status', e.to_status, 'note', e.note)
                   ORDER BY e.version)
              FROM dossier_events e WHERE e.dossier_id = d.id), '[]'::jsonb),
        'attachments', coalesce((
            SELECT jsonb_agg(jsonb_build_object(
                       'position', a.position, 'name', a.name, 'upload_id', a.upload_id,
                       'wallet_document_id', a.wallet_document_id, 'sha256', a.sha256)
                   ORDER BY a.position)
              FROM dossier_attachments a WHERE a.dossier_id = d.id), '[]'::jsonb))
      FROM dossiers d
     WHERE d.code = p_code
       AND CASE WHEN p_units IS NULL THEN d.subject = p_subject ELSE d.unit_code = ANY (p_units) END
$$;

---------------------------------------------------------------------------------------------------------------------
-- catalog_search: the public catalog.
-- The query is folded (cong_fold: lower case, no diacritics, đ -> d) and split into words. A procedure matches when
-- its search_text (folded name_vi, name_en and code) contains every word, or when the whole query is trigram-close
-- to a part of it (q <% search_text, pg_trgm.word_similarity_threshold, 0.6 by default: tolerates typos).
-- Both conditions are answered by the gin index procedures_search_trgm (LIKE '%word%' on the longest word, and <%),
-- combined by a BitmapOr; the all-words test is then a recheck on the few candidate rows.
-- Rank: word_similarity desc, then the folded Vietnamese name equal to the query, then starting with it, then the
-- shorter name, then code. So "dang ky khai sinh" puts "Đăng ký khai sinh" before its variants ("... cấp lại").
-- Empty or NULL q lists by code. p_page from 1, p_page_size 1..100 (default 20).
CREATE FUNCTION catalog_search(p_q text, p_domain text, p_unit text, p_page integer, p_page_size integer)
    RETURNS jsonb
    LANGUAGE plpgsql STABLE AS $$
DECLARE
    q       text := btrim(regexp_replace(coalesce(cong_fold(p_q), ''), '\s+', ' ', 'g'));
    words   text[];
    longest text;
    size    integer := least(greatest(coalesce(p_page_size, 20), 1), 100);
    page    integer := greatest(coalesce(p_page, 1), 1);
    result  jsonb;
BEGIN
    IF q <> '' THEN
        -- LIKE patterns: the words are literal (%, _ and \ escaped)
        SELECT array_agg(replace(replace(replace(w, '\', '\\'), '%', '\%'), '_', '\_'))
          INTO words FROM regexp_split_to_table(q, ' ') AS w;
        SELECT w INTO longest FROM unnest(words) AS w ORDER BY length(w) DESC, w LIMIT 1;
    END IF;

    WITH hits AS (
        SELECT p.*,
               CASE WHEN q = '' THEN 0 ELSE word_similarity(q, p.search_text) END AS sim,
               cong_fold(p.name_vi) AS folded
          FROM procedures p
         WHERE (q = ''
                OR q <% p.search_text
                OR (p.search_text LIKE '%' || longest || '%'
                    AND p.search_text LIKE ALL (SELECT '%' || w || '%' FROM unnest(words) AS w)))
           AND (p_domain IS NULL OR p.domain = p_domain)
           AND (p_unit IS NULL OR EXISTS (SELECT 1 FROM procedure_units pu
                                           WHERE pu.procedure_code = p.code AND pu.unit_code = p_unit))
    ), ranked AS (
        SELECT h.*, count(*) OVER () AS total,
               row_number() OVER (ORDER BY h.sim DESC, (q <> '' AND h.folded = q) DESC,
                                           (q <> '' AND starts_with(h.folded, q)) DESC,
                                           CASE WHEN q <> '' THEN length(h.name_vi) END, h.code) AS rn
          FROM hits h
    )
    SELECT jsonb_build_object(
               'total', coalesce(max(r.total), 0),
               'page', page,
               'page_size', size,
               'items', coalesce(jsonb_agg(jsonb_build_object(
                            'code', r.code, 'name_vi', r.name_vi, 'name_en', r.name_en, 'domain', r.domain,
                            'level', r.level, 'fee_vnd', r.fee_vnd, 'processing_days', r.processing_days,
                            'min_loa', r.min_loa, 'online_level', r.online_level) ORDER BY r.rn)
                        FILTER (WHERE r.rn > (page - 1) * size AND r.rn <= page * size), '[]'::jsonb))
      INTO result
      FROM ranked r;
    RETURN result;
END $$;

-- procedure_view: every column of the procedure but search_text, its domain's names and the units that handle it.
CREATE FUNCTION procedure_view(p_code text) RETURNS jsonb
    LANGUAGE sql STABLE AS $$
    SELECT (to_jsonb(p) - 'search_text') || jsonb_build_object(
               'domain_name_vi', dm.name_vi,
               'domain_name_en', dm.name_en,
               'units', coalesce((SELECT jsonb_agg(jsonb_build_object('code', u.code, 'name', u.name) ORDER BY u.code)
                                    FROM procedure_units pu JOIN units u ON u.code = pu.unit_code
                                   WHERE pu.procedure_code = p.code), '[]'::jsonb))
      FROM procedures p JOIN domains dm ON dm.code = p.domain
     WHERE p.code = p_code
$$;

---------------------------------------------------------------------------------------------------------------------
-- KPIs per unit for one ISO week, Monday to Sunday in local time. p_week_start is normalised to the Monday of its
-- week. With t0 = local midnight starting Monday and t1 = local midnight after Sunday (t1 = t0 + 7 days):
--   received           submitted_at in [t0, t1), whatever happened since (withdrawn dossiers included).
--   completed_on_time  completed_at in [t0, t1) and the local day of completed_at <= due_date.
--   completed_late     completed_at in [t0, t1) and the local day of completed_at >  due_date.
--   open at t1         submitted_at < t1, not completed at t1 (completed_at NULL or >= t1), status <> 'withdrawn'.
--     overdue          open at t1 and due_date <= Sunday of the week: its last day has passed by t1, so completing
--                      it would count late (the same rule as completed_late).
--     in_progress      open at t1 and due_date >  Sunday of the week.
--   on_time_rate       100 * on_time / (on_time + late), one decimal; NULL when nothing was completed.
-- A dossier with completed_at is never withdrawn (withdraw applies to 'submitted' only; completed_at is set by
-- issue_result), so the completed-after-the-week branch does not test the status.
-- Withdrawal is judged by the current status (there is no withdrawn_at): a dossier withdrawn after the week no longer
-- counts as open for that week. Only units with a non-zero figure are listed.
--
-- Plan, measured on PostgreSQL 15 with 2,000,000 dossiers spread evenly over 141 units and 700 days (80 % completed,
-- 10 % open, 10 % withdrawn; ~200,000 open now), table vacuumed, warm cache: a nested loop over units; for each unit
-- four index-only scans, no heap access, no sequential scan of dossiers:
--   received            dossiers_unit_submitted (unit_code, submitted_at), range [t0, t1)
--   completed in week   dossiers_unit_completed_kpi (unit_code, completed_at) INCLUDE (due_date, submitted_at)
--   open now            dossiers_open_kpi (unit_code, due_date) INCLUDE (submitted_at), partial: open ones only
--   completed after t1  dossiers_unit_completed_kpi, range [t1, ...)
-- Measured: ~70 ms for the latest week, ~400 ms for a week 17 months back (the "completed after t1" branch reads every
-- completion since: the cost grows with the age of the week, not with the table). Before the covering indexes, the
-- "open now" branch read one heap page per open dossier: 4 to 7 s.
CREATE FUNCTION kpi_units(p_week_start date)
    RETURNS TABLE (unit_code text, unit_name text, received bigint, completed_on_time bigint, completed_late bigint,
                   in_progress bigint, overdue bigint, on_time_rate numeric)
    LANGUAGE plpgsql STABLE AS $$
DECLARE
    -- computed once: inlined into the query, these expressions would be evaluated again on every row
    monday   date := p_week_start - (extract(isodow FROM p_week_start)::int - 1);
    last_day date := monday + 6;
    t0       timestamptz := cong_local_midnight(monday);
    t1       timestamptz := cong_local_midnight(monday + 7);
BEGIN
    RETURN QUERY
    WITH per_unit AS (
        SELECT u.code, u.name, r.received, c.on_time, c.late, o.in_progress, o.overdue
          FROM units u
         CROSS JOIN LATERAL (
                SELECT count(*) AS received FROM dossiers d
                 WHERE d.unit_code = u.code AND d.submitted_at >= t0 AND d.submitted_at < t1) r
         CROSS JOIN LATERAL (
                -- local day of completed_at <= due_date  <=>  completed_at < local midnight after due_date
                SELECT count(*) FILTER (WHERE d.completed_at < cong_local_midnight(d.due_date + 1)) AS on_time,
                       count(*) FILTER (WHERE d.completed_at >= cong_local_midnight(d.due_date + 1)) AS late
                  FROM dossiers d
                 WHERE d.unit_code = u.code AND d.completed_at >= t0 AND d.completed_at < t1) c
         CROSS JOIN LATERAL (
                SELECT count(*) FILTER (WHERE x.due_date > last_day) AS in_progress,
                       count(*) FILTER (WHERE x.due_date <= last_day) AS overdue
                  FROM (SELECT d.due_date FROM dossiers d          -- open now (dossiers_open_kpi)
                         WHERE d.unit_code = u.code AND d.completed_at IS NULL AND d.status <> 'withdrawn'
                           AND d.submitted_at < t1
                        UNION ALL
                        SELECT d.due_date FROM dossiers d          -- completed after the week (never withdrawn)
                         WHERE d.unit_code = u.code AND d.completed_at >= t1
                           AND d.submitted_at < t1) x) o
    )
    SELECT p.code, p.name, p.received, p.on_time, p.late, p.in_progress, p.overdue,
           CASE WHEN p.on_time + p.late > 0 THEN round(100.0 * p.on_time / (p.on_time + p.late), 1) END
      FROM per_unit p
     WHERE p.received + p.on_time + p.late + p.in_progress + p.overdue > 0
     ORDER BY p.code;
END $$;

-- The units of kpi_units that need attention: reasons 'overdue' (overdue > 0) and/or 'below_threshold'
-- (on_time_rate < p_min_rate; a unit that completed nothing has no rate and is never below the threshold).
CREATE FUNCTION kpi_late_units(p_week_start date, p_min_rate numeric)
    RETURNS TABLE (unit_code text, unit_name text, received bigint, completed_on_time bigint, completed_late bigint,
                   in_progress bigint, overdue bigint, on_time_rate numeric, reasons text[])
    LANGUAGE sql STABLE AS $$
    SELECT k.*, array_remove(ARRAY[CASE WHEN k.overdue > 0 THEN 'overdue' END,
                                   CASE WHEN k.on_time_rate < p_min_rate THEN 'below_threshold' END], NULL)
      FROM kpi_units(p_week_start) k
     WHERE k.overdue > 0 OR k.on_time_rate < p_min_rate
     ORDER BY k.unit_code
$$;

-- City-wide on-time rate for p_weeks ISO weeks, the last one being the week of p_until, oldest first. Same rules as
-- kpi_units (completed in the week, on time when the local day of completion <= due_date). Weeks without
-- completions are listed with zeros and a NULL rate. One index-only range scan of dossiers_completed_at over the whole
-- span (measured with the data set of kpi_units: ~0.5 s for 12 weeks holding ~190,000 completions).
CREATE FUNCTION kpi_trend(p_weeks integer, p_until date)
    RETURNS TABLE (week_start date, iso_week text, completed_on_time bigint, completed_late bigint,
                   on_time_rate numeric)
    LANGUAGE sql STABLE AS $$
    WITH weeks AS (
        SELECT (date_trunc('week', p_until)::date - 7 * n) AS ws
          FROM generate_series(0, greatest(p_weeks, 1) - 1) AS n
    ), done AS (
        SELECT date_trunc('week', cong_local_date(d.completed_at))::date AS ws,
               count(*) FILTER (WHERE cong_local_date(d.completed_at) <= d.due_date) AS on_time,
               count(*) FILTER (WHERE cong_local_date(d.completed_at) > d.due_date) AS late
          FROM dossiers d
         WHERE d.completed_at >= cong_local_midnight((SELECT min(ws) FROM weeks))
           AND d.completed_at < cong_local_midnight((SELECT max(ws) FROM weeks) + 7)
         GROUP BY 1
    )
    SELECT w.ws, to_char(w.ws, 'IYYY-"W"IW'), coalesce(d.on_time, 0), coalesce(d.late, 0),
           CASE WHEN coalesce(d.on_time, 0) + coalesce(d.late, 0) > 0
                THEN round(100.0 * d.on_time / (d.on_time + d.late), 1) END
      FROM weeks w LEFT JOIN done d ON d.ws = w.ws
     ORDER BY w.ws
$$;

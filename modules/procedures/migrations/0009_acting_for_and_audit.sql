-- procedures 0009: acting for someone under a mandate (gateway migration 0006), and the audit log (gateway 0005).
-- A dossier and every event of its timeline record both parties: whose affairs (dossiers.subject, the applicant) and
-- who acted (dossiers.submitted_by, dossier_events.actor: the grantee when acting for the applicant), with the mandate
-- used (mandate_id; NULL when acting for oneself). A use of a mandate (submit, supplement, withdraw) is counted by
-- cong_mandate_use in the same transaction as what it wrote, and nothing is written when it is refused. Officials'
-- actions on a dossier are written to the audit log (cong_audit) in the transaction of the transition.

ALTER TABLE dossiers ADD COLUMN mandate_id uuid;
ALTER TABLE dossier_events ADD COLUMN mandate_id uuid;

---------------------------------------------------------------------------------------------------------------------
-- Why a use of mandate p_mandate was refused (cong_mandate_use answered p_answer), as a problem body that names what
-- is missing: mandate-does-not-cover {missing: action | procedure}, mandate-not-active {missing: mandate | status |
-- time | parent}, mandate-used-up {missing: uses, max_uses}.
CREATE FUNCTION dossier_mandate_problem(p_answer text, p_mandate uuid, p_action text, p_procedure text,
                                        p_domain text) RETURNS jsonb
    LANGUAGE plpgsql STABLE AS $$
DECLARE
    m mandates;
BEGIN
    SELECT * INTO m FROM mandates WHERE id = p_mandate;
    IF p_answer = 'not-found' OR NOT FOUND THEN
        RETURN jsonb_build_object('problem', 'mandate-not-active', 'missing', 'mandate');
    END IF;
    -- 'used-up': this mandate or one it was delegated from has no use left (a used_up status included)
    IF p_answer = 'used-up' OR (p_answer = 'not-active' AND m.status = 'used_up') THEN
        RETURN jsonb_build_object('problem', 'mandate-used-up', 'missing', 'uses', 'max_uses', m.max_uses);
    END IF;
    IF p_answer = 'not-covered' THEN
        IF NOT (p_action = ANY (m.actions)) THEN
            RETURN jsonb_build_object('problem', 'mandate-does-not-cover', 'missing', 'action', 'action', p_action);
        END IF;
        RETURN jsonb_build_object('problem', 'mandate-does-not-cover', 'missing', 'procedure',
                                  'procedure_code', p_procedure, 'domain', p_domain);
    END IF;
    IF m.status <> 'active' THEN
        RETURN jsonb_build_object('problem', 'mandate-not-active', 'missing', 'status', 'status', m.status);
    END IF;
    IF now() < m.valid_from OR (m.valid_until IS NOT NULL AND now() > m.valid_until) THEN
        RETURN jsonb_build_object('problem', 'mandate-not-active', 'missing', 'time',
                                  'valid_from', cong_local_iso(m.valid_from),
                                  'valid_until', cong_local_iso(m.valid_until));
    END IF;
    RETURN jsonb_build_object('problem', 'mandate-not-active', 'missing', 'parent'); -- a parent mandate ended
END $$;

-- One use of mandate p_mandate by its grantee p_actor, for p_subject (who must be its grantor), for p_action on
-- p_object, a dossier of procedure p_procedure in domain p_domain: NULL when counted (cong_mandate_use wrote the audit
-- record 'mandate.use'), else the problem body. Runs in the caller's transaction.
CREATE FUNCTION dossier_mandate_use(p_mandate uuid, p_subject text, p_actor text, p_action text, p_procedure text,
                                    p_domain text, p_object text, p_request_id text) RETURNS jsonb
    LANGUAGE plpgsql AS $$
DECLARE
    answer text := 'not-found';
BEGIN
    -- the token names the grantor; the mandate must be theirs (defence in depth: cong signed the token)
    IF EXISTS (SELECT 1 FROM mandates WHERE id = p_mandate AND grantor = p_subject) THEN
        answer := cong_mandate_use(p_mandate, p_actor, p_action, p_procedure, p_domain, p_object, p_request_id,
                                   'procedures');
    END IF;
    IF answer = 'ok' THEN
        RETURN NULL;
    END IF;
    RETURN dossier_mandate_problem(answer, p_mandate, p_action, p_procedure, p_domain);
END $$;

-- Whether mandate p_mandate covers procedure p_procedure of domain p_domain (NULL: one's own affairs, everything is).
-- What lists filter on, so that a page holds only what a grantee may see; a single dossier is checked against the
-- token's copy of the scope (api->mandate_covers).
CREATE FUNCTION dossier_mandate_scope(p_mandate uuid, p_procedure text, p_domain text) RETURNS boolean
    LANGUAGE sql STABLE
    RETURN p_mandate IS NULL OR EXISTS (SELECT 1 FROM mandates m WHERE m.id = p_mandate
                                           AND (p_procedure = ANY (m.procedures) OR p_domain = ANY (m.domains)));

---------------------------------------------------------------------------------------------------------------------
-- 0003's dossier_record_version, its event now naming the mandate the actor used.
DROP FUNCTION dossier_record_version(dossiers, text, text, text, text, text, text);
CREATE FUNCTION dossier_record_version(d dossiers, p_actor text, p_role text, p_action text, p_from text,
                                       p_note text, p_request_id text, p_mandate_id uuid DEFAULT NULL) RETURNS void
    LANGUAGE plpgsql AS $$
DECLARE
    happened timestamptz := now();
BEGIN
    INSERT INTO dossier_events (dossier_id, version, at, actor, actor_role, action, from_status, to_status, note,
                                request_id, mandate_id)
    VALUES (d.id, d.version, happened, p_actor, p_role, p_action, p_from, d.status, p_note, p_request_id,
            p_mandate_id);

    INSERT INTO portal_outbox (dossier_id, dossier_code, version, payload)
    VALUES (d.id, d.code, d.version, jsonb_build_object(
        'dossier_code', d.code, 'version', d.version, 'status', d.status,
        'procedure_code', d.procedure_code, 'unit_code', d.unit_code,
        'submitted_at', cong_local_iso(d.submitted_at), 'due_date', to_char(d.due_date, 'YYYY-MM-DD'),
        'at', cong_local_iso(happened), 'action', p_action));

    INSERT INTO push_outbox (subject, topic, payload)
    VALUES (d.subject, 'dossier.status', jsonb_build_object('code', d.code, 'status', d.status, 'version', d.version));
END $$;

---------------------------------------------------------------------------------------------------------------------
-- 0003's dossier_submit, and p_mandate_id: p_submitted_by files for p_subject under that mandate (one use, counted
-- once the dossier is known valid, before it is written; refused: 403 with dossier_mandate_problem's body, nothing
-- written). An idempotent replay counts no use.
DROP FUNCTION dossier_submit(text, text, text, text, text, text, jsonb, jsonb, text);
CREATE FUNCTION dossier_submit(p_subject text, p_submitted_by text, p_idem_key text, p_request_hash text,
                               p_procedure text, p_unit text, p_form jsonb, p_attachments jsonb, p_request_id text,
                               p_mandate_id uuid DEFAULT NULL)
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
    v_code   text;
    refused  jsonb;
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

    v_code := 'HN-' || extract(year FROM now() AT TIME ZONE 'Asia/Ho_Chi_Minh')::int || '-'
              || lpad(nextval('dossier_number_seq')::text, 7, '0');
    -- acting under a mandate: one use, counted before anything is written (nothing is, when it is refused)
    IF p_mandate_id IS NOT NULL THEN
        refused := dossier_mandate_use(p_mandate_id, p_subject, p_submitted_by, 'submit', p.code, p.domain,
                                       'dossier:' || v_code, p_request_id);
        IF refused IS NOT NULL THEN
            DELETE FROM idempotency_keys WHERE claimed AND subject = p_subject AND key = p_idem_key;
            RETURN QUERY SELECT 403, refused, false;
            RETURN;
        END IF;
    END IF;

    INSERT INTO dossiers (code, procedure_code, unit_code, subject, submitted_by, mandate_id, status, version, form,
                          fee_vnd, submitted_at, due_date, updated_at)
    VALUES (v_code, p.code, p_unit, p_subject, p_submitted_by, p_mandate_id, 'submitted', 1,
            coalesce(p_form, '{}'::jsonb), p.fee_vnd, now(), cong_add_working_days(now(), p.processing_days), now())
    RETURNING * INTO d;

    INSERT INTO dossier_attachments (dossier_id, position, name, upload_id, wallet_document_id, sha256)
    SELECT d.id, r.ord - 1, r.a ->> 'name', (r.a ->> 'upload_id')::uuid, (r.a ->> 'wallet_document_id')::uuid,
           r.a ->> 'sha256'
      FROM jsonb_array_elements(resolved) WITH ORDINALITY AS r (a, ord);

    PERFORM dossier_record_version(d, p_submitted_by, 'citizen', 'submit', NULL, NULL, p_request_id, p_mandate_id);

    answer := dossier_json(d);
    IF claimed THEN
        UPDATE idempotency_keys SET status = 201, response = answer WHERE subject = p_subject AND key = p_idem_key;
    END IF;
    RETURN QUERY SELECT 201, answer, false;
END $$;

---------------------------------------------------------------------------------------------------------------------
-- 0003's dossier_transition, and two parties. For a citizen, p_actor is who acts and p_subject whose dossier it is
-- (NULL: p_actor's own); acting under mandate p_mandate_id, a dossier outside its scope is 404 (not the grantee's to
-- see) and the action is one use of it, counted in this transaction (refused: 403, nothing written). An official's
-- action writes the audit record 'dossier.<action>' (subject: the applicant) in this transaction.
DROP FUNCTION dossier_transition(text, text, text, text, text, text[], jsonb, text);
CREATE FUNCTION dossier_transition(p_code text, p_actor text, p_role text, p_action text, p_note text,
                                   p_units text[], p_result jsonb, p_request_id text,
                                   p_subject text DEFAULT NULL, p_mandate_id uuid DEFAULT NULL)
    RETURNS TABLE (http_status integer, body jsonb)
    LANGUAGE plpgsql AS $$
DECLARE
    d      dossiers;
    p      procedures;
    rule   dossier_transitions;
    errors jsonb := '[]'::jsonb;
    f      text;
    v_domain text;
    refused jsonb;
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
       OR (p_role = 'citizen' AND d.subject IS DISTINCT FROM coalesce(p_subject, p_actor))
       OR (p_role = 'official' AND NOT (d.unit_code = ANY (coalesce(p_units, '{}')))) THEN
        RETURN QUERY SELECT 404, '{"problem":"not-found"}'::jsonb;
        RETURN;
    END IF;

    SELECT pr.domain INTO v_domain FROM procedures pr WHERE pr.code = d.procedure_code;
    IF p_role = 'citizen' AND p_mandate_id IS NOT NULL
       AND NOT dossier_mandate_scope(p_mandate_id, d.procedure_code, v_domain) THEN
        RETURN QUERY SELECT 404, '{"problem":"not-found"}'::jsonb;  -- outside the mandate: not the grantee's to see
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

    IF p_role = 'citizen' AND p_mandate_id IS NOT NULL THEN
        refused := dossier_mandate_use(p_mandate_id, d.subject, p_actor, 'submit', d.procedure_code, v_domain,
                                       'dossier:' || d.code, p_request_id);
        IF refused IS NOT NULL THEN
            RETURN QUERY SELECT 403, refused;
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

    PERFORM dossier_record_version(d, p_actor, p_role, p_action, rule.from_status, p_note, p_request_id,
                                   p_mandate_id);
    IF p_role = 'official' THEN
        PERFORM cong_audit('procedures', p_actor, 'official', d.subject, 'dossier.' || p_action, 'dossier:' || d.code,
                           p_request_id, jsonb_build_object('unit', d.unit_code, 'from_status', rule.from_status,
                                                            'to_status', d.status));
    END IF;
    RETURN QUERY SELECT 200, dossier_json(d);
END $$;

---------------------------------------------------------------------------------------------------------------------
-- 0003's dossier_view, naming who acted: submitted_by and mandate_id of the dossier, mandate_id of each event (an
-- event's actor is shown for citizen events, as before: the applicant, or the grantee who acted in their name).
CREATE OR REPLACE FUNCTION dossier_view(p_code text, p_subject text, p_units text[]) RETURNS jsonb
    LANGUAGE sql STABLE AS $$
    SELECT dossier_json(d) || jsonb_build_object(
        'received_at', cong_local_iso(d.received_at),
        'decided_at', cong_local_iso(d.decided_at),
        'completed_at', cong_local_iso(d.completed_at),
        'result_sha256', d.result_sha256,
        'form', d.form,
        'submitted_by', d.submitted_by,
        'mandate_id', d.mandate_id,
        'timeline', coalesce((
            SELECT jsonb_agg(jsonb_build_object(
                       'version', e.version, 'at', cong_local_iso(e.at), 'actor_role', e.actor_role,
                       'actor', CASE WHEN e.actor_role = 'citizen' THEN e.actor END,
                       'mandate_id', e.mandate_id,
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

-- procedures 0010: dossiers that wait for their fee (issue 13, paid through modules/payments).
-- A procedure's fee (procedures.fee_vnd) is due at submission (fee_stage 'submission', the default) or with the
-- result ('result'). A dossier of a fee-bearing procedure due at submission is filed as 'awaiting_payment': the unit
-- cannot receive it (receive is only from 'submitted'), the citizen may withdraw it, and its working days start when
-- it is paid. dossier_fee_paid, called by the payments module's SQL in the payment's transaction, moves it on; a fee
-- due with the result lets the unit work but not issue the result (409 payment-required) until it is paid. The fee
-- charged is the one at filing (dossiers.fee_vnd, fee_stage), whatever the catalog says later.

ALTER TABLE procedures ADD COLUMN fee_stage text NOT NULL DEFAULT 'submission'
    CHECK (fee_stage IN ('submission', 'result'));
ALTER TABLE dossiers ADD COLUMN fee_stage text NOT NULL DEFAULT 'submission'
    CHECK (fee_stage IN ('submission', 'result'));
ALTER TABLE dossiers ADD COLUMN paid_at timestamptz;   -- when its fee was paid (NULL: unpaid, or nothing to pay)
ALTER TABLE dossiers DROP CONSTRAINT dossiers_status_check;
ALTER TABLE dossiers ADD CONSTRAINT dossiers_status_check CHECK (status IN ('awaiting_payment', 'submitted',
    'received', 'processing', 'supplement_requested', 'supplement_submitted', 'approved', 'rejected', 'result_issued',
    'completed', 'withdrawn'));

-- The wallet keeps the receipts of fees paid online too (filed by the payments module, signed like results).
ALTER TABLE wallet_documents DROP CONSTRAINT wallet_documents_kind_check;
ALTER TABLE wallet_documents ADD CONSTRAINT wallet_documents_kind_check CHECK (kind IN ('result', 'verified',
    'receipt'));

INSERT INTO dossier_transitions (from_status, action, to_status, actor_role) VALUES
    ('awaiting_payment', 'withdraw', 'withdrawn', 'citizen');

---------------------------------------------------------------------------------------------------------------------
-- 0009's dossier_submit: a fee due at submission files the dossier as 'awaiting_payment'.
CREATE OR REPLACE FUNCTION dossier_submit(p_subject text, p_submitted_by text, p_idem_key text, p_request_hash text,
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

    -- a fee due at submission: filed, but the unit cannot receive it before it is paid (dossier_fee_paid)
    INSERT INTO dossiers (code, procedure_code, unit_code, subject, submitted_by, mandate_id, status, version, form,
                          fee_vnd, fee_stage, submitted_at, due_date, updated_at)
    VALUES (v_code, p.code, p_unit, p_subject, p_submitted_by, p_mandate_id,
            CASE WHEN p.fee_vnd > 0 AND p.fee_stage = 'submission' THEN 'awaiting_payment' ELSE 'submitted' END, 1,
            coalesce(p_form, '{}'::jsonb), p.fee_vnd, p.fee_stage, now(),
            cong_add_working_days(now(), p.processing_days), now())
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
-- 0009's dossier_transition: issue_result waits for a fee due with the result (409 payment-required).
CREATE OR REPLACE FUNCTION dossier_transition(p_code text, p_actor text, p_role text, p_action text, p_note text,
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

    IF p_action = 'issue_result' AND d.fee_stage = 'result' AND d.fee_vnd > 0 AND d.paid_at IS NULL THEN
        RETURN QUERY SELECT 409, jsonb_build_object('problem', 'payment-required', 'current_status', d.status,
                                                    'fee_vnd', d.fee_vnd);
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
-- The fee of dossier p_code was paid by payment p_payment_id (the payments module's payment_apply_result, in its
-- transaction). Answers what happened, for the payment's record:
--   'submitted'     it was awaiting its fee: now 'submitted', its due date counted again from now (the unit's clock
--                   starts when it can work), event 'pay' by 'system', portal outbox row, push 'dossier.status'
--   'recorded'      a fee due with the result: paid_at set and the event recorded, the status unchanged
--   'already-paid'  its fee was paid before (money received twice: the caller alarms, to refund)
--   'not-payable'   withdrawn, or nothing to pay (the caller alarms, to refund)
--   'not-found'
CREATE FUNCTION dossier_fee_paid(p_code text, p_payment_id uuid, p_request_id text) RETURNS text
    LANGUAGE plpgsql AS $$
DECLARE
    d      dossiers;
    v_from text;
    v_days integer;
BEGIN
    SELECT * INTO d FROM dossiers WHERE code = p_code FOR UPDATE;
    IF NOT FOUND THEN
        RETURN 'not-found';
    END IF;
    IF d.paid_at IS NOT NULL THEN
        RETURN 'already-paid';
    END IF;
    IF d.fee_vnd <= 0 OR d.status = 'withdrawn'
       OR (d.fee_stage = 'submission' AND d.status <> 'awaiting_payment') THEN
        RETURN 'not-payable';
    END IF;
    v_from := d.status;
    SELECT processing_days INTO v_days FROM procedures WHERE code = d.procedure_code;
    UPDATE dossiers SET
        status     = CASE WHEN status = 'awaiting_payment' THEN 'submitted' ELSE status END,
        due_date   = CASE WHEN status = 'awaiting_payment' THEN cong_add_working_days(now(), v_days)
                          ELSE due_date END,
        paid_at    = now(),
        version    = version + 1,
        updated_at = now()
     WHERE id = d.id
    RETURNING * INTO d;
    PERFORM dossier_record_version(d, 'system', 'system', 'pay', v_from, 'payment:' || p_payment_id, p_request_id);
    RETURN CASE WHEN v_from = 'awaiting_payment' THEN 'submitted' ELSE 'recorded' END;
END $$;

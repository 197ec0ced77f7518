-- payments 0002: the functions that change payments (issue 13). Each runs in the caller's transaction (one statement
-- = one transaction when called alone): the payment, its audit records (cong_audit), its outbox rows and the dossier's
-- own change (dossier_fee_paid, procedures 0010) are written together or not at all. Answers are (http_status, body)
-- pairs as in the procedures module: a body with "problem" becomes problem+json in payments.c.

-- The signed receipt filed in the payer's wallet when a payment succeeds (wallet_documents kind 'receipt').
ALTER TABLE payments ADD COLUMN receipt_id uuid REFERENCES wallet_documents (id);
ALTER TABLE payments ADD COLUMN receipt_signature text;

-- The public shape of a payment (POST's and GET's answer; POST adds redirect_url).
CREATE FUNCTION payment_json(p payments) RETURNS jsonb
    LANGUAGE sql STABLE
    RETURN jsonb_build_object(
        'id', p.id, 'dossier_code', p.dossier_code, 'provider', p.provider, 'amount_vnd', p.amount_vnd,
        'state', p.state, 'finished', p.finished_at IS NOT NULL,
        'created_at', cong_local_iso(p.created_at), 'expires_at', cong_local_iso(p.expires_at));

-- payment_create: an intent to pay dossier p_code's fee through p_provider, by p_actor for p_subject (the applicant;
-- p_actor = p_subject for one's own dossier, else the grantee acting under mandate p_mandate_id, one 'pay' use of it
-- counted here). The amount is the dossier's fee at filing (dossiers.fee_vnd), never the client's. Idempotency-Key
-- per caller (p_actor): the same key with the same body answers the first answer again (replayed true), with another
-- body 422 idempotency-key-reused; the key is claimed first (idempotency_keys, namespaced 'payments:') so one key
-- never makes two intents. The answer carries what payments.c needs to build the provider's URL (txn_ref, order_info,
-- client_ip, created_epoch, expires_epoch), which it removes from the reply.
CREATE FUNCTION payment_create(p_actor text, p_subject text, p_mandate_id uuid, p_idem_key text, p_request_hash text,
                               p_code text, p_provider text, p_client_ip text, p_ttl_s integer, p_request_id text)
    RETURNS TABLE (http_status integer, body jsonb, replayed boolean)
    LANGUAGE plpgsql AS $$
DECLARE
    v_key    text := 'payments:' || p_idem_key;
    claimed  boolean := false;
    k        idempotency_keys;
    d        dossiers;
    v_domain text;
    answer   text;
    refused  jsonb;
    pay      payments;
    v_out    jsonb;
BEGIN
    IF p_idem_key IS NOT NULL THEN
        INSERT INTO idempotency_keys (subject, key, request_hash, status, response)
        VALUES (p_actor, v_key, p_request_hash, 0, '{}'::jsonb)
        ON CONFLICT (subject, key) DO NOTHING
        RETURNING true INTO claimed;
        IF NOT coalesce(claimed, false) THEN
            SELECT * INTO k FROM idempotency_keys WHERE subject = p_actor AND key = v_key;
            IF k.request_hash IS DISTINCT FROM p_request_hash THEN
                RETURN QUERY SELECT 422, '{"problem":"idempotency-key-reused"}'::jsonb, false;
            ELSE
                RETURN QUERY SELECT k.status, k.response, true;
            END IF;
            RETURN;
        END IF;
    END IF;

    SELECT * INTO d FROM dossiers WHERE code = p_code FOR UPDATE;
    SELECT pr.domain INTO v_domain FROM procedures pr WHERE pr.code = d.procedure_code;
    IF d.id IS NULL OR d.subject IS DISTINCT FROM p_subject
       OR NOT dossier_mandate_scope(p_mandate_id, d.procedure_code, v_domain) THEN
        DELETE FROM idempotency_keys WHERE claimed AND subject = p_actor AND key = v_key;
        RETURN QUERY SELECT 404, '{"problem":"not-found"}'::jsonb, false;
        RETURN;
    END IF;
    IF NOT (d.status = 'awaiting_payment'
            OR (d.fee_stage = 'result' AND d.fee_vnd > 0 AND d.paid_at IS NULL AND d.status <> 'withdrawn')) THEN
        DELETE FROM idempotency_keys WHERE claimed AND subject = p_actor AND key = v_key;
        RETURN QUERY SELECT 409, jsonb_build_object('problem', 'invalid-transition', 'current_status', d.status,
                                                    'action', 'pay'), false;
        RETURN;
    END IF;

    pay.id := gen_random_uuid();
    IF p_mandate_id IS NOT NULL THEN -- one 'pay' use, counted before anything is written
        answer := 'not-found';
        IF EXISTS (SELECT 1 FROM mandates WHERE id = p_mandate_id AND grantor = p_subject) THEN
            answer := cong_mandate_use(p_mandate_id, p_actor, 'pay', d.procedure_code, v_domain,
                                       'payment:' || pay.id, p_request_id, 'payments');
        END IF;
        IF answer <> 'ok' THEN
            DELETE FROM idempotency_keys WHERE claimed AND subject = p_actor AND key = v_key;
            refused := dossier_mandate_problem(answer, p_mandate_id, 'pay', d.procedure_code, v_domain);
            RETURN QUERY SELECT 403, refused, false;
            RETURN;
        END IF;
    END IF;

    INSERT INTO payments (id, dossier_code, subject, paid_by, mandate_id, provider, amount_vnd, state, txn_ref,
                          order_info, client_ip, expires_at, idempotency_key, request_hash)
    VALUES (pay.id, d.code, d.subject, p_actor, p_mandate_id, p_provider, d.fee_vnd, 'created',
            upper(replace(pay.id::text, '-', '')), 'Thanh toan le phi ho so ' || d.code, p_client_ip,
            now() + make_interval(secs => p_ttl_s), p_idem_key, p_request_hash)
    RETURNING * INTO pay;
    PERFORM cong_audit('payments', p_actor, 'citizen', d.subject, 'payment.create', 'payment:' || pay.id,
                       p_request_id, jsonb_build_object('dossier', d.code, 'amount_vnd', pay.amount_vnd,
                                                        'provider', p_provider), p_mandate_id);

    v_out := payment_json(pay) || jsonb_build_object(
        'txn_ref', pay.txn_ref, 'order_info', pay.order_info, 'client_ip', pay.client_ip,
        'created_epoch', floor(extract(epoch FROM pay.created_at))::bigint,
        'expires_epoch', floor(extract(epoch FROM pay.expires_at))::bigint);
    IF claimed THEN
        UPDATE idempotency_keys SET status = 201, response = v_out WHERE subject = p_actor AND key = v_key;
    END IF;
    RETURN QUERY SELECT 201, v_out, false;
END $$;

-- An alarm someone must look at, with its audit record (the payment's subject), in the caller's transaction.
CREATE FUNCTION payment_alarm(pay payments, p_kind text, p_detail jsonb, p_request_id text) RETURNS void
    LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO payment_alarms (payment_id, kind, detail) VALUES (pay.id, p_kind, p_detail);
    PERFORM cong_audit('payments', 'system', 'system', pay.subject, 'payment.' || replace(p_kind, '-', '_'),
                       'payment:' || pay.id, p_request_id, p_detail || jsonb_build_object('dossier', pay.dossier_code));
END $$;

-- payment_apply_result: what a provider said about payment (p_provider, p_txn_ref) — an IPN or a querydr answer,
-- already verified by its signature in C — applied once, under the payment's row lock. p_outcome is 'success',
-- 'failed', 'cancelled' or 'expired' (querydr: pending or unknown past the expiry). p_receipt {payload, signature} is
-- the receipt C signed for a success (filed in the wallet only if this call applies the success). Answers the verdict
-- in the provider's terms, written with the callback in payment_callbacks:
--   '01' no such payment; '04' the amount is not the payment's (alarm 'amount-mismatch', nothing applied);
--   '02' already finished (a success for a payment we had closed otherwise: alarm 'late-success');
--   '00' applied: state, provider's codes, the dossier's fee (dossier_fee_paid; a dossier paid already or no longer
--        payable: alarm 'double-payment' / 'not-payable', to refund), the receipt, push 'payment.status' to the
--        applicant and the payer, audit 'payment.<state>'.
-- An expired payment still takes a success (the provider is the source of truth: the money was taken).
CREATE FUNCTION payment_apply_result(p_provider text, p_txn_ref text, p_amount_vnd bigint, p_outcome text,
                                     p_provider_txn text, p_bank_code text, p_response_code text,
                                     p_status_code text, p_paid_at timestamptz, p_raw jsonb, p_source text,
                                     p_remote_addr text, p_request_id text, p_receipt jsonb)
    RETURNS TABLE (verdict text, payment_id uuid, state text)
    LANGUAGE plpgsql AS $$
DECLARE
    pay     payments;
    fee     text;
    v_doc   uuid;
    v_name  text;
    v_name_en text;
    v_pushed jsonb;
BEGIN
    IF p_outcome NOT IN ('success', 'failed', 'cancelled', 'expired') THEN
        RAISE EXCEPTION 'payment_apply_result: unknown outcome %', p_outcome;
    END IF;
    SELECT * INTO pay FROM payments WHERE provider = p_provider AND txn_ref = p_txn_ref FOR UPDATE;
    IF NOT FOUND THEN
        INSERT INTO payment_callbacks (payment_id, provider, source, remote_addr, raw, verdict, request_id)
        VALUES (NULL, p_provider, p_source, p_remote_addr, p_raw, '01', p_request_id);
        RETURN QUERY SELECT '01', NULL::uuid, NULL::text;
        RETURN;
    END IF;
    IF p_outcome <> 'expired' AND p_amount_vnd IS DISTINCT FROM pay.amount_vnd THEN
        INSERT INTO payment_callbacks (payment_id, provider, source, remote_addr, raw, verdict, request_id)
        VALUES (pay.id, p_provider, p_source, p_remote_addr, p_raw, '04', p_request_id);
        PERFORM payment_alarm(pay, 'amount-mismatch', jsonb_build_object('expected_vnd', pay.amount_vnd,
                              'stated_vnd', p_amount_vnd, 'source', p_source), p_request_id);
        RETURN QUERY SELECT '04', pay.id, pay.state;
        RETURN;
    END IF;
    IF pay.finished_at IS NOT NULL AND NOT (pay.state = 'expired' AND p_outcome = 'success') THEN
        INSERT INTO payment_callbacks (payment_id, provider, source, remote_addr, raw, verdict, request_id)
        VALUES (pay.id, p_provider, p_source, p_remote_addr, p_raw, '02', p_request_id);
        IF p_outcome = 'success' AND pay.state <> 'success' THEN
            PERFORM payment_alarm(pay, 'late-success', jsonb_build_object('state', pay.state, 'source', p_source,
                                  'provider_txn', p_provider_txn), p_request_id);
        END IF;
        RETURN QUERY SELECT '02', pay.id, pay.state;
        RETURN;
    END IF;

    INSERT INTO payment_callbacks (payment_id, provider, source, remote_addr, raw, verdict, request_id)
    VALUES (pay.id, p_provider, p_source, p_remote_addr, p_raw, '00', p_request_id);
    UPDATE payments SET
        state         = p_outcome,
        finished_at   = now(),
        started_at    = coalesce(started_at, CASE WHEN p_outcome <> 'expired' THEN now() END),
        provider_txn  = coalesce(nullif(p_provider_txn, ''), provider_txn),
        bank_code     = coalesce(nullif(p_bank_code, ''), bank_code),
        response_code = coalesce(p_response_code, response_code),
        status_code   = coalesce(p_status_code, status_code),
        paid_at       = CASE WHEN p_outcome = 'success' THEN coalesce(p_paid_at, now()) END,
        settled_by    = CASE WHEN p_outcome = 'expired' THEN 'expiry' ELSE p_source END
     WHERE id = pay.id
    RETURNING * INTO pay;

    IF p_outcome = 'success' THEN
        fee := dossier_fee_paid(pay.dossier_code, pay.id, p_request_id);
        IF fee IN ('already-paid', 'not-payable', 'not-found') THEN
            PERFORM payment_alarm(pay, CASE fee WHEN 'already-paid' THEN 'double-payment' ELSE 'not-payable' END,
                                  jsonb_build_object('dossier_answer', fee, 'amount_vnd', pay.amount_vnd),
                                  p_request_id);
        END IF;
        IF p_receipt IS NOT NULL THEN
            SELECT pr.name_vi, pr.name_en INTO v_name, v_name_en
              FROM dossiers d JOIN procedures pr ON pr.code = d.procedure_code WHERE d.code = pay.dossier_code;
            v_doc := gen_random_uuid();
            INSERT INTO wallet_documents (id, owner, kind, title_vi, title_en, sha256, media_type, dossier_code,
                                          signature)
            VALUES (v_doc, pay.subject, 'receipt', 'Biên lai: ' || coalesce(v_name, pay.dossier_code),
                    'Receipt: ' || coalesce(v_name_en, pay.dossier_code),
                    encode(sha256(convert_to(p_receipt ->> 'payload', 'UTF8')), 'hex'), 'application/jose',
                    pay.dossier_code, p_receipt ->> 'signature');
            UPDATE payments SET receipt_id = v_doc, receipt_signature = p_receipt ->> 'signature' WHERE id = pay.id
            RETURNING * INTO pay;
        END IF;
    END IF;

    v_pushed := jsonb_build_object('id', pay.id, 'dossier_code', pay.dossier_code, 'state', pay.state,
                                   'amount_vnd', pay.amount_vnd);
    INSERT INTO push_outbox (subject, topic, payload) VALUES (pay.subject, 'payment.status', v_pushed);
    IF pay.paid_by <> pay.subject THEN
        INSERT INTO push_outbox (subject, topic, payload) VALUES (pay.paid_by, 'payment.status', v_pushed);
    END IF;
    PERFORM cong_audit('payments', 'system', 'system', pay.subject, 'payment.' || pay.state, 'payment:' || pay.id,
                       p_request_id, jsonb_build_object('dossier', pay.dossier_code, 'amount_vnd', pay.amount_vnd,
                                                        'source', p_source, 'response_code', p_response_code,
                                                        'dossier_answer', fee));
    RETURN QUERY SELECT '00', pay.id, pay.state;
END $$;

-- A callback refused before any payment was looked at (a signature that does not verify, a malformed query): kept
-- for disputes, with what cong answered.
CREATE FUNCTION payment_callback_refused(p_provider text, p_source text, p_remote_addr text, p_raw jsonb,
                                         p_verdict text, p_request_id text) RETURNS void
    LANGUAGE sql
    BEGIN ATOMIC
        INSERT INTO payment_callbacks (payment_id, provider, source, remote_addr, raw, verdict, request_id)
        VALUES (NULL, p_provider, p_source, p_remote_addr, p_raw, p_verdict, p_request_id);
    END;

-- One payment as its viewer may see it: whoever paid it (p_actor), the applicant (p_subject; a grantee acting under
-- mandate p_mandate only for a dossier the mandate covers), or an official of the dossier's unit (p_units: the
-- caller's units, user_roles); NULL otherwise. With the receipt's wallet id and signature once paid.
CREATE FUNCTION payment_view(p_id uuid, p_actor text, p_subject text, p_mandate uuid, p_units text[]) RETURNS jsonb
    LANGUAGE sql STABLE
    RETURN (SELECT payment_json(p) || jsonb_build_object('paid_at', cong_local_iso(p.paid_at),
                   'receipt', CASE WHEN p.receipt_id IS NOT NULL THEN jsonb_build_object(
                                  'wallet_document_id', p.receipt_id, 'signature', p.receipt_signature) END)
              FROM payments p JOIN dossiers d ON d.code = p.dossier_code JOIN procedures pr ON pr.code = d.procedure_code
             WHERE p.id = p_id
               AND (p.paid_by = p_actor OR d.unit_code = ANY (p_units)
                    OR (p.subject = p_subject AND dossier_mandate_scope(p_mandate, d.procedure_code, pr.domain))));

-- The querydr job could not learn a payment's fate (the provider's own error, an answer that does not verify, no
-- answer): asked again later, backing off (p_backoff_s), or given up as 'error' after p_max_attempts (audited).
CREATE FUNCTION payment_query_failed(p_id uuid, p_error text, p_backoff_s integer, p_max_attempts integer)
    RETURNS text
    LANGUAGE plpgsql AS $$
DECLARE
    pay payments;
BEGIN
    UPDATE payments SET query_attempts = query_attempts + 1,
                        next_query_at = now() + make_interval(secs => p_backoff_s * power(2, least(query_attempts, 10)))
     WHERE id = p_id AND finished_at IS NULL
    RETURNING * INTO pay;
    IF NOT FOUND THEN
        RETURN 'finished';
    END IF;
    IF pay.query_attempts < p_max_attempts THEN
        RETURN 'later';
    END IF;
    UPDATE payments SET state = 'error', finished_at = now() WHERE id = p_id RETURNING * INTO pay;
    PERFORM cong_audit('payments', 'system', 'system', pay.subject, 'payment.error', 'payment:' || pay.id, NULL,
                       jsonb_build_object('dossier', pay.dossier_code, 'attempts', pay.query_attempts,
                                          'last_error', p_error));
    RETURN 'error';
END $$;

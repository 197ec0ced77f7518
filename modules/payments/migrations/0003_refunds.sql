-- payments 0003: refunds (refunds.c) and the reconciliation against the provider's daily statement (reconcile.c).
-- Each function is one transaction with its audit record, its outbox rows and its alarms. A refund is reserved under
-- the payment's row lock before the provider is asked (refund_reserve, committed), and settled by the provider's answer
-- (refund_finish): payments.refunded_vnd counts every refund not failed, so concurrent refunds can never exceed the
-- payment. Answers are (http_status, body) pairs like the other modules': a problem body carries a "problem" slug.
-- An official of a unit is a user_roles row (role 'official', resource = unit code), the desk's rule (desk.c).

ALTER TABLE payment_refunds
    ADD COLUMN attempts integer NOT NULL DEFAULT 0,  -- times the retry job asked the provider again
    ADD COLUMN next_attempt_at timestamptz;          -- when it may ask next (NULL: created_at + the first delay)
CREATE INDEX payment_refunds_open ON payment_refunds (created_at) WHERE state = 'submitted';
CREATE INDEX payment_refunds_settled ON payment_refunds (finished_at) WHERE state = 'success';

-- Times in Hanoi's offset, as the payments' own (0002's payment_json).
CREATE FUNCTION refund_json(r payment_refunds) RETURNS jsonb
    LANGUAGE sql STABLE
    RETURN jsonb_build_object('id', r.id, 'payment_id', r.payment_id, 'amount_vnd', r.amount_vnd,
                              'full', r.full_refund, 'state', r.state, 'reason', r.reason,
                              'created_at', cong_local_iso(r.created_at), 'finished_at', cong_local_iso(r.finished_at));

CREATE FUNCTION refund_official_of(p_actor text, p_dossier text) RETURNS boolean
    LANGUAGE sql STABLE
    RETURN EXISTS (SELECT 1 FROM dossiers d JOIN user_roles u ON u.resource = d.unit_code
                    WHERE d.code = p_dossier AND u.subject = p_actor AND u.role = 'official');

---------------------------------------------------------------------------------------------------------------------
-- refund_reserve: an official of the dossier's unit refunds p_amount of payment p_payment, stating p_available, what
-- they believe is still refundable (GOV.UK Pay's refund_amount_available: 412 when it is not so any more). Answers
-- 202 with the refund 'submitted' and what the module needs to ask the provider; a replay of the same Idempotency-Key
-- and request answers the refund as it is now (201 once settled, 202 while submitted), replayed = true.
CREATE FUNCTION refund_reserve(p_payment uuid, p_actor text, p_idem_key text, p_request_hash text, p_amount bigint,
                               p_available bigint, p_reason text, p_request_id text)
    RETURNS TABLE (http_status integer, body jsonb, replayed boolean, provider text, request_id text, txn_ref text,
                   provider_txn text, paid_created_at bigint, amount_vnd bigint, full_refund boolean,
                   requested_by text, dossier_code text)
    LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    p payments;
    r payment_refunds;
    v_id uuid := gen_random_uuid();
    remaining bigint;
BEGIN
    replayed := false;
    IF NOT EXISTS (SELECT 1 FROM user_roles WHERE subject = p_actor AND role = 'official') THEN
        http_status := 403; body := '{"problem":"forbidden"}';
        RETURN NEXT; RETURN;
    END IF;
    SELECT * INTO p FROM payments WHERE id = p_payment FOR UPDATE;
    IF NOT FOUND OR NOT refund_official_of(p_actor, p.dossier_code) THEN
        http_status := 404; body := '{"problem":"not-found"}';
        RETURN NEXT; RETURN;
    END IF;
    SELECT * INTO r FROM payment_refunds WHERE requested_by = p_actor AND idempotency_key = p_idem_key;
    IF FOUND THEN
        IF r.request_hash IS DISTINCT FROM p_request_hash THEN
            http_status := 422; body := '{"problem":"idempotency-key-reused"}';
        ELSE
            http_status := CASE WHEN r.state = 'submitted' THEN 202 ELSE 201 END; body := refund_json(r);
            replayed := true;
        END IF;
        RETURN NEXT; RETURN;
    END IF;
    IF p.state <> 'success' THEN
        http_status := 409; body := jsonb_build_object('problem', 'payment-not-refundable', 'state', p.state);
        RETURN NEXT; RETURN;
    END IF;
    remaining := p.amount_vnd - p.refunded_vnd;
    IF p_available <> remaining OR p_amount > remaining THEN
        http_status := CASE WHEN p_available <> remaining THEN 412 ELSE 422 END;
        body := jsonb_build_object('problem', CASE WHEN p_available <> remaining THEN 'refund-amount-available-mismatch'
                                                   ELSE 'refund-exceeds-available' END,
                                   'refund_amount_available', remaining);
        RETURN NEXT; RETURN;
    END IF;
    INSERT INTO payment_refunds (id, payment_id, amount_vnd, full_refund, state, request_id, reason, requested_by,
                                 idempotency_key, request_hash)
    VALUES (v_id, p.id, p_amount, p_amount = remaining, 'submitted', replace(v_id::text, '-', ''), p_reason, p_actor,
            p_idem_key, p_request_hash)
    ON CONFLICT (requested_by, idempotency_key) DO NOTHING
    RETURNING * INTO r;
    IF NOT FOUND THEN -- the same key, at the same moment, for another payment
        http_status := 422; body := '{"problem":"idempotency-key-reused"}';
        RETURN NEXT; RETURN;
    END IF;
    UPDATE payments SET refunded_vnd = refunded_vnd + p_amount WHERE id = p.id;
    PERFORM cong_audit('payments', p_actor, 'official', p.subject, 'payment.refund_requested', 'payment:' || p.id,
                       p_request_id, jsonb_build_object('refund', r.id, 'amount_vnd', r.amount_vnd,
                                                        'full', r.full_refund, 'dossier', p.dossier_code));
    http_status := 202; body := refund_json(r);
    provider := p.provider; request_id := r.request_id; txn_ref := p.txn_ref; provider_txn := p.provider_txn;
    -- the payment URL's vnp_CreateDate is its creation's whole second (0002's created_epoch): floor, never round
    paid_created_at := floor(extract(epoch FROM p.created_at))::bigint; amount_vnd := r.amount_vnd;
    full_refund := r.full_refund; requested_by := r.requested_by; dossier_code := p.dossier_code;
    RETURN NEXT;
END $$;

---------------------------------------------------------------------------------------------------------------------
-- refund_finish: what the provider answered, applied once. p_outcome: 'success' (refunded: the payer is told),
-- 'failed' (refused: the amount is refundable again), 'error' (no answer after every retry: the amount stays
-- reserved, an operator must look: alarm 'refund-unresolved'), 'unverified' (an answer whose signature did not
-- verify: nothing changes, alarm 'refund-unverified-answer'). A refund no longer submitted is answered as it is.
-- Alarms are 0002's payment_alarm (with their audit record).
CREATE FUNCTION refund_finish(p_refund uuid, p_outcome text, p_provider_txn text, p_response_code text,
                              p_actor text, p_actor_kind text, p_request_id text)
    RETURNS TABLE (http_status integer, body jsonb)
    LANGUAGE plpgsql AS $$
DECLARE
    p payments;
    r payment_refunds;
BEGIN
    IF p_outcome NOT IN ('success', 'failed', 'error', 'unverified') THEN
        RAISE EXCEPTION 'refund_finish: unknown outcome %', p_outcome;
    END IF;
    -- the payment's row first, as refund_reserve locks it: the same lock order
    SELECT * INTO p FROM payments WHERE id = (SELECT payment_id FROM payment_refunds WHERE id = p_refund) FOR UPDATE;
    SELECT * INTO r FROM payment_refunds WHERE id = p_refund FOR UPDATE;
    IF NOT FOUND THEN
        RETURN QUERY SELECT 404, '{"problem":"not-found"}'::jsonb;
        RETURN;
    END IF;
    IF r.state <> 'submitted' OR p_outcome = 'unverified' THEN
        IF r.state = 'submitted' THEN
            PERFORM payment_alarm(p, 'refund-unverified-answer', jsonb_build_object('refund', r.id), p_request_id);
        END IF;
        RETURN QUERY SELECT CASE WHEN r.state = 'submitted' THEN 202 ELSE 201 END, refund_json(r);
        RETURN;
    END IF;
    UPDATE payment_refunds SET state = p_outcome, finished_at = now(), provider_txn = p_provider_txn,
                               response_code = p_response_code
     WHERE id = r.id RETURNING * INTO r;
    IF p_outcome = 'failed' THEN
        UPDATE payments SET refunded_vnd = refunded_vnd - r.amount_vnd WHERE id = p.id;
    ELSIF p_outcome = 'error' THEN
        PERFORM payment_alarm(p, 'refund-unresolved', jsonb_build_object('refund', r.id, 'amount_vnd', r.amount_vnd,
                                                                          'attempts', r.attempts), p_request_id);
    ELSE
        INSERT INTO push_outbox (subject, topic, payload)
        SELECT party, 'payment.refund', jsonb_build_object('payment_id', p.id, 'refund_id', r.id,
                                                           'dossier_code', p.dossier_code,
                                                           'amount_vnd', r.amount_vnd, 'state', r.state)
          FROM (SELECT DISTINCT unnest(ARRAY[p.paid_by, p.subject]) AS party) parties;
    END IF;
    PERFORM cong_audit('payments', p_actor, p_actor_kind, p.subject,
                       CASE p_outcome WHEN 'success' THEN 'payment.refunded' WHEN 'failed' THEN 'payment.refund_failed'
                                      ELSE 'payment.refund_error' END,
                       'payment:' || p.id, p_request_id,
                       jsonb_build_object('refund', r.id, 'amount_vnd', r.amount_vnd, 'state', r.state,
                                          'response_code', p_response_code, 'provider_txn', p_provider_txn));
    RETURN QUERY SELECT 201, refund_json(r);
END $$;

-- refund_list: a payment's refunds, to its payer, its subject and the officials of its dossier's unit (404 to others).
-- An official's view of a citizen's payment is in the audit log ('payment.refund_list'), as the desk's views are.
CREATE FUNCTION refund_list(p_payment uuid, p_caller text, p_request_id text)
    RETURNS TABLE (http_status integer, body jsonb)
    LANGUAGE plpgsql AS $$
DECLARE
    p payments;
BEGIN
    SELECT * INTO p FROM payments WHERE id = p_payment;
    IF NOT FOUND OR NOT (p_caller IN (p.subject, p.paid_by) OR refund_official_of(p_caller, p.dossier_code)) THEN
        RETURN QUERY SELECT 404, '{"problem":"not-found"}'::jsonb;
        RETURN;
    END IF;
    IF p_caller NOT IN (p.subject, p.paid_by) THEN
        PERFORM cong_audit('payments', p_caller, 'official', p.subject, 'payment.refund_list', 'payment:' || p.id,
                           p_request_id, jsonb_build_object('dossier', p.dossier_code));
    END IF;
    RETURN QUERY SELECT 200, jsonb_build_object(
        'payment_id', p.id, 'amount_vnd', p.amount_vnd, 'state', p.state,
        'refund_amount_available', CASE WHEN p.state = 'success' THEN p.amount_vnd - p.refunded_vnd ELSE 0 END,
        'items', coalesce((SELECT jsonb_agg(refund_json(r) ORDER BY r.created_at, r.id) FROM payment_refunds r
                            WHERE r.payment_id = p.id), '[]'::jsonb));
END $$;

-- refund_claim_due: the retry job's batch of refunds still submitted (the provider did not answer) whose time has
-- come, claimed by pushing their next attempt back (several instances run the job: SKIP LOCKED). The first attempt
-- is p_first_delay_ms after the refund was made (its own call is over by then), then the delay doubles up to an
-- hour. give_up: asked p_max_attempts times already (refund_finish 'error').
CREATE FUNCTION refund_claim_due(p_batch integer, p_first_delay_ms bigint, p_max_attempts integer)
    RETURNS TABLE (refund_id uuid, give_up boolean, provider text, request_id text, txn_ref text, provider_txn text,
                   paid_created_at bigint, amount_vnd bigint, full_refund boolean, requested_by text,
                   dossier_code text)
    LANGUAGE sql AS $$
    WITH due AS (
        SELECT r.id FROM payment_refunds r
         WHERE r.state = 'submitted'
           AND coalesce(r.next_attempt_at, r.created_at + p_first_delay_ms * interval '1 millisecond') <= now()
         ORDER BY r.created_at LIMIT p_batch FOR UPDATE SKIP LOCKED),
    claimed AS (
        UPDATE payment_refunds r SET attempts = r.attempts + 1,
               next_attempt_at = now() + least(p_first_delay_ms * 2 ^ least(r.attempts + 1, 20), 3600000)
                                         * interval '1 millisecond'
          FROM due WHERE r.id = due.id RETURNING r.*)
    SELECT c.id, c.attempts > p_max_attempts, p.provider, c.request_id, p.txn_ref, p.provider_txn,
           floor(extract(epoch FROM p.created_at))::bigint, c.amount_vnd, c.full_refund, c.requested_by,
           p.dossier_code
      FROM claimed c JOIN payments p ON p.id = c.payment_id
$$;

---------------------------------------------------------------------------------------------------------------------
-- payment_reconcile: `cong payments reconcile` (reconcile.c) compares the provider's statement of GMT+7 day p_day
-- (p_rows: the rows statement.c read, [{line, tmn_code, txn_ref, transaction_no, transaction_type, amount_vnd,
-- paid_at, status, bank_code}]) with cong's payments settled that day (state success, paid_at in the day) and refunds
-- refunded that day (state success, finished_at in the day) of provider p_provider. A payment is matched by txn_ref,
-- a refund by (the payment's txn_ref, the refund's transaction number). Findings, one row each, then a 'summary' row:
--   other-merchant        a row of another merchant code (not compared further)
--   duplicate             the same transaction twice: detail.side 'provider' (lines) or 'cong'
--   missing-in-cong       the provider has it (status 00), cong has not (detail.cong_state: what cong has instead)
--   missing-at-provider   cong has it, the statement has not
--   mismatch              matched, but detail.field (amount_vnd, transaction_no, transaction_type, status) differs
-- Each finding is also a payment_alarms row (kind 'reconcile-<kind>'); the run is the audit record 'payment.reconcile'.
CREATE FUNCTION payment_reconcile(p_day date, p_provider text, p_tmn text, p_rows jsonb)
    RETURNS TABLE (kind text, object text, txn_ref text, transaction_no text, line integer, payment_id uuid,
                   detail jsonb)
    LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    day_start constant timestamptz := p_day::timestamp AT TIME ZONE 'Asia/Ho_Chi_Minh';
    day_end constant timestamptz := (p_day + 1)::timestamp AT TIME ZONE 'Asia/Ho_Chi_Minh';
    summary jsonb;
BEGIN
    CREATE TEMP TABLE rc_st ON COMMIT DROP AS
        SELECT s.*, CASE WHEN s.transaction_type = '01' THEN 'payment' ELSE 'refund' END AS obj
          FROM jsonb_to_recordset(p_rows) AS s(line integer, tmn_code text, txn_ref text, transaction_no text,
                                               transaction_type text, amount_vnd bigint, paid_at bigint,
                                               status text, bank_code text);
    CREATE TEMP TABLE rc_cp ON COMMIT DROP AS
        SELECT x.id, x.txn_ref, x.provider_txn, x.amount_vnd FROM payments x
         WHERE x.provider = p_provider AND x.state = 'success' AND x.paid_at >= day_start AND x.paid_at < day_end;
    CREATE TEMP TABLE rc_cr ON COMMIT DROP AS
        SELECT r.id, r.payment_id, x.txn_ref, r.provider_txn, r.amount_vnd, r.full_refund FROM payment_refunds r
          JOIN payments x ON x.id = r.payment_id
         WHERE x.provider = p_provider AND r.state = 'success' AND r.finished_at >= day_start
           AND r.finished_at < day_end;
    CREATE TEMP TABLE rc_f (kind text, object text, txn_ref text, transaction_no text, line integer,
                            payment_id uuid, detail jsonb) ON COMMIT DROP;

    INSERT INTO rc_f SELECT 'other-merchant', s.obj, s.txn_ref, s.transaction_no, s.line, NULL,
                            jsonb_build_object('tmn_code', s.tmn_code)
                       FROM rc_st s WHERE s.tmn_code <> p_tmn;
    DELETE FROM rc_st s WHERE s.tmn_code <> p_tmn;

    INSERT INTO rc_f SELECT 'duplicate', s.obj, s.txn_ref, min(s.transaction_no), min(s.line), NULL,
                            jsonb_build_object('side', 'provider', 'lines', jsonb_agg(s.line ORDER BY s.line))
                       FROM rc_st s GROUP BY s.obj, s.txn_ref, CASE WHEN s.obj = 'refund' THEN s.transaction_no END
                     HAVING count(*) > 1;
    INSERT INTO rc_f SELECT 'duplicate', 'payment', min(c.txn_ref), c.provider_txn, NULL, NULL,
                            jsonb_build_object('side', 'cong', 'txn_refs', jsonb_agg(c.txn_ref ORDER BY c.txn_ref))
                       FROM rc_cp c WHERE c.provider_txn IS NOT NULL GROUP BY c.provider_txn HAVING count(*) > 1;
    INSERT INTO rc_f SELECT 'duplicate', 'refund', c.txn_ref, c.provider_txn, NULL, min(c.payment_id::text)::uuid,
                            jsonb_build_object('side', 'cong', 'refunds', jsonb_agg(c.id ORDER BY c.id))
                       FROM rc_cr c WHERE c.provider_txn IS NOT NULL GROUP BY c.txn_ref, c.provider_txn
                     HAVING count(*) > 1;

    -- payments (the statement's first row of each txn_ref; later ones are the duplicates above)
    CREATE TEMP TABLE rc_sp ON COMMIT DROP AS
        SELECT DISTINCT ON (s.txn_ref) * FROM rc_st s WHERE s.obj = 'payment' ORDER BY s.txn_ref, s.line;
    INSERT INTO rc_f SELECT 'missing-in-cong', 'payment', s.txn_ref, s.transaction_no, s.line, x.id,
                            jsonb_build_object('amount_vnd', s.amount_vnd, 'cong_state', x.state,
                                               'cong_paid_at', cong_local_iso(x.paid_at))
                       FROM rc_sp s LEFT JOIN payments x ON x.provider = p_provider AND x.txn_ref = s.txn_ref
                      WHERE s.status = '00' AND NOT EXISTS (SELECT 1 FROM rc_cp c WHERE c.txn_ref = s.txn_ref);
    INSERT INTO rc_f SELECT 'missing-at-provider', 'payment', c.txn_ref, c.provider_txn, NULL, c.id,
                            jsonb_build_object('amount_vnd', c.amount_vnd)
                       FROM rc_cp c WHERE NOT EXISTS (SELECT 1 FROM rc_sp s WHERE s.txn_ref = c.txn_ref);
    INSERT INTO rc_f SELECT 'mismatch', 'payment', s.txn_ref, s.transaction_no, s.line, c.id,
                            jsonb_build_object('field', m.field, 'cong', m.cong, 'provider', m.provider)
                       FROM rc_sp s JOIN rc_cp c ON c.txn_ref = s.txn_ref
                      CROSS JOIN LATERAL (VALUES ('amount_vnd', to_jsonb(c.amount_vnd), to_jsonb(s.amount_vnd)),
                                                 ('transaction_no', to_jsonb(c.provider_txn),
                                                  to_jsonb(s.transaction_no)),
                                                 ('status', to_jsonb('00'::text), to_jsonb(s.status)))
                                   AS m(field, cong, provider)
                      WHERE m.cong IS DISTINCT FROM m.provider;

    -- refunds
    CREATE TEMP TABLE rc_sr ON COMMIT DROP AS
        SELECT DISTINCT ON (s.txn_ref, s.transaction_no) * FROM rc_st s WHERE s.obj = 'refund'
         ORDER BY s.txn_ref, s.transaction_no, s.line;
    -- cong_state: the refund cong has instead — with that number, or one the provider never answered for (submitted,
    -- error) of that payment and amount: the likely same refund, for an operator to settle
    INSERT INTO rc_f SELECT 'missing-in-cong', 'refund', s.txn_ref, s.transaction_no, s.line, x.payment_id,
                            jsonb_build_object('amount_vnd', s.amount_vnd, 'cong_state', x.state, 'cong_refund', x.id)
                       FROM rc_sr s
                       LEFT JOIN LATERAL (SELECT r.id, r.payment_id, r.state FROM payment_refunds r
                                            JOIN payments y ON y.id = r.payment_id
                                           WHERE y.provider = p_provider AND y.txn_ref = s.txn_ref
                                             AND (r.provider_txn = s.transaction_no
                                                  OR (r.provider_txn IS NULL AND r.state IN ('submitted', 'error')
                                                      AND r.amount_vnd = s.amount_vnd))
                                           ORDER BY r.provider_txn IS NULL, r.created_at LIMIT 1) x ON true
                      WHERE s.status = '00' AND NOT EXISTS (SELECT 1 FROM rc_cr c WHERE c.txn_ref = s.txn_ref
                                                                AND c.provider_txn = s.transaction_no);
    INSERT INTO rc_f SELECT 'missing-at-provider', 'refund', c.txn_ref, c.provider_txn, NULL, c.payment_id,
                            jsonb_build_object('amount_vnd', c.amount_vnd, 'refund', c.id)
                       FROM rc_cr c WHERE NOT EXISTS (SELECT 1 FROM rc_sr s WHERE s.txn_ref = c.txn_ref
                                                         AND s.transaction_no = c.provider_txn);
    INSERT INTO rc_f SELECT 'mismatch', 'refund', s.txn_ref, s.transaction_no, s.line, c.payment_id,
                            jsonb_build_object('field', m.field, 'cong', m.cong, 'provider', m.provider)
                       FROM rc_sr s JOIN rc_cr c ON c.txn_ref = s.txn_ref AND c.provider_txn = s.transaction_no
                      CROSS JOIN LATERAL (VALUES ('amount_vnd', to_jsonb(c.amount_vnd), to_jsonb(s.amount_vnd)),
                                                 ('transaction_type',
                                                  to_jsonb(CASE WHEN c.full_refund THEN '02' ELSE '03' END),
                                                  to_jsonb(s.transaction_type)),
                                                 ('status', to_jsonb('00'::text), to_jsonb(s.status)))
                                   AS m(field, cong, provider)
                      WHERE m.cong IS DISTINCT FROM m.provider;

    INSERT INTO payment_alarms (payment_id, kind, detail)
    SELECT f.payment_id, 'reconcile-' || f.kind,
           jsonb_strip_nulls(f.detail) || jsonb_build_object('date', p_day, 'object', f.object, 'txn_ref', f.txn_ref,
                                          'transaction_no', f.transaction_no, 'line', f.line)
      FROM rc_f f;
    summary := jsonb_build_object('date', p_day, 'provider', p_provider,
                                  'statement_rows', jsonb_array_length(p_rows),
                                  'cong_payments', (SELECT count(*) FROM rc_cp),
                                  'cong_refunds', (SELECT count(*) FROM rc_cr),
                                  'findings', (SELECT count(*) FROM rc_f),
                                  'by_kind', (SELECT coalesce(jsonb_object_agg(k, n), '{}'::jsonb)
                                                FROM (SELECT f.kind AS k, count(*) AS n FROM rc_f f
                                                       GROUP BY f.kind) g));
    PERFORM cong_audit('payments', 'admin', 'admin', NULL, 'payment.reconcile', 'statement:' || p_day, NULL, summary);
    RETURN QUERY SELECT f.kind, f.object, f.txn_ref, f.transaction_no, f.line, f.payment_id, jsonb_strip_nulls(f.detail)
                   FROM rc_f f ORDER BY f.kind, f.object, f.txn_ref, f.line;
    RETURN QUERY SELECT 'summary', NULL::text, NULL::text, NULL::text, NULL::integer, NULL::uuid, summary;
END $$;

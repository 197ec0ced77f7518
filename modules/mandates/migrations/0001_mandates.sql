-- mandates 0001: the SQL layer of the mandates module. The table `mandates`, `mandate_endings` and
-- cong_mandate_use() are the gateway's (gateway/migrations/0006_mandates.sql): the gateway enforces mandates, this
-- module creates and changes them. Every function below is one transaction when called alone: the change, its audit
-- records (cong_audit), a push_outbox event for each party (topic 'mandate.changed') and a mandate_endings row for
-- every mandate it ends are written together or not at all.
--
-- Answers are (http_status, body) pairs like the procedures module's: a problem body carries a "problem" slug and,
-- for validation-failed, "errors": [{field, code}]. push_outbox is the procedures module's table (plpgsql binds late).

-- Idempotency-Key of POST /v1/mandates: per caller, the request's hash and the mandate it made.
CREATE TABLE mandate_idempotency (
    caller          text NOT NULL,
    key             text NOT NULL,
    request_hash    text NOT NULL,
    mandate_id      uuid REFERENCES mandates (id),  -- NULL while the claiming transaction runs
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (caller, key)
);
CREATE INDEX mandates_delegated_by ON mandates (delegated_by, created_at DESC) WHERE delegated_by <> grantor;
CREATE INDEX mandates_due ON mandates (valid_until) WHERE status IN ('requested', 'active') AND valid_until IS NOT NULL;

CREATE FUNCTION mandate_iso(t timestamptz) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    RETURN to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"');

CREATE FUNCTION mandate_json(m mandates) RETURNS jsonb
    LANGUAGE sql STABLE
    RETURN jsonb_build_object(
        'id', m.id, 'grantor', m.grantor, 'delegated_by', m.delegated_by, 'grantee', m.grantee,
        'parent_id', m.parent_id, 'procedures', to_jsonb(m.procedures), 'domains', to_jsonb(m.domains),
        'actions', to_jsonb(m.actions), 'valid_from', mandate_iso(m.valid_from),
        'valid_until', mandate_iso(m.valid_until), 'max_uses', m.max_uses, 'uses', m.uses,
        'may_subdelegate', m.may_subdelegate, 'status', m.status, 'note', m.note,
        'created_at', mandate_iso(m.created_at), 'changed_at', mandate_iso(m.changed_at));

-- The change's event for each party (grantor, grantee, and whoever delegated a sub-mandate), and its audit record.
CREATE FUNCTION mandate_record(m mandates, p_actor text, p_actor_kind text, p_action text, p_request_id text,
                               p_detail jsonb DEFAULT '{}'::jsonb) RETURNS void
    LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO push_outbox (subject, topic, payload)
    SELECT party, 'mandate.changed',
           jsonb_build_object('id', m.id, 'status', m.status, 'change', split_part(p_action, '.', 2))
      FROM (SELECT DISTINCT unnest(ARRAY[m.grantor, m.grantee, m.delegated_by]) AS party) parties;
    PERFORM cong_audit('mandates', p_actor, p_actor_kind, m.grantor, p_action, 'mandate:' || m.id, p_request_id,
                       p_detail || jsonb_build_object('status', m.status, 'grantee', m.grantee));
END $$;

-- Ends mandate p_id (if still requested or active) and every descendant still requested or active: p_status for
-- p_id, 'withdrawn' for the descendants (their authority came from it). Writes events, audit records and endings.
-- Returns the ids it ended.
CREATE FUNCTION mandate_end_tree(p_id uuid, p_status text, p_actor text, p_actor_kind text, p_action text,
                                 p_request_id text) RETURNS uuid[]
    LANGUAGE plpgsql AS $$
DECLARE
    m mandates;
    ended uuid[] := '{}';
BEGIN
    FOR m IN
        WITH RECURSIVE tree (id) AS (
            SELECT p_id
            UNION ALL
            SELECT c.id FROM mandates c JOIN tree t ON c.parent_id = t.id
        )
        UPDATE mandates x SET status = CASE WHEN x.id = p_id THEN p_status ELSE 'withdrawn' END, changed_at = now()
          FROM tree WHERE x.id = tree.id AND x.status IN ('requested', 'active')
        RETURNING x.*
    LOOP
        ended := ended || m.id;
        INSERT INTO mandate_endings (mandate_id, status) VALUES (m.id, m.status);
        PERFORM mandate_record(m, p_actor, p_actor_kind,
                               CASE WHEN m.id = p_id THEN p_action ELSE 'mandate.withdraw' END, p_request_id,
                               CASE WHEN m.id = p_id THEN '{}'::jsonb
                                    ELSE jsonb_build_object('cascade_from', p_id) END);
    END LOOP;
    RETURN ended;
END $$;

---------------------------------------------------------------------------------------------------------------------
-- mandate_create: p_body is the request the module has shaped already (types, list lengths, action names, formats of
-- codes and ids); here the rules that need the catalog, the clock and the parent. p_grantee is the grantee's subject
-- (the module computed it; the citizen number never reaches PostgreSQL). p_code_hash: SHA-256 of a fresh acceptance
-- code, hex. Answers (http_status, body, replayed, code_stored): code_stored tells the module that p_code_hash is now
-- the mandate's and its code may be shown. An idempotent replay of a mandate still requested stores the new code
-- (the first one was never kept in clear); of one that moved on, no code.
CREATE FUNCTION mandate_create(p_caller text, p_grantee text, p_idem_key text, p_request_hash text, p_body jsonb,
                               p_code_hash text, p_max_days integer, p_request_id text)
    RETURNS TABLE (http_status integer, body jsonb, replayed boolean, code_stored boolean)
    LANGUAGE plpgsql AS $$
DECLARE
    ts_re constant text := '^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})$';
    claimed boolean;
    k mandate_idempotency;
    m mandates;
    parent mandates;
    errors jsonb := '[]'::jsonb;
    v_procs text[] := ARRAY(SELECT jsonb_array_elements_text(coalesce(p_body -> 'procedures', '[]')));
    v_domains text[] := ARRAY(SELECT jsonb_array_elements_text(coalesce(p_body -> 'domains', '[]')));
    v_actions text[] := ARRAY(SELECT jsonb_array_elements_text(p_body -> 'actions'));
    v_from timestamptz := now();
    v_until timestamptz;
    v_max integer := (p_body ->> 'max_uses')::integer;
    v_grantor text := p_caller;
    v_parent uuid := (p_body ->> 'parent_id')::uuid;
    i integer;
BEGIN
    INSERT INTO mandate_idempotency (caller, key, request_hash) VALUES (p_caller, p_idem_key, p_request_hash)
    ON CONFLICT (caller, key) DO NOTHING RETURNING true INTO claimed;
    IF NOT coalesce(claimed, false) THEN
        SELECT * INTO k FROM mandate_idempotency WHERE caller = p_caller AND key = p_idem_key;
        IF k.request_hash IS DISTINCT FROM p_request_hash OR k.mandate_id IS NULL THEN
            RETURN QUERY SELECT 422, '{"problem":"idempotency-key-reused"}'::jsonb, false, false;
            RETURN;
        END IF;
        UPDATE mandates SET acceptance_code_hash = decode(p_code_hash, 'hex'), acceptance_failures = 0
         WHERE id = k.mandate_id AND status = 'requested' RETURNING * INTO m;
        IF FOUND THEN
            RETURN QUERY SELECT 201, mandate_json(m), true, true;
        ELSE
            SELECT * INTO m FROM mandates WHERE id = k.mandate_id;
            RETURN QUERY SELECT 201, mandate_json(m), true, false;
        END IF;
        RETURN;
    END IF;

    FOR i IN 1 .. coalesce(array_length(v_procs, 1), 0) LOOP
        IF NOT EXISTS (SELECT 1 FROM procedures WHERE code = v_procs[i]) THEN
            errors := errors || jsonb_build_array(jsonb_build_object(
                'field', format('procedures[%s]', i - 1), 'code', 'unknown-procedure'));
        END IF;
    END LOOP;
    FOR i IN 1 .. coalesce(array_length(v_domains, 1), 0) LOOP
        IF NOT EXISTS (SELECT 1 FROM domains WHERE code = v_domains[i]) THEN
            errors := errors || jsonb_build_array(jsonb_build_object(
                'field', format('domains[%s]', i - 1), 'code', 'unknown-domain'));
        END IF;
    END LOOP;
    IF p_body ? 'valid_from' THEN
        IF (p_body ->> 'valid_from') !~ ts_re THEN
            errors := errors || '[{"field":"valid_from","code":"invalid-format"}]'::jsonb;
        ELSE
            v_from := (p_body ->> 'valid_from')::timestamptz;
            IF v_from < now() - interval '5 minutes' THEN
                errors := errors || '[{"field":"valid_from","code":"in-the-past"}]'::jsonb;
            ELSIF v_from > now() + make_interval(days => p_max_days) THEN
                errors := errors || '[{"field":"valid_from","code":"too-far"}]'::jsonb;
            END IF;
        END IF;
    END IF;
    IF p_body ? 'valid_until' THEN
        IF (p_body ->> 'valid_until') !~ ts_re THEN
            errors := errors || '[{"field":"valid_until","code":"invalid-format"}]'::jsonb;
        ELSE
            v_until := (p_body ->> 'valid_until')::timestamptz;
            IF v_until <= now() THEN
                errors := errors || '[{"field":"valid_until","code":"in-the-past"}]'::jsonb;
            ELSIF v_until < v_from THEN
                errors := errors || '[{"field":"valid_until","code":"before-valid-from"}]'::jsonb;
            ELSIF v_until > v_from + make_interval(days => p_max_days) THEN
                errors := errors || '[{"field":"valid_until","code":"too-long"}]'::jsonb;
            END IF;
        END IF;
    ELSIF NOT v_actions <@ ARRAY['view', 'receive_result'] THEN
        -- open-ended only for looking: whoever may submit, pay or rate for someone does so until a date
        errors := errors || '[{"field":"valid_until","code":"required"}]'::jsonb;
    END IF;

    IF v_parent IS NOT NULL THEN
        SELECT * INTO parent FROM mandates WHERE id = v_parent AND grantee = p_caller FOR SHARE;
        IF NOT FOUND THEN
            errors := errors || '[{"field":"parent_id","code":"unknown-parent"}]'::jsonb;
        ELSE
            v_grantor := parent.grantor;
            errors := errors || mandate_fit_errors(parent, v_procs, v_domains, v_actions, v_from, v_until, v_max,
                                                   p_body ? 'valid_until');
        END IF;
    END IF;
    IF p_grantee = v_grantor OR p_grantee = p_caller THEN
        errors := errors || '[{"field":"grantee_citizen_number","code":"self"}]'::jsonb;
    END IF;

    IF jsonb_array_length(errors) > 0 THEN
        DELETE FROM mandate_idempotency WHERE caller = p_caller AND key = p_idem_key;
        RETURN QUERY SELECT 422, jsonb_build_object('problem', 'validation-failed', 'errors', errors), false, false;
        RETURN;
    END IF;

    INSERT INTO mandates (grantor, delegated_by, grantee, parent_id, procedures, domains, actions, valid_from,
                          valid_until, max_uses, may_subdelegate, acceptance_code_hash, note)
    VALUES (v_grantor, p_caller, p_grantee, v_parent, v_procs, v_domains, v_actions, v_from, v_until, v_max,
            coalesce((p_body ->> 'may_subdelegate')::boolean, false), decode(p_code_hash, 'hex'),
            p_body ->> 'note')
    RETURNING * INTO m;
    UPDATE mandate_idempotency SET mandate_id = m.id WHERE caller = p_caller AND key = p_idem_key;
    PERFORM mandate_record(m, p_caller, 'citizen', 'mandate.create', p_request_id,
                           jsonb_build_object('procedures', m.procedures, 'domains', m.domains,
                                              'actions', m.actions, 'parent_id', m.parent_id));
    RETURN QUERY SELECT 201, mandate_json(m), false, true;
END $$;

-- Why a sub-mandate does not fit inside its parent (Estonia's reference provider's rules): the parent is active and
-- may be sub-delegated; every procedure is the parent's or in one of its domains, every domain and action the
-- parent's; it starts no earlier and ends no later than the parent (never open-ended under a parent that ends); its
-- uses are bounded by the parent's.
CREATE FUNCTION mandate_fit_errors(parent mandates, p_procs text[], p_domains text[], p_actions text[],
                                   p_from timestamptz, p_until timestamptz, p_max integer, p_has_until boolean)
    RETURNS jsonb
    LANGUAGE plpgsql STABLE AS $$
DECLARE
    errors jsonb := '[]'::jsonb;
    i integer;
BEGIN
    IF parent.status <> 'active' THEN
        errors := errors || '[{"field":"parent_id","code":"parent-not-active"}]'::jsonb;
    END IF;
    IF NOT parent.may_subdelegate THEN
        errors := errors || '[{"field":"parent_id","code":"parent-not-subdelegable"}]'::jsonb;
    END IF;
    FOR i IN 1 .. coalesce(array_length(p_procs, 1), 0) LOOP
        IF NOT (p_procs[i] = ANY (parent.procedures) OR EXISTS (
                SELECT 1 FROM procedures WHERE code = p_procs[i] AND domain = ANY (parent.domains))) THEN
            errors := errors || jsonb_build_array(jsonb_build_object(
                'field', format('procedures[%s]', i - 1), 'code', 'outside-parent'));
        END IF;
    END LOOP;
    FOR i IN 1 .. coalesce(array_length(p_domains, 1), 0) LOOP
        IF NOT p_domains[i] = ANY (parent.domains) THEN
            errors := errors || jsonb_build_array(jsonb_build_object(
                'field', format('domains[%s]', i - 1), 'code', 'outside-parent'));
        END IF;
    END LOOP;
    FOR i IN 1 .. array_length(p_actions, 1) LOOP
        IF NOT p_actions[i] = ANY (parent.actions) THEN
            errors := errors || jsonb_build_array(jsonb_build_object(
                'field', format('actions[%s]', i - 1), 'code', 'outside-parent'));
        END IF;
    END LOOP;
    IF p_from < parent.valid_from THEN
        errors := errors || '[{"field":"valid_from","code":"outside-parent"}]'::jsonb;
    END IF;
    IF parent.valid_until IS NOT NULL AND (NOT p_has_until OR p_until > parent.valid_until) THEN
        errors := errors || '[{"field":"valid_until","code":"outside-parent"}]'::jsonb;
    END IF;
    IF parent.max_uses IS NOT NULL AND (p_max IS NULL OR p_max > parent.max_uses) THEN
        errors := errors || '[{"field":"max_uses","code":"outside-parent"}]'::jsonb;
    END IF;
    RETURN errors;
END $$;

---------------------------------------------------------------------------------------------------------------------
-- The grantee's answer to a request. The module compared the acceptance code in constant time against the hash it
-- read (p_seen_hash, hex) and says whether it matched; here, under the row's lock, the hash must still be the one it
-- read (an idempotent replay of the create may have replaced the code meanwhile). A wrong code counts; the 5th ends the
-- request (declined). Answers (http_status, body, ended ids). Somebody else's mandate, or an unknown id: 404.
CREATE FUNCTION mandate_accept(p_id uuid, p_caller text, p_matched boolean, p_seen_hash text, p_request_id text)
    RETURNS TABLE (http_status integer, body jsonb, ended uuid[])
    LANGUAGE plpgsql AS $$
DECLARE
    m mandates;
BEGIN
    SELECT * INTO m FROM mandates WHERE id = p_id AND grantee = p_caller FOR UPDATE;
    IF NOT FOUND THEN
        RETURN QUERY SELECT 404, '{"problem":"not-found"}'::jsonb, '{}'::uuid[];
        RETURN;
    END IF;
    IF m.status <> 'requested' OR (m.valid_until IS NOT NULL AND m.valid_until < now()) THEN
        RETURN QUERY SELECT 409, jsonb_build_object('problem', 'conflict', 'mandate_status', m.status), '{}'::uuid[];
        RETURN;
    END IF;
    IF p_matched AND m.acceptance_code_hash = decode(p_seen_hash, 'hex') THEN
        UPDATE mandates SET status = 'active', acceptance_code_hash = NULL, changed_at = now()
         WHERE id = p_id RETURNING * INTO m;
        PERFORM mandate_record(m, p_caller, 'citizen', 'mandate.accept', p_request_id);
        RETURN QUERY SELECT 200, mandate_json(m), '{}'::uuid[];
        RETURN;
    END IF;
    UPDATE mandates SET acceptance_failures = acceptance_failures + 1, changed_at = now()
     WHERE id = p_id RETURNING * INTO m;
    PERFORM cong_audit('mandates', p_caller, 'citizen', m.grantor, 'mandate.accept_failed', 'mandate:' || m.id,
                       p_request_id, jsonb_build_object('failures', m.acceptance_failures));
    IF m.acceptance_failures >= 5 THEN
        RETURN QUERY SELECT 403, jsonb_build_object('problem', 'invalid-acceptance-code', 'remaining_attempts', 0,
                                                    'mandate_status', 'declined'),
                            mandate_end_tree(p_id, 'declined', p_caller, 'citizen', 'mandate.decline', p_request_id);
        RETURN;
    END IF;
    RETURN QUERY SELECT 403, jsonb_build_object('problem', 'invalid-acceptance-code',
                                                'remaining_attempts', 5 - m.acceptance_failures), '{}'::uuid[];
END $$;

-- Decline (grantee: refuse a request, or renounce an active mandate) or withdraw (the grantor, or who delegated a
-- sub-mandate). Cascades to every descendant. Not a party in that role: 404; already ended: 409.
CREATE FUNCTION mandate_change(p_id uuid, p_caller text, p_change text, p_request_id text)
    RETURNS TABLE (http_status integer, body jsonb, ended uuid[])
    LANGUAGE plpgsql AS $$
DECLARE
    m mandates;
    v_ended uuid[];
BEGIN
    IF p_change = 'decline' THEN
        SELECT * INTO m FROM mandates WHERE id = p_id AND grantee = p_caller FOR UPDATE;
    ELSE
        SELECT * INTO m FROM mandates WHERE id = p_id AND p_caller IN (grantor, delegated_by) FOR UPDATE;
    END IF;
    IF NOT FOUND THEN
        -- not a party in this role: answered like a stranger
        RETURN QUERY SELECT 404, '{"problem":"not-found"}'::jsonb, '{}'::uuid[];
        RETURN;
    END IF;
    IF m.status NOT IN ('requested', 'active') THEN
        RETURN QUERY SELECT 409, jsonb_build_object('problem', 'conflict', 'mandate_status', m.status), '{}'::uuid[];
        RETURN;
    END IF;
    v_ended := mandate_end_tree(p_id, CASE p_change WHEN 'decline' THEN 'declined' ELSE 'withdrawn' END, p_caller,
                                'citizen', 'mandate.' || p_change, p_request_id);
    SELECT * INTO m FROM mandates WHERE id = p_id;
    RETURN QUERY SELECT 200, mandate_json(m) || jsonb_build_object('ended', to_jsonb(v_ended)), v_ended;
END $$;

-- The job: mandates past their last instant expire; mandates still requested or active under a parent that ended
-- (used up, expired) are withdrawn with it. At most p_batch of each per call, SKIP LOCKED so that instances share the
-- work. Returns how many it ended.
CREATE FUNCTION mandate_expire_due(p_batch integer) RETURNS integer
    LANGUAGE plpgsql AS $$
DECLARE
    v_id uuid;
    n integer := 0;
BEGIN
    FOR v_id IN
        SELECT id FROM mandates
         WHERE status IN ('requested', 'active') AND valid_until IS NOT NULL AND valid_until < now()
         ORDER BY valid_until LIMIT p_batch FOR UPDATE SKIP LOCKED
    LOOP
        n := n + cardinality(mandate_end_tree(v_id, 'expired', 'system', 'system', 'mandate.expire', NULL));
    END LOOP;
    FOR v_id IN
        SELECT c.id FROM mandates c JOIN mandates p ON p.id = c.parent_id
         WHERE c.status IN ('requested', 'active') AND p.status NOT IN ('requested', 'active')
         LIMIT p_batch FOR UPDATE OF c SKIP LOCKED
    LOOP
        n := n + cardinality(mandate_end_tree(v_id, 'withdrawn', 'system', 'system', 'mandate.withdraw', NULL));
    END LOOP;
    RETURN n;
END $$;

---------------------------------------------------------------------------------------------------------------------
-- Token exchange (RFC 8693): the mandate p_id of grantee p_caller, when it and every ancestor are active now. Writes
-- the audit record 'mandate.exchange'. The id comes back in its canonical text (lower case): the token must carry the
-- very string a withdrawal revokes ("mandate:<id>"), whatever case the caller wrote. No row when it is not (the module answers invalid-grant: which of unknown,
-- someone else's, not active, it does not say).
CREATE FUNCTION mandate_exchange(p_id uuid, p_caller text, p_request_id text)
    RETURNS TABLE (canonical_id text, grantor text, actions text, procedures text, domains text, until_epoch bigint)
    LANGUAGE plpgsql AS $$
DECLARE
    m mandates;
BEGIN
    SELECT * INTO m FROM mandates x WHERE x.id = p_id AND x.grantee = p_caller;
    IF NOT FOUND OR EXISTS (
        WITH RECURSIVE chain AS (
            SELECT * FROM mandates WHERE id = p_id
            UNION ALL
            SELECT a.* FROM mandates a JOIN chain c ON a.id = c.parent_id
        )
        SELECT 1 FROM chain c
         WHERE c.status <> 'active' OR now() < c.valid_from OR (c.valid_until IS NOT NULL AND now() > c.valid_until)
            OR (c.max_uses IS NOT NULL AND c.uses >= c.max_uses)) THEN
        RETURN;
    END IF;
    PERFORM cong_audit('mandates', p_caller, 'citizen', m.grantor, 'mandate.exchange', 'mandate:' || m.id,
                       p_request_id, jsonb_build_object('actions', m.actions), m.id);
    RETURN QUERY SELECT m.id::text, m.grantor, array_to_string(m.actions, ' '), array_to_string(m.procedures, ' '),
                        array_to_string(m.domains, ' '), floor(extract(epoch FROM m.valid_until))::bigint;
END $$;

-- Lists: 'given' (the caller is the grantor or delegated it), 'received' (the caller is the grantee), newest first.
CREATE FUNCTION mandate_list(p_caller text, p_role text, p_status text, p_limit integer) RETURNS jsonb
    LANGUAGE sql STABLE AS $$
    WITH picked AS (
        SELECT x.id FROM mandates x
         WHERE (CASE WHEN p_role = 'given' THEN p_caller IN (x.grantor, x.delegated_by) ELSE x.grantee = p_caller END)
           AND (p_status IS NULL OR x.status = p_status)
         ORDER BY x.created_at DESC LIMIT p_limit
    )
    SELECT jsonb_build_object('mandates', coalesce(jsonb_agg(mandate_json(m) ORDER BY m.created_at DESC), '[]'))
      FROM mandates m JOIN picked USING (id)
$$;

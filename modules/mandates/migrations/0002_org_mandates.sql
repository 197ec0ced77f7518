-- mandates 0002: an organization as grantor (issue 18, "staff acting for an organization"). The organization's
-- subject is 'org:<id>' (modules/orgs/orgs.h); its legal representative (organizations.representative, a citizen's
-- subject) is who grants, withdraws, lists and watches its mandates, and only while they are its representative. An
-- organization mandate is a root: grantor = delegated_by = 'org:<id>' (the representative is the audit records'
-- actor), so a representative who is replaced keeps no power over what they granted. The grantee is a citizen named
-- and accepting exactly as for a citizen's mandate; the grantee's sub-mandates keep the organization as grantor.
-- A suspended organization's mandates are not exchanged (mandate_exchange) and `cong org suspend` revokes their
-- acting-for tokens. organizations is the orgs module's table: plpgsql binds late, and it is read only for a grantor
-- that is an organization.

-- 1 when p_caller is the current legal representative of the organization p_grantor ('org:<id>', the id in the
-- lower-case text PostgreSQL gives a uuid; looked up by primary key).
CREATE FUNCTION mandate_org_represented_by(p_grantor text, p_caller text) RETURNS boolean
    LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF p_grantor IS NULL OR p_grantor !~ '^org:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN
        RETURN false;
    END IF;
    RETURN EXISTS (SELECT 1 FROM organizations o
                    WHERE o.id = substr(p_grantor, 5)::uuid AND o.representative = p_caller);
END $$;

-- A citizen grantor is always in a position to be acted for; an organization only while it is active.
CREATE FUNCTION mandate_grantor_active(p_grantor text) RETURNS boolean
    LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF p_grantor NOT LIKE 'org:%' THEN
        RETURN true;
    END IF;
    IF p_grantor !~ '^org:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN
        RETURN false; -- 'org:' and anything but an organization's id: no such organization, so not active
    END IF;
    RETURN EXISTS (SELECT 1 FROM organizations o WHERE o.id = substr(p_grantor, 5)::uuid AND o.status = 'active');
END $$;

---------------------------------------------------------------------------------------------------------------------
-- mandate_create as in 0001, and: p_body.grantor_org (a tax code) makes the organization the grantor when the caller
-- is its current representative (else 403 not-representative, alike for a code nobody registered) and it is active
-- (else 403 organization-suspended).
CREATE OR REPLACE FUNCTION mandate_create(p_caller text, p_grantee text, p_idem_key text, p_request_hash text, p_body jsonb,
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
    v_org text;             -- 'org:<id>' when the caller grants for an organization they represent
    v_org_status text;
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

    IF p_body ? 'grantor_org' THEN
        -- only the organization's current legal representative grants for it; an unknown code is answered alike
        SELECT 'org:' || o.id, o.status INTO v_org, v_org_status FROM organizations o
         WHERE o.code = p_body ->> 'grantor_org' AND o.representative = p_caller;
        IF v_org IS NULL OR v_org_status <> 'active' THEN
            DELETE FROM mandate_idempotency WHERE caller = p_caller AND key = p_idem_key;
            RETURN QUERY SELECT 403, jsonb_build_object('problem', CASE WHEN v_org IS NULL THEN 'not-representative'
                                                                   ELSE 'organization-suspended' END),
                                false, false;
            RETURN;
        END IF;
        v_grantor := v_org;
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
    -- the representative may name themselves: that is how they act for the organization in person
    IF p_grantee = v_grantor OR (p_grantee = p_caller AND v_org IS NULL) THEN
        errors := errors || '[{"field":"grantee_citizen_number","code":"self"}]'::jsonb;
    END IF;

    IF jsonb_array_length(errors) > 0 THEN
        DELETE FROM mandate_idempotency WHERE caller = p_caller AND key = p_idem_key;
        RETURN QUERY SELECT 422, jsonb_build_object('problem', 'validation-failed', 'errors', errors), false, false;
        RETURN;
    END IF;

    INSERT INTO mandates (grantor, delegated_by, grantee, parent_id, procedures, domains, actions, valid_from,
                          valid_until, max_uses, may_subdelegate, acceptance_code_hash, note)
    VALUES (v_grantor, coalesce(v_org, p_caller), p_grantee, v_parent, v_procs, v_domains, v_actions, v_from, v_until, v_max,
            coalesce((p_body ->> 'may_subdelegate')::boolean, false), decode(p_code_hash, 'hex'),
            p_body ->> 'note')
    RETURNING * INTO m;
    UPDATE mandate_idempotency SET mandate_id = m.id WHERE caller = p_caller AND key = p_idem_key;
    PERFORM mandate_record(m, p_caller, 'citizen', 'mandate.create', p_request_id,
                           jsonb_build_object('procedures', m.procedures, 'domains', m.domains,
                                              'actions', m.actions, 'parent_id', m.parent_id)
                           || CASE WHEN v_org IS NULL THEN '{}'::jsonb
                                   ELSE jsonb_build_object('organization', p_body ->> 'grantor_org') END);
    RETURN QUERY SELECT 201, mandate_json(m), false, true;
END $$;

-- mandate_change as in 0001, and: the current representative of an organization grantor withdraws its mandates.
CREATE OR REPLACE FUNCTION mandate_change(p_id uuid, p_caller text, p_change text, p_request_id text)
    RETURNS TABLE (http_status integer, body jsonb, ended uuid[])
    LANGUAGE plpgsql AS $$
DECLARE
    m mandates;
    v_ended uuid[];
BEGIN
    IF p_change = 'decline' THEN
        SELECT * INTO m FROM mandates WHERE id = p_id AND grantee = p_caller FOR UPDATE;
    ELSE
        SELECT * INTO m FROM mandates x WHERE x.id = p_id
           AND (p_caller IN (x.grantor, x.delegated_by) OR mandate_org_represented_by(x.grantor, p_caller))
           FOR UPDATE;
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

-- mandate_exchange as in 0001, and: nothing is exchanged under a suspended (or vanished) organization's mandate.
CREATE OR REPLACE FUNCTION mandate_exchange(p_id uuid, p_caller text, p_request_id text)
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
            OR (c.max_uses IS NOT NULL AND c.uses >= c.max_uses))
       OR NOT mandate_grantor_active(m.grantor) THEN
        RETURN;
    END IF;
    PERFORM cong_audit('mandates', p_caller, 'citizen', m.grantor, 'mandate.exchange', 'mandate:' || m.id,
                       p_request_id, jsonb_build_object('actions', m.actions), m.id);
    RETURN QUERY SELECT m.id::text, m.grantor, array_to_string(m.actions, ' '), array_to_string(m.procedures, ' '),
                        array_to_string(m.domains, ' '), floor(extract(epoch FROM m.valid_until))::bigint;
END $$;

---------------------------------------------------------------------------------------------------------------------
-- The organization's mandates, to its current representative: (http_status, body). Not the representative, or a
-- code nobody registered: 403 not-representative.
CREATE FUNCTION mandate_org_list(p_caller text, p_code text, p_status text, p_limit integer)
    RETURNS TABLE (http_status integer, body jsonb)
    LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_org text;
BEGIN
    SELECT 'org:' || o.id INTO v_org FROM organizations o WHERE o.code = p_code AND o.representative = p_caller;
    IF v_org IS NULL THEN
        RETURN QUERY SELECT 403, '{"problem":"not-representative"}'::jsonb;
        RETURN;
    END IF;
    RETURN QUERY SELECT 200, jsonb_build_object('organization', v_org, 'mandates',
        coalesce((SELECT jsonb_agg(mandate_json(m) ORDER BY m.created_at DESC)
                    FROM (SELECT * FROM mandates x WHERE x.grantor = v_org
                             AND (p_status IS NULL OR x.status = p_status)
                           ORDER BY x.created_at DESC LIMIT p_limit) m), '[]'::jsonb));
END $$;

-- 1 when p_caller may see mandate m as one of its parties: grantor, who delegated it, grantee, or the current
-- representative of an organization grantor.
CREATE FUNCTION mandate_visible_to(m mandates, p_caller text) RETURNS boolean
    LANGUAGE sql STABLE
    RETURN p_caller IN (m.grantor, m.delegated_by, m.grantee) OR mandate_org_represented_by(m.grantor, p_caller);

-- Every use of mandate p_id and of its sub-mandates: the audit records written under them (exchanges, uses counted by
-- the acting modules, reads they audit), newest first, p_limit at most, before record p_before when given. Shown to
-- the grantor, who delegated it and an organization's representative; NULL (404) to anyone else. Read through the
-- audit log's index on subject (every such record's subject is the grantor).
CREATE FUNCTION mandate_uses(p_id uuid, p_caller text, p_before bigint, p_limit integer) RETURNS jsonb
    LANGUAGE plpgsql STABLE AS $$
DECLARE
    m mandates;
    v_tree uuid[];
    v_items jsonb;
BEGIN
    SELECT * INTO m FROM mandates x WHERE x.id = p_id;
    IF NOT FOUND OR NOT (p_caller IN (m.grantor, m.delegated_by) OR mandate_org_represented_by(m.grantor, p_caller))
    THEN
        RETURN NULL;
    END IF;
    WITH RECURSIVE tree (id) AS (
        SELECT p_id
        UNION ALL
        SELECT c.id FROM mandates c JOIN tree t ON c.parent_id = t.id
    )
    SELECT array_agg(id) INTO v_tree FROM tree;
    SELECT coalesce(jsonb_agg(jsonb_build_object(
               'id', a.id, 'at', mandate_iso(a.at), 'action', a.action, 'actor', a.actor,
               'actor_kind', a.actor_kind, 'mandate_id', a.mandate_id, 'object', a.object,
               'mandate_action', a.detail ->> 'action', 'procedure', a.detail ->> 'procedure',
               'request_id', a.request_id) ORDER BY a.id DESC), '[]'::jsonb)
      INTO v_items
      FROM (SELECT * FROM audit_records r
             WHERE r.subject = m.grantor AND r.mandate_id = ANY (v_tree)
               AND (p_before IS NULL OR r.id < p_before)
             ORDER BY r.id DESC LIMIT p_limit) a;
    RETURN jsonb_build_object('mandate_id', m.id, 'grantor', m.grantor, 'uses', v_items);
END $$;

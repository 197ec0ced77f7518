-- 0006: mandates (digital authorization). The host keeps the mandate record because it enforces it: the gateway
-- refuses acting-for requests outside a mandate's actions and time, and cong_mandate_use() counts uses inside the
-- acting module's own transaction. The mandates module (modules/mandates) is the API that creates and changes them.
-- Parties are subject pseudonyms (the same HMAC as "sub"), never citizen numbers.
CREATE TABLE mandates (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    grantor         text NOT NULL,   -- whose affairs: the person acted for
    delegated_by    text NOT NULL,   -- who gave it: the grantor, or for a sub-mandate the parent's grantee
    grantee         text NOT NULL,   -- who may act
    parent_id       uuid REFERENCES mandates (id),
    procedures      text[] NOT NULL DEFAULT '{}', -- procedure codes covered
    domains         text[] NOT NULL DEFAULT '{}', -- whole procedure domains covered
    actions         text[] NOT NULL CHECK (actions <@ ARRAY['view', 'submit', 'pay', 'receive_result', 'rate']
                                           AND cardinality(actions) > 0),
    valid_from      timestamptz NOT NULL,
    valid_until     timestamptz,     -- inclusive; NULL: open-ended
    max_uses        integer CHECK (max_uses > 0),
    uses            integer NOT NULL DEFAULT 0,
    may_subdelegate boolean NOT NULL DEFAULT false,
    status          text NOT NULL DEFAULT 'requested'
                    CHECK (status IN ('requested', 'active', 'withdrawn', 'declined', 'expired', 'used_up')),
    acceptance_code_hash bytea,      -- SHA-256 of the code the grantor hands to the grantee out of band
    acceptance_failures  integer NOT NULL DEFAULT 0,
    note            text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    changed_at      timestamptz NOT NULL DEFAULT now(),
    CHECK (cardinality(procedures) + cardinality(domains) > 0),
    CHECK (valid_until IS NULL OR valid_until >= valid_from),
    CHECK (max_uses IS NULL OR uses <= max_uses)
);
CREATE INDEX mandates_grantor ON mandates (grantor, created_at DESC);
CREATE INDEX mandates_grantee ON mandates (grantee, created_at DESC);
CREATE INDEX mandates_parent ON mandates (parent_id) WHERE parent_id IS NOT NULL;

-- Mandates that ended (withdrawn, declined, expired, used up): every instance must refuse their acting-for tokens.
-- Written in the transaction that ends them; the mandates module's job publishes each on the revocation channel
-- ("mandate:<id>") and marks it done, so an ending is never lost even if the answering instance dies.
CREATE TABLE mandate_endings (
    id              bigserial PRIMARY KEY,
    mandate_id      uuid NOT NULL REFERENCES mandates (id),
    status          text NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    published_at    timestamptz
);
CREATE INDEX mandate_endings_pending ON mandate_endings (id) WHERE published_at IS NULL;

-- One use of mandate p_mandate by p_actor (its grantee) for p_action on p_procedure (in p_domain), inside the acting
-- module's transaction. Locks the mandate and its ancestors, checks each is active now, covers the action and the
-- procedure, and has uses left; then counts the use on each (a mandate reaching max_uses becomes used_up) and writes
-- the audit record 'mandate.use'. Returns 'ok', or why not: 'not-found' (no such mandate of this grantee),
-- 'not-active', 'not-covered' (action or procedure), 'used-up'. Nothing is written unless 'ok'.
CREATE FUNCTION cong_mandate_use(p_mandate uuid, p_actor text, p_action text, p_procedure text, p_domain text,
                                 p_object text, p_request_id text, p_module text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    m mandates;
    v_id uuid := p_mandate;
    v_chain uuid[] := '{}';
    v_first boolean := true;
    v_grantor text;
BEGIN
    WHILE v_id IS NOT NULL LOOP
        SELECT * INTO m FROM mandates WHERE id = v_id FOR UPDATE;
        IF NOT FOUND OR (v_first AND m.grantee <> p_actor) THEN
            RETURN 'not-found';
        END IF;
        IF m.status = 'used_up' OR (m.max_uses IS NOT NULL AND m.uses >= m.max_uses) THEN
            RETURN 'used-up';
        END IF;
        IF m.status <> 'active' OR now() < m.valid_from OR (m.valid_until IS NOT NULL AND now() > m.valid_until) THEN
            RETURN 'not-active';
        END IF;
        IF NOT (p_action = ANY (m.actions))
           OR NOT (p_procedure = ANY (m.procedures) OR (p_domain IS NOT NULL AND p_domain = ANY (m.domains))) THEN
            RETURN 'not-covered';
        END IF;
        v_chain := v_chain || m.id;
        v_grantor := m.grantor;
        v_first := false;
        v_id := m.parent_id;
    END LOOP;
    UPDATE mandates SET uses = uses + 1, changed_at = now(),
                        status = CASE WHEN max_uses IS NOT NULL AND uses + 1 >= max_uses THEN 'used_up' ELSE status END
     WHERE id = ANY (v_chain);
    INSERT INTO mandate_endings (mandate_id, status)
    SELECT id, 'used_up' FROM mandates WHERE id = ANY (v_chain) AND status = 'used_up';
    PERFORM cong_audit(p_module, p_actor, 'citizen', v_grantor, 'mandate.use', p_object, p_request_id,
                       jsonb_build_object('action', p_action, 'procedure', p_procedure), p_mandate);
    RETURN 'ok';
END
$$;

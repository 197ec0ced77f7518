-- 0005: the audit log's records. Every module writes its sensitive actions here with cong_audit(), in the same
-- transaction as the action itself (so a record exists exactly when the action committed, and inserts stay
-- concurrent: no chain, no lock). The audit module (modules/audit) seals new records as leaves of a Merkle tree
-- (RFC 9162) every few seconds and signs the tree head; it alone sets leaf_index and leaf_hash.
-- 0001's audit_log was a placeholder nothing ever wrote to.
DROP TABLE IF EXISTS audit_log;

CREATE TABLE audit_records (
    id          bigserial PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT clock_timestamp(),
    actor       text NOT NULL,     -- who acted: a subject pseudonym, 'client:<id>', 'admin', 'system'
    actor_kind  text NOT NULL CHECK (actor_kind IN ('citizen', 'official', 'client', 'partner', 'admin', 'system')),
    subject     text,              -- whose data it touches (a subject pseudonym), NULL when nobody's
    action      text NOT NULL CHECK (action ~ '^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$'), -- 'auth.login', 'mandate.use'
    object      text,              -- what it touched: 'dossier:HN-2026-0001234', 'mandate:<uuid>', 'session:<sid>'
    mandate_id  uuid,              -- when the actor acted for `subject`: the mandate they used
    request_id  text,
    instance    text NOT NULL,     -- the gateway instance that wrote it (its PostgreSQL application_name)
    module      text NOT NULL,
    detail      jsonb NOT NULL DEFAULT '{}'::jsonb, -- never a citizen number, never a secret
    leaf_index  bigint UNIQUE,     -- position in the Merkle tree: set once, by the sealer
    leaf_hash   bytea              -- RFC 9162 leaf hash SHA-256(0x00 || leaf bytes): set once, by the sealer
);
CREATE INDEX audit_records_unsealed ON audit_records (id) WHERE leaf_index IS NULL;
CREATE INDEX audit_records_subject ON audit_records (subject, id DESC) WHERE subject IS NOT NULL;

-- The one way to write a record (modules call it inside their own transaction). Returns the record's id.
CREATE FUNCTION cong_audit(p_module text, p_actor text, p_actor_kind text, p_subject text, p_action text,
                           p_object text, p_request_id text, p_detail jsonb DEFAULT '{}'::jsonb,
                           p_mandate_id uuid DEFAULT NULL) RETURNS bigint
LANGUAGE sql AS $$
    INSERT INTO audit_records (actor, actor_kind, subject, action, object, mandate_id, request_id, instance, module,
                               detail)
    VALUES (p_actor, p_actor_kind, p_subject, p_action, p_object, p_mandate_id, p_request_id,
            coalesce(nullif(current_setting('application_name', true), ''), 'unknown'), p_module,
            coalesce(p_detail, '{}'::jsonb))
    RETURNING id
$$;

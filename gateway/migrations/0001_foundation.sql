-- 0001: foundation. Extensions the catalog search needs (trusted extensions: the database owner may create them),
-- and the audit trail every module writes to: who did what, when, under which request — never a citizen number.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE EXTENSION IF NOT EXISTS unaccent;

CREATE TABLE audit_log (
    id          bigserial PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT now(),
    request_id  text NOT NULL,
    subject     text,            -- pseudonymous subject
    module      text NOT NULL,
    action      text NOT NULL,
    detail      jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX audit_log_subject_at ON audit_log (subject, at);

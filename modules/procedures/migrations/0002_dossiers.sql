-- procedures 0002: dossiers and everything written in the same transaction as one: the timeline, the outbox to the
-- National Public Service Portal, the outbox of push events, idempotency keys. Uploads and the document wallet.
-- Subjects are cong's pseudonyms ("sub"), never citizen numbers.

CREATE SEQUENCE dossier_number_seq;

CREATE TABLE dossiers (
    id              bigserial PRIMARY KEY,
    code            text NOT NULL UNIQUE,         -- 'HN-2026-0001234'
    procedure_code  text NOT NULL REFERENCES procedures (code),
    unit_code       text NOT NULL REFERENCES units (code),
    subject         text NOT NULL,                -- the applicant
    submitted_by    text NOT NULL,                -- who filed it (the applicant, or someone they authorized)
    status          text NOT NULL CHECK (status IN ('submitted', 'received', 'processing', 'supplement_requested',
                        'supplement_submitted', 'approved', 'rejected', 'result_issued', 'completed', 'withdrawn')),
    version         integer NOT NULL DEFAULT 1,   -- +1 on every transition; (id, version) is the portal's key
    form            jsonb NOT NULL,
    fee_vnd         bigint NOT NULL,
    submitted_at    timestamptz NOT NULL DEFAULT now(),
    due_date        date NOT NULL,                -- last working day the unit has
    received_at     timestamptz,
    decided_at      timestamptz,                  -- approved or rejected
    completed_at    timestamptz,                  -- result issued (the unit's work is done; counts for KPIs)
    result_sha256   text,
    result_signature text,                        -- JWS compact over the result's description, signed by cong
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX dossiers_subject ON dossiers (subject, submitted_at DESC);
CREATE INDEX dossiers_unit_status_due ON dossiers (unit_code, status, due_date);
CREATE INDEX dossiers_unit_submitted ON dossiers (unit_code, submitted_at);
CREATE INDEX dossiers_unit_completed ON dossiers (unit_code, completed_at) WHERE completed_at IS NOT NULL;
CREATE INDEX dossiers_open_due ON dossiers (unit_code, due_date) WHERE completed_at IS NULL AND status <> 'withdrawn';

CREATE TABLE dossier_events (
    dossier_id      bigint NOT NULL REFERENCES dossiers (id),
    version         integer NOT NULL,
    at              timestamptz NOT NULL DEFAULT now(),
    actor           text NOT NULL,                -- subject pseudonym of the citizen or official, or 'system'
    actor_role      text NOT NULL CHECK (actor_role IN ('citizen', 'official', 'system')),
    action          text NOT NULL,                -- 'submit', 'receive', 'process', ...
    from_status     text,
    to_status       text NOT NULL,
    note            text,
    request_id      text,
    PRIMARY KEY (dossier_id, version)
);

-- Delivered to the portal in order per dossier, idempotent by (dossier_code, version); see cong-portal-sync.
CREATE TABLE portal_outbox (
    id              bigserial PRIMARY KEY,
    dossier_id      bigint NOT NULL REFERENCES dossiers (id),
    dossier_code    text NOT NULL,
    version         integer NOT NULL,
    payload         jsonb NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_error      text,
    acked_at        timestamptz,
    UNIQUE (dossier_id, version)
);
CREATE INDEX portal_outbox_pending ON portal_outbox (next_attempt_at, dossier_id, version) WHERE acked_at IS NULL;

-- Push notifications leave through this outbox (relayed to Redis streams by the sync worker).
CREATE TABLE push_outbox (
    id              bigserial PRIMARY KEY,
    subject         text NOT NULL,
    topic           text NOT NULL,
    payload         jsonb NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    published_at    timestamptz
);
CREATE INDEX push_outbox_pending ON push_outbox (id) WHERE published_at IS NULL;

-- Idempotency-Key: the same key with the same request returns the first answer; with another request, 422.
CREATE TABLE idempotency_keys (
    subject         text NOT NULL,
    key             text NOT NULL,
    request_hash    text NOT NULL,                -- SHA-256 of the canonical request
    status          integer NOT NULL,
    response        jsonb NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (subject, key)
);

-- Uploaded files, stored content-addressed on disk (data_dir/ab/cdef...); one row per owner and content.
CREATE TABLE uploads (
    id              uuid PRIMARY KEY,
    owner           text NOT NULL,
    sha256          text NOT NULL,
    size_bytes      bigint NOT NULL,
    media_type      text NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (owner, sha256)
);

-- The citizen's wallet: electronic results and verified documents, attachable by reference.
CREATE TABLE wallet_documents (
    id              uuid PRIMARY KEY,
    owner           text NOT NULL,
    kind            text NOT NULL CHECK (kind IN ('result', 'verified')),
    title_vi        text NOT NULL,
    title_en        text NOT NULL,
    sha256          text NOT NULL,
    media_type      text NOT NULL,
    dossier_code    text,
    signature       text,
    issued_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX wallet_documents_owner ON wallet_documents (owner, issued_at DESC);

CREATE TABLE dossier_attachments (
    dossier_id      bigint NOT NULL REFERENCES dossiers (id),
    position        integer NOT NULL,
    name            text NOT NULL,               -- which required document this is
    upload_id       uuid REFERENCES uploads (id),
    wallet_document_id uuid REFERENCES wallet_documents (id),
    sha256          text NOT NULL,
    PRIMARY KEY (dossier_id, position),
    CHECK ((upload_id IS NULL) <> (wallet_document_id IS NULL))
);

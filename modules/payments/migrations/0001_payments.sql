-- payments 0001: the tables of the payments module (issue 13). The functions that change them are in the following
-- migrations; each is one transaction with its audit record (cong_audit) and its outbox rows (push_outbox; the
-- dossier's portal_outbox row through the procedures module's dossier functions), so nothing is half-done.
-- Amounts are integer VND (bigint), never floating point. Subjects are cong's pseudonyms, never citizen numbers.

-- One payment intent. A dossier may have several (an abandoned page, a retry after expiry); at most one settles the
-- dossier: a second success on an already paid dossier is recorded as money received and alarmed (to be refunded).
CREATE TABLE payments (
    id              uuid PRIMARY KEY,
    dossier_code    text NOT NULL REFERENCES dossiers (code),
    subject         text NOT NULL,                -- whose fee: the dossier's applicant
    paid_by         text NOT NULL,                -- who acts: the applicant, or a grantee under mandate_id
    mandate_id      uuid,
    provider        text NOT NULL,                -- 'vnpay'
    amount_vnd      bigint NOT NULL CHECK (amount_vnd > 0),
    state           text NOT NULL CHECK (state IN ('created', 'started', 'success', 'failed', 'cancelled',
                                                   'expired', 'error')),
    txn_ref         text NOT NULL,                -- the provider's order reference (vnp_TxnRef)
    order_info      text NOT NULL,                -- as sent to the provider (printable ASCII)
    client_ip       text NOT NULL,                -- vnp_IpAddr as sent
    created_at      timestamptz NOT NULL DEFAULT now(),
    expires_at      timestamptz NOT NULL,
    started_at      timestamptz,                  -- the payer reached the provider's page (a callback or querydr says)
    finished_at     timestamptz,                  -- entered one of the five final states
    provider_txn    text,                         -- the provider's transaction number (vnp_TransactionNo)
    bank_code       text,
    response_code   text,                         -- the provider's codes as last received
    status_code     text,
    paid_at         timestamptz,                  -- the provider's payment time (vnp_PayDate)
    settled_by      text CHECK (settled_by IN ('ipn', 'querydr', 'expiry')),
    refunded_vnd    bigint NOT NULL DEFAULT 0 CHECK (refunded_vnd >= 0 AND refunded_vnd <= amount_vnd),
    query_attempts  integer NOT NULL DEFAULT 0,   -- querydr asked so far (the job backs off on this)
    next_query_at   timestamptz,                  -- when the querydr job may ask next (NULL: once expired + grace)
    idempotency_key text,
    request_hash    text,
    UNIQUE (provider, txn_ref),
    UNIQUE (paid_by, idempotency_key)             -- Idempotency-Key of POST /v1/payments, per caller
);
CREATE INDEX payments_dossier ON payments (dossier_code, created_at DESC);
CREATE INDEX payments_subject ON payments (subject, created_at DESC);
CREATE INDEX payments_open ON payments (expires_at) WHERE finished_at IS NULL;
CREATE INDEX payments_paid_day ON payments (paid_at) WHERE state = 'success';

-- Every callback and status answer as received (signature included: it is not a secret), before it is applied: what
-- a dispute or the reconciliation reads. verdict is what cong answered (the provider's code: 00, 01, 02, 04, 97, 99).
CREATE TABLE payment_callbacks (
    id              bigserial PRIMARY KEY,
    payment_id      uuid REFERENCES payments (id),  -- NULL when no payment matched
    provider        text NOT NULL,
    source          text NOT NULL CHECK (source IN ('ipn', 'return', 'querydr')),
    received_at     timestamptz NOT NULL DEFAULT now(),
    remote_addr     text,
    raw             jsonb NOT NULL,
    verdict         text NOT NULL,
    request_id      text
);
CREATE INDEX payment_callbacks_payment ON payment_callbacks (payment_id, id);

-- A refund is its own object. reserved under the payment's row lock: the sum of refunds not failed never exceeds
-- what was paid (payments.refunded_vnd counts them), so two concurrent refunds cannot exceed the amount.
CREATE TABLE payment_refunds (
    id              uuid PRIMARY KEY,
    payment_id      uuid NOT NULL REFERENCES payments (id),
    amount_vnd      bigint NOT NULL CHECK (amount_vnd > 0),
    full_refund     boolean NOT NULL,
    state           text NOT NULL CHECK (state IN ('submitted', 'success', 'failed', 'error')),
    request_id      text NOT NULL UNIQUE,         -- the provider's per-day unique request id (vnp_RequestId)
    reason          text NOT NULL,
    requested_by    text NOT NULL,                -- the official's pseudonym
    created_at      timestamptz NOT NULL DEFAULT now(),
    finished_at     timestamptz,
    provider_txn    text,
    response_code   text,
    idempotency_key text,
    request_hash    text,
    UNIQUE (requested_by, idempotency_key)
);
CREATE INDEX payment_refunds_payment ON payment_refunds (payment_id, created_at);

-- What someone must look at: an amount that is not ours, money received twice for one dossier, a statement
-- mismatch. Written with an audit record; read by operators (and the reconciliation).
CREATE TABLE payment_alarms (
    id              bigserial PRIMARY KEY,
    at              timestamptz NOT NULL DEFAULT now(),
    payment_id      uuid REFERENCES payments (id),
    kind            text NOT NULL,                -- 'amount-mismatch', 'double-payment', 'late-success', ...
    detail          jsonb NOT NULL DEFAULT '{}'::jsonb
);

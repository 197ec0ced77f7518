-- modules/audit 0001: the Merkle tree over audit_records (gateway migration 0005) and its signed heads.
-- Written by the sealer only (modules/audit/sealer.c), in the same transaction as the leaf indexes it gives.

-- The audit keys that ever signed a head: published at /v1/audit/keys, read by `cong audit verify`.
CREATE TABLE audit_keys (
    key_id     text PRIMARY KEY,              -- base64url(SHA-256(spki))
    spki       bytea NOT NULL,                -- the public key, SubjectPublicKeyInfo DER
    jwk        jsonb NOT NULL,                -- the same key as a JWK (RFC 7517)
    first_used timestamptz NOT NULL DEFAULT now()
);

-- One row per signed tree head (a head is only signed when it has new records, so sizes are unique).
CREATE TABLE audit_tree_heads (
    tree_size    bigint PRIMARY KEY CHECK (tree_size > 0),
    root_hash    bytea NOT NULL CHECK (length(root_hash) = 32),   -- RFC 9162 MTH of leaves 0 .. tree_size-1
    signed_at_ms bigint NOT NULL,                                 -- the head's timestamp, ms since the epoch
    key_id       text NOT NULL REFERENCES audit_keys (key_id),
    signature    bytea NOT NULL CHECK (length(signature) = 64)    -- ES256 (r || s) over the head (signer.h)
);

-- The perfect subtrees: (level, idx) covers leaves [idx * 2^level, (idx + 1) * 2^level); level 0 holds the leaf
-- hashes. A proof reads O(log n) of them, never the leaves (merkle.h).
CREATE TABLE audit_nodes (
    level smallint NOT NULL CHECK (level BETWEEN 0 AND 62),
    idx   bigint NOT NULL CHECK (idx >= 0),
    hash  bytea NOT NULL CHECK (length(hash) = 32),
    PRIMARY KEY (level, idx)
);

-- The access log reads a subject's records newest first by id; 0005's audit_records_subject index serves it.

-- identity 0001: client secrets rotate with overlap (issue 18). During a rotation (`cong client rotate-secret`) a
-- client has two valid secrets: the new one in secret_hash, the one it replaces in previous_secret_hash until
-- previous_secret_expires_at or `cong client finish-rotation`, whichever comes first. Both are SHA-256 hex digests;
-- POST /v1/auth/token compares the presented secret's digest with both, in constant time (client_token.c).
-- api_clients is the gateway's table (gateway/migrations/0002_api_clients.sql); this module runs it.
ALTER TABLE api_clients
    ADD COLUMN previous_secret_hash text,
    ADD COLUMN previous_secret_expires_at timestamptz,
    ADD CONSTRAINT api_clients_previous_secret
        CHECK ((previous_secret_hash IS NULL) = (previous_secret_expires_at IS NULL));

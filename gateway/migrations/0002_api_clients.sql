-- 0002: API clients of businesses and partners (OAuth 2.0 client credentials, RFC 6749 §4.4).
-- The secret is 256 random bits shown once at creation; only its SHA-256 is kept.
CREATE TABLE api_clients (
    client_id    text PRIMARY KEY,
    name         text NOT NULL,
    secret_hash  text NOT NULL,
    scopes       text NOT NULL DEFAULT '',
    daily_quota  integer NOT NULL DEFAULT 100000 CHECK (daily_quota > 0),
    created_at   timestamptz NOT NULL DEFAULT now(),
    revoked_at   timestamptz
);

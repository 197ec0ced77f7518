-- orgs 0001: organizations (issue 18) — a business or other organization as a user of cong, and the API clients that
-- act for it.
--
-- `code` is the enterprise/tax code (mã số doanh nghiệp): 10 digits, or 10 digits, "-" and a 3-digit branch number
-- (001..999). `representative` is the legal representative's pseudonymous subject (what citizen_subject makes of their
-- citizen number: 43 base64url characters), never a citizen number. The organization's own subject, the "sub" of the
-- tokens its API clients get and the owner of what it files, is 'org:' || id (orgs.h).
CREATE TABLE organizations (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    code            text NOT NULL UNIQUE CHECK (code ~ '^[0-9]{10}(-[0-9]{3})?$' AND code !~ '-000$'),
    name            text NOT NULL CHECK (length(name) BETWEEN 1 AND 300),
    representative  text NOT NULL CHECK (representative ~ '^[A-Za-z0-9_-]{43}$'),
    status          text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended')),
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX organizations_representative ON organizations (representative);

-- api_clients is the gateway's table (gateway/migrations/0002_api_clients.sql), run by the identity module: a client
-- may name the organization it acts for (`cong client create NAME --org CODE`). Its tokens then carry the
-- organization's subject (modules/identity/client_token.c).
ALTER TABLE api_clients ADD COLUMN organization_id uuid REFERENCES organizations (id);
CREATE INDEX api_clients_organization ON api_clients (organization_id) WHERE organization_id IS NOT NULL;

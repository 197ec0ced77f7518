-- procedures 0008: roles of cong users, granted by administrators (`cong official add|remove`,
-- official_command.c). A role may be tied to a resource: an official serves one or more units (role 'official',
-- resource = unit code). Subjects are cong's pseudonyms, never citizen numbers. Until now the gateway's migration
-- 0003 made this table: a database that applied it has the table already, with its grants, and this is a no-op there.
CREATE TABLE IF NOT EXISTS user_roles (
    subject     text NOT NULL,
    role        text NOT NULL CHECK (role ~ '^[a-z_]+$'),
    resource    text NOT NULL DEFAULT '',
    granted_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (subject, role, resource)
);

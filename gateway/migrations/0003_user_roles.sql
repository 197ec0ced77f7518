-- 0003: roles of cong users, granted by administrators (`cong official add|remove`). A role may be tied to a
-- resource: an official serves one or more units (role 'official', resource = unit code). Subjects are cong's
-- pseudonyms, never citizen numbers.
CREATE TABLE user_roles (
    subject     text NOT NULL,
    role        text NOT NULL CHECK (role ~ '^[a-z_]+$'),
    resource    text NOT NULL DEFAULT '',
    granted_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (subject, role, resource)
);

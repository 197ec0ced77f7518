-- procedures 0001: the catalog. Units (the city's 126 communes and wards, and city departments), domains,
-- procedures with their form fields, the units that handle each procedure, and the calendar of public holidays
-- that due dates are counted on. Loaded by the deterministic generator (scripts/gen-catalog.py) on first start.

-- unaccent() is STABLE (it reads a dictionary); indexes need an IMMUTABLE wrapper with the dictionary named.
CREATE FUNCTION cong_fold(t text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    RETURN lower(public.unaccent('public.unaccent'::regdictionary, replace(replace(t, 'đ', 'd'), 'Đ', 'D')));

CREATE TABLE units (
    code        text PRIMARY KEY,                 -- 'HN-W-001' (ward/commune), 'HN-D-TP' (city department)
    name        text NOT NULL,                    -- 'Phường Hoàn Kiếm', 'Sở Tư pháp'
    name_en     text NOT NULL,
    kind        text NOT NULL CHECK (kind IN ('ward', 'commune', 'department'))
);

CREATE TABLE domains (
    code        text PRIMARY KEY,                 -- 'ho-tich'
    name_vi     text NOT NULL,                    -- 'Hộ tịch'
    name_en     text NOT NULL                     -- 'Civil status'
);

CREATE TABLE procedures (
    code            text PRIMARY KEY,             -- '1.000001'-style national code
    name_vi         text NOT NULL,
    name_en         text NOT NULL,
    domain          text NOT NULL REFERENCES domains (code),
    level           text NOT NULL CHECK (level IN ('city', 'commune')),
    fee_vnd         bigint NOT NULL CHECK (fee_vnd >= 0),
    processing_days integer NOT NULL CHECK (processing_days > 0),
    -- [{"name_vi": "...", "name_en": "...", "required": true}]
    required_documents jsonb NOT NULL DEFAULT '[]'::jsonb,
    min_loa         smallint NOT NULL CHECK (min_loa IN (1, 2)),
    online_level    text NOT NULL CHECK (online_level IN ('full', 'partial')),
    accepts_electronic_copies boolean NOT NULL,
    -- [{"name": "ho_ten", "label_vi": "...", "label_en": "...", "type": "string|integer|date|boolean|enum",
    --   "required": true, "pattern": "^...$" (optional, strings), "enum": ["..."] (enum only),
    --   "max_length": 200 (optional, strings)}]
    form_fields     jsonb NOT NULL DEFAULT '[]'::jsonb,
    search_text     text GENERATED ALWAYS AS (cong_fold(name_vi || ' ' || name_en || ' ' || code)) STORED
);
CREATE INDEX procedures_search_trgm ON procedures USING gin (search_text gin_trgm_ops);
CREATE INDEX procedures_domain ON procedures (domain);

-- Which units handle a procedure: commune-level procedures are handled by every ward/commune, city-level ones by
-- one or more departments.
CREATE TABLE procedure_units (
    procedure_code  text NOT NULL REFERENCES procedures (code),
    unit_code       text NOT NULL REFERENCES units (code),
    PRIMARY KEY (procedure_code, unit_code)
);
CREATE INDEX procedure_units_unit ON procedure_units (unit_code);

-- Weekends are never working days; this table holds the public holidays (and compensatory days off).
CREATE TABLE holidays (
    day         date PRIMARY KEY,
    name        text NOT NULL
);

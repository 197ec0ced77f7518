-- procedures 0013: the catalog's version. Every gateway instance holds the catalog in memory (catalog_live.c) and
-- reloads it when this counter moves: one row, bumped by the writer's own transaction on any change to procedures or
-- procedure_units (a migration, the catalog generator, an administrator's UPDATE), so a loader that reads the
-- version and the rows in one snapshot never pairs a version with rows of another.
CREATE TABLE catalog_version (
    only_row    boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    version     bigint NOT NULL
);
INSERT INTO catalog_version (version) VALUES (1);

CREATE FUNCTION catalog_version_bump() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    UPDATE catalog_version SET version = version + 1;
    RETURN NULL;
END $$;

CREATE TRIGGER procedures_catalog_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON procedures
    FOR EACH STATEMENT EXECUTE FUNCTION catalog_version_bump();
CREATE TRIGGER procedure_units_catalog_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON procedure_units
    FOR EACH STATEMENT EXECUTE FUNCTION catalog_version_bump();

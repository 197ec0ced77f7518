-- Every key cong has signed documents with (electronic results, receipts): its public JWK, kept for as long as
-- documents signed with it exist, that is for good. cong records its current document key at start
-- (gateway/document_keys.c); verification finds keys here by kid, and /.well-known/cong-document-keys.json publishes
-- them all. Append-only: deleting or changing a row would make every document signed with that key a forgery.
CREATE TABLE document_keys (
    kid             text PRIMARY KEY,
    jwk             jsonb NOT NULL,
    first_used_at   timestamptz NOT NULL DEFAULT now()
);

CREATE FUNCTION document_keys_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'document_keys is append-only: documents signed with a key must keep verifying';
END $$;

CREATE TRIGGER document_keys_no_change BEFORE UPDATE OR DELETE ON document_keys
    FOR EACH ROW EXECUTE FUNCTION document_keys_append_only();
CREATE TRIGGER document_keys_no_truncate BEFORE TRUNCATE ON document_keys
    FOR EACH STATEMENT EXECUTE FUNCTION document_keys_append_only();

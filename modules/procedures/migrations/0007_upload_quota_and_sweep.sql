-- procedures 0007: a daily upload quota per owner, and the sweep of uploads no dossier uses (modules/procedures/
-- uploads.c, upload_sweep.c).

-- When the owner last sent these bytes: sending the same file again gives the same upload back and restarts its
-- clock, so the sweep never removes an upload its owner has just been handed.
ALTER TABLE uploads ADD COLUMN last_uploaded_at timestamptz NOT NULL DEFAULT now();
CREATE INDEX uploads_last_uploaded ON uploads (last_uploaded_at);
CREATE INDEX uploads_sha256 ON uploads (sha256);
-- What the sweep asks of every candidate: is it attached, is its content used elsewhere.
CREATE INDEX dossier_attachments_upload ON dossier_attachments (upload_id) WHERE upload_id IS NOT NULL;
CREATE INDEX dossier_attachments_sha256 ON dossier_attachments (sha256);
CREATE INDEX wallet_documents_sha256 ON wallet_documents (sha256);
CREATE INDEX dossiers_result_sha256 ON dossiers (result_sha256) WHERE result_sha256 IS NOT NULL;

-- What each owner took per day (Asia/Ho_Chi_Minh): reserved before the file is written, so a refused upload costs no
-- disk. Rows older than yesterday are removed by the sweep.
CREATE TABLE upload_usage (
    owner           text NOT NULL,
    day             date NOT NULL,
    files           integer NOT NULL DEFAULT 0,
    bytes           bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (owner, day)
);

-- Takes one file of p_bytes from the owner's quota of today. exceeded: NULL (taken), 'files' or 'bytes' (nothing
-- taken); retry_after_s: seconds until the quota's day ends.
CREATE FUNCTION upload_quota_take(p_owner text, p_bytes bigint, p_max_files integer, p_max_bytes bigint,
                                  OUT exceeded text, OUT retry_after_s integer)
LANGUAGE plpgsql AS $$
DECLARE
    today date := (now() AT TIME ZONE 'Asia/Ho_Chi_Minh')::date;
    used upload_usage;
BEGIN
    INSERT INTO upload_usage (owner, day) VALUES (p_owner, today) ON CONFLICT DO NOTHING;
    SELECT * INTO used FROM upload_usage WHERE owner = p_owner AND day = today FOR UPDATE;
    retry_after_s := greatest(1, ceil(extract(epoch FROM
        ((today + 1)::timestamp AT TIME ZONE 'Asia/Ho_Chi_Minh') - now())))::integer;
    IF used.files + 1 > p_max_files THEN
        exceeded := 'files';
    ELSIF used.bytes + p_bytes > p_max_bytes THEN
        exceeded := 'bytes';
    ELSE
        UPDATE upload_usage SET files = files + 1, bytes = bytes + p_bytes WHERE owner = p_owner AND day = today;
    END IF;
END $$;

-- Removes up to p_batch uploads that no dossier uses (not an attachment, not a result), last sent more than p_age_s
-- ago. deleted: how many; orphans: the SHA-256 of each content nothing refers to any more (no other upload,
-- attachment, wallet document or dossier result), whose file the caller removes after the commit. The check runs
-- under an advisory lock per content, each statement with a fresh snapshot, so two instances sweeping the same
-- content agree. Uploads another sweeper holds are skipped.
CREATE FUNCTION uploads_sweep(p_age_s integer, p_batch integer, OUT deleted integer, OUT orphans text[])
LANGUAGE plpgsql AS $$
DECLARE
    removed text[];
    sha text;
BEGIN
    WITH stale AS (
        SELECT u.id FROM uploads u
        WHERE u.last_uploaded_at < now() - make_interval(secs => p_age_s)
          AND NOT EXISTS (SELECT 1 FROM dossier_attachments a WHERE a.upload_id = u.id)
          AND NOT EXISTS (SELECT 1 FROM dossiers d WHERE d.result_sha256 = u.sha256)
        ORDER BY u.last_uploaded_at
        LIMIT p_batch
        FOR UPDATE SKIP LOCKED
    ), gone AS (
        DELETE FROM uploads u USING stale WHERE u.id = stale.id RETURNING u.sha256
    )
    SELECT count(*), coalesce(array_agg(DISTINCT gone.sha256), '{}') INTO deleted, removed FROM gone;
    DELETE FROM upload_usage WHERE day < (now() AT TIME ZONE 'Asia/Ho_Chi_Minh')::date - 1;
    orphans := '{}';
    FOREACH sha IN ARRAY removed LOOP
        PERFORM pg_advisory_xact_lock(hashtextextended('cong:upload-content:' || sha, 0));
        IF NOT EXISTS (SELECT 1 FROM uploads WHERE sha256 = sha)
           AND NOT EXISTS (SELECT 1 FROM dossier_attachments WHERE sha256 = sha)
           AND NOT EXISTS (SELECT 1 FROM wallet_documents WHERE sha256 = sha)
           AND NOT EXISTS (SELECT 1 FROM dossiers WHERE result_sha256 = sha) THEN
            orphans := orphans || sha;
        END IF;
    END LOOP;
END $$;

-- bench/push_sse_commit.sql — the pgbench script of bench/push_sse.sh's commit phase: one transaction (pgbench's
-- autocommit) that commits one push_outbox row, as a module's change does, for a random one of the bench's people
-- (ssebench_subjects, filled by the script from its token file; pgbench -D subjects=<how many>). Topic
-- dossier.status has a template, so modules/push's trigger writes the inbox row in this same transaction and
-- cong-push-worker gives the live event its texts. The payload is dossier.status's shape (code, status, version)
-- plus commit_us: clock_timestamp() in µs since the epoch, taken while the row is built — the trigger and the commit
-- itself (WAL flush, fsync=on) come after it, so the true commit is slightly later than commit_us.
\set n random(1, :subjects)
INSERT INTO push_outbox (subject, topic, payload)
SELECT subject, 'dossier.status',
       jsonb_build_object('code', 'SSEBENCH-' || :n, 'status', 'processing', 'version', 1,
                          'commit_us', (extract(epoch FROM clock_timestamp()) * 1000000)::bigint)
  FROM ssebench_subjects WHERE n = :n;

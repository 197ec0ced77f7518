-- bench/pgbench_submission.sql — the anchor of bench/procedures.sh's submissions (issue 17 part 3): what PostgreSQL
-- alone does with the very transaction one POST /v1/dossiers commits. Each pgbench transaction is one call of
-- dossier_submit (modules/procedures/migrations, latest definition in 0010_fees.sql), the SQL function cong's
-- modules/procedures/dossiers.c calls, with the same kind of arguments cong sends; so it writes the same rows and
-- index entries, triggers included:
--   idempotency_keys   claimed (INSERT ... ON CONFLICT), then answered (UPDATE) — a new key every transaction
--   dossiers           one row (dossier_number_seq), its indexes, the KPI rollup triggers (0005, 0012)
--   dossier_events     the timeline event      } dossier_record_version (0009)
--   portal_outbox      the national portal's copy }
--   push_outbox        the citizen's notification, and push_inbox through modules/push's trigger push_inbox_fill
-- and commits once (autocommit: one statement, one transaction, one WAL flush), as cong's does.
-- Not in it: cong's read of the procedure's form before the call (SELECT form_fields, min_loa, domain FROM procedures)
-- — a read cong needs to validate the form, not part of what PostgreSQL must write.
-- The units: each transaction files at one of the NUNITS units of UNITS (space-separated), drawn at random, as cong's
-- load spreads its submissions over the same units (one body per unit, in turn): a city's dossiers go to many wards,
-- and one unit alone would make every transaction wait for the one KPI rollup row of (unit, week) that the previous
-- one holds until its commit.
--   pgbench -n -M extended -c POOL -j 1 -T SECONDS -D subject=S -D proc=P -D units="U1 U2 ..." -D nunits=N \
--           -D form=JSON -f bench/pgbench_submission.sql cong
-- (procedures.sh passes cong's own procedure, units and form: those of its submit bodies.)
\set n random(1, 1000000000000)
\set u random(1, :nunits)
SELECT http_status, body, replayed
  FROM dossier_submit(:subject, :subject, 'pgbench-' || :client_id || '-' || :n,
                      '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08', :proc,
                      (string_to_array(:units, ' '))[:u], :form::jsonb, '[]'::jsonb, 'pgbench-' || :n, NULL::uuid);

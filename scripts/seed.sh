#!/usr/bin/env bash
# Loads seed data once the schema exists, into the cong database.   scripts/seed.sh REDIS_PORT PG_PORT
#  1. the procedures catalog (units, domains, procedures, holidays) from scripts/gen-catalog.py, skipped when the
#     procedures table already holds the full catalog (>= 2,100 rows, some open to organizations) so that a restart is
#     fast; a catalog loaded before procedures had applicants (procedures 0014) is loaded again, which marks them;
#  2. every file of scripts/seeds/*.sql in name order, each idempotent (ON CONFLICT DO NOTHING or guarded).
set -euo pipefail
cd "$(dirname "$0")/.."
PG_PORT=${2:?PG_PORT}
PSQL=(psql -h 127.0.0.1 -p "$PG_PORT" -U cong -d cong -v ON_ERROR_STOP=1 -q)

count=$("${PSQL[@]}" -At -c "select count(*) from procedures" 2>/dev/null || echo none)
# the generator's procedures (national-style codes; tests add others) that are open to organizations
marked=$("${PSQL[@]}" -At -c "select count(*) from procedures where applicants <> 'citizen' and code ~ '^[0-9.]+\$'" \
  2>/dev/null || echo 0)
if [ "$count" = none ]; then
  echo "seed: no procedures table (module migrations not applied?): catalog not loaded" >&2
elif [ "$count" -lt 2100 ] || [ "$marked" = 0 ]; then
  python3 scripts/gen-catalog.py | "${PSQL[@]}" >/dev/null
  # Statistics and a clean index now, not when autovacuum gets round to it: right after the load, catalog searches ran
  # ~7x slower (70 ms instead of 10, bench/procedures.sh) until a vacuum had run.
  "${PSQL[@]}" -c "VACUUM (ANALYZE) units, domains, procedures, procedure_units, holidays" >/dev/null
fi

shopt -s nullglob
for f in scripts/seeds/*.sql; do
  "${PSQL[@]}" -f "$f" >/dev/null
done

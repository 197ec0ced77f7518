#!/usr/bin/env bash
# Loads seed data once the schema exists, into the cong database.   scripts/seed.sh REDIS_PORT PG_PORT
#  1. the procedures catalog (units, domains, procedures, holidays) from scripts/gen-catalog.py, skipped when the
#     procedures table already holds the full catalog (>= 2,100 rows) so that a restart is fast;
#  2. every file of scripts/seeds/*.sql in name order, each idempotent (ON CONFLICT DO NOTHING or guarded).
set -euo pipefail
cd "$(dirname "$0")/.."
PG_PORT=${2:?PG_PORT}
PSQL=(psql -h 127.0.0.1 -p "$PG_PORT" -U cong -d cong -v ON_ERROR_STOP=1 -q)

count=$("${PSQL[@]}" -At -c "select count(*) from procedures" 2>/dev/null || echo none)
if [ "$count" = none ]; then
  echo "seed: no procedures table (module migrations not applied?): catalog not loaded" >&2
elif [ "$count" -lt 2100 ]; then
  python3 scripts/gen-catalog.py | "${PSQL[@]}" >/dev/null
  # Statistics now, not when autovacuum gets round to it: without them the planner does not know that a common word
  # matches many procedures and catalog searches ran ~15x slower (145 ms instead of 10, bench/procedures.sh).
  "${PSQL[@]}" -c "ANALYZE units, domains, procedures, procedure_units, holidays" >/dev/null
fi

shopt -s nullglob
for f in scripts/seeds/*.sql; do
  "${PSQL[@]}" -f "$f" >/dev/null
done

#!/usr/bin/env bash
# Loads seed data once the schema exists: every file of scripts/seeds/*.sql in name order, each idempotent
# (written with ON CONFLICT DO NOTHING or guarded), into the cong database.   scripts/seed.sh REDIS_PORT PG_PORT
# The foundation has no seed data yet; modules add their files here (the procedures catalog, units, holidays).
set -euo pipefail
cd "$(dirname "$0")/.."
PG_PORT=${2:?PG_PORT}
shopt -s nullglob
for f in scripts/seeds/*.sql; do
  psql -h 127.0.0.1 -p "$PG_PORT" -U cong -d cong -v ON_ERROR_STOP=1 -q -f "$f" >/dev/null
done

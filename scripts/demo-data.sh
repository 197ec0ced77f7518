#!/usr/bin/env bash
# Loads the demo data set (scripts/demo/demo-data.sql: 12 weeks of dossiers) into the cong database, once: a second
# run says it is there and changes nothing. scripts/run.sh calls it when server.environment is development; never
# make test.
#   scripts/demo-data.sh PG_PORT SUBJECT_SECRET_FILE
# Environment (set by scripts/run.sh): DEMO_CITIZEN and DEMO_OFFICIAL, test citizens of the stand-in VNeID;
# DEMO_CITIZEN_NAME; DEMO_UNITS, the official's units (space-separated). The data names people by their cong subject,
# computed here from the citizen number as cong computes it at login (auth/subject.c: HMAC-SHA256 of
# "vneid:<number>" keyed with auth.subject_secret_file, base64url), so the demo citizen logs in to their own dossiers.
set -euo pipefail
cd "$(dirname "$0")/.."
PG_PORT=${1:?PG_PORT}
SECRET_FILE=${2:?SUBJECT_SECRET_FILE}
: "${DEMO_CITIZEN:?}" "${DEMO_OFFICIAL:?}" "${DEMO_CITIZEN_NAME:?}" "${DEMO_UNITS:?}"

# The citizen numbers go through the environment, not argv.
subject_of() {
  NUMBER=$1 SECRET_FILE=$SECRET_FILE python3 -c '
import base64, hashlib, hmac, os
with open(os.environ["SECRET_FILE"], "rb") as f:
    secret = f.read(64).rstrip(b"\r\n")   # as auth/identity.c reads it
mac = hmac.new(secret, b"vneid:" + os.environ["NUMBER"].encode(), hashlib.sha256).digest()
print(base64.urlsafe_b64encode(mac).rstrip(b"=").decode())'
}

PSQL=(psql -h 127.0.0.1 -p "$PG_PORT" -U cong -d cong -v ON_ERROR_STOP=1 -qAtX)
report=$("${PSQL[@]}" -v citizen="$(subject_of "$DEMO_CITIZEN")" -v official="$(subject_of "$DEMO_OFFICIAL")" \
  -v citizen_name="$DEMO_CITIZEN_NAME" -v desk="{${DEMO_UNITS// /,}}" -f scripts/demo/demo-data.sql)
echo "$report"
if [[ "$report" == *" dossiers loaded"* ]]; then
  # Statistics for the planner now, not when autovacuum gets round to it (the KPI queries read these tables).
  "${PSQL[@]}" -c "VACUUM (ANALYZE) dossiers, dossier_events, portal_outbox, kpi_completions_weekly" >/dev/null
fi

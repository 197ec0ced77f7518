#!/usr/bin/env bash
# A table that moved from the gateway's migrations to a module's: user_roles, once gateway/migrations/0003, is now
# modules/procedures/migrations/0008 (CREATE TABLE IF NOT EXISTS) and the gateway's 0003 a no-op. Two databases, each
# in a schema of its own of the test database: one migrated before the move (the old 0003, a grant in it), then with
# the current folders — nothing is lost, 0008 is recorded; and a new one — the table is made by the module.
source "$(dirname "$0")/lib.sh"
sql() { psql -h 127.0.0.1 -p "$PG_PORT" -U cong -d cong -v ON_ERROR_STOP=1 -qAtX -c "$1" 2>&1; }
RUNID=$$_$RANDOM
OLD="moved_old_$RUNID" NEW="moved_new_$RUNID"
trap 'sql "DROP SCHEMA IF EXISTS $OLD CASCADE; DROP SCHEMA IF EXISTS $NEW CASCADE" >/dev/null' EXIT
# migrate SCHEMA GATEWAY_DIR PROCEDURES_DIR: cong --migrate into SCHEMA (the extensions stay in public).
migrate() {
  env CONG_POSTGRES_CONNINFO="host=127.0.0.1 port=$PG_PORT dbname=cong user=cong options='-csearch_path=$1,public'" \
    CONG_POSTGRES_MIGRATIONS_DIR="$2" CONG_MODULES_PROCEDURES_MIGRATIONS_DIR="$3" \
    CONG_MODULES_MANDATES_MIGRATIONS_DIR="$SRC/modules/mandates/migrations" \
    CONG_MODULES_IDENTITY_MIGRATIONS_DIR="$SRC/modules/identity/migrations" \
    CONG_MODULES_ORGS_MIGRATIONS_DIR="$SRC/modules/orgs/migrations" \
    CONG_MODULES_QUEUE_MIGRATIONS_DIR="$SRC/modules/queue/migrations" \
    CONG_MODULES_FEEDBACK_MIGRATIONS_DIR="$SRC/modules/feedback/migrations" \
    CONG_MODULES_APPOINTMENTS_MIGRATIONS_DIR="$SRC/modules/appointments/migrations" \
    CONG_MODULES_PUSH_MIGRATIONS_DIR="$SRC/modules/push/migrations" \
    CONG_MODULES_PAYMENTS_MIGRATIONS_DIR="$SRC/modules/payments/migrations" \
    CONG_MODULES_PROCEDURES_DATA_DIR="$GW_DIR/data" \
    CONG_MODULES_PROCEDURES_DASHBOARD_DIR="$SRC/modules/procedures/dashboard" \
    CONG_SERVER_OPENAPI_FILE="$SRC/openapi/cong.yaml" ASAN_OPTIONS=detect_leaks=0 \
    CONG_MODULES_AUDIT_MIGRATIONS_DIR="$SRC/modules/audit/migrations" \
    CONG_MODULES_AUDIT_SIGNING_KEY_FILE="$RUN/keys/cong-audit.pem" \
    "$BUILD/cong" --migrate 2>>"$GW_DIR/migrate.log"
}

# The folders as they were before the move: the gateway's 0003 made the table, procedures stopped at 0007.
mkdir -p "$GW_DIR/before/gateway" "$GW_DIR/before/procedures"
cp "$SRC"/gateway/migrations/*.sql "$GW_DIR/before/gateway/"
cat >"$GW_DIR/before/gateway/0003_user_roles.sql" <<'SQL'
CREATE TABLE user_roles (
    subject     text NOT NULL,
    role        text NOT NULL CHECK (role ~ '^[a-z_]+$'),
    resource    text NOT NULL DEFAULT '',
    granted_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (subject, role, resource)
);
SQL
for f in "$SRC"/modules/procedures/migrations/*.sql; do
  [ "$(basename "$f" | cut -c1-4)" -lt 8 ] && cp "$f" "$GW_DIR/before/procedures/"
done

sql "CREATE SCHEMA $OLD; CREATE SCHEMA $NEW" >/dev/null
migrate "$OLD" "$GW_DIR/before/gateway" "$GW_DIR/before/procedures"
expect_eq "before the move: migrated" 0 $?
sql "INSERT INTO $OLD.user_roles (subject, role, resource) VALUES ('s-$RUNID', 'official', 'HN-W-001')" >/dev/null
migrate "$OLD" "$SRC/gateway/migrations" "$SRC/modules/procedures/migrations"
expect_eq "after the move, the same database migrates" 0 $?
expect_eq "...its grants kept" "s-$RUNID|official|HN-W-001" \
  "$(sql "SELECT subject, role, resource FROM $OLD.user_roles")"
expect_eq "...procedures 0008 recorded" "0008_user_roles.sql" \
  "$(sql "SELECT name FROM $OLD.module_migrations WHERE module = 'procedures' AND version = 8")"
expect_eq "...the gateway's 0003 not applied again" 1 \
  "$(sql "SELECT count(*) FROM $OLD.schema_migrations WHERE version = 3")"

migrate "$NEW" "$SRC/gateway/migrations" "$SRC/modules/procedures/migrations"
expect_eq "a new database migrates" 0 $?
expect_eq "...the module made the table" "subject,role,resource,granted_at" \
  "$(sql "SELECT string_agg(column_name, ',' ORDER BY ordinal_position) FROM information_schema.columns
          WHERE table_schema = '$NEW' AND table_name = 'user_roles'")"
expect_eq "...the gateway's 0003 recorded, a no-op" "0003_user_roles.sql" \
  "$(sql "SELECT name FROM $NEW.schema_migrations WHERE version = 3")"
# The push module (migrated after procedures) puts its inbox trigger on each database's own push_outbox.
push_trigger() { sql "SELECT count(*) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
                      JOIN pg_namespace n ON n.oid = c.relnamespace
                      WHERE t.tgname = 'push_inbox_fill' AND c.relname = 'push_outbox' AND n.nspname = '$1'"; }
expect_eq "the push inbox trigger on the older database's outbox" 1 "$(push_trigger "$OLD")"
expect_eq "...and on the new one's" 1 "$(push_trigger "$NEW")"
[ "$FAIL" -eq 0 ] || cat "$GW_DIR/migrate.log"
finish

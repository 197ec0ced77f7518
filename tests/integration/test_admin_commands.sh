#!/usr/bin/env bash
# `cong --help` and the exit statuses of the administrative commands (gateway/exit_status.h): a command that finds
# nothing to change says so and exits 0 (a set-up run twice must not fail), an unknown unit or client is 3, bad
# usage 2, a store that cannot be reached 1. Against the test PostgreSQL and Redis.
source "$(dirname "$0")/lib.sh"
head -c 48 /dev/urandom >"$GW_DIR/subject-secret"
CLOSED=$(free_port)   # nothing listens there
cong_cmd() {
  env CONG_POSTGRES_CONNINFO="host=127.0.0.1 port=$PG_PORT dbname=cong user=cong connect_timeout=5" \
    CONG_REDIS_PORT="$REDIS_PORT" CONG_AUTH_SUBJECT_SECRET_FILE="$GW_DIR/subject-secret" \
    ASAN_OPTIONS=detect_leaks=0:halt_on_error=1 "$@" "$BUILD/cong" "${ARGS[@]}" >"$GW_DIR/out" 2>"$GW_DIR/err"
}
# run [KEY=VALUE...] -- ARGS...: prints the exit status; stdout in $GW_DIR/out, stderr in $GW_DIR/err.
run() {
  local envs=()
  while [ "$1" != -- ]; do envs+=("$1"); shift; done
  shift
  ARGS=("$@")
  cong_cmd "${envs[@]}"
  echo $?
}
out() { cat "$GW_DIR/out"; }

# ---- --help ----
expect_eq "cong --help: exit 0" 0 "$(run -- --help)"
HELP=$(out)
for usage in "cong --check-config FILE" "cong --list-routes" "cong --migrate" "cong client create NAME" \
             "cong client list" "cong client revoke CLIENT_ID" "cong official add --unit UNIT_CODE" \
             "cong official remove --unit UNIT_CODE" "cong official list"; do
  expect_match "--help shows: $usage" "$usage" "$HELP"
done
for status in "0  done, or nothing needed doing" "1  failure" "2  usage" "3  not found"; do
  expect_match "--help explains exit status $status" "$status" "$HELP"
done
expect_eq "cong -h: the same" "$HELP" "$(run -- -h >/dev/null; out)"
expect_eq "an unknown option: 2" 2 "$(run -- --frobnicate)"
expect_eq "official without a subcommand: 2" 2 "$(run -- official)"
expect_eq "official add without a person: 2" 2 "$(run -- official add --unit HN-W-001)"
expect_eq "client revoke without an id: 2" 2 "$(run -- client revoke)"

# ---- official add|remove: idempotent ----
SUB="it-admin-$$-$RANDOM"
expect_eq "grant: 0" 0 "$(run -- official add --unit HN-W-001 --subject "$SUB")"
expect_eq "grant: said" "official $SUB: unit HN-W-001 granted" "$(out)"
expect_eq "the same grant again: 0" 0 "$(run -- official add --unit HN-W-001 --subject "$SUB")"
expect_eq "...and said" "official $SUB: unit HN-W-001 was granted already; nothing changed" "$(out)"
expect_eq "one grant" 1 "$(psql_cong "select count(*) from user_roles where subject = '$SUB'")"
expect_eq "an unknown unit: 3" 3 "$(run -- official add --unit HN-NO-SUCH --subject "$SUB")"
expect_eq "...named" "cong official: no unit HN-NO-SUCH" "$(cat "$GW_DIR/err")"
expect_eq "remove: 0" 0 "$(run -- official remove --unit HN-W-001 --subject "$SUB")"
expect_eq "remove: said" "official $SUB: unit HN-W-001 removed" "$(out)"
expect_eq "remove again: 0" 0 "$(run -- official remove --unit HN-W-001 --subject "$SUB")"
expect_eq "...nothing changed" "official $SUB: unit HN-W-001 was not granted; nothing changed" "$(out)"
# a citizen number only from a file or stdin: argv is readable by every user of the machine
expect_eq "official add --citizen NUMBER (argv): 2" 2 "$(run -- official add --unit HN-W-001 --citizen 001099000077)"
expect_match "...and says why" "visible to every user of this machine; use --citizen-file" "$(cat "$GW_DIR/err")"
printf '001099000077\n' >"$GW_DIR/citizen"
expect_eq "official add --citizen-file: 0" 0 "$(run -- official add --unit HN-W-001 --citizen-file "$GW_DIR/citizen")"
CSUB=$(sed -n 's/^official \([^ ]*\): unit HN-W-001 granted$/\1/p' "$GW_DIR/out")
expect_match "...granted to the citizen's pseudonym, the number nowhere in the output" '^[A-Za-z0-9_-]{43}$' "$CSUB"
expect_no_match "...nor in the grant" "001099000077" "$(psql_cong "select subject from user_roles where subject = '$CSUB'")"
printf '12345\n' >"$GW_DIR/citizen"
expect_eq "a file without 12 digits: 2" 2 "$(run -- official add --unit HN-W-001 --citizen-file "$GW_DIR/citizen")"
psql_cong "delete from user_roles where subject = '$CSUB'" >/dev/null
expect_eq "PostgreSQL unreachable: 1" 1 \
  "$(run CONG_POSTGRES_CONNINFO="host=127.0.0.1 port=$CLOSED dbname=cong user=cong" -- \
     official add --unit HN-W-001 --subject "$SUB")"

# ---- client revoke: idempotent, and a retry publishes the revocation again ----
expect_eq "client create: 0" 0 "$(run -- client create "Kiểm thử $$" --scopes ping)"
CID=$(sed -n 's/^client_id: //p' "$GW_DIR/out")
expect_eq "revoke: 0" 0 "$(run -- client revoke "$CID")"
expect_eq "revoke: said" "revoked $CID" "$(out)"
redis-cli -p "$REDIS_PORT" ZREM cong:revoked "client:$CID" >/dev/null
expect_eq "revoke again: 0" 0 "$(run -- client revoke "$CID")"
expect_match "...nothing changed" "^$CID was revoked already; nothing changed" "$(out)"
expect_match "...but the revocation is published again" '^[0-9]+$' \
  "$(redis-cli -p "$REDIS_PORT" ZSCORE cong:revoked "client:$CID")"
expect_eq "Redis unreachable: 1" 1 "$(run CONG_REDIS_PORT="$CLOSED" -- client revoke "$CID")"
expect_match "...said, with what to do" "run the command again once Redis is back" "$(cat "$GW_DIR/err")"
expect_eq "an unknown client: 3" 3 "$(run -- client revoke c_no-such-client)"
expect_eq "client list: 0" 0 "$(run -- client list)"
finish

#!/usr/bin/env bash
# bench/audit.sh — audit records sealed per second (issue 12), next to the rate modules write them, same run. One run,
# 127.0.0.1 only, its own Redis (17393) and PostgreSQL (17493) in a fresh cluster under .run/auditbench/:
#   written   pgbench: one `SELECT cong_audit(...)` per transaction (what a module adds to its own transaction), 4
#             clients, AUDITBENCH_DURATION seconds: the rate the log must keep up with
#   sealed    then cong (1 worker) seals what is there with seal_batch 2000 and seal_interval_ms 100: the rate is the
#             leaves between the first and the last signed head over the time between their timestamps (each head
#             is signed at the end of its batch's transaction, so the figure excludes start-up and the first wait)
# Prints a markdown table with sealed/s ÷ written/s (above 1: one sealer keeps up with that write rate). About a
# minute once cong is built. Environment: CONG_BUILD_DIR (default build-release), AUDITBENCH_DIR
# (.run/auditbench), AUDITBENCH_DURATION (10), BENCH_PIN (see bench/lib.sh).
set -euo pipefail

SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH_NAME=auditbench
# shellcheck source=bench/lib.sh
source "$SRC/bench/lib.sh"
BUILD=${CONG_BUILD_DIR:-$SRC/build-release}
DIR=${AUDITBENCH_DIR:-$SRC/.run/auditbench}
DURATION=${AUDITBENCH_DURATION:-10}
CLIENTS=4
BATCH=2000
CONG_PORT=17181 CONG_TLS_PORT=17544 REDIS_PORT=17393 PG_PORT=17493

for tool in curl psql pgbench python3 openssl; do
  command -v "$tool" >/dev/null || die "$tool is not installed (scripts/deps.sh installs everything)"
done
[ -x "$BUILD/cong" ] || die "$BUILD/cong is not built (cmake --build $BUILD --target cong)"
mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)

on_exit_stop_cong_and_stores
for p in $CONG_PORT $CONG_TLS_PORT $REDIS_PORT $PG_PORT; do port_busy "$p" && die "port $p is already in use"; done

bash "$SRC/scripts/make-keys.sh" "$DIR"
rm -rf "$DIR/pg" "$DIR/redis"
SERVICES_STARTED=1
bash "$SRC/scripts/services.sh" start "$DIR" "$REDIS_PORT" "$PG_PORT"
sql() { psql -h 127.0.0.1 -p "$PG_PORT" -U cong -d cong -v ON_ERROR_STOP=1 -X -q -At -c "$1"; }
PG_CONNINFO="host=127.0.0.1 port=$PG_PORT dbname=cong user=cong"
ENVV=(env -i PATH="$PATH" CONG_SERVER_BIND=127.0.0.1 CONG_SERVER_H2C_PORT="$CONG_PORT"
  CONG_SERVER_TLS_PORT="$CONG_TLS_PORT" CONG_SERVER_TLS_CERTIFICATE="$DIR/tls/cert.pem"
  CONG_SERVER_TLS_PRIVATE_KEY="$DIR/tls/key.pem" CONG_SERVER_WORKERS=1 CONG_SERVER_ADMIN_PORT=0
  CONG_SERVER_ENVIRONMENT=development CONG_SERVER_OPENAPI_FILE="$SRC/openapi/cong.yaml"
  CONG_REDIS_PORT="$REDIS_PORT" CONG_POSTGRES_CONNINFO="$PG_CONNINFO"
  CONG_POSTGRES_MIGRATIONS_DIR="$SRC/gateway/migrations" CONG_AUTH_PUBLIC_KEY_FILE="$DIR/keys/issuer.pub.pem"
  CONG_AUTH_ISSUER=https://id.cong.test CONG_AUTH_AUDIENCE=cong
  CONG_AUTH_DOCUMENT_SIGNING_KEY_FILE="$DIR/keys/cong-document.pem"
  CONG_MODULES_AUDIT_SIGNING_KEY_FILE="$DIR/keys/cong-audit.pem" CONG_MODULES_AUDIT_SEAL_INTERVAL_MS=100
  CONG_MODULES_AUDIT_SEAL_BATCH="$BATCH" CONG_MODULES_PROCEDURES_DATA_DIR="$DIR/data" CONG_LOG_ACCESS_LOG=
  CONG_LOG_LEVEL=warn)
(cd "$SRC" && "${ENVV[@]}" "$BUILD/cong" --migrate) >"$DIR/migrate.log" 2>&1 ||
  { cat "$DIR/migrate.log" >&2; die "migrate failed"; }

# ---- written: what modules add, one record a transaction ----------------------------------------------------------
cat >"$DIR/write.sql" <<'SQL'
\set n random(1, 1000000000)
SELECT cong_audit('bench', 'official-' || :n::text, 'official', 'citizen-' || (:n::bigint % 1000)::text,
                  'dossier.view', 'dossier:HN-2026-' || :n::text, 'req-' || :n::text, '{"unit": "HN-W-001"}');
SQL
log "writing audit records with pgbench, $CLIENTS clients, ${DURATION}s"
$(client_pin) pgbench -h 127.0.0.1 -p "$PG_PORT" -U cong -n -M simple -c "$CLIENTS" -j 1 -T "$DURATION" \
  -f "$DIR/write.sql" cong >"$DIR/pgbench.log" 2>&1 || { cat "$DIR/pgbench.log" >&2; die "pgbench failed"; }
WRITTEN=$(awk '/^tps = / { printf "%.0f", $3; exit }' "$DIR/pgbench.log")
RECORDS=$(sql "SELECT count(*) FROM audit_records")
log "written: $WRITTEN records/s ($RECORDS records)"

# ---- sealed: cong seals them all --------------------------------------------------------------------------------
(cd "$SRC" && exec $(server_pin) "${ENVV[@]}" "$BUILD/cong") >"$DIR/cong.log" 2>&1 &
CONG_PID=$!
deadline=$((SECONDS + 600))
until [ "$(sql "SELECT count(*) FROM audit_records WHERE leaf_index IS NULL")" = 0 ]; do
  kill -0 "$CONG_PID" 2>/dev/null || { cat "$DIR/cong.log" >&2; die "cong exited"; }
  [ "$SECONDS" -lt "$deadline" ] || die "not all sealed after 600 s"
  sleep 0.2
done
read -r HEADS FIRST LAST MS <<<"$(sql "SELECT count(*), min(tree_size), max(tree_size),
  max(signed_at_ms) - min(signed_at_ms) FROM audit_tree_heads" | tr '|' ' ')"
[ "$HEADS" -ge 2 ] && [ "$MS" -gt 0 ] || die "too few heads to time ($HEADS): write more (AUDITBENCH_DURATION)"
SEALED=$(python3 -c "print(round(($LAST - $FIRST) / ($MS / 1000)))")
RATIO=$(python3 -c "print(f'{$SEALED / $WRITTEN:.1f}')")
VERIFY_START=$(date +%s%N)
(cd "$SRC" && "${ENVV[@]}" "$BUILD/cong" audit verify) >"$DIR/verify.log" 2>&1 ||
  { cat "$DIR/verify.log" >&2; die "verify failed"; }
VERIFY_MS=$((($(date +%s%N) - VERIFY_START) / 1000000))
{
  echo "| audit log ($RECORDS records, $HEADS heads, batch $BATCH) | records/s |"
  echo "|---|---:|"
  echo "| written: cong_audit() one a transaction, pgbench $CLIENTS clients | $WRITTEN |"
  echo "| sealed: leaf hashes, nodes, root, ES256 head, one transaction a batch | $SEALED |"
  echo "| sealed ÷ written | $RATIO |"
  VERIFIED=$(python3 -c "print(round($RECORDS / ($VERIFY_MS / 1000)))")
  echo "| \`cong audit verify\` of the whole log | $VERIFIED ($VERIFY_MS ms) |"
} | tee "$DIR/results.md"

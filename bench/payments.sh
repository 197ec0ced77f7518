#!/usr/bin/env bash
# bench/payments.sh — what settling and starting payments costs (issue 13). One run, 127.0.0.1 only, one cong worker
# pinned to the last core, the load generators on core 0 (bench/lib.sh), a fresh PostgreSQL and Redis:
#   ipn       GET /v1/payments/vnpay/ipn, each a different payment's success signed as VNPay signs it (h2load -i, one
#             connection, 32 streams, every URI once): HMAC-SHA512 check, the payment's lookup, the receipt's JWS,
#             then payment_apply_result (the dossier moves on, receipt, outbox, audit) — one commit per IPN
#   pgbench   the same SELECT payment_apply_result(...) on other payments of the same shape, as many clients as cong's
#             pool (it skips HTTP, the signature check, the lookup and the receipt's signing)
#   intents   POST /v1/payments, a new Idempotency-Key per request, spread over many dossiers awaiting their fee
#             (bench/h2_submit_load.c --body-per-line 1)
# Ratio ipn/pgbench of the settlements per second, and the IPN's p50/p99 at a fixed offered rate (h2load --rps, half
# the measured maximum, every URI once).
# Environment: CONG_BUILD_DIR (build-release), PBENCH_DIR (.run/paybench), PBENCH_IPNS (6000), PBENCH_DURATION (6),
# PBENCH_PORT_BASE (19000).
set -euo pipefail

SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH_NAME=paybench
# shellcheck source=bench/lib.sh
source "$SRC/bench/lib.sh"
BUILD=${CONG_BUILD_DIR:-$SRC/build-release}
DIR=${PBENCH_DIR:-$SRC/.run/paybench}
IPNS=${PBENCH_IPNS:-6000}
DURATION=${PBENCH_DURATION:-6}
PB=${PBENCH_PORT_BASE:-19000}
CONG_PORT=$((PB + 80)) REDIS_PORT=$((PB + 391)) PG_PORT=$((PB + 491))
POOL=4 TMN=BENCH001 ISSUER=https://id.cong.test
for tool in h2load curl cc psql pgbench python3 openssl; do
  command -v "$tool" >/dev/null || die "$tool is not installed (scripts/deps.sh installs everything)"
done
mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)
on_exit_stop_cong_and_stores
for p in $CONG_PORT $REDIS_PORT $PG_PORT; do port_busy "$p" && die "port $p is already in use"; done

if [ ! -f "$BUILD/CMakeCache.txt" ]; then
  cmake -S "$SRC" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >"$DIR/build.log" 2>&1 || { cat "$DIR/build.log" >&2; exit 1; }
fi
make -C "$BUILD" -j"$CORES" cong cong-jwt-mint >>"$DIR/build.log" 2>&1 || { tail -30 "$DIR/build.log" >&2; die "build failed"; }
mkdir -p "$BUILD/bench"
LOADER=$BUILD/bench/h2_submit_load
cc -O2 -Wall -Wextra -Werror -o "$LOADER" "$SRC/bench/h2_submit_load.c" "$SRC/bench/h2_wire.c"

bash "$SRC/scripts/make-keys.sh" "$DIR"
rm -rf "$DIR/pg" "$DIR/redis"
SERVICES_STARTED=1
bash "$SRC/scripts/services.sh" start "$DIR" "$REDIS_PORT" "$PG_PORT"
PSQL=(psql -h 127.0.0.1 -p "$PG_PORT" -U cong -d cong -v ON_ERROR_STOP=1 -X -q)
sql() { "${PSQL[@]}" -At -c "$1"; }
ulimit -n 65536 2>/dev/null || true
openssl rand -hex 32 >"$DIR/vnpay-secret"
chmod 600 "$DIR/vnpay-secret"

ENVV=(env -i PATH="$PATH" CONG_SERVER_BIND=127.0.0.1 CONG_SERVER_H2C_PORT="$CONG_PORT" CONG_SERVER_TLS_PORT=0
  CONG_SERVER_ADMIN_PORT=0 CONG_SERVER_WORKERS=1 CONG_SERVER_ENVIRONMENT=development
  CONG_SERVER_OPENAPI_FILE="$SRC/openapi/cong.yaml" CONG_SERVER_SHUTDOWN_TIMEOUT_MS=2000
  CONG_REDIS_PORT="$REDIS_PORT" CONG_POSTGRES_CONNINFO="host=127.0.0.1 port=$PG_PORT dbname=cong user=cong"
  CONG_POSTGRES_POOL_SIZE="$POOL" CONG_POSTGRES_MIGRATIONS_DIR="$SRC/gateway/migrations"
  CONG_AUTH_PUBLIC_KEY_FILE="$DIR/keys/issuer.pub.pem" CONG_AUTH_PUBLIC_KEY_PRIVILEGED=1 CONG_AUTH_ISSUER="$ISSUER"
  CONG_AUTH_AUDIENCE=cong CONG_AUTH_DOCUMENT_SIGNING_KEY_FILE="$DIR/keys/cong-document.pem"
  CONG_AUTH_SIGNING_KEY_FILE="$DIR/keys/cong-signing.pem" CONG_AUTH_SUBJECT_SECRET_FILE="$DIR/keys/subject-secret"
  CONG_MODULES_AUDIT_SIGNING_KEY_FILE="$DIR/keys/cong-audit.pem" CONG_LOG_ACCESS_LOG= CONG_LOG_LEVEL=warn
  CONG_RATE_LIMITS_ENABLED=0 CONG_MODULES_PROCEDURES_DATA_DIR="$DIR/data"
  CONG_MODULES_PAYMENTS_VNPAY_TMN_CODE="$TMN" CONG_MODULES_PAYMENTS_VNPAY_SECRET_FILE="$DIR/vnpay-secret"
  CONG_MODULES_PAYMENTS_VNPAY_PAY_URL="http://127.0.0.1:9/paymentv2/vpcpay.html"
  CONG_MODULES_PAYMENTS_IPN_ALLOW=127.0.0.1 CONG_MODULES_PAYMENTS_QUERYDR_INTERVAL_MS=3600000)
(cd "$SRC" && "${ENVV[@]}" "$BUILD/cong" --migrate) >"$DIR/migrate.log" 2>&1 || { cat "$DIR/migrate.log" >&2; die "cong --migrate failed"; }
bash "$SRC/scripts/seed.sh" "$REDIS_PORT" "$PG_PORT" >"$DIR/seed.log" 2>&1 || { cat "$DIR/seed.log" >&2; die "seed.sh failed"; }

# A fee-bearing procedure paid at filing, one of its units; dossiers awaiting their fee and their payment intents,
# written straight into the tables (sets: I for cong's IPNs, O for the open loop, G for pgbench, C for the intents).
read -r PROC UNIT FEE < <(sql "SELECT p.code, (SELECT min(unit_code) FROM procedure_units u WHERE u.procedure_code = p.code),
                                      p.fee_vnd FROM procedures p WHERE p.fee_vnd > 0 AND p.fee_stage = 'submission'
                                ORDER BY p.code LIMIT 1" | tr '|' ' ')
[ -n "${FEE:-}" ] || die "no fee-bearing procedure in the catalog"
CITIZEN=paybench-citizen
make_set() { # PREFIX COUNT WITH_PAYMENTS
  sql "INSERT INTO dossiers (code, procedure_code, unit_code, subject, submitted_by, status, version, form, fee_vnd,
                             due_date)
       SELECT '$1-' || n, '$PROC', '$UNIT', '$CITIZEN', '$CITIZEN', 'awaiting_payment', 1, '{}', $FEE, current_date + 30
         FROM generate_series(1, $2) n"
  [ "$3" = 1 ] || return 0
  sql "INSERT INTO payments (id, dossier_code, subject, paid_by, provider, amount_vnd, state, txn_ref, order_info,
                             client_ip, expires_at)
       SELECT gen_random_uuid(), '$1-' || n, '$CITIZEN', '$CITIZEN', 'vnpay', $FEE, 'created', '$1' || n,
              'Thanh toan le phi ho so $1-' || n, '127.0.0.1', now() + interval '1 hour'
         FROM generate_series(1, $2) n"
}
make_set I "$IPNS" 1
make_set G "$IPNS" 1
make_set C 40000 0
log "procedure $PROC at $UNIT, fee $FEE VND; $IPNS payments for cong, $IPNS for pgbench, 40000 dossiers for intents"

# VNPay's IPN for payments PREFIX1..COUNT, signed as vnp_SecureHash is (sorted vnp_* params, PHP urlencode, HMAC-SHA512)
ipn_uris() { # PREFIX COUNT FILE
  python3 - "$1" "$2" "$FEE" "$TMN" "$DIR/vnpay-secret" "http://127.0.0.1:$CONG_PORT/v1/payments/vnpay/ipn" >"$3" <<'EOF'
import hashlib, hmac, sys, urllib.parse
prefix, count, fee, tmn, secret_file, base = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5], sys.argv[6]
secret = open(secret_file).read().strip().encode()
enc = lambda s: urllib.parse.quote_plus(s, safe='')
for n in range(1, count + 1):
    p = {'vnp_Amount': str(fee * 100), 'vnp_BankCode': 'NCB', 'vnp_BankTranNo': 'VNP%d' % n, 'vnp_CardType': 'ATM',
         'vnp_OrderInfo': 'Thanh toan le phi ho so %s-%d' % (prefix, n), 'vnp_PayDate': '20261206120000',
         'vnp_ResponseCode': '00', 'vnp_TmnCode': tmn, 'vnp_TransactionNo': str(14000000 + n),
         'vnp_TransactionStatus': '00', 'vnp_TxnRef': '%s%d' % (prefix, n)}
    q = '&'.join('%s=%s' % (enc(k), enc(v)) for k, v in sorted(p.items()))
    print('%s?%s&vnp_SecureHash=%s' % (base, q, hmac.new(secret, q.encode(), hashlib.sha512).hexdigest()))
EOF
}
ipn_uris I "$IPNS" "$DIR/ipn-uris.txt"

(cd "$SRC" && exec $(server_pin) "${ENVV[@]}" "$BUILD/cong") >"$DIR/cong.log" 2>&1 &
CONG_PID=$!
status_of() { curl -s -o /dev/null -w '%{http_code}' --http2-prior-knowledge --max-time 5 "$1" || true; }
for _ in $(seq 1 150); do
  kill -0 "$CONG_PID" 2>/dev/null || { cat "$DIR/cong.log" >&2; die "cong exited at start"; }
  [ "$(status_of "http://127.0.0.1:$CONG_PORT/readyz")" = 200 ] && break
  sleep 0.2
done

# ---- 1. IPNs through cong, every payment once -------------------------------------------------------------------
$(client_pin) timeout 300 h2load -i "$DIR/ipn-uris.txt" -n "$IPNS" -c 1 -m 32 -t 1 >"$DIR/h2load-ipn.txt" 2>&1 ||
  { cat "$DIR/h2load-ipn.txt" >&2; die "h2load (IPN) failed"; }
IPN_RPS=$(awk '/^finished in/{ for (i = 1; i <= NF; i++) if ($(i+1) ~ /^req\/s/) { v = $i; sub(/,$/, "", v); print v } }' "$DIR/h2load-ipn.txt")
PAID=$(sql "SELECT count(*) FROM payments WHERE txn_ref LIKE 'I%' AND state = 'success'")
MOVED=$(sql "SELECT count(*) FROM dossiers WHERE code LIKE 'I-%' AND status = 'submitted'")
[ "$PAID" = "$IPNS" ] && [ "$MOVED" = "$IPNS" ] ||
  die "IPN: $PAID of $IPNS payments settled, $MOVED dossiers moved on (see $DIR/cong.log)"
log "IPN: $IPN_RPS req/s, $PAID payments settled"

# ---- 2. the same SQL through pgbench ------------------------------------------------------------------------------
RECEIPT=$(python3 -c 'import json; print(json.dumps({"payload": "{\"kind\":\"receipt\",\"dossier\":\"G\",\"amount_vnd\":1}", "signature": "e" * 180}))')
sql "CREATE SEQUENCE IF NOT EXISTS paybench_seq"
cat >"$DIR/pgbench_ipn.sql" <<EOF
SELECT verdict FROM payment_apply_result('vnpay', 'G' || nextval('paybench_seq'), $FEE, 'success', 'VNP1', 'NCB', '00', '00', now(), '{"query":"vnp_Amount=..."}'::jsonb, 'ipn', '127.0.0.1', 'pgbench', '$RECEIPT'::jsonb);
EOF
$(client_pin) timeout 300 pgbench -h 127.0.0.1 -p "$PG_PORT" -U cong -n -M prepared -c "$POOL" -j 1 \
  -t $((IPNS / POOL)) -f "$DIR/pgbench_ipn.sql" cong >"$DIR/pgbench.txt" 2>&1 || { cat "$DIR/pgbench.txt" >&2; die "pgbench failed"; }
PG_TPS=$(awk '/^tps = / { printf "%.1f", $3; exit }' "$DIR/pgbench.txt")
PG_PAID=$(sql "SELECT count(*) FROM payments WHERE txn_ref LIKE 'G%' AND state = 'success'")
log "pgbench: $PG_TPS tps, $PG_PAID payments settled"

# ---- 3. the IPN at a fixed offered rate (half the maximum), every URI once ----------------------------------------
RATE=$(awk -v r="$IPN_RPS" 'BEGIN { v = int(r / 2); print v < 10 ? 10 : v }')
OPEN=$((RATE * DURATION))
make_set O "$OPEN" 1
ipn_uris O "$OPEN" "$DIR/open-uris.txt"
# one client: h2load gives every client the whole URI list from its start (more clients would send each IPN again)
$(client_pin) timeout $((DURATION * 3 + 60)) h2load -i "$DIR/open-uris.txt" -n "$OPEN" -c 1 -m 32 -t 1 \
  --rps="$RATE" --log-file="$DIR/open.log" >"$DIR/h2load-open.txt" 2>&1 ||
  { cat "$DIR/h2load-open.txt" >&2; die "h2load (open loop) failed"; }
read -r P50 P99 < <(awk '{ print $3 }' "$DIR/open.log" | sort -n | awk '{ v[NR] = $1 } END {
  printf "%.2f %.2f\n", v[int(NR * 0.5) + 1] / 1000, v[int(NR * 0.99) + 1] / 1000 }')
OPEN_PAID=$(sql "SELECT count(*) FROM payments WHERE txn_ref LIKE 'O%' AND state = 'success'")
[ "$OPEN_PAID" = "$OPEN" ] || die "open loop: $OPEN_PAID of $OPEN payments settled"

# ---- 4. payment intents -------------------------------------------------------------------------------------------
sql "SELECT json_build_object('dossier_code', code, 'provider', 'vnpay') FROM dossiers WHERE code LIKE 'C-%'
      ORDER BY random()" >"$DIR/intent-bodies.txt"
"$BUILD/cong-jwt-mint" --key "$DIR/keys/issuer.key.pem" --iss "$ISSUER" --aud cong --sub "$CITIZEN" --scope ping \
  --acr 2 --ttl 3600 >"$DIR/token.txt"
$(client_pin) timeout $((DURATION + 60)) "$LOADER" --port "$CONG_PORT" --token-file "$DIR/token.txt" \
  --body-file "$DIR/intent-bodies.txt" --body-per-line 1 --path /v1/payments --connections 8 --streams 4 \
  --seconds "$DURATION" >"$DIR/intents.txt" 2>"$DIR/intents.err" || { cat "$DIR/intents.txt" "$DIR/intents.err" >&2; die "intents failed"; }
INT_RPS=$(sed -n 's/.* rps=\([0-9.]*\).*/\1/p' "$DIR/intents.txt")
INT_P50=$(sed -n 's/.* p50_ms=\([0-9.]*\).*/\1/p' "$DIR/intents.txt")
INT_P99=$(sed -n 's/.* p99_ms=\([0-9.]*\).*/\1/p' "$DIR/intents.txt")

{
  echo "| what | per second | p50 ms | p99 ms |"
  echo "| --- | ---: | ---: | ---: |"
  echo "| VNPay IPN through cong, $IPNS different payments (h2load 1×32) | $IPN_RPS | | |"
  echo "| payment_apply_result through pgbench (-c $POOL, same SQL) | $PG_TPS | | |"
  echo "| VNPay IPN at $RATE/s offered (h2load --rps, $OPEN payments; $OPEN_PAID settled) | | $P50 | $P99 |"
  echo "| POST /v1/payments, new Idempotency-Key each (h2_submit_load 8×4) | $INT_RPS | $INT_P50 | $INT_P99 |"
  awk -v a="$IPN_RPS" -v b="$PG_TPS" 'BEGIN { printf "\nIPN through cong / the same SQL through pgbench = %.3f\n", a / b }'
} | tee "$DIR/results.md"
log "details: $DIR/{results.md,h2load-*.txt,pgbench.txt,intents.txt,cong.log}"

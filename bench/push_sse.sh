#!/usr/bin/env bash
# bench/push_sse.sh — live events (GET /v1/me/events, issue 14) held open on one cong, and their delivery latency. One
# run, 127.0.0.1 only, its own fresh PostgreSQL and Redis under SSEBENCH_DIR, one cong worker pinned to the last core
# and the client on core 0 (bench/lib.sh):
#   memory    bench/push_sse_load opens SSEBENCH_STREAMS streams (SSEBENCH_CONNS h2c connections, the rest spread
#             over them, at most 100 each: server.max_concurrent_streams), each its own person with a session's
#             token; cong's VmRSS before and while they are open gives the bytes per stream, and streams per GiB
#             against the issue's target of 100,000;
#   latency   then, with every stream still open, SSEBENCH_RATE events a second for SSEBENCH_SECONDS, each appended and
#             published as push/live.h's writers do (one EVAL: XADD, EXPIRE, PUBLISH cong:live) to the next person:
#             p50/p99 from before the EVAL to the event read on its stream;
#   commit    then, the streams still open, the whole pipeline (push/pipeline.h): cong-push-worker and, once per
#             relay poll interval of SSEBENCH_RELAY_POLL_MS, cong-push-relay run (Release builds, their stderr in
#             SSEBENCH_DIR); for each rate of SSEBENCH_COMMIT_RATES, pgbench -R <rate> -T SSEBENCH_COMMIT_SECONDS -c 4
#             commits one push_outbox row a transaction (bench/push_sse_commit.sql: topic dossier.status, whose
#             trigger writes the inbox row in the same transaction) for a random person with one open stream, its
#             payload carrying clock_timestamp() in µs; the loader counts each event once by its push_outbox id and
#             takes the latency from that timestamp to the event read on its stream: committed vs delivered (and
#             duplicates), p50/p99/max; PostgreSQL gives the relay's share (published_at - created_at).
# Environment: CONG_BUILD_DIR (build-release), SSEBENCH_DIR (.run/ssebench), SSEBENCH_STREAMS (20000),
# SSEBENCH_CONNS (250), SSEBENCH_RATE (500), SSEBENCH_SECONDS (10), SSEBENCH_PORT_BASE (21600), SSEBENCH_REDIS_PORT
# and SSEBENCH_PG_PORT (from the base), SSEBENCH_COMMIT_RATES ("200 500"), SSEBENCH_COMMIT_SECONDS (10),
# SSEBENCH_RELAY_POLL_MS ("25 250": the relay's default, then its default before 2026-12-07), SSEBENCH_RELAY_BATCH (20, its
# default), SSEBENCH_WORKER_BATCH (50) and SSEBENCH_WORKER_BLOCK_MS (1000, theirs). SSEBENCH_COMMIT_RATES="" skips
# the commit phase. Bounded: every step has a timeout.
set -euo pipefail

SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH_NAME=ssebench
# shellcheck source=bench/lib.sh
source "$SRC/bench/lib.sh"
BUILD=${CONG_BUILD_DIR:-$SRC/build-release}
DIR=${SSEBENCH_DIR:-$SRC/.run/ssebench}
STREAMS=${SSEBENCH_STREAMS:-20000}
CONNS=${SSEBENCH_CONNS:-250}
RATE=${SSEBENCH_RATE:-500}
SECONDS_RUN=${SSEBENCH_SECONDS:-10}
PB=${SSEBENCH_PORT_BASE:-21600}
CONG_PORT=$((PB + 80)) REDIS_PORT=${SSEBENCH_REDIS_PORT:-$((PB + 391))} PG_PORT=${SSEBENCH_PG_PORT:-$((PB + 491))}
COMMIT_RATES=${SSEBENCH_COMMIT_RATES-200 500}
COMMIT_SECONDS=${SSEBENCH_COMMIT_SECONDS:-10}
RELAY_POLLS=${SSEBENCH_RELAY_POLL_MS:-25 250}
RELAY_BATCH=${SSEBENCH_RELAY_BATCH:-20}
WORKER_BATCH=${SSEBENCH_WORKER_BATCH:-50}
WORKER_BLOCK_MS=${SSEBENCH_WORKER_BLOCK_MS:-1000}
COMMIT_PHASES=$(($(wc -w <<<"$COMMIT_RATES") * $(wc -w <<<"$RELAY_POLLS")))
ISSUER=https://id.cong.test
PER_CONN=$(((STREAMS + CONNS - 1) / CONNS))
[ "$PER_CONN" -le 100 ] || die "at most 100 streams per connection: raise SSEBENCH_CONNS"
for tool in cc curl pgbench psql python3 redis-cli timeout; do command -v "$tool" >/dev/null || die "$tool is not installed"; done
mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)

on_exit_stop_cong_and_stores
# lib.sh's exit trap, with the relay and the worker stopped first.
RELAY_PID='' WORKER_PID=''
trap 'rc=$?; stop_pid "$RELAY_PID"; stop_pid "$WORKER_PID"; stop_pid "$CONG_PID" 10
      if [ "$SERVICES_STARTED" = 1 ]; then bash "$SRC/scripts/services.sh" stop "$DIR" || true; fi
      exit "$rc"' EXIT
for p in $CONG_PORT $REDIS_PORT $PG_PORT; do port_busy "$p" && die "port $p is already in use"; done
if [ ! -f "$BUILD/CMakeCache.txt" ]; then
  cmake -S "$SRC" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >"$DIR/build.log" 2>&1 || { cat "$DIR/build.log" >&2; exit 1; }
fi
grep -q '^CMAKE_BUILD_TYPE:STRING=Release' "$BUILD/CMakeCache.txt" || log "warning: $BUILD is not a Release build"
make -C "$BUILD" -j"$CORES" cong cong-push-relay cong-push-worker >>"$DIR/build.log" 2>&1 || { tail -30 "$DIR/build.log" >&2; die "build failed"; }
mkdir -p "$BUILD/bench"
LOADER=$BUILD/bench/push_sse_load
cc -O2 -Wall -Wextra -Werror -o "$LOADER" "$SRC/bench/push_sse_load.c" "$SRC/bench/h2_wire.c"

bash "$SRC/scripts/make-keys.sh" "$DIR"
rm -rf "$DIR/pg" "$DIR/redis"
SERVICES_STARTED=1
bash "$SRC/scripts/services.sh" start "$DIR" "$REDIS_PORT" "$PG_PORT"
ulimit -n 65536 2>/dev/null || true

ENVV=(env -i PATH="$PATH" CONG_SERVER_BIND=127.0.0.1 CONG_SERVER_H2C_PORT="$CONG_PORT" CONG_SERVER_TLS_PORT=0
  CONG_SERVER_ADMIN_PORT=0 CONG_SERVER_WORKERS=1 CONG_SERVER_ENVIRONMENT=development
  CONG_SERVER_OPENAPI_FILE="$SRC/openapi/cong.yaml" CONG_SERVER_SHUTDOWN_TIMEOUT_MS=2000
  CONG_SERVER_IDLE_TIMEOUT_MS=600000
  CONG_REDIS_PORT="$REDIS_PORT" CONG_POSTGRES_CONNINFO="host=127.0.0.1 port=$PG_PORT dbname=cong user=cong"
  CONG_POSTGRES_MIGRATIONS_DIR="$SRC/gateway/migrations"
  CONG_AUTH_PUBLIC_KEY_FILE="$DIR/keys/issuer.pub.pem" CONG_AUTH_PUBLIC_KEY_PRIVILEGED=1 CONG_AUTH_ISSUER="$ISSUER"
  CONG_AUTH_AUDIENCE=cong CONG_AUTH_DOCUMENT_SIGNING_KEY_FILE="$DIR/keys/cong-document.pem"
  CONG_MODULES_AUDIT_SIGNING_KEY_FILE="$DIR/keys/cong-audit.pem" CONG_MODULES_PROCEDURES_DATA_DIR="$DIR/data"
  CONG_LOG_ACCESS_LOG= CONG_LOG_LEVEL=warn CONG_RATE_LIMITS_ENABLED=0 CONG_ADMISSION_MAX_CONNECTIONS_PER_ADDRESS=0
  CONG_ADMISSION_NEW_CONNECTIONS_PER_SECOND=0)
(cd "$SRC" && timeout 120 "${ENVV[@]}" "$BUILD/cong" --migrate) >"$DIR/migrate.log" 2>&1 ||
  { cat "$DIR/migrate.log" >&2; die "cong --migrate failed"; }

(cd "$SRC" && exec $(server_pin) "${ENVV[@]}" "$BUILD/cong") >"$DIR/cong.log" 2>&1 &
CONG_PID=$!
for _ in $(seq 1 150); do
  kill -0 "$CONG_PID" 2>/dev/null || { cat "$DIR/cong.log" >&2; die "cong exited at start"; }
  [ "$(curl -s -o /dev/null -w '%{http_code}' --http2-prior-knowledge --max-time 2 \
    "http://127.0.0.1:$CONG_PORT/readyz" || true)" = 200 ] && break
  sleep 0.2
done

# One person per stream, each with a session's token ("sid"), signed in one process.
timeout 300 python3 - "$DIR/keys/issuer.key.pem" "$ISSUER" "$STREAMS" >"$DIR/tokens" <<'PY'
import base64, json, sys, time
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, utils
key = serialization.load_pem_private_key(open(sys.argv[1], "rb").read(), None)
b64 = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()
head, now = b64(json.dumps({"alg": "ES256", "typ": "at+jwt"}).encode()), int(time.time())
for i in range(int(sys.argv[3])):
    sub = f"ssebench-{now}-{i}"
    claims = {"iss": sys.argv[2], "aud": "cong", "sub": sub, "sid": f"s-{sub}", "iat": now, "auth_time": now,
              "exp": now + 3600, "acr": "1"}
    signed = head + "." + b64(json.dumps(claims).encode())
    r, s = utils.decode_dss_signature(key.sign(signed.encode(), ec.ECDSA(hashes.SHA256())))
    print(sub, signed + "." + b64(r.to_bytes(32, "big") + s.to_bytes(32, "big")))
PY

rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$CONG_PID/status"; }
RSS0=$(rss_kib)
log "cong VmRSS before: $RSS0 KiB; opening $STREAMS streams over $CONNS connections ($PER_CONN each)"
HOLD=10
COMMANDS=$([ "$COMMIT_PHASES" -gt 0 ] && echo 1 || echo 0)
# shellcheck disable=SC2046 # client_pin prints words (or nothing) on purpose
coproc LOAD { exec timeout $((HOLD + SECONDS_RUN + 200 + COMMIT_PHASES * (COMMIT_SECONDS + 60))) $(client_pin) \
  "$LOADER" --port "$CONG_PORT" --redis-port "$REDIS_PORT" --token-file "$DIR/tokens" --connections "$CONNS" \
  --streams "$PER_CONN" --hold "$HOLD" --rate "$RATE" --seconds "$SECONDS_RUN" --commands "$COMMANDS" \
  2>"$DIR/loader.err"; }
read -r -t 200 WORD OPEN FAILED <&"${LOAD[0]}" || die "the loader never got its streams open ($(cat "$DIR/loader.err"))"
[ "$WORD" = ready ] || die "unexpected loader output: $WORD $OPEN $FAILED"
sleep 3 # settle: the last streams' first writes, the kernel's socket buffers
RSS1=$(rss_kib)
read -r -t $((HOLD + SECONDS_RUN + 60)) RESULT <&"${LOAD[0]}" || die "the loader gave no result ($(cat "$DIR/loader.err"))"
kv() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<" $RESULT"; }
log "loader: $RESULT"
{
  echo "| what | value |"
  echo "| --- | ---: |"
  echo "| SSE streams open (1 cong worker, $CONNS h2c connections) | $OPEN (failed: $FAILED) |"
  echo "| cong VmRSS before / with them open | $RSS0 KiB / $RSS1 KiB |"
  awk -v o="$OPEN" -v a="$RSS0" -v b="$RSS1" 'BEGIN { per = (b - a) * 1024 / o;
    printf "| bytes per open stream (RSS growth / streams) | %.0f |\n", per;
    printf "| streams per GiB of gateway memory (target 100,000) | %.0f |\n", 1073741824 / per }'
  echo "| events published ($RATE/s for ${SECONDS_RUN} s) / delivered | $(kv published) / $(kv delivered) |"
  echo "| delivery latency PUBLISH → SSE client, p50 / p99 / max (ms) | $(kv p50_ms) / $(kv p99_ms) / $(kv max_ms) |"
} | tee "$DIR/results.md"

[ "$COMMIT_PHASES" -gt 0 ] || exit 0

# ---- commit → SSE client -------------------------------------------------------------------------------------------
PSQL=(psql -h 127.0.0.1 -p "$PG_PORT" -U cong -d cong -v ON_ERROR_STOP=1 -qAt)
CONNINFO="host=127.0.0.1 port=$PG_PORT dbname=cong user=cong"
# The people with exactly one stream: the loader gives stream k token line k mod lines, so the first
# (streams - lines) lines have two.
SKIP=$((CONNS * PER_CONN - STREAMS))
[ "$SKIP" -ge 0 ] || SKIP=0
awk -v skip="$SKIP" 'NR > skip { print NR - skip "\t" $1 }' "$DIR/tokens" >"$DIR/subjects.tsv"
SUBJECTS=$(wc -l <"$DIR/subjects.tsv")
"${PSQL[@]}" -c "CREATE TABLE ssebench_subjects (n integer PRIMARY KEY, subject text NOT NULL)" \
  -c "\copy ssebench_subjects FROM '$DIR/subjects.tsv'"
WORKER_FLAGS=(--batch "$WORKER_BATCH" --block-ms "$WORKER_BLOCK_MS")
"$BUILD/cong-push-worker" --pg "$CONNINFO" --redis-port "$REDIS_PORT" "${WORKER_FLAGS[@]}" 2>>"$DIR/worker.log" &
WORKER_PID=$!
# The worker makes its consumer groups at start: wait for the one the phase's topic uses.
group_made() { redis-cli -p "$REDIS_PORT" XINFO GROUPS cong:events:dossier.status 2>/dev/null | grep -q cong-push; }
for _ in $(seq 1 100); do
  group_made && break
  kill -0 "$WORKER_PID" 2>/dev/null || die "cong-push-worker exited ($(tail -3 "$DIR/worker.log"))"
  sleep 0.1
done
group_made || die "cong-push-worker made no consumer group in 10 s ($(tail -3 "$DIR/worker.log"))"

rm -f "$DIR/commit.md"
for poll in $RELAY_POLLS; do
  "$BUILD/cong-push-relay" --pg "$CONNINFO" --redis-port "$REDIS_PORT" --batch "$RELAY_BATCH" --poll-ms "$poll" \
    2>>"$DIR/relay.log" &
  RELAY_PID=$!
  for rate in $COMMIT_RATES; do
    FROM=$("${PSQL[@]}" -c "SELECT coalesce(max(id), 0) + 1 FROM push_outbox")
    echo "measure ${rate}/s,poll=${poll}ms $FROM" >&"${LOAD[1]}"
    read -r -t 30 ACK <&"${LOAD[0]}" || die "the loader did not answer ($(cat "$DIR/loader.err"))"
    log "commit phase: $rate/s for $COMMIT_SECONDS s, relay poll $poll ms ($ACK)"
    # shellcheck disable=SC2046 # as above
    timeout $((COMMIT_SECONDS + 60)) $(client_pin) pgbench -n -h 127.0.0.1 -p "$PG_PORT" -U cong -c 4 -j 1 \
      -R "$rate" -T "$COMMIT_SECONDS" -D subjects="$SUBJECTS" -f "$SRC/bench/push_sse_commit.sql" cong \
      >"$DIR/pgbench-$rate-$poll.log" 2>&1 || die "pgbench failed ($(tail -3 "$DIR/pgbench-$rate-$poll.log"))"
    COMMITTED=$("${PSQL[@]}" -c "SELECT count(*) FROM push_outbox WHERE id >= $FROM")
    echo "expect $COMMITTED" >&"${LOAD[1]}"
    read -r -t 60 LINE <&"${LOAD[0]}" || die "the loader gave no commit result ($(cat "$DIR/loader.err"))"
    log "loader: $LINE"
    RESULT=$LINE
    if [ "$(kv delivered)" != "$(kv committed)" ] || [ "$(kv duplicates)" != 0 ]; then
      log "warning: not every committed event arrived exactly once"
    fi
    # The relay's share: created_at (now(), the transaction's start) to published_at (after its XADD), in ms.
    RELAY_MS=$("${PSQL[@]}" -F ' / ' -c "SELECT round(percentile_cont(0.5) WITHIN GROUP (ORDER BY d)::numeric, 1),
        round(percentile_cont(0.99) WITHIN GROUP (ORDER BY d)::numeric, 1), round(max(d)::numeric, 1)
      FROM (SELECT extract(epoch FROM published_at - created_at) * 1000 AS d FROM push_outbox
             WHERE id >= $FROM) x")
    PGB_MS=$(sed -n 's/^latency average = \([0-9.]*\) ms.*/\1/p' "$DIR/pgbench-$rate-$poll.log")
    echo "| $rate/s, relay poll $poll ms | $(kv committed) / $(kv delivered) / $(kv duplicates) |" \
      "$(kv p50_ms) / $(kv p99_ms) / $(kv max_ms) | $RELAY_MS | ${PGB_MS:-?} |" >>"$DIR/commit.md"
  done
  stop_pid "$RELAY_PID"
  RELAY_PID=
done
echo quit >&"${LOAD[1]}"
stop_pid "$WORKER_PID"
WORKER_PID=
{
  echo
  echo "Commit → SSE client ($COMMIT_SECONDS s a phase, pgbench -c 4; relay --batch $RELAY_BATCH; worker" \
    "--batch $WORKER_BATCH --block-ms $WORKER_BLOCK_MS, no provider; $SUBJECTS people, one stream each):"
  echo
  echo "| offered rate, relay poll | committed / delivered / duplicates | latency commit → SSE client p50 / p99 / max (ms) |" \
    "commit → relay published p50 / p99 / max (ms) | pgbench latency average (ms, with its schedule lag) |"
  echo "| --- | ---: | ---: | ---: | ---: |"
  cat "$DIR/commit.md"
} | tee -a "$DIR/results.md"

#!/usr/bin/env bash
# bench/push_fanout.sh — a city-wide broadcast fanned out to FBENCH_SUBSCRIBERS (1,000,000) people by cong-push-fanout
# (push/fanout, issue 14 "Bench") against redis-benchmark's pipelined XADD on the same Redis, in the same run. One run,
# 127.0.0.1 only, its own fresh PostgreSQL and Redis under FBENCH_DIR; the fan-out and redis-benchmark on core 0,
# Redis and PostgreSQL wherever the scheduler puts them (bench/lib.sh pins clients only here):
#   subscribers  push_subscribers made by generate_series (city-wide: no ward), every FBENCH_DEVICE_EVERY-th with a
#                device (push_devices row) — so ONE entry in the city's area log for the whole broadcast (push/live.h,
#                push/live_area.c) and, per recipient with a device, one XADD of its delivery entry; nothing in Redis
#                for a recipient without one;
#   fan-out      cong-push-fanout --once --rate unlimited --page FBENCH_PAGE over the one broadcast: recipients a
#                second (wall time of the whole run, first page to 'done');
#   xadd         redis-benchmark -P 16 -n 1000000 XADD (same Redis, same run; an entry of the delivery entries' size).
# Reported: recipients/s, XADD/s, their ratio (issue target >= 0.5), Redis's memory and key count before and after
# (per recipient: what 8.5M would cost; the delivery stream is capped near CONG_EVENT_STREAM_MAXLEN entries, so with
# devices it is bounded, not per recipient), and where the fan-out's time goes (PostgreSQL paging alone, in psql; the
# fan-out's own account of pages, area log, delivery entries and commits).
# Environment: CONG_BUILD_DIR (build-release), FBENCH_DIR (.run/fbench), FBENCH_SUBSCRIBERS (1000000),
# FBENCH_DEVICE_EVERY (1: everyone has a device; 0: nobody), FBENCH_PAGE (1000), FBENCH_PORT_BASE (19500),
# FBENCH_STREAM_NODE_MAX_BYTES (Redis's default).
set -euo pipefail

SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH_NAME=fbench
# shellcheck source=bench/lib.sh
source "$SRC/bench/lib.sh"
BUILD=${CONG_BUILD_DIR:-$SRC/build-release}
DIR=${FBENCH_DIR:-$SRC/.run/fbench}
N=${FBENCH_SUBSCRIBERS:-1000000}
EVERY=${FBENCH_DEVICE_EVERY:-1}
PAGE=${FBENCH_PAGE:-1000}
PB=${FBENCH_PORT_BASE:-19500}
REDIS_PORT=$((PB + 391)) PG_PORT=$((PB + 491))
for tool in psql redis-benchmark redis-cli timeout; do command -v "$tool" >/dev/null || die "$tool is not installed"; done
mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)

on_exit_stop_cong_and_stores
for p in $REDIS_PORT $PG_PORT; do port_busy "$p" && die "port $p is already in use"; done
if [ ! -f "$BUILD/CMakeCache.txt" ]; then
  cmake -S "$SRC" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >"$DIR/build.log" 2>&1 || { cat "$DIR/build.log" >&2; exit 1; }
fi
grep -q '^CMAKE_BUILD_TYPE:STRING=Release' "$BUILD/CMakeCache.txt" || log "warning: $BUILD is not a Release build"
make -C "$BUILD" -j"$CORES" cong cong-push-fanout >>"$DIR/build.log" 2>&1 || { tail -30 "$DIR/build.log" >&2; die "build failed"; }

bash "$SRC/scripts/make-keys.sh" "$DIR" >/dev/null
rm -rf "$DIR/pg" "$DIR/redis"
SERVICES_STARTED=1
bash "$SRC/scripts/services.sh" start "$DIR" "$REDIS_PORT" "$PG_PORT"
CONNINFO="host=127.0.0.1 port=$PG_PORT dbname=cong user=cong"
sql() { psql -h 127.0.0.1 -p "$PG_PORT" -U cong -d cong -v ON_ERROR_STOP=1 -X -q -At -c "$1"; }
rc() { redis-cli -p "$REDIS_PORT" "$@"; }
(cd "$SRC" && timeout 120 env -i PATH="$PATH" CONG_POSTGRES_CONNINFO="$CONNINFO" CONG_REDIS_PORT="$REDIS_PORT" \
  CONG_MODULES_AUDIT_SIGNING_KEY_FILE="$DIR/keys/cong-audit.pem" "$BUILD/cong" --migrate --config cong.example.yaml) \
  >"$DIR/migrate.log" 2>&1 || { cat "$DIR/migrate.log" >&2; die "cong --migrate failed"; }

log "making $N subscribers (a device for every ${EVERY}th; 0: none)"
sql "INSERT INTO push_subscribers (subject, area_since) SELECT 'fbench-' || lpad(n::text, 8, '0'),
       now() - interval '1 hour' FROM generate_series(1, $N) n;
     INSERT INTO push_devices (subject, session_id, platform, token)
       SELECT 'fbench-' || lpad(n::text, 8, '0'), 'fbench-sid-' || n, 'fcm', 'fbench-token-' || n
         FROM generate_series(1, $N) n WHERE $EVERY > 0 AND n % greatest($EVERY, 1) = 0"
sql "VACUUM ANALYZE push_subscribers, push_devices"
WITH_DEVICE=$(sql "SELECT count(*) FROM push_devices")
# FBENCH_STREAM_NODE_MAX_BYTES: Redis's stream-node-max-bytes for this run (default: Redis's, 4096). A new stream's
# first node is preallocated that large, so it sets what a one-entry live log costs.
[ -z "${FBENCH_STREAM_NODE_MAX_BYTES:-}" ] || rc CONFIG SET stream-node-max-bytes "$FBENCH_STREAM_NODE_MAX_BYTES" >/dev/null
NODE_BYTES=$(rc CONFIG GET stream-node-max-bytes | tail -1)
mem() { rc INFO memory | sed -n 's/^used_memory:\([0-9]*\).*/\1/p'; }
MEM_BEFORE=$(mem) KEYS_BEFORE=$(rc DBSIZE)
BID=$(sql "INSERT INTO push_broadcasts (area_kind, title_vi, body_vi, title_en, body_en, created_by, idempotency_key,
             request_hash) VALUES ('city', 'Thông báo khẩn của thành phố', 'Ngày mai toàn thành phố tạm ngừng cấp nước từ 8 giờ đến 12 giờ.',
             'City notice', 'Tomorrow there is no water in the city from 8 to 12.', 'fbench-official', 'k', 'h') RETURNING id")

log "fan-out of broadcast $BID"
START=$(date +%s.%N)
timeout 1800 $(client_pin) "$BUILD/cong-push-fanout" --pg "$CONNINFO" --redis-port "$REDIS_PORT" --once \
  --rate 10000000 --page "$PAGE" 2>"$DIR/fanout.log" || { tail "$DIR/fanout.log" >&2; die "the fan-out failed"; }
END=$(date +%s.%N)
read -r STATE DELIVERED < <(sql "SELECT state, delivered FROM push_broadcasts WHERE id = $BID" | tr '|' ' ')
[ "$STATE $DELIVERED" = "done $N" ] || die "the broadcast is $STATE with $DELIVERED delivered, not done with $N"
MEM_AFTER=$(mem) KEYS_AFTER=$(rc DBSIZE)
SAMPLE=$(rc XLEN cong:city:log)
[ "$SAMPLE" = 1 ] || die "the city log has $SAMPLE entries, not 1"
[ "$(rc EXISTS "cong:user:fbench-00000001:log")" = 0 ] || die "a recipient has a live log of their own"
LOG_BYTES=$(rc MEMORY USAGE cong:city:log)
MARK_BYTES=$(rc MEMORY USAGE "cong:push:live-area:broadcast:$BID")
STREAM_BYTES=$(rc MEMORY USAGE cong:events:broadcast.message)
STREAM_LEN=$(rc XLEN cong:events:broadcast.message)
ENTRY_BYTES=$(rc --raw XRANGE cong:events:broadcast.message - + COUNT 1 | sed -n 3p | wc -c)
[ "$ENTRY_BYTES" -gt 1 ] || ENTRY_BYTES=301 # nobody has a device: the reference XADD still carries 300 bytes

log "redis-benchmark XADD (pipelined 16)"
PAYLOAD=$(head -c "$((ENTRY_BYTES - 1))" /dev/zero | tr '\0' 'x')
rb() { timeout 600 $(client_pin) redis-benchmark -p "$REDIS_PORT" -P 16 -q "$@" | tr '\r' '\n' |
  grep -o '[0-9.]* requests per second' | tail -1 | cut -d' ' -f1; }
XADD_RPS=$(rb -n 1000000 XADD fbench:xadd MAXLEN '~' 100000 '*' m "$PAYLOAD")
# Where the time goes: PostgreSQL paging alone (the fan-out's page query over every recipient, timed in psql, its
# pages warm from the fan-out); the Redis side is the XADD above, one per recipient with a device.
PG_START=$(date +%s.%N); sql "DO \$\$ DECLARE c text := ''; n int; k int; BEGIN
  LOOP
    SELECT max(subject), count(*), count(*) FILTER (WHERE p.d) INTO c, n, k FROM (SELECT s.subject,
      EXISTS (SELECT 1 FROM push_devices d WHERE d.subject = s.subject) AS d FROM push_subscribers s WHERE s.subject > c
      ORDER BY s.subject LIMIT $PAGE) p;
    EXIT WHEN n < $PAGE;
  END LOOP; END \$\$" >/dev/null; PG_END=$(date +%s.%N)

{
  echo "| what | per second |"
  echo "| --- | ---: |"
  awk -v n="$N" -v s="$START" -v e="$END" -v d="$WITH_DEVICE" 'BEGIN {
    printf "| cong-push-fanout: recipients (%d, %d with a device), page %s | %.0f |\n", n, d, "'"$PAGE"'", n / (e - s) }'
  echo "| redis-benchmark -P 16 XADD (same Redis, same run) | $XADD_RPS |"
  awk -v n="$N" -v s="$PG_START" -v e="$PG_END" 'BEGIN { printf "| PostgreSQL paging alone (the page query, in psql) | %.0f |\n", n / (e - s) }'
  awk -v n="$N" -v s="$START" -v e="$END" -v x="$XADD_RPS" -v b="$MEM_BEFORE" -v a="$MEM_AFTER" \
    -v kb="$KEYS_BEFORE" -v ka="$KEYS_AFTER" 'BEGIN {
    r = n / (e - s)
    printf "\nfan-out %.1f s; recipients/s / XADD/s = %.3f (issue target >= 0.5)\n", e - s, r / x
    printf "Redis used_memory %.1f MiB before, %.1f MiB after: %.1f bytes a recipient (8.5M: %.2f GiB); keys %d before, %d after\n",
      b / 1048576, a / 1048576, (a - b) / n, (a - b) / n * 8.5e6 / 1073741824, kb, ka }'
  echo "stream-node-max-bytes $NODE_BYTES; the city log (1 entry): $LOG_BYTES bytes; its once-only mark: $MARK_BYTES bytes; the delivery stream ($STREAM_LEN entries, capped near 100000): ${STREAM_BYTES:-0} bytes"
  echo "the fan-out's own account: $(grep -o 'done; .*' "$DIR/fanout.log" | tail -1)"
} | tee "$DIR/results.md"

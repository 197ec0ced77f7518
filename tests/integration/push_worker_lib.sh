# tests/integration/push_worker_lib.sh — shared by the cong-push-worker tests (test_push_worker*.sh); source it after
# lib.sh. Each test gets a PRIVATE Redis (the worker's consumer group, retry set and marks are then the test's own, and
# no other test's worker takes its entries), the stand-in FCM and APNs (h2c) with credentials made by their scripts,
# and devices of subjects named after the run in the shared test PostgreSQL (removed at the end).
PW_RUNID=$(date +%s%N | tail -c 10)
PW_CONNINFO="host=127.0.0.1 port=$PG_PORT dbname=cong user=cong"
PW_KID=ABC123DEFG
PW_TEAM=DEF123GHIJ
PW_TOPIC=vn.gov.hanoi.cong
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:halt_on_error=1}

pw_q() { timeout 20 psql -h 127.0.0.1 -p "$PG_PORT" -U cong -d cong -qAtX -v ON_ERROR_STOP=1 -c "$1"; }
pw_qin() { timeout 60 psql -h 127.0.0.1 -p "$PG_PORT" -U cong -d cong -qAtX -v ON_ERROR_STOP=1; } # SQL on stdin
pw_r() { timeout 10 redis-cli -h 127.0.0.1 -p "$PW_REDIS_PORT" "$@"; }
pw_js() { python3 -S -c 'import json,sys; j=json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"; }

# pw_start [redis-later] — the private Redis (not yet with redis-later: pw_redis_start starts it) and the two
# stand-ins; PW_FCM and PW_APNS are their base URLs.
pw_start() {
  local fcm_port apns_port
  read -r PW_REDIS_PORT fcm_port apns_port <<<"$(free_ports 3)"
  [ "${1:-}" = redis-later ] || pw_redis_start
  PW_FCM="http://127.0.0.1:$fcm_port"
  PW_APNS="http://127.0.0.1:$apns_port"
  mkdir -p "$GW_DIR/fcm" "$GW_DIR/apns"
  PW_SA=$(bash "$SRC/tools/fcm_standin/make-service-account.sh" "$GW_DIR/fcm" "$PW_FCM/token" cong-test)
  bash "$SRC/tools/apns_standin/make-auth-key.sh" "$GW_DIR/apns" >/dev/null
  "$BUILD/fcm-standin" --port "$fcm_port" --service-account "$PW_SA" 2>"$GW_DIR/fcm-standin.log" &
  EXTRA_PIDS+=($!)
  "$BUILD/apns-standin" --port "$apns_port" --auth-key-pub "$GW_DIR/apns/auth-key.pub.pem" --key-id "$PW_KID" \
    --team-id "$PW_TEAM" --topic "$PW_TOPIC" 2>"$GW_DIR/apns-standin.log" &
  EXTRA_PIDS+=($!)
  wait_until 10 curl -s -o /dev/null "$PW_FCM/healthz" || bad "the stand-in FCM did not start"
  wait_until 10 curl -s -o /dev/null "$PW_APNS/healthz" || bad "the stand-in APNs did not start"
  trap 'pw_cleanup >/dev/null 2>&1; for p in "${EXTRA_PIDS[@]}"; do kill "$p" 2>/dev/null; done' EXIT
}

pw_redis_start() {
  redis-server --bind 127.0.0.1 --port "$PW_REDIS_PORT" --save '' --appendonly no >>"$GW_DIR/redis.log" 2>&1 &
  PW_REDIS_PID=$!
  EXTRA_PIDS+=("$PW_REDIS_PID")
  wait_until 10 pw_r PING >/dev/null 2>&1 || bad "the private Redis did not start"
}

pw_cleanup() {
  pw_q "DELETE FROM push_devices WHERE subject LIKE 'pw-$PW_RUNID-%';
        DELETE FROM push_inbox WHERE subject LIKE 'pw-$PW_RUNID-%'"
}

# pw_worker NAME [FLAGS...] — a worker on the private Redis with both adapters over h2c; NAME_PID is its PID, its
# stderr $GW_DIR/NAME.log. Fast test timings unless the flags say otherwise (later flags win).
pw_worker() {
  local name=$1
  shift
  "$BUILD/cong-push-worker" --pg "$PW_CONNINFO" --redis-port "$PW_REDIS_PORT" --block-ms 100 --claim-every-ms 500 \
    --deadline-ms 3000 --claim-idle-ms 8000 --retry-base-ms 200 \
    --fcm "service_account_file=$PW_SA" --fcm "endpoint=$PW_FCM" --fcm h2_prior_knowledge=1 \
    --apns "auth_key_file=$GW_DIR/apns/auth-key.p8" --apns "key_id=$PW_KID" --apns "team_id=$PW_TEAM" \
    --apns "topic=$PW_TOPIC" --apns "endpoint=$PW_APNS" --apns h2_prior_knowledge=1 \
    "$@" 2>>"$GW_DIR/$name.log" &
  printf -v "${name}_PID" '%s' $!
  EXTRA_PIDS+=($!)
}

# pw_devices < lines "SUBJECT PLATFORM TOKEN LOCALE SESSION" — device rows (one psql), their sessions alive in the
# private Redis (one redis-cli); prints the ids, in the order of the lines.
pw_devices() {
  local subject platform token locale session values= sessions=
  while read -r subject platform token locale session; do
    values+="${values:+,}('$subject', '$session', '$platform', '$token', '$locale')"
    sessions+="SET cong:session:$session 1"$'\n'
  done
  timeout 20 redis-cli -h 127.0.0.1 -p "$PW_REDIS_PORT" <<<"$sessions" >/dev/null
  pw_qin <<<"INSERT INTO push_devices (subject, session_id, platform, token, locale) VALUES $values RETURNING id"
}
pw_fcm_token() { echo "pw-$PW_RUNID-$1:APA91bWorkerTestToken"; }
pw_apns_token() { printf '%064x' "$((0x$PW_RUNID * 1000 + $1))"; }

# pw_inboxes < lines "SUBJECT EVENT_KEY N" — the inbox rows the module's trigger would have made (texts naming N),
# in one psql.
pw_inboxes() {
  local subject key n values=
  while read -r subject key n; do
    values+="${values:+,}('$subject', '$key', 'dossier.status', '{\"code\": \"T-$n\"}', 'Hồ sơ T-$n', 'Tiêu đề $n',"
    values+=" 'Dossier T-$n', 'Body $n')"
  done
  pw_qin <<<"INSERT INTO push_inbox (subject, event_key, topic, data, title_vi, body_vi, title_en, body_en) VALUES $values"
}

# pw_events TOPIC < lines "EVENT_KEY SUBJECT [BROADCAST_ID]" — XADDs push/push.h events (msgpack, field m) to the
# private Redis, as cong-push-relay writes them (or, with a BROADCAST_ID, as cong-push-fanout writes a recipient's:
# the texts in the data, live_done), in one pipelined connection.
pw_events() { python3 -S -c "$PW_EVENTS_PY" "$PW_REDIS_PORT" "$1"; }
read -r -d '' PW_EVENTS_PY <<'PY'
import socket, struct, sys, time
def pack(v):
    if isinstance(v, bool): return b"\xc3" if v else b"\xc2"
    if isinstance(v, int): return b"\xd3" + struct.pack(">q", v)
    if isinstance(v, str):
        b = v.encode(); return b"\xd9" + bytes([len(b)]) + b if len(b) < 256 else b"\xda" + struct.pack(">H", len(b)) + b
    if isinstance(v, dict):
        return b"\xde" + struct.pack(">H", len(v)) + b"".join(pack(k) + pack(x) for k, x in v.items())
    raise TypeError(v)
def resp(*args):
    out = b"*%d\r\n" % len(args)
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    return out
port, topic = int(sys.argv[1]), sys.argv[2]
cmds = b""
n = 0
for line in sys.stdin.read().split("\n"):
    if not line.strip(): continue
    key, subject, *broadcast = line.split()
    data = {"subject": subject, "code": key}
    if broadcast:
        b = broadcast[0]
        data = {"subject": subject, "broadcast_id": b, "title_vi": "Thông báo " + b, "body_vi": "Nội dung",
                "title_en": "Notice " + b, "body_en": "Text", "live_done": True}
    ev = {"v": 1, "topic": topic, "at_ms": int(time.time() * 1000), "request_id": key, "data": data}
    cmds += resp("XADD", "cong:events:" + topic, "*", "m", pack(ev))
    n += 1
s = socket.create_connection(("127.0.0.1", port))
s.sendall(cmds)
buf = b""
while buf.count(b"\r\n") < 2 * n:  # each reply is a bulk string: "$<len>\r\n<id>\r\n"
    buf += s.recv(65536)
PY

# Recorded at the stand-ins: "token:title" of every FCM message, "device_token:title" of every APNs notification
# answered 200, one per line, sorted.
pw_fcm_sent() {
  curl -s --max-time 10 "$PW_FCM/control/messages" |
    pw_js '"\n".join(sorted(m["token"] + ":" + m["message"].get("notification", {}).get("title", "") for m in j["messages"]))'
}
pw_apns_sent() {
  curl -s --max-time 10 "$PW_APNS/control/notifications" |
    pw_js '"\n".join(sorted(n["device_token"] + ":" + n["payload"]["aps"]["alert"].get("title", "") for n in j["notifications"] if n["status"] == 200))'
}
pw_count() { if [ -z "$1" ]; then echo 0; else wc -l <<<"$1" | tr -d ' '; fi; }
pw_fcm_count() { pw_count "$(pw_fcm_sent)"; }
pw_apns_count() { pw_count "$(pw_apns_sent)"; }
pw_pending() { pw_r XPENDING "cong:events:$1" cong-push | head -1; }

# pw_stop NAME — SIGTERM, wait; PW_STATUS is the exit status (not in $(...): a subshell cannot wait for it).
pw_stop() {
  local pid_var="${1}_PID"
  kill -TERM "${!pid_var}" 2>/dev/null
  wait "${!pid_var}" 2>/dev/null
  PW_STATUS=$?
}

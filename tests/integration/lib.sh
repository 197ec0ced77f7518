# tests/integration/lib.sh — shared by the integration tests (HAProxy reg-tests style: each test starts the real
# gateway with its own config and speaks HTTP/2 to it). Source it; call finish at the end.
# Needs: the test stores started by scripts/test.sh (TEST_REDIS_PORT, TEST_PG_PORT, TEST_RUN_DIR).
set -u
SRC=${CONG_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
BUILD=${CONG_BUILD_DIR:-$SRC/build-test}
RUN=${TEST_RUN_DIR:-$SRC/.run/test}
REDIS_PORT=${TEST_REDIS_PORT:-6392}
PG_PORT=${TEST_PG_PORT:-5492}
ISSUER=https://id.cong.test
PASS=0
FAIL=0
GW_PID=
GW_DIR=$(mktemp -d /tmp/cong-it.XXXXXX)
EXTRA_PIDS=()

ok() { PASS=$((PASS + 1)); }
bad() { FAIL=$((FAIL + 1)); echo "FAIL: $*"; }

# expect_eq DESCRIPTION EXPECTED ACTUAL
expect_eq() {
  if [ "$2" == "$3" ]; then ok; else bad "$1: expected [$2], got [$3]"; fi
}
# expect_match DESCRIPTION REGEX TEXT
expect_match() {
  if [[ "$3" =~ $2 ]]; then ok; else bad "$1: [$3] does not match /$2/"; fi
}
expect_no_match() {
  if [[ "$3" =~ $2 ]]; then bad "$1: [$3] matches /$2/"; else ok; fi
}

# free_ports N — N distinct free ports, all held open while they are chosen (three separate calls could get the same
# port back, since each is released before the next is asked for). They are drawn at random BELOW the kernel's
# ephemeral range (ip_local_port_range, 32768.. here): a port the kernel hands out for port 0 can, once released, be
# taken by any outgoing connection of a test running alongside (curl, libpq, hiredis) before our server binds it — seen
# once as "cannot listen ... Address already in use" in test_dev_setup.
# Every port handed out is written to one list for the whole run ($RUN/ports-given, under flock), and no port on it
# is handed out again for 15 minutes: test_dev_setup holds ten ports for a minute before run.sh binds the last ones,
# and a test running alongside once drew one of them in that minute (its stand-in VNPay exited: port taken).
free_ports() {
  python3 -S -c 'import fcntl, random, socket, sys, time
low = int(open("/proc/sys/net/ipv4/ip_local_port_range").read().split()[0])
with open(sys.argv[2], "a+") as given:
    fcntl.flock(given, fcntl.LOCK_EX)
    given.seek(0)
    now = time.time()
    recent = {}
    for line in given:
        port, _, at = line.partition(" ")
        if port.isdigit() and at.strip().replace(".", "", 1).isdigit() and now - float(at) < 900:
            recent[int(port)] = float(at)
    socks = []
    while len(socks) < int(sys.argv[1]):
        port = random.randrange(10000, low)
        if port in recent:
            continue
        s = socket.socket()
        try:
            s.bind(("127.0.0.1", port))
            socks.append(s)
            recent[port] = now
        except OSError:
            s.close()
    given.seek(0)
    given.truncate()
    given.writelines("%d %.0f\n" % kv for kv in recent.items())
print(" ".join(str(s.getsockname()[1]) for s in socks))' "$1" "$(mkdir -p "$RUN" && echo "$RUN/ports-given")"
}
free_port() { free_ports 1; }

# start_gateway [KEY=VALUE ...] — extra environment for this gateway (e.g. CONG_LIMITS_MAX_BODY_BYTES=1024).
# Config file: $GW_DIR/cong.yaml if the test wrote one, else none. Returns once /healthz answers, which is before the
# stores are connected: a test that needs them calls wait_stores_up. Rate limits are the defaults (100 at once, 600 a
# minute), and every test gateway shares the test Redis: anonymous requests of all the tests running at once draw from
# one bucket (client address 127.0.0.1). A test that makes many requests passes numbers of its own
# (CONG_RATE_LIMITS_DEFAULT_PER_MINUTE, CONG_RATE_LIMITS_DEFAULT_BURST).
# The failed-authentication budget (per client address, also shared) is set out of reach: many tests send bad tokens
# on purpose; test_client_address passes its own. Per-address admission is off (every test connects from 127.0.0.1,
# test_h2_abuse reconnects thousands of times); test_admission passes its own limits. The tests' issuer (`token`) is trusted for privileged claims
# (acr 2, scope admin, act); test_auth.sh checks the refusal with CONG_AUTH_PUBLIC_KEY_PRIVILEGED=0.
# Ports are free when picked, but another test may bind one before this gateway does: a start that fails with
# "Address already in use" is tried again on new ports (three times at most).
start_gateway() {
  local attempt log="$GW_DIR/${GW_NAME:+$GW_NAME.}stderr"
  for attempt in 1 2 3; do
    launch_gateway "$@" && return 0
    grep -q "Address already in use" "$log" || break
  done
  echo "gateway did not start:"; cat "$log"
  return 1
}

# launch_gateway [KEY=VALUE ...] — start_gateway's one attempt, on new free ports: 0 once /healthz answers, 1 when the
# gateway exited or did not answer in 15 s. postgres.queue_wait_ms is the deadline (3 s) here, not the default 250 ms:
# tests that race many requests at one row (test_appointments' 100 bookings of one slot) must not see 503
# database-busy on a loaded machine; test_pg_pool_shed sets its own bound.
launch_gateway() {
  read -r H2C_PORT TLS_PORT ADMIN_PORT <<<"$(free_ports 3)"
  local config=()
  [ -f "$GW_DIR/cong.yaml" ] && config=(--config "$GW_DIR/cong.yaml")
  env CONG_SERVER_H2C_PORT="$H2C_PORT" CONG_SERVER_TLS_PORT="$TLS_PORT" CONG_SERVER_ADMIN_PORT="$ADMIN_PORT" \
    CONG_SERVER_WORKERS=2 CONG_SERVER_ENVIRONMENT=development \
    CONG_SERVER_TLS_CERTIFICATE="$RUN/tls/cert.pem" CONG_SERVER_TLS_PRIVATE_KEY="$RUN/tls/key.pem" \
    CONG_SERVER_OPENAPI_FILE="$SRC/openapi/cong.yaml" CONG_SERVER_SHUTDOWN_TIMEOUT_MS=5000 \
    CONG_SERVER_DOCS_BUNDLE_FILE="$SRC/tools/docs-renderer/node_modules/redoc/bundles/redoc.standalone.js" \
    CONG_REDIS_PORT="$REDIS_PORT" CONG_REDIS_TIMEOUT_MS=1000 \
    CONG_POSTGRES_CONNINFO="host=127.0.0.1 port=$PG_PORT dbname=cong user=cong" CONG_POSTGRES_TIMEOUT_MS=3000 \
    CONG_POSTGRES_QUEUE_WAIT_MS=3000 \
    CONG_POSTGRES_MIGRATIONS_DIR="$SRC/gateway/migrations" \
    CONG_MODULES_PROCEDURES_MIGRATIONS_DIR="$SRC/modules/procedures/migrations" \
    CONG_MODULES_MANDATES_MIGRATIONS_DIR="$SRC/modules/mandates/migrations" \
    CONG_MODULES_IDENTITY_MIGRATIONS_DIR="$SRC/modules/identity/migrations" \
    CONG_MODULES_ORGS_MIGRATIONS_DIR="$SRC/modules/orgs/migrations" \
    CONG_MODULES_QUEUE_MIGRATIONS_DIR="$SRC/modules/queue/migrations" \
    CONG_MODULES_FEEDBACK_MIGRATIONS_DIR="$SRC/modules/feedback/migrations" \
    CONG_MODULES_APPOINTMENTS_MIGRATIONS_DIR="$SRC/modules/appointments/migrations" \
    CONG_MODULES_PUSH_MIGRATIONS_DIR="$SRC/modules/push/migrations" \
    CONG_MODULES_PAYMENTS_MIGRATIONS_DIR="$SRC/modules/payments/migrations" \
    CONG_MODULES_PROCEDURES_DASHBOARD_DIR="$SRC/modules/procedures/dashboard" \
    CONG_MODULES_PROCEDURES_DATA_DIR="$GW_DIR/data" \
    CONG_MODULES_AUDIT_MIGRATIONS_DIR="$SRC/modules/audit/migrations" \
    CONG_MODULES_AUDIT_SIGNING_KEY_FILE="$RUN/keys/cong-audit.pem" \
    CONG_AUTH_PUBLIC_KEY_FILE="$RUN/keys/issuer.pub.pem" CONG_AUTH_ISSUER="$ISSUER" CONG_AUTH_AUDIENCE=cong \
    CONG_AUTH_DOCUMENT_SIGNING_KEY_FILE="$RUN/keys/cong-document.pem" \
    CONG_AUTH_PUBLIC_KEY_PRIVILEGED=1 \
    CONG_RATE_LIMITS_AUTH_FAILURE_BURST=100000 CONG_RATE_LIMITS_AUTH_FAILURE_PER_MINUTE=1000000 \
    CONG_ADMISSION_MAX_CONNECTIONS_PER_ADDRESS=0 CONG_ADMISSION_NEW_CONNECTIONS_PER_SECOND=0 \
    CONG_LOG_ACCESS_LOG="$GW_DIR/access.log" CONG_LOG_LEVEL=info \
    ASAN_OPTIONS=detect_leaks=0:halt_on_error=1 \
    "$@" "$BUILD/cong" "${config[@]}" >"$GW_DIR/${GW_NAME:+$GW_NAME.}stdout" 2>"$GW_DIR/${GW_NAME:+$GW_NAME.}stderr" &
  GW_PID=$!
  for _ in $(seq 1 150); do
    curl -s -o /dev/null --http2-prior-knowledge "http://127.0.0.1:$H2C_PORT/healthz" && return 0
    kill -0 "$GW_PID" 2>/dev/null || { wait "$GW_PID" 2>/dev/null; return 1; }
    sleep 0.1
  done
  return 1
}

# stop_gateway: SIGTERM, wait, GW_STATUS = exit status. Fails the test on any sanitizer report.
stop_gateway() {
  [ -n "$GW_PID" ] || return 0
  kill -TERM "$GW_PID" 2>/dev/null
  wait "$GW_PID"
  GW_STATUS=$?
  GW_PID=
  local log="$GW_DIR/${GW_NAME:+$GW_NAME.}stderr"
  if grep -q -E "AddressSanitizer|runtime error:|LeakSanitizer" "$log"; then
    bad "sanitizer report in the gateway's stderr:"
    grep -A 30 -E "AddressSanitizer|runtime error:" "$log" | head -60
  fi
}

h2c() { curl -s --http2-prior-knowledge --max-time 10 "$@"; }
url() { echo "http://127.0.0.1:$H2C_PORT$1"; }
admin_url() { echo "http://127.0.0.1:$ADMIN_PORT$1"; }

# wait_until SECONDS COMMAND [ARG...] — runs COMMAND every 50 ms until it succeeds (returns 0) or SECONDS (an integer)
# have passed (returns 1). Tests wait for a condition with it, never for a fixed time. After its first second it asks
# every 200 ms: a COMMAND is a psql, curl or s_client start, and a wait of many seconds (an expiry, a job's interval)
# asked 20 times a second was CPU the other test running alongside lacked. The clock is bash's, not a date process.
wait_until() {
  local deadline=$((${EPOCHREALTIME/[.,]/} + $1 * 1000000)) pause=0.05 asked=0
  shift
  until "$@"; do
    [ "${EPOCHREALTIME/[.,]/}" -lt "$deadline" ] || return 1
    sleep "$pause"
    asked=$((asked + 1))
    [ "$asked" -lt 20 ] || pause=0.2
  done
}

# store_connections STORE — "UP TOTAL": this gateway's connections to STORE (redis, postgres) that are up, of all its
# workers' (the admin listener's /metrics; the gauges follow within a 50 ms tick).
store_connections() {
  h2c "$(admin_url /metrics)" | awk -v s="$1" '
    $1 == "cong_store_connections_up{store=\"" s "\"}" { up = $2 }
    $1 == "cong_store_connections{store=\"" s "\"}" { total = $2 }
    END { print up + 0, total + 0 }'
}
store_all_up() { local c; c=$(store_connections "$1"); [ "${c#* }" -gt 0 ] && [ "${c% *}" = "${c#* }" ]; }
store_all_down() { local c; c=$(store_connections "$1"); [ "${c#* }" -gt 0 ] && [ "${c% *}" = 0 ]; }
stores_all_up() { store_all_up redis && store_all_up postgres; }
# wait_stores_up [SECONDS] — until every worker of this gateway has its Redis connection and its whole PostgreSQL pool
# (default: 60 s; fails the test otherwise). Until then a worker without a connection answers 503 at once.
wait_stores_up() {
  wait_until "${1:-60}" stores_all_up && return 0
  bad "stores not all connected after ${1:-60} s: redis $(store_connections redis), postgres $(store_connections postgres)"
  return 1
}
# wait_store_down STORE [SECONDS] — until none of this gateway's connections to STORE is up (default: 30 s).
wait_store_down() {
  wait_until "${2:-30}" store_all_down "$1" && return 0
  bad "$1 still connected after ${2:-30} s: $(store_connections "$1")"
  return 1
}

# token [cong-jwt-mint options] — an ES256 token from the test issuer.
token() { "$BUILD/cong-jwt-mint" --key "$RUN/keys/issuer.key.pem" --iss "$ISSUER" --aud cong "$@"; }

# ---- talking to the API as a citizen (the procedures and documents tests) ----
# vneid_login CITIZEN ACR → a cong access token: the stand-in VNeID (vneid_start) mints an ID token, cong exchanges it.
vneid_login() {
  local id_token
  id_token=$(curl -s -X POST -H 'content-type: application/json' -d "{\"sub\":\"$1\",\"acr\":\"$2\"}" "$VNEID/test/mint" | json id_token)
  h2c -H 'content-type: application/json' \
    -d "{\"id_token\":\"$id_token\",\"device\":{\"id\":\"dev-$1\",\"name\":\"Điện thoại\",\"platform\":\"android\"}}" \
    "$(url /v1/auth/vneid/exchange)" | json access_token
}
# call TOKEN METHOD PATH [curl args...] → status printed, body in $GW_DIR/body, headers in $GW_DIR/headers ("" TOKEN:
# none). A test may define its own call/field/header after sourcing this file; its own then wins.
call() {
  local tok=$1 method=$2 path=$3
  shift 3
  curl -s --http2-prior-knowledge --max-time 10 -o "$GW_DIR/body" -D "$GW_DIR/headers" -w '%{http_code}' \
    -X "$method" ${tok:+-H "authorization: Bearer $tok"} "$@" "$(url "$path")"
}
body() { cat "$GW_DIR/body"; }
field() { body | json "$1"; }
header() { grep -i "^$1:" "$GW_DIR/headers" | head -1 | cut -d' ' -f2- | tr -d '\r'; }

# server_pki DIR CN — a throw-away P-256 CA (DIR/ca.pem, ca.key, its subject CN) and a server certificate it signed for
# 127.0.0.1 (DIR/server.pem, server.key): for a stand-in that speaks TLS to a client told to trust DIR/ca.pem.
server_pki() {
  mkdir -p "$1"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$1/ca.key" -out "$1/ca.pem" \
    -days 2 -subj "/CN=$2" 2>/dev/null
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$1/server.key" -out "$1/server.csr" \
    -subj /CN=127.0.0.1 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1\n' >"$1/ext.cnf"
  openssl x509 -req -in "$1/server.csr" -CA "$1/ca.pem" -CAkey "$1/ca.key" -CAcreateserial -days 2 \
    -extfile "$1/ext.cnf" -out "$1/server.pem" 2>/dev/null
}

# psql_cong SQL — one statement against the test database, unaligned tuples only.
psql_cong() { psql -h 127.0.0.1 -p "$PG_PORT" -U cong -d cong -v ON_ERROR_STOP=1 -qAtX -c "$1"; }

# relay_start NAME TARGET_PORT [LISTEN_PORT] — a TCP relay from a free port (or LISTEN_PORT) to 127.0.0.1:TARGET_PORT;
# sets ${NAME}_PORT and ${NAME}_PID. A gateway pointed at a relay loses that store when the relay is stopped
# (relay_stop NAME), while the shared test Redis/PostgreSQL stay up for the other tests; starting it again on the same
# port brings the store back. relay_freeze NAME: the connections open at that moment stop forwarding without closing
# (a frozen peer, a middlebox that dropped the flow); connections made afterwards are relayed as before.
relay_start() {
  local name=$1 target=$2 port=${3:-$(free_port)}
  python3 - "$port" "$target" "$GW_DIR/$name.frozen" <<'PY' &
import signal, socket, sys, threading, time
opened, frozen_below = [0], [0]
def freeze(*_):
    frozen_below[0] = opened[0]
    open(sys.argv[3], "w").close()
signal.signal(signal.SIGUSR1, freeze)
listen = socket.socket(); listen.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listen.bind(("127.0.0.1", int(sys.argv[1]))); listen.listen(64)
def pump(a, b, n):
    try:
        while (data := a.recv(65536)):
            while n < frozen_below[0]:
                time.sleep(3600)
            b.sendall(data)
    except OSError:
        pass
    for s in (a, b):
        try: s.shutdown(socket.SHUT_RDWR)
        except OSError: pass
while True:
    client, _ = listen.accept()
    server = socket.create_connection(("127.0.0.1", int(sys.argv[2])))
    for a, b in ((client, server), (server, client)):
        threading.Thread(target=pump, args=(a, b, opened[0]), daemon=True).start()
    opened[0] += 1
PY
  printf -v "${name}_PID" '%s' $!
  printf -v "${name}_PORT" '%s' "$port"
  EXTRA_PIDS+=($!)
  for _ in $(seq 1 50); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0; sleep 0.1; done
  return 1
}
relay_stop() { local pid_var="${1}_PID"; kill "${!pid_var}" 2>/dev/null; wait "${!pid_var}" 2>/dev/null; }
relay_freeze() {
  local pid_var="${1}_PID"
  rm -f "$GW_DIR/$1.frozen"
  kill -USR1 "${!pid_var}"
  for _ in $(seq 1 50); do [ -e "$GW_DIR/$1.frozen" ] && return 0; sleep 0.1; done
  return 1
}

# vneid_start — the stand-in VNeID with its test endpoints on a free port (VPORT, VNEID = its base URL), and cong's
# own signing key and subject secret in the test folder; IDENTITY_ENV is the gateway environment that trusts it.
vneid_start() {
  VPORT=$(free_port)
  VNEID="http://127.0.0.1:$VPORT"
  "$BUILD/vneid-standin" --port "$VPORT" --issuer "$VNEID" --client-id cong --redirect-uri-prefix http://127.0.0.1 \
    --test-endpoints 2>"$GW_DIR/vneid.log" &
  EXTRA_PIDS+=($!)
  for _ in $(seq 1 50); do curl -s -o /dev/null "$VNEID/healthz" && break; sleep 0.1; done
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$GW_DIR/cong-signing.pem" 2>/dev/null
  head -c 48 /dev/urandom >"$GW_DIR/subject-secret"
  IDENTITY_ENV=(CONG_RATE_LIMITS_AUTH_BURST=1000 CONG_AUTH_SIGNING_KEY_FILE="$GW_DIR/cong-signing.pem"
    CONG_AUTH_SUBJECT_SECRET_FILE="$GW_DIR/subject-secret" CONG_VNEID_ISSUER="$VNEID" CONG_VNEID_CLIENT_ID=cong
    CONG_VNEID_JWKS="$VNEID/jwks.json")
}

# valid_form PROCEDURE_JSON_FILE — a form satisfying the procedure's fields (types, patterns, enums, lengths).
valid_form() { python3 "$SRC/tests/integration/valid_form.py" "$1"; }

# json FIELD — read a top-level field of the JSON on stdin. python3 -S (no site: stdlib only) wherever a test starts
# python3 often: site and its .pth files are most of a start, 0.1 of 0.13 s of CPU on the 2-core test machine.
json() { python3 -S -c 'import json,sys; v=json.load(sys.stdin).get(sys.argv[1]); print("" if v is None else v)' "$1"; }

finish() {
  stop_gateway
  for p in "${EXTRA_PIDS[@]}"; do kill "$p" 2>/dev/null; done
  echo "$PASS passed, $FAIL failed"
  [ "$FAIL" -eq 0 ] && [ "$PASS" -gt 0 ] && rm -rf "$GW_DIR"
  [ "$FAIL" -eq 0 ] && [ "$PASS" -gt 0 ]
}
trap 'stop_gateway >/dev/null 2>&1; for p in "${EXTRA_PIDS[@]}"; do kill "$p" 2>/dev/null; done' EXIT

#!/usr/bin/env bash
# Walk-in queue numbers (modules/queue, issue 15) over HTTP/2 against a real PostgreSQL and a private Redis that the
# test stops, restarts empty and stops again (the shared test Redis serves the other tests: never flushed here):
# 50 concurrent takers get 50 different, consecutive numbers; after Redis comes back empty the numbers go on above
# every number given (never one again), also under concurrent takers; Redis down → 503 with Retry-After and no
# number; PostgreSQL down → 503; the per-citizen limits (2 a day, 1 per domain, set here) and the Idempotency-Key;
# the public view and its Redis snapshot; officials: two counters calling at once get two different tickets, served /
# absent, the holder's push_outbox row and the audit records; not an official / not of this unit → 403, a ticket of
# another unit → 404. The leftovers of an earlier run of the day are cancelled first; every limit is set here.
source "$(dirname "$0")/lib.sh"
RPORT=$(free_port)
REDIS_PID=
start_redis() {
  redis-server --bind 127.0.0.1 --port "$RPORT" --save '' --appendonly no --daemonize yes \
    --pidfile "$GW_DIR/redis.pid" --logfile "$GW_DIR/redis.log" --dir "$GW_DIR" >/dev/null
  wait_until 5 redis-cli -p "$RPORT" ping >/dev/null && REDIS_PID=$(cat "$GW_DIR/redis.pid")
}
stop_redis() {
  [ -n "$REDIS_PID" ] && kill "$REDIS_PID" && wait_until 5 eval "! kill -0 $REDIS_PID 2>/dev/null" && REDIS_PID=
}
start_redis || { echo "redis did not start"; exit 1; }
trap 'stop_gateway >/dev/null 2>&1; for p in "${EXTRA_PIDS[@]}"; do kill "$p" 2>/dev/null; done; stop_redis' EXIT
relay_start PGRELAY "$PG_PORT" || { bad "PostgreSQL relay"; finish; exit 1; }
start_gateway CONG_REDIS_PORT="$RPORT" \
  CONG_POSTGRES_CONNINFO="host=127.0.0.1 port=$PGRELAY_PORT dbname=cong user=cong connect_timeout=1" \
  CONG_RATE_LIMITS_DEFAULT_BURST=10000 CONG_RATE_LIMITS_DEFAULT_PER_MINUTE=1000000 \
  CONG_MODULES_QUEUE_MAX_PER_DAY=2 CONG_MODULES_QUEUE_MAX_PER_DOMAIN_PER_DAY=1 \
  CONG_MODULES_QUEUE_OPEN_DAYS="sun mon tue wed thu fri sat" CONG_MODULES_QUEUE_HOLIDAYS_CLOSED=false \
  CONG_MODULES_QUEUE_DAY_START_HOUR=0 CONG_MODULES_QUEUE_MINUTES_PER_TICKET=4 \
  CONG_MODULES_QUEUE_MEASURED_MIN_TICKETS=0 CONG_MODULES_QUEUE_VIEW_CACHE_MS=60000 || exit 1
wait_stores_up || { finish; exit 1; }

RUNID="q$$-$RANDOM"
TODAY=$(date -u -d '+7 hours' +%F) # the queue day: Hanoi's (day_start_hour 0)
# a ward and two domains it handles; another unit
read -r U D1 D2 <<<"$(psql_cong "SELECT pu.unit_code, min(p.domain), max(p.domain) FROM procedure_units pu JOIN procedures p ON p.code = pu.procedure_code JOIN units u ON u.code = pu.unit_code WHERE u.kind = 'ward' GROUP BY pu.unit_code HAVING count(DISTINCT p.domain) > 1 ORDER BY random() LIMIT 1" | tr '|' ' ')"
DX=$(psql_cong "SELECT code FROM domains WHERE code NOT IN (SELECT p.domain FROM procedure_units pu JOIN procedures p ON p.code = pu.procedure_code WHERE pu.unit_code = '$U') ORDER BY code LIMIT 1")
read -r U2 D3 <<<"$(psql_cong "SELECT pu.unit_code, min(p.domain) FROM procedure_units pu JOIN procedures p ON p.code = pu.procedure_code WHERE pu.unit_code <> '$U' AND p.domain NOT IN ('$D1', '$D2') GROUP BY pu.unit_code ORDER BY random() LIMIT 1" | tr '|' ' ')"
expect_match "a unit and domains" '^HN-' "$U $U2"
psql_cong "UPDATE queue_tickets SET state = 'cancelled' WHERE unit_code IN ('$U', '$U2') AND day = '$TODAY' AND state = 'waiting'" >/dev/null
# fields KEY... — top-level members of the last answer's body, in one python run (each run took up to a second on a
# loaded machine): "type" as its slug, "errors" as field:code pairs, "" for an absent one
fields() {
  python3 -c 'import json, sys
try: d = json.load(open(sys.argv[1]))
except ValueError: d = {}
def show(k):
    v = d.get(k)
    if k == "type" and v: return v.rsplit("/", 1)[-1]
    if k == "errors": return ",".join(e["field"] + ":" + e["code"] for e in v or [])
    return "" if v is None else str(v)
print(" ".join(show(k) for k in sys.argv[2:]))' "$GW_DIR/body" "$@"
}
take() { # TOKEN UNIT DOMAIN [IDEMPOTENCY_KEY] → status; body in $GW_DIR/body
  call "$1" POST "/v1/units/$2/queue/tickets" -H 'content-type: application/json' ${4:+-H "idempotency-key: $4"} \
    -d "{\"domain\":\"$3\"}"
}
highest() { psql_cong "SELECT coalesce(max(number), 0) FROM queue_tickets WHERE unit_code = '$U' AND domain = '$1' AND day = '$TODAY'"; }
# mint NAME=SUB:ACR... — "NAME TOKEN" lines, tokens as cong-jwt-mint makes them (ES256, typ at+jwt, no kid: the
# test issuer), all signed in one process: 70 runs of cong-jwt-mint (an ASan build) took 45 s on a loaded machine.
mint() {
  python3 - "$RUN/keys/issuer.key.pem" "$ISSUER" "$@" <<'PY'
import base64, json, sys, time
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, utils
key = serialization.load_pem_private_key(open(sys.argv[1], "rb").read(), None)
b64 = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()
head, now = b64(json.dumps({"alg": "ES256", "typ": "at+jwt"}).encode()), int(time.time())
for spec in sys.argv[3:]:
    name, _, rest = spec.partition("=")
    sub, _, acr = rest.rpartition(":")
    claims = {"iss": sys.argv[2], "aud": "cong", "sub": sub, "iat": now, "auth_time": now, "exp": now + 900, "acr": acr}
    signed = head + "." + b64(json.dumps(claims).encode())
    r, s = utils.decode_dss_signature(key.sign(signed.encode(), ec.ECDSA(hashes.SHA256())))
    print(name, signed + "." + b64(r.to_bytes(32, "big") + s.to_bytes(32, "big")))
PY
}
# takers N UNIT DOMAIN FROM — the N citizens minted from FROM take a number at once: "status number" lines in
# $GW_DIR/taken (each answer in a file of its own: the outputs of parallel curls would interleave in one pipe)
takers() {
  local i=0 tok pids=()
  rm -rf "$GW_DIR/answers" && mkdir "$GW_DIR/answers"
  while read -r tok; do
    i=$((i + 1))
    curl -s --http2-prior-knowledge --max-time 20 -o "$GW_DIR/answers/$i.body" -w '%{http_code}' \
      -H "authorization: Bearer $tok" -H 'content-type: application/json' -d "{\"domain\":\"$3\"}" \
      "$(url "/v1/units/$2/queue/tickets")" >"$GW_DIR/answers/$i.status" &
    pids+=($!)
  done <"$GW_DIR/tokens.$4"
  wait "${pids[@]}" # never a bare wait: the gateway and the relay are this shell's children too
  python3 -c 'import json, sys
for i in range(1, int(sys.argv[2]) + 1):
    status = open(f"{sys.argv[1]}/{i}.status").read().strip()
    try: number = json.load(open(f"{sys.argv[1]}/{i}.body")).get("number", "-")
    except ValueError: number = "-"
    print(status, number)' "$GW_DIR/answers" "$i" >"$GW_DIR/taken"
}
numbers() { awk '$1 == 201 { print $2 }' "$GW_DIR/taken" | sort -n | tr '\n' ' ' | sed 's/ $//'; }
statuses() { awk '{ print $1 }' "$GW_DIR/taken" | sort | uniq -c | awk '{ print $2 "x" $1 }' | tr '\n' ' ' | sed 's/ $//'; }

# ---- a first number: 201 after the commit, the estimate, the row ----
O="$RUNID-official" O2="$RUNID-official2"
declare -A T
mint a="$RUNID-a:1" a2="$RUNID-a:2" b="$RUNID-b:1" wait="$RUNID-wait:1" r1="$RUNID-r1:1" r2="$RUNID-r2:1" \
  r3="$RUNID-r3:1" p1="$RUNID-p1:1" p2="$RUNID-p2:1" o="$O:2" o1="$O:1" o2="$O2:2" \
  $(for i in $(seq 1 50) $(seq 100 109); do echo "c$i=$RUNID-c$i:1"; done) >"$GW_DIR/minted"
while read -r name tok; do T[$name]=$tok; done <"$GW_DIR/minted"
awk '$1 ~ /^c[0-9]$|^c[1-9][0-9]$/ { print $2 }' "$GW_DIR/minted" >"$GW_DIR/tokens.1"
awk '$1 ~ /^c1[0-9][0-9]$/ { print $2 }' "$GW_DIR/minted" >"$GW_DIR/tokens.100"
citizen() { echo "${T[$1]}"; }
A=$(citizen a)
H0=$(highest "$D1")
expect_eq "take a number" 201 "$(take "$A" "$U" "$D1" "key-$RUNID-1")"
read -r N1 T1 <<<"$(fields number id)"
expect_eq "the next number of the queue" $((H0 + 1)) "$N1"
expect_eq "waiting, today, this unit and domain" "waiting $TODAY $U $D1" "$(fields state day unit domain)"
expect_eq "nobody ahead: no wait, the holder not shown" "0 0 " "$(fields ahead estimated_wait_minutes subject)"
expect_eq "the row, its holder" "$N1|waiting|$RUNID-a" \
  "$(psql_cong "SELECT number, state, subject FROM queue_tickets WHERE id = '$T1'")"

# ---- 50 concurrent takers: 50 different numbers, one after the other ----
H0=$(highest "$D1")
takers 50 "$U" "$D1" 1
expect_eq "50 concurrent takers: 50 created" "201x50" "$(statuses)"
expect_eq "...numbers $((H0 + 1))..$((H0 + 50)), none twice" "$(seq $((H0 + 1)) $((H0 + 50)) | tr '\n' ' ' | sed 's/ $//')" "$(numbers)"
expect_eq "...and in PostgreSQL" 50 \
  "$(psql_cong "SELECT count(DISTINCT number) FROM queue_tickets WHERE unit_code = '$U' AND domain = '$D1' AND day = '$TODAY' AND number > $H0")"
expect_eq "a later one waits behind A and the 50, 4 minutes each (configured)" "201 51 204" \
  "$(take "$(citizen wait)" "$U" "$D1") $(fields ahead estimated_wait_minutes)"

# ---- limits (2 a day, 1 per domain), Idempotency-Key ----
expect_eq "a second number in the same domain: 429" 429 "$(take "$A" "$U" "$D1")"
expect_eq "...queue-limit-reached per_domain" "queue-limit-reached per_domain 1" "$(fields type limit max)"
expect_match "...Retry-After: until the queue day ends" '^[0-9]+$' "$(header retry-after)"
expect_eq "the same Idempotency-Key: the same ticket again" "201 $N1 $T1 true" \
  "$(take "$A" "$U" "$D1" "key-$RUNID-1") $(fields number id) $(header idempotent-replayed)"
expect_eq "the key with another request: 422" "422 idempotency-key-reused" \
  "$(take "$A" "$U" "$D2" "key-$RUNID-1") $(fields type)"
expect_eq "another domain: 201" 201 "$(take "$A" "$U" "$D2")"
expect_eq "a third number in the day, another unit: 429 per_day" "429 per_day 2" \
  "$(take "$A" "$U2" "$D3") $(fields limit max)"
expect_eq "two tickets of the day for A" 2 \
  "$(psql_cong "SELECT count(*) FROM queue_tickets WHERE subject = '$RUNID-a' AND day = '$TODAY'")"
# one citizen taking in both domains at once: never more than the limits, whoever wins
B=$(citizen b)
pids=()
for d in "$D1" "$D2" "$D1" "$D2"; do take "$B" "$U" "$d" >/dev/null & pids+=($!); done
wait "${pids[@]}"
expect_eq "four takes at once by one citizen: one per domain" "2 2" \
  "$(psql_cong "SELECT count(*), count(DISTINCT domain) FROM queue_tickets WHERE subject = '$RUNID-b' AND day = '$TODAY'" | tr '|' ' ')"
expect_eq "an unknown domain: 422" "422 domain:unknown-domain" "$(take "$A" "$U" khong-co) $(fields errors)"
expect_eq "a domain the unit does not handle: 422" "422 domain:not-handled" "$(take "$A" "$U" "$DX") $(fields errors)"
expect_eq "no domain: 422" "422 domain:required" \
  "$(call "$A" POST "/v1/units/$U/queue/tickets" -H 'content-type: application/json' -d '{}') $(fields errors)"
expect_eq "an unknown unit: 404" 404 "$(take "$A" HN-NO-SUCH "$D1")"
# holidays (this gateway opens on them: holidays_closed false, so that the test passes on any day): the SQL tells
expect_eq "a holiday of the calendar is seen as one" "ok|t" \
  "$(psql_cong "SELECT outcome, holiday FROM queue_ticket_prepare('x', '$U', '$D1', (SELECT min(day) FROM holidays), NULL)")"
expect_eq "no token: 401" 401 "$(take "" "$U" "$D1")"

# ---- the public view: no token, from Redis once built ----
VIEWKEY="cong:queue:{$U}:$TODAY:view"
expect_eq "the view" 200 "$(call "" GET "/v1/units/$U/queue")"
expect_eq "...cacheable" "public, max-age=60" "$(header cache-control)"
expect_eq "...nobody served yet; waiting in D1, its last number" \
  "[] $(psql_cong "SELECT count(*) FILTER (WHERE state = 'waiting') || ' ' || max(number) FROM queue_tickets WHERE unit_code = '$U' AND day = '$TODAY' AND domain = '$D1'")" \
  "$(body | python3 -c "import json,sys; v=json.load(sys.stdin); print(v['serving'], *next((w['count'], w['last_issued']) for w in v['waiting'] if w['domain'] == '$D1'))")"
expect_eq "...kept in Redis" 1 "$(redis-cli -p "$RPORT" exists "$VIEWKEY")"
redis-cli -p "$RPORT" set "$VIEWKEY" '{"marker":1}' >/dev/null
expect_eq "...and served from there" '{"marker":1}' "$(call "" GET "/v1/units/$U/queue" >/dev/null; body)"
expect_eq "an unknown unit: 404" 404 "$(call "" GET /v1/units/HN-NO-SUCH/queue)"

# ---- officials ----
psql_cong "INSERT INTO user_roles (subject, role, resource) VALUES ('$O', 'official', '$U'), ('$O2', 'official', '$U2')" >/dev/null
OT=${T[o]} O2T=${T[o2]}
next() { call "$1" POST "/v1/desk/units/${3:-$U}/queue/next" -H 'content-type: application/json' -d "$2"; }
expect_eq "a citizen calls: 403" "403 forbidden" "$(next "$(citizen a2)" '{"counter":"1"}') $(fields type)"
expect_eq "an official of another unit: 403" "403 forbidden" "$(next "$O2T" '{"counter":"1"}') $(fields type)"
expect_eq "level 1: 401" 401 "$(next "${T[o1]}" '{"counter":"1"}')"
expect_eq "no counter: 422" "422 validation-failed" "$(next "$OT" '{}') $(fields type)"
expect_eq "call the next of D1 at counter 1" 200 "$(next "$OT" "{\"counter\":\"1\",\"domain\":\"$D1\"}")"
expect_eq "...the oldest waiting: A's" "$T1 called 1" "$(fields id state counter)"
expect_eq "...the view changed at once (its snapshot dropped)" "1 $N1" \
  "$(call "" GET "/v1/units/$U/queue" >/dev/null; body | python3 -c 'import json,sys; s=json.load(sys.stdin)["serving"]; print(s[0]["counter"], s[0]["number"])')"
expect_eq "...the holder's event, in the call's transaction" "1|$N1|1" \
  "$(psql_cong "SELECT count(*), max((payload->>'number')::int), max(payload->>'counter') FROM push_outbox WHERE topic = 'queue.called' AND subject = '$RUNID-a' AND payload->>'ticket' = '$T1'")"
expect_eq "...audited" "$O|official|$RUNID-a" \
  "$(psql_cong "SELECT actor, actor_kind, subject FROM audit_records WHERE action = 'queue.call' AND object = 'queue_ticket:$T1'")"
# two counters at once, five rounds: ten calls, ten different tickets, each called once
for round in 1 2 3 4 5; do
  pids=()
  for c in 2 3; do
    curl -s --http2-prior-knowledge --max-time 10 -H "authorization: Bearer $OT" -H 'content-type: application/json' \
      -d "{\"counter\":\"$c\",\"domain\":\"$D1\"}" "$(url "/v1/desk/units/$U/queue/next")" >"$GW_DIR/call.$round.$c" &
    pids+=($!)
  done
  wait "${pids[@]}" # never a bare wait: the gateway and the relay are this shell's children too
done
expect_eq "two counters at once: ten different tickets" 10 \
  "$(python3 -c 'import json,sys; print(len({json.load(open(f)).get("id") for f in sys.argv[1:]} - {None}))' "$GW_DIR"/call.*)"
expect_eq "...each called once, one event each" "10|10" \
  "$(psql_cong "SELECT count(*), count(DISTINCT payload->>'ticket') FROM push_outbox WHERE topic = 'queue.called' AND (payload->>'ticket')::uuid IN (SELECT id FROM queue_tickets WHERE official = '$O' AND counter IN ('2', '3'))")"
finish_ticket() { call "$1" POST "/v1/desk/units/$2/queue/tickets/$3/$4"; }
expect_eq "served" "200 served" "$(finish_ticket "$OT" "$U" "$T1" served) $(fields state)"
expect_eq "served again: the same, recorded once" "200 served 1" \
  "$(finish_ticket "$OT" "$U" "$T1" served) $(fields state) $(psql_cong "SELECT count(*) FROM audit_records WHERE action = 'queue.served' AND object = 'queue_ticket:$T1'")"
expect_eq "absent once served: 409" "409 conflict served" "$(finish_ticket "$OT" "$U" "$T1" absent) $(fields type state)"
TW=$(psql_cong "SELECT id FROM queue_tickets WHERE unit_code = '$U' AND day = '$TODAY' AND state = 'waiting' LIMIT 1")
expect_eq "a waiting ticket cannot be served: 409" 409 "$(finish_ticket "$OT" "$U" "$TW" served)"
TC=$(psql_cong "SELECT id FROM queue_tickets WHERE unit_code = '$U' AND day = '$TODAY' AND counter = '2' AND state = 'called' LIMIT 1")
expect_eq "absent" "200 absent" "$(finish_ticket "$OT" "$U" "$TC" absent) $(fields state)"
expect_eq "...audited" "$O|official" "$(psql_cong "SELECT actor, actor_kind FROM audit_records WHERE action = 'queue.absent' AND object = 'queue_ticket:$TC'")"
expect_eq "the ticket through another unit's path: 404" 404 "$(finish_ticket "$O2T" "$U2" "$TC" served)"
expect_eq "a citizen marks: 403" 403 "$(finish_ticket "$(citizen a2)" "$U" "$TC" served)"
expect_eq "not a ticket id: 404" 404 "$(finish_ticket "$OT" "$U" not-a-uuid served)"
psql_cong "UPDATE queue_tickets SET state = 'cancelled' WHERE unit_code = '$U2' AND day = '$TODAY' AND state = 'waiting'" >/dev/null
expect_eq "an empty queue: 409 queue-empty" "409 queue-empty" "$(next "$O2T" '{"counter":"1"}' "$U2") $(fields type)"

# ---- Redis down: 503 with Retry-After, no number; back empty: numbers go on above every number given ----
H1=$(highest "$D1")
stop_redis || bad "Redis did not stop"
wait_store_down redis
expect_eq "Redis down: 503" "503 service-unavailable" "$(take "$(citizen r1)" "$U" "$D1") $(fields type)"
expect_match "...with Retry-After" '^[0-9]+$' "$(header retry-after)"
expect_eq "...and no number kept" "$H1" "$(highest "$D1")"
expect_eq "...the view is read from PostgreSQL" 200 "$(call "" GET "/v1/units/$U/queue")"
start_redis || bad "Redis did not start again"
wait_until 30 store_all_up redis || bad "Redis not reconnected"
expect_eq "Redis back, without the counter" 0 "$(redis-cli -p "$RPORT" exists "cong:queue:{$U}:$TODAY:$D1:last")"
expect_eq "the next number is above every number given" "201 $((H1 + 1))" "$(take "$(citizen r2)" "$U" "$D1") $(fields number)"
redis-cli -p "$RPORT" flushall >/dev/null
takers 10 "$U" "$D1" 100
expect_eq "FLUSHALL, then 10 at once: 10 created" "201x10" "$(statuses)"
expect_eq "...$((H1 + 2))..$((H1 + 11)), none given before" "$(seq $((H1 + 2)) $((H1 + 11)) | tr '\n' ' ' | sed 's/ $//')" "$(numbers)"
# a counter brought back older than PostgreSQL (a stale snapshot): still above
redis-cli -p "$RPORT" set "cong:queue:{$U}:$TODAY:$D1:last" 3 >/dev/null
expect_eq "an older counter: still the next above" "201 $((H1 + 12))" "$(take "$(citizen r3)" "$U" "$D1") $(fields number)"
expect_eq "never a number twice in the queue" 0 \
  "$(psql_cong "SELECT count(*) FROM (SELECT number FROM queue_tickets WHERE unit_code = '$U' AND domain = '$D1' AND day = '$TODAY' GROUP BY number HAVING count(*) > 1) d")"

# ---- PostgreSQL down: 503 ----
relay_stop PGRELAY
wait_store_down postgres
expect_eq "PostgreSQL down: a take is 503" "503 service-unavailable" "$(take "$(citizen p1)" "$U" "$D1") $(fields type)"
expect_match "...with Retry-After" '^[0-9]+$' "$(header retry-after)"
expect_eq "...a call too" 503 "$(next "$OT" '{"counter":"1"}')"
relay_start PGRELAY "$PG_PORT" "$PGRELAY_PORT" || bad "PostgreSQL relay restart"
wait_stores_up 30
expect_eq "PostgreSQL back: numbers again" 201 "$(take "$(citizen p2)" "$U" "$D1")"

psql_cong "DELETE FROM user_roles WHERE subject IN ('$O', '$O2')" >/dev/null
stop_gateway
stop_redis
finish

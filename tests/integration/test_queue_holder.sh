#!/usr/bin/env bash
# The ticket holder's side of the walk-in queue (modules/queue/holder.c, issue 15) over HTTP/2 against the test
# Redis and PostgreSQL: my tickets of today across units, each with its place (ahead, the wait estimate at 4 minutes a
# ticket, set here) or its counter once called; another person's ticket → 404; cancelling a waiting ticket frees its
# place in the daily limits (3 a day, 1 per domain, set here: take 3, cancel one, a 4th is taken), drops the public
# view's snapshot and is audited; cancelling twice or once called → 409 queue-ticket-not-waiting; officials' next skips
# a cancelled ticket; a cancel and a call of one ticket at once: exactly one wins, ten times; acting for someone →
# 403; PostgreSQL down → 503. The leftovers of an earlier run of the day in the units used are cancelled first.
source "$(dirname "$0")/lib.sh"
relay_start PGRELAY "$PG_PORT" || { bad "PostgreSQL relay"; finish; exit 1; }
start_gateway CONG_POSTGRES_CONNINFO="host=127.0.0.1 port=$PGRELAY_PORT dbname=cong user=cong connect_timeout=1" \
  CONG_RATE_LIMITS_DEFAULT_BURST=10000 CONG_RATE_LIMITS_DEFAULT_PER_MINUTE=1000000 \
  CONG_MODULES_QUEUE_MAX_PER_DAY=3 CONG_MODULES_QUEUE_MAX_PER_DOMAIN_PER_DAY=1 \
  CONG_MODULES_QUEUE_OPEN_DAYS="sun mon tue wed thu fri sat" CONG_MODULES_QUEUE_HOLIDAYS_CLOSED=false \
  CONG_MODULES_QUEUE_DAY_START_HOUR=0 CONG_MODULES_QUEUE_MINUTES_PER_TICKET=4 \
  CONG_MODULES_QUEUE_MEASURED_MIN_TICKETS=0 CONG_MODULES_QUEUE_VIEW_CACHE_MS=60000 || exit 1
wait_stores_up || { finish; exit 1; }

RUNID="qh$$-$RANDOM"
TODAY=$(date -u -d '+7 hours' +%F) # the queue day: Hanoi's (day_start_hour 0)
# a ward and two domains it handles, where no counter called lately (the wait estimate divides by the counters that
# called in the last hour: none, so one); another unit and a third domain
read -r U D1 D2 <<<"$(psql_cong "SELECT pu.unit_code, min(p.domain), max(p.domain) FROM procedure_units pu JOIN procedures p ON p.code = pu.procedure_code JOIN units u ON u.code = pu.unit_code WHERE u.kind = 'ward' AND NOT EXISTS (SELECT 1 FROM queue_tickets q WHERE q.unit_code = pu.unit_code AND q.day = '$TODAY' AND q.called_at > now() - interval '2 hours') GROUP BY pu.unit_code HAVING count(DISTINCT p.domain) > 1 ORDER BY random() LIMIT 1" | tr '|' ' ')"
read -r U2 D3 <<<"$(psql_cong "SELECT pu.unit_code, min(p.domain) FROM procedure_units pu JOIN procedures p ON p.code = pu.procedure_code WHERE pu.unit_code <> '$U' AND p.domain NOT IN ('$D1', '$D2') GROUP BY pu.unit_code ORDER BY random() LIMIT 1" | tr '|' ' ')"
expect_match "a unit and domains" '^HN-' "$U $U2"
psql_cong "UPDATE queue_tickets SET state = 'cancelled' WHERE unit_code IN ('$U', '$U2') AND day = '$TODAY' AND state = 'waiting'" >/dev/null
fields() { # KEY... — top-level members of the last answer's body; "type" as its slug, "" for an absent or null one
  python3 -c 'import json, sys
try: d = json.load(open(sys.argv[1]))
except ValueError: d = {}
def show(k):
    v = d.get(k)
    if k == "type" and v: return v.rsplit("/", 1)[-1]
    return "" if v is None else str(v)
print(" ".join(show(k) for k in sys.argv[2:]))' "$GW_DIR/body" "$@"
}
# listed — the last answer's tickets as "number:state:ahead:wait:counter" lines joined by spaces (null as -)
listed() {
  python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
s = lambda v: "-" if v is None else str(v)
print(d["day"], *(":".join(s(t.get(k)) for k in ("unit", "number", "state", "ahead", "estimated_wait_minutes", "counter"))
                  for t in d["tickets"]))' "$GW_DIR/body"
}
take() { # TOKEN UNIT DOMAIN → status; body in $GW_DIR/body
  call "$1" POST "/v1/units/$2/queue/tickets" -H 'content-type: application/json' -d "{\"domain\":\"$3\"}"
}
mine() { call "$1" GET "/v1/me/queue/tickets${2:+/$2}"; }
cancel() { call "$1" POST "/v1/me/queue/tickets/$2/cancel"; }
next() { call "$1" POST "/v1/desk/units/$U/queue/next" -H 'content-type: application/json' -d "$2"; }
state() { psql_cong "SELECT state FROM queue_tickets WHERE id = '$1'"; }
declare -A T
for spec in a="$RUNID-a:1" b="$RUNID-b:1" o="$RUNID-official:2" $(for i in $(seq 1 10); do echo "r$i=$RUNID-r$i:1"; done); do
  T[${spec%%=*}]=$(token --sub "$(echo "${spec#*=}" | cut -d: -f1)" --acr "${spec##*:}")
done
A=${T[a]} B=${T[b]} OT=${T[o]} O="$RUNID-official"

# ---- my tickets: today's, across units, with their place ----
expect_eq "nothing taken yet: an empty list of today" "200 $TODAY" "$(mine "$A") $(listed)"
expect_eq "...never cached" no-store "$(header cache-control)"
expect_eq "A takes in $U/$D1" 201 "$(take "$A" "$U" "$D1")"
read -r N1 T1 <<<"$(fields number id)"
expect_eq "B takes behind A" 201 "$(take "$B" "$U" "$D1")"
read -r N2 T2 <<<"$(fields number id)"
expect_eq "A takes in $U2/$D3" 201 "$(take "$A" "$U2" "$D3")"
read -r N3 T3 <<<"$(fields number id)"
expect_eq "A's tickets: both units, in the order taken, first in line: no wait" \
  "200 $TODAY $U:$N1:waiting:0:0:- $U2:$N3:waiting:0:0:-" "$(mine "$A") $(listed)"
expect_eq "...naming nobody, no internal figure" "" \
  "$(python3 -c 'import json,sys; print(*sorted({k for t in json.load(open(sys.argv[1]))["tickets"] for k in t} & {"subject","counters","measured_s","measured_n"}))' "$GW_DIR/body")"
expect_eq "B's: one waiting ahead, 4 minutes (configured)" "200 $TODAY $U:$N2:waiting:1:4:-" "$(mine "$B") $(listed)"
expect_eq "B's ticket by its id" "200 $T2 waiting 1 4" "$(mine "$B" "$T2") $(fields id state ahead estimated_wait_minutes)"
expect_eq "...never cached" no-store "$(header cache-control)"
expect_eq "B's ticket asked by A: 404" "404 not-found" "$(mine "$A" "$T2") $(fields type)"
expect_eq "no such ticket: 404" 404 "$(mine "$A" 00000000-0000-4000-8000-000000000000)"
expect_eq "not a ticket id: 404" 404 "$(mine "$A" not-a-uuid)"
expect_eq "no token: 401" 401 "$(mine "")"
expect_eq "the list reads the holder's index (subject, day)" 1 \
  "$(psql_cong "SET enable_seqscan = off; EXPLAIN SELECT queue_holder_json(t) FROM queue_tickets t WHERE t.subject = 'x' AND t.day = '$TODAY' ORDER BY t.taken_at, t.number" | grep -c 'queue_tickets_holder')"

# ---- cancel: the daily limits (3 a day, 1 per domain) no longer count it ----
expect_eq "A's third number of the day, in $D2" 201 "$(take "$A" "$U" "$D2")"
read -r N4 T4 <<<"$(fields number id)"
expect_eq "a fourth: 429 per_day" "429 per_day 3" "$(take "$A" "$U" "$D2") $(fields limit max)"
VIEWKEY="cong:queue:{$U}:$TODAY:view"
viewkey() { [ "$(redis-cli -p "$REDIS_PORT" exists "$VIEWKEY")" = "$1" ]; }
expect_eq "the view" 200 "$(call "" GET "/v1/units/$U/queue")"
wait_until 10 viewkey 1 && ok || bad "the view's snapshot was not kept in Redis"
expect_eq "B cancels A's ticket: 404, still waiting" "404 waiting" "$(cancel "$B" "$T4") $(state "$T4")"
expect_eq "A cancels it" "200 $T4 cancelled" "$(cancel "$A" "$T4") $(fields id state)"
expect_eq "...stored" cancelled "$(state "$T4")"
expect_eq "...audited, by its holder" "$RUNID-a|citizen|$RUNID-a" \
  "$(psql_cong "SELECT actor, actor_kind, subject FROM audit_records WHERE action = 'queue.cancel' AND object = 'queue_ticket:$T4'")"
wait_until 10 viewkey 0 && ok || bad "the view's snapshot was not dropped"
expect_eq "a cancelled ticket counts no more: a number in $D2 again (per day and per domain)" 201 "$(take "$A" "$U" "$D2")"
T5=$(fields id)
expect_eq "...and then the limit again" "429 per_day" "$(take "$A" "$U" "$D2") $(fields limit)"
expect_eq "cancel twice: 409" "409 queue-ticket-not-waiting cancelled" "$(cancel "$A" "$T4") $(fields type state)"
expect_eq "...recorded once" 1 "$(psql_cong "SELECT count(*) FROM audit_records WHERE action = 'queue.cancel' AND object = 'queue_ticket:$T4'")"
expect_eq "cancel: not a ticket id: 404" 404 "$(cancel "$A" not-a-uuid)"

# ---- officials' next skips a cancelled ticket; a called ticket cannot be cancelled ----
psql_cong "INSERT INTO user_roles (subject, role, resource) VALUES ('$O', 'official', '$U')" >/dev/null
expect_eq "A gives up $N1, first in line" "200 cancelled" "$(cancel "$A" "$T1") $(fields state)"
expect_eq "B is now first: nobody ahead" "200 0 0" "$(mine "$B" "$T2") $(fields ahead estimated_wait_minutes)"
expect_eq "the next of $D1: B's, not the cancelled one" "200 $T2 $N2" \
  "$(next "$OT" "{\"counter\":\"1\",\"domain\":\"$D1\"}") $(fields id number)"
expect_eq "B sees where to go" "200 $TODAY $U:$N2:called:-:-:1" "$(mine "$B") $(listed)"
expect_eq "B cancels once called: 409" "409 queue-ticket-not-waiting called" "$(cancel "$B" "$T2") $(fields type state)"
expect_eq "...still called" called "$(state "$T2")"
expect_eq "nobody else waits in $D1: the cancelled one is never called" "409 queue-empty" \
  "$(next "$OT" "{\"counter\":\"1\",\"domain\":\"$D1\"}") $(fields type)"
expect_eq "A's list shows the cancelled ones without a place" \
  "$TODAY $U:$N1:cancelled:-:-:- $U2:$N3:waiting:0:0:- $U:$N4:cancelled:-:-:- $U:$(psql_cong "SELECT number FROM queue_tickets WHERE id = '$T5'"):waiting:0:0:-" \
  "$(mine "$A" >/dev/null; listed)"

# ---- a cancel and a call of the same ticket at once: exactly one wins, ten times ----
for i in $(seq 1 10); do
  take "${T[r$i]}" "$U" "$D1" >/dev/null
  TR=$(fields id)
  curl -s --http2-prior-knowledge --max-time 10 -o /dev/null -w '%{http_code}' -X POST \
    -H "authorization: Bearer ${T[r$i]}" "$(url "/v1/me/queue/tickets/$TR/cancel")" >"$GW_DIR/race.cancel" &
  p1=$!
  curl -s --http2-prior-knowledge --max-time 10 -o "$GW_DIR/race.body" -w '%{http_code}' -X POST \
    -H "authorization: Bearer $OT" -H 'content-type: application/json' -d "{\"counter\":\"2\",\"domain\":\"$D1\"}" \
    "$(url "/v1/desk/units/$U/queue/next")" >"$GW_DIR/race.next" &
  p2=$!
  wait "$p1" "$p2" # never a bare wait: the gateway and the relay are this shell's children too
  got="cancel $(cat "$GW_DIR/race.cancel") next $(cat "$GW_DIR/race.next") $(state "$TR")"
  case "$got" in
  "cancel 200 next 409 cancelled" | "cancel 409 next 200 called") ok ;;
  *) bad "round $i: one of cancel and call should win, got [$got]" ;;
  esac
  [ "$(cat "$GW_DIR/race.next")" != 200 ] || expect_eq "round $i: the call got that ticket" "$TR" \
    "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("id"))' "$GW_DIR/race.body")"
  expect_eq "round $i: an event only for a call" "$(state "$TR" | sed 's/called/1/; s/cancelled/0/')" \
    "$(psql_cong "SELECT count(*) FROM push_outbox WHERE topic = 'queue.called' AND payload->>'ticket' = '$TR'")"
done

# ---- acting for someone: refused ----
ACTING=$(token --sub "$RUNID-a" --acr 1 --claims-json "{\"act\":{\"sub\":\"$RUNID-b\"},\"mandate\":{\"id\":\"$(cat /proc/sys/kernel/random/uuid)\",\"actions\":[\"view\",\"submit\"],\"procedures\":[],\"domains\":[\"$D1\",\"$D2\",\"$D3\"],\"until\":$(($(date +%s) + 3600))}}")
expect_eq "acting for A: A's list is refused" "403 mandate-does-not-cover" "$(mine "$ACTING") $(fields type)"
expect_eq "...one ticket too" 403 "$(mine "$ACTING" "$T3")"
expect_eq "...a cancel too, nothing changed" "403 waiting" "$(cancel "$ACTING" "$T3") $(state "$T3")"

# ---- PostgreSQL down: 503 ----
relay_stop PGRELAY
wait_store_down postgres
expect_eq "PostgreSQL down: the list is 503" "503 service-unavailable" "$(mine "$A") $(fields type)"
expect_match "...with Retry-After" '^[0-9]+$' "$(header retry-after)"
expect_eq "...a cancel too" 503 "$(cancel "$A" "$T3")"
relay_start PGRELAY "$PG_PORT" "$PGRELAY_PORT" || bad "PostgreSQL relay restart"
wait_stores_up 30
expect_eq "PostgreSQL back: the cancel, unchanged until now" "waiting 200 cancelled" "$(state "$T3") $(cancel "$A" "$T3") $(fields state)"

psql_cong "DELETE FROM user_roles WHERE subject = '$O'" >/dev/null
finish

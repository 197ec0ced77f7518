#!/usr/bin/env bash
# Appointments with a unit's staff (modules/appointments, issue 15) over HTTP/2 against the real PostgreSQL: an
# official publishes schedules (403 for a citizen or an official of another unit); the public slots (holidays and
# unlisted weekends closed, the grid, seats remaining, a bounded range); 100 citizens booking 10 places of one slot
# at once get exactly 10 holds and 90 clean 409 slot-full; the holds expire through the job (hold_ttl_s set small
# here, long enough for the rush to end first; the test waits for the expiry after its other checks) and their seats
# are free again; a late confirm is 409 hold-expired; the per-citizen limits (1 active per
# domain, 2 a day, set here), also under eight concurrent bookings of one citizen; the Idempotency-Key; cancel frees
# the seat; a stranger's confirm or cancel is 404; the holder's events (appointment.changed) and audit records; the
# reminders written exactly once, an hour before and 24 hours before (driven by data: appointments starting soon);
# the holder reads one (404 for anyone else); the desk's list of a unit's day (officials of the unit, level 2: held
# and confirmed by slot start, nobody named, each item audited; driven by rows written as is); PostgreSQL down → 503
# with Retry-After. The unit's earlier appointments and schedules are removed first.
source "$(dirname "$0")/lib.sh"
relay_start PGRELAY "$PG_PORT" || { bad "PostgreSQL relay"; finish; exit 1; }
start_gateway CONG_POSTGRES_CONNINFO="host=127.0.0.1 port=$PGRELAY_PORT dbname=cong user=cong connect_timeout=1" \
  CONG_RATE_LIMITS_DEFAULT_BURST=10000 CONG_RATE_LIMITS_DEFAULT_PER_MINUTE=1000000 \
  CONG_MODULES_APPOINTMENTS_HOLD_TTL_S=15 CONG_MODULES_APPOINTMENTS_JOB_INTERVAL_MS=200 \
  CONG_MODULES_APPOINTMENTS_MAX_ACTIVE_PER_DOMAIN=1 CONG_MODULES_APPOINTMENTS_MAX_PER_DAY=2 \
  CONG_MODULES_APPOINTMENTS_HORIZON_DAYS=400 CONG_MODULES_APPOINTMENTS_SLOTS_MAX_AGE_S=5 || exit 1
wait_stores_up || { finish; exit 1; }

RUNID="ap$$-$RANDOM"
TODAY=$(date -u -d '+7 hours' +%F) # Hanoi's
# a ward handling three domains or more, a domain it does not handle, another unit
read -r U D1 D2 D3 <<<"$(psql_cong "SELECT pu.unit_code, (array_agg(DISTINCT p.domain))[1], (array_agg(DISTINCT p.domain))[2], (array_agg(DISTINCT p.domain))[3] FROM procedure_units pu JOIN procedures p ON p.code = pu.procedure_code JOIN units u ON u.code = pu.unit_code WHERE u.kind = 'ward' GROUP BY pu.unit_code HAVING count(DISTINCT p.domain) > 2 ORDER BY random() LIMIT 1" | tr '|' ' ')"
DX=$(psql_cong "SELECT code FROM domains WHERE code NOT IN (SELECT p.domain FROM procedure_units pu JOIN procedures p ON p.code = pu.procedure_code WHERE pu.unit_code = '$U') ORDER BY code LIMIT 1")
U2=$(psql_cong "SELECT code FROM units WHERE code <> '$U' AND kind = 'ward' ORDER BY random() LIMIT 1")
expect_match "a unit and three domains" '^HN-[^ ]+ [^ ]+ [^ ]+ [^ ]+$' "$U $D1 $D2 $D3"
psql_cong "DELETE FROM appointments WHERE unit_code = '$U'; DELETE FROM appointment_slots WHERE unit_code = '$U'; DELETE FROM appointment_schedules WHERE unit_code = '$U'" >/dev/null
# DAY: the first working day (Monday..Friday, no holiday) two days from now at least; HOL: the next holiday
DAY=$(psql_cong "SELECT min(d)::date FROM generate_series('$TODAY'::date + 2, '$TODAY'::date + 20, interval '1 day') d WHERE extract(isodow FROM d) < 6 AND d::date NOT IN (SELECT day FROM holidays)")
HOL=$(psql_cong "SELECT min(day) FROM holidays WHERE day > '$TODAY'::date + 1")
expect_match "the calendar has a coming holiday (scripts/gen-catalog.py: 2025-2027)" '^[0-9]{4}-' "$HOL"
at() { echo "${DAY}T$1:00+07:00"; }

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
# mint NAME=SUB:ACR... — "NAME TOKEN" lines, all signed in one process (as test_queue.sh)
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
declare -A T
O="$RUNID-official" O2="$RUNID-official2"
mint o="$O:2" o1="$O:1" o2="$O2:2" a="$RUNID-a:1" a2="$RUNID-a:2" b="$RUNID-b:1" c="$RUNID-c:1" s="$RUNID-s:1" \
  c2="$RUNID-c2:1" c3="$RUNID-c3:1" c4="$RUNID-c4:1" p="$RUNID-p:1" \
  $(for i in $(seq 1 100); do echo "k$i=$RUNID-k$i:1"; done) >"$GW_DIR/minted"
while read -r name tok; do T[$name]=$tok; done <"$GW_DIR/minted"
book() { # TOKEN KEY UNIT DOMAIN SLOT [DOSSIER] → status; body in $GW_DIR/body
  call "$1" POST /v1/appointments -H 'content-type: application/json' ${2:+-H "idempotency-key: $2"} \
    -d "{\"unit\":\"$3\",\"domain\":\"$4\",\"slot\":\"$5\"${6:+,\"dossier_code\":\"$6\"}}"
}
confirm() { call "$1" POST "/v1/appointments/$2/confirm"; }
cancel() { call "$1" DELETE "/v1/appointments/$2"; }
slots() { call "" GET "/v1/units/$1/slots?domain=$2&from=$3&to=$4"; }
# slot_seats SLOT → "capacity remaining" of that slot in the last slots answer, "none" when it is not offered
slot_seats() {
  python3 -c 'import json, sys
s = [x for x in json.load(open(sys.argv[1]))["slots"] if x["slot"] == sys.argv[2]]
print(s[0]["capacity"], s[0]["remaining"]) if s else print("none")' "$GW_DIR/body" "$1"
}
# slot_days → the distinct local days of the last slots answer, and their ISO weekdays ("2026-12-07:1 ...")
slot_days() {
  python3 -c 'import datetime, json, sys
days = sorted({x["slot"][:10] for x in json.load(open(sys.argv[1]))["slots"]})
print(" ".join(f"{d}:{datetime.date.fromisoformat(d).isoweekday()}" for d in days))' "$GW_DIR/body"
}
q() { psql_cong "$1"; }

# ---- schedules: officials of the unit only ----
psql_cong "INSERT INTO user_roles (subject, role, resource) VALUES ('$O', 'official', '$U'), ('$O2', 'official', '$U2')" >/dev/null
put() { call "$1" PUT "/v1/desk/units/$U/appointment-schedules/$2" -H 'content-type: application/json' -d "$3"; }
ALLDAY='"weekdays":[1,2,3,4,5,6,7],"periods":[{"start":"00:00","end":"24:00"}]'
expect_eq "a citizen publishes: 403" "403 forbidden" "$(put "${T[a2]}" "$D1" "{$ALLDAY,\"slot_minutes\":30,\"capacity\":10}") $(fields type)"
expect_eq "an official of another unit: 403" 403 "$(put "${T[o2]}" "$D1" "{$ALLDAY,\"slot_minutes\":30,\"capacity\":10}")"
expect_eq "level 1: 401" 401 "$(put "${T[o1]}" "$D1" "{$ALLDAY,\"slot_minutes\":30,\"capacity\":10}")"
expect_eq "overlapping periods: 422" "422 periods:invalid" \
  "$(put "${T[o]}" "$D1" '{"periods":[{"start":"08:00","end":"11:00"},{"start":"10:00","end":"12:00"}],"slot_minutes":30,"capacity":1}') $(fields errors)"
expect_eq "a domain the unit does not handle: 422" "422 domain:not-handled" \
  "$(put "${T[o]}" "$DX" "{$ALLDAY,\"slot_minutes\":30,\"capacity\":10}") $(fields errors)"
expect_eq "D1: every day, all day, 30 min, 10 seats" "200 30 10" \
  "$(put "${T[o]}" "$D1" "{$ALLDAY,\"slot_minutes\":30,\"capacity\":10}") $(fields slot_minutes capacity)"
expect_eq "D2: every day, 15 min" 200 "$(put "${T[o]}" "$D2" "{$ALLDAY,\"slot_minutes\":15,\"capacity\":10}")"
expect_eq "D3: no weekdays given (Monday..Friday), two periods, 2 seats" "200 [1, 2, 3, 4, 5]" \
  "$(put "${T[o]}" "$D3" '{"periods":[{"start":"08:00","end":"11:30"},{"start":"13:30","end":"17:00"}],"slot_minutes":30,"capacity":2}') $(fields weekdays)"
expect_eq "...audited" "1|official" "$(q "SELECT count(*), max(actor_kind) FROM audit_records WHERE action = 'appointment.schedule' AND actor = '$O' AND object = 'appointment_schedule:$U/$D3'")"

# ---- the public slots ----
expect_eq "slots of a day: every 30 minutes, no token" "200 48" "$(slots "$U" "$D1" "$DAY" "$DAY") $(body | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["slots"]))')"
expect_eq "...cacheable briefly" "public, max-age=5" "$(header cache-control)"
expect_eq "...10:00 with its 10 seats" "10 10" "$(slot_seats "$(at 10:00)")"
expect_eq "...its end, in Hanoi time" "${DAY}T10:30:00+07:00" \
  "$(body | python3 -c "import json,sys; print(next(x['ends_at'] for x in json.load(sys.stdin)['slots'] if x['slot'] == '$(at 10:00)'))")"
WEEK_END=$(date -d "$DAY + 9 days" +%F)
slots "$U" "$D3" "$DAY" "$WEEK_END" >/dev/null
expect_no_match "weekends not listed: no Saturday or Sunday slot" ':[67]( |$)' "$(slot_days)"
expect_eq "...D3's grid: 14 slots a day" 14 "$(body | python3 -c "import json,sys; print(sum(1 for x in json.load(sys.stdin)['slots'] if x['slot'].startswith('$DAY')))")"
slots "$U" "$D1" "$DAY" "$WEEK_END" >/dev/null
expect_match "weekends listed (D1): Saturday and Sunday have slots" ':6 .*:7' "$(slot_days)"
HFROM=$(date -d "$HOL - 2 days" +%F) HTO=$(date -d "$HOL + 2 days" +%F)
slots "$U" "$D1" "$HFROM" "$HTO" >/dev/null
expect_eq "a holiday ($HOL) has no slot, the days around it have" \
  "$(q "SELECT string_agg(d::date::text, ' ' ORDER BY d) FROM generate_series('$HFROM'::date, '$HTO'::date, interval '1 day') d WHERE d::date NOT IN (SELECT day FROM holidays) AND d::date > '$TODAY'")" \
  "$(slot_days | sed 's/:[1-7]//g')"
expect_eq "a range over 31 days: 422" "422 to:range-too-long" "$(slots "$U" "$D1" "$DAY" "$(date -d "$DAY + 31 days" +%F)") $(fields errors)"
expect_eq "an unknown unit: 404" 404 "$(slots HN-NO-SUCH "$D1" "$DAY" "$DAY")"
expect_eq "an unknown domain: 422" "422 domain:unknown-domain" "$(slots "$U" khong-co "$DAY" "$DAY") $(fields errors)"
expect_eq "no schedule for the domain: no slot" "200 0" "$(slots "$U" "$DX" "$DAY" "$DAY") $(body | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["slots"]))')"

# ---- 100 citizens book the 10 seats of one slot at once (each its own HTTP/2 connection) ----
SLOT=$(at 10:00)
pids=()
for i in $(seq 1 100); do
  curl -s --http2-prior-knowledge --max-time 30 -o "$GW_DIR/rush.$i.body" -w '%{http_code}\n' \
    -H "authorization: Bearer ${T[k$i]}" -H "idempotency-key: $RUNID-$i" -H 'content-type: application/json' \
    -d "{\"unit\":\"$U\",\"domain\":\"$D1\",\"slot\":\"$SLOT\"}" "$(url /v1/appointments)" >"$GW_DIR/rush.$i.codes" &
  pids+=($!)
done
wait "${pids[@]}" # never a bare wait: the gateway and the relay are this shell's children too
expect_eq "100 at once for 10 seats: 10 holds, 90 full" "201x10 409x90" \
  "$(cat "$GW_DIR"/rush.*.codes | sort | uniq -c | awk '{ print $2 "x" $1 }' | tr '\n' ' ' | sed 's/ $//')"
expect_eq "...every 409 is slot-full" 90 \
  "$(python3 -c 'import json,sys; print(sum(1 for f in sys.argv[1:] if json.load(open(f)).get("type","").endswith("/slot-full")))' "$GW_DIR"/rush.*.body)"
expect_eq "...10 rows, 10 seats taken" "10|10" \
  "$(q "SELECT (SELECT count(*) FROM appointments WHERE unit_code = '$U' AND domain = '$D1' AND starts_at = '$SLOT'), (SELECT taken FROM appointment_slots WHERE unit_code = '$U' AND domain = '$D1' AND starts_at = '$SLOT')")"
slots "$U" "$D1" "$DAY" "$DAY" >/dev/null
expect_eq "...no seat left" "10 0" "$(slot_seats "$SLOT")"
RUSH_ID=$(python3 -c 'import json,sys
for f in sys.argv[1:]:
    d = json.load(open(f))
    if d.get("status") == "held": print(d["id"], f.split(".")[-2]); break' "$GW_DIR"/rush.*.body)
read -r RUSH_ID RUSH_I <<<"$RUSH_ID"

# ---- per-citizen limits: 1 active per domain, 2 a day ----
A=${T[a]}
expect_eq "A holds D1 09:00" 201 "$(book "$A" "$RUNID-a1" "$U" "$D1" "$(at 09:00)")"
A1=$(fields id)
expect_eq "...and confirms it" "200 confirmed" "$(confirm "$A" "$A1") $(fields status)"
expect_eq "a second active one in D1: 409 per_domain" "409 appointment-limit-reached per_domain 1" \
  "$(book "$A" "$RUNID-a2" "$U" "$D1" "$(at 11:00)") $(fields type limit max)"
expect_eq "D2 the same day: 201" 201 "$(book "$A" "$RUNID-a3" "$U" "$D2" "$(at 09:00)")"
A3=$(fields id)
expect_eq "...confirmed" 200 "$(confirm "$A" "$A3")"
expect_eq "a third the same day: 409 per_day" "409 appointment-limit-reached per_day 2" \
  "$(book "$A" "$RUNID-a4" "$U" "$D3" "$(at 09:00)") $(fields type limit max)"
expect_eq "A cancels D2" "200 cancelled" "$(cancel "$A" "$A3") $(fields status)"
expect_eq "...then D3 the same day fits" 201 "$(book "$A" "$RUNID-a5" "$U" "$D3" "$(at 09:00)")"
# one citizen books one slot eight times at once (one curl, eight HTTP/2 connections opened together: curl 7.88 does
# not multiplex parallel transfers over an h2c prior-knowledge connection): without the lock on the citizen the eight
# would count no appointment, wait for each other on the slot's seat row, and all get a seat
B=${T[b]}
for i in 1 2 3 4 5 6 7 8; do
  [ "$i" = 1 ] || echo next
  printf 'url = "%s"\nhttp2-prior-knowledge\nheader = "authorization: Bearer %s"\nheader = "idempotency-key: %s-b%d"\n' \
    "$(url /v1/appointments)" "$B" "$RUNID" "$i"
  printf 'header = "content-type: application/json"\ndata = "{\\"unit\\":\\"%s\\",\\"domain\\":\\"%s\\",\\"slot\\":\\"%s\\"}"\n' \
    "$U" "$D1" "$(at 08:00)"
  printf 'output = "/dev/null"\nwrite-out = "%%{http_code}\\n"\n'
done >"$GW_DIR/b.conf"
curl -s --max-time 20 --parallel --parallel-immediate --parallel-max 8 -K "$GW_DIR/b.conf" >"$GW_DIR/b.codes" 2>/dev/null
expect_eq "eight bookings of one citizen at once: one hold, seven 409" "201x1 409x7" \
  "$(sort "$GW_DIR/b.codes" | uniq -c | awk '{ print $2 "x" $1 }' | tr '\n' ' ' | sed 's/ $//')"
expect_eq "...one row" 1 "$(q "SELECT count(*) FROM appointments WHERE subject = '$RUNID-b'")"

# ---- the Idempotency-Key, the slot, the dossier ----
C=${T[c]}
expect_eq "no Idempotency-Key: 400" "400 idempotency-key-required" "$(book "$C" "" "$U" "$D1" "$(at 12:00)") $(fields type)"
expect_eq "C holds D1 12:00" "201 held" "$(book "$C" "$RUNID-c1" "$U" "$D1" "$(at 12:00)") $(fields status)"
C1=$(fields id) C1_LOCATION=$(header location)
# confirmed at once: a hold lives 15 s here, less than the checks below may take on a loaded machine
expect_eq "C confirms" "200 confirmed" "$(confirm "$C" "$C1") $(fields status)"
expect_eq "...Location" "/v1/appointments/$C1" "$C1_LOCATION"
expect_eq "the same key and body again: the same appointment" "201 $C1 true" "$(book "$C" "$RUNID-c1" "$U" "$D1" "$(at 12:00)") $(fields id) $(header idempotent-replayed)"
expect_eq "...one row, one seat" "1|1" "$(q "SELECT count(*), max(s.taken) FROM appointments a JOIN appointment_slots s USING (unit_code, domain, starts_at) WHERE a.subject = '$RUNID-c'")"
expect_eq "the key with another body: 422" "422 idempotency-key-reused" "$(book "$C" "$RUNID-c1" "$U" "$D1" "$(at 12:30)") $(fields type)"
expect_eq "a time off the grid: 422" "422 slot:not-offered" "$(book "$C" "$RUNID-c2" "$U" "$D2" "$(at 12:10)") $(fields errors)"
expect_eq "a holiday: 422" "422 slot:not-offered" "$(book "$C" "$RUNID-c3" "$U" "$D2" "${HOL}T09:00:00+07:00") $(fields errors)"
expect_eq "a slot begun: 422" "422 slot:not-offered" "$(book "$C" "$RUNID-c4" "$U" "$D2" "${TODAY}T00:00:00+07:00") $(fields errors)"
expect_eq "not an ISO 8601 time: 422" "422 slot:invalid-format" "$(book "$C" "$RUNID-c5" "$U" "$D2" "tomorrow") $(fields errors)"
expect_eq "someone else's dossier: 422" "422 dossier_code:unknown" "$(book "$C" "$RUNID-c6" "$U" "$D2" "$(at 12:00)" "HN-NO-SUCH-1") $(fields errors)"
DOSSIER="AP-$RUNID"
q "INSERT INTO dossiers (code, procedure_code, unit_code, subject, submitted_by, status, form, fee_vnd, due_date) SELECT '$DOSSIER', p.code, '$U', '$RUNID-c', '$RUNID-c', 'submitted', '{}', 0, current_date + 10 FROM procedures p JOIN procedure_units pu ON pu.procedure_code = p.code AND pu.unit_code = '$U' WHERE p.domain = '$D2' LIMIT 1" >/dev/null
expect_eq "one's own dossier: 201" "201 $DOSSIER" "$(book "$C" "$RUNID-c7" "$U" "$D2" "$(at 12:00)" "$DOSSIER") $(fields dossier_code)"
expect_eq "a stranger confirms C's: 404" 404 "$(confirm "${T[s]}" "$C1")"
expect_eq "a stranger cancels C's: 404" 404 "$(cancel "${T[s]}" "$C1")"
expect_eq "not an id: 404" 404 "$(confirm "$C" not-a-uuid)"
expect_eq "no token: 401" 401 "$(confirm "" "$C1")"
expect_eq "C confirms again: the same, recorded once" "200 confirmed 1|1" \
  "$(confirm "$C" "$C1") $(fields status) $(q "SELECT (SELECT count(*) FROM audit_records WHERE action = 'appointment.confirm' AND object = 'appointment:$C1'), (SELECT count(*) FROM push_outbox WHERE topic = 'appointment.changed' AND subject = '$RUNID-c' AND payload->>'appointment' = '$C1' AND payload->>'status' = 'confirmed')")"
expect_eq "C's list: two, the confirmed one" "200 2 confirmed" \
  "$(call "$C" GET /v1/me/appointments) $(body | python3 -c "import json,sys; i=json.load(sys.stdin)['items']; print(len(i), next(x['status'] for x in i if x['id'] == '$C1'))")"
cp "$GW_DIR/body" "$GW_DIR/mine.json"
expect_eq "C reads one: 200, the list's item" "200 True" \
  "$(call "$C" GET "/v1/appointments/$C1") $(python3 -c 'import json,sys
mine = next(x for x in json.load(open(sys.argv[1]))["items"] if x["id"] == sys.argv[3])
print(json.load(open(sys.argv[2])) == mine)' "$GW_DIR/mine.json" "$GW_DIR/body" "$C1")"
expect_eq "...no-store" "no-store" "$(header cache-control)"
expect_eq "a stranger reads C's: 404" "404 not-found" "$(call "${T[s]}" GET "/v1/appointments/$C1") $(fields type)"
expect_eq "reading not an id: 404" 404 "$(call "$C" GET /v1/appointments/not-a-uuid)"
expect_eq "reading no such id: 404" 404 "$(call "$C" GET /v1/appointments/00000000-0000-4000-8000-000000000000)"
expect_eq "reading without a token: 401" 401 "$(call "" GET "/v1/appointments/$C1")"

# ---- cancel frees the seat (D3: 2 seats) ----
S14=$(at 14:00)
expect_eq "two hold D3 14:00 and confirm" "201 200 201 200" \
  "$(book "${T[c2]}" "$RUNID-c2" "$U" "$D3" "$S14") $(confirm "${T[c2]}" "$(fields id)") $(book "${T[c3]}" "$RUNID-c3" "$U" "$D3" "$S14") $(confirm "${T[c3]}" "$(fields id)")"
C3=$(fields id)
expect_eq "a third: 409 slot-full" "409 slot-full" "$(book "${T[c4]}" "$RUNID-c4a" "$U" "$D3" "$S14") $(fields type)"
expect_eq "one cancels" "200 cancelled" "$(cancel "${T[c3]}" "$C3") $(fields status)"
expect_eq "...again: the same" "200 cancelled" "$(cancel "${T[c3]}" "$C3") $(fields status)"
expect_eq "...a cancelled one cannot be confirmed" "409 invalid-transition" "$(confirm "${T[c3]}" "$C3") $(fields type)"
slots "$U" "$D3" "$DAY" "$DAY" >/dev/null
expect_eq "...one seat free again" "2 1" "$(slot_seats "$S14")"
expect_eq "...and the third gets it" 201 "$(book "${T[c4]}" "$RUNID-c4b" "$U" "$D3" "$S14")"
expect_eq "...told and audited" "1|1" \
  "$(q "SELECT (SELECT count(*) FROM push_outbox WHERE topic = 'appointment.changed' AND payload->>'appointment' = '$C3' AND payload->>'status' = 'cancelled'), (SELECT count(*) FROM audit_records WHERE action = 'appointment.cancel' AND object = 'appointment:$C3')")"

# ---- the desk's list of a day's bookings (DAY2: rows written here, so the holds' lifetimes do not matter) ----
DAY2=$(psql_cong "SELECT min(d)::date FROM generate_series('$DAY'::date + 1, '$DAY'::date + 20, interval '1 day') d WHERE extract(isodow FROM d) < 6 AND d::date NOT IN (SELECT day FROM holidays)")
DAY3=$(date -d "$DAY2 + 1 day" +%F)
desk_row() { # SUBJECT DOMAIN DAY HH:MM STATUS HOLD_EXPIRES [DOSSIER] [UNIT] → the id of an appointment written as is
  local dossier=NULL
  [ -n "${7:-}" ] && dossier="'$7'"
  q "INSERT INTO appointments (unit_code, domain, starts_at, ends_at, subject, dossier_code, status, hold_expires_at, idempotency_key, request_hash) VALUES ('${8:-$U}', '$2', '$3 $4+07', '$3 $4+07'::timestamptz + interval '30 minutes', '$1', $dossier, '$5', now() + interval '$6', '$1-$3-$4', 'x') RETURNING id" | head -1
}
DK_HELD=$(desk_row "$RUNID-d1" "$D1" "$DAY2" 09:00 held '1 hour')
DK_CONF=$(desk_row "$RUNID-d2" "$D2" "$DAY2" 08:30 confirmed '-1 hour' "$DOSSIER")
DK_LATE=$(desk_row "$RUNID-d3" "$D1" "$DAY2" 10:00 held '-1 minute')   # past its hold: gone, job or not
DK_GONE=$(desk_row "$RUNID-d4" "$D3" "$DAY2" 11:00 cancelled '-1 hour')
DK_NEXT=$(desk_row "$RUNID-d5" "$D1" "$DAY3" 00:00 confirmed '-1 hour')   # the next day's first minute
DK_PREV=$(desk_row "$RUNID-d6" "$D1" "$DAY2" 00:00 confirmed '-1 hour')   # this day's first minute
DK_OTHER=$(desk_row "$RUNID-d7" "$D1" "$DAY2" 09:30 confirmed '-1 hour' "" "$U2")
desk() { call "$1" GET "/v1/desk/units/$2/appointments?$3"; }
items() { # → "id:status:dossier_code ..." of the last desk answer, in its order
  python3 -c 'import json,sys
print(" ".join("%s:%s:%s" % (x["id"], x["status"], x["dossier_code"] or "-") for x in json.load(open(sys.argv[1]))["items"]))' "$GW_DIR/body"
}
expect_eq "the desk's day: held and confirmed, by slot start, with the dossier" \
  "200 $DK_PREV:confirmed:- $DK_CONF:confirmed:$DOSSIER $DK_HELD:held:-" "$(desk "${T[o]}" "$U" "date=$DAY2") $(items)"
expect_eq "...each its slot, in Hanoi time" "${DAY2}T08:30:00+07:00 $DAY2 False" \
  "$(body | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["items"][1]["slot"], d["date"], d["truncated"])')"
expect_eq "...the list's items: the holder's own view, nobody named" "True" \
  "$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(all(set(x) == set(json.load(open(sys.argv[2]))["items"][0]) for x in d["items"]))' "$GW_DIR/body" "$GW_DIR/mine.json")"
expect_no_match "...no subject anywhere" "$RUNID-d|subject" "$(body)"
expect_eq "...no-store" "no-store" "$(header cache-control)"
expect_eq "...each item shown audited once, naming its holder" "3|3|official" \
  "$(q "SELECT count(*), count(DISTINCT subject) FILTER (WHERE subject LIKE '$RUNID-d%'), max(actor_kind) FROM audit_records WHERE action = 'appointment.list' AND actor = '$O' AND object IN ('appointment:$DK_PREV', 'appointment:$DK_CONF', 'appointment:$DK_HELD', 'appointment:$DK_LATE', 'appointment:$DK_GONE', 'appointment:$DK_NEXT', 'appointment:$DK_OTHER')")"
expect_eq "one domain" "200 $DK_CONF:confirmed:$DOSSIER" "$(desk "${T[o]}" "$U" "date=$DAY2&domain=$D2") $(items)"
expect_eq "domain= empty: every domain" 3 "$(desk "${T[o]}" "$U" "date=$DAY2&domain=" >/dev/null; body | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["items"]))')"
expect_eq "the next day" "200 $DK_NEXT:confirmed:-" "$(desk "${T[o]}" "$U" "date=$DAY3") $(items | grep -o "$DK_NEXT:confirmed:-")"
expect_eq "no date: today in Hanoi" "200 $(date -u -d '+7 hours' +%F)" "$(desk "${T[o]}" "$U" "") $(fields date)"
expect_eq "the other unit's official: their unit's only" "200 $DK_OTHER:confirmed:- " \
  "$(desk "${T[o2]}" "$U2" "date=$DAY2") $(items | grep -o "$DK_OTHER:confirmed:-") $(items | grep -oE "$DK_PREV|$DK_CONF|$DK_HELD")"
expect_eq "...not this one: 403" "403 forbidden not-your-unit" "$(desk "${T[o2]}" "$U" "date=$DAY2") $(fields type reason)"
expect_eq "a citizen: 403" "403 forbidden not-official" "$(desk "${T[a2]}" "$U" "date=$DAY2") $(fields type reason)"
expect_eq "an official at level 1: 401" 401 "$(desk "${T[o1]}" "$U" "date=$DAY2")"
expect_eq "no token: 401" 401 "$(desk "" "$U" "date=$DAY2")"
expect_eq "not a date: 422" "422 date:invalid-format" "$(desk "${T[o]}" "$U" "date=2026-02-30") $(fields errors)"
expect_eq "not a domain: 422" "422 domain:invalid" "$(desk "${T[o]}" "$U" "date=$DAY2&domain=a%20b") $(fields errors)"
expect_eq "...nothing audited for the refused" 0 \
  "$(q "SELECT count(*) FROM audit_records WHERE action = 'appointment.list' AND actor IN ('$O2', '$RUNID-a') AND object = 'appointment:$DK_HELD'")"

# ---- the rush's holds expire meanwhile (hold_ttl_s 15): their seats free again; a late confirm is refused ----
expired_all() { [ "$(q "SELECT count(*) FROM appointments WHERE unit_code = '$U' AND domain = '$D1' AND starts_at = '$SLOT' AND status = 'expired'")" = 10 ]; }
wait_until 30 expired_all || bad "the 10 holds did not expire"
expect_eq "...their seats given back" 0 "$(q "SELECT taken FROM appointment_slots WHERE unit_code = '$U' AND domain = '$D1' AND starts_at = '$SLOT'")"
slots "$U" "$D1" "$DAY" "$DAY" >/dev/null
expect_eq "...10 seats again" "10 10" "$(slot_seats "$SLOT")"
expect_eq "a confirm after the expiry: 409 hold-expired" "409 hold-expired" "$(confirm "${T[k$RUSH_I]}" "$RUSH_ID") $(fields type)"
expect_eq "...each holder told, each expiry audited" "10|10" \
  "$(q "SELECT (SELECT count(*) FROM push_outbox WHERE topic = 'appointment.changed' AND payload->>'status' = 'expired' AND (payload->>'appointment')::uuid IN (SELECT id FROM appointments WHERE unit_code = '$U' AND starts_at = '$SLOT')), (SELECT count(*) FROM audit_records WHERE action = 'appointment.expire' AND object IN (SELECT 'appointment:' || id FROM appointments WHERE unit_code = '$U' AND starts_at = '$SLOT'))")"

# ---- reminders, driven by data: confirmed appointments starting soon ----
remind_row() { # SUBJECT STARTS_IN → id of a confirmed appointment starting that far from now
  q "INSERT INTO appointments (unit_code, domain, starts_at, ends_at, subject, status, hold_expires_at, idempotency_key, request_hash, confirmed_at) VALUES ('$U', '$D1', now() + interval '$2', now() + interval '$2' + interval '30 minutes', '$1', 'confirmed', now(), '$1', 'x', now()) RETURNING id" | head -1
}
reminders() { q "SELECT count(*) || ':' || coalesce(string_agg(payload->>'kind', ',' ORDER BY id), '') FROM push_outbox WHERE topic = 'appointment.reminder' AND payload->>'appointment' = '$1'"; }
R1=$(remind_row "$RUNID-r1" '30 minutes') R2=$(remind_row "$RUNID-r2" '5 hours')
wait_until 20 eval '[ "$(reminders "$R1")" != "0:" ] && [ "$(reminders "$R2")" != "0:" ]' || bad "no reminders written"
R3=$(remind_row "$RUNID-r3" '20 minutes')
wait_until 20 eval '[ "$(reminders "$R3")" != "0:" ]' || bad "no reminder for the third" # the job ran again since
expect_eq "within the hour: the hour's reminder, once" "1:hour_before" "$(reminders "$R1")"
expect_eq "within the day: the day's reminder, once" "1:day_before" "$(reminders "$R2")"
expect_eq "...to the holder" "$RUNID-r1" "$(q "SELECT subject FROM push_outbox WHERE topic = 'appointment.reminder' AND payload->>'appointment' = '$R1'")"

# ---- PostgreSQL down: 503 with Retry-After ----
relay_stop PGRELAY
wait_store_down postgres
expect_eq "PostgreSQL down: a booking is 503" "503 service-unavailable" "$(book "${T[p]}" "$RUNID-p1" "$U" "$D2" "$(at 15:00)") $(fields type)"
expect_match "...with Retry-After" '^[0-9]+$' "$(header retry-after)"
expect_eq "...the slots too" 503 "$(slots "$U" "$D1" "$DAY" "$DAY")"
relay_start PGRELAY "$PG_PORT" "$PGRELAY_PORT" || bad "PostgreSQL relay restart"
wait_stores_up 30
expect_eq "PostgreSQL back: the same booking goes through" 201 "$(book "${T[p]}" "$RUNID-p1" "$U" "$D2" "$(at 15:00)")"

psql_cong "DELETE FROM user_roles WHERE subject IN ('$O', '$O2'); DELETE FROM appointments WHERE id = '$DK_OTHER'" >/dev/null
finish

#!/usr/bin/env bash
# The push module's devices and inbox (modules/push, issue 14) over HTTP/2 against the test Redis and PostgreSQL: a
# real change (a mandate created: a push_outbox row for each party, the push_inbox row in the same transaction by the
# trigger) lands in each party's inbox, in Vietnamese and, with Accept-Language en, English, the payload's values
# filled (its codes in words from push_labels, other values as they are); a topic without a template lands nowhere; a placeholder's value is never interpreted; unread count, read
# (twice), delete; paging newest first with a cursor across 4 pages (page size 2, set here); another citizen's item
# and device → 404; one session registering twice → one device, updated; the same token from a second session → moved
# there; validation; a token without a session → 403 session-required; acting for someone → 403; PostgreSQL down →
# 503 with Retry-After. Citizens are new for each run.
source "$(dirname "$0")/lib.sh"
vneid_start
relay_start PGRELAY "$PG_PORT" || { bad "PostgreSQL relay"; finish; exit 1; }
start_gateway "${IDENTITY_ENV[@]}" CONG_AUTH_STEP_UP_MAX_AGE_S=600 \
  CONG_POSTGRES_CONNINFO="host=127.0.0.1 port=$PGRELAY_PORT dbname=cong user=cong connect_timeout=1" \
  CONG_RATE_LIMITS_DEFAULT_BURST=10000 CONG_RATE_LIMITS_DEFAULT_PER_MINUTE=1000000 \
  CONG_MODULES_PUSH_INBOX_PAGE_SIZE=2 || exit 1
wait_stores_up || { finish; exit 1; }

RUNID=$(((RANDOM << 15 | RANDOM) % 1000000))
NA=$(printf '019%03d%06d' 1 "$RUNID") NB=$(printf '019%03d%06d' 2 "$RUNID")
login() { # CITIZEN ACR → a cong access token of a new session
  local id_token
  id_token=$(curl -s -X POST -H 'content-type: application/json' \
    -d "{\"sub\":\"$1\",\"acr\":\"$2\",\"auth_time\":$(date +%s)}" "$VNEID/test/mint" | json id_token)
  h2c -H 'content-type: application/json' \
    -d "{\"id_token\":\"$id_token\",\"device\":{\"id\":\"d\",\"name\":\"n\",\"platform\":\"android\"}}" \
    "$(url /v1/auth/vneid/exchange)" | json access_token
}
A=$(login "$NA" 2) A2=$(login "$NA" 1) B=$(login "$NB" 1)
subject_of() { h2c -H "authorization: Bearer $1" "$(url /v1/me)" | json subject; }
SA=$(subject_of "$A") SB=$(subject_of "$B")
expect_match "two citizens logged in" '^[A-Za-z0-9_-]{43} [A-Za-z0-9_-]{43}$' "$SA $SB"
expect_eq "...A twice: the same person" "$SA" "$(subject_of "$A2")"
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
errors() { python3 -c 'import json,sys; print(" ".join(e["field"]+":"+e["code"] for e in json.load(open(sys.argv[1])).get("errors", [])))' "$GW_DIR/body"; }
# items KEY... — the last inbox page's items, each as its KEYs joined by "|", items joined by newlines
items() {
  python3 -c 'import json, sys
for i in json.load(open(sys.argv[1]))["items"]:
    print("|".join(json.dumps(i.get(k), ensure_ascii=False) if isinstance(i.get(k), (dict, list)) else str(i.get(k)) for k in sys.argv[2:]))' "$GW_DIR/body" "$@"
}
inbox() { call "$1" GET "/v1/me/inbox${2:-}" "${@:3}"; }
device() { call "$1" POST /v1/me/devices -H 'content-type: application/json' -d "$2"; }

# ---- a real change: a mandate from A to B writes a push_outbox row for each of them ----
P1=$(psql_cong "SELECT min(code) FROM procedures")
UNTIL=$(date -u -d '+5 days' +%Y-%m-%dT%H:%M:%SZ)
expect_eq "A gives B a mandate" 201 "$(call "$A" POST /v1/mandates -H 'content-type: application/json' \
  -H "idempotency-key: push-$RUNID" \
  -d "{\"grantee_citizen_number\":\"$NB\",\"procedures\":[\"$P1\"],\"actions\":[\"view\"],\"valid_until\":\"$UNTIL\"}")"
M=$(fields id)
read -r CHANGE MSTATUS <<<"$(psql_cong "SELECT payload->>'change', payload->>'status' FROM push_outbox WHERE subject = '$SA' AND topic = 'mandate.changed' AND payload->>'id' = '$M'" | tr '|' ' ')"
expect_eq "...its event for A" "create requested" "$CHANGE $MSTATUS"
expect_eq "A's inbox: the item, in Vietnamese" 200 "$(inbox "$A")"
expect_eq "...the topic, title and body filled from the payload's codes in words, unread" \
  "mandate.changed|Ủy quyền có thay đổi|Một ủy quyền liên quan đến bạn vừa được tạo. Trạng thái: chờ người được ủy quyền chấp nhận.|False" \
  "$(items topic title body read)"
expect_eq "...the payload as data" "$M" "$(items data | python3 -c 'import json,sys; print(json.loads(sys.stdin.read())["id"])')"
expect_eq "...unread 1, the last page" "1 " "$(fields unread next_cursor)"
expect_eq "...no-store" "no-store" "$(header cache-control)"
expect_eq "in English with Accept-Language en" 200 "$(inbox "$A" "" -H 'accept-language: en')"
expect_eq "...the English texts" \
  "Mandate changed|A mandate that concerns you was created. Status: awaiting the grantee's acceptance." \
  "$(items title body)"
expect_eq "B's inbox has it too (the grantee)" "mandate.changed $M" "$(inbox "$B" >/dev/null; items topic data | python3 -c 'import json,sys; t,d=sys.stdin.read().strip().split("|",1); print(t, json.loads(d)["id"])')"
expect_eq "...once per (event, person): one row each" "1 1" \
  "$(psql_cong "SELECT count(*) FILTER (WHERE subject = '$SA'), count(*) FILTER (WHERE subject = '$SB') FROM push_inbox WHERE data->>'id' = '$M'" | tr '|' ' ')"

# ---- templates: every topic the modules write has one; a topic without one lands nowhere; values are text ----
expect_eq "a template for each topic written today" \
  "appointment.changed appointment.reminder dossier.status mandate.changed payment.refund payment.status queue.called webhook.endpoint_disabled" \
  "$(psql_cong "SELECT string_agg(topic, ' ' ORDER BY topic) FROM push_templates")"
psql_cong "INSERT INTO push_outbox (subject, topic, payload) VALUES ('$SA', 'nothing.templated', '{}'),
  ('$SA', 'queue.called', '{\"number\": \"{{counter}}\", \"counter\": \"7\"}'),
  ('$SA', 'queue.called', '{\"number\": 3}'), ('$SB', 'mandate.changed', '{\"change\": \"zzz\", \"status\": \"active\"}')" >/dev/null
expect_eq "no template: no inbox row, the event is kept" "0 1" \
  "$(psql_cong "SELECT (SELECT count(*) FROM push_inbox WHERE subject = '$SA' AND topic = 'nothing.templated'), (SELECT count(*) FROM push_outbox WHERE subject = '$SA' AND topic = 'nothing.templated')" | tr '|' ' ')"
inbox "$A" >/dev/null
expect_eq "a value holding {{...}} is not interpreted; a missing key is empty" \
  "Số 3 của bạn đã được gọi, mời đến quầy .
Số {{counter}} của bạn đã được gọi, mời đến quầy 7." "$(items body)"

expect_eq "a code without words is shown as it is" "Một ủy quyền liên quan đến bạn zzz. Trạng thái: đang có hiệu lực." \
  "$(inbox "$B" >/dev/null; items body | sed -n 1p)"

# ---- unread, read, delete ----
inbox "$A" >/dev/null
read -r I1 I2 <<<"$(items id | tr '\n' ' ')"
expect_eq "3 unread" 3 "$(fields unread)"
expect_eq "read: 204" 204 "$(call "$A" POST "/v1/me/inbox/$I1/read")"
expect_eq "...again: 204 (idempotent)" 204 "$(call "$A" POST "/v1/me/inbox/$I1/read")"
inbox "$A" >/dev/null
expect_eq "...2 unread, the item read" "2 True" "$(fields unread) $(items read | sed -n 1p)"
expect_eq "B reads A's item: 404" "404 not-found" "$(call "$B" POST "/v1/me/inbox/$I2/read") $(fields type)"
expect_eq "B deletes A's item: 404" 404 "$(call "$B" DELETE "/v1/me/inbox/$I2")"
expect_eq "...A's item untouched" "|" "$(psql_cong "SELECT read_at, deleted_at FROM push_inbox WHERE id = $I2")"
expect_eq "an id that cannot be one: 404" 404 "$(call "$A" POST /v1/me/inbox/abc/read)"
expect_eq "A deletes it: 204" 204 "$(call "$A" DELETE "/v1/me/inbox/$I2")"
expect_eq "...again: 204" 204 "$(call "$A" DELETE "/v1/me/inbox/$I2")"
inbox "$A" >/dev/null
expect_eq "...gone from the list and the unread count" "1 $I1" "$(fields unread) $(items id | sed -n 1p)"
expect_eq "...read after deletion: 404" 404 "$(call "$A" POST "/v1/me/inbox/$I2/read")"

# ---- paging: 5 more items, 7 listed, pages of 2 (inbox_page_size) ----
psql_cong "INSERT INTO push_outbox (subject, topic, payload) SELECT '$SA', 'queue.called', jsonb_build_object('number', n) FROM generate_series(101, 105) n" >/dev/null
WANT=$(psql_cong "SELECT string_agg(id::text, ' ' ORDER BY id DESC) FROM push_inbox WHERE subject = '$SA' AND deleted_at IS NULL")
GOT="" CURSOR="" PAGES=0
while :; do
  expect_eq "page $((PAGES + 1))" 200 "$(inbox "$A" "${CURSOR:+?cursor=$CURSOR}")"
  PAGES=$((PAGES + 1)) GOT="$GOT $(items id | tr '\n' ' ')" CURSOR=$(fields next_cursor)
  [ -z "$CURSOR" ] || [ "$PAGES" -ge 10 ] && break
done
expect_eq "7 items in 4 pages, newest first, each once" "4 $WANT" "$PAGES $(echo $GOT)"
expect_eq "?limit=5: 5 items" "5" "$(inbox "$A" '?limit=5' >/dev/null; items id | wc -l)"
expect_eq "?limit=0: 422" "422 limit:out-of-range" "$(inbox "$A" '?limit=0') $(errors)"
expect_eq "?limit=101: 422" 422 "$(inbox "$A" '?limit=101')"
expect_eq "a cursor not ours: 422" "422 cursor:invalid-cursor" "$(inbox "$A" '?cursor=NDI') $(errors)"
expect_eq "B's inbox holds none of A's" "2" "$(inbox "$B" >/dev/null; fields unread)"

# ---- devices ----
FCM="fcm-$RUNID:APA91b_tok-en"
expect_eq "A registers the device of its session: 201" 201 "$(device "$A" "{\"platform\":\"fcm\",\"token\":\"$FCM\"}")"
D1=$(fields id)
expect_eq "...vi by default, the token not answered" "fcm vi True" "$(fields platform locale this_session)"
expect_no_match "...nowhere in the answer" "$FCM" "$(body)"
expect_eq "the same session again: 200, the same device, updated" "200 $D1 en" \
  "$(device "$A" "{\"platform\":\"fcm\",\"token\":\"$FCM\",\"locale\":\"en\"}") $(fields id locale)"
expect_eq "...one row for the session" "1 en" \
  "$(psql_cong "SELECT count(*), max(locale) FROM push_devices WHERE subject = '$SA'" | tr '|' ' ')"
expect_eq "A's second session registers the same token: 201" 201 "$(device "$A2" "{\"platform\":\"fcm\",\"token\":\"$FCM\"}")"
D2=$(fields id)
expect_eq "...the token moved: one row, the second session's" "1 $D2" \
  "$(psql_cong "SELECT count(*), max(id::text) FROM push_devices WHERE platform = 'fcm' AND token = '$FCM'" | tr '|' ' ')"
APNS=$(printf '%064x' "$RUNID")
expect_eq "A's first session registers an APNs token: 201" 201 "$(device "$A" "{\"platform\":\"apns\",\"token\":\"$APNS\",\"locale\":\"vi\"}")"
D3=$(fields id)
expect_eq "A's devices: both sessions'" 200 "$(call "$A" GET /v1/me/devices)"
expect_eq "...oldest first, the caller's marked" "$D2:False $D3:True" \
  "$(python3 -c 'import json,sys; print(" ".join(d["id"]+":"+str(d["this_session"]) for d in json.load(open(sys.argv[1]))["devices"]))' "$GW_DIR/body")"
expect_eq "B's devices: none" "200 0" "$(call "$B" GET /v1/me/devices) $(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["devices"]))' "$GW_DIR/body")"
expect_eq "B deletes A's device: 404" "404 not-found" "$(call "$B" DELETE "/v1/me/devices/$D3") $(fields type)"
expect_eq "...still there" 1 "$(psql_cong "SELECT count(*) FROM push_devices WHERE id = '$D3'")"
expect_eq "A deletes it: 204" 204 "$(call "$A" DELETE "/v1/me/devices/$D3")"
expect_eq "...gone" 0 "$(psql_cong "SELECT count(*) FROM push_devices WHERE id = '$D3'")"
expect_eq "...again: 404" 404 "$(call "$A" DELETE "/v1/me/devices/$D3")"
expect_eq "an id that cannot be one: 404" 404 "$(call "$A" DELETE /v1/me/devices/nope)"
# Two sessions registering one token at once take turns (push_device_register locks the token): the second waits
# for the first's commit, then moves the token to itself; without the lock its INSERT would fail on UNIQUE (platform,
# token) once the first commits. Driven in SQL, so that the overlap is certain: the first transaction is held open
# until the second is seen waiting.
T="race-$RUNID"
active() { [ "$(psql_cong "SELECT count(*) FROM pg_stat_activity WHERE $1 AND query LIKE '%$2%' AND pid <> pg_backend_pid()")" = 1 ]; }
exec 7> >(psql -h 127.0.0.1 -p "$PG_PORT" -U cong -d cong -v ON_ERROR_STOP=1 -qAtX >"$GW_DIR/race1" 2>&1)
echo "BEGIN; SELECT created FROM push_device_register('$SA', 'race-one-$RUNID', 'fcm', '$T', 'vi');" >&7
wait_until 10 active "state = 'idle in transaction'" "race-one-$RUNID" || bad "the first registration holds its transaction"
psql_cong "SELECT created FROM push_device_register('$SA', 'race-two-$RUNID', 'fcm', '$T', 'vi')" >"$GW_DIR/race2" 2>&1 &
R2=$!
wait_until 10 active "wait_event_type = 'Lock'" "race-two-$RUNID" || bad "the second registration waits for the first"
echo "COMMIT;" >&7
exec 7>&-
wait "$R2"
expect_eq "the second registration, once the first committed: created, no error" "t" "$(cat "$GW_DIR/race2")"
expect_eq "...one row holds the token: the second session's" "1 race-two-$RUNID" \
  "$(psql_cong "SELECT count(*), max(session_id) FROM push_devices WHERE token = '$T'" | tr '|' ' ')"
DX=$(psql_cong "SELECT min(id::text) FROM push_devices WHERE subject = '$SA'")

# ---- validation ----
expect_eq "no token: 422" "422 token:required" "$(device "$B" '{"platform":"fcm"}') $(errors)"
expect_eq "no platform: 422" "422 platform:required" "$(device "$B" '{"token":"abc"}') $(errors)"
expect_eq "platform web: 422" "422 platform:unknown-platform" "$(device "$B" '{"platform":"web","token":"abc"}') $(errors)"
expect_eq "an FCM token with a space: 422" "422 token:invalid-format" "$(device "$B" '{"platform":"fcm","token":"a b"}') $(errors)"
expect_eq "an APNs token not hex: 422" "422 token:invalid-format" "$(device "$B" "{\"platform\":\"apns\",\"token\":\"$FCM\"}") $(errors)"
expect_eq "an APNs token of odd length: 422" 422 "$(device "$B" "{\"platform\":\"apns\",\"token\":\"${APNS}0\"}")"
expect_eq "a token not a string: 422" "422 token:invalid-format" "$(device "$B" '{"platform":"fcm","token":12}') $(errors)"
expect_eq "locale fr: 422" "422 locale:unknown-locale" "$(device "$B" '{"platform":"fcm","token":"abc","locale":"fr"}') $(errors)"
expect_eq "not JSON: 400" 400 "$(device "$B" 'nope')"
expect_eq "...B has no device" 0 "$(psql_cong "SELECT count(*) FROM push_devices WHERE subject = '$SB'")"

# ---- tokens without a session, acting for someone ----
expect_eq "an API client's token: 403 session-required" "403 session-required" \
  "$(device "$(token --sub "client-$RUNID" --acr 1 --client-id "client-$RUNID" --sid "client:client-$RUNID")" '{"platform":"fcm","token":"abc"}') $(fields type)"
expect_eq "a token without a session: 403" "403 session-required" \
  "$(device "$(token --sub "nosid-$RUNID" --acr 1)" '{"platform":"fcm","token":"abc"}') $(fields type)"
ACTING=$(token --sub "$SA" --acr 1 --sid "act-$RUNID" --claims-json "{\"act\":{\"sub\":\"$SB\"},\"mandate\":{\"id\":\"$M\",\"actions\":[\"view\"],\"procedures\":[\"$P1\"],\"domains\":[],\"until\":$(($(date +%s) + 3600))}}")
expect_eq "acting for A: A's inbox refused" "403 mandate-does-not-cover" "$(inbox "$ACTING") $(fields type)"
expect_eq "...a read" 403 "$(call "$ACTING" POST "/v1/me/inbox/$I1/read")"
expect_eq "...a device" 403 "$(device "$ACTING" '{"platform":"fcm","token":"abc"}')"
expect_eq "...a device's deletion, nothing changed" "403 1" \
  "$(call "$ACTING" DELETE "/v1/me/devices/$DX") $(psql_cong "SELECT count(*) FROM push_devices WHERE id = '$DX'")"

# ---- PostgreSQL down: 503 ----
relay_stop PGRELAY
wait_store_down postgres
expect_eq "PostgreSQL down: the inbox is 503" "503 service-unavailable" "$(inbox "$A") $(fields type)"
expect_match "...with Retry-After" '^[0-9]+$' "$(header retry-after)"
expect_eq "...a device too" 503 "$(device "$B" '{"platform":"fcm","token":"abc"}')"
expect_eq "...a read too" 503 "$(call "$A" POST "/v1/me/inbox/$I1/read")"
relay_start PGRELAY "$PG_PORT" "$PGRELAY_PORT" || bad "PostgreSQL relay restart"
wait_stores_up 30
expect_eq "PostgreSQL back: the inbox answers" 200 "$(inbox "$A")"

psql_cong "DELETE FROM push_devices WHERE subject IN ('$SA', '$SB')" >/dev/null
finish

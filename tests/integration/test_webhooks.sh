#!/usr/bin/env bash
# Webhooks of organizations (issue 18; modules/orgs/orgs.h "Webhooks", push/webhook_worker/worker.h): an
# organization's client creates an endpoint (secret shown once, never again, sealed in the database); only its own
# clients with scope webhooks manage it; events of the writers' topics about "org:<id>" (push_outbox rows, as the
# writers insert them) become deliveries of the subscribed types only, arrive signed and verified by the stand-in
# receiver; retried after 500s and after a timeout; one webhook-id even when the worker is killed mid-delivery; a
# replay re-sends the same id; a receiver that never answers does not delay another organization's delivery; an
# endpoint failing for its whole schedule is disabled and its organization told, and enabled again takes new events;
# a rotated secret signs alongside the old one for the overlap, then alone; the log pages by cursor. Real gateway (h2c), PostgreSQL,
# cong-webhook-worker, tools/webhook_standin.
source "$(dirname "$0")/lib.sh"
vneid_start # cong's own token signing (the client-credentials tokens), as test_orgs

TMP="$GW_DIR/webhooks"
mkdir -p "$TMP"
KEY="$TMP/webhook.key"
openssl rand -hex 32 >"$KEY"
PGCONN="host=127.0.0.1 port=$PG_PORT dbname=cong user=cong"
ENV=("${IDENTITY_ENV[@]}" CONG_MODULES_ORGS_WEBHOOK_KEY_FILE="$KEY" CONG_MODULES_ORGS_WEBHOOK_ALLOW_HTTP_LOOPBACK=true
  CONG_MODULES_ORGS_WEBHOOK_MAX_ENDPOINTS=3 CONG_MODULES_ORGS_WEBHOOK_ROTATION_OVERLAP_S=10 CONG_AUTH_ACCESS_TOKEN_TTL_S=900
  CONG_RATE_LIMITS_DEFAULT_BURST=1000 CONG_RATE_LIMITS_DEFAULT_PER_MINUTE=100000)
start_gateway "${ENV[@]}" || exit 1
wait_stores_up || { finish; exit 1; }

cong_cmd() { # ARGS... — a cong command against the test stores; stdout in $GW_DIR/out
  env CONG_POSTGRES_CONNINFO="$PGCONN" CONG_REDIS_PORT="$REDIS_PORT" ASAN_OPTIONS=detect_leaks=0 \
    CONG_AUTH_SUBJECT_SECRET_FILE="$GW_DIR/subject-secret" CONG_MODULES_ORGS_WEBHOOK_KEY_FILE="$KEY" "$BUILD/cong" "$@" >"$GW_DIR/out" 2>"$GW_DIR/err"
  echo $?
}
RUNID=$(((RANDOM << 15 | RANDOM) % 100000000))
REP=$(python3 -S -c 'import base64,os; print(base64.urlsafe_b64encode(os.urandom(32)).decode().rstrip("="))')
new_org() { # CODE → its id
  cong_cmd org create --code "$1" --name "Công ty $1" --representative-subject "$REP" >/dev/null
  sed -n 's/^organization: //p' "$GW_DIR/out"
}
ORG_A=$(new_org "$(printf '05%08d' "$RUNID")") ORG_B=$(new_org "$(printf '06%08d' "$RUNID")")
expect_match "two organizations" '^[0-9a-f-]{36} [0-9a-f-]{36}$' "$ORG_A $ORG_B"
client_token() { # SCOPES [--org CODE] → an access token of a new client
  local scopes=$1 cid secret
  shift
  cong_cmd client create "wh-$RANDOM" --scopes "$scopes" "$@" >/dev/null
  cid=$(sed -n 's/^client_id: //p' "$GW_DIR/out") secret=$(sed -n 's/^client_secret: //p' "$GW_DIR/out")
  h2c -d "grant_type=client_credentials&client_id=$cid&client_secret=$secret" "$(url /v1/auth/token)" | json access_token
}
A=$(client_token webhooks --org "$(printf '05%08d' "$RUNID")")
B=$(client_token webhooks --org "$(printf '06%08d' "$RUNID")")
A_NOSCOPE=$(client_token ping --org "$(printf '05%08d' "$RUNID")")
PLAIN=$(client_token webhooks)

# ---- the stand-in receivers: ports first (an endpoint's URL), started once their secret is known ----
read -r PORT_A PORT_B <<<"$(free_ports 2)"
start_standin() { # NAME PORT SECRET_FILE
  "$BUILD/webhook-standin" --port "$2" --secret-file "$3" 2>"$TMP/standin-$1.log" &
  EXTRA_PIDS+=($!)
  wait_until 10 curl -s -o /dev/null "http://127.0.0.1:$2/healthz" || bad "stand-in $1 did not start"
}
record() { # PORT WEBHOOK_ID FIELD — the stand-in's record of that id
  curl -s "http://127.0.0.1:$1/control/deliveries?id=$2" |
    python3 -S -c 'import json,sys; d=json.load(sys.stdin)["deliveries"]; v=d[0].get(sys.argv[1]) if d else None
print("" if v is None else json.dumps(v) if isinstance(v, bool) else v)' "$3"
}
totals() { curl -s "http://127.0.0.1:$1/control/deliveries" | json "$2"; }
behaviour() { curl -s -o /dev/null -w '%{http_code}' -X POST -d "$2" "http://127.0.0.1:$1/control/behaviour"; }

# ---- the endpoints API ----
expect_eq "no scope webhooks: 403" 403 "$(call "$A_NOSCOPE" GET /v1/org/webhooks)"
expect_eq "... insufficient-scope" "https://cong.hanoi.gov.vn/problems/insufficient-scope" "$(field type)"
expect_eq "a client of no organization: 403" 403 "$(call "$PLAIN" GET /v1/org/webhooks)"
expect_eq "... forbidden, problem+json" "application/problem+json" "$(header content-type)"
create() { # TOKEN JSON
  call "$1" POST /v1/org/webhooks -H 'content-type: application/json' -d "$2"
}
expect_eq "http to another host: 422" 422 "$(create "$A" '{"url":"http://example.com/h","event_types":["payment.succeeded"]}')"
expect_match "... says https-required" '"https-required"' "$(body)"
expect_eq "an unknown event type: 422" 422 \
  "$(create "$A" "{\"url\":\"https://erp.example.vn/h\",\"event_types\":[\"dossier.deleted\"]}")"
expect_eq "no event type: 422" 422 "$(create "$A" '{"url":"https://erp.example.vn/h","event_types":[]}')"
expect_eq "userinfo in the URL: 422" 422 \
  "$(create "$A" '{"url":"https://u:p@erp.example.vn/h","event_types":["payment.succeeded"]}')"
expect_eq "org A's endpoint: 201" 201 "$(create "$A" "{\"url\":\"http://127.0.0.1:$PORT_A/hooks/a\",
  \"event_types\":[\"dossier.status_changed\",\"dossier.supplement_requested\",\"payment.succeeded\"]}")"
EP_A=$(field id)
field secret >"$TMP/a.secret"
expect_match "... its secret, shown once" '^whsec_[A-Za-z0-9+/]{43}=$' "$(cat "$TMP/a.secret")"
expect_eq "... its location" "/v1/org/webhooks/$EP_A" "$(header location)"
expect_eq "... no-store" "no-store" "$(header cache-control)"
expect_eq "org B's endpoint: 201" 201 "$(create "$B" "{\"url\":\"http://127.0.0.1:$PORT_B/hooks/b\",
  \"event_types\":[\"dossier.status_changed\"]}")"
EP_B=$(field id)
field secret >"$TMP/b.secret"
expect_eq "GET lists org A's endpoint alone" 200 "$(call "$A" GET /v1/org/webhooks)"
expect_eq "... its id and status" "$EP_A active 3" "$(body | python3 -S -c 'import json,sys; e=json.load(sys.stdin)["endpoints"]
print(" ".join(x["id"] for x in e), e[0]["status"], len(e[0]["event_types"]))')"
expect_no_match "... never the secret" 'whsec_|secret' "$(body)"
expect_eq "sealed at rest: no whsec_ text in the row" 0 \
  "$(psql_cong "SELECT count(*) FROM webhook_endpoints WHERE id = '$EP_A' AND position('whsec_' in encode(secret_sealed, 'escape')) > 0")"
expect_eq "another organization's endpoint: DELETE 404" 404 "$(call "$B" DELETE "/v1/org/webhooks/$EP_A")"
expect_eq "another organization's log: 404" 404 "$(call "$B" GET "/v1/org/webhooks/$EP_A/deliveries")"
for i in 1 2; do create "$A" '{"url":"https://erp.example.vn/x","event_types":["payment.refunded"]}' >/dev/null; done
expect_eq "a fourth endpoint over webhook_max_endpoints 3: 409" 409 \
  "$(create "$A" '{"url":"https://erp.example.vn/y","event_types":["payment.refunded"]}')"
for id in $(call "$A" GET /v1/org/webhooks >/dev/null; body | python3 -S -c 'import json,sys
print(" ".join(x["id"] for x in json.load(sys.stdin)["endpoints"] if x["url"].startswith("https")))'); do
  expect_eq "DELETE an extra endpoint: 204" 204 "$(call "$A" DELETE "/v1/org/webhooks/$id")"
done
expect_eq "... gone: DELETE again 404" 404 "$(call "$A" DELETE "/v1/org/webhooks/$id")"

start_standin a "$PORT_A" "$TMP/a.secret"
start_standin b "$PORT_B" "$TMP/b.secret"

WORKER_PID=
start_worker() { # [RETRY_MAX_AGE_S]
  ASAN_OPTIONS=detect_leaks=1:halt_on_error=1 "$BUILD/cong-webhook-worker" --pg "$PGCONN" --key-file "$KEY" --allow-http-loopback 1 \
    --deadline-ms 1500 --connect-ms 500 --retry-base-ms 200 --retry-max-ms 1000 --retry-max-age-s "${1:-600}" \
    --per-endpoint 2 --poll-ms 20 2>>"$TMP/worker.log" &
  WORKER_PID=$!
  EXTRA_PIDS+=("$WORKER_PID")
}
start_worker

# event SUBJECT TOPIC PAYLOAD → the outbox id (a row as the writers insert it)
event() { psql_cong "INSERT INTO push_outbox (subject, topic, payload) VALUES ('$1', '$2', '$3') RETURNING id"; }
# wid OUTBOX_ID TYPE [ENDPOINT] → the webhook-id of that delivery
wid() { psql_cong "SELECT 'msg_' || replace(id::text, '-', '') FROM webhook_deliveries
                   WHERE outbox_id = $1 AND event_type = '$2' AND endpoint_id = '${3:-$EP_A}'"; }
verified() { [ "$(record "$1" "$2" verified)" = true ] && [ "$(record "$1" "$2" status)" = 204 ]; }
delivered() { [ "$(psql_cong "SELECT state FROM webhook_deliveries WHERE 'msg_' || replace(id::text, '-', '') = '$1'")" = delivered ]; }

# ---- the topics map to the event types; a delivery arrives signed and verified ----
E1=$(event "org:$ORG_A" dossier.status '{"code":"HS-W1","status":"supplement_requested","version":3}')
expect_eq "dossier.status supplement_requested: two deliveries (status_changed, supplement_requested)" \
  "dossier.status_changed dossier.supplement_requested" \
  "$(psql_cong "SELECT string_agg(event_type, ' ' ORDER BY event_type) FROM webhook_deliveries WHERE outbox_id = $E1")"
W1=$(wid "$E1" dossier.status_changed)
wait_until 15 verified "$PORT_A" "$W1" || bad "the delivery did not arrive verified"
expect_eq "... its type, as the stand-in read it" dossier.status_changed "$(record "$PORT_A" "$W1" type)"
wait_until 10 delivered "$W1" || bad "the delivery is not recorded delivered"
wait_until 10 delivered "$(wid "$E1" dossier.supplement_requested)" || bad "the second delivery"
E2=$(event "org:$ORG_A" payment.status '{"id":"p1","dossier_code":"HS-W1","state":"created","amount_vnd":1000}')
E3=$(event "org:$ORG_A" payment.status '{"id":"p1","dossier_code":"HS-W1","state":"success","amount_vnd":1000}')
E4=$(event "org:$ORG_A" mandate.changed '{"id":"m1","status":"active","change":"accept"}')
E5=$(event "org:$ORG_A" payment.refund '{"payment_id":"p1","refund_id":"r1","state":"success","amount_vnd":1}')
expect_eq "payment created: none; success: payment.succeeded; a mandate: none; a refund (not subscribed): none" \
  "0 1 0 0" "$(for e in $E2 $E3 $E4 $E5; do psql_cong "SELECT count(*) FROM webhook_deliveries WHERE outbox_id = $e"; done | xargs)"
E6=$(event "org:$ORG_B" dossier.status '{"code":"HS-W2","status":"supplement_requested","version":2}')
expect_eq "org B subscribed to status_changed only: one delivery, to its endpoint" "1 $EP_B" \
  "$(psql_cong "SELECT count(*), min(endpoint_id::text) FROM webhook_deliveries WHERE outbox_id = $E6" | tr '|' ' ')"
E7=$(event "c_someclient" dossier.status '{"code":"HS-W3","status":"received","version":2}')
expect_eq "a citizen's or plain client's event: no delivery" 0 \
  "$(psql_cong "SELECT count(*) FROM webhook_deliveries WHERE outbox_id = $E7")"
wait_until 10 verified "$PORT_B" "$(wid "$E6" dossier.status_changed "$EP_B")" || bad "org B's delivery"

# ---- retried after 500s ----
expect_eq "stand-in A fails the next 2 with 500" 200 "$(behaviour "$PORT_A" '{"action":"fail","status":500,"count":2}')"
E8=$(event "org:$ORG_A" dossier.status '{"code":"HS-W4","status":"received","version":2}')
W8=$(wid "$E8" dossier.status_changed)
wait_until 20 delivered "$W8" || bad "not delivered after two 500s"
expect_eq "... three attempts at the receiver, one id, verified at last" "3 true 204" \
  "$(record "$PORT_A" "$W8" attempts) $(record "$PORT_A" "$W8" verified) $(record "$PORT_A" "$W8" status)"
expect_eq "... the log: attempts 3, delivered, last status 204" 200 "$(call "$A" GET "/v1/org/webhooks/$EP_A/deliveries")"
expect_eq "... its entry" "3 delivered 204 dossier.status_changed" "$(body | python3 -S -c 'import json,sys
d=[x for x in json.load(sys.stdin)["deliveries"] if x["webhook_id"]==sys.argv[1]][0]
print(d["attempts"], d["state"], d["last_status"], d["event_type"], end="")
assert d["delivered_at"] and d["next_attempt_at"] is None' "$W8")"

# ---- retried after a timeout (the stand-in holds the answer past the 1.5 s deadline) ----
behaviour "$PORT_A" '{"action":"stall","delay_ms":4000,"count":1}' >/dev/null
E9=$(event "org:$ORG_A" dossier.status '{"code":"HS-W5","status":"received","version":2}')
W9=$(wid "$E9" dossier.status_changed)
wait_until 20 delivered "$W9" || bad "not delivered after a timeout"
expect_eq "... the timeout recorded, then delivered: 2 attempts" "2" \
  "$(psql_cong "SELECT attempts FROM webhook_deliveries WHERE 'msg_' || replace(id::text, '-', '') = '$W9'")"
expect_eq "... the stand-in saw the id twice" 2 "$(record "$PORT_A" "$W9" attempts)"

# ---- a worker killed mid-delivery: sent again by the next one, under the same id ----
behaviour "$PORT_A" '{"action":"slow","delay_ms":3000,"count":1}' >/dev/null
E10=$(event "org:$ORG_A" dossier.status '{"code":"HS-W6","status":"received","version":2}')
W10=$(wid "$E10" dossier.status_changed)
held() { [ "$(record "$PORT_A" "$W10" attempts)" = 1 ]; }
wait_until 10 held || bad "the slow delivery did not reach the stand-in"
kill -KILL "$WORKER_PID"
wait "$WORKER_PID" 2>/dev/null
start_worker
wait_until 30 delivered "$W10" || bad "not delivered after the worker died"
expect_eq "... one webhook-id at the receiver" 1 "$(curl -s "http://127.0.0.1:$PORT_A/control/deliveries" |
  python3 -S -c 'import json,sys; print(sum(1 for d in json.load(sys.stdin)["deliveries"] if d["id"]==sys.argv[1]))' "$W10")"
expect_eq "... received twice (at-least-once), verified" "2 true" \
  "$(record "$PORT_A" "$W10" attempts) $(record "$PORT_A" "$W10" verified)"

# ---- replay: the same id again ----
D1=$(psql_cong "SELECT id FROM webhook_deliveries WHERE outbox_id = $E1 AND event_type = 'dossier.status_changed'")
expect_eq "replay: 202" 202 "$(call "$A" POST "/v1/org/webhooks/$EP_A/deliveries/$D1/retry")"
expect_eq "... pending again, same webhook-id" "pending $W1" "$(field state) $(field webhook_id)"
again() { [ "$(record "$PORT_A" "$W1" attempts)" = 2 ]; }
wait_until 15 again || bad "the replay did not arrive"
expect_eq "... the stand-in counts it a duplicate of a verified id" "true" "$(record "$PORT_A" "$W1" verified)"
expect_eq "replay of another endpoint's delivery: 404" 404 "$(call "$B" POST "/v1/org/webhooks/$EP_A/deliveries/$D1/retry")"
expect_eq "replay of no delivery: 404" 404 \
  "$(call "$A" POST "/v1/org/webhooks/$EP_A/deliveries/00000000-0000-4000-8000-000000000000/retry")"

# ---- a receiver that never answers does not delay another organization's delivery ----
behaviour "$PORT_B" '{"action":"stall","delay_ms":600000}' >/dev/null
for i in 1 2 3 4 5 6; do event "org:$ORG_B" dossier.status "{\"code\":\"HS-S$i\",\"status\":\"received\",\"version\":2}" >/dev/null; done
b_held() { [ "$(totals "$PORT_B" held)" -ge 2 ]; }
wait_until 10 b_held || bad "org B's stalled deliveries did not start"
T0=${EPOCHREALTIME/[.,]/}
E11=$(event "org:$ORG_A" dossier.status '{"code":"HS-W7","status":"received","version":2}')
W11=$(wid "$E11" dossier.status_changed)
wait_until 10 verified "$PORT_A" "$W11" || bad "org A's delivery did not arrive while B stalls"
ELAPSED_MS=$(((${EPOCHREALTIME/[.,]/} - T0) / 1000))
# from the event's commit to its arrival at the stand-in (both clocks are this machine's wall clock)
ARRIVED_MS=$(($(record "$PORT_A" "$W11" first_at_ms) - $(psql_cong "SELECT (extract(epoch FROM created_at) * 1000)::bigint
  FROM push_outbox WHERE id = $E11")))
echo "org A's delivery arrived ${ARRIVED_MS} ms after its event (${ELAPSED_MS} ms as this script saw it) while org B's receiver stalls"
[ "$ARRIVED_MS" -lt 1000 ] && ok || bad "org A's delivery took ${ARRIVED_MS} ms (bound 1000, under B's 1500 ms deadline)"
expect_eq "... B has at most --per-endpoint 2 under way" 1 "$(psql_cong "SELECT (count(*) <= 2)::int FROM webhook_deliveries
  WHERE endpoint_id = '$EP_B' AND state = 'pending' AND leased_until > now()")"

# ---- the schedule exhausted: the endpoint is disabled and its organization told ----
kill -TERM "$WORKER_PID"
wait "$WORKER_PID" 2>/dev/null
behaviour "$PORT_B" '{"action":"normal"}' >/dev/null
behaviour "$PORT_B" '{"action":"fail","status":503}' >/dev/null
psql_cong "UPDATE webhook_deliveries SET series_started_at = now(), tries = 0, next_attempt_at = now(), leased_until = NULL
           WHERE endpoint_id = '$EP_B' AND state = 'pending'" >/dev/null
start_worker 3
disabled() { [ "$(psql_cong "SELECT status FROM webhook_endpoints WHERE id = '$EP_B'")" = disabled ]; }
wait_until 30 disabled || bad "org B's endpoint was not disabled"
expect_eq "... its organization told (push_outbox, and its inbox)" "1 1" \
  "$(psql_cong "SELECT count(*) FROM push_outbox WHERE subject = 'org:$ORG_B' AND topic = 'webhook.endpoint_disabled'") $(
    psql_cong "SELECT count(*) FROM push_inbox WHERE subject = 'org:$ORG_B' AND topic = 'webhook.endpoint_disabled'")"
expect_eq "... GET shows it disabled" disabled "$(call "$B" GET /v1/org/webhooks >/dev/null
  body | python3 -S -c 'import json,sys; print(json.load(sys.stdin)["endpoints"][0]["status"])')"
expect_eq "... its deliveries failed" "failed" "$(psql_cong "SELECT string_agg(DISTINCT state, ',') FROM webhook_deliveries
  WHERE endpoint_id = '$EP_B' AND outbox_id <> $E6")"
DB=$(psql_cong "SELECT id FROM webhook_deliveries WHERE endpoint_id = '$EP_B' AND state = 'failed' LIMIT 1")
expect_eq "... a replay to a disabled endpoint: 409" 409 "$(call "$B" POST "/v1/org/webhooks/$EP_B/deliveries/$DB/retry")"
E12=$(event "org:$ORG_B" dossier.status '{"code":"HS-W8","status":"received","version":2}')
expect_eq "... new events: no delivery to it" 0 "$(psql_cong "SELECT count(*) FROM webhook_deliveries WHERE outbox_id = $E12")"
expect_eq "org A's endpoint still active" active "$(psql_cong "SELECT status FROM webhook_endpoints WHERE id = '$EP_A'")"

# ---- enabled again: new events are delivered; what failed while disabled stays failed, replayable one by one ----
expect_eq "another organization enables B's endpoint: 404" 404 "$(call "$A" POST "/v1/org/webhooks/$EP_B/enable")"
expect_eq "a client without scope webhooks: 403" 403 "$(call "$A_NOSCOPE" POST "/v1/org/webhooks/$EP_A/enable")"
behaviour "$PORT_B" '{"action":"normal"}' >/dev/null
expect_eq "B enables its endpoint: 200, active, disabled_at cleared" "200 active " \
  "$(call "$B" POST "/v1/org/webhooks/$EP_B/enable") $(field status) $(field disabled_at)"
expect_eq "... again: 200, active (idempotent)" "200 active" "$(call "$B" POST "/v1/org/webhooks/$EP_B/enable") $(field status)"
E13=$(event "org:$ORG_B" dossier.status '{"code":"HS-W9","status":"received","version":2}')
wait_until 15 verified "$PORT_B" "$(wid "$E13" dossier.status_changed "$EP_B")" || bad "a new event after enable"
expect_eq "... the event of while it was disabled: still no delivery" 0 \
  "$(psql_cong "SELECT count(*) FROM webhook_deliveries WHERE outbox_id = $E12")"
expect_eq "... a delivery failed while disabled stays failed" failed \
  "$(psql_cong "SELECT state FROM webhook_deliveries WHERE id = '$DB'")"
expect_eq "... and replays now: 202" 202 "$(call "$B" POST "/v1/org/webhooks/$EP_B/deliveries/$DB/retry")"
wait_until 15 delivered "msg_${DB//-/}" || bad "the replay after enable was not delivered"

# ---- secret rotation: both signatures for the overlap (10 s here), then the new one alone ----
kill -TERM "$WORKER_PID" # the 3 s schedule above would disable A at its first refusal below
wait "$WORKER_PID" 2>/dev/null
start_worker
cp "$TMP/a.secret" "$TMP/a.old"
expect_eq "another organization rotates A's secret: 404" 404 "$(call "$B" POST "/v1/org/webhooks/$EP_A/rotate-secret")"
expect_eq "A rotates its secret: 200, no-store" "200 no-store" \
  "$(call "$A" POST "/v1/org/webhooks/$EP_A/rotate-secret") $(header cache-control)"
field secret >"$TMP/a.new"
expect_match "... the new secret, shown once" '^whsec_[A-Za-z0-9+/]{43}=$' "$(cat "$TMP/a.new")"
cmp -s "$TMP/a.old" "$TMP/a.new" && bad "... the same secret as before" || ok
expect_match "... the old one's end" '^20[0-9-]{8}T[0-9:]{8}Z$' "$(field previous_secret_expires_at)"
call "$A" GET /v1/org/webhooks >/dev/null
expect_no_match "... GET never shows a secret" 'whsec_|secret' "$(body)"
holds() { # SECRET_FILE — the stand-in A now holds that secret alone
  cp "$1" "$TMP/a.secret"
  curl -s -X POST "http://127.0.0.1:$PORT_A/control/reload-secrets" | json secrets
}
rotation_event() { # CODE → the webhook-id of its status_changed delivery to A
  wid "$(event "org:$ORG_A" dossier.status "{\"code\":\"$1\",\"status\":\"received\",\"version\":2}")" dossier.status_changed
}
in_overlap() { [ "$(psql_cong "SELECT (previous_secret_until > now())::int FROM webhook_endpoints WHERE id = '$EP_A'")" = 1 ]; }
expect_eq "stand-in A holds the old secret alone" 1 "$(holds "$TMP/a.old")"
W14=$(rotation_event HS-R1)
wait_until 8 verified "$PORT_A" "$W14" || bad "during the overlap, a delivery did not verify with the old secret"
expect_eq "... at its first attempt" 1 "$(record "$PORT_A" "$W14" attempts)"
expect_eq "stand-in A holds the new secret alone" 1 "$(holds "$TMP/a.new")"
W15=$(rotation_event HS-R2)
wait_until 8 verified "$PORT_A" "$W15" || bad "during the overlap, a delivery did not verify with the new secret"
expect_eq "... at its first attempt, still within the overlap" "1 1" \
  "$(record "$PORT_A" "$W15" attempts) $(in_overlap && echo 1)"
after_overlap() { ! in_overlap; }
wait_until 30 after_overlap || bad "the overlap did not end"
expect_eq "after the overlap, stand-in A holds the old secret alone" 1 "$(holds "$TMP/a.old")"
W16=$(rotation_event HS-R3)
refused_old() { [ "$(record "$PORT_A" "$W16" reason)" = no_matching_signature ]; }
wait_until 15 refused_old || bad "after the overlap, a delivery still verified with the old secret"
expect_eq "... it holds the new secret alone: the retry verifies" 1 "$(holds "$TMP/a.new")"
wait_until 20 delivered "$W16" || bad "after the overlap, the delivery did not verify with the new secret"
expect_eq "... verified at last" true "$(record "$PORT_A" "$W16" verified)"

# ---- the log pages by cursor, newest first: every delivery once, while new events keep coming ----
EXPECTED=$(psql_cong "SELECT string_agg(id::text, ' ' ORDER BY created_at DESC, id DESC) FROM webhook_deliveries
                      WHERE endpoint_id = '$EP_A'")
SEEN=() CURSOR= PAGES=0
while :; do
  expect_eq "page $PAGES: 200" 200 \
    "$(call "$A" GET "/v1/org/webhooks/$EP_A/deliveries?limit=3${CURSOR:+&before=$CURSOR}")"
  SEEN+=($(body | python3 -S -c 'import json,sys; print(" ".join(d["id"] for d in json.load(sys.stdin)["deliveries"]))'))
  CURSOR=$(field next_cursor) PAGES=$((PAGES + 1))
  event "org:$ORG_A" dossier.status "{\"code\":\"HS-P$PAGES\",\"status\":\"received\",\"version\":2}" >/dev/null
  [ -n "$CURSOR" ] && [ "$PAGES" -lt 50 ] || break
done
expect_eq "every delivery exactly once across $PAGES pages of 3, new events meanwhile not among them" "$EXPECTED" \
  "${SEEN[*]}"
expect_match "... several pages" '^([3-9]|[1-4][0-9])$' "$PAGES"
expect_eq "a cursor that is none: 422" 422 "$(call "$A" GET "/v1/org/webhooks/$EP_A/deliveries?before=2026-01-01")"
expect_match "... invalid-cursor" '"invalid-cursor"' "$(body)"

# ---- nothing secret in the logs ----
expect_no_match "no secret, signature or body in the worker's log" "whsec_|v1,|HS-W" "$(cat "$TMP/worker.log")"
expect_no_match "no sanitizer report in the worker's log" "AddressSanitizer|LeakSanitizer|runtime error" "$(cat "$TMP/worker.log")"
kill -TERM "$WORKER_PID"
wait "$WORKER_PID" 2>/dev/null
expect_eq "the worker stops on SIGTERM: exit 0" 0 "$?"
expect_eq "DELETE org A's endpoint: 204" 204 "$(call "$A" DELETE "/v1/org/webhooks/$EP_A")"
expect_eq "... its log went with it" 0 "$(psql_cong "SELECT count(*) FROM webhook_deliveries WHERE endpoint_id = '$EP_A'")"
# every change of an endpoint is audited: by the organization's client, about the organization, naming the endpoint
audited() { psql_cong "SELECT string_agg(action, ' ' ORDER BY id) FROM audit_records WHERE object = 'webhook:$1'"; }
expect_eq "A's endpoint: created, secret rotated, deleted — audited" \
  "webhook.create webhook.rotate_secret webhook.delete" "$(audited "$EP_A")"
expect_eq "... by A's client, about organization A" "client|org:$ORG_A" \
  "$(psql_cong "SELECT DISTINCT actor_kind || '|' || subject FROM audit_records WHERE object = 'webhook:$EP_A'")"
expect_match "B's endpoint: enabled twice, audited each time" "webhook.enable webhook.enable" "$(audited "$EP_B")"
expect_eq "... never its URL" 0 "$(psql_cong "SELECT count(*) FROM audit_records WHERE object LIKE 'webhook:%' AND detail::text LIKE '%127.0.0.1%'")"
finish

#!/usr/bin/env bash
# The gateway's mandate phase, through a real HTTP/2 client and two gateway instances sharing Redis. A token acting
# for someone (RFC 8693: "sub" is whose affairs, "act"."sub" who acts) carries a "mandate" claim; /v1/ping declares
# the action "view" and echoes both parties. Refused: an "act" without a mandate (401), a mandate that does not
# include the route's action or a route that declares none (403 mandate-does-not-cover, naming it), a mandate past
# its last second, and a mandate revoked as "mandate:<id>" on the revocation path — on the very next request, on
# both instances, from memory.
source "$(dirname "$0")/lib.sh"

vneid_start
ID=$(python3 -c 'import uuid; print(uuid.uuid4())')
now=$(date +%s)
mandate() { # ACTIONS-JSON UNTIL → the claims of an acting-for token
  printf '{"act":{"sub":"grantee-1"},"mandate":{"id":"%s","actions":%s,"procedures":["1.000001"],"domains":["ho-tich"]%s}}' \
    "$ID" "$1" "${2:+,\"until\":$2}"
}
status_on() { # PORT TOKEN PATH → status; body in $GW_DIR/body
  curl -s --http2-prior-knowledge --max-time 5 -o "$GW_DIR/body" -w '%{http_code}' -H "authorization: Bearer $2" \
    "http://127.0.0.1:$1$3"
}
principal() { python3 -S -c 'import json,sys; p=json.load(open(sys.argv[1]))["principal"]; print(p["subject"], p["actor"], p["on_behalf_of"], p["mandate_id"], sep="|")' "$GW_DIR/body"; }

GW_NAME=a start_gateway "${IDENTITY_ENV[@]}" || { finish; exit 1; }
A_PID=$GW_PID A_PORT=$H2C_PORT
GW_PID=
GW_NAME=b start_gateway || { GW_PID=$A_PID; finish; exit 1; }
B_PID=$GW_PID B_PORT=$H2C_PORT

ACTING=$(token --sub grantor-1 --scope ping --acr 1 --sid s-grantee --claims-json "$(mandate '["view","submit"]' $((now + 3600)))")
expect_eq "acting within the mandate" 200 "$(status_on "$A_PORT" "$ACTING" /v1/ping)"
expect_eq "the module sees whose affairs and who acts" "grantor-1|grantee-1|grantor-1|$ID" "$(principal)"
OWN=$(token --sub grantee-1 --scope ping --acr 1)
expect_eq "one's own affairs" 200 "$(status_on "$A_PORT" "$OWN" /v1/ping)"
expect_eq "no actor for one's own affairs" "grantee-1|None|None|None" "$(principal)"

expect_eq "act without a mandate" 401 "$(status_on "$A_PORT" "$(token --sub grantor-1 --scope ping --claims-json '{"act":{"sub":"grantee-1"}}')" /v1/ping)"
expect_eq "a mandate without act" 401 "$(status_on "$A_PORT" "$(token --sub grantor-1 --scope ping --claims-json "$(mandate '["view"]' | python3 -S -c 'import json,sys; d=json.load(sys.stdin); del d["act"]; print(json.dumps(d))')")" /v1/ping)"
NO_VIEW=$(token --sub grantor-1 --scope ping --claims-json "$(mandate '["submit"]' $((now + 3600)))")
expect_eq "the route's action is missing" 403 "$(status_on "$A_PORT" "$NO_VIEW" /v1/ping)"
expect_eq "  named" "https://cong.hanoi.gov.vn/problems/mandate-does-not-cover|action|view" \
  "$(python3 -S -c 'import json,sys; p=json.load(open(sys.argv[1])); print(p["type"], p["missing"], p["action"], sep="|")' "$GW_DIR/body")"
expect_eq "a route that declares no action: the grantor's sessions stay theirs" 403 "$(status_on "$A_PORT" "$ACTING" /v1/me/sessions)"
PAST=$(token --sub grantor-1 --scope ping --claims-json "$(mandate '["view"]' $((now - 5)))")
expect_eq "past the mandate's last second" 403 "$(status_on "$A_PORT" "$PAST" /v1/ping)"
expect_match "  not active" "mandate-not-active" "$(cat "$GW_DIR/body")"

# Both instances know the acting token (cached); a revocation published once reaches both before their next request.
expect_eq "B accepts it too" 200 "$(status_on "$B_PORT" "$ACTING" /v1/ping)"
until=$((now + 900))
redis-cli -p "$REDIS_PORT" ZADD cong:revoked "$until" "mandate:$ID" >/dev/null
redis-cli -p "$REDIS_PORT" PUBLISH cong:revocations "mandate:$ID $until" >/dev/null
wait_refused() { # PORT → 403 once refused (bounded: 5 s)
  local code
  for _ in $(seq 1 50); do
    code=$(status_on "$1" "$ACTING" /v1/ping)
    [ "$code" = 403 ] && break
    sleep 0.1
  done
  echo "$code"
}
expect_eq "A refuses the revoked mandate" 403 "$(wait_refused "$A_PORT")"
expect_match "  as not active" "mandate-not-active" "$(cat "$GW_DIR/body")"
expect_eq "B refuses it" 403 "$(wait_refused "$B_PORT")"
expect_eq "the grantee's own token still works" 200 "$(status_on "$B_PORT" "$OWN" /v1/ping)"

GW_NAME=b stop_gateway
GW_PID=$A_PID GW_NAME=a stop_gateway
finish

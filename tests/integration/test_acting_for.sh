#!/usr/bin/env bash
# Acting for someone in the procedures module (issue 12), through a real HTTP/2 client against the real Redis and
# PostgreSQL. Acting-for tokens are minted the way other tests mint tokens (the test issuer may vouch for "act"):
# sub = the grantor, act.sub = the grantee, the "mandate" claim, with the matching row inserted into `mandates`.
#   Within scope: the grantee files the grantor's dossier; the dossier and its timeline record both parties and the
#   mandate; one use is counted and 'mandate.use' recorded. Outside the procedure scope, or without the action: 403
#   naming what is missing, nothing written. A mandate of 3 uses and 10 submissions at once: exactly 3 filed.
#   The grantor sees who acted; the grantee sees (and lists) only what the mandate covers, each view recorded;
#   supplement/withdraw count a use. A result download and the wallet under a mandate are recorded.
#   Officials' desk lists and actions, and `cong official`, write audit records (actor_kind 'official' / 'admin').
source "$(dirname "$0")/lib.sh"
RUNID="$$-$RANDOM"
GRANTOR="grantor-$RUNID"
GRANTEE="grantee-$RUNID"
OFFICIAL="official-$RUNID"
UNTIL=$(( $(date +%s) + 86400 ))
head -c 48 /dev/urandom >"$GW_DIR/subject-secret"
CONNINFO="host=127.0.0.1 port=$PG_PORT dbname=cong user=cong"
start_gateway CONG_RATE_LIMITS_DEFAULT_BURST=1000 CONG_RATE_LIMITS_DEFAULT_PER_MINUTE=100000 || exit 1
official() { env CONG_POSTGRES_CONNINFO="$CONNINFO" CONG_AUTH_SUBJECT_SECRET_FILE="$GW_DIR/subject-secret" \
  ASAN_OPTIONS=detect_leaks=0 "$BUILD/cong" official "$@"; }

# Two level-1 procedures of two domains, each with a unit that handles it, and a valid form for each.
pick() { psql_cong "SELECT p.code || ' ' || min(pu.unit_code) || ' ' || p.domain FROM procedures p
  JOIN procedure_units pu ON pu.procedure_code = p.code WHERE p.min_loa = 1 AND p.applicants <> 'organization' $1 GROUP BY p.code, p.domain
  ORDER BY p.code LIMIT 1"; }
read -r P1 U1 D1 <<<"$(pick "")"
read -r P2 U2 D2 <<<"$(pick "AND p.domain <> '$(pick "" | cut -d' ' -f3)'")"
expect_match "two procedures of two domains" "^[^ ]+ [^ ]+$" "$P1 $P2"
[ "$D1" != "$D2" ] && ok || bad "the two procedures share domain $D1"
submission() { # CODE UNIT → the JSON body of a submission
  call "" GET "/v1/procedures/$1" >/dev/null
  cp "$GW_DIR/body" "$GW_DIR/procedure-$1.json"
  python3 -S -c 'import json,sys; print(json.dumps({"procedure_code":sys.argv[1],"unit_code":sys.argv[2],"form":json.loads(sys.argv[3])}, ensure_ascii=False))' \
    "$1" "$2" "$(valid_form "$GW_DIR/procedure-$1.json")"
}
BODY1=$(submission "$P1" "$U1")
BODY2=$(submission "$P2" "$U2")

# new_mandate ACTIONS PROCEDURES DOMAINS MAX_USES → its id (PostgreSQL arrays as text: '{view,submit}')
new_mandate() {
  psql_cong "INSERT INTO mandates (grantor, delegated_by, grantee, procedures, domains, actions, valid_from,
    valid_until, max_uses, status) VALUES ('$GRANTOR', '$GRANTOR', '$GRANTEE', '$2', '$3', '$1',
    now() - interval '1 hour', to_timestamp($UNTIL), $4, 'active') RETURNING id"
}
# acting MANDATE ACTIONS_JSON PROCEDURES_JSON DOMAINS_JSON → the grantee's token acting for the grantor
acting() {
  token --sub "$GRANTOR" --acr 1 --claims-json "{\"act\":{\"sub\":\"$GRANTEE\"},\"mandate\":{\"id\":\"$1\",\"actions\":$2,\"procedures\":$3,\"domains\":$4,\"until\":$UNTIL}}"
}
submit() { call "$1" POST /v1/dossiers -H 'content-type: application/json' -H "idempotency-key: $2" -d "$3"; }
problem() { field type | sed 's#.*/##'; }
written() { psql_cong "SELECT (SELECT count(*) FROM dossiers WHERE subject = '$GRANTOR') || ' ' ||
  (SELECT count(*) FROM audit_records WHERE subject = '$GRANTOR') || ' ' ||
  (SELECT coalesce(sum(uses), 0) FROM mandates WHERE grantor = '$GRANTOR')"; }
audit() { # ACTION [EXTRA SQL CONDITION] → actor|actor_kind|subject|object|mandate_id of its records, newest first
  psql_cong "SELECT actor || '|' || actor_kind || '|' || coalesce(subject, '') || '|' || coalesce(object, '') || '|' ||
    coalesce(mandate_id::text, '') FROM audit_records WHERE action = '$1' ${2:-} ORDER BY id DESC LIMIT 1"
}
GRANTOR_TOKEN=$(token --sub "$GRANTOR" --acr 1)

# ---- within scope ----
M1=$(new_mandate '{view,submit,receive_result}' "{$P1}" '{}' 10)
T1=$(acting "$M1" '["view","submit","receive_result"]' "[\"$P1\"]" '[]')
expect_eq "the grantee files the grantor's dossier" 201 "$(submit "$T1" "m1-$RUNID" "$BODY1")"
CODE=$(field code)
expect_eq "the dossier records both parties and the mandate" "$GRANTOR|$GRANTEE|$M1" \
  "$(psql_cong "SELECT subject || '|' || submitted_by || '|' || mandate_id FROM dossiers WHERE code = '$CODE'")"
expect_eq "its timeline too" "$GRANTEE|$M1" \
  "$(psql_cong "SELECT e.actor || '|' || e.mandate_id FROM dossier_events e JOIN dossiers d ON d.id = e.dossier_id WHERE d.code = '$CODE'")"
expect_eq "one use counted" 1 "$(psql_cong "SELECT uses FROM mandates WHERE id = '$M1'")"
expect_eq "and recorded: mandate.use" "$GRANTEE|citizen|$GRANTOR|dossier:$CODE|$M1" "$(audit mandate.use "AND mandate_id = '$M1'")"
expect_eq "a replay of the same submission counts no second use" "201 $CODE 1" \
  "$(submit "$T1" "m1-$RUNID" "$BODY1") $(field code) $(psql_cong "SELECT uses FROM mandates WHERE id = '$M1'")"

# ---- outside the procedure scope, or without the action: 403, nothing written ----
before=$(written)
expect_eq "a procedure the mandate does not cover" 403 "$(submit "$T1" "m1-p2-$RUNID" "$BODY2")"
expect_eq "mandate-does-not-cover" mandate-does-not-cover "$(problem)"
expect_match "naming the procedure" "$P2" "$(body)"
expect_eq "nothing written" "$before" "$(written)"
M2=$(new_mandate '{view}' "{$P1}" '{}' 10)
T2=$(acting "$M2" '["view"]' "[\"$P1\"]" '[]')
expect_eq "a mandate to view only cannot submit" 403 "$(submit "$T2" "m2-$RUNID" "$BODY1")"
expect_eq "mandate-does-not-cover (the action)" mandate-does-not-cover "$(problem)"
expect_match "naming the action" 'submit' "$(body)"
expect_eq "nothing written" "$before" "$(written)"

# ---- used up, under concurrency: a mandate of 3 uses, 10 submissions at once ----
M3=$(new_mandate '{submit}' "{}" "{$D1}" 3)
T3=$(acting "$M3" '["submit"]' '[]' "[\"$D1\"]")
pids=()
for i in $(seq 1 10); do
  curl -s --http2-prior-knowledge --max-time 20 -o "$GW_DIR/c$i.body" -w '%{http_code}' -X POST \
    -H "authorization: Bearer $T3" -H 'content-type: application/json' -H "idempotency-key: m3-$i-$RUNID" \
    -d "$BODY1" "$(url /v1/dossiers)" >"$GW_DIR/c$i.status" &
  pids+=($!)
done
wait "${pids[@]}"
statuses=$(for i in $(seq 1 10); do cat "$GW_DIR/c$i.status"; echo; done | sort | uniq -c | awk '{print $2 "x" $1}' | tr '\n' ' ')
expect_eq "exactly 3 filed, 7 refused" "201x3 403x7 " "$statuses"
expect_eq "3 dossiers under the mandate" 3 "$(psql_cong "SELECT count(*) FROM dossiers WHERE mandate_id = '$M3'")"
expect_eq "3 uses, used up" "3 used_up" "$(psql_cong "SELECT uses || ' ' || status FROM mandates WHERE id = '$M3'")"
expect_eq "3 uses recorded" 3 "$(psql_cong "SELECT count(*) FROM audit_records WHERE action = 'mandate.use' AND mandate_id = '$M3'")"
expect_match "the refusals say the mandate is used up (or no longer active)" \
  'mandate-(used-up|not-active)' "$(cat "$GW_DIR"/c*.body)"

# What the SQL answers whatever the gateway refused first (the gateway may already refuse an ended mandate): the
# problem names what is missing, and nothing is written.
sql_submit() { psql_cong "SELECT http_status || ' ' || (body->>'problem') || ' ' || (body->>'missing') FROM
  dossier_submit('$GRANTOR', '$GRANTEE', NULL, 'h', '$P1', '$U1', '{}', '[]', 'r', '$1')"; }
expect_eq "a used-up mandate, in SQL" "403 mandate-used-up uses" "$(sql_submit "$M3")"
M4=$(new_mandate '{submit}' "{$P1}" '{}' 10)
psql_cong "UPDATE mandates SET valid_from = now() - interval '2 days', valid_until = now() - interval '1 day' WHERE id = '$M4'"
# the mandates job (every gateway of every test on this database runs it) may mark it expired first: then "status"
expect_match "an expired mandate, in SQL" "^403 mandate-not-active (time|status)$" "$(sql_submit "$M4")"
psql_cong "UPDATE mandates SET valid_until = NULL, status = 'withdrawn' WHERE id = '$M4'"
expect_eq "a withdrawn mandate, in SQL" "403 mandate-not-active status" "$(sql_submit "$M4")"
expect_eq "another grantor's mandate, in SQL" "403 mandate-not-active mandate" \
  "$(psql_cong "SELECT http_status || ' ' || (body->>'problem') || ' ' || (body->>'missing') FROM
     dossier_submit('someone-else-$RUNID', '$GRANTEE', NULL, 'h', '$P1', '$U1', '{}', '[]', 'r', '$M1')")"
expect_eq "none of them wrote anything" "0 3" \
  "$(psql_cong "SELECT (SELECT count(*) FROM dossiers WHERE mandate_id = '$M4' OR subject = 'someone-else-$RUNID') || ' ' || (SELECT count(*) FROM dossiers WHERE mandate_id = '$M3')")"

# ---- the grantor sees who acted in their name ----
expect_eq "the grantor's view" 200 "$(call "$GRANTOR_TOKEN" GET "/v1/dossiers/$CODE")"
expect_eq "says who filed it, under which mandate" "$GRANTEE $M1" "$(field submitted_by) $(field mandate_id)"
expect_eq "and so does the timeline" "$GRANTEE $M1" \
  "$(body | python3 -S -c 'import json,sys; e=json.load(sys.stdin)["timeline"][0]; print(e["actor"], e["mandate_id"])')"
expect_eq "the grantor files a dossier of the other procedure" 201 "$(submit "$GRANTOR_TOKEN" "own-$RUNID" "$BODY2")"
OWN=$(field code)

# ---- the grantee's views: only what the mandate covers, each recorded ----
expect_eq "the grantee views the dossier" 200 "$(call "$T1" GET "/v1/dossiers/$CODE")"
expect_eq "recorded: dossier.view" "$GRANTEE|citizen|$GRANTOR|dossier:$CODE|$M1" "$(audit dossier.view "AND mandate_id = '$M1'")"
# "who used my data": the grantor sees the grantee's view, in words, with the mandate; the grantee does not
expect_eq "the grantor's access log" 200 "$(call "$GRANTOR_TOKEN" GET '/v1/me/access-log?limit=100')"
expect_eq "  names the grantee's view of the dossier" "dossier:$CODE|$M1|citizen|Someone you authorized viewed your dossier" \
  "$(body | python3 -S -c 'import json,sys
for i in json.load(sys.stdin)["items"]:
    if i["action"] == "dossier.view":
        print(i["object"], i["mandate_id"], i["actor_kind"], i["text"]["en"], sep="|"); break')"
expect_eq "  not in the grantee's own" "" "$(call "$(token --sub "$GRANTEE" --acr 1)" GET '/v1/me/access-log?limit=100' >/dev/null
  body | python3 -S -c 'import json,sys; print(" ".join(i["action"] for i in json.load(sys.stdin)["items"] if i["action"] == "dossier.view"))')"
expect_eq "a dossier outside the mandate is 404" 404 "$(call "$T1" GET "/v1/dossiers/$OWN")"
expect_eq "and nothing recorded for it" 0 "$(psql_cong "SELECT count(*) FROM audit_records WHERE object = 'dossier:$OWN'")"
expect_eq "the grantee's list" 200 "$(call "$T1" GET '/v1/dossiers?page_size=100')"
expect_eq "holds only the covered procedure" "$P1" \
  "$(body | python3 -S -c 'import json,sys; print(" ".join(sorted({i["procedure_code"] for i in json.load(sys.stdin)["items"]})))')"
expect_eq "and counts only those" "$(psql_cong "SELECT count(*) FROM dossiers WHERE subject = '$GRANTOR' AND procedure_code = '$P1'")" "$(field total)"
expect_eq "the grantor's own list counts all" "$(psql_cong "SELECT count(*) FROM dossiers WHERE subject = '$GRANTOR'")" \
  "$(call "$GRANTOR_TOKEN" GET /v1/dossiers >/dev/null; field total)"
expect_eq "recorded: dossier.list" "$GRANTEE|citizen|$GRANTOR||$M1" "$(audit dossier.list "AND mandate_id = '$M1'")"
expect_eq "the grantor's own views are not in the audit log" 0 \
  "$(psql_cong "SELECT count(*) FROM audit_records WHERE actor = '$GRANTOR'")"

# ---- supplement / withdraw under the mandate count a use ----
expect_eq "the grantee cannot withdraw a dossier outside the mandate" 404 "$(call "$T1" POST "/v1/dossiers/$OWN/withdraw")"
M3D=$(psql_cong "SELECT code FROM dossiers WHERE mandate_id = '$M3' ORDER BY id LIMIT 1")
expect_eq "a used-up mandate withdraws nothing" 403 "$(call "$T3" POST "/v1/dossiers/$M3D/withdraw")"
expect_eq "still submitted" submitted "$(psql_cong "SELECT status FROM dossiers WHERE code = '$M3D'")"
expect_eq "the grantee withdraws under M1" 200 "$(call "$T1" POST "/v1/dossiers/$M3D/withdraw")"
expect_eq "a second use of M1" 2 "$(psql_cong "SELECT uses FROM mandates WHERE id = '$M1'")"
expect_eq "the timeline names the grantee" "withdraw|$GRANTEE|$M1" \
  "$(psql_cong "SELECT e.action || '|' || e.actor || '|' || e.mandate_id FROM dossier_events e JOIN dossiers d ON d.id = e.dossier_id WHERE d.code = '$M3D' ORDER BY e.version DESC LIMIT 1")"

# ---- officials: the desk, actions and `cong official` are recorded ----
OFF=$(token --sub "$OFFICIAL" --acr 2 --auth-time-offset 0)
expect_match "cong official add" "granted" "$(official add --unit "$U1" --subject "$OFFICIAL")"
expect_eq "recorded: admin.official_add" "admin|admin|$OFFICIAL|unit:$U1|" "$(audit admin.official_add "AND subject = '$OFFICIAL'")"
expect_match "granted twice: nothing changed" "nothing changed" "$(official add --unit "$U1" --subject "$OFFICIAL")"
expect_eq "and nothing recorded twice" 1 \
  "$(psql_cong "SELECT count(*) FROM audit_records WHERE action = 'admin.official_add' AND subject = '$OFFICIAL'")"
expect_eq "the desk list" 200 "$(call "$OFF" GET "/v1/desk/dossiers?unit=$U1&status=submitted&page_size=100")"
expect_match "shows the dossier" "\"$CODE\"" "$(body)"
expect_no_match "but not the applicant's subject" "$GRANTOR" "$(body)"
expect_eq "recorded: the official's view of it" "$OFFICIAL|official|$GRANTOR|dossier:$CODE|" \
  "$(audit dossier.list "AND object = 'dossier:$CODE' AND actor = '$OFFICIAL'")"
act() { call "$OFF" POST "/v1/desk/dossiers/$CODE/actions" -H 'content-type: application/json' -d "$1"; }
expect_eq "receive" 200 "$(act '{"action":"receive"}')"
expect_eq "recorded: dossier.receive" "$OFFICIAL|official|$GRANTOR|dossier:$CODE|" "$(audit dossier.receive "AND object = 'dossier:$CODE'")"
expect_eq "an invalid action records nothing" "409 0" \
  "$(act '{"action":"complete"}') $(psql_cong "SELECT count(*) FROM audit_records WHERE action = 'dossier.complete' AND object = 'dossier:$CODE'")"
for a in process approve; do expect_eq "$a" 200 "$(act "{\"action\":\"$a\"}")"; done
printf '%%PDF-1.4\n%% kết quả %s\n%%%%EOF\n' "$CODE" >"$GW_DIR/result.pdf"
expect_eq "the official uploads the result" 201 "$(call "$OFF" POST /v1/uploads --data-binary @"$GW_DIR/result.pdf")"
expect_eq "issue the result" 200 "$(act "{\"action\":\"issue_result\",\"result_document\":\"$(field id)\"}")"
expect_eq "every action of the official recorded" 4 \
  "$(psql_cong "SELECT count(*) FROM audit_records WHERE actor = '$OFFICIAL' AND actor_kind = 'official' AND object = 'dossier:$CODE' AND action <> 'dossier.list'")"

# ---- the result and the wallet under the mandate ----
expect_eq "the grantee downloads the result" 200 "$(call "$T1" GET "/v1/dossiers/$CODE/result")"
expect_eq "the same bytes" "$(sha256sum <"$GW_DIR/result.pdf")" "$(sha256sum <"$GW_DIR/body")"
expect_eq "recorded: dossier.result" "$GRANTEE|citizen|$GRANTOR|dossier:$CODE|$M1" "$(audit dossier.result "AND mandate_id = '$M1'")"
expect_eq "a view-only mandate gets no result (the gateway's mandate phase)" 403 "$(call "$T2" GET "/v1/dossiers/$CODE/result")"
expect_eq "the wallet under the mandate" 200 "$(call "$T1" GET /v1/me/documents)"
expect_match "holds the result" "\"$CODE\"" "$(body)"
expect_eq "recorded: wallet.list" "$GRANTEE|citizen|$GRANTOR||$M1" "$(audit wallet.list "AND mandate_id = '$M1'")"

expect_match "cong official remove" "removed" "$(official remove --unit "$U1" --subject "$OFFICIAL")"
expect_eq "recorded: admin.official_remove" "admin|admin|$OFFICIAL|unit:$U1|" "$(audit admin.official_remove "AND subject = '$OFFICIAL'")"
expect_eq "no token, citizen number or secret in a record" 0 \
  "$(psql_cong "SELECT count(*) FROM audit_records WHERE (subject = '$GRANTOR' OR actor IN ('$GRANTEE', '$OFFICIAL')) AND (detail::text ~ 'ey[A-Za-z0-9_-]{10,}\.' OR coalesce(object, '') ~ 'ey[A-Za-z0-9_-]{10,}\.')")"
finish

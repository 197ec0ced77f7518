#!/usr/bin/env bash
# Feedback (modules/feedback, issue 15) over HTTP/2 against the real PostgreSQL (through a relay of this test's own,
# cut at the end) and Redis. A unit, a procedure and dossiers of the test's own, inserted here: a dossier is rated once
# (also by 5 posts at once), not before it is finished, not by a stranger (404); a grantee whose mandate includes
# "rate" may, one without "rate" may not; the fields are checked (tags from the list, the comment's length in
# characters); a unit without a dossier is rated once a week per citizen (10 posts at once: exactly 1 accepted, 429
# with Retry-After); comments are read back by their author and the unit's officials, never by other citizens; the
# weekly satisfaction index on a controlled set (stars 5,4,4,2,1: 5 ratings, mean 3.2, share of 4-5 stars 0.6,
# distribution [1,1,0,2,1]) in /v1/kpi/units, and the late list's reason "satisfaction" for that unit (5 ratings, at
# least 3 needed, mean under 3.5) but not for a unit rated 1 star twice (too few); PostgreSQL down: 503 with
# Retry-After. Every limit is set here.
source "$(dirname "$0")/lib.sh"

SUFFIX="$$$RANDOM"
UNIT="T-FB-$SUFFIX" UNIT2="T-FB2-$SUFFIX" UNIT3="T-FB3-$SUFFIX" PROC="T-FB-P-$SUFFIX" PROC2="T-FB-Q-$SUFFIX"
APPLICANT="fb-a-$SUFFIX" GRANTEE="fb-g-$SUFFIX" STRANGER="fb-s-$SUFFIX" OFFICIAL="fb-o-$SUFFIX"
OFFICIAL2="fb-o2-$SUFFIX" WALKIN="fb-w-$SUFFIX" WALKIN2="fb-w2-$SUFFIX"

psql_cong "INSERT INTO domains (code, name_vi, name_en) VALUES ('t-fb', 'Thử phản hồi', 'Feedback testing') ON CONFLICT DO NOTHING" >/dev/null
psql -h 127.0.0.1 -p "$PG_PORT" -U cong -d cong -v ON_ERROR_STOP=1 -qAtX >/dev/null <<SQL || bad "inserting the data set"
INSERT INTO units (code, name, name_en, kind) VALUES ('$UNIT', 'Phường Phản Hồi $SUFFIX', 'Feedback Ward $SUFFIX', 'ward'),
  ('$UNIT2', 'Phường Khác $SUFFIX', 'Other Ward $SUFFIX', 'ward'),
  ('$UNIT3', 'Phường Chưa Đánh Giá $SUFFIX', 'Unrated Ward $SUFFIX', 'ward');
INSERT INTO procedures (code, name_vi, name_en, domain, level, fee_vnd, processing_days, min_loa, online_level,
                        accepts_electronic_copies)
  VALUES ('$PROC', 'Thủ tục thử', 'Test procedure', 't-fb', 'commune', 0, 3, 1, 'full', true),
         ('$PROC2', 'Thủ tục thử khác', 'Other test procedure', 't-fb', 'commune', 0, 3, 1, 'full', true);
INSERT INTO procedure_units (procedure_code, unit_code) VALUES ('$PROC', '$UNIT'), ('$PROC2', '$UNIT'), ('$PROC', '$UNIT3');
-- a unit with a dossier received this week and no rating
INSERT INTO dossiers (code, procedure_code, unit_code, subject, submitted_by, status, form, fee_vnd, due_date)
  VALUES ('$UNIT3-1', '$PROC', '$UNIT3', '$APPLICANT', '$APPLICANT', 'submitted', '{}', 0, current_date + 30);
-- D1..D7 finished (a result issued), D8 still processing (due in a month: not overdue); D3 of another procedure (outside the grantee's mandate)
INSERT INTO dossiers (code, procedure_code, unit_code, subject, submitted_by, status, form, fee_vnd, submitted_at,
                      due_date, completed_at)
SELECT '$UNIT-' || n, CASE WHEN n = 3 THEN '$PROC2' ELSE '$PROC' END, '$UNIT', '$APPLICANT', '$APPLICANT',
       CASE WHEN n = 8 THEN 'processing' ELSE 'completed' END, '{}', 0, now() - interval '3 days', current_date + 30,
       CASE WHEN n = 8 THEN NULL ELSE now() - interval '1 day' END
  FROM generate_series(1, 8) n;
INSERT INTO user_roles (subject, role, resource) VALUES ('$OFFICIAL', 'official', '$UNIT'), ('$OFFICIAL2', 'official', '$UNIT2');
SQL
UNTIL=$(($(date +%s) + 86400))
mandate() { psql_cong "INSERT INTO mandates (grantor, delegated_by, grantee, procedures, domains, actions, valid_from,
  valid_until, max_uses, status) VALUES ('$APPLICANT', '$APPLICANT', '$GRANTEE', '{$PROC}', '{}', '{$1}',
  now() - interval '1 hour', to_timestamp($UNTIL), 5, 'active') RETURNING id"; }
M_RATE=$(mandate view,rate)
M_VIEW=$(mandate view)
acting() { token --sub "$APPLICANT" --acr 1 --claims-json "{\"act\":{\"sub\":\"$GRANTEE\"},\"mandate\":{\"id\":\"$1\",
  \"actions\":$2,\"procedures\":[\"$PROC\"],\"domains\":[],\"until\":$UNTIL}}"; }

relay_start PGRELAY "$PG_PORT" || { bad "PostgreSQL relay"; finish; exit 1; }
start_gateway CONG_POSTGRES_CONNINFO="host=127.0.0.1 port=$PGRELAY_PORT dbname=cong user=cong connect_timeout=1" \
  CONG_RATE_LIMITS_DEFAULT_BURST=10000 CONG_RATE_LIMITS_DEFAULT_PER_MINUTE=1000000 \
  CONG_MODULES_FEEDBACK_COMMENT_MAX_CHARS=1000 CONG_MODULES_FEEDBACK_UNIT_WEEKLY_MAX=1 \
  CONG_MODULES_FEEDBACK_PAGE_SIZE=2 CONG_MODULES_PROCEDURES_KPI_CACHE_TTL_MS=0 \
  CONG_MODULES_PROCEDURES_KPI_SATISFACTION_THRESHOLD=3.5 CONG_MODULES_PROCEDURES_KPI_SATISFACTION_MIN_RATINGS=3 || exit 1
wait_stores_up || { finish; exit 1; }

A=$(token --sub "$APPLICANT" --acr 1) S=$(token --sub "$STRANGER" --acr 1) O=$(token --sub "$OFFICIAL" --acr 2)
O2=$(token --sub "$OFFICIAL2" --acr 2) A2=$(token --sub "$APPLICANT" --acr 2) W=$(token --sub "$WALKIN" --acr 1)
W2=$(token --sub "$WALKIN2" --acr 1) G_RATE=$(acting "$M_RATE" '["view","rate"]') G_VIEW=$(acting "$M_VIEW" '["view"]')
# give TOKEN KEY JSON → status; body in $GW_DIR/body
give() { call "$1" POST /v1/feedback -H 'content-type: application/json' ${2:+-H "idempotency-key: $2"} -d "$3"; }
# fields KEY... — members of the last answer: "type" as its slug, "errors" as field:code pairs, lists as JSON
fields() {
  python3 -S -c 'import json, sys
try: d = json.load(open(sys.argv[1]))
except ValueError: d = {}
def show(k):
    v = d.get(k)
    if k == "type" and v: return v.rsplit("/", 1)[-1]
    if k == "errors": return ",".join(e["field"] + ":" + e["code"] for e in v or [])
    if isinstance(v, (list, dict)): return json.dumps(v, ensure_ascii=False)
    return "" if v is None else str(v)
print(" ".join(show(k) for k in sys.argv[2:]))' "$GW_DIR/body" "$@"
}
COMMENT='Cán bộ <b>nhiệt tình</b> & "nhanh"'
COMMENT_JSON=$(python3 -S -c 'import json,sys; print(json.dumps(sys.argv[1], ensure_ascii=False))' "$COMMENT")

# ---- once per dossier, after the commit, by its applicant ----
BODY1="{\"dossier_code\":\"$UNIT-1\",\"stars\":5,\"comment\":$COMMENT_JSON,\"tags\":[\"staff_attitude\",\"waiting_time\"]}"
expect_eq "the applicant rates a finished dossier: 201" 201 "$(give "$A" "k1-$SUFFIX" "$BODY1")"
F1=$(fields id)
expect_eq "...the feedback as given" "$UNIT-1 $UNIT 5 [\"staff_attitude\", \"waiting_time\"]" \
  "$(fields dossier_code unit_code stars tags)"
expect_eq "...the comment stored and served as given (a JSON string)" "$COMMENT" "$(fields comment)"
expect_eq "...the row, its parties" "$APPLICANT|$APPLICANT||5|$COMMENT" \
  "$(psql_cong "SELECT subject, given_by, mandate_id, stars, comment FROM feedback WHERE id = '$F1'")"
expect_eq "...audited" "$APPLICANT|citizen|$APPLICANT" \
  "$(psql_cong "SELECT actor, actor_kind, subject FROM audit_records WHERE action = 'feedback.give' AND object = 'feedback:$F1'")"
expect_eq "the same key and body: the same answer, replayed" "201 $F1 true" \
  "$(give "$A" "k1-$SUFFIX" "$BODY1") $(fields id) $(header idempotent-replayed)"
expect_eq "the key with another body: 422" "422 idempotency-key-reused" \
  "$(give "$A" "k1-$SUFFIX" "{\"dossier_code\":\"$UNIT-1\",\"stars\":1}") $(fields type)"
expect_eq "a second feedback on the dossier: 409" "409 feedback-already-given" \
  "$(give "$A" "k1b-$SUFFIX" "{\"dossier_code\":\"$UNIT-1\",\"stars\":1}") $(fields type)"
expect_eq "no Idempotency-Key: 400" "400 idempotency-key-required" \
  "$(give "$A" "" "{\"dossier_code\":\"$UNIT-6\",\"stars\":1}") $(fields type)"
expect_eq "a dossier not finished: 409" "409 dossier-not-finished processing" \
  "$(give "$A" "k8-$SUFFIX" "{\"dossier_code\":\"$UNIT-8\",\"stars\":3}") $(fields type dossier_status)"
expect_eq "a stranger: 404, the dossier not revealed" "404 not-found" \
  "$(give "$S" "ks-$SUFFIX" "{\"dossier_code\":\"$UNIT-2\",\"stars\":1}") $(fields type)"
expect_eq "...as for a dossier that does not exist" "404 not-found" \
  "$(give "$S" "ks2-$SUFFIX" "{\"dossier_code\":\"$UNIT-404\",\"stars\":1}") $(fields type)"
expect_eq "one feedback on dossier 1, none on 2 and 8" "1|0|0" \
  "$(psql_cong "SELECT count(*) FILTER (WHERE dossier_code = '$UNIT-1') || '|' || count(*) FILTER (WHERE dossier_code = '$UNIT-2') || '|' || count(*) FILTER (WHERE dossier_code = '$UNIT-8') FROM feedback")"

# ---- acting for the applicant ----
expect_eq "a grantee whose mandate includes rate: 201" 201 \
  "$(give "$G_RATE" "kg-$SUFFIX" "{\"dossier_code\":\"$UNIT-2\",\"stars\":4,\"tags\":[\"clarity\"]}")"
F2=$(fields id)
expect_eq "...both parties and the mandate recorded, one use counted" "$APPLICANT|$GRANTEE|$M_RATE|1" \
  "$(psql_cong "SELECT f.subject || '|' || f.given_by || '|' || f.mandate_id || '|' || m.uses FROM feedback f JOIN mandates m ON m.id = f.mandate_id WHERE f.id = '$F2'")"
expect_eq "...the use audited" 1 \
  "$(psql_cong "SELECT count(*) FROM audit_records WHERE action = 'mandate.use' AND object = 'feedback:$F2'")"
expect_eq "...a dossier of a procedure outside the mandate: 404" "404 not-found" \
  "$(give "$G_RATE" "kg3-$SUFFIX" "{\"dossier_code\":\"$UNIT-3\",\"stars\":4}") $(fields type)"
expect_eq "...a unit is rated in one's own name only: 403" "403 mandate-does-not-cover" \
  "$(give "$G_RATE" "kgu-$SUFFIX" "{\"unit_code\":\"$UNIT\",\"stars\":4}") $(fields type)"
expect_eq "a grantee whose mandate lacks rate: 403" "403 mandate-does-not-cover" \
  "$(give "$G_VIEW" "kgv-$SUFFIX" "{\"dossier_code\":\"$UNIT-3\",\"stars\":1}") $(fields type)"
expect_eq "...nothing written, no use counted" "0|1|0" \
  "$(psql_cong "SELECT (SELECT count(*) FROM feedback WHERE dossier_code = '$UNIT-3') || '|' || (SELECT uses FROM mandates WHERE id = '$M_RATE') || '|' || (SELECT uses FROM mandates WHERE id = '$M_VIEW')")"

# ---- the fields ----
expect_eq "an unknown tag, a repeated tag: 422 naming each" "422 validation-failed tags[1]:unknown-tag,tags[2]:duplicate-tag" \
  "$(give "$A" "kv1-$SUFFIX" "{\"dossier_code\":\"$UNIT-4\",\"stars\":4,\"tags\":[\"fees\",\"rude\",\"fees\"]}") $(fields type errors)"
expect_eq "stars 0 and 6, a string, none: 422" "422 stars:out-of-range 422 stars:out-of-range 422 stars:invalid-format 422 stars:required" \
  "$(for s in 0 6 '"5"'; do give "$A" "kv2-$SUFFIX-$s" "{\"dossier_code\":\"$UNIT-4\",\"stars\":$s}"; echo -n " $(fields errors) "; done; give "$A" "kv2n-$SUFFIX" "{\"dossier_code\":\"$UNIT-4\"}"; echo " $(fields errors)")"
expect_eq "a dossier and a unit together: 422" "422 unit_code:one-of" \
  "$(give "$A" "kv3-$SUFFIX" "{\"dossier_code\":\"$UNIT-4\",\"unit_code\":\"$UNIT\",\"stars\":4}") $(fields errors)"
LONG=$(python3 -S -c 'print("ạ" * 1001)')  # 1001 characters, 3003 bytes
expect_eq "a comment of 1001 characters: 422 too-long" "422 comment:too-long" \
  "$(give "$A" "kv4-$SUFFIX" "{\"dossier_code\":\"$UNIT-4\",\"stars\":4,\"comment\":\"$LONG\"}") $(fields errors)"
expect_eq "nothing written by the invalid posts" 0 "$(psql_cong "SELECT count(*) FROM feedback WHERE dossier_code = '$UNIT-4'")"
expect_eq "1000 characters (3000 bytes): counted in characters, 201" "201 1000" \
  "$(give "$A" "kv5-$SUFFIX" "{\"dossier_code\":\"$UNIT-4\",\"stars\":4,\"comment\":\"${LONG:1}\"}") $(psql_cong "SELECT char_length(comment) FROM feedback WHERE dossier_code = '$UNIT-4'")"

# ---- 5 posts at once on one dossier: exactly one kept ----
pids=()
for i in 1 2 3 4 5; do
  curl -s --http2-prior-knowledge --max-time 20 -o /dev/null -w '%{http_code}\n' -H "authorization: Bearer $A" \
    -H 'content-type: application/json' -H "idempotency-key: kc$i-$SUFFIX" \
    -d "{\"dossier_code\":\"$UNIT-5\",\"stars\":2}" "$(url /v1/feedback)" >"$GW_DIR/once.$i" &
  pids+=($!)
done
wait "${pids[@]}" # never a bare wait: the gateway and the relay are this shell's children too
expect_eq "5 at once on one dossier: one 201, four 409" "201 409 409 409 409" "$(sort "$GW_DIR"/once.* | tr '\n' ' ' | sed 's/ $//')"
expect_eq "...one row" 1 "$(psql_cong "SELECT count(*) FROM feedback WHERE dossier_code = '$UNIT-5'")"
expect_eq "the fifth rating: 1 star" 201 "$(give "$A" "k6-$SUFFIX" "{\"dossier_code\":\"$UNIT-6\",\"stars\":1}")"

# ---- a unit without a dossier: once a week per citizen, 10 at once → 1 ----
pids=()
for i in $(seq 1 10); do
  curl -s --http2-prior-knowledge --max-time 20 -o "$GW_DIR/unit.$i.body" -D "$GW_DIR/unit.$i.headers" -w '%{http_code}\n' \
    -H "authorization: Bearer $W" -H 'content-type: application/json' -H "idempotency-key: ku$i-$SUFFIX" \
    -d "{\"unit_code\":\"$UNIT2\",\"stars\":1,\"tags\":[\"waiting_time\"]}" "$(url /v1/feedback)" >"$GW_DIR/unit.$i" &
  pids+=($!)
done
wait "${pids[@]}"
expect_eq "10 at once on a unit: one 201, nine 429" "201 $(printf '429 %.0s' $(seq 1 9) | sed 's/ $//')" \
  "$(sort "$GW_DIR"/unit.? "$GW_DIR"/unit.10 | tr '\n' ' ' | sed 's/ $//')"
REFUSED=$(grep -l 429 "$GW_DIR"/unit.? "$GW_DIR"/unit.10 | head -1)
cp "${REFUSED}.body" "$GW_DIR/body"; cp "${REFUSED}.headers" "$GW_DIR/headers"
expect_eq "...feedback-limit-reached, max 1" "feedback-limit-reached 1" "$(fields type max)"
NEXT_MONDAY=$(python3 -S -c 'import time; t = time.time() + 7 * 3600; d = int(t // 86400); print((d - (d + 3) % 7 + 7) * 86400 - 7 * 3600)')
RETRY=$(header retry-after)
expect_match "...Retry-After: the seconds until Monday 00:00 in Hanoi" '^[0-9]+$' "$RETRY"
if [ -n "$RETRY" ] && [ $(( $(date +%s) + RETRY - NEXT_MONDAY )) -ge -5 ] && [ $(( $(date +%s) + RETRY - NEXT_MONDAY )) -le 5 ]; then ok; else bad "Retry-After $RETRY does not reach the next Monday ($NEXT_MONDAY)"; fi
expect_eq "...one row" 1 "$(psql_cong "SELECT count(*) FROM feedback WHERE subject = '$WALKIN' AND unit_code = '$UNIT2'")"
expect_eq "another citizen rates that unit: 201" 201 "$(give "$W2" "kw2-$SUFFIX" "{\"unit_code\":\"$UNIT2\",\"stars\":1}")"
expect_eq "an unknown unit: 404" "404 not-found" "$(give "$W2" "kw3-$SUFFIX" "{\"unit_code\":\"T-FB-NONE\",\"stars\":1}") $(fields type)"

# ---- reading: the author and the unit's officials, nobody else ----
expect_eq "the applicant reads back their feedback (page of 2, newest first)" "200 2" \
  "$(call "$A" GET /v1/me/feedback) $(body | python3 -S -c 'import json,sys; print(len(json.load(sys.stdin)["items"]))')"
NEXT=$(fields next_cursor)
expect_match "...with a cursor to the next page" '^[0-9a-f-]{36}$' "$NEXT"
call "$A" GET "/v1/me/feedback?cursor=$NEXT" >/dev/null
PAGES=$(for c in "" "$NEXT"; do call "$A" GET "/v1/me/feedback${c:+?cursor=$c}" >/dev/null; body | python3 -S -c 'import json,sys; print(" ".join(i["dossier_code"] or "-" for i in json.load(sys.stdin)["items"]))'; done | tr '\n' ' ')
expect_match "...the pages do not overlap" "^$UNIT-[0-9] $UNIT-[0-9] $UNIT-[0-9] $UNIT-[0-9] $" "$PAGES"
ALL_MINE=$(c=""; for _ in 1 2 3 4; do call "$A" GET "/v1/me/feedback${c:+?cursor=$c}" >/dev/null; body | python3 -S -c 'import json,sys; [print(i["comment"] or "") for i in json.load(sys.stdin)["items"]]'; c=$(fields next_cursor); [ -z "$c" ] && break; done)
expect_match "...the comment among them, as given" "Cán bộ <b>nhiệt tình</b> & \"nhanh\"" "$ALL_MINE"
expect_eq "the grantee (not acting) reads what they gave" "$F2" \
  "$(call "$(token --sub "$GRANTEE" --acr 1)" GET /v1/me/feedback >/dev/null; body | python3 -S -c 'import json,sys; print(" ".join(i["id"] for i in json.load(sys.stdin)["items"]))')"
expect_eq "another citizen sees none of it" "200 []" "$(call "$S" GET /v1/me/feedback) $(fields items)"
expect_eq "an official of the unit: 200" 200 "$(call "$O" GET "/v1/desk/units/$UNIT/feedback")"
expect_eq "...newest first, two a page, who gave it not shown" "2 False False" \
  "$(body | python3 -S -c 'import json,sys; d=json.load(sys.stdin); i=d["items"]; print(len(i), any("subject" in x or "given_by" in x for x in i), i[0]["created_at"] < i[1]["created_at"])')"
DESK=$(c=""; for _ in 1 2 3 4; do call "$O" GET "/v1/desk/units/$UNIT/feedback${c:+?cursor=$c}" >/dev/null; body | python3 -S -c 'import json,sys; [print(i["stars"], i["comment"] or "") for i in json.load(sys.stdin)["items"]]'; c=$(fields next_cursor); [ -z "$c" ] && break; done)
expect_eq "...every rating of the unit, the comments as given" "5 ratings, stars 1 2 4 4 5" \
  "$(echo "$DESK" | wc -l | tr -d ' ') ratings, stars $(echo "$DESK" | cut -d' ' -f1 | sort -n | tr '\n' ' ' | sed 's/ $//')"
expect_match "...the comment" "5 Cán bộ <b>nhiệt tình</b> & \"nhanh\"" "$DESK"
expect_eq "...each item shown audited" "$OFFICIAL|official|$APPLICANT" \
  "$(psql_cong "SELECT DISTINCT actor || '|' || actor_kind || '|' || subject FROM audit_records WHERE action = 'feedback.read' AND object = 'feedback:$F1'")"
WEEK=$(psql_cong "SELECT DISTINCT to_char(week_start, 'IYYY-\"W\"IW') FROM feedback WHERE unit_code = '$UNIT'")
expect_match "the test's ratings fell in one week" '^[0-9]{4}-W[0-9]{2}$' "$WEEK"
expect_eq "...the desk's week filter" "200 $WEEK 2" \
  "$(call "$O" GET "/v1/desk/units/$UNIT/feedback?week=$WEEK") $(fields week) $(body | python3 -S -c 'import json,sys; print(len(json.load(sys.stdin)["items"]))')"
expect_eq "...another week: none" "200 []" "$(call "$O" GET "/v1/desk/units/$UNIT/feedback?week=2026-W02") $(fields items)"
expect_eq "...a malformed week, one the year lacks, a bad cursor: 422" "422 week:invalid-format 422 week:out-of-range 422 cursor:invalid-format" \
  "$(call "$O" GET "/v1/desk/units/$UNIT/feedback?week=garbage") $(fields errors) $(call "$O" GET "/v1/desk/units/$UNIT/feedback?week=2025-W53") $(fields errors) $(call "$O" GET "/v1/desk/units/$UNIT/feedback?cursor=x") $(fields errors)"
expect_eq "the applicant on the desk: 403" "403 forbidden" "$(call "$A2" GET "/v1/desk/units/$UNIT/feedback") $(fields type)"
expect_eq "an official of another unit: 403" "403 forbidden" "$(call "$O2" GET "/v1/desk/units/$UNIT/feedback") $(fields type)"
expect_eq "level 1: 401" 401 "$(call "$(token --sub "$OFFICIAL" --acr 1)" GET "/v1/desk/units/$UNIT/feedback")"

# ---- the weekly satisfaction index and the KPIs ----
expect_eq "the rollup: 5 ratings, 16 stars, 1 1 0 2 1" "5|16|1|1|0|2|1" \
  "$(psql_cong "SELECT ratings, stars_sum, s1, s2, s3, s4, s5 FROM feedback_weekly WHERE unit_code = '$UNIT'")"
call "" GET "/v1/kpi/units?week=$WEEK" >/dev/null
expect_eq "KPI units: the unit's satisfaction (stars 5,4,4,2,1)" \
  '{"ratings": 5, "mean": 3.2, "share_4_5": 0.6, "distribution": [1, 1, 0, 2, 1]}' \
  "$(body | python3 -S -c "import json,sys; print(json.dumps([u['satisfaction'] for u in json.load(sys.stdin)['units'] if u['unit_code'] == '$UNIT'][0]))")"
expect_eq "...a unit rated without dossiers is listed too (2 ratings of 1 star)" \
  '[0, {"ratings": 2, "mean": 1.0, "share_4_5": 0.0, "distribution": [2, 0, 0, 0, 0]}]' \
  "$(body | python3 -S -c "import json,sys; print(json.dumps([[u['received'], u['satisfaction']] for u in json.load(sys.stdin)['units'] if u['unit_code'] == '$UNIT2'][0]))")"
expect_eq "...a unit without ratings: 0 and nulls" \
  '[1, {"ratings": 0, "mean": null, "share_4_5": null, "distribution": [0, 0, 0, 0, 0]}]' \
  "$(body | python3 -S -c "import json,sys; print(json.dumps([[u['received'], u['satisfaction']] for u in json.load(sys.stdin)['units'] if u['unit_code'] == '$UNIT3'][0]))")"
call "" GET "/v1/kpi/late-units?week=$WEEK" >/dev/null
expect_eq "late list: the thresholds" "3.5 3" "$(fields satisfaction_threshold satisfaction_min_ratings)"
expect_eq "...the unit rated 3.2 by 5 citizens: reason satisfaction" '["satisfaction"]' \
  "$(body | python3 -S -c "import json,sys; print(json.dumps([u['reasons'] for u in json.load(sys.stdin)['units'] if u['unit_code'] == '$UNIT'][0]))")"
expect_eq "...not the unit rated 1.0 by 2 (fewer than 3 ratings)" "[]" \
  "$(body | python3 -S -c "import json,sys; print(json.dumps([u for u in json.load(sys.stdin)['units'] if u['unit_code'] == '$UNIT2']))")"

# ---- PostgreSQL down: 503 with Retry-After ----
relay_stop PGRELAY
wait_store_down postgres
expect_eq "PostgreSQL down: a post is 503" "503 service-unavailable" \
  "$(give "$A" "kd-$SUFFIX" "{\"dossier_code\":\"$UNIT-7\",\"stars\":3}") $(fields type)"
expect_match "...with Retry-After" '^[0-9]+$' "$(header retry-after)"
expect_eq "...reading too" "503 503" "$(call "$A" GET /v1/me/feedback) $(call "$O" GET "/v1/desk/units/$UNIT/feedback")"
relay_start PGRELAY "$PG_PORT" "$PGRELAY_PORT" || bad "PostgreSQL relay restart"
wait_stores_up 30
expect_eq "PostgreSQL back: the post is taken" 201 "$(give "$A" "kd-$SUFFIX" "{\"dossier_code\":\"$UNIT-7\",\"stars\":3}")"

psql_cong "DELETE FROM user_roles WHERE subject IN ('$OFFICIAL', '$OFFICIAL2')" >/dev/null
finish

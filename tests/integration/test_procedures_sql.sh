#!/usr/bin/env bash
# Procedures, the SQL layer (modules/procedures/migrations/0003_functions.sql) straight through psql, no gateway:
# the seeded catalog, catalog search, working days, dossier_submit (idempotency, attachments, concurrency),
# dossier_transition (every rule, visibility, results into the wallet), dossier_view, and the KPIs on a controlled
# data set. Assumes the schema is migrated and seeded (scripts/test.sh). Re-runnable against the same database:
# subjects are unique per run and the KPI fixtures (units TEST-KPI-*) are deleted before and after.
source "$(dirname "$0")/lib.sh"

# sql STATEMENT — one value per line, fields separated by |.
sql() { psql -h 127.0.0.1 -p "$PG_PORT" -U cong -d cong -v ON_ERROR_STOP=1 -qAtX -c "$1" 2>&1; }

RUNID=$(date +%s)-$$-$RANDOM
S="test-sql-$RUNID"            # the applicant
OTHER="test-sql-$RUNID-other"  # another citizen
OFF="test-sql-$RUNID-official" # an official of HN-W-001
BIRTH=1.001193                 # "Đăng ký khai sinh", commune level: handled by every ward and commune

# ---------------------------------------------------------------------------------------------------------------
# The catalog
expect_match "at least 2,100 procedures" '^(2[1-9][0-9]{2}|[3-9][0-9]{3}|[0-9]{5,})$' "$(sql "select count(*) from procedures")"
# (other tests add their own units with other codes: count the city's own)
expect_eq "126 wards and communes" "126" "$(sql "select count(*) from units where kind in ('ward', 'commune') and code like 'HN-W-%'")"
expect_eq "codes HN-W-001..126" "HN-W-001|HN-W-126" \
  "$(sql "select min(code), max(code) from units where kind in ('ward', 'commune') and code like 'HN-W-%'")"
expect_eq "every form field type is used" "boolean,date,enum,integer,string" \
  "$(sql "select string_agg(distinct f->>'type', ',' order by f->>'type') from procedures, jsonb_array_elements(form_fields) f")"
expect_eq "holidays of 2025-2027, never a weekend" "3|0" \
  "$(sql "select count(distinct extract(year from day)), count(*) filter (where extract(isodow from day) > 5) from holidays")"

first=$(sql "select i->>'code', i->>'name_vi' from jsonb_array_elements(catalog_search('dang ky khai sinh', null, null, 1, 5)->'items') with ordinality x(i, n) where n = 1")
expect_eq "'dang ky khai sinh' ranks 'Đăng ký khai sinh' first" "$BIRTH|Đăng ký khai sinh" "$first"
expect_eq "same with diacritics and capitals" "$BIRTH" \
  "$(sql "select catalog_search('  ĐĂNG KÝ   Khai Sinh ', null, null, 1, 5)->'items'->0->>'code'")"
# The rule of procedures 0016 ("word windows", the same as the in-memory search): a procedure matches when every word
# is in it, or when the words found carry >= 60 % of the query's trigrams; ranked by its best window of tokens.
expect_match "a typo still finds it (among the first 5)" "\"$BIRTH\"" \
  "$(sql "select catalog_search('dang ky khai sjnh', null, null, 1, 5)->'items'")"
expect_eq "a missing word still finds it, first" "$BIRTH" \
  "$(sql "select catalog_search('dang khai sinh', null, null, 1, 5)->'items'->0->>'code'")"
expect_eq "an extra word still finds it, first" "$BIRTH" \
  "$(sql "select catalog_search('dang ky khai sinh nhanh', null, null, 1, 5)->'items'->0->>'code'")"
expect_eq "the exact name ranks first ('dang ky ket hon')" "Đăng ký kết hôn" \
  "$(sql "select catalog_search('dang ky ket hon', null, null, 1, 5)->'items'->0->>'name_vi'")"
expect_eq "the words found must carry 60 % of the query (no 'khai sinh' when asked for 'ket hon')" "0" \
  "$(sql "select count(*) from jsonb_array_elements(catalog_search('dang ky ket hon', null, null, 1, 100)->'items') i where i->>'name_vi' like '%khai sinh%'")"
expect_eq "a query of punctuation only (no trigram) matches by its words alone" \
  "$(sql "select count(*) from procedures where search_text like '%-%'")" \
  "$(sql "select catalog_search('-', null, null, 1, 10)->>'total'")"
expect_eq "page 2 follows page 1 (ranked)" \
  "$(sql "select catalog_search('dang ky', null, null, 1, 20)->'items'->10->>'code'")" \
  "$(sql "select catalog_search('dang ky', null, null, 2, 10)->'items'->0->>'code'")"
# the token trigrams follow the procedure (procedure_search_trgm, kept by trigger): a new, a renamed, a re-coded and a
# deleted procedure, in a transaction rolled back
SEARCH_P="TEST-SEARCH-$RUNID"
expect_eq "search follows insert, rename, new code, delete" "$SEARCH_P|1|0|$SEARCH_P-B|0|0" "$(psql -h 127.0.0.1 -p "$PG_PORT" -U cong -d cong -v ON_ERROR_STOP=1 -qAtX \
  -c "BEGIN" \
  -c "INSERT INTO procedures (code, name_vi, name_en, domain, level, fee_vnd, processing_days, min_loa, online_level,
                              accepts_electronic_copies)
      VALUES ('$SEARCH_P', 'Thủ tục thử zyxwvu', 'Search test', (SELECT min(code) FROM domains), 'commune', 0, 5, 1, 'full', true)" \
  -c "SELECT catalog_search('zyxwvu', null, null, 1, 5)->'items'->0->>'code'" \
  -c "UPDATE procedures SET name_vi = 'Thủ tục thử qponml' WHERE code = '$SEARCH_P'" \
  -c "SELECT catalog_search('qponml', null, null, 1, 5)->>'total'" \
  -c "SELECT catalog_search('zyxwvu', null, null, 1, 5)->>'total'" \
  -c "UPDATE procedures SET code = '$SEARCH_P-B' WHERE code = '$SEARCH_P'" \
  -c "SELECT catalog_search('qponml', null, null, 1, 5)->'items'->0->>'code'" \
  -c "DELETE FROM procedures WHERE code = '$SEARCH_P-B'" \
  -c "SELECT catalog_search('qponml', null, null, 1, 5)->>'total'" \
  -c "SELECT count(*) FROM procedure_search_trgm WHERE code LIKE 'TEST-SEARCH-$RUNID%'" \
  -c "ROLLBACK" 2>&1 | paste -sd'|')"
expect_eq "empty q lists all by code" "$(sql "select count(*) from procedures")|$(sql "select min(code) from procedures")" \
  "$(sql "select r->>'total', r->'items'->0->>'code' from catalog_search('', null, null, 1, 10) r")"
expect_eq "page_size capped at 100" "100|100" \
  "$(sql "select r->>'page_size', jsonb_array_length(r->'items') from catalog_search(null, null, null, 1, 1000) r")"
expect_eq "page 2 follows page 1" \
  "$(sql "select catalog_search(null, null, null, 1, 20)->'items'->10->>'code'")" \
  "$(sql "select catalog_search(null, null, null, 2, 10)->'items'->0->>'code'")"
expect_eq "domain filter" "0" \
  "$(sql "select count(*) from jsonb_array_elements(catalog_search('', 'dat-dai', null, 1, 100)->'items') i where i->>'domain' <> 'dat-dai'")"
expect_eq "unit filter: a department handles no commune-level procedure" "0" \
  "$(sql "select catalog_search('khai sinh', null, 'HN-D-TP', 1, 10)->>'total'")"
expect_eq "procedure_view: 126 units, domain name, no search_text" "126|Hộ tịch|f|Đăng ký khai sinh" \
  "$(sql "select jsonb_array_length(v->'units'), v->>'domain_name_vi', v ? 'search_text', v->>'name_vi' from procedure_view('$BIRTH') v")"
expect_eq "procedure_view of nothing is NULL" "t" "$(sql "select procedure_view('no-such') is null")"

# ---------------------------------------------------------------------------------------------------------------
# Working days: counted after the local (Asia/Ho_Chi_Minh) day of the start; weekends and holidays skipped.
expect_eq "Friday + 1 -> Monday" "2026-03-09" "$(sql "select cong_add_working_days('2026-03-06 10:00+07', 1)")"
expect_eq "Friday + 5 -> next Friday" "2026-03-13" "$(sql "select cong_add_working_days('2026-03-06 23:59+07', 5)")"
expect_eq "local day, not UTC: Thu 20:00 UTC is Fri in Hanoi" "2026-03-09" \
  "$(sql "select cong_add_working_days('2026-03-05 20:00+00', 1)")"
# Tết Bính Ngọ 2026: days off Mon 16 to Fri 20 February, so from Thursday 12 February: Fri 13, Mon 23, Tue 24.
expect_eq "across Tết 2026" "2026-02-24" "$(sql "select cong_add_working_days('2026-02-12 09:00+07', 3)")"
expect_eq "Saturday before Tết + 1" "2026-02-23" "$(sql "select cong_add_working_days('2026-02-14 09:00+07', 1)")"
# 30/4 (Thu) and 1/5 (Fri) 2026: from Wednesday 29 April, the next working day is Monday 4 May.
expect_eq "across 30/4-1/5 2026" "2026-05-04" "$(sql "select cong_add_working_days('2026-04-29 15:00+07', 1)")"
expect_eq "0 days: the day itself" "2026-04-29" "$(sql "select cong_add_working_days('2026-04-29 15:00+07', 0)")"

# ---------------------------------------------------------------------------------------------------------------
# dossier_submit
UP=$(sql "insert into uploads (id, owner, sha256, size_bytes, media_type) values (gen_random_uuid(), '$S', md5('$S') || md5('$S'), 10, 'application/pdf') returning id")
UP_OTHER=$(sql "insert into uploads (id, owner, sha256, size_bytes, media_type) values (gen_random_uuid(), '$OTHER', md5('$OTHER') || md5('$OTHER'), 10, 'application/pdf') returning id")
WD=$(sql "insert into wallet_documents (id, owner, kind, title_vi, title_en, sha256, media_type) values (gen_random_uuid(), '$S', 'verified', 'Căn cước', 'Identity card', md5('w') || md5('w'), 'application/pdf') returning id")
submit() { # submit KEY HASH PROCEDURE UNIT ATTACHMENTS [SUBJECT]
  sql "select http_status, body, replayed from dossier_submit('${6:-$S}', '${6:-$S}', ${1}, '$2', '$3', '$4', '{\"ho_ten\":\"Nguyễn Văn A\"}', '$5', 'req-$RUNID')"
}
r=$(submit "'k1-$RUNID'" h1 "$BIRTH" HN-W-001 "[{\"name\":\"Giấy chứng sinh\",\"upload_id\":\"$UP\"}]")
expect_match "submit: 201" '^201\|' "$r"
CODE=$(sed -E 's/.*"code": "([^"]+)".*/\1/' <<<"$r")
expect_match "code HN-<year>-NNNNNNN" '^HN-20[0-9]{2}-[0-9]{7}$' "$CODE"
expect_match "body: status, version, due_date, submitted_at with offset" \
  '"status": "submitted".*"version": 1.*"due_date": "[0-9]{4}-[0-9]{2}-[0-9]{2}".*"submitted_at": "[0-9-]{10}T[0-9:]{8}\+07:00"' "$r"
expect_eq "not a replay" "f" "${r##*|}"
expect_eq "dossier row" "1|submitted|1|$S" "$(sql "select count(*), min(status), min(version), min(subject) from dossiers where code = '$CODE'")"
expect_eq "due date = working days from now" "t" \
  "$(sql "select due_date = cong_add_working_days(submitted_at, p.processing_days) from dossiers d join procedures p on p.code = d.procedure_code where d.code = '$CODE'")"
expect_eq "attachment row with the upload's hash" "1|Giấy chứng sinh|t" \
  "$(sql "select count(*), min(a.name), bool_and(a.sha256 = u.sha256) from dossier_attachments a join dossiers d on d.id = a.dossier_id join uploads u on u.id = a.upload_id where d.code = '$CODE'")"
expect_eq "event: submit by the citizen" "1|submit|citizen|$S|submitted" \
  "$(sql "select e.version, e.action, e.actor_role, e.actor, e.to_status from dossier_events e join dossiers d on d.id = e.dossier_id where d.code = '$CODE'")"
expect_eq "portal outbox, version 1, full payload" "1|submit|$BIRTH|HN-W-001|t" \
  "$(sql "select version, payload->>'action', payload->>'procedure_code', payload->>'unit_code', payload ?& array['dossier_code','version','status','submitted_at','due_date','at'] from portal_outbox where dossier_code = '$CODE'")"
expect_eq "push outbox to the subject" "dossier.status|$CODE|submitted|1" \
  "$(sql "select topic, payload->>'code', payload->>'status', payload->>'version' from push_outbox where subject = '$S'")"
expect_eq "idempotency row: 201 and the body" "201|$CODE" \
  "$(sql "select status, response->>'code' from idempotency_keys where subject = '$S' and key = 'k1-$RUNID'")"

r2=$(submit "'k1-$RUNID'" h1 "$BIRTH" HN-W-001 "[{\"name\":\"Giấy chứng sinh\",\"upload_id\":\"$UP\"}]")
expect_eq "replay: same answer, replayed" "${r%|*}|t" "$r2"
expect_eq "replay created nothing" "1" "$(sql "select count(*) from dossiers where subject = '$S'")"
expect_eq "same key, other request: 422" '422|{"problem": "idempotency-key-reused"}|f' \
  "$(submit "'k1-$RUNID'" h2 "$BIRTH" HN-W-002 '[]')"

expect_eq "unknown procedure: 404" '404|{"problem": "not-found"}|f' "$(submit "'k2-$RUNID'" h3 no-such HN-W-001 '[]')"
expect_eq "a failed call keeps no key" "0" "$(sql "select count(*) from idempotency_keys where subject = '$S' and key = 'k2-$RUNID'")"
expect_eq "unit not handling: 422" '422|{"errors": [{"code": "unit-not-handling", "field": "unit"}], "problem": "validation-failed"}|f' \
  "$(submit NULL h "$BIRTH" HN-D-TP '[]')"
foreign=$(submit NULL h "$BIRTH" HN-W-001 "[{\"name\":\"a\",\"upload_id\":\"$UP_OTHER\"},{\"name\":\"b\",\"upload_id\":\"00000000-0000-0000-0000-000000000000\"},{\"name\":\"c\",\"upload_id\":\"not-a-uuid\"}]")
expect_eq "foreign and unknown uploads look the same" \
  '422|{"errors": [{"code": "unknown-attachment", "field": "attachments[0]"}, {"code": "unknown-attachment", "field": "attachments[1]"}, {"code": "invalid-attachment", "field": "attachments[2]"}], "problem": "validation-failed"}|f' "$foreign"
NOCOPY=$(sql "select code from procedures where level = 'commune' and not accepts_electronic_copies order by code limit 1")
COPY=$(sql "select code from procedures where level = 'commune' and accepts_electronic_copies order by code limit 1")
expect_match "wallet document refused when electronic copies are not accepted" '"code": "electronic-copies-not-accepted", "field": "attachments\[0\]"' \
  "$(submit NULL h "$NOCOPY" HN-W-001 "[{\"name\":\"a\",\"wallet_document_id\":\"$WD\"}]")"
expect_match "another's wallet document: unknown" '"code": "unknown-attachment"' \
  "$(submit NULL h "$COPY" HN-W-001 "[{\"name\":\"a\",\"wallet_document_id\":\"$WD\"}]" "$OTHER")"
expect_match "own wallet document accepted" '^201\|' \
  "$(submit NULL h "$COPY" HN-W-001 "[{\"name\":\"a\",\"wallet_document_id\":\"$WD\"}]")"
expect_eq "filed by an authorized person with their own upload" "201" \
  "$(sql "select http_status from dossier_submit('$OTHER-x', '$OTHER', NULL, 'h', '$BIRTH', 'HN-W-001', '{}', '[{\"name\":\"a\",\"upload_id\":\"$UP_OTHER\"}]', 'r')")"

# Concurrency: two transactions with the same key; the first holds its transaction open (3 s) and the second starts
# once the first has filed (its session is seen sleeping), however long that took.
C="test-sql-$RUNID-conc"
call="select http_status, body->>'code', replayed from dossier_submit('$C', '$C', 'kc', 'hc', '$BIRTH', 'HN-W-001', '{}', '[]', 'r')"
PGAPPNAME="$C-first" psql -h 127.0.0.1 -p "$PG_PORT" -U cong -d cong -qAtX -c "begin" -c "$call" -c "select pg_sleep(3)" -c "commit" >"$GW_DIR/c1" 2>&1 &
p1=$!
first_holds() { [ "$(sql "select count(*) from pg_stat_activity where application_name = '$C-first' and query like '%pg_sleep%'")" = 1 ]; }
wait_until 30 first_holds || bad "the first transaction never reached its pg_sleep"
psql -h 127.0.0.1 -p "$PG_PORT" -U cong -d cong -qAtX -c "begin" -c "$call" -c "commit" >"$GW_DIR/c2" 2>&1 &
p2=$!
wait $p1 $p2
c1=$(grep '^20' "$GW_DIR/c1"); c2=$(grep '^20' "$GW_DIR/c2")
expect_eq "concurrent same key: one dossier" "1" "$(sql "select count(*) from dossiers where subject = '$C'")"
expect_match "the first creates" '^201\|HN-.*\|f$' "$c1"
expect_eq "the second waits and replays it" "${c1%|f}|t" "$c2"

# ---------------------------------------------------------------------------------------------------------------
# dossier_transition: every rule of dossier_transitions, on three dossiers.
tr() { # tr CODE ACTOR ROLE ACTION [UNITS] [RESULT]
  sql "select http_status, coalesce(body->>'status', body->>'current_status'), body->>'version' from dossier_transition('$1', '$2', '$3', '$4', 'note $4', ${5:-NULL}, ${6:-NULL}, 'req-$RUNID')"
}
U="array['HN-W-001']"
new_dossier() { sql "select body->>'code' from dossier_submit('$S', '$S', NULL, 'h', '$BIRTH', 'HN-W-001', '{}', '[]', 'r')"; }
RESULT="'{\"sha256\":\"$(printf %064d 7)\",\"signature\":\"eyJ.x.y\",\"media_type\":\"application/pdf\"}'"

expect_eq "complete on submitted: 409" '409|{"action": "complete", "problem": "invalid-transition", "current_status": "submitted"}' \
  "$(sql "select http_status, body from dossier_transition('$CODE', '$OFF', 'official', 'complete', null, $U, null, 'r')")"
expect_eq "a citizen cannot receive: 409" "409|submitted|" "$(tr "$CODE" "$S" citizen receive)"
expect_match "unknown action: 422" '^422\|' "$(sql "select http_status, body from dossier_transition('$CODE', '$OFF', 'official', 'destroy', null, $U, null, 'r')")"
expect_eq "another citizen: 404" '404|{"problem": "not-found"}' \
  "$(sql "select http_status, body from dossier_transition('$CODE', '$OTHER', 'citizen', 'withdraw', null, null, null, 'r')")"
expect_eq "an official of another unit: 404" '404|{"problem": "not-found"}' \
  "$(sql "select http_status, body from dossier_transition('$CODE', '$OFF', 'official', 'receive', null, array['HN-W-002'], null, 'r')")"
expect_eq "no dossier: 404" "404||" "$(tr HN-0000-0000000 "$OFF" official receive "$U")"

expect_eq "receive"            "200|received|2"             "$(tr "$CODE" "$OFF" official receive "$U")"
expect_eq "process (received)" "200|processing|3"           "$(tr "$CODE" "$OFF" official process "$U")"
expect_eq "request_supplement" "200|supplement_requested|4" "$(tr "$CODE" "$OFF" official request_supplement "$U")"
expect_eq "supplement (citizen)" "200|supplement_submitted|5" "$(tr "$CODE" "$S" citizen supplement)"
expect_eq "process (supplement_submitted)" "200|processing|6" "$(tr "$CODE" "$OFF" official process "$U")"
expect_eq "approve"            "200|approved|7"             "$(tr "$CODE" "$OFF" official approve "$U")"
expect_match "issue_result without the result: 422" '^422\|.*result.sha256.*result.signature.*result.media_type' \
  "$(sql "select http_status, body from dossier_transition('$CODE', '$OFF', 'official', 'issue_result', null, $U, '{}', 'r')")"
expect_eq "issue_result (approved)" "200|result_issued|8"   "$(tr "$CODE" "$OFF" official issue_result "$U" "$RESULT")"
expect_eq "complete"           "200|completed|9"            "$(tr "$CODE" "$OFF" official complete "$U")"
expect_eq "complete twice: 409" "409|completed|"                     "$(tr "$CODE" "$OFF" official complete "$U")"
expect_eq "timestamps set" "t|t|t|$(printf %064d 7)|eyJ.x.y" \
  "$(sql "select received_at is not null, decided_at is not null, completed_at is not null, result_sha256, result_signature from dossiers where code = '$CODE'")"
expect_eq "result in the applicant's wallet" "1|result|Kết quả: Đăng ký khai sinh|eyJ.x.y|application/pdf" \
  "$(sql "select count(*), min(kind), min(title_vi), min(signature), min(media_type) from wallet_documents where owner = '$S' and dossier_code = '$CODE'")"
expect_eq "one event and one portal row per version" "9|9|1,2,3,4,5,6,7,8,9" \
  "$(sql "select (select count(*) from dossier_events e join dossiers d on d.id = e.dossier_id where d.code = '$CODE'), count(*), string_agg(version::text, ',' order by version) from portal_outbox where dossier_code = '$CODE'")"
expect_eq "push per version" "9" "$(sql "select count(*) from push_outbox where subject = '$S' and payload->>'code' = '$CODE'")"

D2=$(new_dossier)
expect_eq "receive (2)"  "200|received|2"   "$(tr "$D2" "$OFF" official receive "$U")"
expect_eq "process (2)"  "200|processing|3" "$(tr "$D2" "$OFF" official process "$U")"
expect_eq "reject"       "200|rejected|4"   "$(tr "$D2" "$OFF" official reject "$U")"
expect_eq "issue_result (rejected)" "200|result_issued|5" "$(tr "$D2" "$OFF" official issue_result "$U" "$RESULT")"
D3=$(new_dossier)
expect_eq "withdraw (citizen)" "200|withdrawn|2" "$(tr "$D3" "$S" citizen withdraw)"
expect_eq "nothing after withdrawal" "409|withdrawn|" "$(tr "$D3" "$OFF" official receive "$U")"
expect_eq "every rule was exercised" "11" "$(sql "select count(*) from dossier_transitions t where exists (select 1 from dossier_events e join dossiers d on d.id = e.dossier_id where d.code in ('$CODE', '$D2', '$D3') and e.action = t.action and e.from_status = t.from_status)")"

# dossier_view
expect_eq "citizen view: timeline oldest first, officials anonymous" "9|submit|$S|receive||supplement|$S|1" \
  "$(sql "select jsonb_array_length(v->'timeline'), v->'timeline'->0->>'action', v->'timeline'->0->>'actor', v->'timeline'->1->>'action', v->'timeline'->1->>'actor', v->'timeline'->4->>'action', v->'timeline'->4->>'actor', jsonb_array_length(v->'attachments') from dossier_view('$CODE', '$S', null) v")"
expect_eq "attachments in the view" "Giấy chứng sinh|$UP" \
  "$(sql "select v->'attachments'->0->>'name', v->'attachments'->0->>'upload_id' from dossier_view('$CODE', '$S', null) v")"
expect_eq "another citizen sees nothing" "t" "$(sql "select dossier_view('$CODE', '$OTHER', null) is null")"
expect_eq "an official of the unit sees it" "completed" "$(sql "select dossier_view('$CODE', null, array['HN-W-009', 'HN-W-001'])->>'status'")"
expect_eq "an official of another unit sees nothing" "t" "$(sql "select dossier_view('$CODE', null, array['HN-W-002']) is null")"

# ---------------------------------------------------------------------------------------------------------------
# KPIs on a controlled data set: ISO week 2024-W10, Monday 4 to Sunday 10 March 2024 (local time).
kpi_cleanup() {
  sql "delete from dossier_events where dossier_id in (select id from dossiers where unit_code like 'TEST-KPI-%');
       delete from portal_outbox where dossier_id in (select id from dossiers where unit_code like 'TEST-KPI-%');
       delete from dossiers where unit_code like 'TEST-KPI-%'" >/dev/null
}
kpi_cleanup
sql "insert into units (code, name, name_en, kind) values ('TEST-KPI-U1', 'Đơn vị thử 1', 'Test unit 1', 'department'),
       ('TEST-KPI-U2', 'Đơn vị thử 2', 'Test unit 2', 'department'), ('TEST-KPI-U3', 'Đơn vị thử 3', 'Test unit 3', 'department')
     on conflict do nothing;
     insert into procedures (code, name_vi, name_en, domain, level, fee_vnd, processing_days, min_loa, online_level, accepts_electronic_copies)
     values ('TEST-KPI-P', 'Thủ tục thử KPI', 'KPI test procedure', 'ho-tich', 'city', 0, 3, 1, 'full', true) on conflict do nothing;
     insert into procedure_units values ('TEST-KPI-P', 'TEST-KPI-U1'), ('TEST-KPI-P', 'TEST-KPI-U2'), ('TEST-KPI-P', 'TEST-KPI-U3')
     on conflict do nothing" >/dev/null
# name unit status submitted_at due_date completed_at   -> what it counts for in 2024-W10
kd() {
  sql "insert into dossiers (code, procedure_code, unit_code, subject, submitted_by, status, form, fee_vnd, submitted_at, due_date, completed_at)
       values ('TEST-KPI-$RUNID-$1', 'TEST-KPI-P', 'TEST-KPI-$2', '$S', '$S', '$3', '{}', 0, '$4', '$5', ${6:-NULL})" >/dev/null
}
kd A U1 completed  '2024-03-04 09:00+07' 2024-03-08 "'2024-03-08 16:00+07'"  # received, on time
kd B U1 completed  '2024-03-05 10:00+07' 2024-03-06 "'2024-03-07 09:00+07'"  # received, late
kd C U1 submitted  '2024-03-10 23:30+07' 2024-03-15                           # received (Sunday night), in progress
kd D U1 submitted  '2024-03-11 00:30+07' 2024-03-14                           # next week (still Sunday in UTC): nothing
kd E U1 processing '2024-02-20 09:00+07' 2024-03-01                           # open, overdue
kd F U1 completed  '2024-02-26 09:00+07' 2024-03-08 "'2024-03-12 10:00+07'"  # open at the week's end, overdue
kd G U1 withdrawn  '2024-03-06 09:00+07' 2024-03-11                           # received, not open
kd H U1 completed  '2024-02-28 09:00+07' 2024-03-20 "'2024-03-04 00:10+07'"  # on time (Sunday in UTC, Monday here)
kd I U1 completed  '2024-03-01 09:00+07' 2024-03-08 "'2024-03-10 23:50+07'"  # late
kd J U1 received   '2024-03-01 09:00+07' 2024-03-11                           # in progress
kd K U1 completed  '2024-03-01 09:00+07' 2024-03-12 "'2024-03-11 00:05+07'"  # open at the week's end, in progress
kd L U1 processing '2024-03-01 09:00+07' 2024-03-10                           # due on Sunday, open after it: overdue
kd N U1 completed  '2024-03-01 09:00+07' 2024-03-07 "'2024-03-08 06:00+07'"  # late (still the 7th in UTC)
kd O U1 completed  '2024-03-01 09:00+07' 2024-03-06 "'2024-03-06 23:30+07'"  # on time
kd P U2 completed  '2024-03-04 10:00+07' 2024-03-06 "'2024-03-05 10:00+07'"  # received, on time
kd Q U2 submitted  '2024-03-07 10:00+07' 2024-03-14                           # received, in progress
# U1: received A B C G = 4; on time A H O = 3; late B I N = 3 (50.0 %); in progress C J K = 3; overdue E F L = 3.
# U2: received P Q = 2; on time P = 1 (100.0 %); in progress Q = 1.  U3: nothing, not listed.
K="select unit_code, received, completed_on_time, completed_late, in_progress, overdue, on_time_rate from kpi_units"
expect_eq "kpi_units 2024-W10" "TEST-KPI-U1|4|3|3|3|3|50.0
TEST-KPI-U2|2|1|0|1|0|100.0" "$(sql "$K('2024-03-04') where unit_code like 'TEST-KPI-%'")"
expect_eq "any day of the week names the week" "$(sql "$K('2024-03-04') where unit_code like 'TEST-KPI-%'")" \
  "$(sql "$K('2024-03-07') where unit_code like 'TEST-KPI-%'")"
expect_eq "unit name" "Đơn vị thử 1" "$(sql "select unit_name from kpi_units('2024-03-04') where unit_code = 'TEST-KPI-U1'")"
expect_eq "2024-W11: D received, F late, K on time; C D E J L and Q open and due by Sunday 17" "TEST-KPI-U1|1|1|1|0|5|50.0
TEST-KPI-U2|0|0|0|0|1|" "$(sql "$K('2024-03-11') where unit_code like 'TEST-KPI-%'")"
L="select unit_code, overdue, on_time_rate, reasons from kpi_late_units"
expect_eq "late units, threshold 60" "TEST-KPI-U1|3|50.0|{overdue,below_threshold}" \
  "$(sql "$L('2024-03-04', 60) where unit_code like 'TEST-KPI-%'")"
expect_eq "late units, threshold 40" "TEST-KPI-U1|3|50.0|{overdue}" \
  "$(sql "$L('2024-03-04', 40) where unit_code like 'TEST-KPI-%'")"
expect_eq "late units, threshold 100.1" "TEST-KPI-U1|3|50.0|{overdue,below_threshold}
TEST-KPI-U2|0|100.0|{below_threshold}" "$(sql "$L('2024-03-04', 100.1) where unit_code like 'TEST-KPI-%'")"
# City-wide: only the fixtures live in early 2024. W10: on time A H O P = 4, late B I N = 3 -> 57.1 %.
expect_eq "kpi_trend 3 weeks to 2024-03-10" "2024-02-19|2024-W08|0|0|
2024-02-26|2024-W09|0|0|
2024-03-04|2024-W10|4|3|57.1" "$(sql "select * from kpi_trend(3, '2024-03-10')")"
expect_eq "kpi_trend: W11" "2024-03-11|2024-W11|1|1|50.0" "$(sql "select * from kpi_trend(1, '2024-03-17')")"
kpi_cleanup

finish

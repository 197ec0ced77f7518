#!/usr/bin/env bash
# Dossiers that wait for their fee (modules/procedures/migrations/0010_fees.sql), the SQL layer through psql, no
# gateway: a fee due at submission files the dossier as awaiting_payment (the unit cannot receive it, the citizen may
# withdraw it); dossier_fee_paid moves it to submitted with a 'pay' event by 'system', a portal outbox row, a push
# event and a due date counted from the payment; a fee due with the result blocks issue_result (409
# payment-required) until paid; a fee-free procedure is filed as before. Fixtures: procedures TEST-FEE-* of this run.
source "$(dirname "$0")/lib.sh"

sql() { psql -h 127.0.0.1 -p "$PG_PORT" -U cong -d cong -v ON_ERROR_STOP=1 -qAtX -c "$1" 2>&1; }

RUNID=$(date +%s)-$$-$RANDOM
S="test-fee-$RUNID"
OFF="test-fee-$RUNID-official"
P_SUB="TEST-FEE-S-$RUNID"  # 50,000 VND due at submission, 5 working days
P_RES="TEST-FEE-R-$RUNID"  # 30,000 VND due with the result
P_FREE="TEST-FEE-F-$RUNID" # no fee
UNIT=HN-W-001
U="array['$UNIT']"
sql "insert into procedures (code, name_vi, name_en, domain, level, fee_vnd, fee_stage, processing_days, min_loa,
       online_level, accepts_electronic_copies)
     values ('$P_SUB', 'Thủ tục thử phí', 'Fee test', 'ho-tich', 'commune', 50000, 'submission', 5, 1, 'full', true),
            ('$P_RES', 'Thủ tục thử phí khi trả', 'Fee with result test', 'ho-tich', 'commune', 30000, 'result', 1, 1,
             'full', true),
            ('$P_FREE', 'Thủ tục thử miễn phí', 'Free test', 'ho-tich', 'commune', 0, 'submission', 1, 1, 'full', true);
     insert into procedure_units values ('$P_SUB', '$UNIT'), ('$P_RES', '$UNIT'), ('$P_FREE', '$UNIT')" >/dev/null
expect_eq "a procedure's fee is due at submission unless it says otherwise" "'submission'::text" \
  "$(sql "select column_default from information_schema.columns where table_name = 'procedures'
          and column_name = 'fee_stage' and table_schema = current_schema()")"

submit() { sql "select http_status || '|' || (body->>'status') || '|' || (body->>'code') from dossier_submit('$S', '$S',
                NULL, 'h', '$1', '$UNIT', '{}', '[]', 'req-$RUNID')"; }
tr() { sql "select http_status, coalesce(body->>'status', body->>'current_status'), body->>'problem'
            from dossier_transition('$1', '$2', '$3', '$4', null, ${5:-NULL}, ${6:-NULL}, 'req-$RUNID')"; }
code_of() { cut -d'|' -f3 <<<"$1"; }
paid() { sql "select dossier_fee_paid('$1', gen_random_uuid(), 'req-pay-$RUNID')"; }

# ---- a fee due at submission ----
r=$(submit "$P_SUB")
expect_match "filed: 201, awaiting_payment" '^201\|awaiting_payment\|HN-' "$r"
D=$(code_of "$r")
expect_eq "the fee and stage at filing are the dossier's" "50000|submission|" \
  "$(sql "select fee_vnd, fee_stage, paid_at from dossiers where code = '$D'")"
expect_eq "the unit cannot receive it: 409" "409|awaiting_payment|invalid-transition" \
  "$(tr "$D" "$OFF" official receive "$U")"
expect_eq "portal outbox: version 1, awaiting_payment" "1|awaiting_payment|submit" \
  "$(sql "select version, payload->>'status', payload->>'action' from portal_outbox where dossier_code = '$D'")"
# paid on a later day than filing would show a new due date; make the filing look a week old
sql "update dossiers set submitted_at = now() - interval '7 days', due_date = cong_add_working_days(now() - interval
     '7 days', 5) where code = '$D'" >/dev/null
expect_eq "dossier_fee_paid: submitted" submitted "$(paid "$D")"
expect_eq "now submitted, version 2, paid, due 5 working days after the payment" "submitted|2|t|t" \
  "$(sql "select status, version, paid_at is not null, due_date = cong_add_working_days(paid_at, 5) from dossiers
          where code = '$D'")"
expect_eq "event: pay by system, awaiting_payment → submitted, naming the payment" \
  "pay|system|system|awaiting_payment|submitted|t|req-pay-$RUNID" \
  "$(sql "select e.action, e.actor, e.actor_role, e.from_status, e.to_status, e.note like 'payment:%', e.request_id
          from dossier_events e join dossiers d on d.id = e.dossier_id where d.code = '$D' and e.version = 2")"
expect_eq "portal outbox: version 2, submitted, pay" "2|submitted|pay" \
  "$(sql "select version, payload->>'status', payload->>'action' from portal_outbox where dossier_code = '$D'
          and version = 2")"
expect_eq "push to the applicant: dossier.status submitted" "dossier.status|submitted|2" \
  "$(sql "select topic, payload->>'status', payload->>'version' from push_outbox where subject = '$S'
          and payload->>'code' = '$D' order by id desc limit 1")"
expect_eq "paid twice: already-paid, nothing changed" "already-paid|2" \
  "$(paid "$D")|$(sql "select version from dossiers where code = '$D'")"
expect_eq "the unit receives it now" "200|received|" "$(tr "$D" "$OFF" official receive "$U")"

# ---- withdrawn while waiting ----
D2=$(code_of "$(submit "$P_SUB")")
expect_eq "the citizen withdraws a dossier awaiting its fee" "200|withdrawn|" "$(tr "$D2" "$S" citizen withdraw)"
expect_eq "a payment after that: not-payable, still withdrawn" "not-payable|withdrawn|" \
  "$(paid "$D2")|$(sql "select status, paid_at from dossiers where code = '$D2'")"

# ---- a fee due with the result ----
D3=$(code_of "$(submit "$P_RES")")
expect_eq "a fee due with the result: filed as submitted" submitted "$(sql "select status from dossiers where code = '$D3'")"
for a in receive process approve; do tr "$D3" "$OFF" official $a "$U" >/dev/null; done
RESULT="'{\"sha256\":\"$(printf %064d 7)\",\"signature\":\"eyJ.x.y\",\"media_type\":\"application/pdf\"}'"
expect_eq "issue_result before payment: 409 payment-required" "409|approved|payment-required" \
  "$(tr "$D3" "$OFF" official issue_result "$U" "$RESULT")"
expect_eq "no result in the wallet" 0 "$(sql "select count(*) from wallet_documents where dossier_code = '$D3'")"
expect_eq "paid: recorded, the status unchanged" "recorded|approved|t" \
  "$(paid "$D3")|$(sql "select status, paid_at is not null from dossiers where code = '$D3'")"
expect_eq "...with an event approved → approved" "pay|approved|approved" \
  "$(sql "select e.action, e.from_status, e.to_status from dossier_events e join dossiers d on d.id = e.dossier_id
          where d.code = '$D3' order by e.version desc limit 1")"
expect_eq "issue_result now" "200|result_issued|" "$(tr "$D3" "$OFF" official issue_result "$U" "$RESULT")"

# ---- no fee: as before ----
r=$(submit "$P_FREE")
expect_match "a fee-free procedure: submitted" '^201\|submitted\|' "$r"
expect_eq "...nothing to pay" not-payable "$(paid "$(code_of "$r")")"
expect_eq "an unknown dossier" not-found "$(paid HN-0000-none)"

finish

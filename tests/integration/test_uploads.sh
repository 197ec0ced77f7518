#!/usr/bin/env bash
# Uploads under pressure: the route's own rate class ("upload", rate_limits.upload_*), the daily quota per owner
# (modules.procedures.upload_daily_files / upload_daily_bytes: 429 upload-quota-exceeded, nothing written), and the
# sweep job that removes uploads no dossier uses once they are older than upload_retention_s (row and file), keeping
# attachments, results, and contents another upload still holds.
source "$(dirname "$0")/lib.sh"
RUNID="$$-$RANDOM"
start_gateway CONG_RATE_LIMITS_DEFAULT_BURST=1000 CONG_RATE_LIMITS_UPLOAD_PER_MINUTE=1 CONG_RATE_LIMITS_UPLOAD_BURST=5 \
  CONG_MODULES_PROCEDURES_UPLOAD_MAX_BYTES=4096 CONG_MODULES_PROCEDURES_UPLOAD_DAILY_FILES=3 \
  CONG_MODULES_PROCEDURES_UPLOAD_DAILY_BYTES=6000 CONG_MODULES_PROCEDURES_UPLOAD_RETENTION_S=3600 \
  CONG_MODULES_PROCEDURES_UPLOAD_SWEEP_INTERVAL_S=1 || exit 1
DATA="$GW_DIR/data"

pdf() { # FILE PADDING_BYTES → a small PDF unique to this run and FILE
  { printf '%%PDF-1.4\n%% %s %s\n' "$(basename "$1")" "$RUNID"; head -c "$2" /dev/zero | tr '\0' ' '
    printf '\n%%%%EOF\n'; } >"$1"
}
up() { # TOKEN FILE → status; body in $GW_DIR/body, headers in $GW_DIR/headers
  curl -s --http2-prior-knowledge --max-time 10 -o "$GW_DIR/body" -D "$GW_DIR/headers" -w '%{http_code}' -X POST \
    -H "authorization: Bearer $1" --data-binary @"$2" "$(url /v1/uploads)"
}
field() { json "$1" <"$GW_DIR/body"; }
header() { grep -i "^$1:" "$GW_DIR/headers" | head -1 | cut -d' ' -f2- | tr -d '\r'; }
stored() { find "$DATA" -type f -not -name '.upload-*' | wc -l; }
file_of() { echo "$DATA/${1:0:2}/$1"; }

# ---- the daily quota: files ----
A=$(token --sub "quota-a-$RUNID" --acr 1)
for i in 1 2 3; do
  pdf "$GW_DIR/a$i.pdf" 100
  expect_eq "upload $i of 3" 201 "$(up "$A" "$GW_DIR/a$i.pdf")"
done
pdf "$GW_DIR/a4.pdf" 100
before=$(stored)
expect_eq "a fourth file today: 429" 429 "$(up "$A" "$GW_DIR/a4.pdf")"
expect_match "upload-quota-exceeded" '/upload-quota-exceeded$' "$(field type)"
expect_eq "which quota" files "$(field quota)"
expect_eq "its limit" 3 "$(field limit)"
RETRY=$(header retry-after)
expect_match "Retry-After: until midnight in Hanoi" '^[0-9]+$' "$RETRY"
[ "${RETRY:-0}" -ge 1 ] && [ "${RETRY:-0}" -le 86400 ] && ok || bad "Retry-After $RETRY out of 1..86400"
expect_eq "nothing was written for it" "$before" "$(stored)"
expect_eq "the same bytes again count too" 429 "$(up "$A" "$GW_DIR/a1.pdf")"
expect_eq "another owner is not affected" 201 "$(up "$(token --sub "quota-other-$RUNID" --acr 1)" "$GW_DIR/a4.pdf")"

# ---- the daily quota: bytes (6000 a day) ----
B=$(token --sub "quota-b-$RUNID" --acr 1)
pdf "$GW_DIR/b1.pdf" 3500
pdf "$GW_DIR/b2.pdf" 3000
pdf "$GW_DIR/b3.pdf" 100
expect_eq "3.5 KB" 201 "$(up "$B" "$GW_DIR/b1.pdf")"
expect_eq "3 KB more: over 6000 bytes" 429 "$(up "$B" "$GW_DIR/b2.pdf")"
expect_eq "which quota" bytes "$(field quota)"
expect_eq "a small one still fits" 201 "$(up "$B" "$GW_DIR/b3.pdf")"

# ---- the upload rate class: its own burst (5), apart from the default class ----
C=$(token --sub "rate-c-$RUNID" --acr 1)
codes=
for _ in 1 2 3 4 5 6 7; do
  codes+="$(curl -s --http2-prior-knowledge --max-time 10 -o "$GW_DIR/body" -w '%{http_code}' -X POST \
    -H "authorization: Bearer $C" --data-binary '' "$(url /v1/uploads)") "
done
expect_eq "a burst of 5 uploads, then 429 (empty bodies: refused by the handler, after the limiter)" \
  "422 422 422 422 422 429 429 " "$codes"
expect_match "rate-limited" '/rate-limited$' "$(field type)"
expect_eq "the default class of the same caller is untouched" 200 \
  "$(curl -s --http2-prior-knowledge -o /dev/null -w '%{http_code}' -H "authorization: Bearer $C" "$(url /v1/me/documents)")"
expect_match "the upload class has its own bucket in Redis" 'cong:rl:upload:' \
  "$(redis-cli -p "$REDIS_PORT" --scan --pattern 'cong:rl:upload:*' | head -1)"

# ---- the same bytes again refresh the stored file's time (the sweep goes by it) ----
F=$(token --sub "touch-f-$RUNID" --acr 1)
expect_eq "upload" 201 "$(up "$F" "$GW_DIR/b3.pdf")"
touch -d '2 hours ago' "$(file_of "$(field sha256)")"
expect_eq "the same bytes by another owner" 201 "$(up "$(token --sub "touch-g-$RUNID" --acr 1)" "$GW_DIR/b3.pdf")"
age=$(($(date +%s) - $(stat -c %Y "$(file_of "$(field sha256)")")))
[ "$age" -lt 600 ] && ok || bad "the stored file was not touched (age ${age}s)"

# ---- the sweep ----
# keep: attached to a dossier; result: a dossier's result; stale: used by nothing; shared: used by nothing, but
# another owner uploaded the same bytes recently; fresh: used by nothing, recent. All but fresh are made 2 h old.
upload_as() { # NAME SUBJECT ACR → id (the file $GW_DIR/NAME.pdf)
  pdf "$GW_DIR/$1.pdf" 200
  local tok
  tok=$(token --sub "$2-$RUNID" --acr "$3")
  [ "$(up "$tok" "$GW_DIR/$1.pdf")" = 201 ] || bad "upload $1"
  field id
}
KEEP=$(upload_as keep sweep-keep 2)
RESULT=$(upload_as result sweep-result 1)
STALE=$(upload_as stale sweep-stale 1)
SHARED=$(upload_as shared sweep-shared 1)
FRESH=$(upload_as fresh sweep-fresh 1)
expect_eq "the same bytes as 'shared', by another owner, now" 201 \
  "$(up "$(token --sub "sweep-copy-$RUNID" --acr 1)" "$GW_DIR/shared.pdf")"
sha_of() { psql_cong "SELECT sha256 FROM uploads WHERE id = '$1'"; }
KEEP_SHA=$(sha_of "$KEEP") RESULT_SHA=$(sha_of "$RESULT") STALE_SHA=$(sha_of "$STALE") SHARED_SHA=$(sha_of "$SHARED")
FRESH_SHA=$(sha_of "$FRESH")
# keep becomes an attachment of a dossier its owner files
KEEP_TOKEN=$(token --sub "sweep-keep-$RUNID" --acr 2)
curl -s --http2-prior-knowledge "$(url '/v1/procedures?q=dang%20ky%20khai%20sinh')" >"$GW_DIR/search.json"
CODE=$(python3 -S -c 'import json,sys; print(json.load(open(sys.argv[1]))["items"][0]["code"])' "$GW_DIR/search.json")
curl -s --http2-prior-knowledge "$(url "/v1/procedures/$CODE")" >"$GW_DIR/procedure.json"
UNIT=$(python3 -S -c 'import json,sys; print(json.load(open(sys.argv[1]))["units"][0]["code"])' "$GW_DIR/procedure.json")
SUBMIT=$(python3 -S -c 'import json,sys; print(json.dumps({"procedure_code":sys.argv[1],"unit_code":sys.argv[2],"form":json.loads(sys.argv[3]),"attachments":[{"name":"Giấy tờ","upload_id":sys.argv[4]}]}, ensure_ascii=False))' "$CODE" "$UNIT" "$(valid_form "$GW_DIR/procedure.json")" "$KEEP")
expect_eq "a dossier with 'keep' attached" 201 "$(curl -s --http2-prior-knowledge -o "$GW_DIR/body" -w '%{http_code}' \
  -H "authorization: Bearer $KEEP_TOKEN" -H 'content-type: application/json' -H "idempotency-key: sweep-$RUNID" \
  -d "$SUBMIT" "$(url /v1/dossiers)")"
DOSSIER=$(field code)
# result's content becomes that dossier's result (as issue_result records it)
psql_cong "UPDATE dossiers SET result_sha256 = '$RESULT_SHA' WHERE code = '$DOSSIER'" >/dev/null
# files first: a sweep between the two would find a row due and its file recent, and keep the file (an upload of the
# same bytes may be under way)
for sha in "$KEEP_SHA" "$RESULT_SHA" "$STALE_SHA" "$SHARED_SHA"; do touch -d '2 hours ago' "$(file_of "$sha")"; done
psql_cong "UPDATE uploads SET last_uploaded_at = now() - interval '2 hours'
           WHERE id IN ('$KEEP', '$RESULT', '$STALE', '$SHARED')" >/dev/null
gone=
for _ in $(seq 1 150); do # the sweep runs every second
  [ "$(psql_cong "SELECT count(*) FROM uploads WHERE id = '$STALE'")" = 0 ] && [ ! -e "$(file_of "$STALE_SHA")" ] &&
    gone=yes && break
  sleep 0.2
done
expect_eq "an unused upload past the retention: row and file removed" yes "$gone"
row() { psql_cong "SELECT count(*) FROM uploads WHERE id = '$1'"; }
present() { [ -e "$(file_of "$1")" ] && echo yes || echo no; }
expect_eq "the attached upload stays" "1 yes" "$(row "$KEEP") $(present "$KEEP_SHA")"
expect_eq "the result's upload stays" "1 yes" "$(row "$RESULT") $(present "$RESULT_SHA")"
expect_eq "the recent upload stays" "1 yes" "$(row "$FRESH") $(present "$FRESH_SHA")"
# the stale shared row goes with the same sweep as 'stale' (or the next): its file stays for the other owner
for _ in $(seq 1 50); do [ "$(row "$SHARED")" = 0 ] && break; sleep 0.2; done
expect_eq "an unused upload whose bytes another owner holds: the row goes, the file stays" "0 yes" \
  "$(row "$SHARED") $(present "$SHARED_SHA")"
expect_match "the sweep says what it removed" 'upload sweep: [0-9]+ unused file\(s\) removed' "$(cat "$GW_DIR/stderr")"
expect_eq "the dossier still shows its attachment" 200 "$(curl -s --http2-prior-knowledge -o /dev/null -w '%{http_code}' \
  -H "authorization: Bearer $KEEP_TOKEN" "$(url "/v1/dossiers/$DOSSIER")")"
finish

#!/usr/bin/env bash
# The tamper-evident audit log (modules/audit) end to end: production refuses to serve without the audit key; records
# written with cong_audit() by concurrent transactions (one commits late, with a smaller id) are sealed by the jobs of
# two gateways at once; the signed tree head verifies
# with the published key (Python's `cryptography`, not cong's code); inclusion and consistency proofs verify with an
# independent RFC 9162 implementation (below, a few lines of Python over the RFC's definitions); then a copy of the
# log is tampered by hand — a record edited, deleted, two swapped, one inserted — and `cong audit verify` exits 1 naming
# the record, and 0 on the untouched copy. And "who used my data": a record about S by A is in S's access log, not in
# A's; pages follow the cursor; proofs=1 carries proofs that verify. PostgreSQL gone: 503, not a wrong 200. A forged
# leaf beyond the head stops the sealer; a new audit key (restart) keeps the old heads verifiable.
source "$(dirname "$0")/lib.sh"

PG_CONNINFO="host=127.0.0.1 port=$PG_PORT dbname=cong user=cong"
TAG="t$$r$RANDOM"           # this run's records: subjects and objects carry it (the log is shared with other tests)
S="subj-S-$TAG" A="subj-A-$TAG"

cat >"$GW_DIR/rfc9162.py" <<'PY'
# RFC 9162 §2.1 from the RFC's text: MTH, inclusion (2.1.3.2) and consistency (2.1.4.2) verification, ES256 heads.
import base64, hashlib, json, struct, sys
H = lambda b: hashlib.sha256(b).digest()
node = lambda l, r: H(b"\x01" + l + r)
def verify_inclusion(leaf_hash, index, size, path, root):
    if index >= size: return False
    fn, sn, r = index, size - 1, leaf_hash
    for p in path:
        if sn == 0: return False
        if fn & 1 or fn == sn:
            r = node(p, r)
            while not fn & 1 and fn != 0: fn >>= 1; sn >>= 1
        else:
            r = node(r, p)
        fn >>= 1; sn >>= 1
    return sn == 0 and r == root
def verify_consistency(first, second, root1, root2, path):
    if first == second: return not path and root1 == root2
    if not path or first > second: return False
    if first & (first - 1) == 0: path = [root1] + path
    fn, sn = first - 1, second - 1
    while fn & 1: fn >>= 1; sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0: return False
        if fn & 1 or fn == sn:
            fr, sr = node(c, fr), node(c, sr)
            while not fn & 1 and fn != 0: fn >>= 1; sn >>= 1
        else:
            sr = node(sr, c)
        fn >>= 1; sn >>= 1
    return fr == root1 and sr == root2 and sn == 0
def verify_head(head, jwks):
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec, utils
    b64u = lambda s: base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))
    jwk = next(k for k in jwks["keys"] if k["kid"] == head["key_id"])
    pub = ec.EllipticCurvePublicNumbers(int.from_bytes(b64u(jwk["x"]), "big"), int.from_bytes(b64u(jwk["y"]), "big"),
                                        ec.SECP256R1()).public_key()
    spki = pub.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    assert base64.urlsafe_b64encode(H(spki)).rstrip(b"=").decode() == head["key_id"], "key id"
    msg = b"cong-audit-tree-head-v1\x00" + struct.pack(">QQ", head["tree_size"], head["timestamp"]) + \
        base64.b64decode(head["root_hash"])
    sig = base64.b64decode(head["signature"])
    pub.verify(utils.encode_dss_signature(int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big")), msg,
               ec.ECDSA(hashes.SHA256()))
    return True
if __name__ == "__main__":
    d = lambda s: base64.b64decode(s)
    what, a = sys.argv[1], [json.load(open(f)) for f in sys.argv[2:]]
    if what == "head":        # head.json keys.json
        ok = verify_head(a[0], a[1])
    elif what == "inclusion": # proof.json head.json
        p, h = a
        ok = p["tree_size"] == h["tree_size"] and verify_inclusion(d(p["leaf_hash"]), p["leaf_index"], p["tree_size"],
                                                                   [d(x) for x in p["audit_path"]], d(h["root_hash"]))
    elif what == "leaf":      # proof.json (with the record, for its parties): the leaf as the README defines it,
        p = a[0]              # made here from the record's fields, is the one served, and gives leaf_hash
        r = p["record"]
        field = lambda v: b"\x00" if v is None else b"\x01" + struct.pack(">I", len(v.encode())) + v.encode()
        mine = b"\x01" + struct.pack(">QQ", p["leaf_index"], r["id"]) + b"".join(field(r[k]) for k in (
            "at", "actor", "actor_kind", "subject", "action", "object", "mandate_id", "request_id", "instance",
            "module")) + field(json.dumps(r["detail"]))  # jsonb's text of a one-key object is json.dumps'
        ok = mine == d(r["leaf"]) and H(b"\x00" + mine) == d(p["leaf_hash"])
    elif what == "consistency": # proof.json head1.json head2.json
        p, h1, h2 = a
        ok = verify_consistency(h1["tree_size"], h2["tree_size"], d(h1["root_hash"]), d(h2["root_hash"]),
                                [d(x) for x in p["consistency_path"]])
    elif what == "page":      # page.json head.json: every sealed item's proof
        p, h = a
        items = [i for i in p["items"] if i["sealed"]]
        ok = len(items) > 0 and all(verify_inclusion(d(i["leaf_hash"]), i["leaf_index"], h["tree_size"],
                                                     [d(x) for x in i["inclusion_proof"]["audit_path"]],
                                                     d(h["root_hash"])) for i in items)
    print("ok" if ok else "BAD")
PY
rfc() { python3 "$GW_DIR/rfc9162.py" "$@" 2>&1 | tail -1; }
get() { h2c "$(url "$1")" >"$GW_DIR/$2"; }
# sealed_all TAG: every record of ours has a leaf index
sealed_all() {
  [ "$(psql_cong "SELECT count(*) FROM audit_records WHERE object LIKE 'obj:$TAG:%' AND leaf_index IS NULL")" = 0 ]
}
# write N ACTOR KIND SUBJECT ACTION: N records, each in its own transaction
write() {
  local i sql=""
  for i in $(seq 1 "$1"); do
    sql+="SELECT cong_audit('test', '$2', '$3', NULLIF('$4', ''), '$5', 'obj:$TAG:$i', 'req-$TAG-$i', '{\"n\": $i}');"
  done
  psql -h 127.0.0.1 -p "$PG_PORT" -U cong -d cong -qAtX -v ON_ERROR_STOP=1 <<<"$sql" >/dev/null
}

# ---- production refuses to serve without its own audit key, or with a key that is not P-256 ----
start_gateway CONG_SERVER_ENVIRONMENT=production CONG_MODULES_AUDIT_SIGNING_KEY_FILE= >/dev/null 2>&1
expect_eq "no audit key: the gateway does not serve" "" "$(kill -0 "$GW_PID" 2>/dev/null && echo running)"
wait "$GW_PID" 2>/dev/null; GW_PID=
expect_match "...and says why" "modules.audit.signing_key_file is required to serve" "$(cat "$GW_DIR/stderr")"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$GW_DIR/rsa.pem" 2>/dev/null
start_gateway CONG_MODULES_AUDIT_SIGNING_KEY_FILE="$GW_DIR/rsa.pem" >/dev/null 2>&1
expect_eq "an RSA key: refused" "" "$(kill -0 "$GW_PID" 2>/dev/null && echo running)"
wait "$GW_PID" 2>/dev/null; GW_PID=
expect_match "...and says why" "cannot load a P-256 private key" "$(cat "$GW_DIR/stderr")"

# ---- two instances seal the same log at once (one at a time, by the lock); b reaches PostgreSQL through a relay ----
SEAL=(CONG_MODULES_AUDIT_SEAL_INTERVAL_MS=150 CONG_MODULES_AUDIT_SEAL_BATCH=37)
relay_start PGR "$PG_PORT" || { bad "relay"; finish; exit 1; }
GW_NAME=b start_gateway "${SEAL[@]}" CONG_POSTGRES_CONNINFO="host=127.0.0.1 port=$PGR_PORT dbname=cong user=cong" \
  || { finish; exit 1; }
wait_stores_up || { finish; exit 1; }
B_PID=$GW_PID B_PORT=$H2C_PORT B_ADMIN=$ADMIN_PORT
GW_PID=
GW_NAME=a start_gateway "${SEAL[@]}" || { finish; exit 1; }
wait_stores_up || { finish; exit 1; }

# ---- concurrent writers, one of them commits late with the smallest id ----
# It takes its id, then stays open until a record with a larger id has been sealed (waiting, not a fixed sleep: on a
# busy machine the writers may start seconds later), then commits.
PGAPPNAME="late-$TAG" psql -h 127.0.0.1 -p "$PG_PORT" -U cong -d cong -qAtX -c "BEGIN;
  SELECT cong_audit('test', 'late', 'system', NULL, 'test.late', 'obj:$TAG:late', NULL);
  DO \$\$ DECLARE t0 timestamptz := clock_timestamp(); mine bigint;
  BEGIN
    SELECT id INTO mine FROM audit_records WHERE object = 'obj:$TAG:late';
    WHILE NOT EXISTS (SELECT 1 FROM audit_records WHERE object LIKE 'obj:$TAG:%' AND id > mine
                        AND leaf_index IS NOT NULL) AND clock_timestamp() - t0 < interval '60 s' LOOP
      PERFORM pg_sleep(0.05);
    END LOOP;
  END \$\$; COMMIT;" >/dev/null &
LATE=$!
late_waiting() { # the late transaction has its id and waits (pg_sleep shows as the wait event PgSleep)
  [ "$(psql_cong "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'late-$TAG' AND wait_event = 'PgSleep'")" = 1 ]
}
wait_until 30 late_waiting || bad "the late transaction did not start"
WRITERS=()
for w in 1 2 3 4; do write 25 "$A" official "$S" dossier.view & WRITERS+=($!); done
wait "${WRITERS[@]}" # (not a bare wait: the gateway is a child too)
write 3 "$S" citizen "$S" auth.login       # the person's own actions: not in their access log
write 2 "client:partner-$TAG" partner "$S" partner.read
write 2 "$S" citizen "$A" mandate.use      # about A, by S
wait "$LATE" 2>/dev/null
expect_eq "every record sealed within 30 s" ok "$(wait_until 30 sealed_all && echo ok)"
expect_eq "leaf indexes are dense and unique" "t" "$(psql_cong "SELECT count(*) = count(DISTINCT leaf_index) AND
  max(leaf_index) + 1 = count(*) FROM audit_records WHERE leaf_index IS NOT NULL")"
expect_eq "the late commit (smallest id) got a later leaf than a larger id" "t" "$(psql_cong "SELECT
  (SELECT leaf_index FROM audit_records WHERE object = 'obj:$TAG:late') >
  (SELECT min(leaf_index) FROM audit_records WHERE object LIKE 'obj:$TAG:%' AND id > (SELECT id FROM audit_records
   WHERE object = 'obj:$TAG:late'))")"

# ---- the signed head, checked by Python's cryptography with the published JWKS ----
get /v1/audit/tree-head head1.json
get /v1/audit/keys keys.json
expect_eq "the head's signature verifies (independent verifier)" ok \
  "$(rfc head "$GW_DIR/head1.json" "$GW_DIR/keys.json")"
expect_match "the head is public and briefly cacheable" "max-age=1" \
  "$(curl -s -o /dev/null -D - --http2-prior-knowledge "$(url /v1/audit/tree-head)" | grep -i cache-control)"
N1=$(json tree_size <"$GW_DIR/head1.json")
# its first character changed to another (setting it to a fixed letter changed nothing when it was that letter already)
python3 -S -c 'import json, sys; d = json.load(open(sys.argv[1])); s = d["signature"]
d["signature"] = ("B" if s[0] == "A" else "A") + s[1:]; json.dump(d, open(sys.argv[2], "w"))' \
  "$GW_DIR/head1.json" "$GW_DIR/head1-bad.json"
expect_no_match "a changed signature does not verify" "^ok$" "$(rfc head "$GW_DIR/head1-bad.json" "$GW_DIR/keys.json")"

# ---- inclusion proofs, by anyone; the content only for its parties ----
ID=$(psql_cong "SELECT id FROM audit_records WHERE object = 'obj:$TAG:7' AND action = 'dossier.view' LIMIT 1")
get "/v1/audit/records/$ID/proof?tree_size=$N1" proof.json
expect_eq "inclusion proof verifies against the signed head (RFC 9162, independent)" ok \
  "$(rfc inclusion "$GW_DIR/proof.json" "$GW_DIR/head1.json")"
expect_eq "anonymous: no content" "" "$(json record <"$GW_DIR/proof.json")"
h2c -H "authorization: Bearer $(token --sub "$S" --acr 1)" "$(url "/v1/audit/records/$ID/proof?tree_size=$N1")" \
  >"$GW_DIR/proof-s.json"
expect_eq "the subject sees the record; its leaf, rebuilt in Python from the fields as documented, gives the leaf hash" \
  ok "$(rfc leaf "$GW_DIR/proof-s.json")"
expect_match "the content is the record's" '"action": "dossier.view"' \
  "$(json record <"$GW_DIR/proof-s.json" | tr "'" '"')"
h2c -H "authorization: Bearer $(token --sub "someone-else-$TAG" --acr 1)" \
  "$(url "/v1/audit/records/$ID/proof?tree_size=$N1")" >"$GW_DIR/proof-x.json"
expect_eq "someone else: no content" "" "$(json record <"$GW_DIR/proof-x.json")"
python3 - "$GW_DIR/proof.json" <<'PY' >"$GW_DIR/proof-wrong.json"
import json, sys; p = json.load(open(sys.argv[1])); p["leaf_index"] ^= 1; print(json.dumps(p))
PY
expect_eq "the same proof for another position does not verify" BAD \
  "$(rfc inclusion "$GW_DIR/proof-wrong.json" "$GW_DIR/head1.json")"
expect_eq "unknown record: 404" 404 "$(call "" GET /v1/audit/records/999999999999/proof)"
expect_eq "no head of that size: 404" 404 "$(call "" GET "/v1/audit/records/$ID/proof?tree_size=999999999999")"
expect_eq "a bad id: 400" 400 "$(call "" GET /v1/audit/records/abc/proof)"

# ---- a second head, and the consistency proof between them ----
write 40 "$A" official "$S" dossier.accept
expect_eq "the second wave sealed" ok "$(wait_until 30 sealed_all && echo ok)"
get /v1/audit/tree-head head2.json
N2=$(json tree_size <"$GW_DIR/head2.json")
expect_eq "the log grew" 1 "$([ "$N2" -gt "$N1" ] && echo 1)"
expect_eq "the second head verifies" ok "$(rfc head "$GW_DIR/head2.json" "$GW_DIR/keys.json")"
get "/v1/audit/consistency?first=$N1&second=$N2" consistency.json
expect_eq "consistency proof verifies (RFC 9162, independent)" ok \
  "$(rfc consistency "$GW_DIR/consistency.json" "$GW_DIR/head1.json" "$GW_DIR/head2.json")"
python3 - "$GW_DIR/head1.json" "$GW_DIR/head2.json" <<'PY' >"$GW_DIR/head1-wrong.json"
import json, sys
h1, h2 = (json.load(open(f)) for f in sys.argv[1:]); h1["root_hash"] = h2["root_hash"]; print(json.dumps(h1))
PY
expect_eq "...and not from another first root" BAD \
  "$(rfc consistency "$GW_DIR/consistency.json" "$GW_DIR/head1-wrong.json" "$GW_DIR/head2.json")"
get "/v1/audit/tree-head?tree_size=$N1" head1-again.json
expect_eq "a past head by its size" "$(json root_hash <"$GW_DIR/head1.json")" \
  "$(json root_hash <"$GW_DIR/head1-again.json")"
expect_eq "consistency needs signed sizes: 404" 404 \
  "$(call "" GET "/v1/audit/consistency?first=$N1&second=999999999999")"
expect_eq "first > second: 400" 400 "$(call "" GET "/v1/audit/consistency?first=$N2&second=$N1")"

# ---- "who used my data" ----
TS=$(token --sub "$S" --acr 1) TA=$(token --sub "$A" --acr 1)
expect_eq "access log needs a token" 401 "$(call "" GET /v1/me/access-log)"
expect_eq "S's access log" 200 "$(call "$TS" GET "/v1/me/access-log?limit=100")"
expect_eq "S sees the officials' actions and the partner's reads, newest 100, not their own logins" "100 40 58 2 0" \
  "$(body | python3 -S -c 'import json,sys; it=json.load(sys.stdin)["items"]; c=lambda a: sum(i["action"]==a for i in it)
print(len(it), c("dossier.accept"), c("dossier.view"), c("partner.read"), c("auth.login"))')"
expect_eq "newest first, texts in both languages, no pseudonym of a person" "ok" "$(body | python3 -c '
import json,sys; it=json.load(sys.stdin)["items"]; ids=[i["id"] for i in it]
ok = ids == sorted(ids, reverse=True) and all(i["text"]["vi"] and i["text"]["en"] for i in it)
ok = ok and all(i["actor"] is None for i in it if i["actor_kind"] == "official") and "'"$A"'" not in json.dumps(it)
ok = ok and any(i["actor"] == "client:partner-'"$TAG"'" for i in it)
print("ok" if ok else "BAD")')"
expect_eq "A's access log has the use of A's mandate by S only" "mandate.use mandate.use" \
  "$(call "$TA" GET /v1/me/access-log >/dev/null; body | python3 -S -c 'import json,sys
print(" ".join(i["action"] for i in json.load(sys.stdin)["items"]))')"
# pages: 142 records about S by others (100 views, 40 accepts, 2 partner reads), 30 a page
SEEN=""; CURSOR=""; PAGES=0
while :; do
  call "$TS" GET "/v1/me/access-log?limit=30${CURSOR:+&cursor=$CURSOR}" >/dev/null
  SEEN+=" $(body | python3 -S -c 'import json,sys; print(" ".join(str(i["id"]) for i in json.load(sys.stdin)["items"]))')"
  CURSOR=$(field next_cursor); PAGES=$((PAGES + 1))
  [ -n "$CURSOR" ] && [ "$PAGES" -lt 10 ] || break
done
expect_eq "five pages, every record once" "5 142 142" \
  "$PAGES $(wc -w <<<"$SEEN") $(tr ' ' '\n' <<<"$SEEN" | grep . | sort -u | wc -l)"
expect_eq "bad limit: 400" 400 "$(call "$TS" GET "/v1/me/access-log?limit=0")"
call "$TS" GET "/v1/me/access-log?limit=10&proofs=1" >/dev/null
body >"$GW_DIR/page.json"
get "/v1/audit/tree-head?tree_size=$(json tree_size <"$GW_DIR/page.json")" page-head.json
expect_eq "proofs=1: every sealed item's proof verifies against the head it names" ok \
  "$(rfc page "$GW_DIR/page.json" "$GW_DIR/page-head.json")"
write 1 "$A" official "$S" dossier.complete # may be unsealed when read: then it says so
call "$TS" GET "/v1/me/access-log?limit=1&proofs=1" >/dev/null
expect_match "the newest item: sealed with a proof, or sealed false" \
  '"sealed": false|"inclusion_proof"' \
  "$(body | python3 -S -c 'import json,sys; print(json.dumps(json.load(sys.stdin)["items"][0]))')"

# ---- tampering, each on a fresh copy of the log (the shared one stays intact for every other gateway) ----
COPY="audit_copy_$TAG"
copy_log() {
  psql_cong "SET client_min_messages = warning; DROP SCHEMA IF EXISTS $COPY CASCADE" >/dev/null
  psql -h 127.0.0.1 -p "$PG_PORT" -U cong -d cong -qAtX -v ON_ERROR_STOP=1 >/dev/null <<SQL
BEGIN ISOLATION LEVEL REPEATABLE READ;
CREATE SCHEMA $COPY;
CREATE TABLE $COPY.audit_records AS SELECT * FROM public.audit_records;
CREATE TABLE $COPY.audit_nodes AS SELECT * FROM public.audit_nodes;
CREATE TABLE $COPY.audit_tree_heads AS SELECT * FROM public.audit_tree_heads;
CREATE TABLE $COPY.audit_keys AS SELECT * FROM public.audit_keys;
COMMIT;
SQL
}
trap 'psql_cong "DROP SCHEMA IF EXISTS $COPY CASCADE" >/dev/null 2>&1; stop_gateway >/dev/null 2>&1
  [ -n "${B_PID:-}" ] && kill "$B_PID" 2>/dev/null; for p in "${EXTRA_PIDS[@]}"; do kill "$p" 2>/dev/null; done' EXIT
in_copy() { psql_cong "SET search_path = $COPY, public; $1" >/dev/null; }
verify() {
  env CONG_POSTGRES_CONNINFO="$PG_CONNINFO options='-csearch_path=$COPY,public'" ASAN_OPTIONS=detect_leaks=1 \
    "$BUILD/cong" audit verify >"$GW_DIR/verify.out" 2>"$GW_DIR/verify.err"
  echo $?
}
out() { head -1 "$GW_DIR/verify.out"; }
# the record with our object N and its leaf index
rec() {
  psql_cong "SELECT id || ' ' || leaf_index FROM $COPY.audit_records WHERE object = 'obj:$TAG:$1' AND action = '$2'"
}

copy_log
expect_eq "untouched: verify exits 0" 0 "$(verify)"
expect_match "...and says so" "^audit log intact: [0-9]+ sealed records" "$(out)"

copy_log; read -r id li <<<"$(rec 12 dossier.accept)"
in_copy "UPDATE audit_records SET object = 'obj:changed' WHERE id = $id"
expect_eq "edited: exit 1" 1 "$(verify)"
expect_eq "edited: names the record" \
  "FIRST: record id $id at leaf index $li: edited — its content does not give its sealed leaf hash" "$(out)"

copy_log; read -r id li <<<"$(rec 13 dossier.accept)"
in_copy "UPDATE audit_records SET detail = '{\"n\": 13, \"x\": 1}' WHERE id = $id"
expect_eq "detail edited: exit 1" 1 "$(verify)"
expect_match "detail edited: names the record" "^FIRST: record id $id at leaf index $li: edited" "$(out)"

copy_log; read -r id li <<<"$(rec 20 dossier.accept)"
in_copy "DELETE FROM audit_records WHERE id = $id"
expect_eq "deleted: exit 1" 1 "$(verify)"
expect_match "deleted: names the leaf index" "^FIRST: leaf index $li\.\.$li: missing — record\(s\) deleted" "$(out)"

copy_log; read -r id1 li1 <<<"$(rec 5 dossier.accept)"; read -r id2 li2 <<<"$(rec 9 dossier.accept)"
in_copy "UPDATE audit_records SET leaf_index = CASE id WHEN $id1 THEN $li2 ELSE $li1 END WHERE id IN ($id1, $id2)"
expect_eq "reordered: exit 1" 1 "$(verify)"
expect_eq "reordered: names the first of the two" \
  "FIRST: record id $id2 at leaf index $li1: reordered — it was sealed at leaf index $li2" "$(out)"

copy_log
N=$(psql_cong "SELECT max(tree_size) FROM $COPY.audit_tree_heads")
in_copy "INSERT INTO audit_records (id, actor, actor_kind, subject, action, instance, module, leaf_index, leaf_hash)
  VALUES (999999999, 'x', 'admin', '$S', 'test.forged', 'x', 'test', $N, '\\x00')"
expect_eq "inserted beyond the head: exit 1" 1 "$(verify)"
expect_eq "inserted: names the record" \
  "FIRST: record id 999999999 at leaf index $N: inserted — beyond the latest signed tree head (size $N)" "$(out)"

copy_log; read -r id li <<<"$(rec 3 dossier.accept)"
in_copy "UPDATE audit_records SET leaf_index = leaf_index + 1000000000 WHERE id = $id"
expect_eq "moved out of the tree: exit 1" 1 "$(verify)"
expect_match "moved out: the hole is named first" "^FIRST: leaf index $li\.\.$li: missing" "$(out)"

copy_log
in_copy "UPDATE audit_tree_heads SET signed_at_ms = signed_at_ms + 1 WHERE tree_size = $N1"
expect_eq "a head changed: exit 1" 1 "$(verify)"
expect_match "a head changed: its signature fails" "signed tree head of size $N1: its signature does not verify" \
  "$(cat "$GW_DIR/verify.out")"
expect_eq "no secret, no content in the report" "" \
  "$(grep -E "obj:|$S|$A|PRIVATE" "$GW_DIR/verify.out" "$GW_DIR/verify.err")"

# ---- PostgreSQL gone: 503 with Retry-After, never a wrong 200 (gateway b, through its relay) ----
A_PORT=$H2C_PORT A_ADMIN=$ADMIN_PORT H2C_PORT=$B_PORT ADMIN_PORT=$B_ADMIN
relay_stop PGR
wait_store_down postgres
expect_eq "tree head without PostgreSQL: 503" 503 "$(call "" GET /v1/audit/tree-head)"
expect_match "...with Retry-After" "[0-9]" "$(header retry-after)"
expect_eq "access log without PostgreSQL: 503" 503 "$(call "$TS" GET /v1/me/access-log)"
expect_eq "proof without PostgreSQL: 503" 503 "$(call "" GET "/v1/audit/records/$ID/proof")"
GW_NAME=b GW_PID=$B_PID stop_gateway
H2C_PORT=$A_PORT ADMIN_PORT=$A_ADMIN GW_NAME=a

# ---- a sealed leaf beyond the latest head in the live log: the sealer stops rather than sign over it ----
# The latest head is read and the forged row written under the sealer's own lock, so that no sealing (of this
# gateway or of another test's on the same database) slips in between and moves the head the checks name.
N=$(psql -h 127.0.0.1 -p "$PG_PORT" -U cong -d cong -v ON_ERROR_STOP=1 -qAtX <<SQL | tail -1
BEGIN;
SELECT pg_advisory_xact_lock(hashtext('cong.audit.seal'));
INSERT INTO audit_records (id, actor, actor_kind, action, instance, module, leaf_index, leaf_hash)
  SELECT -$$, 'x', 'admin', 'test.forged', 'x', 'test', max(tree_size) + 5, '\x00' FROM audit_tree_heads;
SELECT leaf_index - 5 FROM audit_records WHERE id = -$$;
COMMIT;
SQL
)
write 1 "$A" official "$S" dossier.complete
stopped() { grep -q "sealing stopped: records are sealed up to leaf $((N + 6)) but the latest signed head has $N" \
  "$GW_DIR/a.stderr"; }
expect_eq "the sealer says it stopped" ok "$(wait_until 30 stopped && echo ok)"
expect_eq "...and sealed nothing over it" "$N" "$(psql_cong "SELECT max(tree_size) FROM audit_tree_heads")"
psql_cong "DELETE FROM audit_records WHERE id = -$$" >/dev/null
expect_eq "the forged row gone, sealing goes on" ok "$(wait_until 30 sealed_all && echo ok)"

# ---- the audit key rotates by a restart with a new key: old heads keep verifying, both keys are published ----
stop_gateway
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$GW_DIR/audit2.pem" 2>/dev/null
GW_NAME=c # kept: finish checks this gateway's log for sanitizer reports
start_gateway "${SEAL[@]}" CONG_MODULES_AUDIT_SIGNING_KEY_FILE="$GW_DIR/audit2.pem" || { finish; exit 1; }
wait_stores_up || { finish; exit 1; }
# Other tests' gateways share this database and seal with the suite's usual key, the one that signed head1: a head
# of ours may be signed by one of them. So: records until the latest head is one this gateway signed with its new key.
signed_by_new_key() {
  write 1 "$A" official "$S" dossier.complete
  wait_until 10 sealed_all || return 1
  get /v1/audit/tree-head head3.json
  [ "$(json key_id <"$GW_DIR/head3.json")" != "$(json key_id <"$GW_DIR/head1.json")" ]
}
expect_eq "a new key signed a new head" ok "$(wait_until 60 signed_by_new_key && echo ok)"
get /v1/audit/keys keys2.json
expect_eq "the new head verifies with the published keys" ok "$(rfc head "$GW_DIR/head3.json" "$GW_DIR/keys2.json")"
expect_eq "...and so does the old one" ok "$(rfc head "$GW_DIR/head1.json" "$GW_DIR/keys2.json")"
get "/v1/audit/consistency?first=$N1&second=$(json tree_size <"$GW_DIR/head3.json")" consistency2.json
expect_eq "history is consistent across the rotation" ok \
  "$(rfc consistency "$GW_DIR/consistency2.json" "$GW_DIR/head1.json" "$GW_DIR/head3.json")"

# the live log is still intact (nothing here touched it for good) and the sealer still runs
expect_eq "the shared log verifies" 0 "$(env CONG_POSTGRES_CONNINFO="$PG_CONNINFO" ASAN_OPTIONS=detect_leaks=1 \
  "$BUILD/cong" audit verify >"$GW_DIR/verify.out" 2>&1; echo $?)"
finish

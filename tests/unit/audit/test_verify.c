/* Unit tests for the audit module's pure parts: the canonical leaf (leaf.c: bytes exactly as documented, NULL is not
 * ""), tree-head signatures (signer.c: ES256 round trip, a changed head or key refused), the action texts, and the
 * checks of `cong audit verify` (verify.c) on a made-up log: intact, then edited, deleted, reordered, inserted, a
 * rewritten node and a forged head, each named by the first position it concerns. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "modules/audit/action_texts.h"
#include "modules/audit/b64.h"
#include "modules/audit/leaf.h"
#include "modules/audit/signer.h"
#include "modules/audit/verify.h"

#define N 10

static audit_record_t record(uint64_t index, uint64_t id)
{
    static char objects[64][32];
    snprintf(objects[id % 64], sizeof objects[0], "dossier:HN-%llu", (unsigned long long)id);
    audit_record_t r = {.leaf_index = index, .id = id,
                        .fields = {"2026-12-06T09:41:40.123456Z", "official-1", "official", "citizen-9",
                                   "dossier.view", objects[id % 64], NULL, "req-1", "cong-a", "procedures",
                                   "{\"unit\": \"HN-W-001\"}"}};
    return r;
}

static void leaf_bytes(void **state)
{
    (void)state;
    audit_record_t r = {.leaf_index = 2, .id = 7, .fields = {"t", "ab", NULL, "", NULL, NULL, NULL, NULL, NULL, NULL,
                                                             "{}"}};
    size_t len;
    uint8_t *leaf = audit_leaf_encode(&r, &len);
    char hex[256];
    audit_hex_encode(leaf, len, hex);
    assert_string_equal(hex, "01" "0000000000000002" "0000000000000007" "010000000174" "01000000026162" "00"
                             "0100000000" "00" "00" "00" "00" "00" "00" "01000000027b7d");
    free(leaf);
    uint8_t a[32], b[32];
    assert_int_equal(audit_record_hash(&r, a), 0);
    r.fields[3] = NULL; /* "" and NULL are different leaves */
    assert_int_equal(audit_record_hash(&r, b), 0);
    assert_memory_not_equal(a, b, 32);
    r.fields[3] = "";
    r.leaf_index = 3; /* so is the same record at another position */
    assert_int_equal(audit_record_hash(&r, b), 0);
    assert_memory_not_equal(a, b, 32);
}

static char key_path[64];

static int make_key(void **state)
{
    (void)state;
    EVP_PKEY *k = EVP_EC_gen("P-256");
    snprintf(key_path, sizeof key_path, "/tmp/cong-audit-test-%ld.pem", (long)getpid());
    FILE *f = fopen(key_path, "w");
    int ok = k != NULL && f != NULL && PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL) == 1;
    if (f != NULL)
        fclose(f);
    EVP_PKEY_free(k);
    return ok ? 0 : -1;
}

static int drop_key(void **state)
{
    (void)state;
    unlink(key_path);
    return 0;
}

static void head_signatures(void **state)
{
    (void)state;
    audit_signer_t s, v;
    uint8_t root[32] = {1, 2, 3}, sig[64];
    assert_int_equal(audit_signer_load(key_path, &s), 0);
    assert_int_equal(strlen(s.kid), 43);
    assert_non_null(strstr(s.jwk, "\"crv\":\"P-256\""));
    assert_int_equal(audit_sign_head(&s, 10, 1796550100123ULL, root, sig), 0);
    assert_int_equal(audit_signer_from_spki(s.spki, s.spki_len, &v), 0);
    assert_string_equal(v.kid, s.kid);
    assert_true(audit_verify_head(&v, 10, 1796550100123ULL, root, sig));
    assert_false(audit_verify_head(&v, 11, 1796550100123ULL, root, sig));
    assert_false(audit_verify_head(&v, 10, 1796550100124ULL, root, sig));
    root[0] ^= 1;
    assert_false(audit_verify_head(&v, 10, 1796550100123ULL, root, sig));
    uint8_t msg[AUDIT_HEAD_MESSAGE_SIZE];
    audit_head_message(1, 2, root, msg);
    assert_memory_equal(msg, "cong-audit-tree-head-v1\0\0\0\0\0\0\0\0\1\0\0\0\0\0\0\0\2", 40);
    audit_signer_free(&s);
    audit_signer_free(&v);
    assert_int_equal(audit_signer_load("/nonexistent", &s), -1);
}

static void action_texts(void **state)
{
    (void)state;
    const audit_action_text_t *t = audit_action_text("dossier.view", "official");
    assert_non_null(t);
    assert_string_equal(t->en, "An official viewed your dossier");
    t = audit_action_text("dossier.view", "citizen"); /* a grantee, under a mandate */
    assert_non_null(t);
    assert_string_equal(t->en, "Someone you authorized viewed your dossier");
    assert_non_null(audit_action_text("mandate.use", NULL));
    assert_null(audit_action_text("something.new", "official"));
    char vi[128], en[128];
    audit_action_generic("something.new", vi, sizeof vi, en, sizeof en);
    assert_string_equal(en, "An action on your data (something.new)");
}

/* ---- a made-up log: N records, heads at 6 and N, stored nodes as the sealer keeps them ---- */

typedef struct fixture {
    audit_signer_t key;
    audit_node_set_t nodes;
    uint8_t leaves[N][32];
    char heads[2][2][160]; /* root hex, signature hex */
    uint64_t sizes[2];
} fixture_t;

static void build(fixture_t *f)
{
    assert_int_equal(audit_signer_load(key_path, &f->key), 0);
    audit_node_set_init(&f->nodes);
    for (uint64_t i = 0; i < N; i++) {
        audit_record_t r = record(i, 100 + i);
        assert_int_equal(audit_record_hash(&r, f->leaves[i]), 0);
        audit_node_set_put(&f->nodes, 0, i, f->leaves[i]);
    }
    audit_nodes_t src = audit_node_set_source(&f->nodes);
    for (int level = 1; (1u << level) <= N; level++)
        for (uint64_t i = 0; (i + 1) << level <= N; i++) {
            uint8_t l[32], r[32], h[32];
            src.get(src.ctx, level - 1, 2 * i, l);
            src.get(src.ctx, level - 1, 2 * i + 1, r);
            audit_node_hash(l, r, h);
            audit_node_set_put(&f->nodes, level, i, h);
        }
    f->sizes[0] = 6;
    f->sizes[1] = N;
    for (int h = 0; h < 2; h++) {
        uint8_t root[32], sig[64];
        assert_int_equal(audit_root(&src, f->sizes[h], root), 0);
        assert_int_equal(audit_sign_head(&f->key, f->sizes[h], 1000 + (uint64_t)h, root, sig), 0);
        audit_hex_encode(root, 32, f->heads[h][0]);
        audit_hex_encode(sig, 64, f->heads[h][1]);
    }
}

/* Loads the fixture into a checker: keys, heads, stored nodes (all copied). */
static void load(const fixture_t *f, audit_verify_t *v)
{
    char spki[300];
    audit_verify_init(v);
    audit_hex_encode(f->key.spki, f->key.spki_len, spki);
    audit_verify_add_key(v, f->key.kid, spki);
    for (int h = 0; h < 2; h++)
        assert_int_equal(audit_verify_add_head(v, f->sizes[h], f->heads[h][0], 1000 + (uint64_t)h, f->key.kid,
                                               f->heads[h][1]), 0);
    for (size_t i = 0; i < f->nodes.cap; i++)
        if (f->nodes.slots[i].key != 0) {
            int level;
            uint64_t index;
            audit_node_key_split(f->nodes.slots[i].key, &level, &index);
            audit_node_set_put(&v->stored, level, index, f->nodes.slots[i].hash);
        }
}

static void feed(audit_verify_t *v, const fixture_t *f, uint64_t i, audit_record_t r)
{
    char hex[65];
    audit_hex_encode(f->leaves[i < N ? i : 0], 32, hex);
    audit_verify_record(v, &r, hex);
}

/* Runs the checker and returns its first line ("" when intact). */
static const char *report(audit_verify_t *v, int *problems)
{
    static char line[512];
    FILE *out = tmpfile();
    *problems = audit_verify_finish(v, out);
    rewind(out);
    line[0] = '\0';
    if (fgets(line, sizeof line, out) != NULL)
        line[strcspn(line, "\n")] = '\0';
    fclose(out);
    audit_verify_free(v);
    return line;
}

static void verify_cases(void **state)
{
    (void)state;
    fixture_t f;
    build(&f);
    audit_verify_t v;
    int problems;

    load(&f, &v); /* intact */
    for (uint64_t i = 0; i < N; i++)
        feed(&v, &f, i, record(i, 100 + i));
    assert_string_equal(report(&v, &problems), "");
    assert_int_equal(problems, 0);

    load(&f, &v); /* edited */
    for (uint64_t i = 0; i < N; i++) {
        audit_record_t r = record(i, 100 + i);
        if (i == 7)
            r.fields[4] = "dossier.accept";
        feed(&v, &f, i, r);
    }
    assert_string_equal(report(&v, &problems),
                        "FIRST: record id 107 at leaf index 7: edited — its content does not give its sealed "
                        "leaf hash");
    assert_int_equal(problems, 1);

    load(&f, &v); /* deleted */
    for (uint64_t i = 0; i < N; i++)
        if (i != 3)
            feed(&v, &f, i, record(i, 100 + i));
    assert_string_equal(report(&v, &problems),
                        "FIRST: leaf index 3..3: missing — record(s) deleted (between record ids 102 and 104)");

    load(&f, &v); /* the last ones deleted */
    for (uint64_t i = 0; i < 8; i++)
        feed(&v, &f, i, record(i, 100 + i));
    assert_string_equal(report(&v, &problems),
                        "FIRST: leaf index 8..9: missing — record(s) deleted (after record id 107)");

    load(&f, &v); /* reordered: 2 and 5 swapped their leaf indexes (their leaf_hash columns went with them) */
    for (uint64_t i = 0; i < N; i++) {
        uint64_t orig = i == 2 ? 5 : i == 5 ? 2 : i;
        audit_record_t r = record(i, 100 + orig);
        char hex[65];
        audit_hex_encode(f.leaves[orig], 32, hex);
        audit_verify_record(&v, &r, hex);
    }
    assert_string_equal(report(&v, &problems),
                        "FIRST: record id 105 at leaf index 2: reordered — it was sealed at leaf index 5");
    assert_int_equal(problems, 2);

    load(&f, &v); /* inserted beyond the latest head */
    for (uint64_t i = 0; i < N; i++)
        feed(&v, &f, i, record(i, 100 + i));
    feed(&v, &f, N, record(N, 999));
    assert_string_equal(report(&v, &problems),
                        "FIRST: record id 999 at leaf index 10: inserted — beyond the latest signed tree head "
                        "(size 10)");

    load(&f, &v); /* a stored node rewritten */
    uint8_t junk[32] = {9};
    audit_node_set_put(&v.stored, 2, 1, junk);
    for (uint64_t i = 0; i < N; i++)
        feed(&v, &f, i, record(i, 100 + i));
    assert_string_equal(report(&v, &problems), "FIRST: tree node (level 2, index 1) over leaves 4..7: missing or not "
                                               "the hash of its children");

    load(&f, &v); /* a record edited together with its leaf and every node above it: the signed roots tell */
    audit_record_t edited = record(8, 108);
    edited.fields[1] = "someone-else";
    uint8_t h[32], l[32], r[32], top[32];
    audit_record_hash(&edited, h);
    audit_node_set_put(&v.stored, 0, 8, h);
    audit_nodes_t src = audit_node_set_source(&v.stored);
    src.get(src.ctx, 0, 9, r);
    audit_node_hash(h, r, top);
    audit_node_set_put(&v.stored, 1, 4, top);
    for (uint64_t i = 0; i < N; i++)
        feed(&v, &f, i, i == 8 ? edited : record(i, 100 + i));
    assert_string_equal(report(&v, &problems), "FIRST: signed tree head of size 10: its root is not the tree's — a "
                                               "leaf between index 6 and 9 was rewritten with its hashes");
    (void)l;

    load(&f, &v); /* a head re-signed by another key */
    v.heads[0].timestamp_ms += 1;
    for (uint64_t i = 0; i < N; i++)
        feed(&v, &f, i, record(i, 100 + i));
    char want[200];
    snprintf(want, sizeof want, "FIRST: signed tree head of size 6: its signature does not verify with audit key %s",
             f.key.kid);
    assert_string_equal(report(&v, &problems), want);

    audit_signer_free(&f.key);
    audit_node_set_free(&f.nodes);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(leaf_bytes),
        cmocka_unit_test(head_signatures),
        cmocka_unit_test(action_texts),
        cmocka_unit_test(verify_cases),
    };
    return cmocka_run_group_tests(tests, make_key, drop_key);
}

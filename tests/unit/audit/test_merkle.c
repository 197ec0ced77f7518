/* Unit tests for modules/audit/merkle.c: the RFC 6962/9162 reference vectors of the Certificate Transparency
 * implementations (8 leaves: roots of every size, inclusion and consistency proofs), then every proof of every tree of
 * 1..64 leaves round-trips through the verifiers, and tampered proofs are refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "modules/audit/merkle.h"

static const char *const leaves_hex[] = {"", "00", "10", "2021", "3031", "40414243", "5051525354555657",
                                         "606162636465666768696a6b6c6d6e6f"};
static const char *const roots_hex[] = {
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
};

typedef struct {
    uint64_t a, b; /* inclusion: leaf a in size b; consistency: size a to size b */
    const char *proof[4];
} vector_t;

static const vector_t inclusion_vectors[] = {
    {0, 8, {"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
    {5, 8, {"bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
};

static const vector_t consistency_vectors[] = {
    {2, 8, {"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
    {6, 8, {"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
    {2, 5, {"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"}},
};

static size_t unhex(const char *hex, uint8_t *out)
{
    size_t n = strlen(hex) / 2;
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        sscanf(hex + 2 * i, "%2x", &v);
        out[i] = (uint8_t)v;
    }
    return n;
}

static void to_hex(const uint8_t *h, char out[65])
{
    for (int i = 0; i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", h[i]);
}

/* A tree of n leaves in a node set: level 0 = the leaf hashes, and every perfect subtree above, as the sealer keeps. */
static void build(audit_node_set_t *s, uint8_t leaves[][AUDIT_HASH_SIZE], uint64_t n)
{
    audit_node_set_init(s);
    for (uint64_t i = 0; i < n; i++)
        assert_int_equal(audit_node_set_put(s, 0, i, leaves[i]), 0);
    for (int level = 1; (UINT64_C(1) << level) <= n; level++)
        for (uint64_t i = 0; (i + 1) << level <= n; i++) {
            uint8_t l[32], r[32], h[32];
            audit_nodes_t src = audit_node_set_source(s);
            assert_int_equal(src.get(src.ctx, level - 1, 2 * i, l), 0);
            assert_int_equal(src.get(src.ctx, level - 1, 2 * i + 1, r), 0);
            audit_node_hash(l, r, h);
            assert_int_equal(audit_node_set_put(s, level, i, h), 0);
        }
}

static uint8_t ref_leaves[8][AUDIT_HASH_SIZE];
#define BIG 64
static uint8_t big_leaves[BIG][AUDIT_HASH_SIZE];

static int setup_ref(void **state)
{
    (void)state;
    for (int i = 0; i < 8; i++) {
        uint8_t data[16];
        size_t n = unhex(leaves_hex[i], data);
        audit_leaf_hash(data, n, ref_leaves[i]);
    }
    for (int i = 0; i < BIG; i++) {
        uint8_t data[2] = {(uint8_t)i, (uint8_t)(i * 7)};
        audit_leaf_hash(data, 2, big_leaves[i]);
    }
    return 0;
}

static void reference_roots(void **state)
{
    (void)state;
    audit_node_set_t s;
    build(&s, ref_leaves, 8);
    audit_nodes_t src = audit_node_set_source(&s);
    for (uint64_t n = 0; n <= 8; n++) {
        uint8_t root[32];
        char hex[65];
        assert_int_equal(audit_root(&src, n, root), 0);
        to_hex(root, hex);
        assert_string_equal(hex, roots_hex[n]);
    }
    audit_node_set_free(&s);
}

static void check_vector(const vector_t *v, int consistency)
{
    audit_node_set_t s;
    build(&s, ref_leaves, 8);
    audit_nodes_t src = audit_node_set_source(&s);
    uint8_t path[AUDIT_MAX_PROOF][AUDIT_HASH_SIZE], root_a[32], root_b[32];
    size_t len = 0, want = 0;
    assert_int_equal(consistency ? audit_consistency_proof(&src, v->a, v->b, path, &len)
                                 : audit_inclusion_proof(&src, v->a, v->b, path, &len), 0);
    while (want < 4 && v->proof[want] != NULL)
        want++;
    assert_int_equal(len, want);
    for (size_t i = 0; i < len; i++) {
        char hex[65];
        to_hex(path[i], hex);
        assert_string_equal(hex, v->proof[i]);
    }
    unhex(roots_hex[v->a], root_a);
    unhex(roots_hex[v->b], root_b);
    if (consistency)
        assert_true(audit_verify_consistency(v->a, v->b, root_a, root_b, path, len));
    else
        assert_true(audit_verify_inclusion(ref_leaves[v->a], v->a, v->b, path, len, root_b));
    audit_node_set_free(&s);
}

static void reference_proofs(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof inclusion_vectors / sizeof inclusion_vectors[0]; i++)
        check_vector(&inclusion_vectors[i], 0);
    for (size_t i = 0; i < sizeof consistency_vectors / sizeof consistency_vectors[0]; i++)
        check_vector(&consistency_vectors[i], 1);
}

static void every_inclusion_proof(void **state)
{
    (void)state;
    audit_node_set_t s;
    build(&s, big_leaves, BIG);
    audit_nodes_t src = audit_node_set_source(&s);
    for (uint64_t n = 1; n <= BIG; n++) {
        uint8_t root[32], path[AUDIT_MAX_PROOF][AUDIT_HASH_SIZE];
        assert_int_equal(audit_root(&src, n, root), 0);
        for (uint64_t m = 0; m < n; m++) {
            size_t len;
            assert_int_equal(audit_inclusion_proof(&src, m, n, path, &len), 0);
            assert_true(audit_verify_inclusion(big_leaves[m], m, n, path, len, root));
            assert_false(audit_verify_inclusion(big_leaves[(m + 1) % BIG], m, n, path, len, root));
            if (n > 1)
                assert_false(audit_verify_inclusion(big_leaves[m], m ^ 1, n, path, len, root) && (m ^ 1) != m);
            if (len > 0) {
                assert_false(audit_verify_inclusion(big_leaves[m], m, n, path, len - 1, root));
                path[len - 1][5] ^= 1;
                assert_false(audit_verify_inclusion(big_leaves[m], m, n, path, len, root));
            }
        }
        size_t len;
        assert_int_equal(audit_inclusion_proof(&src, n, n, path, &len), -1);
    }
    audit_node_set_free(&s);
}

static void every_consistency_proof(void **state)
{
    (void)state;
    audit_node_set_t s;
    build(&s, big_leaves, BIG);
    audit_nodes_t src = audit_node_set_source(&s);
    uint8_t roots[BIG + 1][32];
    for (uint64_t n = 0; n <= BIG; n++)
        assert_int_equal(audit_root(&src, n, roots[n]), 0);
    for (uint64_t n = 1; n <= BIG; n++)
        for (uint64_t m = 0; m <= n; m++) {
            uint8_t path[AUDIT_MAX_PROOF][AUDIT_HASH_SIZE];
            size_t len;
            assert_int_equal(audit_consistency_proof(&src, m, n, path, &len), 0);
            assert_true(audit_verify_consistency(m, n, roots[m], roots[n], path, len));
            if (m > 0 && m < n) {
                assert_false(audit_verify_consistency(m, n, roots[m - 1], roots[n], path, len));
                assert_false(audit_verify_consistency(m, n, roots[m], roots[n - 1], path, len));
                assert_false(audit_verify_consistency(m, n, roots[m], roots[n], path, len - 1));
                path[0][3] ^= 0x80;
                assert_false(audit_verify_consistency(m, n, roots[m], roots[n], path, len));
            }
        }
    audit_node_set_free(&s);
}

/* The recording source names exactly the stored nodes a proof needs: O(log n) of them, all perfect subtrees. */
static void recording_names_the_nodes(void **state)
{
    (void)state;
    audit_node_set_t full, rec;
    build(&full, big_leaves, BIG);
    audit_node_set_init(&rec);
    rec.recording = 1;
    audit_nodes_t src = audit_node_set_source(&rec);
    uint8_t path[AUDIT_MAX_PROOF][AUDIT_HASH_SIZE], root[32];
    size_t len;
    assert_int_equal(audit_inclusion_proof(&src, 37, 61, path, &len), 0);
    assert_int_equal(audit_root(&src, 61, root), 0);
    assert_true(rec.missing_count <= 2 * 6 + 6);
    rec.recording = 0;
    audit_nodes_t full_src = audit_node_set_source(&full);
    for (size_t i = 0; i < rec.missing_count; i++) {
        int level;
        uint64_t index;
        uint8_t h[32];
        audit_node_key_split(rec.missing[i], &level, &index);
        assert_int_equal(full_src.get(full_src.ctx, level, index, h), 0);
        assert_int_equal(audit_node_set_put(&rec, level, index, h), 0);
    }
    uint8_t want[32];
    assert_int_equal(audit_inclusion_proof(&src, 37, 61, path, &len), 0);
    assert_int_equal(audit_root(&src, 61, root), 0);
    assert_int_equal(audit_root(&full_src, 61, want), 0);
    assert_memory_equal(root, want, 32);
    assert_true(audit_verify_inclusion(big_leaves[37], 37, 61, path, len, root));
    uint8_t h[32];
    assert_int_equal(src.get(src.ctx, 0, 3, h), -1); /* not recording, not fetched: an error, never zeros */
    audit_node_set_free(&full);
    audit_node_set_free(&rec);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reference_roots),          cmocka_unit_test(reference_proofs),
        cmocka_unit_test(every_inclusion_proof),    cmocka_unit_test(every_consistency_proof),
        cmocka_unit_test(recording_names_the_nodes),
    };
    return cmocka_run_group_tests(tests, setup_ref, NULL);
}

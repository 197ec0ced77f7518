/*
 * tests/unit/auth/test_es256_verify.c — auth/es256_verify.c (ES256 with a per-key precomputed table) against
 * OpenSSL's EVP verification, which is the reference: on every input both must give the same answer.
 *
 * Covers genuine signatures, every single-bit change of signature and digest, the other half of a signature pair
 * (r, n-s), r or s out of [1, n-1], s + n (crafted with the private key so that it fits in 32 bytes), a sum at the
 * point at infinity, a digest above the group order, s⁻¹ mod n against BN_mod_inverse, another key's signature, and several threads
 * building and using one key's table at once.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "auth/jwt_key_internal.h"
#include "auth_test_helpers.h"
#include "cong/module.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/obj_mac.h>
#include <openssl/rand.h>
#include <pthread.h>

#define HALF (CONG_ES256_SIG_BYTES / 2)

typedef struct pair {
    EVP_PKEY *pkey;     /* private key, signs */
    cong_jwt_key_t *key; /* its public half as cong loads it */
} pair_t;

static pair_t pair_new(void)
{
    pair_t p;
    p.pkey = EVP_EC_gen("P-256");
    assert_non_null(p.pkey);
    size_t len;
    char *pem = pem_of(p.pkey, 0, &len);
    assert_int_equal(cong_jwt_key_load_public_pem(pem, len, &p.key), CONG_OK);
    free(pem);
    return p;
}

static void pair_free(pair_t *p)
{
    cong_jwt_key_free(p->key);
    EVP_PKEY_free(p->pkey);
}

/* Signs a digest: JOSE R||S. */
static void sign_digest(EVP_PKEY *pkey, const unsigned char digest[32], unsigned char rs[CONG_ES256_SIG_BYTES])
{
    unsigned char der[80];
    size_t der_len = sizeof der;
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(pkey, NULL);
    assert_non_null(ctx);
    assert_int_equal(EVP_PKEY_sign_init(ctx), 1);
    assert_int_equal(EVP_PKEY_sign(ctx, der, &der_len, digest, 32), 1);
    EVP_PKEY_CTX_free(ctx);
    const unsigned char *p = der;
    ECDSA_SIG *sig = d2i_ECDSA_SIG(NULL, &p, (long)der_len);
    assert_non_null(sig);
    assert_int_equal(BN_bn2binpad(ECDSA_SIG_get0_r(sig), rs, HALF), HALF);
    assert_int_equal(BN_bn2binpad(ECDSA_SIG_get0_s(sig), rs + HALF, HALF), HALF);
    ECDSA_SIG_free(sig);
}

/* The reference: EVP's verification of R||S over the digest. */
static int evp_verify(const cong_jwt_key_t *key, const unsigned char digest[32], const unsigned char rs[64])
{
    ECDSA_SIG *sig = ECDSA_SIG_new();
    BIGNUM *r = BN_bin2bn(rs, HALF, NULL), *s = BN_bin2bn(rs + HALF, HALF, NULL);
    assert_non_null(sig);
    assert_int_equal(ECDSA_SIG_set0(sig, r, s), 1);
    unsigned char *der = NULL;
    int der_len = i2d_ECDSA_SIG(sig, &der);
    assert_true(der_len > 0);
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(key->pkey, NULL);
    assert_non_null(ctx);
    assert_int_equal(EVP_PKEY_verify_init(ctx), 1);
    int ok = EVP_PKEY_verify(ctx, der, (size_t)der_len, digest, 32) == 1;
    EVP_PKEY_CTX_free(ctx);
    OPENSSL_free(der);
    ECDSA_SIG_free(sig);
    ERR_clear_error();
    return ok;
}

/* Both verifiers on one input: they agree, and the answer is `want`. */
static void expect_both(const cong_jwt_key_t *key, const unsigned char digest[32], const unsigned char rs[64], int want)
{
    assert_int_equal(cong_es256_verify(key, digest, rs), want);
    assert_int_equal(evp_verify(key, digest, rs), want);
}

static void random_bytes(unsigned char *b, size_t n)
{
    assert_int_equal(RAND_bytes(b, (int)n), 1);
}

static void test_genuine_signatures_verify(void **state)
{
    (void)state;
    pair_t p = pair_new();
    for (int i = 0; i < 200; i++) {
        unsigned char digest[32], rs[64];
        random_bytes(digest, sizeof digest);
        sign_digest(p.pkey, digest, rs);
        expect_both(p.key, digest, rs, 1);
    }
    pair_free(&p);
}

static void test_every_single_bit_change_fails(void **state)
{
    (void)state;
    pair_t p = pair_new();
    unsigned char digest[32], rs[64];
    random_bytes(digest, sizeof digest);
    sign_digest(p.pkey, digest, rs);
    for (int bit = 0; bit < 64 * 8; bit++) {
        rs[bit / 8] ^= (unsigned char)(1u << (bit % 8));
        expect_both(p.key, digest, rs, 0);
        rs[bit / 8] ^= (unsigned char)(1u << (bit % 8));
    }
    for (int bit = 0; bit < 32 * 8; bit++) {
        digest[bit / 8] ^= (unsigned char)(1u << (bit % 8));
        expect_both(p.key, digest, rs, 0);
        digest[bit / 8] ^= (unsigned char)(1u << (bit % 8));
    }
    expect_both(p.key, digest, rs, 1);
    pair_free(&p);
}

/* (r, n - s) is the other valid signature of the same pair: ECDSA accepts it, and so must we (as EVP does). */
static void test_other_half_of_pair_verifies(void **state)
{
    (void)state;
    pair_t p = pair_new();
    EC_GROUP *g = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
    BIGNUM *s = BN_new(), *ns = BN_new();
    unsigned char digest[32], rs[64];
    random_bytes(digest, sizeof digest);
    sign_digest(p.pkey, digest, rs);
    assert_non_null(BN_bin2bn(rs + HALF, HALF, s));
    assert_int_equal(BN_sub(ns, EC_GROUP_get0_order(g), s), 1);
    assert_int_equal(BN_bn2binpad(ns, rs + HALF, HALF), HALF);
    expect_both(p.key, digest, rs, 1);
    BN_free(s);
    BN_free(ns);
    EC_GROUP_free(g);
    pair_free(&p);
}

/* r or s of 0, n, n+1 or 2^256-1 are refused before any arithmetic. */
static void test_out_of_range_r_or_s_fails(void **state)
{
    (void)state;
    pair_t p = pair_new();
    EC_GROUP *g = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
    const BIGNUM *n = EC_GROUP_get0_order(g);
    BIGNUM *n1 = BN_dup(n);
    assert_int_equal(BN_add_word(n1, 1), 1);
    unsigned char digest[32], good[64], zero[HALF] = {0}, nbytes[HALF], n1bytes[HALF], ones[HALF];
    memset(ones, 0xff, sizeof ones);
    assert_int_equal(BN_bn2binpad(n, nbytes, HALF), HALF);
    assert_int_equal(BN_bn2binpad(n1, n1bytes, HALF), HALF);
    random_bytes(digest, sizeof digest);
    sign_digest(p.pkey, digest, good);
    const unsigned char *bad[] = {zero, nbytes, n1bytes, ones};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        for (int half = 0; half < 2; half++) {
            unsigned char rs[64];
            memcpy(rs, good, sizeof rs);
            memcpy(rs + half * HALF, bad[i], HALF);
            expect_both(p.key, digest, rs, 0);
        }
    }
    BN_free(n1);
    EC_GROUP_free(g);
    pair_free(&p);
}

/* Crafts, with the private key d, a digest for which (r, s) is a valid signature with a chosen small s:
 * k random, r = x(k·G) mod n, e = s·k - r·d mod n (then s⁻¹(e + r·d) = k). Or, with at_infinity, the digest
 * e = -r·d mod n, for which u1·G + u2·Q is the point at infinity whatever s is. */
static void craft(const pair_t *p, unsigned long small_s, int at_infinity, unsigned char digest[32],
                  unsigned char rs[64])
{
    EC_GROUP *g = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
    BN_CTX *ctx = BN_CTX_new();
    BIGNUM *d = NULL, *k = BN_new(), *r = BN_new(), *s = BN_new(), *e = BN_new(), *t = BN_new();
    EC_POINT *kg = EC_POINT_new(g);
    const BIGNUM *n = EC_GROUP_get0_order(g);
    assert_int_equal(EVP_PKEY_get_bn_param(p->pkey, OSSL_PKEY_PARAM_PRIV_KEY, &d), 1);
    assert_int_equal(BN_rand_range(k, n), 1);
    assert_int_equal(EC_POINT_mul(g, kg, k, NULL, NULL, ctx), 1);
    assert_int_equal(EC_POINT_get_affine_coordinates(g, kg, r, NULL, ctx), 1);
    assert_int_equal(BN_nnmod(r, r, n, ctx), 1);
    assert_int_equal(BN_set_word(s, small_s), 1);
    assert_int_equal(BN_mod_mul(t, r, d, n, ctx), 1); /* t = r·d */
    if (at_infinity)
        assert_int_equal(BN_mod_sub(e, n, t, n, ctx), 1);
    else {
        assert_int_equal(BN_mod_mul(e, s, k, n, ctx), 1);
        assert_int_equal(BN_mod_sub(e, e, t, n, ctx), 1);
    }
    assert_int_equal(BN_bn2binpad(e, digest, 32), 32);
    assert_int_equal(BN_bn2binpad(r, rs, HALF), HALF);
    assert_int_equal(BN_bn2binpad(s, rs + HALF, HALF), HALF);
    EC_POINT_free(kg);
    BN_free(d), BN_free(k), BN_free(r), BN_free(s), BN_free(e), BN_free(t);
    BN_CTX_free(ctx);
    EC_GROUP_free(g);
}

/* s + n reduces to the same s: it would verify if s were not checked to be below n (signature malleability). */
static void test_s_plus_order_fails(void **state)
{
    (void)state;
    pair_t p = pair_new();
    unsigned char digest[32], rs[64];
    craft(&p, 12345, 0, digest, rs);
    expect_both(p.key, digest, rs, 1);
    EC_GROUP *g = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
    BIGNUM *s = BN_bin2bn(rs + HALF, HALF, NULL);
    assert_int_equal(BN_add(s, s, EC_GROUP_get0_order(g)), 1);
    assert_int_equal(BN_bn2binpad(s, rs + HALF, HALF), HALF); /* still fits in 32 bytes: s is small */
    expect_both(p.key, digest, rs, 0);
    BN_free(s);
    EC_GROUP_free(g);
    pair_free(&p);
}

/* u1·G + u2·Q = ∞ has no x coordinate: refused. */
static void test_point_at_infinity_fails(void **state)
{
    (void)state;
    pair_t p = pair_new();
    unsigned char digest[32], rs[64];
    for (unsigned long s = 1; s < 5; s++) {
        craft(&p, s, 1, digest, rs);
        expect_both(p.key, digest, rs, 0);
    }
    pair_free(&p);
}

/* A digest above the group order is used as the integer it is (SEC 1 takes the leftmost 256 bits: all of them). */
static void test_digest_above_order_verifies(void **state)
{
    (void)state;
    pair_t p = pair_new();
    unsigned char digest[32], rs[64];
    memset(digest, 0xff, sizeof digest);
    sign_digest(p.pkey, digest, rs);
    expect_both(p.key, digest, rs, 1);
    pair_free(&p);
}

static void test_another_keys_signature_fails(void **state)
{
    (void)state;
    pair_t a = pair_new(), b = pair_new();
    for (int i = 0; i < 20; i++) {
        unsigned char digest[32], rs[64];
        random_bytes(digest, sizeof digest);
        sign_digest(a.pkey, digest, rs);
        expect_both(b.key, digest, rs, 0);
        expect_both(a.key, digest, rs, 1);
    }
    pair_free(&a);
    pair_free(&b);
}

/* s⁻¹ mod n against BN_mod_inverse: edge values and 20,000 random ones; 0 and values >= n are refused. */
static void test_inverse_mod_order_matches_bn(void **state)
{
    (void)state;
    EC_GROUP *g = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
    const BIGNUM *n = EC_GROUP_get0_order(g);
    BN_CTX *ctx = BN_CTX_new();
    BIGNUM *a = BN_new(), *want = BN_new();
    unsigned char in[32], out[32], want_be[32];
    for (int i = 0; i < 20000 + 6; i++) {
        switch (i) {
        case 0: BN_one(a); break;
        case 1: BN_set_word(a, 2); break;
        case 2: BN_sub(a, n, BN_value_one()); break;
        case 3: BN_copy(a, n), BN_sub_word(a, 2); break;
        case 4: BN_zero(a), BN_set_bit(a, 255); break;
        case 5: BN_zero(a), BN_set_bit(a, 128); break;
        default: do { assert_int_equal(BN_rand_range(a, n), 1); } while (BN_is_zero(a));
        }
        assert_int_equal(BN_bn2binpad(a, in, 32), 32);
        assert_non_null(BN_mod_inverse(want, a, n, ctx));
        assert_int_equal(BN_bn2binpad(want, want_be, 32), 32);
        assert_int_equal(cong_es256_inverse_mod_order(in, out), 1);
        assert_memory_equal(out, want_be, 32);
    }
    BN_zero(a);
    assert_int_equal(BN_bn2binpad(a, in, 32), 32);
    assert_int_equal(cong_es256_inverse_mod_order(in, out), 0);
    BN_copy(a, n);
    assert_int_equal(BN_bn2binpad(a, in, 32), 32);
    assert_int_equal(cong_es256_inverse_mod_order(in, out), 0);
    memset(in, 0xff, sizeof in);
    assert_int_equal(cong_es256_inverse_mod_order(in, out), 0);
    BN_free(a);
    BN_free(want);
    BN_CTX_free(ctx);
    EC_GROUP_free(g);
}

/* cong_jwt_key_prepare / cong_jwks_prepare build the table ahead of use; verification is unchanged. */
static void test_prepare_builds_tables_ahead(void **state)
{
    (void)state;
    pair_t p = pair_new();
    assert_null(atomic_load(&p.key->es256_table));
    cong_jwt_key_prepare(p.key);
    assert_non_null(atomic_load(&p.key->es256_table));
    cong_jwt_key_prepare(NULL); /* NULL-safe */

    const cong_jwt_key_t *keys[] = {p.key};
    const char *kids[] = {"k1"};
    char *json = NULL;
    cong_jwks_t *set = NULL;
    assert_int_equal(cong_jwks_public_json(keys, 1, kids, NULL, &json), 0);
    assert_int_equal(cong_jwks_parse(json, strlen(json), &set), 0);
    const cong_jwt_key_t *from_set = cong_jwks_find(set, "k1", 2);
    assert_non_null(from_set);
    assert_null(atomic_load(&((cong_jwt_key_t *)from_set)->es256_table)); /* parsing builds nothing */
    cong_jwks_prepare(set);
    assert_non_null(atomic_load(&((cong_jwt_key_t *)from_set)->es256_table));
    unsigned char digest[32], rs[64];
    random_bytes(digest, sizeof digest);
    sign_digest(p.pkey, digest, rs);
    expect_both(from_set, digest, rs, 1);
    rs[10] ^= 1;
    expect_both(from_set, digest, rs, 0);
    cong_jwks_prepare(NULL);
    cong_jwks_release(set);
    free(json);
    pair_free(&p);
}

/* Several threads meet a key whose table is not built yet: one table wins, every verification is right. */
#define THREADS 4
typedef struct thread_job {
    const cong_jwt_key_t *key;
    unsigned char digest[32], rs[64], bad_rs[64];
    int failures;
} thread_job_t;

static void *verify_many(void *arg)
{
    thread_job_t *job = arg;
    for (int i = 0; i < 100; i++) {
        if (cong_es256_verify(job->key, job->digest, job->rs) != 1)
            job->failures++;
        if (cong_es256_verify(job->key, job->digest, job->bad_rs) != 0)
            job->failures++;
    }
    return NULL;
}

static void test_threads_share_one_table(void **state)
{
    (void)state;
    pair_t p = pair_new();
    assert_null(atomic_load(&p.key->es256_table)); /* built on first use, not at load */
    thread_job_t job[THREADS];
    pthread_t tid[THREADS];
    for (int t = 0; t < THREADS; t++) {
        job[t].key = p.key;
        job[t].failures = 0;
        random_bytes(job[t].digest, sizeof job[t].digest);
        sign_digest(p.pkey, job[t].digest, job[t].rs);
        memcpy(job[t].bad_rs, job[t].rs, sizeof job[t].rs);
        job[t].bad_rs[t] ^= 0x40;
    }
    for (int t = 0; t < THREADS; t++)
        assert_int_equal(pthread_create(&tid[t], NULL, verify_many, &job[t]), 0);
    for (int t = 0; t < THREADS; t++) {
        assert_int_equal(pthread_join(tid[t], NULL), 0);
        assert_int_equal(job[t].failures, 0);
    }
    assert_non_null(atomic_load(&p.key->es256_table));
    pair_free(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_genuine_signatures_verify),   cmocka_unit_test(test_every_single_bit_change_fails),
        cmocka_unit_test(test_other_half_of_pair_verifies), cmocka_unit_test(test_out_of_range_r_or_s_fails),
        cmocka_unit_test(test_digest_above_order_verifies), cmocka_unit_test(test_another_keys_signature_fails),
        cmocka_unit_test(test_s_plus_order_fails),          cmocka_unit_test(test_point_at_infinity_fails),
        cmocka_unit_test(test_inverse_mod_order_matches_bn), cmocka_unit_test(test_prepare_builds_tables_ahead),
        cmocka_unit_test(test_threads_share_one_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

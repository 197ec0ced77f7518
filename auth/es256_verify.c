/*
 * auth/es256_verify.c — ES256 (ECDSA P-256, SHA-256) verification with a precomputed table per public key.
 *
 * Why: an ECDSA verification computes R = u1·G + u2·Q. OpenSSL has a table of multiples of the generator G built in,
 * so u1·G is cheap (~6 µs here), but Q changes with every key and u2·Q is a variable-base multiplication (~34 µs):
 * most of the cost of EVP's verification. cong verifies with a handful of keys that live for hours (its own signing
 * keys, the identity provider's JWKS), so it builds, once per key, the same kind of table for Q: OpenSSL's P-256 group
 * with Q set as its generator and EC_GROUP_precompute_mult (about 150 KB and 20 ms per key). Both products are then
 * fixed-base multiplications and a verification costs about half of EVP's (measured by bench/identity.sh).
 *
 * The arithmetic is OpenSSL's (BN_*, EC_POINT_*); this file only spells out the verification equation of
 * SEC 1 v2 §4.1.4 over public values, so nothing here needs to run in constant time:
 *   reject unless 1 <= r, s <= n-1;  e = the 256-bit digest as an integer;  w = s⁻¹ mod n (auth/p256_order_inverse.c);
 *   u1 = e·w mod n;  u2 = r·w mod n;  R = u1·G + u2·Q;  reject R = ∞;  valid iff x(R) mod n = r.
 * tests/unit/auth/test_es256_verify.c and tests/fuzz/fuzz_es256_verify.c check it against EVP on every input.
 *
 * The table is built by cong_jwt_key_prepare / cong_jwks_prepare where keys are loaded for use (at start, and in the
 * JWKS refresher's thread before a new set is installed), else the first time a key verifies; never at parse
 * (parsers and fuzzers load keys they never use). It is published with an atomic compare-and-swap, so a key stays
 * shareable between threads without a lock. If anything
 * fails (memory), cong_es256_verify answers -1 and the caller verifies through EVP instead.
 *
 * EC_GROUP_precompute_mult is deprecated in OpenSSL 3 (the EC_GROUP API has no successor for it) but present in
 * Debian 12's libssl3; the deprecation warning is silenced for this file only.
 */
#define OPENSSL_SUPPRESS_DEPRECATED 1

#include "jwt_key_internal.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/obj_mac.h>
#include <pthread.h>
#include <stdlib.h>

#define P256_POINT_BYTES 65 /* uncompressed: 04 || X || Y */
#define HALF (CONG_ES256_SIG_BYTES / 2)

/* ---- the P-256 group and per-thread scratch ---------------------------------------------------------------------
 * BN_CTX and EC_POINT are not shareable between threads; each thread keeps its own, freed when it ends. */
typedef struct es256_scratch {
    BN_CTX *bn;
    EC_POINT *u1g, *u2q, *sum;
} es256_scratch_t;

static EC_GROUP *p256;
static pthread_key_t scratch_key;
static int scratch_key_ok;
static pthread_once_t setup_once = PTHREAD_ONCE_INIT;

static void scratch_free(void *p)
{
    es256_scratch_t *s = p;
    if (!s)
        return;
    EC_POINT_free(s->u1g);
    EC_POINT_free(s->u2q);
    EC_POINT_free(s->sum);
    BN_CTX_free(s->bn);
    free(s);
}

static void setup(void)
{
    p256 = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
    scratch_key_ok = pthread_key_create(&scratch_key, scratch_free) == 0;
}

static es256_scratch_t *scratch(void)
{
    pthread_once(&setup_once, setup);
    if (!p256 || !scratch_key_ok)
        return NULL;
    es256_scratch_t *s = pthread_getspecific(scratch_key);
    if (s)
        return s;
    s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->bn = BN_CTX_new();
    s->u1g = EC_POINT_new(p256);
    s->u2q = EC_POINT_new(p256);
    s->sum = EC_POINT_new(p256);
    if (!s->bn || !s->u1g || !s->u2q || !s->sum || pthread_setspecific(scratch_key, s) != 0) {
        scratch_free(s);
        return NULL;
    }
    return s;
}

/* ---- the per-key table ------------------------------------------------------------------------------------------ */

/* A copy of P-256 whose generator is the key's point Q, with the multiples table built. NULL on failure. */
static EC_GROUP *build_table(EVP_PKEY *pkey, BN_CTX *bn)
{
    unsigned char octets[P256_POINT_BYTES];
    size_t len = 0;
    EC_GROUP *group = NULL;
    EC_POINT *q = NULL;
    if (EVP_PKEY_get_octet_string_param(pkey, OSSL_PKEY_PARAM_PUB_KEY, octets, sizeof octets, &len) != 1 ||
        !(group = EC_GROUP_dup(p256)) || !(q = EC_POINT_new(group)) ||
        EC_POINT_oct2point(group, q, octets, len, bn) != 1 || EC_POINT_is_on_curve(group, q, bn) != 1 ||
        EC_POINT_is_at_infinity(group, q) ||
        EC_GROUP_set_generator(group, q, EC_GROUP_get0_order(p256), EC_GROUP_get0_cofactor(p256)) != 1 ||
        EC_GROUP_precompute_mult(group, bn) != 1) {
        EC_GROUP_free(group);
        group = NULL;
    }
    EC_POINT_free(q);
    ERR_clear_error();
    return group;
}

/* The key's table, built on first use; NULL if it cannot be built (then never tried again for this key). */
static const EC_GROUP *table_of(cong_jwt_key_t *key, BN_CTX *bn)
{
    EC_GROUP *table = atomic_load_explicit(&key->es256_table, memory_order_acquire);
    if (table || atomic_load_explicit(&key->es256_table_failed, memory_order_relaxed))
        return table;
    EC_GROUP *built = build_table(key->pkey, bn);
    if (!built) {
        atomic_store_explicit(&key->es256_table_failed, 1, memory_order_relaxed);
        return NULL;
    }
    EC_GROUP *expected = NULL;
    if (atomic_compare_exchange_strong_explicit(&key->es256_table, &expected, built, memory_order_acq_rel,
                                                memory_order_acquire))
        return built;
    EC_GROUP_free(built); /* another thread published its table first */
    return expected;
}

void cong_jwt_key_prepare(const cong_jwt_key_t *key)
{
    es256_scratch_t *s = key != NULL && key->kind == CONG_JWT_KEY_EC_P256 ? scratch() : NULL;
    if (s != NULL) /* the table is the one field written after load, atomically (table_of) */
        (void)table_of((cong_jwt_key_t *)key, s->bn);
}

void cong_es256_table_free(cong_jwt_key_t *key)
{
    EC_GROUP_free(atomic_exchange_explicit(&key->es256_table, NULL, memory_order_acq_rel));
}

/* ---- verification ----------------------------------------------------------------------------------------------- */

int cong_es256_verify(const cong_jwt_key_t *key, const unsigned char digest[CONG_ES256_DIGEST_BYTES],
                      const unsigned char rs[CONG_ES256_SIG_BYTES])
{
    es256_scratch_t *s = scratch();
    if (!s || key->kind != CONG_JWT_KEY_EC_P256)
        return -1;
    /* the table is a cache inside an otherwise immutable key: the one field written after load, atomically */
    const EC_GROUP *q_table = table_of((cong_jwt_key_t *)key, s->bn);
    if (!q_table)
        return -1;
    const BIGNUM *n = EC_GROUP_get0_order(p256);
    int result = -1;
    BN_CTX_start(s->bn);
    BIGNUM *r = BN_CTX_get(s->bn), *sv = BN_CTX_get(s->bn), *e = BN_CTX_get(s->bn), *w = BN_CTX_get(s->bn),
           *u1 = BN_CTX_get(s->bn), *u2 = BN_CTX_get(s->bn), *x = BN_CTX_get(s->bn);
    if (!x || !BN_bin2bn(rs, HALF, r) || !BN_bin2bn(rs + HALF, HALF, sv) ||
        !BN_bin2bn(digest, CONG_ES256_DIGEST_BYTES, e))
        goto out;
    if (BN_is_zero(r) || BN_is_zero(sv) || BN_cmp(r, n) >= 0 || BN_cmp(sv, n) >= 0) {
        result = 0;
        goto out;
    }
    unsigned char w_be[HALF];
    if (cong_es256_inverse_mod_order(rs + HALF, w_be) != 1 || !BN_bin2bn(w_be, HALF, w) ||
        BN_mod_mul(u1, e, w, n, s->bn) != 1 || BN_mod_mul(u2, r, w, n, s->bn) != 1)
        goto out;
    if (EC_POINT_mul(p256, s->u1g, u1, NULL, NULL, s->bn) != 1 ||
        EC_POINT_mul(q_table, s->u2q, u2, NULL, NULL, s->bn) != 1 ||
        EC_POINT_add(p256, s->sum, s->u1g, s->u2q, s->bn) != 1)
        goto out;
    if (EC_POINT_is_at_infinity(p256, s->sum)) {
        result = 0;
        goto out;
    }
    if (EC_POINT_get_affine_coordinates(p256, s->sum, x, NULL, s->bn) != 1 || BN_nnmod(x, x, n, s->bn) != 1)
        goto out;
    result = BN_cmp(x, r) == 0;
out:
    BN_CTX_end(s->bn);
    if (result < 0)
        ERR_clear_error();
    return result;
}

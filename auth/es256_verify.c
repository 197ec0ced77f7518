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
 *   reject unless 1 <= r, s <= n-1;  e = the 256-bit digest as an integer;  w = s⁻¹ mod n;
 *   u1 = e·w mod n;  u2 = r·w mod n;  R = u1·G + u2·Q;  reject R = ∞;  valid iff x(R) mod n = r.
 * tests/unit/auth/test_es256_verify.c and tests/fuzz/fuzz_es256_verify.c check it against EVP on every input.
 *
 * The table is built the first time a key verifies (not at load: parsers and fuzzers load keys they never use) and
 * published with an atomic compare-and-swap, so a key stays shareable between threads without a lock. If anything
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
#include <stdint.h>
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
static struct u256 {
    uint64_t limb[4]; /* little-endian: limb[0] is the least significant */
} order;           /* n, the order of P-256, for s⁻¹ mod n */
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

static void u256_from_be(struct u256 *x, const unsigned char be[32]);

static void setup(void)
{
    p256 = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
    unsigned char n_be[32];
    if (p256 && BN_bn2binpad(EC_GROUP_get0_order(p256), n_be, sizeof n_be) == (int)sizeof n_be) {
        u256_from_be(&order, n_be);
    } else {
        EC_GROUP_free(p256);
        p256 = NULL;
    }
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

void cong_es256_table_free(cong_jwt_key_t *key)
{
    EC_GROUP_free(atomic_exchange_explicit(&key->es256_table, NULL, memory_order_acq_rel));
}

/* ---- s⁻¹ mod n --------------------------------------------------------------------------------------------------
 * BN_mod_inverse costs ~10 µs here, a fifth of a whole verification: generic bignum calls for each of ~700 steps. The
 * same binary algorithm (Hankerson, Menezes, Vanstone, "Guide to Elliptic Curve Cryptography", alg. 2.22) on four
 * 64-bit limbs takes a fraction of that. Inputs are public (a signature), so branching on them is fine.
 * Invariants: x1·a ≡ u and x2·a ≡ v (mod n); gcd(u, v) = gcd(a, n) = 1 since n is prime and 0 < a < n. */
typedef struct u256 u256_t; /* defined with `order` above */

static void u256_from_be(u256_t *x, const unsigned char be[32])
{
    for (int i = 0; i < 4; i++) {
        uint64_t v = 0;
        for (int j = 0; j < 8; j++)
            v = v << 8 | be[(3 - i) * 8 + j];
        x->limb[i] = v;
    }
}

static void u256_to_be(const u256_t *x, unsigned char be[32])
{
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 8; j++)
            be[(3 - i) * 8 + j] = (unsigned char)(x->limb[i] >> (56 - 8 * j));
}

static int u256_is_one(const u256_t *x)
{
    return x->limb[0] == 1 && (x->limb[1] | x->limb[2] | x->limb[3]) == 0;
}

static int u256_geq(const u256_t *a, const u256_t *b)
{
    for (int i = 3; i >= 0; i--)
        if (a->limb[i] != b->limb[i])
            return a->limb[i] > b->limb[i];
    return 1;
}

/* r = a + b, returns the carry out of bit 255. */
static uint64_t u256_add(u256_t *r, const u256_t *a, const u256_t *b)
{
    unsigned __int128 acc = 0;
    for (int i = 0; i < 4; i++) {
        acc += (unsigned __int128)a->limb[i] + b->limb[i];
        r->limb[i] = (uint64_t)acc;
        acc >>= 64;
    }
    return (uint64_t)acc;
}

/* r = a - b, returns the borrow (1 when b > a). */
static uint64_t u256_sub(u256_t *r, const u256_t *a, const u256_t *b)
{
    uint64_t borrow = 0;
    for (int i = 0; i < 4; i++) {
        uint64_t d = a->limb[i] - b->limb[i];
        uint64_t out = (a->limb[i] < b->limb[i]) | (d < borrow);
        r->limb[i] = d - borrow;
        borrow = out;
    }
    return borrow;
}

/* x = x / 2, with `top` (0 or 1) entering as bit 255. */
static void u256_shr1(u256_t *x, uint64_t top)
{
    for (int i = 0; i < 3; i++)
        x->limb[i] = x->limb[i] >> 1 | x->limb[i + 1] << 63;
    x->limb[3] = x->limb[3] >> 1 | top << 63;
}

/* x = x / 2 mod n, for x < n, n odd. */
static void half_mod(u256_t *x, const u256_t *n)
{
    uint64_t carry = 0;
    if (x->limb[0] & 1)
        carry = u256_add(x, x, n); /* x + n is even */
    u256_shr1(x, carry);
}

/* x = x - y mod n, for x, y < n. */
static void sub_mod(u256_t *x, const u256_t *y, const u256_t *n)
{
    if (u256_sub(x, x, y))
        u256_add(x, x, n);
}

/* inv = a⁻¹ mod n for n an odd prime and 0 < a < n. Returns 1, or 0 if the step bound is passed (cannot happen for
 * such inputs; a guard so that a wrong input ends instead of looping). */
static int inverse_mod_prime(u256_t *inv, const u256_t *a, const u256_t *n)
{
    u256_t u = *a, v = *n, x1 = {{1, 0, 0, 0}}, x2 = {{0, 0, 0, 0}};
    for (int steps = 0; !u256_is_one(&u) && !u256_is_one(&v); steps++) {
        if (steps > 4 * 256 || (u.limb[0] | u.limb[1] | u.limb[2] | u.limb[3]) == 0)
            return 0;
        while (!(u.limb[0] & 1)) {
            u256_shr1(&u, 0);
            half_mod(&x1, n);
        }
        while (!(v.limb[0] & 1)) {
            u256_shr1(&v, 0);
            half_mod(&x2, n);
        }
        if (u256_geq(&u, &v)) {
            u256_sub(&u, &u, &v);
            sub_mod(&x1, &x2, n);
        } else {
            u256_sub(&v, &v, &u);
            sub_mod(&x2, &x1, n);
        }
    }
    *inv = u256_is_one(&u) ? x1 : x2;
    return 1;
}

int cong_es256_inverse_mod_order(const unsigned char a[32], unsigned char inv[32])
{
    pthread_once(&setup_once, setup);
    if (!p256)
        return -1;
    u256_t x, r;
    u256_from_be(&x, a);
    if ((x.limb[0] | x.limb[1] | x.limb[2] | x.limb[3]) == 0 || u256_geq(&x, &order) ||
        !inverse_mod_prime(&r, &x, &order))
        return 0;
    u256_to_be(&r, inv);
    return 1;
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

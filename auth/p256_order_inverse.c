/*
 * auth/p256_order_inverse.c — a⁻¹ mod n, n the order of P-256: the s⁻¹ of every ES256 verification.
 *
 * BN_mod_inverse costs ~10 µs here (a fifth of a whole verification with precomputed tables), and a plain binary
 * inversion on four 64-bit limbs hardly less: each of its ~700 steps touches every limb. This is T. Pornin's
 * "optimized binary GCD" (IACR ePrint 2020/972, algorithm 2) with k = 32: the binary GCD steps run 31 at a time on
 * 64-bit approximations of the two operands (their low 31 bits and their top 33 bits), recording what they do as a
 * 2×2 matrix of small signed factors, which is then applied once to the full 256-bit values. 17 rounds of 31 steps
 * cover the 2·256 − 1 steps that two 256-bit operands need.
 *
 * Invariants, with y the input: a ≡ u·y and b ≡ v·y (mod n), a and b ≥ 0. Each round divides a and b by 2^31
 * exactly; u and v are divided by 2^31 modulo n (a Montgomery step: add the multiple of n that makes the low 31 bits
 * zero, then shift), so the invariants hold without a final correction. At the end a = 0 and b = gcd(y, n) = 1, so
 * v = y⁻¹. Inputs are public (a signature), so nothing here runs in constant time. Checked against BN_mod_inverse by
 * tests/unit/auth/test_es256_verify.c and tests/fuzz/fuzz_es256_verify.c.
 */
#include "jwt_key_internal.h"

#include <stdint.h>

#define ROUNDS 17     /* ceil((2·256 − 1) / 31) */
#define STEPS 31      /* k − 1 binary GCD steps per round, k = 32 */
#define LOW_MASK ((UINT64_C(1) << STEPS) - 1)

typedef struct u256 {
    uint64_t limb[4]; /* little-endian: limb[0] is the least significant */
} u256_t;

typedef struct s320 {
    uint64_t limb[5]; /* two's complement */
} s320_t;

/* n, the order of P-256 (SEC 2: FFFFFFFF00000000 FFFFFFFFFFFFFFFF BCE6FAADA7179E84 F3B9CAC2FC632551) */
static const u256_t ORDER = {{0xF3B9CAC2FC632551u, 0xBCE6FAADA7179E84u, 0xFFFFFFFFFFFFFFFFu, 0xFFFFFFFF00000000u}};

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

static int u256_is_zero(const u256_t *x)
{
    return (x->limb[0] | x->limb[1] | x->limb[2] | x->limb[3]) == 0;
}

static int u256_less(const u256_t *a, const u256_t *b)
{
    for (int i = 3; i >= 0; i--)
        if (a->limb[i] != b->limb[i])
            return a->limb[i] < b->limb[i];
    return 0;
}

static int u256_bits(const u256_t *x)
{
    for (int i = 3; i >= 0; i--)
        if (x->limb[i] != 0)
            return 64 * i + 64 - __builtin_clzll(x->limb[i]);
    return 0;
}

/* The 64 bits of x from bit `pos` up (pos ≥ 0; bits past 255 are zero). */
static uint64_t u256_bits_from(const u256_t *x, int pos)
{
    int word = pos / 64, shift = pos % 64;
    uint64_t lo = word < 4 ? x->limb[word] : 0, hi = word + 1 < 4 ? x->limb[word + 1] : 0;
    return shift == 0 ? lo : lo >> shift | hi << (64 - shift);
}

/* x's 64-bit approximation for a round where the larger operand has `len` bits (len ≥ 64): its low 31 bits, under
 * its top 33 bits. Both operands are cut at the same place, so their order and low bits are what the steps need. */
static uint64_t approximate(const u256_t *x, int len)
{
    return (x->limb[0] & LOW_MASK) | u256_bits_from(x, len - (STEPS + 2)) << STEPS;
}

/* r = a·f + b·g, |f|, |g| ≤ 2^31. (Products of 64-bit limbs by 32-bit factors: sums stay far inside 127 bits.) */
static void s320_combine(s320_t *r, const u256_t *a, int64_t f, const u256_t *b, int64_t g)
{
    __int128 carry = 0;
    for (int i = 0; i < 4; i++) {
        __int128 acc = carry + (__int128)f * (__int128)a->limb[i] + (__int128)g * (__int128)b->limb[i];
        r->limb[i] = (uint64_t)acc;
        carry = acc >> 64; /* arithmetic: GCC and Clang shift signed values arithmetically */
    }
    r->limb[4] = (uint64_t)carry;
}

static int s320_is_negative(const s320_t *x)
{
    return (x->limb[4] >> 63) != 0;
}

/* x = x >> 31, arithmetic. */
static void s320_shift_right(s320_t *x)
{
    for (int i = 0; i < 4; i++)
        x->limb[i] = x->limb[i] >> STEPS | x->limb[i + 1] << (64 - STEPS);
    x->limb[4] = (uint64_t)((int64_t)x->limb[4] >> STEPS);
}

/* x = x + m·q (m < 2^256, q < 2^64), or x − m when subtract (q ignored). */
static void s320_add_multiple(s320_t *x, const u256_t *m, uint64_t q, int subtract)
{
    unsigned __int128 carry = 0;
    for (int i = 0; i < 4; i++) {
        unsigned __int128 term = subtract ? (unsigned __int128)(uint64_t)~m->limb[i] : (unsigned __int128)m->limb[i] * q;
        carry += (unsigned __int128)x->limb[i] + term + (subtract && i == 0);
        x->limb[i] = (uint64_t)carry;
        carry >>= 64;
    }
    x->limb[4] += (uint64_t)carry + (subtract ? UINT64_MAX : 0);
}

/* Compares a non-negative x with m: x ≥ m. */
static int s320_at_least(const s320_t *x, const u256_t *m)
{
    if (x->limb[4] != 0)
        return 1;
    for (int i = 3; i >= 0; i--)
        if (x->limb[i] != m->limb[i])
            return x->limb[i] > m->limb[i];
    return 1;
}

/* (a·f + b·g) / 2^31, exact by construction of f and g: its absolute value into out, and whether it was negative. */
static int combine_exact(u256_t *out, const u256_t *a, int64_t f, const u256_t *b, int64_t g)
{
    s320_t t;
    s320_combine(&t, a, f, b, g);
    s320_shift_right(&t);
    int negative = s320_is_negative(&t);
    if (negative) { /* two's complement negation */
        unsigned __int128 carry = 1;
        for (int i = 0; i < 5; i++) {
            carry += (uint64_t)~t.limb[i];
            t.limb[i] = (uint64_t)carry;
            carry >>= 64;
        }
    }
    for (int i = 0; i < 4; i++)
        out->limb[i] = t.limb[i];
    return negative;
}

/* out = (u·f + v·g) / 2^31 mod n, for u, v < n: |u·f + v·g| < 2^31·n; adding q·n (q < 2^31) clears the low 31 bits;
 * after the shift the value lies in (−2n, 2n) and at most two corrections bring it into [0, n). */
static void combine_mod(u256_t *out, const u256_t *u, int64_t f, const u256_t *v, int64_t g, uint64_t n_inv)
{
    s320_t t;
    s320_combine(&t, u, f, v, g);
    uint64_t q = (0 - t.limb[0] * n_inv) & LOW_MASK; /* t + q·n ≡ 0 (mod 2^31) */
    s320_add_multiple(&t, &ORDER, q, 0);
    s320_shift_right(&t);
    while (s320_is_negative(&t))
        s320_add_multiple(&t, &ORDER, 1, 0);
    while (s320_at_least(&t, &ORDER))
        s320_add_multiple(&t, &ORDER, 0, 1);
    for (int i = 0; i < 4; i++)
        out->limb[i] = t.limb[i];
}

int cong_es256_inverse_mod_order(const unsigned char a_be[32], unsigned char inv_be[32])
{
    u256_t a, b = ORDER, u = {{1, 0, 0, 0}}, v = {{0, 0, 0, 0}};
    u256_from_be(&a, a_be);
    if (u256_is_zero(&a) || !u256_less(&a, &ORDER))
        return 0;
    /* n⁻¹ mod 2^64 by Newton's iteration: each step doubles the correct low bits (n·n ≡ 1 mod 8 to start) */
    uint64_t n_inv = ORDER.limb[0];
    for (int i = 0; i < 5; i++)
        n_inv *= 2 - ORDER.limb[0] * n_inv;

    for (int round = 0; round < ROUNDS; round++) {
        int len = u256_bits(&a) > u256_bits(&b) ? u256_bits(&a) : u256_bits(&b);
        if (len < 2 * (STEPS + 1))
            len = 2 * (STEPS + 1);
        uint64_t a_approx = approximate(&a, len), b_approx = approximate(&b, len);
        int64_t f0 = 1, g0 = 0, f1 = 0, g1 = 1;
        for (int step = 0; step < STEPS; step++) {
            /* if a is odd: (swap a and b, with their factors, when a < b), then a -= b; always a /= 2. Written with
             * masks rather than branches: the branches are coin flips, and mispredicting them cost half the time. */
            uint64_t odd = 0 - (a_approx & 1);
            uint64_t swap = odd & (0 - (uint64_t)(a_approx < b_approx));
            uint64_t t = (a_approx ^ b_approx) & swap;
            a_approx ^= t, b_approx ^= t;
            int64_t tf = (f0 ^ f1) & (int64_t)swap, tg = (g0 ^ g1) & (int64_t)swap;
            f0 ^= tf, f1 ^= tf, g0 ^= tg, g1 ^= tg;
            a_approx -= b_approx & odd;
            f0 -= f1 & (int64_t)odd;
            g0 -= g1 & (int64_t)odd;
            a_approx >>= 1;
            f1 *= 2;
            g1 *= 2;
        }
        u256_t a_next, b_next, u_next, v_next;
        if (combine_exact(&a_next, &a, f0, &b, g0))
            f0 = -f0, g0 = -g0;
        if (combine_exact(&b_next, &a, f1, &b, g1))
            f1 = -f1, g1 = -g1;
        combine_mod(&u_next, &u, f0, &v, g0, n_inv);
        combine_mod(&v_next, &u, f1, &v, g1, n_inv);
        a = a_next, b = b_next, u = u_next, v = v_next;
    }
    u256_t one = {{1, 0, 0, 0}};
    if (!u256_is_zero(&a) || u256_less(&b, &one) || u256_less(&one, &b))
        return 0; /* cannot happen for 0 < a < n (n is prime): a guard, not a path */
    u256_to_be(&v, inv_be);
    return 1;
}

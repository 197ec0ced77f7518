/*
 * auth/jwt_key_internal.h — the layout of cong_jwt_key_t and the JWS signature primitives (auth/ sources only).
 */
#ifndef CONG_AUTH_JWT_KEY_INTERNAL_H
#define CONG_AUTH_JWT_KEY_INTERNAL_H

#include "auth.h"

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <stdatomic.h>

#define CONG_RSA_MIN_BITS 2048
#define CONG_RSA_MAX_BITS 8192
#define CONG_ES256_SIG_BYTES 64
#define CONG_ES256_DIGEST_BYTES 32
#define CONG_JWS_SIG_MAX (CONG_RSA_MAX_BITS / 8) /* the largest signature any accepted key makes */

/* A verification (and, with has_private, signing) key, immutable after load so several threads may use it at once.
 * `alg` is the pin: the one algorithm a token verified with this key may name. The ES256 table is the exception: a
 * cache built on first use and published atomically (auth/es256_verify.c); whoever frees the key frees it with
 * cong_es256_table_free. */
struct cong_jwt_key {
    EVP_PKEY *pkey;
    int has_private; /* loaded from a private key PEM: may sign */
    cong_jwt_key_kind_t kind;
    cong_jwt_alg_t alg;
    _Atomic(EC_GROUP *) es256_table; /* P-256 with this key's point as generator, multiples precomputed; or NULL */
    atomic_int es256_table_failed;   /* building it failed once: do not try again */
};

/* The key's kind when `pkey` is an acceptable key (P-256 with a valid point; RSA of CONG_RSA_MIN_BITS..MAX_BITS with
 * an odd public exponent), else 0. */
cong_jwt_key_kind_t cong_jwt_pkey_kind(EVP_PKEY *pkey);

/* Whether `alg` may be used with a key of `kind`. */
int cong_jwt_alg_fits(cong_jwt_alg_t alg, cong_jwt_key_kind_t kind);

/* 1 when kid matches [A-Za-z0-9._-]{1,CONG_JWK_KID_MAX}. */
int cong_jwk_kid_ok(const char *kid, size_t len);

/* ES256 over a SHA-256 digest and a JOSE R||S signature, with the key's precomputed table (built on first use):
 * 1 valid, 0 invalid, -1 could not compute (no memory): then verify through EVP. `key` must be P-256. */
int cong_es256_verify(const cong_jwt_key_t *key, const unsigned char digest[CONG_ES256_DIGEST_BYTES],
                      const unsigned char rs[CONG_ES256_SIG_BYTES]);

/* inv = a⁻¹ mod n, n the order of P-256, both 32-byte big-endian: 1 done, 0 when a is 0 or not below n
 * (auth/p256_order_inverse.c; auth/es256_verify.c uses it for s⁻¹). */
int cong_es256_inverse_mod_order(const unsigned char a[32], unsigned char inv[32]);

/* Frees the key's ES256 table, if any (the key itself stays). */
void cong_es256_table_free(cong_jwt_key_t *key);

/* Verifies a JWS signature (JOSE form) over msg with `alg`, which the caller has matched to the key. 1 valid, 0 not. */
int cong_jws_verify(const cong_jwt_key_t *key, cong_jwt_alg_t alg, const char *msg, size_t msg_len,
                    const unsigned char *sig, size_t sig_len);

/* Signs msg with `alg` into sig (capacity CONG_JWS_SIG_MAX), JOSE form. Returns 0, CONG_EIO or CONG_ENOMEM. */
int cong_jws_sign(const cong_jwt_key_t *key, cong_jwt_alg_t alg, const char *msg, size_t msg_len, unsigned char *sig,
                  size_t *sig_len);

#endif

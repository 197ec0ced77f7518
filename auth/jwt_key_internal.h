/*
 * auth/jwt_key_internal.h — the layout of cong_jwt_key_t and the JWS signature primitives (auth/ sources only).
 */
#ifndef CONG_AUTH_JWT_KEY_INTERNAL_H
#define CONG_AUTH_JWT_KEY_INTERNAL_H

#include "auth.h"

#include <openssl/evp.h>

#define CONG_RSA_MIN_BITS 2048
#define CONG_RSA_MAX_BITS 8192
#define CONG_ES256_SIG_BYTES 64
#define CONG_JWS_SIG_MAX (CONG_RSA_MAX_BITS / 8) /* the largest signature any accepted key makes */

/* A verification (and, with has_private, signing) key, immutable after load so several threads may use it at once.
 * `alg` is the pin: the one algorithm a token verified with this key may name. */
struct cong_jwt_key {
    EVP_PKEY *pkey;
    int has_private; /* loaded from a private key PEM: may sign */
    cong_jwt_key_kind_t kind;
    cong_jwt_alg_t alg;
};

/* The key's kind when `pkey` is an acceptable key (P-256 with a valid point; RSA of CONG_RSA_MIN_BITS..MAX_BITS with
 * an odd public exponent), else 0. */
cong_jwt_key_kind_t cong_jwt_pkey_kind(EVP_PKEY *pkey);

/* Whether `alg` may be used with a key of `kind`. */
int cong_jwt_alg_fits(cong_jwt_alg_t alg, cong_jwt_key_kind_t kind);

/* 1 when kid matches [A-Za-z0-9._-]{1,CONG_JWK_KID_MAX}. */
int cong_jwk_kid_ok(const char *kid, size_t len);

/* Verifies a JWS signature (JOSE form) over msg with `alg`, which the caller has matched to the key. 1 valid, 0 not. */
int cong_jws_verify(const cong_jwt_key_t *key, cong_jwt_alg_t alg, const char *msg, size_t msg_len,
                    const unsigned char *sig, size_t sig_len);

/* Signs msg with `alg` into sig (capacity CONG_JWS_SIG_MAX), JOSE form. Returns 0, CONG_EIO or CONG_ENOMEM. */
int cong_jws_sign(const cong_jwt_key_t *key, cong_jwt_alg_t alg, const char *msg, size_t msg_len, unsigned char *sig,
                  size_t *sig_len);

#endif

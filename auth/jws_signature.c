/*
 * auth/jws_signature.c — JWS signature primitives over EVP keys loaded once: ES256, RS256, PS256 (RFC 7518 §3).
 *
 * ES256 signatures travel as JOSE R||S (two 32-byte big-endian integers); OpenSSL speaks DER, so they are converted
 * both ways here. RSA signatures must be exactly the modulus size. PS256 is PSS with SHA-256, MGF1-SHA-256 and a salt
 * as long as the digest (32 bytes), on verification as on signing.
 */
#include "jwt_key_internal.h"

#include "cong/module.h"

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define ES256_DER_MAX 72 /* SEQUENCE { INTEGER r, INTEGER s }, each up to 33 bytes */

/* JOSE R||S → DER ECDSA-Sig-Value without a bignum: each half as a minimal positive INTEGER (leading zero bytes
 * dropped, one 0x00 put back when the top bit is set). Returns the DER length (8..72). */
static size_t es256_rs_to_der_fast(const unsigned char rs[CONG_ES256_SIG_BYTES], unsigned char der[ES256_DER_MAX])
{
    size_t n = 2;
    for (int half = 0; half < 2; half++) {
        const unsigned char *v = rs + half * (CONG_ES256_SIG_BYTES / 2);
        size_t len = CONG_ES256_SIG_BYTES / 2;
        while (len > 1 && *v == 0) {
            v++;
            len--;
        }
        int pad = (*v & 0x80) != 0;
        der[n++] = 0x02;
        der[n++] = (unsigned char)(len + (size_t)pad);
        if (pad)
            der[n++] = 0x00;
        memcpy(der + n, v, len);
        n += len;
    }
    der[0] = 0x30;
    der[1] = (unsigned char)(n - 2);
    return n;
}

/* ---- ES256 verification contexts, per thread -------------------------------------------------------------------
 * EVP_DigestVerifyInit looks the algorithm and the digest up in the provider and allocates two contexts on every
 * call, which costs about as much as a fifth of the verification itself. Each thread keeps a few EVP_PKEY_CTX
 * already initialised for verification, one per key, holding a reference to the key (so a key freed by a rotation
 * cannot come back at the same address while its context is cached); SHA-256 is computed directly. The ECDSA
 * provider keeps no state between EVP_PKEY_verify calls on one context. Freed when the thread ends. */
#define VERIFY_CTX_SLOTS 8

typedef struct verify_ctx_cache {
    EVP_PKEY *pkey[VERIFY_CTX_SLOTS];
    EVP_PKEY_CTX *ctx[VERIFY_CTX_SLOTS];
    unsigned next;
} verify_ctx_cache_t;

static pthread_key_t verify_ctx_key;
static pthread_once_t verify_ctx_once = PTHREAD_ONCE_INIT;
static int verify_ctx_key_ok;

static void verify_ctx_cache_free(void *p)
{
    verify_ctx_cache_t *c = p;
    for (int i = 0; c && i < VERIFY_CTX_SLOTS; i++) {
        EVP_PKEY_CTX_free(c->ctx[i]);
        EVP_PKEY_free(c->pkey[i]);
    }
    free(c);
}

static void verify_ctx_init(void)
{
    verify_ctx_key_ok = pthread_key_create(&verify_ctx_key, verify_ctx_cache_free) == 0;
}

/* This thread's verification context for pkey, or NULL (then the caller takes the slow path). */
static EVP_PKEY_CTX *es256_verify_ctx(EVP_PKEY *pkey)
{
    pthread_once(&verify_ctx_once, verify_ctx_init);
    if (!verify_ctx_key_ok)
        return NULL;
    verify_ctx_cache_t *c = pthread_getspecific(verify_ctx_key);
    if (!c) {
        c = calloc(1, sizeof *c);
        if (!c || pthread_setspecific(verify_ctx_key, c) != 0) {
            free(c);
            return NULL;
        }
    }
    for (int i = 0; i < VERIFY_CTX_SLOTS; i++)
        if (c->pkey[i] == pkey)
            return c->ctx[i];
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
    if (!ctx || EVP_PKEY_verify_init(ctx) != 1 || EVP_PKEY_CTX_set_signature_md(ctx, EVP_sha256()) != 1 ||
        EVP_PKEY_up_ref(pkey) != 1) {
        EVP_PKEY_CTX_free(ctx);
        ERR_clear_error();
        return NULL;
    }
    unsigned slot = c->next++ % VERIFY_CTX_SLOTS;
    EVP_PKEY_CTX_free(c->ctx[slot]);
    EVP_PKEY_free(c->pkey[slot]);
    c->pkey[slot] = pkey;
    c->ctx[slot] = ctx;
    return ctx;
}

/* ES256 over a cached context: 1 valid, 0 invalid, -1 no context (use the slow path). */
static int es256_verify_fast(EVP_PKEY *pkey, const char *msg, size_t msg_len, const unsigned char *der, size_t der_len)
{
    EVP_PKEY_CTX *ctx = es256_verify_ctx(pkey);
    if (!ctx)
        return -1;
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256((const unsigned char *)msg, msg_len, digest);
    int ok = EVP_PKEY_verify(ctx, der, der_len, digest, sizeof digest) == 1;
    if (!ok)
        ERR_clear_error();
    return ok;
}

/* DER ECDSA-Sig-Value → JOSE R||S. Returns 1, or 0. */
static int es256_der_to_rs(const unsigned char *der, size_t der_len, unsigned char rs[CONG_ES256_SIG_BYTES])
{
    const unsigned char *p = der;
    ECDSA_SIG *sig = d2i_ECDSA_SIG(NULL, &p, (long)der_len);
    if (!sig)
        return 0;
    const BIGNUM *r, *s;
    ECDSA_SIG_get0(sig, &r, &s);
    int ok = BN_bn2binpad(r, rs, CONG_ES256_SIG_BYTES / 2) == CONG_ES256_SIG_BYTES / 2 &&
             BN_bn2binpad(s, rs + CONG_ES256_SIG_BYTES / 2, CONG_ES256_SIG_BYTES / 2) == CONG_ES256_SIG_BYTES / 2;
    ECDSA_SIG_free(sig);
    return ok;
}

/* PSS parameters on a digest-sign/verify context; a no-op for the other algorithms. */
static int set_padding(EVP_PKEY_CTX *pctx, cong_jwt_alg_t alg)
{
    if (alg != CONG_JWT_ALG_PS256)
        return 1;
    return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
           EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha256()) == 1 &&
           EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) == 1;
}

int cong_jws_verify(const cong_jwt_key_t *key, cong_jwt_alg_t alg, const char *msg, size_t msg_len,
                    const unsigned char *sig, size_t sig_len)
{
    if (!key || !key->pkey || !cong_jwt_alg_fits(alg, key->kind))
        return 0;
    unsigned char der[ES256_DER_MAX];
    if (alg == CONG_JWT_ALG_ES256) {
        if (sig_len != CONG_ES256_SIG_BYTES)
            return 0;
        size_t der_len = es256_rs_to_der_fast(sig, der);
        int fast = es256_verify_fast(key->pkey, msg, msg_len, der, der_len);
        if (fast >= 0)
            return fast;
        sig = der;
        sig_len = der_len;
    } else if (sig_len != (size_t)EVP_PKEY_get_size(key->pkey)) {
        return 0;
    }
    EVP_PKEY_CTX *pctx = NULL; /* owned by md */
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    int ok = md && EVP_DigestVerifyInit(md, &pctx, EVP_sha256(), NULL, key->pkey) == 1 && set_padding(pctx, alg) &&
             EVP_DigestVerify(md, sig, sig_len, (const unsigned char *)msg, msg_len) == 1;
    if (!ok)
        ERR_clear_error();
    EVP_MD_CTX_free(md);
    return ok;
}

int cong_jws_sign(const cong_jwt_key_t *key, cong_jwt_alg_t alg, const char *msg, size_t msg_len, unsigned char *sig,
                  size_t *sig_len)
{
    if (!key || !key->pkey || !key->has_private || !cong_jwt_alg_fits(alg, key->kind))
        return CONG_EINVAL;
    int rc = CONG_EIO;
    unsigned char der[ES256_DER_MAX + 8];
    unsigned char *dst = alg == CONG_JWT_ALG_ES256 ? der : sig;
    size_t len = alg == CONG_JWT_ALG_ES256 ? sizeof der : CONG_JWS_SIG_MAX;
    EVP_PKEY_CTX *pctx = NULL; /* owned by md */
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    if (!md) {
        rc = CONG_ENOMEM;
        goto out;
    }
    if (EVP_DigestSignInit(md, &pctx, EVP_sha256(), NULL, key->pkey) != 1 || !set_padding(pctx, alg) ||
        EVP_DigestSign(md, dst, &len, (const unsigned char *)msg, msg_len) != 1)
        goto out;
    if (alg == CONG_JWT_ALG_ES256) {
        if (!es256_der_to_rs(der, len, sig))
            goto out;
        len = CONG_ES256_SIG_BYTES;
    }
    *sig_len = len;
    rc = CONG_OK;
out:
    if (rc != CONG_OK)
        ERR_clear_error();
    EVP_MD_CTX_free(md);
    return rc;
}

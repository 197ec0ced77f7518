/*
 * auth/jws_signature.c — JWS signature primitives over EVP keys loaded once: ES256, RS256, PS256 (RFC 7518 §3).
 *
 * ES256 signatures travel as JOSE R||S (two 32-byte big-endian integers); OpenSSL speaks DER, so they are converted
 * both ways here. ES256 verification goes through the key's precomputed table (auth/es256_verify.c), and through EVP
 * only when that cannot be computed. RSA signatures must be exactly the modulus size. PS256 is PSS with SHA-256,
 * MGF1-SHA-256 and a salt as long as the digest (32 bytes), on verification as on signing.
 */
#include "jwt_key_internal.h"

#include "cong/errors.h"

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/rsa.h>
#include <stdlib.h>
#include <string.h>

#define ES256_DER_MAX 72 /* SEQUENCE { INTEGER r, INTEGER s }, each up to 33 bytes */

/* JOSE R||S → DER ECDSA-Sig-Value without a bignum: each half as a minimal positive INTEGER (leading zero bytes
 * dropped, one 0x00 put back when the top bit is set). Returns the DER length (8..72). */
static size_t es256_rs_to_der(const unsigned char rs[CONG_ES256_SIG_BYTES], unsigned char der[ES256_DER_MAX])
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
        unsigned char digest[CONG_SHA256_BYTES];
        int tabled = cong_sha256(msg, msg_len, digest) == 0 ? cong_es256_verify(key, digest, sig) : -1;
        if (tabled >= 0)
            return tabled;
        sig_len = es256_rs_to_der(sig, der); /* no table (no memory): EVP below */
        sig = der;
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

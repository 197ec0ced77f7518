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

#define ES256_DER_MAX 72 /* SEQUENCE { INTEGER r, INTEGER s }, each up to 33 bytes */

/* JOSE R||S → DER ECDSA-Sig-Value. Returns the DER length, or 0. */
static int es256_rs_to_der(const unsigned char rs[CONG_ES256_SIG_BYTES], unsigned char der[ES256_DER_MAX])
{
    int der_len = 0;
    unsigned char *p = der;
    ECDSA_SIG *sig = ECDSA_SIG_new();
    BIGNUM *r = BN_bin2bn(rs, CONG_ES256_SIG_BYTES / 2, NULL);
    BIGNUM *s = BN_bin2bn(rs + CONG_ES256_SIG_BYTES / 2, CONG_ES256_SIG_BYTES / 2, NULL);
    if (!sig || !r || !s || ECDSA_SIG_set0(sig, r, s) != 1)
        goto out;
    r = s = NULL; /* owned by sig now */
    der_len = i2d_ECDSA_SIG(sig, NULL);
    if (der_len <= 0 || der_len > ES256_DER_MAX || i2d_ECDSA_SIG(sig, &p) != der_len)
        der_len = 0;
out:
    ECDSA_SIG_free(sig);
    BN_free(r);
    BN_free(s);
    return der_len;
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
        int der_len = sig_len == CONG_ES256_SIG_BYTES ? es256_rs_to_der(sig, der) : 0;
        if (der_len == 0) {
            ERR_clear_error();
            return 0;
        }
        sig = der;
        sig_len = (size_t)der_len;
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

/* The audit key: ES256 tree-head signatures (contract in signer.h). */
#include "signer.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <string.h>

#include "b64.h"

static const char head_label[24] = "cong-audit-tree-head-v1"; /* 23 characters and the NUL */

/* Fills kid, jwk and spki from s->pkey; 0 or -1 unless it is a P-256 key. */
static int describe(audit_signer_t *s)
{
    EVP_PKEY *k = s->pkey;
    char curve[32];
    if (EVP_PKEY_get_base_id(k) != EVP_PKEY_EC ||
        EVP_PKEY_get_utf8_string_param(k, OSSL_PKEY_PARAM_GROUP_NAME, curve, sizeof curve, NULL) != 1 ||
        strcmp(curve, "prime256v1") != 0)
        return -1;
    unsigned char *der = NULL;
    int len = i2d_PUBKEY(k, &der);
    if (len <= 0 || (size_t)len > sizeof s->spki) {
        OPENSSL_free(der);
        return -1;
    }
    memcpy(s->spki, der, (size_t)len);
    s->spki_len = (size_t)len;
    OPENSSL_free(der);
    uint8_t digest[SHA256_DIGEST_LENGTH];
    SHA256(s->spki, s->spki_len, digest);
    audit_b64_encode(digest, sizeof digest, s->kid, 1);
    BIGNUM *x = NULL, *y = NULL;
    uint8_t xb[32], yb[32];
    int ok = EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_EC_PUB_X, &x) == 1 &&
             EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_EC_PUB_Y, &y) == 1 && BN_bn2binpad(x, xb, 32) == 32 &&
             BN_bn2binpad(y, yb, 32) == 32;
    BN_free(x);
    BN_free(y);
    if (!ok)
        return -1;
    char xs[AUDIT_B64_ROOM(32)], ys[AUDIT_B64_ROOM(32)];
    audit_b64_encode(xb, 32, xs, 1);
    audit_b64_encode(yb, 32, ys, 1);
    snprintf(s->jwk, sizeof s->jwk,
             "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"%s\",\"y\":\"%s\",\"kid\":\"%s\","
             "\"alg\":\"ES256\",\"use\":\"sig\"}",
             xs, ys, s->kid);
    return 0;
}

int audit_signer_load(const char *path, audit_signer_t *s)
{
    memset(s, 0, sizeof *s);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return -1;
    s->pkey = PEM_read_PrivateKey(f, NULL, NULL, NULL);
    fclose(f);
    if (s->pkey == NULL || describe(s) != 0) {
        audit_signer_free(s);
        return -1;
    }
    return 0;
}

int audit_signer_from_spki(const uint8_t *der, size_t len, audit_signer_t *s)
{
    memset(s, 0, sizeof *s);
    const unsigned char *p = der;
    s->pkey = d2i_PUBKEY(NULL, &p, (long)len);
    if (s->pkey == NULL || describe(s) != 0) {
        audit_signer_free(s);
        return -1;
    }
    return 0;
}

void audit_signer_free(audit_signer_t *s)
{
    EVP_PKEY_free(s->pkey);
    s->pkey = NULL;
}

void audit_head_message(uint64_t tree_size, uint64_t timestamp_ms, const uint8_t root[AUDIT_HASH_SIZE],
                        uint8_t out[AUDIT_HEAD_MESSAGE_SIZE])
{
    memcpy(out, head_label, sizeof head_label);
    for (int i = 0; i < 8; i++) {
        out[24 + i] = (uint8_t)(tree_size >> (56 - 8 * i));
        out[32 + i] = (uint8_t)(timestamp_ms >> (56 - 8 * i));
    }
    memcpy(out + 40, root, AUDIT_HASH_SIZE);
}

int audit_sign_head(const audit_signer_t *s, uint64_t tree_size, uint64_t timestamp_ms,
                    const uint8_t root[AUDIT_HASH_SIZE], uint8_t sig[AUDIT_SIGNATURE_SIZE])
{
    uint8_t msg[AUDIT_HEAD_MESSAGE_SIZE], der[80];
    size_t der_len = sizeof der;
    audit_head_message(tree_size, timestamp_ms, root, msg);
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    int ok = c != NULL && EVP_DigestSignInit(c, NULL, EVP_sha256(), NULL, s->pkey) == 1 &&
             EVP_DigestSign(c, der, &der_len, msg, sizeof msg) == 1;
    EVP_MD_CTX_free(c);
    if (!ok)
        return -1;
    const unsigned char *p = der;
    ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)der_len);
    ok = es != NULL && BN_bn2binpad(ECDSA_SIG_get0_r(es), sig, 32) == 32 &&
         BN_bn2binpad(ECDSA_SIG_get0_s(es), sig + 32, 32) == 32;
    ECDSA_SIG_free(es);
    return ok ? 0 : -1;
}

int audit_verify_head(const audit_signer_t *s, uint64_t tree_size, uint64_t timestamp_ms,
                      const uint8_t root[AUDIT_HASH_SIZE], const uint8_t sig[AUDIT_SIGNATURE_SIZE])
{
    uint8_t msg[AUDIT_HEAD_MESSAGE_SIZE];
    audit_head_message(tree_size, timestamp_ms, root, msg);
    ECDSA_SIG *es = ECDSA_SIG_new();
    BIGNUM *r = BN_bin2bn(sig, 32, NULL), *sv = BN_bin2bn(sig + 32, 32, NULL);
    unsigned char *der = NULL;
    int der_len = -1;
    if (es != NULL && r != NULL && sv != NULL && ECDSA_SIG_set0(es, r, sv) == 1) {
        r = sv = NULL; /* owned by es now */
        der_len = i2d_ECDSA_SIG(es, &der);
    }
    BN_free(r);
    BN_free(sv);
    ECDSA_SIG_free(es);
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    int ok = der_len > 0 && c != NULL && EVP_DigestVerifyInit(c, NULL, EVP_sha256(), NULL, s->pkey) == 1 &&
             EVP_DigestVerify(c, der, (size_t)der_len, msg, sizeof msg) == 1;
    EVP_MD_CTX_free(c);
    OPENSSL_free(der);
    return ok;
}

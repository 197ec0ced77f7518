/*
 * auth/jwt_sign.c — signing a JSON object as a compact JWS with ES256.
 *
 * The header is {"alg":"ES256","typ":"JWT"} plus "kid" when given; the payload is the caller's object re-serialised
 * compactly (so the signed bytes are well-formed JSON without duplicate keys). OpenSSL produces a DER signature,
 * which is rewritten as JOSE R||S: two 32-byte big-endian integers.
 */
#include "jwt_key_internal.h"

#include "cong/module.h"

#include <jansson.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>

#include <stdlib.h>
#include <string.h>

#define ES256_SIG_BYTES 64
#define ES256_DER_MAX 72

/* Compact JSON text in our own malloc'd buffer (not jansson's allocator, which the process may have replaced). */
static char *dump_compact(const json_t *json, size_t *len)
{
    size_t n = json_dumpb(json, NULL, 0, JSON_COMPACT);
    if (n == 0)
        return NULL;
    char *buf = malloc(n);
    if (buf && json_dumpb(json, buf, n, JSON_COMPACT) != n) {
        free(buf);
        buf = NULL;
    }
    *len = n;
    return buf;
}

static int es256_sign(EVP_PKEY *pkey, const char *msg, size_t msg_len, unsigned char rs[ES256_SIG_BYTES])
{
    int rc = CONG_EIO;
    unsigned char der[ES256_DER_MAX + 8];
    size_t der_len = sizeof der;
    ECDSA_SIG *sig = NULL;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    if (!md) {
        rc = CONG_ENOMEM;
        goto out;
    }
    if (EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, pkey) != 1 ||
        EVP_DigestSign(md, der, &der_len, (const unsigned char *)msg, msg_len) != 1)
        goto out;
    const unsigned char *p = der;
    sig = d2i_ECDSA_SIG(NULL, &p, (long)der_len);
    if (!sig)
        goto out;
    const BIGNUM *r, *s;
    ECDSA_SIG_get0(sig, &r, &s);
    if (BN_bn2binpad(r, rs, ES256_SIG_BYTES / 2) != ES256_SIG_BYTES / 2 ||
        BN_bn2binpad(s, rs + ES256_SIG_BYTES / 2, ES256_SIG_BYTES / 2) != ES256_SIG_BYTES / 2)
        goto out;
    rc = CONG_OK;
out:
    if (rc != CONG_OK)
        ERR_clear_error();
    ECDSA_SIG_free(sig);
    EVP_MD_CTX_free(md);
    return rc;
}

static json_t *make_header(const char *kid)
{
    json_t *h = json_object();
    if (!h || json_object_set_new(h, "alg", json_string("ES256")) ||
        json_object_set_new(h, "typ", json_string("JWT")) || (kid && json_object_set_new(h, "kid", json_string(kid)))) {
        json_decref(h);
        return NULL;
    }
    return h;
}

int cong_jwt_sign_es256(const cong_jwt_key_t *private_key, const char *kid, const char *claims_json, char **out)
{
    if (!out)
        return CONG_EINVAL;
    *out = NULL;
    if (!private_key || !private_key->has_private || !claims_json)
        return CONG_EINVAL;

    int rc = CONG_EINVAL;
    char *head = NULL, *body = NULL, *token = NULL;
    size_t head_len = 0, body_len = 0;
    json_t *header = make_header(kid); /* NULL also when kid is not UTF-8 */
    json_t *claims = json_loads(claims_json, JSON_REJECT_DUPLICATES, NULL);
    if (!header || !json_is_object(claims))
        goto out;
    rc = CONG_ENOMEM;
    head = dump_compact(header, &head_len);
    body = dump_compact(claims, &body_len);
    if (!head || !body)
        goto out;
    size_t cap = cong_b64url_encoded_len(head_len) + 1 + cong_b64url_encoded_len(body_len) + 1 +
                 cong_b64url_encoded_len(ES256_SIG_BYTES) + 1;
    token = malloc(cap);
    if (!token)
        goto out;
    size_t n = cong_b64url_encode((const unsigned char *)head, head_len, token);
    token[n++] = '.';
    n += cong_b64url_encode((const unsigned char *)body, body_len, token + n);
    unsigned char rs[ES256_SIG_BYTES];
    rc = es256_sign(private_key->pkey, token, n, rs);
    if (rc != CONG_OK)
        goto out;
    token[n++] = '.';
    cong_b64url_encode(rs, sizeof rs, token + n);
    *out = token;
    token = NULL;
out:
    free(token);
    free(head);
    free(body);
    json_decref(header);
    json_decref(claims);
    return rc;
}

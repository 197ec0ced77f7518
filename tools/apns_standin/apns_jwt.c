/* tools/apns_standin/apns_jwt.c — the provider token check (see apns_jwt.h). */
#include "apns_jwt.h"

#include <jansson.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define SIG_BYTES 64

static int b64url_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    return c == '-' ? 62 : c == '_' ? 63 : -1;
}

/* Strict base64url without padding into out (room for len*3/4 bytes): the length, or -1 (a character outside the
 * alphabet, a length of 4k+1, or unused bits that are not zero). */
static long b64url_decode(const char *in, size_t len, unsigned char *out)
{
    if (len % 4 == 1)
        return -1;
    unsigned long acc = 0;
    int bits = 0;
    long n = 0;
    for (size_t i = 0; i < len; i++) {
        int v = b64url_value((unsigned char)in[i]);
        if (v < 0)
            return -1;
        acc = (acc << 6) | (unsigned long)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[n++] = (unsigned char)(acc >> bits);
        }
    }
    return bits > 0 && (acc & ((1ul << bits) - 1)) != 0 ? -1 : n;
}

/* A base64url part decoded and parsed as a JSON object (duplicate members refused), or NULL. */
static json_t *json_part(const char *in, size_t len)
{
    unsigned char buf[APNS_JWT_MAX];
    long n = b64url_decode(in, len, buf);
    if (n < 0)
        return NULL;
    json_t *doc = json_loadb((const char *)buf, (size_t)n, JSON_REJECT_DUPLICATES, NULL);
    if (!json_is_object(doc)) {
        json_decref(doc);
        return NULL;
    }
    return doc;
}

static int string_member_is(json_t *obj, const char *name, const char *expected)
{
    const char *v = json_string_value(json_object_get(obj, name));
    return v != NULL && strcmp(v, expected) == 0;
}

/* ES256 over msg with the JOSE R||S signature: 1 valid, 0 not. */
static int es256_ok(EVP_PKEY *key, const char *msg, size_t msg_len, const unsigned char sig[SIG_BYTES])
{
    ECDSA_SIG *s = ECDSA_SIG_new();
    BIGNUM *r = BN_bin2bn(sig, SIG_BYTES / 2, NULL), *ss = BN_bin2bn(sig + SIG_BYTES / 2, SIG_BYTES / 2, NULL);
    unsigned char *der = NULL;
    int der_len = -1, ok = 0;
    if (s != NULL && r != NULL && ss != NULL && ECDSA_SIG_set0(s, r, ss) == 1) {
        r = ss = NULL; /* owned by s now */
        der_len = i2d_ECDSA_SIG(s, &der);
    }
    EVP_MD_CTX *ctx = der_len > 0 ? EVP_MD_CTX_new() : NULL;
    if (ctx != NULL && EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, key) == 1)
        ok = EVP_DigestVerify(ctx, der, (size_t)der_len, (const unsigned char *)msg, msg_len) == 1;
    EVP_MD_CTX_free(ctx);
    OPENSSL_free(der);
    BN_free(r);
    BN_free(ss);
    ECDSA_SIG_free(s);
    return ok;
}

/* The token's three parts: the lengths of header and claims (the dots at h and h+1+c), or -1. */
static int split(const char *t, size_t len, size_t *h, size_t *c)
{
    const char *d1 = memchr(t, '.', len);
    const char *d2 = d1 ? memchr(d1 + 1, '.', len - (size_t)(d1 + 1 - t)) : NULL;
    if (d2 == NULL || memchr(d2 + 1, '.', len - (size_t)(d2 + 1 - t)) != NULL)
        return -1;
    *h = (size_t)(d1 - t);
    *c = (size_t)(d2 - d1 - 1);
    return 0;
}

/* The signature part is 64 bytes R||S valid over "header.claims". */
static int signature_ok(const apns_jwt_expect_t *e, const char *t, size_t len, size_t signed_len)
{
    unsigned char sig[APNS_JWT_MAX];
    long n = b64url_decode(t + signed_len + 1, len - signed_len - 1, sig);
    return n == SIG_BYTES && es256_ok(e->key, t, signed_len, sig);
}

/* The claims' iat when "iss" is the team and "iat" an integer; else -1 with *ok 0. */
static int64_t claims_iat(const apns_jwt_expect_t *e, const char *part, size_t len, int *ok)
{
    json_t *claims = json_part(part, len);
    json_t *iat = json_object_get(claims, "iat");
    *ok = claims != NULL && string_member_is(claims, "iss", e->team_id) && json_is_integer(iat);
    int64_t v = *ok ? (int64_t)json_integer_value(iat) : -1;
    json_decref(claims);
    return v;
}

apns_reason_t apns_jwt_check(const apns_jwt_expect_t *e, const char *authorization, size_t len, int64_t now,
                             apns_jwt_info_t *info)
{
    if (authorization == NULL || (len == 6 && strncasecmp(authorization, "bearer", 6) == 0) ||
        (len == 7 && strncasecmp(authorization, "bearer ", 7) == 0))
        return APNS_MISSING_PROVIDER_TOKEN;
    if (len < 7 || strncasecmp(authorization, "bearer ", 7) != 0 || len - 7 > APNS_JWT_MAX)
        return APNS_INVALID_PROVIDER_TOKEN;
    const char *t = authorization + 7;
    size_t n = len - 7, h, c;
    if (split(t, n, &h, &c) != 0)
        return APNS_INVALID_PROVIDER_TOKEN;
    json_t *header = json_part(t, h);
    int header_ok = header != NULL && string_member_is(header, "alg", "ES256") &&
                    string_member_is(header, "kid", e->key_id);
    json_decref(header);
    if (!header_ok || !signature_ok(e, t, n, h + 1 + c))
        return APNS_INVALID_PROVIDER_TOKEN;
    int claims_ok;
    int64_t iat = claims_iat(e, t + h + 1, c, &claims_ok);
    if (!claims_ok || iat > now + APNS_JWT_FUTURE_SKEW_S)
        return APNS_INVALID_PROVIDER_TOKEN;
    if (now - iat >= APNS_JWT_MAX_AGE_S)
        return APNS_EXPIRED_PROVIDER_TOKEN;
    info->iat = iat;
    SHA256((const unsigned char *)t, n, info->digest);
    return APNS_OK;
}

static int is_p256(EVP_PKEY *key)
{
    char group[64];
    size_t glen = 0;
    return EVP_PKEY_get_base_id(key) == EVP_PKEY_EC &&
           EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, &glen) == 1 &&
           strcmp(group, "prime256v1") == 0;
}

EVP_PKEY *apns_jwt_public_key_from_pem(const char *pem, size_t len)
{
    BIO *bio = BIO_new_mem_buf(pem, (int)len);
    EVP_PKEY *key = bio != NULL ? PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL) : NULL;
    BIO_free(bio);
    if (key != NULL && !is_p256(key)) {
        EVP_PKEY_free(key);
        key = NULL;
    }
    return key;
}

EVP_PKEY *apns_jwt_load_public_key(const char *path)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return NULL;
    char pem[8192];
    size_t n = fread(pem, 1, sizeof pem, f);
    fclose(f);
    return n > 0 && n < sizeof pem ? apns_jwt_public_key_from_pem(pem, n) : NULL;
}

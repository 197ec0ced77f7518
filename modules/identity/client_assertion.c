/* modules/identity/client_assertion.c — private_key_jwt client assertions (contract in client_assertion.h). */
#include "client_assertion.h"

#include <jansson.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <string.h>

#include "b64url.h"

/* Decodes one base64url part of len characters as a JSON object (new reference), or NULL. */
static json_t *part_json(const char *part, size_t len)
{
    unsigned char buf[CONG_IDM_ASSERTION_MAX];
    if (len == 0 || len / 4 * 3 + 3 > sizeof buf)
        return NULL;
    long n = cong_idm_b64url_decode(part, len, buf);
    json_t *j = n > 0 ? json_loadb((const char *)buf, (size_t)n, JSON_REJECT_DUPLICATES, NULL) : NULL;
    if (j != NULL && !json_is_object(j)) {
        json_decref(j);
        return NULL;
    }
    return j;
}

/* Copies the string member `name` into out (size bytes): 1, or 0 when it is absent, not a string or too long. */
static int copy_string(const json_t *o, const char *name, char *out, size_t size)
{
    const json_t *v = json_object_get(o, name);
    const char *s = json_string_value(v);
    if (s == NULL || json_string_length(v) >= size || strlen(s) != json_string_length(v))
        return 0;
    memcpy(out, s, json_string_length(v) + 1);
    return 1;
}

/* A NumericDate member: 1 with *out set (0 when absent), or 0 when present but not a non-negative integer. */
static int read_time(const json_t *o, const char *name, int64_t *out)
{
    const json_t *v = json_object_get(o, name);
    *out = 0;
    if (v == NULL)
        return 1;
    if (!json_is_integer(v) || json_integer_value(v) < 0)
        return 0;
    *out = (int64_t)json_integer_value(v);
    return 1;
}

static int read_audiences(const json_t *claims, cong_idm_assertion_t *a)
{
    const json_t *aud = json_object_get(claims, "aud");
    if (json_is_string(aud))
        return copy_string(claims, "aud", a->aud[0], sizeof a->aud[0]);
    if (!json_is_array(aud) || json_array_size(aud) == 0 || json_array_size(aud) > 2)
        return 0;
    for (size_t i = 0; i < json_array_size(aud); i++) {
        const json_t *v = json_array_get(aud, i);
        if (!json_is_string(v) || json_string_length(v) >= sizeof a->aud[i] ||
            strlen(json_string_value(v)) != json_string_length(v))
            return 0;
        memcpy(a->aud[i], json_string_value(v), json_string_length(v) + 1);
    }
    return 1;
}

static int read_claims(const json_t *claims, cong_idm_assertion_t *a)
{
    return copy_string(claims, "iss", a->iss, sizeof a->iss) && copy_string(claims, "sub", a->sub, sizeof a->sub) &&
           copy_string(claims, "jti", a->jti, sizeof a->jti) && read_audiences(claims, a) &&
           read_time(claims, "exp", &a->exp) && read_time(claims, "nbf", &a->nbf) && read_time(claims, "iat", &a->iat);
}

int cong_idm_assertion_parse(const char *jwt, size_t len, cong_idm_assertion_t *out)
{
    memset(out, 0, sizeof *out);
    if (jwt == NULL || len == 0 || len > CONG_IDM_ASSERTION_MAX)
        return -1;
    const char *dot1 = memchr(jwt, '.', len);
    const char *dot2 = dot1 != NULL ? memchr(dot1 + 1, '.', len - (size_t)(dot1 + 1 - jwt)) : NULL;
    if (dot2 == NULL || memchr(dot2 + 1, '.', len - (size_t)(dot2 + 1 - jwt)) != NULL)
        return -1;
    json_t *header = part_json(jwt, (size_t)(dot1 - jwt));
    json_t *claims = part_json(dot1 + 1, (size_t)(dot2 - dot1 - 1));
    const char *alg = json_string_value(json_object_get(header, "alg"));
    /* "crit" names extensions this reader would have to understand: none is, so any is refused (RFC 7515 §4.1.11) */
    int ok = header != NULL && claims != NULL && alg != NULL && strcmp(alg, "ES256") == 0 &&
             json_object_get(header, "crit") == NULL && read_claims(claims, out);
    json_decref(header);
    json_decref(claims);
    size_t sig_len = len - (size_t)(dot2 + 1 - jwt);
    unsigned char sig[CONG_IDM_B64URL_ROOM(64)];
    if (!ok || sig_len != 86 || cong_idm_b64url_decode(dot2 + 1, sig_len, sig) != 64)
        return -1;
    memcpy(out->sig, sig, 64);
    out->signed_len = (size_t)(dot2 - jwt);
    return 0;
}

const char *cong_idm_assertion_check(const cong_idm_assertion_t *a, const char *client_id, const char *issuer,
                                     const char *endpoint, int64_t now)
{
    if (strcmp(a->iss, client_id) != 0 || strcmp(a->sub, client_id) != 0)
        return "iss and sub are not the client";
    int aud_ok = 0;
    for (size_t i = 0; i < 2; i++)
        aud_ok |= a->aud[i][0] != '\0' && (strcmp(a->aud[i], issuer) == 0 || strcmp(a->aud[i], endpoint) == 0);
    if (!aud_ok)
        return "aud is neither the issuer nor the token endpoint";
    if (a->exp == 0 || a->exp <= now)
        return "expired or no exp";
    if (a->exp > now + CONG_IDM_ASSERTION_MAX_LIFETIME_S + CONG_IDM_ASSERTION_SKEW_S)
        return "exp too far ahead";
    if (a->nbf > now + CONG_IDM_ASSERTION_SKEW_S || a->iat > now + CONG_IDM_ASSERTION_SKEW_S)
        return "nbf or iat in the future";
    if (a->jti[0] == '\0')
        return "no jti";
    return NULL;
}

static EVP_PKEY *p256_public_key(const char *pem)
{
    BIO *bio = BIO_new_mem_buf(pem, -1);
    EVP_PKEY *key = bio != NULL ? PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL) : NULL;
    BIO_free(bio);
    char group[32] = "";
    size_t group_len = 0;
    if (key != NULL && (!EVP_PKEY_is_a(key, "EC") ||
                        EVP_PKEY_get_utf8_string_param(key, "group", group, sizeof group, &group_len) != 1 ||
                        strcmp(group, "prime256v1") != 0)) {
        EVP_PKEY_free(key);
        key = NULL;
    }
    return key;
}

int cong_idm_assertion_key_usable(const char *pem)
{
    EVP_PKEY *key = p256_public_key(pem);
    EVP_PKEY_free(key);
    return key != NULL;
}

int cong_idm_assertion_verify(const char *jwt, const cong_idm_assertion_t *a, const char *public_pem)
{
    EVP_PKEY *key = p256_public_key(public_pem);
    ECDSA_SIG *es = ECDSA_SIG_new();
    BIGNUM *r = BN_bin2bn(a->sig, 32, NULL), *s = BN_bin2bn(a->sig + 32, 32, NULL);
    unsigned char *der = NULL;
    int der_len = -1;
    if (es != NULL && r != NULL && s != NULL && ECDSA_SIG_set0(es, r, s) == 1) {
        r = s = NULL; /* owned by es now */
        der_len = i2d_ECDSA_SIG(es, &der);
    }
    BN_free(r);
    BN_free(s);
    ECDSA_SIG_free(es);
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    int ok = key != NULL && der_len > 0 && c != NULL && EVP_DigestVerifyInit(c, NULL, EVP_sha256(), NULL, key) == 1 &&
             EVP_DigestVerify(c, der, (size_t)der_len, (const unsigned char *)jwt, a->signed_len) == 1;
    EVP_MD_CTX_free(c);
    OPENSSL_free(der);
    EVP_PKEY_free(key);
    return ok;
}

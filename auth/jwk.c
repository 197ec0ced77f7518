/*
 * auth/jwk.c — one JSON Web Key to and from an OpenSSL key: EC P-256 (x, y) and RSA (n, e), public parts only.
 *
 * Import is strict: members are strict base64url (RFC 7518 §6), EC coordinates exactly 32 bytes, the point on the
 * curve, RSA 2048..8192 bits; a JWK carrying any private member is refused, so a published private key is never
 * trusted. The key is built once with OSSL_PARAM_BLD + EVP_PKEY_fromdata and pins its algorithm: EC → ES256, RSA →
 * its "alg" (RS256 or PS256), RS256 when "alg" is absent.
 */
#include "jwk_internal.h"

#include "cong/errors.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/param_build.h>

#include <string.h>

#define P256_COORD_BYTES 32
#define RSA_N_MAX_BYTES (CONG_RSA_MAX_BITS / 8 + 1) /* a leading zero byte is tolerated */
#define RSA_E_MAX_BYTES 9

int cong_jwk_kid_ok(const char *kid, size_t len)
{
    if (!kid || len == 0 || len > CONG_JWK_KID_MAX)
        return 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)kid[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
              c == '-'))
            return 0;
    }
    return 1;
}

static int string_is(const json_t *v, const char *want)
{
    return json_is_string(v) && json_string_length(v) == strlen(want) &&
           memcmp(json_string_value(v), want, strlen(want)) == 0;
}

/* Decodes member `name` (strict base64url, 1..cap bytes) into out, which holds cap + 1 bytes. Returns the length or
 * 0 when absent, empty, too long or not base64url. */
static size_t b64_member(const json_t *jwk, const char *name, unsigned char *out, size_t cap)
{
    const json_t *v = json_object_get(jwk, name);
    if (!json_is_string(v) || json_string_length(v) == 0 || json_string_length(v) > cong_b64url_encoded_len(cap))
        return 0;
    long n = cong_b64url_decode(json_string_value(v), json_string_length(v), out);
    return n > 0 && (size_t)n <= cap ? (size_t)n : 0;
}

/* "use" absent or "sig"; "key_ops" absent or an array naming "verify"; no private member. */
static int is_public_signature_key(const json_t *jwk)
{
    static const char *const private_members[] = {"d", "p", "q", "dp", "dq", "qi", "oth", "k"};
    for (size_t i = 0; i < sizeof private_members / sizeof private_members[0]; i++)
        if (json_object_get(jwk, private_members[i]))
            return 0;
    const json_t *use = json_object_get(jwk, "use");
    if (use && !string_is(use, "sig"))
        return 0;
    const json_t *ops = json_object_get(jwk, "key_ops");
    if (!ops)
        return 1;
    if (!json_is_array(ops))
        return 0;
    size_t i;
    const json_t *op;
    json_array_foreach(ops, i, op) {
        if (string_is(op, "verify"))
            return 1;
    }
    return 0;
}

/* A public key of `type` ("EC", "RSA") from the parameters in bld; NULL on failure. */
static EVP_PKEY *from_params(const char *type, OSSL_PARAM_BLD *bld)
{
    EVP_PKEY *pkey = NULL;
    OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
    if (!params || !ctx || EVP_PKEY_fromdata_init(ctx) != 1 ||
        EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1)
        pkey = NULL;
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    return pkey;
}

static EVP_PKEY *import_ec(const json_t *jwk)
{
    unsigned char x[P256_COORD_BYTES + 1], y[P256_COORD_BYTES + 1], point[1 + 2 * P256_COORD_BYTES];
    if (!string_is(json_object_get(jwk, "crv"), "P-256") ||
        b64_member(jwk, "x", x, P256_COORD_BYTES) != P256_COORD_BYTES ||
        b64_member(jwk, "y", y, P256_COORD_BYTES) != P256_COORD_BYTES)
        return NULL;
    point[0] = 0x04; /* uncompressed */
    memcpy(point + 1, x, P256_COORD_BYTES);
    memcpy(point + 1 + P256_COORD_BYTES, y, P256_COORD_BYTES);
    EVP_PKEY *pkey = NULL;
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    if (bld && OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) == 1 &&
        OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point, sizeof point) == 1)
        pkey = from_params("EC", bld);
    OSSL_PARAM_BLD_free(bld);
    return pkey;
}

static EVP_PKEY *import_rsa(const json_t *jwk)
{
    unsigned char n_bytes[RSA_N_MAX_BYTES + 1], e_bytes[RSA_E_MAX_BYTES + 1];
    size_t n_len = b64_member(jwk, "n", n_bytes, RSA_N_MAX_BYTES);
    size_t e_len = b64_member(jwk, "e", e_bytes, RSA_E_MAX_BYTES);
    if (n_len == 0 || e_len == 0)
        return NULL;
    EVP_PKEY *pkey = NULL;
    BIGNUM *n = BN_bin2bn(n_bytes, (int)n_len, NULL), *e = BN_bin2bn(e_bytes, (int)e_len, NULL);
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    if (n && e && bld && OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) == 1 &&
        OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) == 1)
        pkey = from_params("RSA", bld);
    OSSL_PARAM_BLD_free(bld);
    BN_free(n);
    BN_free(e);
    return pkey;
}

int cong_jwk_import(const json_t *jwk, cong_jwt_key_t *key)
{
    memset(key, 0, sizeof *key);
    if (!json_is_object(jwk) || !is_public_signature_key(jwk))
        return CONG_EINVAL;
    const json_t *kty = json_object_get(jwk, "kty"), *alg_name = json_object_get(jwk, "alg");
    cong_jwt_key_kind_t kind;
    cong_jwt_alg_t alg;
    EVP_PKEY *pkey;
    if (string_is(kty, "EC")) {
        kind = CONG_JWT_KEY_EC_P256;
        alg = CONG_JWT_ALG_ES256;
    } else if (string_is(kty, "RSA")) {
        kind = CONG_JWT_KEY_RSA;
        alg = CONG_JWT_ALG_RS256;
    } else {
        return CONG_EINVAL;
    }
    if (alg_name &&
        (!json_is_string(alg_name) || strlen(json_string_value(alg_name)) != json_string_length(alg_name) ||
         cong_jwt_alg_parse(json_string_value(alg_name), &alg) != 0 || !cong_jwt_alg_fits(alg, kind)))
        return CONG_EINVAL;
    pkey = kind == CONG_JWT_KEY_EC_P256 ? import_ec(jwk) : import_rsa(jwk);
    if (!pkey || cong_jwt_pkey_kind(pkey) != kind) {
        EVP_PKEY_free(pkey);
        ERR_clear_error();
        return CONG_EINVAL;
    }
    key->pkey = pkey;
    key->kind = kind;
    key->alg = alg;
    return CONG_OK;
}

/* Sets member `name` to the base64url of `bn`, left-padded to `width` bytes (0: minimal, as RFC 7518 wants n, e). */
static int set_b64_bn(json_t *jwk, const char *name, const BIGNUM *bn, int width)
{
    unsigned char bytes[RSA_N_MAX_BYTES];
    char text[RSA_N_MAX_BYTES * 4 / 3 + 4];
    int len = width ? width : BN_num_bytes(bn);
    if (len <= 0 || len > (int)sizeof bytes || BN_bn2binpad(bn, bytes, len) != len)
        return CONG_EINVAL;
    cong_b64url_encode(bytes, (size_t)len, text);
    return json_object_set_new(jwk, name, json_string(text)) == 0 ? CONG_OK : CONG_ENOMEM;
}

int cong_jwk_export_public(const cong_jwt_key_t *key, json_t *jwk)
{
    if (!key || !key->pkey || !json_is_object(jwk))
        return CONG_EINVAL;
    int ec = key->kind == CONG_JWT_KEY_EC_P256;
    if (!ec && key->kind != CONG_JWT_KEY_RSA)
        return CONG_EINVAL;
    BIGNUM *a = NULL, *b = NULL;
    int rc = CONG_EINVAL;
    if (EVP_PKEY_get_bn_param(key->pkey, ec ? OSSL_PKEY_PARAM_EC_PUB_X : OSSL_PKEY_PARAM_RSA_N, &a) != 1 ||
        EVP_PKEY_get_bn_param(key->pkey, ec ? OSSL_PKEY_PARAM_EC_PUB_Y : OSSL_PKEY_PARAM_RSA_E, &b) != 1)
        goto out;
    rc = CONG_ENOMEM;
    if (json_object_set_new(jwk, "kty", json_string(ec ? "EC" : "RSA")) != 0 ||
        (ec && json_object_set_new(jwk, "crv", json_string("P-256")) != 0))
        goto out;
    rc = set_b64_bn(jwk, ec ? "x" : "n", a, ec ? P256_COORD_BYTES : 0);
    if (rc == CONG_OK)
        rc = set_b64_bn(jwk, ec ? "y" : "e", b, ec ? P256_COORD_BYTES : 0);
out:
    ERR_clear_error();
    BN_free(a);
    BN_free(b);
    return rc;
}

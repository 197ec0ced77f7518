/*
 * tests/unit/auth/test_jwks.c — JWKS keysets (parse, lookup, publish, reference counting) and the JWT attack battery
 * against a keyset holding an EC P-256 key (ES256), an RSA key pinned to RS256 and an RSA key pinned to PS256.
 *
 * JWKs are written here from OpenSSL's key parameters, and attack tokens are signed by this file's own code (any
 * header, DER or JOSE ES256, PKCS#1 or PSS with any salt), so the parser and verifier are checked against an encoder
 * and a signer independent of auth/.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "auth_test_helpers.h"

#include "auth/auth.h"
#include "cong/module.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOW 1760000000LL
#define ISS "https://sso.vneid.example.vn"
#define AUD "cong-client"
#define SKEW 60

static EVP_PKEY *ec_pkey, *rs_pkey, *ps_pkey, *ec_other;
static cong_jwt_key_t *ec_priv, *rs_priv, *ps_priv;
static char *jwks_text; /* the provider's JWKS: ec-1 (ES256), rsa-rs (RS256, no "alg"), rsa-ps (PS256) */
static cong_jwks_t *keyset;

/* ---- helpers ---- */

static cong_jwt_key_t *load_private(EVP_PKEY *pkey)
{
    size_t len;
    char *pem = pem_of(pkey, 1, &len);
    cong_jwt_key_t *key = NULL;
    assert_int_equal(cong_jwt_key_load_private_pem(pem, len, &key), CONG_OK);
    free(pem);
    return key;
}

/* base64url of a BIGNUM parameter, `width` bytes (0: minimal). */
static char *b64_param(EVP_PKEY *pkey, const char *name, int width)
{
    BIGNUM *bn = NULL;
    assert_int_equal(EVP_PKEY_get_bn_param(pkey, name, &bn), 1);
    int len = width ? width : BN_num_bytes(bn);
    unsigned char *bytes = malloc((size_t)len);
    assert_non_null(bytes);
    assert_int_equal(BN_bn2binpad(bn, bytes, len), len);
    char *out = b64(bytes, (size_t)len);
    free(bytes);
    BN_free(bn);
    return out;
}

/* A JWK for pkey's public part: {"kty":...,"kid":kid[,"alg":alg],<members>[,extra]}. kid/alg NULL = absent. */
static char *jwk_of(EVP_PKEY *pkey, const char *kid, const char *alg, const char *extra)
{
    char *a, *b, *members;
    if (EVP_PKEY_is_a(pkey, "EC")) {
        a = b64_param(pkey, OSSL_PKEY_PARAM_EC_PUB_X, 32);
        b = b64_param(pkey, OSSL_PKEY_PARAM_EC_PUB_Y, 32);
        members = xprintf("\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"%s\",\"y\":\"%s\"", a, b);
    } else {
        a = b64_param(pkey, OSSL_PKEY_PARAM_RSA_N, 0);
        b = b64_param(pkey, OSSL_PKEY_PARAM_RSA_E, 0);
        members = xprintf("\"kty\":\"RSA\",\"n\":\"%s\",\"e\":\"%s\"", a, b);
    }
    char *kid_part = kid ? xprintf(",\"kid\":\"%s\"", kid) : strdup("");
    char *alg_part = alg ? xprintf(",\"alg\":\"%s\"", alg) : strdup("");
    char *jwk = xprintf("{%s%s%s%s}", members, kid_part, alg_part, extra ? extra : "");
    free(a), free(b), free(members), free(kid_part), free(alg_part);
    return jwk;
}

static char *jwks_of(const char *jwk1, const char *jwk2, const char *jwk3)
{
    return xprintf("{\"keys\":[%s%s%s%s%s]}", jwk1, jwk2 ? "," : "", jwk2 ? jwk2 : "", jwk3 ? "," : "",
                   jwk3 ? jwk3 : "");
}

static int parse_text(const char *text, cong_jwks_t **out)
{
    return cong_jwks_parse(text, strlen(text), out);
}

/* Parses a one-key JWKS made of jwk_of(pkey, "k", alg, extra) and returns the result code (the set is released). */
static int parse_one(EVP_PKEY *pkey, const char *alg, const char *extra)
{
    char *jwk = jwk_of(pkey, "k", alg, extra);
    char *doc = jwks_of(jwk, NULL, NULL);
    cong_jwks_t *set = (cong_jwks_t *)1;
    int rc = parse_text(doc, &set);
    if (rc != CONG_OK)
        assert_null(set);
    else
        assert_int_equal(cong_jwks_count(set), 1);
    cong_jwks_release(rc == CONG_OK ? set : NULL);
    free(doc);
    free(jwk);
    return rc;
}

enum sig_mode { SIG_ES256_JOSE, SIG_ES256_DER, SIG_RS256, SIG_PS256, SIG_PS256_SALT0, SIG_PS256_SALTMAX };

/* Signs msg with pkey by this file's own code. Returns the signature length. */
static size_t raw_sign(EVP_PKEY *pkey, enum sig_mode mode, const char *msg, unsigned char *sig, size_t cap)
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pctx = NULL;
    unsigned char der[80];
    size_t len = mode == SIG_ES256_JOSE ? sizeof der : cap;
    assert_non_null(md);
    assert_int_equal(EVP_DigestSignInit(md, &pctx, EVP_sha256(), NULL, pkey), 1);
    if (mode >= SIG_PS256) {
        assert_int_equal(EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING), 1);
        int salt = mode == SIG_PS256 ? 32 : mode == SIG_PS256_SALT0 ? 0 : RSA_PSS_SALTLEN_MAX;
        assert_int_equal(EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, salt), 1);
    }
    assert_int_equal(EVP_DigestSign(md, mode == SIG_ES256_JOSE ? der : sig, &len, (const unsigned char *)msg,
                                    strlen(msg)),
                     1);
    EVP_MD_CTX_free(md);
    if (mode != SIG_ES256_JOSE)
        return len;
    const unsigned char *p = der;
    ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)len);
    assert_non_null(es);
    assert_int_equal(BN_bn2binpad(ECDSA_SIG_get0_r(es), sig, 32), 32);
    assert_int_equal(BN_bn2binpad(ECDSA_SIG_get0_s(es), sig + 32, 32), 32);
    ECDSA_SIG_free(es);
    return 64;
}

/* "b64(header).b64(payload)" */
static char *signing_input(const char *header, const char *payload)
{
    char *h = b64(header, strlen(header)), *p = b64(payload, strlen(payload));
    char *in = xprintf("%s.%s", h, p);
    free(h);
    free(p);
    return in;
}

/* A token over the exact header and payload given, signed by this file's code. */
static char *hand_token(EVP_PKEY *pkey, enum sig_mode mode, const char *header, const char *payload)
{
    char *in = signing_input(header, payload);
    unsigned char sig[1024];
    size_t n = raw_sign(pkey, mode, in, sig, sizeof sig);
    char *s = b64(sig, n);
    char *token = xprintf("%s.%s", in, s);
    free(in);
    free(s);
    return token;
}

/* Claims with the right iss/aud and exp = NOW + 600, then `extra` (",\"k\":v..." or ""). */
static char *claims_with(const char *extra)
{
    return xprintf("{\"iss\":\"" ISS "\",\"aud\":\"" AUD "\",\"sub\":\"citizen-pseudonym\",\"exp\":%lld%s}", NOW + 600,
                   extra);
}

static cong_jwt_result_t verify_with(const cong_jwks_t *set, const char *token, int64_t now, cong_jwt_claims_t *out)
{
    cong_jwt_policy_t policy = {.issuer = ISS, .audience = AUD, .clock_skew_s = SKEW};
    return cong_jwt_verify_keyset(&policy, set, token, strlen(token), now, out);
}

static cong_jwt_result_t verify(const char *token)
{
    return verify_with(keyset, token, NOW, NULL);
}

/* noinline: GCC 12 at -O3 otherwise mistakes the returned heap pointer for the address of its local */
__attribute__((noinline)) static char *signed_token(const cong_jwt_key_t *key, cong_jwt_alg_t alg, const char *kid,
                                                    const char *claims)
{
    char *token = NULL;
    assert_int_equal(cong_jwt_sign(key, alg, kid, claims, &token), CONG_OK);
    assert_non_null(token);
    return token;
}

/* The three legitimate signers of the provider. */
static const struct signer {
    const char *kid;
    cong_jwt_alg_t alg;
    enum sig_mode mode;
    const char *alg_name;
} signers[] = {
    {"ec-1", CONG_JWT_ALG_ES256, SIG_ES256_JOSE, "ES256"},
    {"rsa-rs", CONG_JWT_ALG_RS256, SIG_RS256, "RS256"},
    {"rsa-ps", CONG_JWT_ALG_PS256, SIG_PS256, "PS256"},
};

static cong_jwt_key_t *priv_of(size_t i)
{
    return i == 0 ? ec_priv : i == 1 ? rs_priv : ps_priv;
}

static EVP_PKEY *pkey_of(size_t i)
{
    return i == 0 ? ec_pkey : i == 1 ? rs_pkey : ps_pkey;
}

/* Each signer signs `claims`; every result must be `want`. */
static void expect_all(const char *claims, cong_jwt_result_t want, int64_t now)
{
    for (size_t i = 0; i < 3; i++) {
        char *token = signed_token(priv_of(i), signers[i].alg, signers[i].kid, claims);
        cong_jwt_result_t r = verify_with(keyset, token, now, NULL);
        if (r != want)
            fail_msg("%s: %s, want %s", signers[i].alg_name, cong_jwt_result_name(r), cong_jwt_result_name(want));
        free(token);
    }
}

static int setup(void **state)
{
    (void)state;
    ec_pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    ec_other = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    rs_pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
    ps_pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)3072);
    if (!ec_pkey || !ec_other || !rs_pkey || !ps_pkey)
        return -1;
    ec_priv = load_private(ec_pkey);
    rs_priv = load_private(rs_pkey);
    ps_priv = load_private(ps_pkey);
    char *a = jwk_of(ec_pkey, "ec-1", "ES256", ",\"use\":\"sig\"");
    char *b = jwk_of(rs_pkey, "rsa-rs", NULL, NULL);
    char *c = jwk_of(ps_pkey, "rsa-ps", "PS256", ",\"use\":\"sig\",\"x5c\":[\"MIIB\"]");
    jwks_text = jwks_of(a, b, c);
    free(a), free(b), free(c);
    return parse_text(jwks_text, &keyset) == CONG_OK ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    cong_jwks_release(keyset);
    free(jwks_text);
    cong_jwt_key_free(ec_priv);
    cong_jwt_key_free(rs_priv);
    cong_jwt_key_free(ps_priv);
    EVP_PKEY_free(ec_pkey);
    EVP_PKEY_free(ec_other);
    EVP_PKEY_free(rs_pkey);
    EVP_PKEY_free(ps_pkey);
    return 0;
}

/* ---- parsing and lookup ---- */

static void test_parse_and_lookup(void **state)
{
    (void)state;
    assert_int_equal(cong_jwks_count(keyset), 3);
    assert_int_equal(cong_jwks_skipped(keyset), 0);
    static const cong_jwt_key_kind_t kinds[] = {CONG_JWT_KEY_EC_P256, CONG_JWT_KEY_RSA, CONG_JWT_KEY_RSA};
    for (size_t i = 0; i < 3; i++) {
        assert_string_equal(cong_jwks_kid(keyset, i), signers[i].kid);
        const cong_jwt_key_t *k = cong_jwks_find(keyset, signers[i].kid, strlen(signers[i].kid));
        assert_non_null(k);
        assert_ptr_equal(k, cong_jwks_key(keyset, i));
        assert_int_equal(cong_jwt_key_alg(k), signers[i].alg);
        assert_int_equal(cong_jwt_key_kind(k), kinds[i]);
        assert_int_equal(cong_jwt_key_is_private(k), 0);
    }
    assert_null(cong_jwks_kid(keyset, 3));
    assert_null(cong_jwks_key(keyset, 3));
    assert_null(cong_jwks_find(keyset, "ec-", 3));
    assert_null(cong_jwks_find(keyset, "ec-1x", 5));
    assert_null(cong_jwks_find(keyset, "ec-1", 3));
    assert_null(cong_jwks_find(NULL, "ec-1", 4));
    assert_null(cong_jwks_find(keyset, NULL, 0));
    assert_int_equal(cong_jwks_count(NULL), 0);
    assert_null(cong_jwks_retain(NULL));
    cong_jwks_release(NULL);
}

static void test_parse_document_errors(void **state)
{
    (void)state;
    static const struct {
        const char *doc;
        int rc;
    } cases[] = {
        {"", CONG_EPARSE},
        {"not json", CONG_EPARSE},
        {"[]", CONG_EPARSE},
        {"{}", CONG_EPARSE},
        {"{\"keys\":{}}", CONG_EPARSE},
        {"{\"keys\":\"x\"}", CONG_EPARSE},
        {"{\"keys\":[],\"keys\":[]}", CONG_EPARSE}, /* duplicate member */
        {"{\"keys\":[]} {}", CONG_EPARSE},
        {"{\"keys\":[]}", CONG_ENOTFOUND},
        {"{\"keys\":[1,\"a\",null,[],{}]}", CONG_ENOTFOUND},
        {"{\"keys\":[{\"kty\":\"oct\",\"kid\":\"h\",\"k\":\"c2VjcmV0\"}]}", CONG_ENOTFOUND},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cong_jwks_t *set = (cong_jwks_t *)1;
        int rc = parse_text(cases[i].doc, &set);
        if (rc != cases[i].rc)
            fail_msg("case %zu: %d, want %d", i, rc, cases[i].rc);
        assert_null(set);
    }
    cong_jwks_t *set;
    assert_int_equal(cong_jwks_parse(NULL, 0, &set), CONG_EINVAL);
    assert_int_equal(cong_jwks_parse("{}", 2, NULL), CONG_EINVAL);
    /* Over 256 KB: refused before parsing; 65 keys: refused. */
    size_t big = CONG_JWKS_MAX_BYTES + 1;
    char *text = malloc(big);
    assert_non_null(text);
    memset(text, ' ', big);
    memcpy(text, "{\"keys\":[]}", 11);
    assert_int_equal(cong_jwks_parse(text, big, &set), CONG_ETOOBIG);
    assert_int_equal(cong_jwks_parse(text, big - 1, &set), CONG_ENOTFOUND);
    free(text);
    char *jwk = jwk_of(ec_pkey, NULL, NULL, NULL);
    size_t cap = 16 + 65 * (strlen(jwk) + 1);
    text = malloc(cap);
    assert_non_null(text);
    strcpy(text, "{\"keys\":[");
    for (int i = 0; i < 65; i++) {
        strcat(text, jwk);
        strcat(text, i < 64 ? "," : "]}");
    }
    assert_int_equal(parse_text(text, &set), CONG_ETOOBIG);
    free(text);
    free(jwk);
}

static void test_duplicate_kid_refuses_the_set(void **state)
{
    (void)state;
    char *a = jwk_of(ec_pkey, "same", NULL, NULL), *b = jwk_of(rs_pkey, "same", NULL, NULL);
    char *c = jwk_of(ps_pkey, "other", NULL, NULL);
    char *doc = jwks_of(c, a, b);
    cong_jwks_t *set = (cong_jwks_t *)1;
    assert_int_equal(parse_text(doc, &set), CONG_EEXIST);
    assert_null(set);
    free(doc);
    /* Even when one of the two would be skipped (use "enc"): the set is ambiguous. */
    free(b);
    b = jwk_of(rs_pkey, "same", NULL, ",\"use\":\"enc\"");
    doc = jwks_of(a, b, c);
    assert_int_equal(parse_text(doc, &set), CONG_EEXIST);
    free(doc);
    free(a), free(b), free(c);
}

static void test_private_members_refused(void **state)
{
    (void)state;
    static const char *const members[] = {"d", "p", "q", "dp", "dq", "qi", "oth", "k"};
    for (size_t i = 0; i < sizeof members / sizeof members[0]; i++) {
        char *extra = xprintf(",\"%s\":\"AQAB\"", members[i]);
        assert_int_equal(parse_one(rs_pkey, "RS256", extra), CONG_ENOTFOUND);
        assert_int_equal(parse_one(ec_pkey, NULL, extra), CONG_ENOTFOUND);
        free(extra);
    }
    /* A real private RSA JWK next to a good key: the private one is refused, the good one kept. */
    BIGNUM *d = NULL;
    assert_int_equal(EVP_PKEY_get_bn_param(rs_pkey, OSSL_PKEY_PARAM_RSA_D, &d), 1);
    unsigned char dbytes[512];
    int dlen = BN_bn2bin(d, dbytes);
    char *d64 = b64(dbytes, (size_t)dlen);
    char *extra = xprintf(",\"d\":\"%s\"", d64);
    char *priv = jwk_of(rs_pkey, "leaked", "RS256", extra);
    char *good = jwk_of(ec_pkey, "ec-1", NULL, NULL);
    char *doc = jwks_of(priv, good, NULL);
    cong_jwks_t *set = NULL;
    assert_int_equal(parse_text(doc, &set), CONG_OK);
    assert_int_equal(cong_jwks_count(set), 1);
    assert_int_equal(cong_jwks_skipped(set), 1);
    assert_null(cong_jwks_find(set, "leaked", 6));
    char *claims = claims_with("");
    char *token = signed_token(rs_priv, CONG_JWT_ALG_RS256, "leaked", claims);
    assert_int_equal(verify_with(set, token, NOW, NULL), CONG_JWT_UNKNOWN_KEY);
    free(token), free(claims), free(doc), free(good), free(priv), free(extra), free(d64);
    BN_clear_free(d);
    cong_jwks_release(set);
}

static void test_key_rules(void **state)
{
    (void)state;
    /* Accepted forms. */
    assert_int_equal(parse_one(ec_pkey, NULL, NULL), CONG_OK);
    assert_int_equal(parse_one(ec_pkey, "ES256", ",\"use\":\"sig\",\"key_ops\":[\"verify\"]"), CONG_OK);
    assert_int_equal(parse_one(rs_pkey, "RS256", NULL), CONG_OK);
    assert_int_equal(parse_one(rs_pkey, "PS256", ",\"x5t\":\"abc\",\"ext\":true"), CONG_OK);
    /* use / key_ops */
    assert_int_equal(parse_one(ec_pkey, NULL, ",\"use\":\"enc\""), CONG_ENOTFOUND);
    assert_int_equal(parse_one(ec_pkey, NULL, ",\"use\":\"SIG\""), CONG_ENOTFOUND);
    assert_int_equal(parse_one(ec_pkey, NULL, ",\"use\":1"), CONG_ENOTFOUND);
    assert_int_equal(parse_one(ec_pkey, NULL, ",\"key_ops\":[\"sign\"]"), CONG_ENOTFOUND);
    assert_int_equal(parse_one(ec_pkey, NULL, ",\"key_ops\":\"verify\""), CONG_ENOTFOUND);
    /* alg that does not fit the key, or is not ours */
    static const char *const ec_bad[] = {"RS256", "PS256", "ES384", "HS256", "none", "es256", "EdDSA"};
    static const char *const rsa_bad[] = {"ES256", "RS384", "RS512", "PS512", "HS256", "none", "RSA-OAEP", "rs256"};
    for (size_t i = 0; i < sizeof ec_bad / sizeof ec_bad[0]; i++)
        assert_int_equal(parse_one(ec_pkey, ec_bad[i], NULL), CONG_ENOTFOUND);
    for (size_t i = 0; i < sizeof rsa_bad / sizeof rsa_bad[0]; i++)
        assert_int_equal(parse_one(rs_pkey, rsa_bad[i], NULL), CONG_ENOTFOUND);
    /* kid syntax: path characters, spaces, too long, empty, missing, not a string. */
    static const char *const bad_kids[] = {
        "\"../../etc/passwd\"", "\"a/b\"", "\"a b\"", "\"\"", "1", "null", "\"caf\\u00e9\"", "\"k%2F\"",
    };
    for (size_t i = 0; i < sizeof bad_kids / sizeof bad_kids[0]; i++) {
        char *x = jwk_of(ec_pkey, NULL, NULL, NULL);
        x[strlen(x) - 1] = '\0';
        char *jwk = xprintf("%s,\"kid\":%s}", x, bad_kids[i]);
        char *doc = jwks_of(jwk, NULL, NULL);
        cong_jwks_t *set = NULL;
        if (parse_text(doc, &set) != CONG_ENOTFOUND)
            fail_msg("kid %s accepted", bad_kids[i]);
        free(doc), free(jwk), free(x);
    }
    char kid[CONG_JWK_KID_MAX + 2];
    memset(kid, 'k', sizeof kid - 1);
    kid[CONG_JWK_KID_MAX + 1] = '\0';
    char *jwk = jwk_of(ec_pkey, kid, NULL, NULL);
    char *doc = jwks_of(jwk, NULL, NULL);
    cong_jwks_t *set = NULL;
    assert_int_equal(parse_text(doc, &set), CONG_ENOTFOUND);
    free(doc), free(jwk);
    kid[CONG_JWK_KID_MAX] = '\0'; /* 128 is fine, with every allowed character class */
    memcpy(kid, "Az09._-", 7);
    jwk = jwk_of(ec_pkey, kid, NULL, NULL);
    doc = jwks_of(jwk, NULL, NULL);
    assert_int_equal(parse_text(doc, &set), CONG_OK);
    assert_non_null(cong_jwks_find(set, kid, strlen(kid)));
    cong_jwks_release(set);
    free(doc), free(jwk);
    assert_int_equal(parse_one(ec_pkey, NULL, ",\"kty\":\"OKP\""), CONG_EPARSE); /* duplicate "kty" member */
    assert_int_equal(parse_one(ec_pkey, NULL, ",\"x5t\":\"k\\u0000\""), CONG_EPARSE); /* jansson refuses NUL */
}

/* A hand-written JWK from raw members. */
static int parse_members(const char *members)
{
    char *doc = xprintf("{\"keys\":[{\"kid\":\"k\",%s}]}", members);
    cong_jwks_t *set = NULL;
    int rc = parse_text(doc, &set);
    cong_jwks_release(set);
    free(doc);
    return rc;
}

static void test_ec_members(void **state)
{
    (void)state;
    char *x = b64_param(ec_pkey, OSSL_PKEY_PARAM_EC_PUB_X, 32), *y = b64_param(ec_pkey, OSSL_PKEY_PARAM_EC_PUB_Y, 32);
    char *m = xprintf("\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"%s\",\"y\":\"%s\"", x, y);
    assert_int_equal(parse_members(m), CONG_OK);
    free(m);
    static const char *const curves[] = {"P-384", "P-521", "secp256k1", "p-256", "P256"};
    for (size_t i = 0; i < sizeof curves / sizeof curves[0]; i++) {
        m = xprintf("\"kty\":\"EC\",\"crv\":\"%s\",\"x\":\"%s\",\"y\":\"%s\"", curves[i], x, y);
        assert_int_equal(parse_members(m), CONG_ENOTFOUND);
        free(m);
    }
    /* y off the curve (last byte changed), a coordinate of 31 or 33 bytes, padding, standard base64, missing y. */
    char *y_bad = strdup(y);
    y_bad[41] = y_bad[41] == 'A' ? 'B' : 'A';
    unsigned char raw[33] = {0};
    char *short_x = b64(raw, 31), *long_x = b64(raw, 33);
    const char *variants[][2] = {{x, y_bad}, {short_x, y}, {long_x, y}, {x, "AAAA="}, {x, "++//"}, {y, x}};
    for (size_t i = 0; i < sizeof variants / sizeof variants[0]; i++) {
        m = xprintf("\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"%s\",\"y\":\"%s\"", variants[i][0], variants[i][1]);
        if (parse_members(m) != CONG_ENOTFOUND)
            fail_msg("EC variant %zu accepted", i);
        free(m);
    }
    m = xprintf("\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"%s\"", x);
    assert_int_equal(parse_members(m), CONG_ENOTFOUND);
    free(m);
    /* The point at infinity has no affine form; all zeros is not on the curve. */
    char *zero = b64(raw, 32);
    m = xprintf("\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"%s\",\"y\":\"%s\"", zero, zero);
    assert_int_equal(parse_members(m), CONG_ENOTFOUND);
    free(m), free(zero), free(short_x), free(long_x), free(y_bad), free(x), free(y);
}

static void test_rsa_members(void **state)
{
    (void)state;
    /* Under 2048 bits: refused at parse (a set holding only it has no usable key). */
    EVP_PKEY *small = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
    assert_non_null(small);
    assert_int_equal(parse_one(small, "RS256", NULL), CONG_ENOTFOUND);
    assert_int_equal(parse_one(small, NULL, NULL), CONG_ENOTFOUND);
    /* ... and next to a good key, its kid is unknown. */
    char *a = jwk_of(small, "small", NULL, NULL), *b = jwk_of(ec_pkey, "ec-1", NULL, NULL);
    char *doc = jwks_of(a, b, NULL);
    cong_jwks_t *set = NULL;
    assert_int_equal(parse_text(doc, &set), CONG_OK);
    assert_null(cong_jwks_find(set, "small", 5));
    assert_int_equal(cong_jwks_skipped(set), 1);
    cong_jwks_release(set);
    free(doc), free(a), free(b);
    EVP_PKEY_free(small);

    char *e = b64_param(rs_pkey, OSSL_PKEY_PARAM_RSA_E, 0);
    /* n of 2047 bits (odd), 8193 bits, exactly 8192 bits (accepted), with a leading zero byte (accepted). */
    static const struct {
        size_t bytes;
        unsigned char top;
        int lead_zero;
        int rc;
    } sizes[] = {{256, 0x7f, 0, CONG_ENOTFOUND}, {1025, 0x01, 0, CONG_ENOTFOUND}, {1024, 0xc3, 0, CONG_OK},
                 {256, 0xc3, 1, CONG_OK},        {256, 0xc3, 0, CONG_OK}};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        unsigned char n[1026];
        size_t len = sizes[i].bytes + (size_t)sizes[i].lead_zero;
        assert_int_equal(RAND_bytes(n, (int)len), 1);
        n[0] = 0;
        n[sizes[i].lead_zero] = sizes[i].top;
        n[len - 1] |= 1;
        char *n64 = b64(n, len);
        char *m = xprintf("\"kty\":\"RSA\",\"n\":\"%s\",\"e\":\"%s\"", n64, e);
        if (parse_members(m) != sizes[i].rc)
            fail_msg("RSA size case %zu", i);
        free(m), free(n64);
    }
    char *n = b64_param(rs_pkey, OSSL_PKEY_PARAM_RSA_N, 0);
    static const char *const bad_e[] = {"AQ", "Ag", "AAE", "", "AQAB=", "AQ+B", "AQEBAQEBAQEBAQEB"};
    for (size_t i = 0; i < sizeof bad_e / sizeof bad_e[0]; i++) {
        char *m = xprintf("\"kty\":\"RSA\",\"n\":\"%s\",\"e\":\"%s\"", n, bad_e[i]);
        if (parse_members(m) != CONG_ENOTFOUND)
            fail_msg("e \"%s\" accepted", bad_e[i]);
        free(m);
    }
    char *m = xprintf("\"kty\":\"RSA\",\"n\":\"%s\",\"e\":\"Aw\"", n); /* e = 3 is odd: allowed */
    assert_int_equal(parse_members(m), CONG_OK);
    free(m);
    m = xprintf("\"kty\":\"RSA\",\"n\":\"%s\"", n);
    assert_int_equal(parse_members(m), CONG_ENOTFOUND);
    free(m);
    m = xprintf("\"kty\":\"RSA\",\"n\":\"%s=\",\"e\":\"%s\"", n, e);
    assert_int_equal(parse_members(m), CONG_ENOTFOUND);
    free(m);
    free(n), free(e);
}

/* ---- publishing ---- */

static void test_publish_round_trip(void **state)
{
    (void)state;
    const cong_jwt_key_t *keys[] = {ec_priv, rs_priv, ps_priv};
    const char *kids[] = {"cong-2025-a", "vneid-rs", "vneid-ps"};
    const cong_jwt_alg_t algs[] = {CONG_JWT_ALG_ES256, CONG_JWT_ALG_RS256, CONG_JWT_ALG_PS256};
    char *doc = NULL;
    assert_int_equal(cong_jwks_public_json(keys, 3, kids, algs, &doc), CONG_OK);
    assert_non_null(doc);
    /* Public members only. */
    assert_null(strstr(doc, "\"d\""));
    assert_null(strstr(doc, "\"p\""));
    assert_non_null(strstr(doc, "\"use\":\"sig\""));
    assert_non_null(strstr(doc, "\"alg\":\"PS256\""));
    cong_jwks_t *set = NULL;
    assert_int_equal(parse_text(doc, &set), CONG_OK);
    assert_int_equal(cong_jwks_count(set), 3);
    char *claims = claims_with("");
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(cong_jwt_key_alg(cong_jwks_find(set, kids[i], strlen(kids[i]))), algs[i]);
        char *token = signed_token(keys[i], algs[i], kids[i], claims);
        assert_int_equal(verify_with(set, token, NOW, NULL), CONG_JWT_OK);
        free(token);
    }
    /* The EC key as our encoder writes it equals the test's independent JWK. */
    char *x = b64_param(ec_pkey, OSSL_PKEY_PARAM_EC_PUB_X, 32);
    assert_non_null(strstr(doc, x));
    free(x);
    cong_jwks_release(set);
    free(doc);

    /* Default algorithms (NULL): each key's own pin. */
    assert_int_equal(cong_jwks_public_json(keys, 2, kids, NULL, &doc), CONG_OK);
    assert_non_null(strstr(doc, "\"alg\":\"ES256\""));
    assert_non_null(strstr(doc, "\"alg\":\"RS256\""));
    free(doc);
    assert_int_equal(cong_jwks_public_json(NULL, 0, NULL, NULL, &doc), CONG_OK);
    assert_string_equal(doc, "{\"keys\":[]}");
    free(doc);
    free(claims);
}

static void test_publish_errors(void **state)
{
    (void)state;
    const cong_jwt_key_t *keys[] = {ec_priv, rs_priv};
    const char *kids[] = {"a", "b"};
    char *doc = (char *)1;
    cong_jwt_alg_t bad[] = {CONG_JWT_ALG_RS256, CONG_JWT_ALG_RS256};
    assert_int_equal(cong_jwks_public_json(keys, 2, kids, bad, &doc), CONG_EINVAL);
    assert_null(doc);
    bad[0] = CONG_JWT_ALG_ES256;
    bad[1] = CONG_JWT_ALG_ES256;
    assert_int_equal(cong_jwks_public_json(keys, 2, kids, bad, &doc), CONG_EINVAL);
    bad[1] = (cong_jwt_alg_t)0;
    assert_int_equal(cong_jwks_public_json(keys, 2, kids, bad, &doc), CONG_EINVAL);
    const char *dup[] = {"a", "a"};
    assert_int_equal(cong_jwks_public_json(keys, 2, dup, NULL, &doc), CONG_EEXIST);
    const char *path[] = {"../../etc/passwd", "b"};
    assert_int_equal(cong_jwks_public_json(keys, 2, path, NULL, &doc), CONG_EINVAL);
    const char *none[] = {NULL, "b"};
    assert_int_equal(cong_jwks_public_json(keys, 2, none, NULL, &doc), CONG_EINVAL);
    const cong_jwt_key_t *null_key[] = {NULL, rs_priv};
    assert_int_equal(cong_jwks_public_json(null_key, 2, kids, NULL, &doc), CONG_EINVAL);
    assert_int_equal(cong_jwks_public_json(keys, 2, NULL, NULL, &doc), CONG_EINVAL);
    assert_int_equal(cong_jwks_public_json(keys, 2, kids, NULL, NULL), CONG_EINVAL);
    assert_null(doc);
}

/* ---- valid tokens ---- */

static void test_valid_tokens_each_algorithm(void **state)
{
    (void)state;
    char *claims = xprintf("{\"iss\":\"" ISS "\",\"aud\":[\"other\",\"" AUD "\"],\"sub\":\"p-42\",\"acr\":\"2\","
                           "\"nonce\":\"n-0S6_WzA2Mj\",\"auth_time\":%lld,\"iat\":%lld,\"exp\":%lld}",
                           NOW - 30, NOW - 10, NOW + 600);
    for (size_t i = 0; i < 3; i++) {
        char *token = signed_token(priv_of(i), signers[i].alg, signers[i].kid, claims);
        cong_jwt_claims_t out;
        memset(&out, 'x', sizeof out);
        assert_int_equal(verify_with(keyset, token, NOW, &out), CONG_JWT_OK);
        assert_string_equal(out.sub, "p-42");
        assert_string_equal(out.nonce, "n-0S6_WzA2Mj");
        assert_int_equal(out.auth_time, NOW - 30);
        assert_int_equal(out.loa, 2);
        free(token);
        /* Independently signed tokens verify too. */
        char *header = xprintf("{\"alg\":\"%s\",\"kid\":\"%s\"}", signers[i].alg_name, signers[i].kid);
        token = hand_token(pkey_of(i), signers[i].mode, header, claims);
        assert_int_equal(verify(token), CONG_JWT_OK);
        free(token), free(header);
    }
    free(claims);
    /* nonce: 128 bytes fit, 129 do not; auth_time must be a number. */
    char nonce[130];
    memset(nonce, 'n', 129);
    nonce[129] = '\0';
    char *extra = xprintf(",\"nonce\":\"%s\"", nonce);
    claims = claims_with(extra);
    expect_all(claims, CONG_JWT_MALFORMED, NOW);
    free(claims), free(extra);
    nonce[128] = '\0';
    extra = xprintf(",\"nonce\":\"%s\"", nonce);
    claims = claims_with(extra);
    expect_all(claims, CONG_JWT_OK, NOW);
    free(claims), free(extra);
    claims = claims_with(",\"auth_time\":\"yesterday\"");
    expect_all(claims, CONG_JWT_MALFORMED, NOW);
    free(claims);
    claims = claims_with(",\"nonce\":7");
    expect_all(claims, CONG_JWT_MALFORMED, NOW);
    free(claims);
}

/* ---- the attack battery ---- */

static void test_alg_none(void **state)
{
    (void)state;
    char *claims = claims_with("");
    char *p = b64(claims, strlen(claims));
    for (size_t i = 0; i < 3; i++) {
        char *header = xprintf("{\"alg\":\"none\",\"kid\":\"%s\"}", signers[i].kid);
        char *h = b64(header, strlen(header));
        char *token = xprintf("%s.%s.", h, p);
        assert_int_equal(verify(token), CONG_JWT_BAD_ALGORITHM);
        free(token);
        /* With a genuine signature of the key glued on, and other spellings. */
        token = hand_token(pkey_of(i), signers[i].mode, header, claims);
        assert_int_equal(verify(token), CONG_JWT_BAD_ALGORITHM);
        free(token), free(h), free(header);
        static const char *const spellings[] = {"None", "NONE", "nOnE", ""};
        for (size_t s = 0; s < sizeof spellings / sizeof spellings[0]; s++) {
            header = xprintf("{\"alg\":\"%s\",\"kid\":\"%s\"}", spellings[s], signers[i].kid);
            token = hand_token(pkey_of(i), signers[i].mode, header, claims);
            assert_int_equal(verify(token), CONG_JWT_BAD_ALGORITHM);
            free(token), free(header);
        }
    }
    char *token = xprintf("eyJhbGciOiJub25lIn0.%s.", p); /* {"alg":"none"} without kid */
    assert_int_equal(verify(token), CONG_JWT_BAD_ALGORITHM);
    free(token), free(p), free(claims);
}

/* An HS* token whose HMAC secret is `secret`, with kid. */
static char *hmac_token(const char *alg, const char *kid, const void *secret, size_t secret_len, const char *claims)
{
    const EVP_MD *md = strcmp(alg, "HS256") == 0 ? EVP_sha256() : strcmp(alg, "HS384") == 0 ? EVP_sha384()
                                                                                            : EVP_sha512();
    char *header = xprintf("{\"alg\":\"%s\",\"typ\":\"JWT\",\"kid\":\"%s\"}", alg, kid);
    char *in = signing_input(header, claims);
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int mac_len = 0;
    assert_non_null(HMAC(md, secret, (int)secret_len, (const unsigned char *)in, strlen(in), mac, &mac_len));
    char *sig = b64(mac, mac_len);
    char *token = xprintf("%s.%s", in, sig);
    free(sig), free(in), free(header);
    return token;
}

static void test_hs256_with_public_key_as_secret(void **state)
{
    (void)state;
    char *claims = claims_with("");
    for (size_t i = 0; i < 3; i++) {
        /* The provider's public key PEM as the HMAC secret. */
        size_t pem_len;
        char *pem = pem_of(pkey_of(i), 0, &pem_len);
        static const char *const algs[] = {"HS256", "HS384", "HS512"};
        for (size_t a = 0; a < 3; a++) {
            char *token = hmac_token(algs[a], signers[i].kid, pem, pem_len, claims);
            assert_int_equal(verify(token), CONG_JWT_BAD_ALGORITHM);
            free(token);
        }
        free(pem);
        /* The JWK text itself as the secret. */
        char *jwk = jwk_of(pkey_of(i), signers[i].kid, NULL, NULL);
        char *token = hmac_token("HS256", signers[i].kid, jwk, strlen(jwk), claims);
        assert_int_equal(verify(token), CONG_JWT_BAD_ALGORITHM);
        free(token), free(jwk);
    }
    /* The RSA JWK's n bytes (and its base64url text) as the secret. */
    BIGNUM *n = NULL;
    assert_int_equal(EVP_PKEY_get_bn_param(rs_pkey, OSSL_PKEY_PARAM_RSA_N, &n), 1);
    unsigned char nbytes[512];
    int nlen = BN_bn2bin(n, nbytes);
    BN_free(n);
    char *token = hmac_token("HS256", "rsa-rs", nbytes, (size_t)nlen, claims);
    assert_int_equal(verify(token), CONG_JWT_BAD_ALGORITHM);
    free(token);
    char *n64 = b64(nbytes, (size_t)nlen);
    token = hmac_token("HS256", "rsa-rs", n64, strlen(n64), claims);
    assert_int_equal(verify(token), CONG_JWT_BAD_ALGORITHM);
    free(token), free(n64), free(claims);
}

static void test_time_claims(void **state)
{
    (void)state;
    char *claims = claims_with("");
    expect_all(claims, CONG_JWT_OK, NOW);
    expect_all(claims, CONG_JWT_EXPIRED, NOW + 600 + SKEW);    /* expired, skew included */
    expect_all(claims, CONG_JWT_OK, NOW + 600 + SKEW - 1);     /* inside the skew */
    free(claims);
    claims = xprintf("{\"iss\":\"" ISS "\",\"aud\":\"" AUD "\"}"); /* no exp */
    expect_all(claims, CONG_JWT_EXPIRED, NOW);
    free(claims);
    char *extra = xprintf(",\"nbf\":%lld", NOW + 3600);             /* nbf in the future */
    claims = claims_with(extra);
    expect_all(claims, CONG_JWT_NOT_YET_VALID, NOW);
    free(claims), free(extra);
    extra = xprintf(",\"iat\":%lld", NOW + 365LL * 24 * 3600);     /* iat far in the future */
    claims = claims_with(extra);
    expect_all(claims, CONG_JWT_NOT_YET_VALID, NOW);
    free(claims), free(extra);
    extra = xprintf(",\"iat\":%lld,\"nbf\":%lld", NOW + SKEW, NOW + SKEW); /* exactly at the skew: fine */
    claims = claims_with(extra);
    expect_all(claims, CONG_JWT_OK, NOW);
    free(claims), free(extra);
}

static void test_issuer_and_audience(void **state)
{
    (void)state;
    static const struct {
        const char *iss_aud;
        cong_jwt_result_t want;
    } cases[] = {
        {"\"iss\":\"https://evil.example\",\"aud\":\"" AUD "\"", CONG_JWT_BAD_ISSUER},
        {"\"iss\":\"" ISS "/\",\"aud\":\"" AUD "\"", CONG_JWT_BAD_ISSUER},
        {"\"aud\":\"" AUD "\"", CONG_JWT_BAD_ISSUER},
        {"\"iss\":\"" ISS "\",\"aud\":\"someone-else\"", CONG_JWT_BAD_AUDIENCE},
        {"\"iss\":\"" ISS "\",\"aud\":[\"a\",\"b\",\"cong-client2\"]", CONG_JWT_BAD_AUDIENCE},
        {"\"iss\":\"" ISS "\",\"aud\":[]", CONG_JWT_BAD_AUDIENCE},
        {"\"iss\":\"" ISS "\"", CONG_JWT_BAD_AUDIENCE},
        {"\"iss\":\"" ISS "\",\"aud\":[\"a\",\"" AUD "\"]", CONG_JWT_OK},
        {"\"iss\":\"" ISS "\",\"aud\":[\"" AUD "\",7]", CONG_JWT_MALFORMED},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *claims = xprintf("{%s,\"exp\":%lld}", cases[i].iss_aud, NOW + 600);
        expect_all(claims, cases[i].want, NOW);
        free(claims);
    }
}

/* Replaces the payload of a signed token. */
static char *with_payload(const char *token, const char *payload)
{
    const char *dot1 = strchr(token, '.'), *dot2 = strrchr(token, '.');
    char *p = b64(payload, strlen(payload));
    char *forged = xprintf("%.*s.%s%s", (int)(dot1 - token), token, p, dot2);
    free(p);
    return forged;
}

static void test_tampered_and_truncated(void **state)
{
    (void)state;
    char *claims = claims_with("");
    char *evil = claims_with(",\"acr\":\"2\"");
    for (size_t i = 0; i < 3; i++) {
        char *token = signed_token(priv_of(i), signers[i].alg, signers[i].kid, claims);
        char *forged = with_payload(token, evil);
        assert_int_equal(verify(forged), CONG_JWT_BAD_SIGNATURE);
        free(forged);
        /* One bit of the signature flipped. */
        char *dot2 = strrchr(token, '.');
        unsigned char sig[1024];
        long n = cong_b64url_decode(dot2 + 1, strlen(dot2 + 1), sig);
        assert_true(n > 0);
        sig[n / 2] ^= 0x01;
        char *s = b64(sig, (size_t)n);
        char *flipped = xprintf("%.*s.%s", (int)(dot2 - token), token, s);
        assert_int_equal(verify(flipped), CONG_JWT_BAD_SIGNATURE);
        free(flipped), free(s);
        sig[n / 2] ^= 0x01;
        /* Truncated by one byte, and the signature missing. */
        s = b64(sig, (size_t)n - 1);
        char *truncated = xprintf("%.*s.%s", (int)(dot2 - token), token, s);
        assert_int_equal(verify(truncated), CONG_JWT_BAD_SIGNATURE);
        free(truncated), free(s);
        char *empty = xprintf("%.*s.", (int)(dot2 - token), token);
        assert_int_equal(verify(empty), CONG_JWT_BAD_SIGNATURE);
        free(empty);
        /* One byte too many (a leading zero keeps the RSA value the same). */
        unsigned char longer[1025] = {0};
        memcpy(longer + 1, sig, (size_t)n);
        s = b64(longer, (size_t)n + 1);
        char *padded = xprintf("%.*s.%s", (int)(dot2 - token), token, s);
        assert_int_equal(verify(padded), CONG_JWT_BAD_SIGNATURE);
        free(padded), free(s);
        /* Cut characters off the end: never accepted. */
        for (size_t cut = 1; cut < 6; cut++) {
            char *t = xprintf("%.*s", (int)(strlen(token) - cut), token);
            cong_jwt_result_t r = verify(t);
            assert_true(r == CONG_JWT_BAD_SIGNATURE || r == CONG_JWT_MALFORMED);
            free(t);
        }
        free(token);
    }
    free(evil), free(claims);
}

static void test_der_es256_signature(void **state)
{
    (void)state;
    char *claims = claims_with("");
    const char *header = "{\"alg\":\"ES256\",\"kid\":\"ec-1\"}";
    char *token = hand_token(ec_pkey, SIG_ES256_DER, header, claims);
    assert_int_equal(verify(token), CONG_JWT_BAD_SIGNATURE);
    free(token);
    token = hand_token(ec_pkey, SIG_ES256_JOSE, header, claims);
    assert_int_equal(verify(token), CONG_JWT_OK);
    free(token), free(claims);
}

static void test_pss_salt_is_digest_length(void **state)
{
    (void)state;
    char *claims = claims_with("");
    const char *header = "{\"alg\":\"PS256\",\"kid\":\"rsa-ps\"}";
    char *token = hand_token(ps_pkey, SIG_PS256_SALT0, header, claims);
    assert_int_equal(verify(token), CONG_JWT_BAD_SIGNATURE);
    free(token);
    token = hand_token(ps_pkey, SIG_PS256_SALTMAX, header, claims);
    assert_int_equal(verify(token), CONG_JWT_BAD_SIGNATURE);
    free(token);
    /* A PKCS#1 v1.5 signature under a PS256 header, and PSS under RS256 (on keys pinned accordingly). */
    token = hand_token(ps_pkey, SIG_RS256, header, claims);
    assert_int_equal(verify(token), CONG_JWT_BAD_SIGNATURE);
    free(token);
    token = hand_token(rs_pkey, SIG_PS256, "{\"alg\":\"RS256\",\"kid\":\"rsa-rs\"}", claims);
    assert_int_equal(verify(token), CONG_JWT_BAD_SIGNATURE);
    free(token), free(claims);
}

static void test_kid_handling(void **state)
{
    (void)state;
    char *claims = claims_with("");
    /* Unknown kid, signed by a key the provider never published: the caller should refresh the keyset. */
    char *token = hand_token(ec_other, SIG_ES256_JOSE, "{\"alg\":\"ES256\",\"kid\":\"ec-2\"}", claims);
    assert_int_equal(verify(token), CONG_JWT_UNKNOWN_KEY);
    assert_string_equal(cong_jwt_result_name(CONG_JWT_UNKNOWN_KEY), "unknown-key");
    free(token);
    /* A known kid with another key's signature. */
    token = hand_token(ec_other, SIG_ES256_JOSE, "{\"alg\":\"ES256\",\"kid\":\"ec-1\"}", claims);
    assert_int_equal(verify(token), CONG_JWT_BAD_SIGNATURE);
    free(token);
    /* No keyset at all yet: unknown key too. */
    token = signed_token(ec_priv, CONG_JWT_ALG_ES256, "ec-1", claims);
    assert_int_equal(verify_with(NULL, token, NOW, NULL), CONG_JWT_UNKNOWN_KEY);
    free(token);
    static const char *const bad[] = {
        "\"../../etc/passwd\"", "\"ec-1/../ec-1\"", "\"/dev/stdin\"", "\"ec-1\\u0000\"", "\"ec 1\"", "\"\"", "1",
        "[\"ec-1\"]", "null", "{\"kid\":\"ec-1\"}", "\"http://evil.example/key\"",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *header = xprintf("{\"alg\":\"ES256\",\"kid\":%s}", bad[i]);
        token = hand_token(ec_pkey, SIG_ES256_JOSE, header, claims);
        if (verify(token) != CONG_JWT_MALFORMED)
            fail_msg("kid %s: %s", bad[i], cong_jwt_result_name(verify(token)));
        free(token), free(header);
    }
    char long_kid[CONG_JWK_KID_MAX + 2];
    memset(long_kid, 'k', sizeof long_kid - 1);
    long_kid[sizeof long_kid - 1] = '\0';
    char *header = xprintf("{\"alg\":\"ES256\",\"kid\":\"%s\"}", long_kid);
    token = hand_token(ec_pkey, SIG_ES256_JOSE, header, claims);
    assert_int_equal(verify(token), CONG_JWT_MALFORMED);
    free(token), free(header);
    /* No kid. */
    token = hand_token(ec_pkey, SIG_ES256_JOSE, "{\"alg\":\"ES256\"}", claims);
    assert_int_equal(verify(token), CONG_JWT_MALFORMED);
    free(token);
    /* Duplicate kid members in the header. */
    token = hand_token(ec_pkey, SIG_ES256_JOSE, "{\"alg\":\"ES256\",\"kid\":\"ec-2\",\"kid\":\"ec-1\"}", claims);
    assert_int_equal(verify(token), CONG_JWT_MALFORMED);
    free(token), free(claims);
}

static void test_algorithm_pinned_by_key(void **state)
{
    (void)state;
    char *claims = claims_with("");
    static const struct {
        const char *header;
        size_t key; /* who signs */
        enum sig_mode mode;
    } cases[] = {
        {"{\"alg\":\"RS256\",\"kid\":\"ec-1\"}", 1, SIG_RS256},    /* RS256 header on the EC key */
        {"{\"alg\":\"PS256\",\"kid\":\"ec-1\"}", 2, SIG_PS256},    /* PS256 header on the EC key */
        {"{\"alg\":\"ES256\",\"kid\":\"rsa-rs\"}", 0, SIG_ES256_JOSE}, /* ES256 on RSA */
        {"{\"alg\":\"ES256\",\"kid\":\"rsa-ps\"}", 0, SIG_ES256_JOSE},
        {"{\"alg\":\"PS256\",\"kid\":\"rsa-rs\"}", 1, SIG_PS256},  /* genuine PSS signature by the RS256-pinned key */
        {"{\"alg\":\"RS256\",\"kid\":\"rsa-ps\"}", 2, SIG_RS256},  /* genuine PKCS#1 signature by the PS256 key */
        {"{\"alg\":\"RS384\",\"kid\":\"rsa-rs\"}", 1, SIG_RS256},
        {"{\"alg\":\"ES384\",\"kid\":\"ec-1\"}", 0, SIG_ES256_JOSE},
        {"{\"alg\":\"EdDSA\",\"kid\":\"ec-1\"}", 0, SIG_ES256_JOSE},
        {"{\"alg\":\"rs256\",\"kid\":\"rsa-rs\"}", 1, SIG_RS256},
        {"{\"alg\":[\"RS256\"],\"kid\":\"rsa-rs\"}", 1, SIG_RS256},
        {"{\"kid\":\"rsa-rs\"}", 1, SIG_RS256},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *token = hand_token(pkey_of(cases[i].key), cases[i].mode, cases[i].header, claims);
        cong_jwt_result_t r = verify(token);
        if (r != CONG_JWT_BAD_ALGORITHM)
            fail_msg("%s: %s", cases[i].header, cong_jwt_result_name(r));
        free(token);
    }
    /* An alg with an embedded NUL never gets that far: the header is not acceptable JSON. */
    char *token = hand_token(rs_pkey, SIG_RS256, "{\"alg\":\"RS256\\u0000\",\"kid\":\"rsa-rs\"}", claims);
    assert_int_equal(verify(token), CONG_JWT_MALFORMED);
    free(token);
    free(claims);
}

static void test_header_members(void **state)
{
    (void)state;
    char *claims = claims_with("");
    /* crit, in any form: refused. */
    static const char *const crit[] = {"[\"exp\"]", "[]", "\"b64\"", "null"};
    for (size_t i = 0; i < sizeof crit / sizeof crit[0]; i++) {
        char *header = xprintf("{\"alg\":\"ES256\",\"kid\":\"ec-1\",\"crit\":%s}", crit[i]);
        char *token = hand_token(ec_pkey, SIG_ES256_JOSE, header, claims);
        assert_int_equal(verify(token), CONG_JWT_UNSUPPORTED);
        free(token), free(header);
    }
    /* jku/x5u/x5c/jwk pointing at an attacker's key are ignored: the keyset decides. */
    char *evil_jwk = jwk_of(ec_other, "ec-1", NULL, NULL);
    char *header = xprintf("{\"alg\":\"ES256\",\"kid\":\"ec-1\",\"jku\":\"https://evil.example/jwks\","
                           "\"x5u\":\"https://evil.example/cert\",\"x5c\":[\"MIIB\"],\"jwk\":%s}",
                           evil_jwk);
    char *token = hand_token(ec_other, SIG_ES256_JOSE, header, claims);
    assert_int_equal(verify(token), CONG_JWT_BAD_SIGNATURE);
    free(token);
    token = hand_token(ec_pkey, SIG_ES256_JOSE, header, claims);
    assert_int_equal(verify(token), CONG_JWT_OK);
    free(token), free(header), free(evil_jwk);
    /* typ */
    token = hand_token(ec_pkey, SIG_ES256_JOSE, "{\"alg\":\"ES256\",\"kid\":\"ec-1\",\"typ\":\"JWT\"}", claims);
    assert_int_equal(verify(token), CONG_JWT_OK);
    free(token);
    token = hand_token(ec_pkey, SIG_ES256_JOSE, "{\"alg\":\"ES256\",\"kid\":\"ec-1\",\"typ\":\"JWE\"}", claims);
    assert_int_equal(verify(token), CONG_JWT_MALFORMED);
    free(token);
    /* Duplicate claims in the payload. */
    char *dup = xprintf("{\"iss\":\"" ISS "\",\"aud\":\"" AUD "\",\"sub\":\"a\",\"sub\":\"b\",\"exp\":%lld}", NOW + 60);
    token = hand_token(rs_pkey, SIG_RS256, "{\"alg\":\"RS256\",\"kid\":\"rsa-rs\"}", dup);
    assert_int_equal(verify(token), CONG_JWT_MALFORMED);
    free(token), free(dup), free(claims);
}

static void test_size_and_alphabet(void **state)
{
    (void)state;
    /* A 100 KB token. */
    size_t n = 100 * 1024;
    char *big = malloc(n + 1);
    assert_non_null(big);
    memset(big, 'A', n);
    big[100] = '.';
    big[n - 100] = '.';
    big[n] = '\0';
    assert_int_equal(verify(big), CONG_JWT_TOO_LARGE);
    free(big);
    /* A valid RS256 token over a small limit. */
    char *claims = claims_with("");
    char *token = signed_token(ps_priv, CONG_JWT_ALG_PS256, "rsa-ps", claims);
    cong_jwt_policy_t policy = {.issuer = ISS, .audience = AUD, .max_token_bytes = strlen(token) - 1};
    assert_int_equal(cong_jwt_verify_keyset(&policy, keyset, token, strlen(token), NOW, NULL), CONG_JWT_TOO_LARGE);
    policy.max_token_bytes = 0;
    assert_int_equal(cong_jwt_verify_keyset(&policy, keyset, token, strlen(token), NOW, NULL), CONG_JWT_OK);
    /* Characters outside base64url in each part. */
    size_t len = strlen(token);
    size_t dot1 = (size_t)(strchr(token, '.') - token), dot2 = (size_t)(strrchr(token, '.') - token);
    const char *bad_chars = "+/= \t\n\"%*~\\\x80\xff";
    size_t positions[] = {0, dot1 - 1, dot1 + 1, dot2 + 1, len - 1};
    for (size_t p = 0; p < sizeof positions / sizeof positions[0]; p++) {
        for (const char *c = bad_chars; *c; c++) {
            char *t = strdup(token);
            t[positions[p]] = *c;
            if (verify(t) != CONG_JWT_MALFORMED)
                fail_msg("char 0x%02x at %zu accepted", (unsigned char)*c, positions[p]);
            free(t);
        }
    }
    char *padded = xprintf("%s=", token);
    assert_int_equal(verify(padded), CONG_JWT_MALFORMED);
    free(padded);
    assert_int_equal(cong_jwt_verify_keyset(NULL, keyset, token, len, NOW, NULL), CONG_JWT_MALFORMED);
    assert_int_equal(cong_jwt_verify_keyset(&policy, keyset, NULL, 0, NOW, NULL), CONG_JWT_MALFORMED);
    free(token), free(claims);
}

static void test_accepted_algorithms(void **state)
{
    (void)state;
    /* A deployment that accepts RS256 and ES256 only (the issue's config): PS256 is refused even from its own key. */
    char *claims = claims_with("");
    cong_jwt_policy_t policy = {.issuer = ISS, .audience = AUD,
                                .accepted_algs = CONG_JWT_ALG_BIT(CONG_JWT_ALG_RS256) |
                                                 CONG_JWT_ALG_BIT(CONG_JWT_ALG_ES256)};
    static const cong_jwt_result_t want[] = {CONG_JWT_OK, CONG_JWT_OK, CONG_JWT_BAD_ALGORITHM};
    for (size_t i = 0; i < 3; i++) {
        char *token = signed_token(priv_of(i), signers[i].alg, signers[i].kid, claims);
        assert_int_equal(cong_jwt_verify_keyset(&policy, keyset, token, strlen(token), NOW, NULL), want[i]);
        free(token);
    }
    /* Checked before the kid: an unknown kid under a refused algorithm does not ask for a refresh. */
    char *token = signed_token(ps_priv, CONG_JWT_ALG_PS256, "not-there", claims);
    assert_int_equal(cong_jwt_verify_keyset(&policy, keyset, token, strlen(token), NOW, NULL), CONG_JWT_BAD_ALGORITHM);
    policy.accepted_algs = 0;
    assert_int_equal(cong_jwt_verify_keyset(&policy, keyset, token, strlen(token), NOW, NULL), CONG_JWT_UNKNOWN_KEY);
    free(token);
    /* The single-key path honours it too. */
    token = signed_token(ec_priv, CONG_JWT_ALG_ES256, NULL, claims);
    policy.key = ec_priv;
    policy.accepted_algs = CONG_JWT_ALG_BIT(CONG_JWT_ALG_RS256);
    assert_int_equal(cong_jwt_verify(&policy, token, strlen(token), NOW, NULL), CONG_JWT_BAD_ALGORITHM);
    policy.accepted_algs = CONG_JWT_ALG_BIT(CONG_JWT_ALG_ES256);
    assert_int_equal(cong_jwt_verify(&policy, token, strlen(token), NOW, NULL), CONG_JWT_OK);
    free(token), free(claims);
}

/* ---- RSA private keys and signing ---- */

static void test_rsa_private_keys(void **state)
{
    (void)state;
    assert_int_equal(cong_jwt_key_kind(rs_priv), CONG_JWT_KEY_RSA);
    assert_int_equal(cong_jwt_key_alg(rs_priv), CONG_JWT_ALG_RS256);
    assert_int_equal(cong_jwt_key_is_private(rs_priv), 1);
    assert_int_equal(cong_jwt_key_kind(ec_priv), CONG_JWT_KEY_EC_P256);
    assert_int_equal(cong_jwt_key_alg(ec_priv), CONG_JWT_ALG_ES256);
    assert_int_equal(cong_jwt_key_kind(NULL), 0);
    assert_int_equal(cong_jwt_key_alg(NULL), 0);
    assert_int_equal(cong_jwt_key_is_private(NULL), 0);

    /* Under 2048 bits, and public RSA PEMs (provider keys come from a JWKS): refused. */
    EVP_PKEY *small = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
    size_t len;
    char *pem = pem_of(small, 1, &len);
    cong_jwt_key_t *k = (cong_jwt_key_t *)1;
    assert_int_equal(cong_jwt_key_load_private_pem(pem, len, &k), CONG_EINVAL);
    assert_null(k);
    free(pem);
    EVP_PKEY_free(small);
    pem = pem_of(rs_pkey, 0, &len);
    assert_int_equal(cong_jwt_key_load_public_pem(pem, len, &k), CONG_EINVAL);
    free(pem);

    /* The algorithm must suit the key. */
    char *token = (char *)1;
    assert_int_equal(cong_jwt_sign(rs_priv, CONG_JWT_ALG_ES256, "k", "{}", &token), CONG_EINVAL);
    assert_null(token);
    assert_int_equal(cong_jwt_sign_es256(rs_priv, "k", "{}", &token), CONG_EINVAL);
    assert_int_equal(cong_jwt_sign(ec_priv, CONG_JWT_ALG_RS256, "k", "{}", &token), CONG_EINVAL);
    assert_int_equal(cong_jwt_sign(ec_priv, CONG_JWT_ALG_PS256, "k", "{}", &token), CONG_EINVAL);
    assert_int_equal(cong_jwt_sign(ec_priv, (cong_jwt_alg_t)0, "k", "{}", &token), CONG_EINVAL);
    assert_int_equal(cong_jwt_sign(ec_priv, (cong_jwt_alg_t)99, "k", "{}", &token), CONG_EINVAL);
    const cong_jwt_key_t *pub = cong_jwks_find(keyset, "rsa-rs", 6);
    assert_int_equal(cong_jwt_sign(pub, CONG_JWT_ALG_RS256, "k", "{}", &token), CONG_EINVAL); /* public only */
    assert_null(token);

    /* Header and signature sizes. */
    assert_int_equal(cong_jwt_sign(ps_priv, CONG_JWT_ALG_PS256, "rsa-ps", "{\"a\":1}", &token), CONG_OK);
    char json[128];
    long n = cong_b64url_decode(token, (size_t)(strchr(token, '.') - token), (unsigned char *)json);
    json[n] = '\0';
    assert_string_equal(json, "{\"alg\":\"PS256\",\"typ\":\"JWT\",\"kid\":\"rsa-ps\"}");
    assert_int_equal(strlen(strrchr(token, '.') + 1), cong_b64url_encoded_len(384)); /* 3072-bit key */
    free(token);

    /* The single-key path with an RSA private key: pinned to RS256. */
    char *claims = claims_with("");
    token = signed_token(rs_priv, CONG_JWT_ALG_RS256, NULL, claims);
    cong_jwt_policy_t policy = {.key = rs_priv, .issuer = ISS, .audience = AUD};
    assert_int_equal(cong_jwt_verify(&policy, token, strlen(token), NOW, NULL), CONG_JWT_OK);
    free(token);
    token = signed_token(rs_priv, CONG_JWT_ALG_PS256, NULL, claims);
    assert_int_equal(cong_jwt_verify(&policy, token, strlen(token), NOW, NULL), CONG_JWT_BAD_ALGORITHM);
    free(token);
    /* ... and its kid is ignored there. */
    token = signed_token(rs_priv, CONG_JWT_ALG_RS256, "../../etc/passwd", claims);
    assert_int_equal(cong_jwt_verify(&policy, token, strlen(token), NOW, NULL), CONG_JWT_OK);
    free(token), free(claims);
}

static void test_alg_names(void **state)
{
    (void)state;
    cong_jwt_alg_t alg;
    static const char *const names[] = {"ES256", "RS256", "PS256"};
    for (int i = 0; i < 3; i++) {
        assert_int_equal(cong_jwt_alg_parse(names[i], &alg), CONG_OK);
        assert_int_equal(alg, (cong_jwt_alg_t)(i + 1));
        assert_string_equal(cong_jwt_alg_name(alg), names[i]);
    }
    static const char *const bad[] = {"none", "HS256", "es256", "RS384", "", "ES256 "};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(cong_jwt_alg_parse(bad[i], &alg), CONG_EINVAL);
    assert_int_equal(cong_jwt_alg_parse(NULL, &alg), CONG_EINVAL);
    assert_int_equal(cong_jwt_alg_parse("ES256", NULL), CONG_EINVAL);
    assert_null(cong_jwt_alg_name((cong_jwt_alg_t)0));
    assert_null(cong_jwt_alg_name((cong_jwt_alg_t)4));
    assert_null(cong_jwt_alg_name((cong_jwt_alg_t)-1));
}

/* ---- sharing between threads ---- */

struct share {
    cong_jwks_t *set;
    const char *tokens[3];
};

static void *share_loop(void *arg)
{
    struct share *s = arg;
    for (int i = 0; i < 60; i++) {
        cong_jwks_t *mine = cong_jwks_retain(s->set);
        cong_jwt_policy_t policy = {.issuer = ISS, .audience = AUD};
        for (int t = 0; t < 3; t++)
            if (cong_jwt_verify_keyset(&policy, mine, s->tokens[t], strlen(s->tokens[t]), NOW, NULL) != CONG_JWT_OK)
                return (void *)1;
        cong_jwks_release(mine);
    }
    cong_jwks_release(s->set); /* each thread was handed one reference */
    return NULL;
}

static void test_shared_between_threads(void **state)
{
    (void)state;
    cong_jwks_t *set = NULL;
    assert_int_equal(parse_text(jwks_text, &set), CONG_OK);
    char *claims = claims_with("");
    struct share s = {.set = set};
    char *tokens[3];
    for (size_t i = 0; i < 3; i++)
        s.tokens[i] = tokens[i] = signed_token(priv_of(i), signers[i].alg, signers[i].kid, claims);
    pthread_t t[4];
    for (int i = 0; i < 4; i++) {
        cong_jwks_retain(set);
        assert_int_equal(pthread_create(&t[i], NULL, share_loop, &s), 0);
    }
    cong_jwks_release(set); /* the threads' references keep it alive; ASan checks the last one frees it */
    for (int i = 0; i < 4; i++) {
        void *r;
        assert_int_equal(pthread_join(t[i], &r), 0);
        assert_null(r);
    }
    for (size_t i = 0; i < 3; i++)
        free(tokens[i]);
    free(claims);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_and_lookup),
        cmocka_unit_test(test_parse_document_errors),
        cmocka_unit_test(test_duplicate_kid_refuses_the_set),
        cmocka_unit_test(test_private_members_refused),
        cmocka_unit_test(test_key_rules),
        cmocka_unit_test(test_ec_members),
        cmocka_unit_test(test_rsa_members),
        cmocka_unit_test(test_publish_round_trip),
        cmocka_unit_test(test_publish_errors),
        cmocka_unit_test(test_valid_tokens_each_algorithm),
        cmocka_unit_test(test_alg_none),
        cmocka_unit_test(test_hs256_with_public_key_as_secret),
        cmocka_unit_test(test_time_claims),
        cmocka_unit_test(test_issuer_and_audience),
        cmocka_unit_test(test_tampered_and_truncated),
        cmocka_unit_test(test_der_es256_signature),
        cmocka_unit_test(test_pss_salt_is_digest_length),
        cmocka_unit_test(test_kid_handling),
        cmocka_unit_test(test_algorithm_pinned_by_key),
        cmocka_unit_test(test_header_members),
        cmocka_unit_test(test_size_and_alphabet),
        cmocka_unit_test(test_accepted_algorithms),
        cmocka_unit_test(test_rsa_private_keys),
        cmocka_unit_test(test_alg_names),
        cmocka_unit_test(test_shared_between_threads),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

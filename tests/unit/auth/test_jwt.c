/*
 * tests/unit/auth/test_jwt.c — ES256 JWT verification, signing, keys and base64url (auth/auth.h).
 *
 * Keys are generated here with OpenSSL and go through the public PEM loaders. Tokens that the signer would refuse to
 * make (duplicate keys, "crit", DER signatures, HS256, "none") are built by hand with this file's own ES256 code, so
 * the verifier is checked against an independent signer too.
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
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NOW 1760000000LL
#define ISS "https://id.example.vn"
#define AUD "cong"
#define SKEW 60

static EVP_PKEY *pkey_a, *pkey_b;          /* raw OpenSSL keys, for hand-built tokens */
static cong_jwt_key_t *pub_a, *priv_a, *priv_b;
static char *pub_pem_a;                    /* the public key PEM, used as an HMAC secret in the confusion test */
static size_t pub_pem_a_len;

/* ---- helpers ---- */

/* ECDSA P-256 SHA-256 over msg; DER as OpenSSL gives it. */
static size_t sign_der(EVP_PKEY *pkey, const char *msg, unsigned char *der, size_t cap)
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    size_t len = cap;
    assert_non_null(md);
    assert_int_equal(EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, pkey), 1);
    assert_int_equal(EVP_DigestSign(md, der, &len, (const unsigned char *)msg, strlen(msg)), 1);
    EVP_MD_CTX_free(md);
    return len;
}

/* "b64(header).b64(payload)" and the signing input, both malloc'd. */
static char *signing_input(const char *header, const char *payload)
{
    char *h = b64(header, strlen(header)), *p = b64(payload, strlen(payload));
    char *in = xprintf("%s.%s", h, p);
    free(h);
    free(p);
    return in;
}

enum sig_form { SIG_JOSE, SIG_DER };

/* A token over the exact header and payload texts given, signed with `pkey` by this file's own code. */
static char *hand_token(EVP_PKEY *pkey, const char *header, const char *payload, enum sig_form form)
{
    char *in = signing_input(header, payload);
    unsigned char der[80], rs[64];
    size_t der_len = sign_der(pkey, in, der, sizeof der);
    char *sig;
    if (form == SIG_DER) {
        sig = b64(der, der_len);
    } else {
        const unsigned char *p = der;
        ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)der_len);
        assert_non_null(es);
        assert_int_equal(BN_bn2binpad(ECDSA_SIG_get0_r(es), rs, 32), 32);
        assert_int_equal(BN_bn2binpad(ECDSA_SIG_get0_s(es), rs + 32, 32), 32);
        ECDSA_SIG_free(es);
        sig = b64(rs, sizeof rs);
    }
    char *token = xprintf("%s.%s", in, sig);
    free(in);
    free(sig);
    return token;
}

static const char *es256_header = "{\"alg\":\"ES256\",\"typ\":\"JWT\"}";

/* Claims with the right iss/aud and exp = NOW + 600, followed by `extra` members (",\"k\":v..." or ""). */
static char *claims_with(const char *extra)
{
    return xprintf("{\"iss\":\"" ISS "\",\"aud\":\"" AUD "\",\"sub\":\"u-1\",\"exp\":%lld%s}", NOW + 600, extra);
}

/* noinline: GCC 12 at -O3 otherwise mistakes the returned heap pointer for the address of its local */
__attribute__((noinline)) static char *signed_token(const char *claims)
{
    char *token = NULL;
    assert_int_equal(cong_jwt_sign_es256(priv_a, "k1", claims, &token), CONG_OK);
    assert_non_null(token);
    return token;
}

static cong_jwt_result_t verify_at(const char *token, int64_t now, int64_t skew, cong_jwt_claims_t *out)
{
    cong_jwt_policy_t policy = {.key = pub_a, .issuer = ISS, .audience = AUD, .clock_skew_s = skew};
    return cong_jwt_verify(&policy, token, strlen(token), now, out);
}

static cong_jwt_result_t verify(const char *token)
{
    return verify_at(token, NOW, SKEW, NULL);
}

/* Signs claims (from a format) with the real signer and verifies at NOW. */
static cong_jwt_result_t verify_claims(const char *claims)
{
    char *token = signed_token(claims);
    cong_jwt_result_t r = verify(token);
    free(token);
    return r;
}

static cong_jwt_result_t verify_extra(const char *extra)
{
    char *claims = claims_with(extra);
    cong_jwt_result_t r = verify_claims(claims);
    free(claims);
    return r;
}

static cong_jwt_result_t verify_hand(const char *header, const char *payload)
{
    char *token = hand_token(pkey_a, header, payload, SIG_JOSE);
    cong_jwt_result_t r = verify(token);
    free(token);
    return r;
}

static int setup(void **state)
{
    (void)state;
    size_t len;
    pkey_a = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    pkey_b = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    if (!pkey_a || !pkey_b)
        return -1;
    pub_pem_a = pem_of(pkey_a, 0, &pub_pem_a_len);
    char *priv = pem_of(pkey_a, 1, &len);
    int rc = cong_jwt_key_load_private_pem(priv, len, &priv_a);
    free(priv);
    if (rc != CONG_OK || cong_jwt_key_load_public_pem(pub_pem_a, pub_pem_a_len, &pub_a) != CONG_OK)
        return -1;
    priv = pem_of(pkey_b, 1, &len);
    rc = cong_jwt_key_load_private_pem(priv, len, &priv_b);
    free(priv);
    return rc == CONG_OK ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    cong_jwt_key_free(pub_a);
    cong_jwt_key_free(priv_a);
    cong_jwt_key_free(priv_b);
    EVP_PKEY_free(pkey_a);
    EVP_PKEY_free(pkey_b);
    free(pub_pem_a);
    return 0;
}

/* ---- valid tokens ---- */

static void test_valid_all_claims(void **state)
{
    (void)state;
    char *claims = xprintf("{\"iss\":\"" ISS "\",\"aud\":[\"other\",\"" AUD "\"],\"sub\":\"pseudo-42\",\"sid\":\"s-9\","
                           "\"client_id\":\"partner-a\",\"scope\":\"dossier:read dossier:write\",\"jti\":\"j-1\","
                           "\"act\":{\"sub\":\"guardian-7\"},\"acr\":\"http://eidas.example/loa/2\","
                           "\"mandate\":{\"id\":\"0b6f6c1e-7d3c-4e55-9a7e-3f1e2d4c5b6a\",\"actions\":[\"view\"],"
                           "\"domains\":[\"ho-tich\"]},"
                           "\"exp\":%lld,\"nbf\":%lld,\"iat\":%lld}",
                           NOW + 600, NOW - 5, NOW - 10);
    char *token = signed_token(claims);
    cong_jwt_claims_t out;
    memset(&out, 'x', sizeof out);
    assert_int_equal(verify_at(token, NOW, SKEW, &out), CONG_JWT_OK);
    assert_string_equal(out.sub, "pseudo-42");
    assert_string_equal(out.sid, "s-9");
    assert_string_equal(out.client_id, "partner-a");
    assert_string_equal(out.act, "guardian-7");
    assert_string_equal(out.scope, "dossier:read dossier:write");
    assert_string_equal(out.jti, "j-1");
    assert_int_equal(out.loa, 2);
    assert_int_equal(out.exp, NOW + 600);
    assert_int_equal(out.nbf, NOW - 5);
    assert_int_equal(out.iat, NOW - 10);
    assert_string_equal(cong_jwt_result_name(CONG_JWT_OK), "ok");
    free(token);
    free(claims);
}

static void test_minimal_claims_and_defaults(void **state)
{
    (void)state;
    char *claims = xprintf("{\"iss\":\"" ISS "\",\"aud\":\"" AUD "\",\"exp\":%lld}", NOW + 1);
    char *token = signed_token(claims);
    cong_jwt_claims_t out;
    assert_int_equal(verify_at(token, NOW, 0, &out), CONG_JWT_OK);
    assert_string_equal(out.sub, "");
    assert_string_equal(out.act, "");
    assert_string_equal(out.scope, "");
    assert_int_equal(out.loa, 0);
    assert_int_equal(out.nbf, 0);
    assert_int_equal(out.iat, 0);
    assert_int_equal(verify_at(token, NOW, 0, NULL), CONG_JWT_OK); /* out may be NULL */
    free(token);
    free(claims);
}

static void test_out_zeroed_on_failure(void **state)
{
    (void)state;
    char *claims = claims_with(",\"sid\":\"s\"");
    char *token = signed_token(claims);
    cong_jwt_claims_t out, zero;
    memset(&out, 'x', sizeof out);
    memset(&zero, 0, sizeof zero);
    assert_int_equal(verify_at(token, NOW + 3600, SKEW, &out), CONG_JWT_EXPIRED);
    assert_memory_equal(&out, &zero, sizeof out);
    free(token);
    free(claims);
}

/* ---- algorithms ---- */

static void test_alg_none(void **state)
{
    (void)state;
    char *claims = claims_with("");
    char *p = b64(claims, strlen(claims));
    char *token = xprintf("eyJhbGciOiJub25lIn0.%s.", p); /* {"alg":"none"} */
    assert_int_equal(verify(token), CONG_JWT_BAD_ALGORITHM);
    free(token);
    /* Also with a real ES256 signature glued on, and with other spellings. */
    token = hand_token(pkey_a, "{\"alg\":\"none\"}", claims, SIG_JOSE);
    assert_int_equal(verify(token), CONG_JWT_BAD_ALGORITHM);
    free(token);
    assert_int_equal(verify_hand("{\"alg\":\"NONE\",\"typ\":\"JWT\"}", claims), CONG_JWT_BAD_ALGORITHM);
    assert_int_equal(verify_hand("{\"alg\":\"es256\"}", claims), CONG_JWT_BAD_ALGORITHM);
    assert_int_equal(verify_hand("{\"alg\":\"ES384\"}", claims), CONG_JWT_BAD_ALGORITHM);
    assert_int_equal(verify_hand("{\"alg\":[\"ES256\"]}", claims), CONG_JWT_BAD_ALGORITHM);
    assert_int_equal(verify_hand("{\"typ\":\"JWT\"}", claims), CONG_JWT_BAD_ALGORITHM);
    free(p);
    free(claims);
}

static void test_hs256_with_public_key_as_secret(void **state)
{
    (void)state;
    char *claims = claims_with("");
    char *in = signing_input("{\"alg\":\"HS256\",\"typ\":\"JWT\"}", claims);
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int mac_len = 0;
    assert_non_null(HMAC(EVP_sha256(), pub_pem_a, (int)pub_pem_a_len, (const unsigned char *)in, strlen(in), mac,
                         &mac_len));
    char *sig = b64(mac, mac_len);
    char *token = xprintf("%s.%s", in, sig);
    assert_int_equal(verify(token), CONG_JWT_BAD_ALGORITHM);
    free(token);
    free(sig);
    free(in);
    free(claims);
}

/* ---- header ---- */

static void test_crit_header(void **state)
{
    (void)state;
    char *claims = claims_with("");
    assert_int_equal(verify_hand("{\"alg\":\"ES256\",\"crit\":[\"exp\"],\"exp\":1}", claims), CONG_JWT_UNSUPPORTED);
    assert_int_equal(verify_hand("{\"alg\":\"ES256\",\"crit\":[]}", claims), CONG_JWT_UNSUPPORTED);
    assert_string_equal(cong_jwt_result_name(CONG_JWT_UNSUPPORTED), "unsupported");
    free(claims);
}

static void test_typ_and_ignored_members(void **state)
{
    (void)state;
    char *claims = claims_with("");
    assert_int_equal(verify_hand("{\"alg\":\"ES256\"}", claims), CONG_JWT_OK);
    assert_int_equal(verify_hand("{\"alg\":\"ES256\",\"typ\":\"jwt\"}", claims), CONG_JWT_OK);
    assert_int_equal(verify_hand("{\"alg\":\"ES256\",\"typ\":\"at+JWT\"}", claims), CONG_JWT_OK);
    assert_int_equal(verify_hand("{\"alg\":\"ES256\",\"typ\":\"application/at+jwt\"}", claims), CONG_JWT_OK);
    assert_int_equal(verify_hand("{\"alg\":\"ES256\",\"typ\":\"JWS\"}", claims), CONG_JWT_MALFORMED);
    assert_int_equal(verify_hand("{\"alg\":\"ES256\",\"typ\":\"JWTX\"}", claims), CONG_JWT_MALFORMED);
    assert_int_equal(verify_hand("{\"alg\":\"ES256\",\"typ\":1}", claims), CONG_JWT_MALFORMED);
    /* Members naming other keys are ignored: the policy's key decides. */
    assert_int_equal(verify_hand("{\"alg\":\"ES256\",\"jku\":\"https://evil.example/jwks\",\"x5u\":\"https://e.x\","
                                 "\"x5c\":[\"MIIB\"],\"jwk\":{\"kty\":\"EC\"},\"kid\":\"whatever\"}",
                                 claims),
                     CONG_JWT_OK);
    free(claims);
}

static void test_header_json(void **state)
{
    (void)state;
    char *claims = claims_with("");
    assert_int_equal(verify_hand("{\"alg\":\"ES256\",\"alg\":\"ES256\"}", claims), CONG_JWT_MALFORMED);
    assert_int_equal(verify_hand("[\"ES256\"]", claims), CONG_JWT_MALFORMED);
    assert_int_equal(verify_hand("{\"alg\":\"ES256\"", claims), CONG_JWT_MALFORMED);
    assert_int_equal(verify_hand("{\"alg\":\"ES256\"} {}", claims), CONG_JWT_MALFORMED);
    assert_int_equal(verify_hand("", claims), CONG_JWT_MALFORMED);
    free(claims);
}

/* ---- signature ---- */

static void test_tampered_payload(void **state)
{
    (void)state;
    char *claims = claims_with("");
    char *token = signed_token(claims);
    /* Swap in another payload, keeping header and signature. */
    char *evil = claims_with(",\"scope\":\"admin\"");
    char *evil64 = b64(evil, strlen(evil));
    char *dot1 = strchr(token, '.'), *dot2 = strrchr(token, '.');
    char *forged = xprintf("%.*s.%s%s", (int)(dot1 - token), token, evil64, dot2);
    assert_int_equal(verify(forged), CONG_JWT_BAD_SIGNATURE);
    /* Change one payload character to another in the same (canonical) position. */
    dot1[1] = dot1[1] == 'e' ? 'f' : 'e';
    assert_int_not_equal(verify(token), CONG_JWT_OK);
    free(forged);
    free(evil64);
    free(evil);
    free(token);
    free(claims);
}

static void test_signature_lengths(void **state)
{
    (void)state;
    char *claims = claims_with("");
    char *token = signed_token(claims);
    char *dot2 = strrchr(token, '.');
    unsigned char rs[65];
    assert_int_equal(cong_b64url_decode(dot2 + 1, strlen(dot2 + 1), rs), 64);

    char *sig63 = b64(rs, 63);
    char *t63 = xprintf("%.*s.%s", (int)(dot2 - token), token, sig63);
    assert_int_equal(verify(t63), CONG_JWT_BAD_SIGNATURE);
    rs[64] = 0;
    char *sig65 = b64(rs, 65);
    char *t65 = xprintf("%.*s.%s", (int)(dot2 - token), token, sig65);
    assert_int_equal(verify(t65), CONG_JWT_BAD_SIGNATURE);
    char *t0 = xprintf("%.*s.", (int)(dot2 - token), token);
    assert_int_equal(verify(t0), CONG_JWT_BAD_SIGNATURE);
    /* Cut characters off the end: never accepted, whatever the cut leaves. */
    for (size_t cut = 1; cut < 8; cut++) {
        char *t = xprintf("%.*s", (int)(strlen(token) - cut), token);
        cong_jwt_result_t r = verify(t);
        assert_true(r == CONG_JWT_BAD_SIGNATURE || r == CONG_JWT_MALFORMED);
        free(t);
    }
    /* R or S zero, and all-ones (>= the group order). */
    memset(rs, 0, 64);
    char *zero = b64(rs, 64);
    char *tz = xprintf("%.*s.%s", (int)(dot2 - token), token, zero);
    assert_int_equal(verify(tz), CONG_JWT_BAD_SIGNATURE);
    memset(rs, 0xff, 64);
    char *ones = b64(rs, 64);
    char *to = xprintf("%.*s.%s", (int)(dot2 - token), token, ones);
    assert_int_equal(verify(to), CONG_JWT_BAD_SIGNATURE);
    free(to), free(ones), free(tz), free(zero), free(t0), free(t65), free(sig65), free(t63), free(sig63);
    free(token);
    free(claims);
}

static void test_der_signature(void **state)
{
    (void)state;
    char *claims = claims_with("");
    char *token = hand_token(pkey_a, es256_header, claims, SIG_DER);
    char *sig = strrchr(token, '.') + 1;
    unsigned char der[80];
    long n = cong_b64url_decode(sig, strlen(sig), der);
    assert_in_range(n, 68, 72);
    assert_int_equal(der[0], 0x30);
    assert_int_equal(verify(token), CONG_JWT_BAD_SIGNATURE);
    free(token);
    /* The same input in JOSE form is fine: the hand-built signer agrees with the verifier. */
    token = hand_token(pkey_a, es256_header, claims, SIG_JOSE);
    assert_int_equal(verify(token), CONG_JWT_OK);
    free(token);
    free(claims);
}

static void test_other_key(void **state)
{
    (void)state;
    char *claims = claims_with("");
    char *token = NULL;
    assert_int_equal(cong_jwt_sign_es256(priv_b, NULL, claims, &token), CONG_OK);
    assert_int_equal(verify(token), CONG_JWT_BAD_SIGNATURE);
    free(token);
    token = hand_token(pkey_b, es256_header, claims, SIG_JOSE);
    assert_int_equal(verify(token), CONG_JWT_BAD_SIGNATURE);
    free(token);
    /* A private key also verifies its own tokens. */
    token = signed_token(claims);
    cong_jwt_policy_t policy = {.key = priv_a, .issuer = ISS, .audience = AUD};
    assert_int_equal(cong_jwt_verify(&policy, token, strlen(token), NOW, NULL), CONG_JWT_OK);
    policy.key = NULL;
    assert_int_equal(cong_jwt_verify(&policy, token, strlen(token), NOW, NULL), CONG_JWT_BAD_SIGNATURE);
    free(token);
    free(claims);
}

/* ---- time ---- */

static void test_expired_and_missing_exp(void **state)
{
    (void)state;
    char *claims = claims_with("");
    char *token = signed_token(claims);
    assert_int_equal(verify_at(token, NOW + 600 + SKEW, SKEW, NULL), CONG_JWT_EXPIRED);
    assert_int_equal(verify_at(token, NOW + 100000, SKEW, NULL), CONG_JWT_EXPIRED);
    free(token);
    free(claims);
    claims = xprintf("{\"iss\":\"" ISS "\",\"aud\":\"" AUD "\",\"sub\":\"u\"}");
    assert_int_equal(verify_claims(claims), CONG_JWT_EXPIRED);
    free(claims);
    claims = xprintf("{\"iss\":\"" ISS "\",\"aud\":\"" AUD "\",\"exp\":null}");
    assert_int_equal(verify_claims(claims), CONG_JWT_MALFORMED);
    free(claims);
    claims = xprintf("{\"iss\":\"" ISS "\",\"aud\":\"" AUD "\",\"exp\":\"%lld\"}", NOW + 600);
    assert_int_equal(verify_claims(claims), CONG_JWT_MALFORMED);
    free(claims);
    assert_string_equal(cong_jwt_result_name(CONG_JWT_EXPIRED), "expired");
}

static void test_real_and_extreme_dates(void **state)
{
    (void)state;
    char *claims = xprintf("{\"iss\":\"" ISS "\",\"aud\":\"" AUD "\",\"exp\":%lld.5,\"iat\":%lld.25}", NOW, NOW - 10);
    char *token = signed_token(claims);
    cong_jwt_claims_t out;
    assert_int_equal(verify_at(token, NOW - 1, 0, &out), CONG_JWT_OK);
    assert_int_equal(out.exp, NOW);     /* rounded down */
    assert_int_equal(out.iat, NOW - 9); /* rounded up */
    assert_int_equal(verify_at(token, NOW, 0, NULL), CONG_JWT_EXPIRED);
    free(token);
    free(claims);
    /* Huge values saturate instead of overflowing. */
    claims = xprintf("{\"iss\":\"" ISS "\",\"aud\":\"" AUD "\",\"exp\":9223372036854775807,"
                     "\"nbf\":-9223372036854775807,"
                     "\"iat\":-1e300}");
    token = signed_token(claims);
    assert_int_equal(verify_at(token, NOW, INT64_MAX, NULL), CONG_JWT_OK);
    free(token);
    free(claims);
    claims = xprintf("{\"iss\":\"" ISS "\",\"aud\":\"" AUD "\",\"exp\":1e300}");
    assert_int_equal(verify_claims(claims), CONG_JWT_OK);
    free(claims);
    claims = xprintf("{\"iss\":\"" ISS "\",\"aud\":\"" AUD "\",\"exp\":-1e300}");
    assert_int_equal(verify_claims(claims), CONG_JWT_EXPIRED);
    free(claims);
}

static void test_not_yet_valid(void **state)
{
    (void)state;
    char *extra = xprintf(",\"nbf\":%lld", NOW + 3600);
    assert_int_equal(verify_extra(extra), CONG_JWT_NOT_YET_VALID);
    free(extra);
    extra = xprintf(",\"iat\":%lld", NOW + 3600);
    assert_int_equal(verify_extra(extra), CONG_JWT_NOT_YET_VALID);
    free(extra);
    assert_int_equal(verify_extra(",\"nbf\":\"soon\""), CONG_JWT_MALFORMED);
    assert_int_equal(verify_extra(",\"iat\":true"), CONG_JWT_MALFORMED);
    assert_string_equal(cong_jwt_result_name(CONG_JWT_NOT_YET_VALID), "not-yet-valid");
}

static void test_skew_boundaries(void **state)
{
    (void)state;
    char *claims = claims_with(""); /* exp = NOW + 600 */
    char *token = signed_token(claims);
    assert_int_equal(verify_at(token, NOW + 600 + SKEW - 1, SKEW, NULL), CONG_JWT_OK);
    assert_int_equal(verify_at(token, NOW + 600 + SKEW, SKEW, NULL), CONG_JWT_EXPIRED);
    assert_int_equal(verify_at(token, NOW + 599, 0, NULL), CONG_JWT_OK);
    assert_int_equal(verify_at(token, NOW + 600, 0, NULL), CONG_JWT_EXPIRED);
    assert_int_equal(verify_at(token, NOW + 599, -1000, NULL), CONG_JWT_OK); /* negative skew counts as 0 */
    assert_int_equal(verify_at(token, NOW + 600, -1000, NULL), CONG_JWT_EXPIRED);
    free(token);
    free(claims);

    char *extra = xprintf(",\"nbf\":%lld,\"iat\":%lld", NOW + SKEW, NOW + SKEW);
    claims = claims_with(extra);
    token = signed_token(claims);
    assert_int_equal(verify_at(token, NOW, SKEW, NULL), CONG_JWT_OK);
    assert_int_equal(verify_at(token, NOW - 1, SKEW, NULL), CONG_JWT_NOT_YET_VALID);
    assert_int_equal(verify_at(token, NOW + SKEW, 0, NULL), CONG_JWT_OK);
    assert_int_equal(verify_at(token, NOW + SKEW - 1, 0, NULL), CONG_JWT_NOT_YET_VALID);
    free(token);
    free(claims);
    free(extra);

    extra = xprintf(",\"iat\":%lld", NOW + SKEW + 1);
    assert_int_equal(verify_extra(extra), CONG_JWT_NOT_YET_VALID);
    free(extra);
}

/* ---- issuer and audience ---- */

static void test_issuer(void **state)
{
    (void)state;
    char *claims = xprintf("{\"iss\":\"https://evil.example\",\"aud\":\"" AUD "\",\"exp\":%lld}", NOW + 600);
    assert_int_equal(verify_claims(claims), CONG_JWT_BAD_ISSUER);
    free(claims);
    claims = xprintf("{\"iss\":\"" ISS "/\",\"aud\":\"" AUD "\",\"exp\":%lld}", NOW + 600);
    assert_int_equal(verify_claims(claims), CONG_JWT_BAD_ISSUER);
    free(claims);
    claims = xprintf("{\"iss\":\"HTTPS://ID.EXAMPLE.VN\",\"aud\":\"" AUD "\",\"exp\":%lld}", NOW + 600);
    assert_int_equal(verify_claims(claims), CONG_JWT_BAD_ISSUER);
    free(claims);
    claims = xprintf("{\"aud\":\"" AUD "\",\"exp\":%lld}", NOW + 600);
    assert_int_equal(verify_claims(claims), CONG_JWT_BAD_ISSUER);
    free(claims);
    claims = xprintf("{\"iss\":[\"" ISS "\"],\"aud\":\"" AUD "\",\"exp\":%lld}", NOW + 600);
    assert_int_equal(verify_claims(claims), CONG_JWT_MALFORMED);
    free(claims);
    /* A policy without an issuer accepts nothing. */
    claims = claims_with("");
    char *token = signed_token(claims);
    cong_jwt_policy_t policy = {.key = pub_a, .issuer = NULL, .audience = AUD};
    assert_int_equal(cong_jwt_verify(&policy, token, strlen(token), NOW, NULL), CONG_JWT_BAD_ISSUER);
    policy.issuer = "";
    assert_int_equal(cong_jwt_verify(&policy, token, strlen(token), NOW, NULL), CONG_JWT_BAD_ISSUER);
    free(token);
    free(claims);
    assert_string_equal(cong_jwt_result_name(CONG_JWT_BAD_ISSUER), "bad-issuer");
}

static void test_audience(void **state)
{
    (void)state;
    const char *good[] = {"\"" AUD "\"", "[\"" AUD "\"]", "[\"a\",\"" AUD "\",\"b\"]"};
    const char *bad[] = {"\"other\"", "\"CONG\"", "\"cong \"", "[]", "[\"a\",\"b\"]", "[\"congx\"]"};
    const char *malformed[] = {"1", "{\"aud\":\"" AUD "\"}", "[\"" AUD "\",1]", "null"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        char *claims = xprintf("{\"iss\":\"" ISS "\",\"aud\":%s,\"exp\":%lld}", good[i], NOW + 600);
        assert_int_equal(verify_claims(claims), CONG_JWT_OK);
        free(claims);
    }
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *claims = xprintf("{\"iss\":\"" ISS "\",\"aud\":%s,\"exp\":%lld}", bad[i], NOW + 600);
        assert_int_equal(verify_claims(claims), CONG_JWT_BAD_AUDIENCE);
        free(claims);
    }
    for (size_t i = 0; i < sizeof malformed / sizeof malformed[0]; i++) {
        char *claims = xprintf("{\"iss\":\"" ISS "\",\"aud\":%s,\"exp\":%lld}", malformed[i], NOW + 600);
        assert_int_equal(verify_claims(claims), CONG_JWT_MALFORMED);
        free(claims);
    }
    char *claims = xprintf("{\"iss\":\"" ISS "\",\"exp\":%lld}", NOW + 600);
    assert_int_equal(verify_claims(claims), CONG_JWT_BAD_AUDIENCE);
    free(claims);
    assert_string_equal(cong_jwt_result_name(CONG_JWT_BAD_AUDIENCE), "bad-audience");
}

/* ---- claims ---- */

static void test_claim_types_and_lengths(void **state)
{
    (void)state;
    assert_int_equal(verify_extra(",\"sid\":5"), CONG_JWT_MALFORMED);
    assert_int_equal(verify_extra(",\"client_id\":null"), CONG_JWT_MALFORMED);
    assert_int_equal(verify_extra(",\"scope\":[\"a\",\"b\"]"), CONG_JWT_MALFORMED);
    assert_int_equal(verify_extra(",\"jti\":{}"), CONG_JWT_MALFORMED);
    assert_int_equal(verify_extra(",\"act\":\"someone\""), CONG_JWT_MALFORMED);
    assert_int_equal(verify_extra(",\"act\":{\"sub\":7}"), CONG_JWT_MALFORMED);
    assert_int_equal(verify_extra(",\"act\":{}"), CONG_JWT_MALFORMED); /* an actor, and only under a mandate */
    assert_int_equal(verify_extra(",\"unknown\":{\"deep\":[1,2,3]}"), CONG_JWT_OK);
    char *nul = claims_with(",\"sid\":\"a\\u0000b\"");
    assert_int_equal(verify_hand(es256_header, nul), CONG_JWT_MALFORMED); /* jansson refuses NUL */
    free(nul);

    /* sub holds 127 bytes plus NUL; jti 63. */
    char sub[129], jti[65];
    memset(sub, 's', 128);
    sub[128] = '\0';
    memset(jti, 'j', 64);
    jti[64] = '\0';
    char *claims = xprintf("{\"iss\":\"" ISS "\",\"aud\":\"" AUD "\",\"exp\":%lld,\"sub\":\"%s\"}", NOW + 600, sub);
    assert_int_equal(verify_claims(claims), CONG_JWT_MALFORMED);
    free(claims);
    sub[127] = '\0';
    claims = xprintf("{\"iss\":\"" ISS "\",\"aud\":\"" AUD "\",\"exp\":%lld,\"sub\":\"%s\"}", NOW + 600, sub);
    char *token = signed_token(claims);
    cong_jwt_claims_t out;
    assert_int_equal(verify_at(token, NOW, SKEW, &out), CONG_JWT_OK);
    assert_string_equal(out.sub, sub);
    free(token);
    free(claims);
    char *extra = xprintf(",\"jti\":\"%s\"", jti);
    assert_int_equal(verify_extra(extra), CONG_JWT_MALFORMED);
    free(extra);
    jti[63] = '\0';
    extra = xprintf(",\"jti\":\"%s\"", jti);
    assert_int_equal(verify_extra(extra), CONG_JWT_OK);
    free(extra);
}

static void test_duplicate_claims(void **state)
{
    (void)state;
    char *claims = xprintf("{\"iss\":\"" ISS "\",\"aud\":\"" AUD "\",\"sub\":\"victim\",\"sub\":\"admin\","
                           "\"exp\":%lld}",
                           NOW + 600);
    assert_int_equal(verify_hand(es256_header, claims), CONG_JWT_MALFORMED);
    free(claims);
    claims = xprintf("{\"iss\":\"" ISS "\",\"aud\":\"" AUD "\",\"exp\":%lld,\"exp\":%lld}", NOW + 600, NOW + 99999);
    assert_int_equal(verify_hand(es256_header, claims), CONG_JWT_MALFORMED);
    free(claims);
    assert_int_equal(verify_hand(es256_header, "[1,2]"), CONG_JWT_MALFORMED);
    assert_int_equal(verify_hand(es256_header, "not json"), CONG_JWT_MALFORMED);
}

static void test_loa(void **state)
{
    (void)state;
    static const struct {
        const char *acr;
        int loa;
    } cases[] = {
        {"\"1\"", 1}, {"\"2\"", 2}, {"\"loa2\"", 2}, {"\"http://eidas.example/loa/1\"", 1}, {"\"urn:vn:loa:2\"", 2},
        {"1", 1}, {"2", 2}, {"3", 0}, {"0", 0}, {"\"3\"", 0}, {"\"12\"", 0}, {"\"loa21\"", 0}, {"\"\"", 0},
        {"true", 0}, {"2.0", 0}, {"[\"2\"]", 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *extra = xprintf(",\"acr\":%s", cases[i].acr);
        char *claims = claims_with(extra);
        char *token = signed_token(claims);
        cong_jwt_claims_t out;
        assert_int_equal(verify_at(token, NOW, SKEW, &out), CONG_JWT_OK);
        if (out.loa != cases[i].loa)
            fail_msg("acr %s: loa %d, want %d", cases[i].acr, out.loa, cases[i].loa);
        free(token);
        free(claims);
        free(extra);
    }
}

/* ---- shape and size ---- */

static void test_too_large(void **state)
{
    (void)state;
    size_t n = 100 * 1024;
    char *big = malloc(n + 1);
    assert_non_null(big);
    memset(big, 'A', n);
    big[10] = '.';
    big[n - 10] = '.';
    big[n] = '\0';
    assert_int_equal(verify(big), CONG_JWT_TOO_LARGE);
    cong_jwt_policy_t policy = {.key = pub_a, .issuer = ISS, .audience = AUD};
    assert_int_equal(cong_jwt_verify(&policy, big, 8193, NOW, NULL), CONG_JWT_TOO_LARGE);
    assert_int_not_equal(cong_jwt_verify(&policy, big, 8192, NOW, NULL), CONG_JWT_TOO_LARGE);
    policy.max_token_bytes = 200 * 1024; /* a larger limit: now it is just malformed */
    assert_int_equal(cong_jwt_verify(&policy, big, n, NOW, NULL), CONG_JWT_MALFORMED);
    free(big);

    /* A real token over a small limit. */
    char *claims = claims_with("");
    char *token = signed_token(claims);
    policy.max_token_bytes = strlen(token) - 1;
    assert_int_equal(cong_jwt_verify(&policy, token, strlen(token), NOW, NULL), CONG_JWT_TOO_LARGE);
    policy.max_token_bytes = strlen(token);
    assert_int_equal(cong_jwt_verify(&policy, token, strlen(token), NOW, NULL), CONG_JWT_OK);
    free(token);
    free(claims);
    assert_string_equal(cong_jwt_result_name(CONG_JWT_TOO_LARGE), "too-large");
}

static void test_malformed_shapes(void **state)
{
    (void)state;
    char *claims = claims_with("");
    char *token = signed_token(claims);
    size_t len = strlen(token);
    size_t dot1 = (size_t)(strchr(token, '.') - token), dot2 = (size_t)(strrchr(token, '.') - token);
    const char *bad_chars = "+/= \t\n\"!%*~\x80\xff";
    size_t positions[] = {0, dot1 + 1, dot2 + 1, len - 1};
    for (size_t p = 0; p < sizeof positions / sizeof positions[0]; p++) {
        for (const char *c = bad_chars; *c; c++) {
            char *t = strdup(token);
            t[positions[p]] = *c;
            if (verify(t) != CONG_JWT_MALFORMED)
                fail_msg("char 0x%02x at %zu accepted", (unsigned char)*c, positions[p]);
            free(t);
        }
    }
    /* An embedded NUL inside the given length. */
    char *t = strdup(token);
    t[5] = '\0';
    cong_jwt_policy_t policy = {.key = pub_a, .issuer = ISS, .audience = AUD};
    assert_int_equal(cong_jwt_verify(&policy, t, len, NOW, NULL), CONG_JWT_MALFORMED);
    free(t);
    /* Padding appended to the signature. */
    t = xprintf("%s==", token);
    assert_int_equal(verify(t), CONG_JWT_MALFORMED);
    free(t);
    /* Two parts, four parts, empty, dots only. */
    t = xprintf("%.*s", (int)dot2, token);
    assert_int_equal(verify(t), CONG_JWT_MALFORMED);
    free(t);
    t = xprintf("%s.%s", token, token + dot2 + 1);
    assert_int_equal(verify(t), CONG_JWT_MALFORMED);
    free(t);
    assert_int_equal(verify(""), CONG_JWT_MALFORMED);
    assert_int_equal(verify(".."), CONG_JWT_MALFORMED);
    assert_int_equal(verify("..."), CONG_JWT_MALFORMED);
    assert_int_equal(cong_jwt_verify(&policy, NULL, 0, NOW, NULL), CONG_JWT_MALFORMED);
    assert_int_equal(cong_jwt_verify(NULL, token, len, NOW, NULL), CONG_JWT_MALFORMED);
    assert_int_equal(verify(token), CONG_JWT_OK);
    assert_string_equal(cong_jwt_result_name(CONG_JWT_MALFORMED), "malformed");
    free(token);
    free(claims);
}

static void test_result_names(void **state)
{
    (void)state;
    static const char *const names[] = {"ok",           "malformed",     "too-large", "bad-algorithm",
                                        "unsupported",  "bad-signature", "expired",   "not-yet-valid",
                                        "bad-issuer",   "bad-audience",  "unknown-key"};
    for (int i = 0; i <= CONG_JWT_UNKNOWN_KEY; i++)
        assert_string_equal(cong_jwt_result_name((cong_jwt_result_t)i), names[i]);
    assert_string_equal(cong_jwt_result_name((cong_jwt_result_t)99), "unknown");
    assert_string_equal(cong_jwt_result_name((cong_jwt_result_t)-1), "unknown");
}

/* ---- one pass over keyset and key (the gateway's), the header memo, JOSE → DER ---- */

static void test_keyset_or_key(void **state)
{
    (void)state;
    const cong_jwt_key_t *keys[] = {priv_b};
    const char *kids[] = {"own-1"};
    char *json = NULL;
    cong_jwks_t *set = NULL;
    assert_int_equal(cong_jwks_public_json(keys, 1, kids, NULL, &json), CONG_OK);
    assert_int_equal(cong_jwks_parse(json, strlen(json), &set), CONG_OK);
    free(json);
    char *claims = claims_with("");
    char *own = NULL, *own_no_kid = NULL, *service = NULL, *service_unknown_kid = NULL;
    assert_int_equal(cong_jwt_sign_es256(priv_b, "own-1", claims, &own), CONG_OK);
    assert_int_equal(cong_jwt_sign_es256(priv_b, NULL, claims, &own_no_kid), CONG_OK);
    assert_int_equal(cong_jwt_sign_es256(priv_a, NULL, claims, &service), CONG_OK);
    assert_int_equal(cong_jwt_sign_es256(priv_a, "nobody", claims, &service_unknown_kid), CONG_OK);
    cong_jwt_policy_t policy = {.key = pub_a, .issuer = ISS, .audience = AUD, .clock_skew_s = SKEW};
    cong_jwt_claims_t c;
#define BOTH(tok) cong_jwt_verify_keyset_or_key(&policy, set, tok, strlen(tok), NOW, &c)
    assert_int_equal(BOTH(own), CONG_JWT_OK);
    assert_string_equal(c.sub, "u-1");
    assert_int_equal(BOTH(service), CONG_JWT_OK);
    assert_int_equal(BOTH(service_unknown_kid), CONG_JWT_OK); /* unknown kid: the single key, as before */
    assert_int_equal(BOTH(own_no_kid), CONG_JWT_BAD_SIGNATURE);
    policy.key = NULL; /* no single key: exactly cong_jwt_verify_keyset */
    assert_int_equal(BOTH(own), CONG_JWT_OK);
    assert_int_equal(BOTH(service), CONG_JWT_MALFORMED);
    assert_int_equal(BOTH(service_unknown_kid), CONG_JWT_UNKNOWN_KEY);
    assert_int_equal(cong_jwt_verify_keyset_or_key(&policy, NULL, own, strlen(own), NOW, &c), CONG_JWT_UNKNOWN_KEY);
    /* the header memo is keyed by the accepted algorithms too */
    policy.key = pub_a;
    policy.accepted_algs = CONG_JWT_ALG_BIT(CONG_JWT_ALG_RS256);
    assert_int_equal(BOTH(service), CONG_JWT_BAD_ALGORITHM);
    policy.accepted_algs = CONG_JWT_ALG_BIT(CONG_JWT_ALG_ES256);
    assert_int_equal(BOTH(service), CONG_JWT_OK);
#undef BOTH
    free(own);
    free(own_no_kid);
    free(service);
    free(service_unknown_kid);
    free(claims);
    cong_jwks_release(set);
}

/* Signatures whose r or s has leading zero bytes or a high first byte: the DER built without bignums must match. */
static void test_es256_integer_edges(void **state)
{
    (void)state;
    int zero = 0, high = 0, low = 0;
    for (int i = 0; i < 4000 && !(zero && high && low); i++) {
        char extra[40];
        snprintf(extra, sizeof extra, ",\"jti\":\"edge-%d\"", i);
        char *claims = claims_with(extra);
        char *token = signed_token(claims);
        unsigned char rs[64];
        const char *dot = strrchr(token, '.');
        assert_int_equal(cong_b64url_decode(dot + 1, strlen(dot + 1), rs), 64);
        for (int half = 0; half < 2; half++) {
            zero |= rs[half * 32] == 0;
            high |= rs[half * 32] >= 0x80;
            low |= rs[half * 32] != 0 && rs[half * 32] < 0x80;
        }
        assert_int_equal(verify(token), CONG_JWT_OK);
        free(token);
        free(claims);
    }
    assert_true(zero && high && low);
}

/* ---- signing ---- */

static void test_sign_output_and_errors(void **state)
{
    (void)state;
    char *token = NULL;
    assert_int_equal(cong_jwt_sign_es256(priv_a, "key-2025", "{ \"b\" : 1 ,\n \"a\" : [ 1, 2 ] }", &token), CONG_OK);
    char *dot1 = strchr(token, '.'), *dot2 = strrchr(token, '.');
    char json[256];
    long n = cong_b64url_decode(token, (size_t)(dot1 - token), (unsigned char *)json);
    assert_in_range(n, 1, 200);
    json[n] = '\0';
    assert_string_equal(json, "{\"alg\":\"ES256\",\"typ\":\"JWT\",\"kid\":\"key-2025\"}");
    n = cong_b64url_decode(dot1 + 1, (size_t)(dot2 - dot1 - 1), (unsigned char *)json);
    json[n] = '\0';
    assert_string_equal(json, "{\"b\":1,\"a\":[1,2]}");
    assert_int_equal(strlen(dot2 + 1), 86);
    free(token);

    assert_int_equal(cong_jwt_sign_es256(priv_a, NULL, "{}", &token), CONG_OK);
    n = cong_b64url_decode(token, (size_t)(strchr(token, '.') - token), (unsigned char *)json);
    json[n] = '\0';
    assert_string_equal(json, "{\"alg\":\"ES256\",\"typ\":\"JWT\"}");
    free(token);

    token = (char *)1;
    assert_int_equal(cong_jwt_sign_es256(pub_a, NULL, "{}", &token), CONG_EINVAL); /* no private key */
    assert_null(token);
    assert_int_equal(cong_jwt_sign_es256(priv_a, NULL, "[1]", &token), CONG_EINVAL);
    assert_int_equal(cong_jwt_sign_es256(priv_a, NULL, "{\"a\":1,\"a\":2}", &token), CONG_EINVAL);
    assert_int_equal(cong_jwt_sign_es256(priv_a, NULL, "{\"a\":", &token), CONG_EINVAL);
    assert_int_equal(cong_jwt_sign_es256(priv_a, NULL, "{} {}", &token), CONG_EINVAL);
    assert_int_equal(cong_jwt_sign_es256(priv_a, "\xff\xfe", "{}", &token), CONG_EINVAL);
    assert_int_equal(cong_jwt_sign_es256(priv_a, NULL, NULL, &token), CONG_EINVAL);
    assert_int_equal(cong_jwt_sign_es256(NULL, NULL, "{}", &token), CONG_EINVAL);
    assert_int_equal(cong_jwt_sign_es256(priv_a, NULL, "{}", NULL), CONG_EINVAL);
    assert_null(token);
}

/* ---- threads: one key shared by several verifiers ---- */

static void *verify_loop(void *arg)
{
    const char *token = arg;
    for (int i = 0; i < 200; i++)
        if (verify(token) != CONG_JWT_OK)
            return (void *)1;
    return NULL;
}

static void test_shared_key_threads(void **state)
{
    (void)state;
    char *claims = claims_with("");
    char *token = signed_token(claims);
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&t[i], NULL, verify_loop, token), 0);
    for (int i = 0; i < 4; i++) {
        void *r;
        assert_int_equal(pthread_join(t[i], &r), 0);
        assert_null(r);
    }
    free(token);
    free(claims);
}

/* ---- base64url ---- */

static void check_encode(const char *in, const char *want)
{
    char out[64];
    size_t n = cong_b64url_encode((const unsigned char *)in, strlen(in), out);
    assert_int_equal(n, strlen(want));
    assert_int_equal(cong_b64url_encoded_len(strlen(in)), strlen(want));
    assert_string_equal(out, want);
    unsigned char back[64];
    assert_int_equal(cong_b64url_decode(want, strlen(want), back), (long)strlen(in));
    assert_memory_equal(back, in, strlen(in));
}

static void test_b64url_vectors(void **state)
{
    (void)state;
    check_encode("", "");
    check_encode("f", "Zg");
    check_encode("fo", "Zm8");
    check_encode("foo", "Zm9v");
    check_encode("foob", "Zm9vYg");
    check_encode("fooba", "Zm9vYmE");
    check_encode("foobar", "Zm9vYmFy");
    check_encode("\xfb\xff\xbf", "-_-_");
    check_encode("\xff\xff", "__8");
    check_encode("\xff", "_w");
}

static void test_b64url_round_trips(void **state)
{
    (void)state;
    unsigned char in[300], back[300];
    char enc[401];
    for (size_t n = 0; n <= sizeof in; n++) {
        assert_int_equal(RAND_bytes(in, (int)n > 0 ? (int)n : 1), 1);
        size_t e = cong_b64url_encode(in, n, enc);
        assert_int_equal(e, cong_b64url_encoded_len(n));
        assert_int_equal(enc[e], '\0');
        assert_null(strpbrk(enc, "+/="));
        assert_int_equal(cong_b64url_decode(enc, e, back), (long)n);
        assert_memory_equal(back, in, n);
    }
}

static void test_b64url_strict(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "Zg==", "Zg=", "Zm8=", "Z", "Zm9vY", "Zm9vZm9 ", "Zm8\n", " Zm8", "Zm+v", "Zm/v", "Zm9v.A",
        "Zh",  /* 'h' leaves non-zero bits after "f" */
        "Zm9", /* "fo" is Zm8 */
        "_x", "__9",
    };
    unsigned char out[16];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (cong_b64url_decode(bad[i], strlen(bad[i]), out) != -1)
            fail_msg("accepted \"%s\"", bad[i]);
    assert_int_equal(cong_b64url_decode("Zm\0v", 4, out), -1);
    assert_int_equal(cong_b64url_decode("Zm9v", 0, out), 0);
    /* Exactly (len*3)/4 + 1 bytes of output space is enough: checked by ASan on a heap buffer. */
    for (size_t len = 0; len <= 12; len++) {
        if (len % 4 == 1)
            continue;
        char in[13];
        memset(in, 'A', len);
        unsigned char *o = malloc(len * 3 / 4 + 1);
        assert_int_equal(cong_b64url_decode(in, len, o), (long)(len * 3 / 4));
        free(o);
    }
}

/* ---- keys ---- */

static int load_pub(const char *pem, size_t len)
{
    cong_jwt_key_t *k = (cong_jwt_key_t *)1;
    int rc = cong_jwt_key_load_public_pem(pem, len, &k);
    if (rc != CONG_OK)
        assert_null(k);
    cong_jwt_key_free(rc == CONG_OK ? k : NULL);
    return rc;
}

static int load_priv(const char *pem, size_t len)
{
    cong_jwt_key_t *k = (cong_jwt_key_t *)1;
    int rc = cong_jwt_key_load_private_pem(pem, len, &k);
    if (rc != CONG_OK)
        assert_null(k);
    cong_jwt_key_free(rc == CONG_OK ? k : NULL);
    return rc;
}

static void refuse_pkey(EVP_PKEY *pkey)
{
    size_t len;
    assert_non_null(pkey);
    char *pem = pem_of(pkey, 0, &len);
    assert_int_equal(load_pub(pem, len), CONG_EINVAL);
    free(pem);
    pem = pem_of(pkey, 1, &len);
    assert_int_equal(load_priv(pem, len), CONG_EINVAL);
    free(pem);
    EVP_PKEY_free(pkey);
}

/* RSA: never as an ES256 public key; as a private (signing) key only from 2048 bits, and then it is RSA, not EC. */
static void check_rsa(void)
{
    EVP_PKEY *rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
    size_t len;
    assert_non_null(rsa);
    char *pem = pem_of(rsa, 0, &len);
    assert_int_equal(load_pub(pem, len), CONG_EINVAL);
    free(pem);
    pem = pem_of(rsa, 1, &len);
    cong_jwt_key_t *k = NULL;
    assert_int_equal(cong_jwt_key_load_private_pem(pem, len, &k), CONG_OK);
    assert_int_equal(cong_jwt_key_kind(k), CONG_JWT_KEY_RSA);
    char *token = (char *)1;
    assert_int_equal(cong_jwt_sign_es256(k, NULL, "{}", &token), CONG_EINVAL);
    assert_null(token);
    cong_jwt_key_free(k);
    free(pem);
    EVP_PKEY_free(rsa);
    refuse_pkey(EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024));
}

static void test_key_refused(void **state)
{
    (void)state;
    check_rsa();
    refuse_pkey(EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384"));
    refuse_pkey(EVP_PKEY_Q_keygen(NULL, NULL, "EC", "secp256k1"));
    refuse_pkey(EVP_PKEY_Q_keygen(NULL, NULL, "ED25519"));

    const char *garbage = "-----BEGIN PUBLIC KEY-----\nbm90IGEga2V5\n-----END PUBLIC KEY-----\n";
    assert_int_equal(load_pub(garbage, strlen(garbage)), CONG_EINVAL);
    assert_int_equal(load_priv(garbage, strlen(garbage)), CONG_EINVAL);
    assert_int_equal(load_pub("hello", 5), CONG_EINVAL);
    assert_int_equal(load_pub("", 0), CONG_EINVAL);
    assert_int_equal(load_pub(NULL, 10), CONG_EINVAL);
    assert_int_equal(cong_jwt_key_load_public_pem(pub_pem_a, pub_pem_a_len, NULL), CONG_EINVAL);
    /* A truncated PEM. */
    assert_int_equal(load_pub(pub_pem_a, pub_pem_a_len / 2), CONG_EINVAL);

    /* Public where private is wanted and the other way round. */
    size_t len;
    char *priv = pem_of(pkey_a, 1, &len);
    assert_int_equal(load_pub(priv, len), CONG_EINVAL);
    assert_int_equal(load_priv(pub_pem_a, pub_pem_a_len), CONG_EINVAL);
    assert_int_equal(load_priv(priv, len), CONG_OK);
    free(priv);

    /* An encrypted private key is refused without prompting for a passphrase. */
    BIO *bio = BIO_new(BIO_s_mem());
    assert_int_equal(PEM_write_bio_PrivateKey(bio, pkey_a, EVP_aes_128_cbc(), (unsigned char *)"secret", 6, NULL, NULL),
                     1);
    char *data;
    long n = BIO_get_mem_data(bio, &data);
    assert_int_equal(load_priv(data, (size_t)n), CONG_EINVAL);
    BIO_free(bio);
    cong_jwt_key_free(NULL);
}

static void test_key_files(void **state)
{
    (void)state;
    char path[] = "/tmp/cong-test-jwt-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, pub_pem_a, pub_pem_a_len), (ssize_t)pub_pem_a_len);
    close(fd);
    cong_jwt_key_t *k = NULL;
    assert_int_equal(cong_jwt_key_load_public_file(path, &k), CONG_OK);
    assert_non_null(k);
    cong_jwt_key_free(k);
    assert_int_equal(cong_jwt_key_load_private_file(path, &k), CONG_EINVAL);
    assert_null(k);
    /* A file over the size bound (64 KiB) is refused before parsing. */
    FILE *f = fopen(path, "ab");
    assert_non_null(f);
    for (int i = 0; i < 70 * 1024; i++)
        fputc('\n', f);
    fclose(f);
    assert_int_equal(cong_jwt_key_load_public_file(path, &k), CONG_EINVAL);
    assert_null(k);
    unlink(path);
    assert_int_equal(cong_jwt_key_load_public_file(path, &k), CONG_EIO);
    assert_int_equal(cong_jwt_key_load_private_file("/nonexistent/key.pem", &k), CONG_EIO);
    assert_int_equal(cong_jwt_key_load_public_file(NULL, &k), CONG_EINVAL);
    assert_null(k);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_all_claims),
        cmocka_unit_test(test_minimal_claims_and_defaults),
        cmocka_unit_test(test_out_zeroed_on_failure),
        cmocka_unit_test(test_alg_none),
        cmocka_unit_test(test_hs256_with_public_key_as_secret),
        cmocka_unit_test(test_crit_header),
        cmocka_unit_test(test_typ_and_ignored_members),
        cmocka_unit_test(test_header_json),
        cmocka_unit_test(test_tampered_payload),
        cmocka_unit_test(test_signature_lengths),
        cmocka_unit_test(test_der_signature),
        cmocka_unit_test(test_other_key),
        cmocka_unit_test(test_expired_and_missing_exp),
        cmocka_unit_test(test_real_and_extreme_dates),
        cmocka_unit_test(test_not_yet_valid),
        cmocka_unit_test(test_skew_boundaries),
        cmocka_unit_test(test_issuer),
        cmocka_unit_test(test_audience),
        cmocka_unit_test(test_claim_types_and_lengths),
        cmocka_unit_test(test_duplicate_claims),
        cmocka_unit_test(test_loa),
        cmocka_unit_test(test_too_large),
        cmocka_unit_test(test_malformed_shapes),
        cmocka_unit_test(test_result_names),
        cmocka_unit_test(test_keyset_or_key),
        cmocka_unit_test(test_es256_integer_edges),
        cmocka_unit_test(test_sign_output_and_errors),
        cmocka_unit_test(test_shared_key_threads),
        cmocka_unit_test(test_b64url_vectors),
        cmocka_unit_test(test_b64url_round_trips),
        cmocka_unit_test(test_b64url_strict),
        cmocka_unit_test(test_key_refused),
        cmocka_unit_test(test_key_files),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

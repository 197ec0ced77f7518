/* modules/identity/client_assertion.c: private_key_jwt assertions — parsing, the claims' rules, ES256 signatures. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "modules/identity/b64url.h"
#include "modules/identity/client_assertion.h"

#define NOW 1800000000LL
#define ISS "https://id.cong.test"
#define ENDPOINT ISS "/v1/auth/token"

static EVP_PKEY *key;
static char public_pem[512];

static int setup(void **state)
{
    (void)state;
    key = EVP_EC_gen("P-256");
    BIO *bio = BIO_new(BIO_s_mem());
    PEM_write_bio_PUBKEY(bio, key);
    int n = BIO_read(bio, public_pem, sizeof public_pem - 1);
    public_pem[n > 0 ? n : 0] = '\0';
    BIO_free(bio);
    return key == NULL;
}

static int teardown(void **state)
{
    (void)state;
    EVP_PKEY_free(key);
    return 0;
}

/* header.claims.signature, ES256 under `key` (r||s); `out` holds 2048 bytes. */
static void sign(const char *header, const char *claims, char *out)
{
    char h[512], c[1024];
    cong_idm_b64url_encode((const unsigned char *)header, strlen(header), h);
    cong_idm_b64url_encode((const unsigned char *)claims, strlen(claims), c);
    int n = snprintf(out, 2048, "%s.%s", h, c);
    unsigned char der[80], rs[64];
    size_t der_len = sizeof der;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    assert_int_equal(EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, key), 1);
    assert_int_equal(EVP_DigestSign(ctx, der, &der_len, (unsigned char *)out, (size_t)n), 1);
    EVP_MD_CTX_free(ctx);
    const unsigned char *p = der;
    ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)der_len);
    BN_bn2binpad(ECDSA_SIG_get0_r(es), rs, 32);
    BN_bn2binpad(ECDSA_SIG_get0_s(es), rs + 32, 32);
    ECDSA_SIG_free(es);
    out[n] = '.';
    cong_idm_b64url_encode(rs, 64, out + n + 1);
}

static const char *check(const char *claims)
{
    char jwt[2048];
    sign("{\"alg\":\"ES256\"}", claims, jwt);
    cong_idm_assertion_t a;
    assert_int_equal(cong_idm_assertion_parse(jwt, strlen(jwt), &a), 0);
    assert_true(cong_idm_assertion_verify(jwt, &a, public_pem));
    return cong_idm_assertion_check(&a, "c_1", ISS, ENDPOINT, NOW);
}

static void good_assertions(void **state)
{
    (void)state;
    assert_null(check("{\"iss\":\"c_1\",\"sub\":\"c_1\",\"aud\":\"" ENDPOINT "\",\"exp\":1800000060,\"jti\":\"j\"}"));
    assert_null(check("{\"iss\":\"c_1\",\"sub\":\"c_1\",\"aud\":[\"x\",\"" ISS "\"],\"exp\":1800000300,\"jti\":\"j\","
                      "\"iat\":1800000010,\"nbf\":1799999990}"));
}

static void claims_refused(void **state)
{
    (void)state;
    assert_non_null(check("{\"iss\":\"c_2\",\"sub\":\"c_1\",\"aud\":\"" ISS "\",\"exp\":1800000060,\"jti\":\"j\"}"));
    assert_non_null(check("{\"iss\":\"c_1\",\"sub\":\"c_1\",\"aud\":\"x\",\"exp\":1800000060,\"jti\":\"j\"}"));
    assert_non_null(check("{\"iss\":\"c_1\",\"sub\":\"c_1\",\"aud\":\"" ISS "\",\"exp\":1800000000,\"jti\":\"j\"}"));
    assert_non_null(check("{\"iss\":\"c_1\",\"sub\":\"c_1\",\"aud\":\"" ISS "\",\"exp\":1800000400,\"jti\":\"j\"}"));
    assert_non_null(check("{\"iss\":\"c_1\",\"sub\":\"c_1\",\"aud\":\"" ISS "\",\"exp\":1800000060,\"jti\":\"\"}"));
    assert_non_null(check("{\"iss\":\"c_1\",\"sub\":\"c_1\",\"aud\":\"" ISS "\",\"exp\":1800000060,\"jti\":\"j\","
                          "\"iat\":1800000100}"));
}

static void not_parsed(void **state)
{
    (void)state;
    char jwt[2048];
    cong_idm_assertion_t a;
    const char *claims = "{\"iss\":\"c_1\",\"sub\":\"c_1\",\"aud\":\"" ISS "\",\"exp\":1800000060,\"jti\":\"j\"}";
    sign("{\"alg\":\"HS256\"}", claims, jwt);
    assert_int_equal(cong_idm_assertion_parse(jwt, strlen(jwt), &a), -1);
    sign("{\"alg\":\"ES256\",\"crit\":[\"b64\"]}", claims, jwt);
    assert_int_equal(cong_idm_assertion_parse(jwt, strlen(jwt), &a), -1);
    sign("{\"alg\":\"ES256\"}", "{\"iss\":\"c_1\",\"sub\":\"c_1\",\"aud\":\"x\",\"exp\":\"later\",\"jti\":\"j\"}", jwt);
    assert_int_equal(cong_idm_assertion_parse(jwt, strlen(jwt), &a), -1);
    sign("{\"alg\":\"ES256\"}", claims, jwt);
    *strrchr(jwt, '.') = '\0'; /* no signature */
    assert_int_equal(cong_idm_assertion_parse(jwt, strlen(jwt), &a), -1);
    assert_int_equal(cong_idm_assertion_parse("a.b.c.d", 7, &a), -1);
}

static void signature_refused(void **state)
{
    (void)state;
    char jwt[2048];
    const char *claims = "{\"iss\":\"c_1\",\"sub\":\"c_1\",\"aud\":\"" ISS "\",\"exp\":1800000060,\"jti\":\"j\"}";
    sign("{\"alg\":\"ES256\"}", claims, jwt);
    cong_idm_assertion_t a;
    assert_int_equal(cong_idm_assertion_parse(jwt, strlen(jwt), &a), 0);
    a.sig[10] ^= 1;
    assert_false(cong_idm_assertion_verify(jwt, &a, public_pem));
    EVP_PKEY *other = EVP_EC_gen("P-256");
    BIO *bio = BIO_new(BIO_s_mem());
    PEM_write_bio_PUBKEY(bio, other);
    char other_pem[512];
    int n = BIO_read(bio, other_pem, sizeof other_pem - 1);
    other_pem[n] = '\0';
    BIO_free(bio);
    EVP_PKEY_free(other);
    a.sig[10] ^= 1;
    assert_true(cong_idm_assertion_verify(jwt, &a, public_pem));
    assert_false(cong_idm_assertion_verify(jwt, &a, other_pem));
    assert_true(cong_idm_assertion_key_usable(public_pem));
    assert_false(cong_idm_assertion_key_usable("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(good_assertions),
        cmocka_unit_test(claims_refused),
        cmocka_unit_test(not_parsed),
        cmocka_unit_test(signature_refused),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

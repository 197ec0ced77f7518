/* Unit tests for tools/fcm_standin's checks (fcm_standin_rules): the service account file (account.c), the JWT
 * assertion as Google's token endpoint checks it (assertion.c: algorithm, key, kid, iss, aud, scope, iat/exp and their
 * bounds, each at its edge), the messages:send body as FCM checks it (message.c: targets, data values, reserved keys,
 * unknown members, the 4096-byte payload at its edge) and the token request's form (grant_form.c). Keys are made here
 * with OpenSSL; assertions are signed with auth/ (cong_jwt_sign) or, for the forged ones, assembled by hand. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "account.h"
#include "assertion.h"
#include "grant_form.h"
#include "message.h"

#define NOW 1800000000LL
#define EMAIL "firebase-adminsdk@cong-test.iam.gserviceaccount.com"
#define TOKEN_URI "http://127.0.0.1:9/token"
#define KID "0123456789abcdef0123456789abcdef01234567"

static char *rsa_pem, *other_rsa_pem, *ec_pem;
static fcm_account_t account;

static char *key_pem(EVP_PKEY *pkey)
{
    BIO *bio = BIO_new(BIO_s_mem());
    PEM_write_bio_PrivateKey(bio, pkey, NULL, NULL, 0, NULL, NULL);
    char *data;
    long n = BIO_get_mem_data(bio, &data);
    char *copy = strndup(data, (size_t)n);
    BIO_free(bio);
    EVP_PKEY_free(pkey);
    return copy;
}

static char *account_json(const char *pem, const char *email, const char *uri)
{
    json_t *doc = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "type", "service_account", "project_id", "cong-test",
                            "private_key_id", KID, "private_key", pem, "client_email", email, "token_uri", uri);
    char *text = json_dumps(doc, 0);
    json_decref(doc);
    return text;
}

static int setup(void **state)
{
    (void)state;
    rsa_pem = key_pem(EVP_RSA_gen(2048));
    other_rsa_pem = key_pem(EVP_RSA_gen(2048));
    ec_pem = key_pem(EVP_EC_gen("P-256"));
    char *json = account_json(rsa_pem, EMAIL, TOKEN_URI);
    const char *problem = NULL;
    int rc = fcm_account_parse(json, strlen(json), &account, &problem);
    free(json);
    return rc;
}

static int teardown(void **state)
{
    (void)state;
    fcm_account_free(&account);
    free(rsa_pem);
    free(other_rsa_pem);
    free(ec_pem);
    return 0;
}

/* ---- the service account ---- */

static void account_keeps_what_it_needs(void **state)
{
    (void)state;
    assert_string_equal(account.client_email, EMAIL);
    assert_string_equal(account.token_uri, TOKEN_URI);
    assert_string_equal(account.project_id, "cong-test");
    assert_string_equal(account.key_id, KID);
    assert_non_null(account.key);
    assert_int_equal(cong_jwt_key_is_private(account.key), 0); /* the private half is not kept */
}

static void account_refuses(void **state)
{
    (void)state;
    fcm_account_t a;
    const char *problem = NULL;
    char *json = account_json(ec_pem, EMAIL, TOKEN_URI);
    assert_int_equal(fcm_account_parse(json, strlen(json), &a, &problem), -1); /* not RSA */
    assert_non_null(strstr(problem, "RSA"));
    free(json);
    json = account_json(rsa_pem, EMAIL, "ftp://x/token");
    assert_int_equal(fcm_account_parse(json, strlen(json), &a, &problem), -1);
    free(json);
    const char *no_email = "{\"type\":\"service_account\",\"project_id\":\"p\",\"token_uri\":\"http://x/\"}";
    assert_int_equal(fcm_account_parse(no_email, strlen(no_email), &a, &problem), -1);
    assert_int_equal(fcm_account_parse("[]", 2, &a, &problem), -1);
    assert_int_equal(fcm_account_load("/nonexistent/sa.json", &a, &problem), -1);
}

/* ---- assertions ---- */

/* claims with iat/exp relative to NOW (INT64_MIN: left out); scope NULL: left out. */
static char *claims(const char *iss, const char *aud, const char *scope, int64_t iat, int64_t exp)
{
    json_t *c = json_pack("{s:s, s:s}", "iss", iss, "aud", aud);
    if (scope)
        json_object_set_new(c, "scope", json_string(scope));
    if (iat != INT64_MIN)
        json_object_set_new(c, "iat", json_integer(NOW + iat));
    if (exp != INT64_MIN)
        json_object_set_new(c, "exp", json_integer(NOW + exp));
    char *text = json_dumps(c, JSON_COMPACT);
    json_decref(c);
    return text;
}

static fcm_grant_result_t check_signed(const char *pem, cong_jwt_alg_t alg, const char *kid, const char *claims_json)
{
    cong_jwt_key_t *key = NULL;
    assert_int_equal(cong_jwt_key_load_private_pem(pem, strlen(pem), &key), 0);
    char *jwt = NULL;
    assert_int_equal(cong_jwt_sign(key, alg, kid, claims_json, &jwt), 0);
    fcm_grant_result_t r = fcm_assertion_check(&account, jwt, strlen(jwt), NOW);
    free(jwt);
    cong_jwt_key_free(key);
    return r;
}

static fcm_grant_result_t check_claims(const char *iss, const char *aud, const char *scope, int64_t iat, int64_t exp)
{
    char *c = claims(iss, aud, scope, iat, exp);
    fcm_grant_result_t r = check_signed(rsa_pem, CONG_JWT_ALG_RS256, KID, c);
    free(c);
    return r;
}

static fcm_grant_result_t good(int64_t iat, int64_t exp)
{
    return check_claims(EMAIL, TOKEN_URI, FCM_SCOPE_MESSAGING, iat, exp);
}

static void a_good_assertion(void **state)
{
    (void)state;
    assert_int_equal(good(0, 3600), FCM_GRANT_OK);
    char *c = claims(EMAIL, TOKEN_URI, FCM_SCOPE_MESSAGING, 0, 3600);
    assert_int_equal(check_signed(rsa_pem, CONG_JWT_ALG_RS256, NULL, c), FCM_GRANT_OK); /* kid is optional */
    free(c);
}

static void other_keys_and_algorithms(void **state)
{
    (void)state;
    char *c = claims(EMAIL, TOKEN_URI, FCM_SCOPE_MESSAGING, 0, 3600);
    assert_int_equal(check_signed(other_rsa_pem, CONG_JWT_ALG_RS256, KID, c), FCM_GRANT_BAD_SIGNATURE);
    assert_int_equal(check_signed(rsa_pem, CONG_JWT_ALG_RS256, "another-kid", c), FCM_GRANT_BAD_SIGNATURE);
    assert_int_equal(check_signed(rsa_pem, CONG_JWT_ALG_PS256, KID, c), FCM_GRANT_BAD_ALGORITHM);
    assert_int_equal(check_signed(ec_pem, CONG_JWT_ALG_ES256, KID, c), FCM_GRANT_BAD_ALGORITHM);

    /* forged: "none" with no signature, and HS256 keyed with the public key */
    char header_none[64], header_hs[64], payload[1024], jwt[2048];
    cong_b64url_encode((const unsigned char *)"{\"alg\":\"none\",\"typ\":\"JWT\"}", 26, header_none);
    cong_b64url_encode((const unsigned char *)"{\"alg\":\"HS256\",\"typ\":\"JWT\"}", 27, header_hs);
    cong_b64url_encode((const unsigned char *)c, strlen(c), payload);
    snprintf(jwt, sizeof jwt, "%s.%s.", header_none, payload);
    assert_int_equal(fcm_assertion_check(&account, jwt, strlen(jwt), NOW), FCM_GRANT_BAD_ALGORITHM);
    snprintf(jwt, sizeof jwt, "%s.%s", header_hs, payload);
    unsigned char mac[32];
    unsigned int mac_len = 0;
    HMAC(EVP_sha256(), rsa_pem, (int)strlen(rsa_pem), (const unsigned char *)jwt, strlen(jwt), mac, &mac_len);
    char sig[64];
    cong_b64url_encode(mac, mac_len, sig);
    strcat(jwt, ".");
    strcat(jwt, sig);
    assert_int_equal(fcm_assertion_check(&account, jwt, strlen(jwt), NOW), FCM_GRANT_BAD_ALGORITHM);
    free(c);
    assert_int_equal(fcm_assertion_check(&account, "a.b.c", 5, NOW), FCM_GRANT_MALFORMED);
    assert_int_equal(fcm_assertion_check(&account, "", 0, NOW), FCM_GRANT_MALFORMED);
}

static void issuer_audience_scope(void **state)
{
    (void)state;
    assert_int_equal(check_claims("other@x.iam.gserviceaccount.com", TOKEN_URI, FCM_SCOPE_MESSAGING, 0, 3600),
                     FCM_GRANT_BAD_ISSUER);
    assert_int_equal(check_claims(EMAIL, "https://oauth2.googleapis.com/token", FCM_SCOPE_MESSAGING, 0, 3600),
                     FCM_GRANT_BAD_AUDIENCE);
    assert_int_equal(check_claims(EMAIL, TOKEN_URI, NULL, 0, 3600), FCM_GRANT_BAD_SCOPE);
    assert_int_equal(check_claims(EMAIL, TOKEN_URI, "https://www.googleapis.com/auth/userinfo.email", 0, 3600),
                     FCM_GRANT_BAD_SCOPE);
    assert_int_equal(check_claims(EMAIL, TOKEN_URI, FCM_SCOPE_MESSAGING "x", 0, 3600), FCM_GRANT_BAD_SCOPE);
    assert_int_equal(check_claims(EMAIL, TOKEN_URI, "openid " FCM_SCOPE_MESSAGING, 0, 3600), FCM_GRANT_OK);
    assert_int_equal(check_claims(EMAIL, TOKEN_URI, FCM_SCOPE_CLOUD_PLATFORM, 0, 3600), FCM_GRANT_OK);
}

static void times_at_their_edges(void **state)
{
    (void)state;
    assert_int_equal(good(0, 3600), FCM_GRANT_OK);
    assert_int_equal(good(0, 3601), FCM_GRANT_BAD_TIME); /* over an hour */
    assert_int_equal(good(-100, 3500), FCM_GRANT_OK);
    assert_int_equal(good(0, 0), FCM_GRANT_BAD_TIME);                      /* exp = iat (and now) */
    assert_int_equal(good(-3600, -FCM_ASSERTION_SKEW_S + 1), FCM_GRANT_OK); /* expired within the skew */
    assert_int_equal(good(-3600, -FCM_ASSERTION_SKEW_S), FCM_GRANT_BAD_TIME);
    assert_int_equal(good(FCM_ASSERTION_SKEW_S, 3600), FCM_GRANT_OK);       /* a clock ahead within the skew */
    assert_int_equal(good(FCM_ASSERTION_SKEW_S + 1, 3600), FCM_GRANT_BAD_TIME);
    assert_int_equal(good(INT64_MIN, 3600), FCM_GRANT_BAD_TIME); /* no iat */
    assert_int_equal(good(0, INT64_MIN), FCM_GRANT_BAD_TIME);    /* no exp */
}

static void grant_errors_as_google_names_them(void **state)
{
    (void)state;
    assert_string_equal(fcm_grant_error(FCM_GRANT_BAD_SCOPE), "invalid_scope");
    assert_string_equal(fcm_grant_error(FCM_GRANT_BAD_SIGNATURE), "invalid_grant");
    assert_string_equal(fcm_grant_description(FCM_GRANT_BAD_SIGNATURE), "Invalid JWT Signature.");
    assert_non_null(strstr(fcm_grant_description(FCM_GRANT_BAD_TIME), "short-lived token (60 minutes)"));
    assert_string_equal(fcm_grant_result_name(FCM_GRANT_BAD_AUDIENCE), "bad-audience");
}

/* ---- messages ---- */

static int check(const char *body, fcm_message_t *m)
{
    int rc = fcm_message_check(body, strlen(body), m);
    if (rc == 0)
        assert_non_null(m->message);
    else
        assert_null(m->message);
    return rc;
}

static void a_good_message(void **state)
{
    (void)state;
    fcm_message_t m;
    assert_int_equal(check("{\"message\":{\"token\":\"dev-1:APA91b_x\",\"notification\":{\"title\":\"t\",\"body\":\"b\"},"
                           "\"data\":{\"k\":\"v\"},\"android\":{\"priority\":\"high\"},\"apns\":{}}}",
                           &m),
                     0);
    assert_int_equal(m.target_kind, FCM_TARGET_TOKEN);
    assert_string_equal(m.target, "dev-1:APA91b_x");
    assert_int_equal(m.validate_only, 0);
    fcm_message_free(&m);
    assert_int_equal(check("{\"validate_only\":true,\"message\":{\"topic\":\"/topics/ward-1\"}}", &m), 0);
    assert_int_equal(m.target_kind, FCM_TARGET_TOPIC);
    assert_int_equal(m.validate_only, 1);
    fcm_message_free(&m);
    assert_int_equal(check("{\"message\":{\"condition\":\"'a' in topics\"}}", &m), 0);
    assert_string_equal(fcm_target_name(m.target_kind), "condition");
    fcm_message_free(&m);
}

static void targets(void **state)
{
    (void)state;
    fcm_message_t m;
    assert_int_equal(check("{\"message\":{\"token\":\"a\",\"topic\":\"b\"}}", &m), -1);
    assert_string_equal(m.error, "Exactly one of token, topic or condition must be set.");
    assert_int_equal(check("{\"message\":{\"data\":{}}}", &m), -1);
    assert_string_equal(m.error, "Recipient of the message is not set.");
    assert_int_equal(check("{\"message\":{\"token\":\"\"}}", &m), -1);
    assert_int_equal(check("{\"message\":{\"token\":\"a b\"}}", &m), -1);
    assert_int_equal(check("{\"message\":{\"token\":\"a\\u0000b\"}}", &m), -1);
    assert_int_equal(check("{\"message\":{\"token\":7}}", &m), -1);
    assert_int_equal(check("{\"message\":{\"topic\":\"a/b\"}}", &m), -1);
    assert_int_equal(check("{\"message\":{\"condition\":\"\"}}", &m), -1);
}

static void fields_and_values(void **state)
{
    (void)state;
    fcm_message_t m;
    assert_int_equal(check("{\"message\":{\"token\":\"a\",\"data\":{\"ok\":\"1\",\"n\":12}}}", &m), -1);
    assert_string_equal(m.field, "message.data[1].value");
    assert_int_equal(check("{\"message\":{\"token\":\"a\",\"data\":{\"from\":\"x\"}}}", &m), -1);
    assert_int_equal(check("{\"message\":{\"token\":\"a\",\"data\":{\"google.c\":\"x\"}}}", &m), -1);
    assert_int_equal(check("{\"message\":{\"token\":\"a\",\"data\":{\"gcm.x\":\"x\"}}}", &m), -1);
    assert_int_equal(check("{\"message\":{\"token\":\"a\",\"data\":[]}}", &m), -1);
    assert_int_equal(check("{\"message\":{\"token\":\"a\",\"colour\":\"red\"}}", &m), -1);
    assert_non_null(strstr(m.error, "Unknown name \"colour\" at 'message'"));
    assert_int_equal(check("{\"message\":{\"token\":\"a\"},\"priority\":1}", &m), -1);
    assert_int_equal(check("{\"message\":{\"token\":\"a\",\"notification\":{\"title\":1}}}", &m), -1);
    assert_int_equal(check("{\"message\":{\"token\":\"a\",\"notification\":{\"sound\":\"x\"}}}", &m), -1);
    assert_int_equal(check("{\"message\":{\"token\":\"a\",\"android\":\"high\"}}", &m), -1);
    assert_int_equal(check("{\"message\":{\"token\":\"a\"},\"validate_only\":1}", &m), -1);
    assert_int_equal(check("{\"message\":{\"token\":\"a\",\"token\":\"b\"}}", &m), -1); /* duplicate member */
    assert_int_equal(check("{\"message\":\"hello\"}", &m), -1);
    assert_int_equal(check("{}", &m), -1);
    assert_int_equal(check("[1]", &m), -1);
    assert_int_equal(check("{\"message\":", &m), -1);
    /* a quoted name cut inside a UTF-8 sequence, and raw bytes in the parser's message: printable ASCII only */
    assert_int_equal(check("{\"message\":{\"token\":\"a\",\"" "ồồồồồồồồồồồồồồồồồồồồồồồ\":1}}", &m), -1);
    for (const char *c = m.error; *c; c++)
        assert_true(*c >= 0x20 && *c <= 0x7e);
    assert_int_equal(check("\xff\xfe", &m), -1);
    for (const char *c = m.error; *c; c++)
        assert_true(*c >= 0x20 && *c <= 0x7e);
}

/* {"data":{"k":"<n x's>"}} is 17 + n bytes: the payload measured without the target. */
static int payload_of(size_t n, fcm_message_t *m)
{
    char *body = malloc(n + 128);
    int len = sprintf(body, "{\"message\":{\"token\":\"a-long-device-token\",\"data\":{\"k\":\"");
    memset(body + len, 'x', n);
    strcpy(body + len + n, "\"}}}");
    int rc = check(body, m);
    free(body);
    return rc;
}

static void payload_size_at_its_edge(void **state)
{
    (void)state;
    fcm_message_t m;
    assert_int_equal(payload_of(FCM_MAX_PAYLOAD_BYTES - 17, &m), 0);
    assert_int_equal(m.payload_bytes, FCM_MAX_PAYLOAD_BYTES);
    fcm_message_free(&m);
    assert_int_equal(payload_of(FCM_MAX_PAYLOAD_BYTES - 16, &m), -1);
    assert_int_equal(m.payload_bytes, FCM_MAX_PAYLOAD_BYTES + 1);
    assert_non_null(strstr(m.error, "too big"));
}

/* ---- the token request's form ---- */

static void grant_form(void **state)
{
    (void)state;
    const char *body = "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=a.b.c&x=y+z";
    char *v = NULL;
    assert_int_equal(fcm_form_get(body, strlen(body), "grant_type", &v), FCM_FORM_FOUND);
    assert_string_equal(v, FCM_GRANT_TYPE_JWT_BEARER);
    free(v);
    assert_int_equal(fcm_form_get(body, strlen(body), "x", &v), FCM_FORM_FOUND);
    assert_string_equal(v, "y z");
    free(v);
    assert_int_equal(fcm_form_get(body, strlen(body), "scope", &v), FCM_FORM_ABSENT);
    assert_null(v);
    assert_int_equal(fcm_form_get("a=1&a=2", 7, "a", &v), FCM_FORM_BAD);
    assert_null(v);
    assert_int_equal(fcm_form_get("a=%zz", 5, "a", &v), FCM_FORM_BAD);
    assert_int_equal(fcm_form_get("a=%00", 5, "a", &v), FCM_FORM_BAD);
    assert_int_equal(fcm_form_get("a", 1, "a", &v), FCM_FORM_FOUND); /* a name without '=': empty */
    assert_string_equal(v, "");
    free(v);
    assert_int_equal(fcm_form_get("", 0, "a", &v), FCM_FORM_ABSENT);
    assert_int_equal(fcm_form_get("&&a=1&", 6, "a", &v), FCM_FORM_FOUND);
    assert_string_equal(v, "1");
    free(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(account_keeps_what_it_needs),
        cmocka_unit_test(account_refuses),
        cmocka_unit_test(a_good_assertion),
        cmocka_unit_test(other_keys_and_algorithms),
        cmocka_unit_test(issuer_audience_scope),
        cmocka_unit_test(times_at_their_edges),
        cmocka_unit_test(grant_errors_as_google_names_them),
        cmocka_unit_test(a_good_message),
        cmocka_unit_test(targets),
        cmocka_unit_test(fields_and_values),
        cmocka_unit_test(payload_size_at_its_edge),
        cmocka_unit_test(grant_form),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

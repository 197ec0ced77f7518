/*
 * tests/unit/auth/test_access_token.c — what makes a JWT an access token cong accepts (RFC 9068 "typ", what a kid-less
 * service key may claim), and what cong's own access tokens carry (typ, auth_time, an end no later than their
 * session's).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "auth_test_helpers.h"

#include "auth/auth.h"
#include "auth/identity.h"
#include "auth/jwt_key_internal.h"
#include "cong/module.h"

#include <jansson.h>
#include <unistd.h>

#define NOW 1760000000LL
#define ISS "https://id.cong.test"
#define AUD "cong"

static cong_jwt_key_t *service_key, *own_key; /* private: they sign, and verify */
static cong_jwks_t *own_set;                  /* own_key under kid "own-1" */

static cong_jwt_key_t *new_key(void)
{
    EVP_PKEY *pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    assert_non_null(pkey);
    size_t len = 0;
    char *pem = pem_of(pkey, 1, &len);
    cong_jwt_key_t *key = NULL;
    assert_int_equal(cong_jwt_key_load_private_pem(pem, len, &key), CONG_OK);
    free(pem);
    EVP_PKEY_free(pkey);
    return key;
}

static int setup(void **state)
{
    (void)state;
    service_key = new_key();
    own_key = new_key();
    const cong_jwt_key_t *keys[] = {own_key};
    const char *kids[] = {"own-1"};
    char *json = NULL;
    assert_int_equal(cong_jwks_public_json(keys, 1, kids, NULL, &json), CONG_OK);
    assert_int_equal(cong_jwks_parse(json, strlen(json), &own_set), CONG_OK);
    free(json);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    cong_jwt_key_free(service_key);
    cong_jwt_key_free(own_key);
    cong_jwks_release(own_set);
    return 0;
}

/* Claims with the right iss/aud/exp followed by `extra` (",\"k\":v..." or ""). */
static char *claims_with(const char *extra)
{
    return xprintf("{\"iss\":\"" ISS "\",\"aud\":\"" AUD "\",\"sub\":\"s-1\",\"exp\":%lld%s}", NOW + 600, extra);
}

static char *sign(const cong_jwt_key_t *key, const char *typ, const char *kid, const char *extra)
{
    char *claims = claims_with(extra), *token = NULL;
    assert_int_equal(cong_jwt_sign_typed(key, CONG_JWT_ALG_ES256, typ, kid, claims, &token), CONG_OK);
    free(claims);
    return token;
}

/* What the gateway's authenticate phase does: cong's keys by kid, else the service key; at+jwt required. */
static cong_jwt_result_t gateway_verify(const char *token, int unprivileged, cong_jwt_claims_t *out)
{
    cong_jwt_policy_t policy = {.key = service_key, .issuer = ISS, .audience = AUD, .clock_skew_s = 60,
                                .require_at_jwt = 1, .key_unprivileged = unprivileged};
    return cong_jwt_verify_keyset_or_key(&policy, own_set, token, strlen(token), NOW, out);
}

/* A token whose header is exactly `header` (the signer always writes a typ). */
static char *sign_header(const cong_jwt_key_t *key, const char *header)
{
    char *claims = claims_with(""), *h = b64(header, strlen(header)), *p = b64(claims, strlen(claims));
    char *input = xprintf("%s.%s", h, p);
    unsigned char sig[CONG_JWS_SIG_MAX];
    size_t sig_len = 0;
    assert_int_equal(cong_jws_sign(key, CONG_JWT_ALG_ES256, input, strlen(input), sig, &sig_len), CONG_OK);
    char *s = b64(sig, sig_len), *token = xprintf("%s.%s", input, s);
    free(claims), free(h), free(p), free(input), free(s);
    return token;
}

static cong_jwt_result_t verify_typed(const char *typ, int require)
{
    char *token = sign(service_key, typ, NULL, "");
    cong_jwt_policy_t policy = {.key = service_key, .issuer = ISS, .audience = AUD, .require_at_jwt = require};
    cong_jwt_result_t r = cong_jwt_verify(&policy, token, strlen(token), NOW, NULL);
    free(token);
    return r;
}

static void test_typ_at_jwt_required(void **state)
{
    (void)state;
    assert_int_equal(verify_typed("at+jwt", 1), CONG_JWT_OK);
    assert_int_equal(verify_typed("application/at+jwt", 1), CONG_JWT_OK);
    assert_int_equal(verify_typed("AT+JWT", 1), CONG_JWT_OK);
    assert_int_equal(verify_typed("JWT", 1), CONG_JWT_BAD_TYPE); /* an ID token or a signed document */
    assert_int_equal(verify_typed("at+jwt ", 1), CONG_JWT_MALFORMED);
    assert_int_equal(verify_typed("secevent+jwt", 1), CONG_JWT_MALFORMED);
    assert_int_equal(verify_typed("JWT", 0), CONG_JWT_OK); /* ID tokens: JWT or at+jwt */
    assert_int_equal(verify_typed("at+jwt", 0), CONG_JWT_OK);
    cong_jwt_policy_t lax = {.key = service_key, .issuer = ISS, .audience = AUD};
    char *untyped = sign_header(service_key, "{\"alg\":\"ES256\"}");
    assert_int_equal(gateway_verify(untyped, 0, NULL), CONG_JWT_BAD_TYPE);
    assert_int_equal(cong_jwt_verify(&lax, untyped, strlen(untyped), NOW, NULL), CONG_JWT_OK);
    free(untyped);
    char *typed = sign_header(service_key, "{\"typ\":\"at+jwt\",\"alg\":\"ES256\"}");
    assert_int_equal(gateway_verify(typed, 0, NULL), CONG_JWT_OK);
    free(typed);
    /* one header through one policy, then another, then the first: the per-thread header memo keeps the typ apart */
    char *plain = sign(service_key, "JWT", NULL, "");
    assert_int_equal(gateway_verify(plain, 0, NULL), CONG_JWT_BAD_TYPE);
    assert_int_equal(cong_jwt_verify(&lax, plain, strlen(plain), NOW, NULL), CONG_JWT_OK);
    assert_int_equal(gateway_verify(plain, 0, NULL), CONG_JWT_BAD_TYPE);
    free(plain);
    assert_string_equal(cong_jwt_result_name(CONG_JWT_BAD_TYPE), "bad-type");
    char *token = NULL;
    assert_int_equal(cong_jwt_sign_typed(service_key, CONG_JWT_ALG_ES256, "", NULL, "{}", &token), CONG_EINVAL);
    assert_int_equal(cong_jwt_sign_typed(service_key, CONG_JWT_ALG_ES256, NULL, NULL, "{}", &token), CONG_EINVAL);
    assert_null(token);
}

#define MANDATE                                                                                                        \
    ",\"mandate\":{\"id\":\"0b6f6c1e-7d3c-4e55-9a7e-3f1e2d4c5b6a\",\"actions\":[\"view\"],\"procedures\":[\"1.000001\"]}"

/* A kid-less service token may not act for someone, claim level 2 or administer, unless the key is privileged. */
static void test_service_key_unprivileged(void **state)
{
    (void)state;
    static const struct {
        const char *extra;
        cong_jwt_result_t unprivileged;
    } cases[] = {
        {"", CONG_JWT_OK},
        {",\"acr\":\"1\",\"scope\":\"ping dossiers:read\"", CONG_JWT_OK},
        {",\"scope\":\"administrator admins x:admin\"", CONG_JWT_OK}, /* only the scope "admin" itself */
        {",\"acr\":\"2\"", CONG_JWT_PRIVILEGED},
        {",\"acr\":\"urn:vn:vneid:loa:2\"", CONG_JWT_PRIVILEGED},
        {",\"scope\":\"ping admin\"", CONG_JWT_PRIVILEGED},
        {",\"scope\":\"admin\"", CONG_JWT_PRIVILEGED},
        {",\"act\":{\"sub\":\"official-7\"}" MANDATE, CONG_JWT_PRIVILEGED},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *service = sign(service_key, "at+jwt", NULL, cases[i].extra);
        char *unknown_kid = sign(service_key, "at+jwt", "nobody", cases[i].extra); /* falls back to the service key */
        char *own = sign(own_key, "at+jwt", "own-1", cases[i].extra);
        cong_jwt_claims_t c;
        if (gateway_verify(service, 1, &c) != cases[i].unprivileged ||
            gateway_verify(unknown_kid, 1, &c) != cases[i].unprivileged)
            fail_msg("service token %s: %s", cases[i].extra, cong_jwt_result_name(gateway_verify(service, 1, &c)));
        assert_int_equal(gateway_verify(service, 0, &c), CONG_JWT_OK); /* auth.public_key_privileged: 1 */
        assert_int_equal(gateway_verify(own, 1, &c), CONG_JWT_OK);     /* cong's own keys vouch for anything */
        free(service);
        free(unknown_kid);
        free(own);
    }
    assert_string_equal(cong_jwt_result_name(CONG_JWT_PRIVILEGED), "privileged-claims");
}

/* ---- cong's own access tokens ---- */

static char *write_temp(const char *text, size_t len)
{
    char *path = xprintf("/tmp/cong-test-at-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, len), (ssize_t)len);
    close(fd);
    return path;
}

static json_t *part_json(const char *token, int index)
{
    const char *start = token;
    for (int i = 0; i < index; i++)
        start = strchr(start, '.') + 1;
    const char *end = strchr(start, '.');
    size_t n = end != NULL ? (size_t)(end - start) : strlen(start);
    unsigned char *raw = malloc(n);
    long len = cong_b64url_decode(start, n, raw);
    assert_true(len > 0);
    json_t *j = json_loadb((const char *)raw, (size_t)len, 0, NULL);
    free(raw);
    assert_non_null(j);
    return j;
}

/* cong as an issuer: a fresh signing key and subject secret in temporary files, access tokens of 600 s. */
static void identity_up(cong_identity_t *id, char **key_file, char **secret_file)
{
    EVP_PKEY *pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    size_t pem_len = 0;
    char *pem = pem_of(pkey, 1, &pem_len);
    EVP_PKEY_free(pkey);
    *key_file = write_temp(pem, pem_len);
    *secret_file = write_temp("0123456789abcdef0123456789abcdef!!", 34);
    free(pem);
    cong_identity_settings_t settings = {.issuer = ISS, .audience = AUD, .signing_key_file = *key_file,
                                         .subject_secret_file = *secret_file, .access_ttl_s = 600};
    char err[256];
    assert_int_equal(cong_identity_init(id, &settings, err, sizeof err), 0);
}

static void identity_down(cong_identity_t *id, char *key_file, char *secret_file)
{
    cong_identity_free(id);
    unlink(key_file);
    unlink(secret_file);
    free(key_file);
    free(secret_file);
}

static void test_issued_tokens(void **state)
{
    (void)state;
    cong_identity_t id;
    char *key_file, *secret_file;
    identity_up(&id, &key_file, &secret_file);
    int64_t now = (int64_t)time(NULL);

    cong_access_grant_t citizen = {.sub = "pseudonym", .sid = "sid-1", .scope = "citizen", .loa = 2,
                                   .auth_time = now - 100, .not_after = now + 120};
    char *token = NULL;
    int64_t exp = 0;
    assert_int_equal(cong_identity_issue(&id, &citizen, now, &token, &exp), 0);
    assert_int_equal(exp, now + 120); /* never past its session's end */
    json_t *header = part_json(token, 0), *claims = part_json(token, 1);
    assert_string_equal(json_string_value(json_object_get(header, "typ")), "at+jwt");
    assert_string_equal(json_string_value(json_object_get(header, "kid")), id.kid);
    assert_int_equal(json_integer_value(json_object_get(claims, "auth_time")), now - 100);
    assert_int_equal(json_integer_value(json_object_get(claims, "exp")), now + 120);
    json_decref(header);
    json_decref(claims);
    cong_jwt_policy_t policy = {.issuer = ISS, .audience = AUD, .require_at_jwt = 1, .key_unprivileged = 1};
    cong_jwt_claims_t c;
    assert_int_equal(cong_jwt_verify_keyset_or_key(&policy, id.own_keys, token, strlen(token), now, &c), CONG_JWT_OK);
    assert_int_equal(c.auth_time, now - 100);
    assert_int_equal(c.loa, 2);
    free(token);

    /* no session end: the access lifetime; no auth_time: no claim; an end already passed: refused */
    cong_access_grant_t client = {.sub = "c_1", .sid = "client:c_1", .scope = "ping", .client_id = "c_1"};
    assert_int_equal(cong_identity_issue(&id, &client, now, &token, &exp), 0);
    assert_int_equal(exp, now + 600);
    claims = part_json(token, 1);
    assert_null(json_object_get(claims, "auth_time"));
    json_decref(claims);
    free(token);
    client.not_after = now;
    assert_int_equal(cong_identity_issue(&id, &client, now, &token, &exp), CONG_EINVAL);
    assert_null(token);
    identity_down(&id, key_file, secret_file);
}

/* ---- acting for someone (RFC 8693 "act" + cong's "mandate" claim) ---- */

#define MANDATE_ID "0b6f6c1e-7d3c-4e55-9a7e-3f1e2d4c5b6a"

static cong_jwt_result_t verify_own(const char *extra, cong_jwt_claims_t *c)
{
    char *token = sign(own_key, "at+jwt", "own-1", extra);
    cong_jwt_result_t r = gateway_verify(token, 1, c);
    free(token);
    return r;
}

static void test_mandate_claim(void **state)
{
    (void)state;
    cong_jwt_claims_t c;
    assert_int_equal(verify_own(",\"act\":{\"sub\":\"grantee-1\"},\"mandate\":{\"id\":\"" MANDATE_ID
                                "\",\"actions\":[\"view\",\"submit\"],\"procedures\":[\"1.000001\",\"2.002154\"],"
                                "\"domains\":[\"ho-tich\"],\"until\":1767225599}",
                                &c),
                     CONG_JWT_OK);
    assert_string_equal(c.sub, "s-1");
    assert_string_equal(c.act, "grantee-1");
    assert_string_equal(c.mandate_id, MANDATE_ID);
    assert_int_equal(c.mandate_actions, CONG_MANDATE_VIEW | CONG_MANDATE_SUBMIT);
    assert_string_equal(c.mandate_procedures, "1.000001 2.002154");
    assert_string_equal(c.mandate_domains, "ho-tich");
    assert_int_equal(c.mandate_until, 1767225599);
    assert_true(cong_word_in_list(c.mandate_procedures, "2.002154", 8));
    assert_false(cong_word_in_list(c.mandate_procedures, "2.00215", 7));
    static const char *const refused[] = {
        ",\"act\":{\"sub\":\"grantee-1\"}",                                                 /* act, no mandate */
        ",\"mandate\":{\"id\":\"" MANDATE_ID "\",\"actions\":[\"view\"],\"domains\":[\"ho-tich\"]}", /* mandate, no act */
        ",\"act\":{\"sub\":\"s-1\"}" MANDATE,                                                /* for oneself */
        ",\"act\":{}" MANDATE,
        ",\"act\":{\"sub\":\"g\"},\"mandate\":{\"id\":\"" MANDATE_ID "\",\"actions\":[\"delete\"],\"domains\":[\"x\"]}",
        ",\"act\":{\"sub\":\"g\"},\"mandate\":{\"id\":\"" MANDATE_ID "\",\"actions\":[],\"domains\":[\"x\"]}",
        ",\"act\":{\"sub\":\"g\"},\"mandate\":{\"id\":\"" MANDATE_ID "\",\"actions\":[\"view\"]}",
        ",\"act\":{\"sub\":\"g\"},\"mandate\":{\"id\":\"" MANDATE_ID "\",\"actions\":[\"view\"],\"domains\":[\"a b\"]}",
        ",\"act\":{\"sub\":\"g\"},\"mandate\":{\"id\":\"not-a-uuid\",\"actions\":[\"view\"],\"domains\":[\"x\"]}",
        ",\"act\":{\"sub\":\"g\"},\"mandate\":{\"id\":\"" MANDATE_ID "\",\"actions\":[\"view\"],\"domains\":[\"x\"],"
        "\"until\":\"2026\"}",
    };
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++)
        if (verify_own(refused[i], &c) != CONG_JWT_MALFORMED)
            fail_msg("accepted: %s", refused[i]);
    /* at most 32 procedures */
    char many[2048] = ",\"act\":{\"sub\":\"g\"},\"mandate\":{\"id\":\"" MANDATE_ID "\",\"actions\":[\"view\"],\"procedures\":[";
    for (int i = 0; i < 33; i++)
        snprintf(many + strlen(many), sizeof many - strlen(many), "%s\"1.%06d\"", i ? "," : "", i);
    strcat(many, "]}");
    assert_int_equal(verify_own(many, &c), CONG_JWT_MALFORMED);
}

static void test_issued_acting_for(void **state)
{
    (void)state;
    cong_identity_t id;
    char *key_file, *secret_file;
    identity_up(&id, &key_file, &secret_file);
    int64_t now = (int64_t)time(NULL);
    cong_access_grant_t g = {.sub = "grantor", .sid = "sid-g", .scope = "citizen", .loa = 1, .actor = "grantee",
                             .mandate_id = MANDATE_ID, .mandate_actions = "view submit",
                             .mandate_procedures = "1.000001", .mandate_domains = NULL, .mandate_until = now + 3600};
    char *token = NULL;
    assert_int_equal(cong_identity_issue(&id, &g, now, &token, NULL), 0);
    cong_jwt_policy_t policy = {.issuer = ISS, .audience = AUD, .require_at_jwt = 1, .key_unprivileged = 1};
    cong_jwt_claims_t c;
    assert_int_equal(cong_jwt_verify_keyset_or_key(&policy, id.own_keys, token, strlen(token), now, &c), CONG_JWT_OK);
    assert_string_equal(c.sub, "grantor");
    assert_string_equal(c.act, "grantee");
    assert_int_equal(c.mandate_actions, CONG_MANDATE_VIEW | CONG_MANDATE_SUBMIT);
    assert_int_equal(c.mandate_until, now + 3600);
    free(token);
    cong_access_grant_t bad = g;
    bad.actor = "grantor"; /* for oneself */
    assert_int_equal(cong_identity_issue(&id, &bad, now, &token, NULL), CONG_EINVAL);
    bad = g;
    bad.scope = "citizen admin";
    assert_int_equal(cong_identity_issue(&id, &bad, now, &token, NULL), CONG_EINVAL);
    bad = g;
    bad.mandate_actions = "view delete";
    assert_int_equal(cong_identity_issue(&id, &bad, now, &token, NULL), CONG_EINVAL);
    bad = g;
    bad.mandate_procedures = NULL;
    assert_int_equal(cong_identity_issue(&id, &bad, now, &token, NULL), CONG_EINVAL);
    assert_null(token);
    identity_down(&id, key_file, secret_file);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_typ_at_jwt_required),
        cmocka_unit_test(test_service_key_unprivileged),
        cmocka_unit_test(test_issued_tokens),
        cmocka_unit_test(test_mandate_claim),
        cmocka_unit_test(test_issued_acting_for),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

/*
 * tests/unit/auth/test_upstream_token.c — the token cong sends a partner's upstream: it verifies with cong's own
 * keyset, its audience is the partner, its subject a pseudonym that differs per partner (and is never cong's own
 * subject), its scopes only those granted to the partner, it lives at most 60 s, and acting for someone names the
 * actor's pseudonym.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "auth_test_helpers.h"

#include "auth/auth.h"
#include "auth/identity.h"
#include "auth/upstream_token.h"
#include "auth/jwt_key_internal.h"
#include "cong/module.h"

#include <string.h>

#include "upstream_token_fixture.h"

static cong_jwt_claims_t verify(const char *token, const char *partner)
{
    cong_jwt_policy_t policy = {.issuer = ISS, .audience = partner, .clock_skew_s = 0};
    cong_jwt_claims_t claims;
    assert_int_equal(cong_jwt_verify_keyset(&policy, own_set, token, strlen(token), NOW, &claims), CONG_JWT_OK);
    return claims;
}

static void test_claims_for_one_partner(void **state)
{
    (void)state;
    const char *granted[] = {"permits:read", "permits:write"};
    cong_upstream_grant_t g = {.partner = "water-co", .subject = "cong-subject-1", .scopes = "profile permits:read x",
                               .granted = granted, .granted_count = 2, .loa = 2};
    char *token = NULL;
    assert_int_equal(cong_upstream_token_issue(&id, &g, NOW, &token), CONG_OK);
    cong_jwt_claims_t c = verify(token, "water-co");
    assert_string_equal(c.scope, "permits:read");
    assert_int_equal(c.loa, 2);
    assert_int_equal(c.iat, NOW);
    assert_true(c.exp - c.iat <= 60 && c.exp > c.iat);
    assert_int_equal(strlen(c.sub), 43);
    assert_string_not_equal(c.sub, "cong-subject-1");
    assert_true(c.jti[0] != '\0');
    assert_string_equal(c.act, "");
    /* another audience is refused */
    cong_jwt_policy_t other = {.issuer = ISS, .audience = "power-co"};
    assert_int_equal(cong_jwt_verify_keyset(&other, own_set, token, strlen(token), NOW, NULL), CONG_JWT_BAD_AUDIENCE);
    free(token);
}

static void test_pseudonyms_differ_per_partner(void **state)
{
    (void)state;
    char a[CONG_SUBJECT_LEN + 1], b[CONG_SUBJECT_LEN + 1], a2[CONG_SUBJECT_LEN + 1];
    assert_int_equal(cong_upstream_pseudonym(&id, "water-co", "cong-subject-1", a), CONG_OK);
    assert_int_equal(cong_upstream_pseudonym(&id, "power-co", "cong-subject-1", b), CONG_OK);
    assert_int_equal(cong_upstream_pseudonym(&id, "water-co", "cong-subject-1", a2), CONG_OK);
    assert_string_not_equal(a, b);
    assert_string_equal(a, a2);
}

static void test_acting_for_names_the_actor(void **state)
{
    (void)state;
    cong_upstream_grant_t g = {.partner = "water-co", .subject = "grantor", .actor = "grantee", .loa = 1};
    char *token = NULL, actor[CONG_SUBJECT_LEN + 1];
    assert_int_equal(cong_upstream_token_issue(&id, &g, NOW, &token), CONG_OK);
    assert_int_equal(cong_upstream_pseudonym(&id, "water-co", "grantee", actor), CONG_OK);
    /* cong's verifier wants a mandate claim with act: read the payload instead */
    const char *dot = strchr(token, '.'), *end = strrchr(token, '.');
    unsigned char payload[2048];
    long n = cong_b64url_decode(dot + 1, (size_t)(end - dot - 1), payload);
    assert_true(n > 0);
    payload[n] = '\0';
    assert_non_null(strstr((char *)payload, actor));
    assert_null(strstr((char *)payload, "grantee"));
    free(token);
}

static void test_anonymous_has_no_subject(void **state)
{
    (void)state;
    cong_upstream_grant_t g = {.partner = "water-co"};
    char *token = NULL;
    assert_int_equal(cong_upstream_token_issue(&id, &g, NOW, &token), CONG_OK);
    cong_jwt_claims_t c = verify(token, "water-co");
    assert_string_equal(c.sub, "");
    assert_string_equal(c.scope, "");
    free(token);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_claims_for_one_partner),
        cmocka_unit_test(test_pseudonyms_differ_per_partner),
        cmocka_unit_test(test_acting_for_names_the_actor),
        cmocka_unit_test(test_anonymous_has_no_subject),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

/*
 * tests/unit/auth/test_upstream_token_cache.c — a worker's minted upstream tokens are reused for the same grant within
 * half their lifetime and never within the margin before exp; any difference in the grant (scopes granted, subject,
 * actor, session, acr, signing key) gets a token of its own; the cache stays within its bound.
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

static const char *granted[] = {"permits:read", "permits:write"};

static cong_upstream_grant_t grant(void)
{
    return (cong_upstream_grant_t){.partner = "water-co", .subject = "cong-subject-1", .scopes = "profile permits:read",
                                   .granted = granted, .granted_count = 2, .loa = 2};
}

/* A copy of what the cache handed out (its pointer is valid until the next call only). */
static char *get(cong_upstream_token_cache_t *c, const cong_upstream_grant_t *g, const char *session, int64_t now)
{
    const char *token = NULL;
    assert_int_equal(cong_upstream_token_cached(c, &id, g, session, now, &token), CONG_OK);
    assert_non_null(token);
    return strdup(token);
}

static void test_same_grant_reuses_the_token(void **state)
{
    (void)state;
    cong_upstream_token_cache_t *c = cong_upstream_token_cache_new(16);
    cong_upstream_grant_t g = grant();
    char *a = get(c, &g, "sid-1", NOW), *b = get(c, &g, "sid-1", NOW + 5);
    assert_string_equal(a, b);
    cong_jwt_claims_t claims;
    cong_jwt_policy_t policy = {.issuer = ISS, .audience = "water-co"};
    assert_int_equal(cong_jwt_verify_keyset(&policy, own_set, b, strlen(b), NOW + 5, &claims), CONG_JWT_OK);
    assert_int_equal(claims.iat, NOW);
    assert_string_equal(claims.scope, "permits:read");
    cong_upstream_token_cache_stats_t st = cong_upstream_token_cache_stats(c);
    assert_int_equal(st.hits, 1);
    assert_int_equal(st.mints, 1);
    free(a), free(b);
    cong_upstream_token_cache_free(c);
}

static void test_reused_for_half_its_lifetime_only(void **state)
{
    (void)state;
    cong_upstream_token_cache_t *c = cong_upstream_token_cache_new(16);
    cong_upstream_grant_t g = grant();
    char *a = get(c, &g, "sid-1", NOW);
    char *b = get(c, &g, "sid-1", NOW + CONG_UPSTREAM_TOKEN_REUSE_S - 1);
    char *d = get(c, &g, "sid-1", NOW + CONG_UPSTREAM_TOKEN_REUSE_S); /* half its life gone: a new one */
    assert_string_equal(a, b);
    assert_string_not_equal(a, d);
    assert_true(CONG_UPSTREAM_TOKEN_REUSE_S <= CONG_UPSTREAM_TOKEN_TTL_S - CONG_UPSTREAM_TOKEN_MARGIN_S);
    /* a clock that went back never gets a token from its future */
    char *e = get(c, &g, "sid-1", NOW + CONG_UPSTREAM_TOKEN_REUSE_S - 5);
    assert_string_not_equal(d, e);
    free(a), free(b), free(d), free(e);
    cong_upstream_token_cache_free(c);
}

static void test_any_difference_gets_its_own_token(void **state)
{
    (void)state;
    cong_upstream_token_cache_t *c = cong_upstream_token_cache_new(64);
    cong_upstream_grant_t g = grant();
    char *base = get(c, &g, "sid-1", NOW);
    cong_upstream_grant_t wider = g;
    wider.scopes = "profile permits:read permits:write";
    cong_upstream_grant_t ungranted = g; /* a scope the partner was not granted changes nothing it receives */
    ungranted.scopes = "profile permits:read other";
    cong_upstream_grant_t other_sub = g, actor = g, acr = g;
    other_sub.subject = "cong-subject-2";
    actor.actor = "grantee";
    acr.loa = 1;
    char *t_wider = get(c, &wider, "sid-1", NOW), *t_sub = get(c, &other_sub, "sid-1", NOW);
    char *t_actor = get(c, &actor, "sid-1", NOW), *t_acr = get(c, &acr, "sid-1", NOW);
    char *t_session = get(c, &g, "sid-2", NOW), *t_none = get(c, &g, NULL, NOW);
    char *t_same = get(c, &ungranted, "sid-1", NOW);
    const char *all[] = {base, t_wider, t_sub, t_actor, t_acr, t_session, t_none};
    for (size_t i = 0; i < 7; i++)
        for (size_t j = i + 1; j < 7; j++)
            assert_string_not_equal(all[i], all[j]);
    assert_string_equal(base, t_same);
    cong_upstream_token_cache_stats_t st = cong_upstream_token_cache_stats(c);
    assert_int_equal(st.mints, 7); /* each difference minted (a random jti makes any two tokens differ anyway) */
    assert_int_equal(st.hits, 1);
    cong_jwt_claims_t claims;
    cong_jwt_policy_t policy = {.issuer = ISS, .audience = "water-co"};
    assert_int_equal(cong_jwt_verify_keyset(&policy, own_set, t_wider, strlen(t_wider), NOW, &claims), CONG_JWT_OK);
    assert_string_equal(claims.scope, "permits:read permits:write");
    /* another signing key (rotation): a new token under its kid */
    strcpy(id.kid, "own-2");
    char *t_kid = get(c, &g, "sid-1", NOW);
    strcpy(id.kid, "own-1");
    assert_string_not_equal(base, t_kid);
    assert_null(strstr(base, "own-2"));
    free(base), free(t_wider), free(t_sub), free(t_actor), free(t_acr), free(t_session), free(t_none), free(t_same);
    free(t_kid);
    cong_upstream_token_cache_free(c);
}

static void test_bounded(void **state)
{
    (void)state;
    cong_upstream_token_cache_t *c = cong_upstream_token_cache_new(8);
    cong_upstream_grant_t g = grant();
    char subject[32];
    for (int i = 0; i < 100; i++) {
        snprintf(subject, sizeof subject, "subject-%d", i);
        g.subject = subject;
        free(get(c, &g, "sid", NOW));
    }
    cong_upstream_token_cache_stats_t st = cong_upstream_token_cache_stats(c);
    assert_int_equal(st.mints, 100);
    assert_true(st.evictions >= 100 - 8); /* never more than 8 kept */
    /* the last one is still there */
    const char *t1 = NULL;
    assert_int_equal(cong_upstream_token_cached(c, &id, &g, "sid", NOW + 1, &t1), CONG_OK);
    assert_int_equal(cong_upstream_token_cache_stats(c).hits, 1);
    cong_upstream_token_cache_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_grant_reuses_the_token),
        cmocka_unit_test(test_reused_for_half_its_lifetime_only),
        cmocka_unit_test(test_any_difference_gets_its_own_token),
        cmocka_unit_test(test_bounded),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

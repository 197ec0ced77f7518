/* Unit tests for gateway/authn/token_cache.c: hits, expiry, revocation, eviction, oversize tokens. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "gateway/authn/token_cache.h"

static cong_jwt_claims_t claims(const char *sub, const char *sid, int64_t exp)
{
    cong_jwt_claims_t c = {0};
    snprintf(c.sub, sizeof c.sub, "%s", sub);
    snprintf(c.sid, sizeof c.sid, "%s", sid);
    c.exp = exp;
    return c;
}

static void hit_and_expiry(void **state)
{
    (void)state;
    cong_token_cache_t *c = cong_token_cache_new(64);
    cong_jwt_claims_t cl = claims("u-1", "s-1", 1000);
    assert_null(cong_token_cache_get(c, "tok-a", 5, 100));
    cong_token_cache_put(c, "tok-a", 5, &cl);
    const cong_jwt_claims_t *got = cong_token_cache_get(c, "tok-a", 5, 100);
    assert_non_null(got);
    assert_string_equal(got->sub, "u-1");
    assert_null(cong_token_cache_get(c, "tok-b", 5, 100));  /* another token */
    assert_null(cong_token_cache_get(c, "tok-a", 4, 100));  /* a prefix */
    assert_null(cong_token_cache_get(c, "tok-a", 5, 1000)); /* expired */
    cong_token_cache_stats_t st = cong_token_cache_stats(c);
    assert_int_equal(st.hits, 1);
    assert_int_equal(st.inserts, 1);
    cong_token_cache_free(c);
}

static void revocation(void **state)
{
    (void)state;
    cong_token_cache_t *c = cong_token_cache_new(64);
    cong_jwt_claims_t cl = claims("u-1", "s-1", 1000);
    cong_token_cache_put(c, "tok-a", 5, &cl);
    assert_false(cong_token_cache_session_revoked(c, "s-1", 100));
    cong_token_cache_revoke_session(c, "s-1", 2000);
    assert_true(cong_token_cache_session_revoked(c, "s-1", 100));
    assert_false(cong_token_cache_session_revoked(c, "s-2", 100));
    assert_null(cong_token_cache_get(c, "tok-a", 5, 100));
    assert_false(cong_token_cache_session_revoked(c, "s-1", 2000)); /* revocation outlives tokens, then ends */
    /* many revocations: the table grows and keeps every one */
    char sid[32];
    for (int i = 0; i < 5000; i++) {
        snprintf(sid, sizeof sid, "sess-%d", i);
        cong_token_cache_revoke_session(c, sid, (int64_t)4e9);
    }
    for (int i = 0; i < 5000; i += 97) {
        snprintf(sid, sizeof sid, "sess-%d", i);
        assert_true(cong_token_cache_session_revoked(c, sid, 100));
    }
    cong_token_cache_free(c);
}

static void eviction_and_limits(void **state)
{
    (void)state;
    cong_token_cache_t *c = cong_token_cache_new(8);
    char tok[32];
    for (int i = 0; i < 1000; i++) {
        snprintf(tok, sizeof tok, "token-%d", i);
        cong_jwt_claims_t cl = claims("u", "", 1000 + i);
        cong_token_cache_put(c, tok, strlen(tok), &cl);
    }
    cong_token_cache_stats_t st = cong_token_cache_stats(c);
    assert_int_equal(st.inserts, 1000);
    assert_true(st.evictions >= 1000 - 12);
    /* the latest insert is always found */
    assert_non_null(cong_token_cache_get(c, "token-999", 9, 100));
    static char big[CONG_TOKEN_CACHE_MAX_TOKEN + 1];
    memset(big, 'a', sizeof big);
    cong_jwt_claims_t cl = claims("u", "", 1000);
    cong_token_cache_put(c, big, sizeof big, &cl);
    assert_null(cong_token_cache_get(c, big, sizeof big, 100));
    cong_token_cache_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(hit_and_expiry), cmocka_unit_test(revocation),
                                       cmocka_unit_test(eviction_and_limits)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}

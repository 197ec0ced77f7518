/* Unit tests for modules/identity/refresh_retry.c: the sealed answer a retried refresh gets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cong/module.h"
#include "modules/identity/refresh_retry.h"
#include "modules/identity/session.h"

/* ---- the answer kept for a retried refresh ---- */

static void test_refresh_retry_sealing(void **state)
{
    (void)state;
    char token[CONG_REFRESH_TOKEN_LEN + 1], other[CONG_REFRESH_TOKEN_LEN + 1];
    assert_int_equal(cong_refresh_token_new(token), 0);
    assert_int_equal(cong_refresh_token_new(other), 0);
    const char *answer = "{\"access_token\":\"eyJ...\",\"refresh_token\":\"new\",\"session_id\":\"sid-1\"}";
    char *sealed = NULL, *again = NULL, *opened = NULL;
    size_t len = 0;
    assert_int_equal(cong_refresh_retry_seal(token, "sid-1", answer, strlen(answer), &sealed), 0);
    assert_null(strstr(sealed, "access_token")); /* Redis never sees the tokens */
    assert_int_equal(cong_refresh_retry_seal(token, "sid-1", answer, strlen(answer), &again), 0);
    assert_string_not_equal(sealed, again); /* a fresh nonce each time */
    assert_int_equal(cong_refresh_retry_open(token, "sid-1", sealed, strlen(sealed), &opened, &len), 0);
    assert_int_equal(len, strlen(answer));
    assert_string_equal(opened, answer);
    free(opened);
    /* only the token it was sealed under, for its session, untouched */
    assert_int_equal(cong_refresh_retry_open(other, "sid-1", sealed, strlen(sealed), &opened, &len), CONG_EINVAL);
    assert_int_equal(cong_refresh_retry_open(token, "sid-2", sealed, strlen(sealed), &opened, &len), CONG_EINVAL);
    sealed[20] = sealed[20] == 'A' ? 'B' : 'A';
    assert_int_equal(cong_refresh_retry_open(token, "sid-1", sealed, strlen(sealed), &opened, &len), CONG_EINVAL);
    assert_int_equal(cong_refresh_retry_open(token, "sid-1", sealed, 10, &opened, &len), CONG_EINVAL);
    assert_int_equal(cong_refresh_retry_open(token, "sid-1", "!!not base64!!", 14, &opened, &len), CONG_EINVAL);
    assert_int_equal(cong_refresh_retry_open("", "sid-1", again, strlen(again), &opened, &len), CONG_EINVAL);
    assert_null(opened);
    assert_int_equal(cong_refresh_retry_seal("", "sid-1", answer, strlen(answer), &opened), CONG_EINVAL);
    assert_int_equal(cong_refresh_retry_seal(token, "sid-1", answer, CONG_REFRESH_RETRY_MAX + 1, &opened),
                     CONG_EINVAL);
    free(sealed);
    free(again);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_refresh_retry_sealing)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}

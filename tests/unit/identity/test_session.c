/* Unit tests for modules/identity/session.c: refresh tokens, session ids, session records. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "modules/identity/session.h"
#include "cong/module.h"

static void refresh_tokens(void **state)
{
    (void)state;
    char t1[CONG_REFRESH_TOKEN_LEN + 1], t2[CONG_REFRESH_TOKEN_LEN + 1], h1[CONG_REFRESH_HASH_LEN + 1],
        h2[CONG_REFRESH_HASH_LEN + 1], sid[CONG_SESSION_ID_LEN + 1];
    assert_int_equal(cong_refresh_token_new(t1), 0);
    assert_int_equal(cong_refresh_token_new(t2), 0);
    assert_int_equal(strlen(t1), CONG_REFRESH_TOKEN_LEN);
    assert_string_not_equal(t1, t2);
    cong_refresh_token_hash(t1, strlen(t1), h1);
    cong_refresh_token_hash(t1, strlen(t1), h2);
    assert_string_equal(h1, h2);
    assert_null(strstr(h1, t1));
    assert_int_equal(cong_session_id_new(sid), 0);
    assert_int_equal(strlen(sid), CONG_SESSION_ID_LEN);
    assert_true(cong_secure_equal("abc", 3, "abc", 3));
    assert_false(cong_secure_equal("abc", 3, "abd", 3));
    assert_false(cong_secure_equal("abc", 3, "abcd", 4));
}

static void records(void **state)
{
    (void)state;
    cong_session_t s = {.created = 1700000000, .last_seen = 1700000100, .loa = 2, .auth_time = 1699999990, .gen = 7};
    strcpy(s.sub, "Zx9_subject");
    strcpy(s.dev_id, "device-1");
    strcpy(s.dev_name, "Điện thoại của Lan");
    strcpy(s.dev_platform, "android");
    cong_refresh_token_hash("t", 1, s.rt);
    char *buf = NULL;
    size_t len = 0;
    assert_int_equal(cong_session_encode(&s, &buf, &len), 0);
    cong_session_t back;
    assert_int_equal(cong_session_decode(buf, len, &back), 0);
    assert_memory_equal(&s, &back, sizeof s);
    assert_int_equal(cong_session_decode(buf, len - 1, &back), CONG_EPARSE);
    free(buf);
    /* a record written before "auth_time" existed: 0, a level 2 never recent enough */
    static const char old[] = "\x82\xa1v\x01\xa3sub\xa1x";
    assert_int_equal(cong_session_decode(old, sizeof old - 1, &back), 0);
    assert_int_equal(back.auth_time, 0);
    assert_string_equal(back.sub, "x");
    assert_int_equal(cong_session_decode("\x81\xa1v\x02", 4, &back), CONG_EPARSE); /* version 2 */
    assert_int_equal(cong_session_decode("{}", 2, &back), CONG_EPARSE);           /* JSON is not a record */
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(refresh_tokens), cmocka_unit_test(records)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}

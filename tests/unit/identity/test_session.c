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

/* Records are read in place (no msgpack-c unpacker): bounded by the input whatever the headers claim, scalars a newer
 * version adds skipped, containers refused, every msgpack width of strings and integers read. */
static void records_read_in_place(void **state)
{
    (void)state;
    cong_session_t back;
    /* a map claiming 4e9 members, an array claiming 4e9 elements under an unknown key: refused, nothing allocated */
    static const char huge_map[] = "\xdf\xff\xff\xff\xff\xa1v\x01";
    assert_int_equal(cong_session_decode(huge_map, sizeof huge_map - 1, &back), CONG_EPARSE);
    static const char nested[] = "\x83\xa1v\x01\xa3sub\xa1x\xa1y\xdd\xff\xff\xff\xff";
    assert_int_equal(cong_session_decode(nested, sizeof nested - 1, &back), CONG_EPARSE);
    /* unknown scalars (float64, nil, true) skipped */
    static const char newer[] = "\x85\xa1v\x01\xa3sub\xa1x\xa1" "f\xcb\x3f\xf0\0\0\0\0\0\0\xa1n\xc0\xa1t\xc3";
    assert_int_equal(cong_session_decode(newer, sizeof newer - 1, &back), 0);
    assert_string_equal(back.sub, "x");
    /* str8 and str16 values, uint32, int8, uint64 and int64 integers (what Redis's cmsgpack writes back) */
    static const char wide[] = "\x85\xa1v\xcc\x01\xa3sub\xd9\x02" "ab\xa6" "dev_id\xda\x00\x02" "cd"
                               "\xa7" "created\xce\x65\x53\xf1\x00\xa9last_seen\xd0\xfe";
    assert_int_equal(cong_session_decode(wide, sizeof wide - 1, &back), 0);
    assert_string_equal(back.sub, "ab");
    assert_string_equal(back.dev_id, "cd");
    assert_int_equal(back.created, 1700000000);
    assert_int_equal(back.last_seen, -2);
    static const char big[] = "\x83\xa1v\x01\xa3sub\xa1x\xa3gen\xcf\x80\0\0\0\0\0\0\0"; /* over INT64_MAX */
    assert_int_equal(cong_session_decode(big, sizeof big - 1, &back), CONG_EPARSE);
    static const char neg[] = "\x83\xa1v\x01\xa3sub\xa1x\xa3gen\xd3\xff\xff\xff\xff\xff\xff\xff\xfe";
    assert_int_equal(cong_session_decode(neg, sizeof neg - 1, &back), 0);
    assert_int_equal(back.gen, -2);
    /* a string member given an integer, trailing bytes: refused */
    static const char int_sub[] = "\x82\xa1v\x01\xa3sub\x05", trailing[] = "\x82\xa1v\x01\xa3sub\xa1x\x00";
    assert_int_equal(cong_session_decode(int_sub, sizeof int_sub - 1, &back), CONG_EPARSE);
    assert_int_equal(cong_session_decode(trailing, sizeof trailing - 1, &back), CONG_EPARSE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(refresh_tokens), cmocka_unit_test(records),
                                       cmocka_unit_test(records_read_in_place)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}

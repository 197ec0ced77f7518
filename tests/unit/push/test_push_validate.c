/* modules/push: what POST /v1/me/devices accepts (validate.c) and the inbox's cursor (cursor.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "modules/push/push.h"

static char *repeat(char c, size_t n)
{
    static char buf[PUSH_FCM_TOKEN_MAX + 2];
    memset(buf, c, n);
    buf[n] = '\0';
    return buf;
}

static void platforms_and_locales(void **state)
{
    (void)state;
    assert_true(push_platform_ok("fcm"));
    assert_true(push_platform_ok("apns"));
    assert_false(push_platform_ok("FCM"));
    assert_false(push_platform_ok("web"));
    assert_false(push_platform_ok(""));
    assert_false(push_platform_ok(NULL));
    assert_true(push_locale_ok("vi"));
    assert_true(push_locale_ok("en"));
    assert_false(push_locale_ok("fr"));
    assert_false(push_locale_ok("vi-VN"));
    assert_false(push_locale_ok(NULL));
}

static void fcm_tokens(void **state)
{
    (void)state;
    assert_true(push_token_ok("fcm", "dGhpcy1pcy1h:APA91b_Ex-ample"));
    assert_true(push_token_ok("fcm", "a"));
    assert_true(push_token_ok("fcm", repeat('x', PUSH_FCM_TOKEN_MAX)));
    assert_false(push_token_ok("fcm", repeat('x', PUSH_FCM_TOKEN_MAX + 1)));
    assert_false(push_token_ok("fcm", ""));
    assert_false(push_token_ok("fcm", "has space"));
    assert_false(push_token_ok("fcm", "slash/"));
    assert_false(push_token_ok("fcm", "dấu"));
    assert_false(push_token_ok("web", "abc"));
    assert_false(push_token_ok("fcm", NULL));
}

static void apns_tokens(void **state)
{
    (void)state;
    assert_true(push_token_ok("apns", repeat('a', 64)));
    assert_true(push_token_ok("apns", "0123456789ABCDEFabcdef0123456789abcdef0123456789abcdef0123456789"));
    assert_true(push_token_ok("apns", repeat('f', 200)));
    assert_false(push_token_ok("apns", repeat('f', 62)));  /* too short */
    assert_false(push_token_ok("apns", repeat('f', 65)));  /* odd */
    assert_false(push_token_ok("apns", repeat('f', 202))); /* too long */
    assert_false(push_token_ok("apns", repeat('g', 64)));  /* not hex */
    assert_false(push_token_ok("apns", "dGhpcy1pcy1h:APA91b_Ex-ample"));
}

static void path_ids(void **state)
{
    (void)state;
    assert_true(push_uuid_ok("2f6b1c9e-4a7d-4e2b-8c3f-5d0a9b8e7c6d"));
    assert_false(push_uuid_ok("2f6b1c9e4a7d-4e2b-8c3f-5d0a9b8e7c6d-"));
    assert_false(push_uuid_ok("2f6b1c9e-4a7d-4e2b-8c3f-5d0a9b8e7c6"));
    assert_false(push_uuid_ok("zf6b1c9e-4a7d-4e2b-8c3f-5d0a9b8e7c6d"));
    assert_false(push_uuid_ok(NULL));
    assert_true(push_item_id_ok("1"));
    assert_true(push_item_id_ok("999999999999999999"));
    assert_false(push_item_id_ok("1000000000000000000")); /* 19 digits: beyond bigint's safe range here */
    assert_false(push_item_id_ok("0"));
    assert_false(push_item_id_ok("012"));
    assert_false(push_item_id_ok("12a"));
    assert_false(push_item_id_ok("-1"));
    assert_false(push_item_id_ok(""));
    assert_false(push_item_id_ok(NULL));
}

static void cursors(void **state)
{
    (void)state;
    char c[PUSH_CURSOR_SIZE];
    const long long ids[] = {1, 9, 42, 123, 1234, 99999, 123456789012LL, 999999999999999999LL};
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
        push_cursor_encode(ids[i], c);
        assert_true(strlen(c) < PUSH_CURSOR_SIZE);
        assert_null(strpbrk(c, "+/="));
        assert_int_equal(push_cursor_decode(c), ids[i]);
    }
    push_cursor_encode(42, c);
    assert_string_equal(c, "aTQy"); /* "i42" */
    assert_int_equal(push_cursor_decode("NDI"), -1);  /* "42": not a cursor */
    assert_int_equal(push_cursor_decode("aTA"), -1);  /* "i0" */
    assert_int_equal(push_cursor_decode("aTQz"), 43);
    assert_int_equal(push_cursor_decode("aTQ"), 4);   /* "i4" */
    assert_int_equal(push_cursor_decode("aTR"), -1);  /* "i4" with unused bits set: one spelling per cursor */
    assert_int_equal(push_cursor_decode("aTQy="), -1);
    assert_int_equal(push_cursor_decode("a"), -1);
    assert_int_equal(push_cursor_decode(""), -1);
    assert_int_equal(push_cursor_decode(NULL), -1);
    assert_int_equal(push_cursor_decode("aTQy!"), -1);
    assert_int_equal(push_cursor_decode("aWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFh"), -1); /* too long */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(platforms_and_locales), cmocka_unit_test(fcm_tokens), cmocka_unit_test(apns_tokens),
        cmocka_unit_test(path_ids), cmocka_unit_test(cursors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* modules/push: the live log's ids, as Last-Event-ID carries them back (live_id.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "modules/push/push.h"

static void accepted(void **state)
{
    (void)state;
    push_live_id_t id;
    assert_true(push_live_id_parse("1733500000000-0", &id));
    assert_true(id.ms == 1733500000000ULL && id.seq == 0);
    assert_true(push_live_id_parse("0-0", &id));
    assert_true(id.ms == 0 && id.seq == 0);
    assert_true(push_live_id_parse("18446744073709551615-18446744073709551615", &id));
    assert_true(id.ms == UINT64_MAX && id.seq == UINT64_MAX);
    assert_true(push_live_id_parse("5-12", NULL));
}

static void refused(void **state)
{
    (void)state;
    const char *bad[] = {NULL, "", "-", "1", "1-", "-1", "1-2-3", "01-1", "1-01", " 1-1", "1-1 ", "1-1\n", "a-1",
                         "1-b", "+1-1", "1.5-1", "18446744073709551616-0", "0-18446744073709551616",
                         "99999999999999999999-0", "1-1\r\nid: 2-2", "1733500000000-*", "$", "+", "(1-1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_false(push_live_id_parse(bad[i], NULL));
}

static void ordered(void **state)
{
    (void)state;
    push_live_id_t a = {5, 9}, b = {6, 0}, c = {6, 1};
    assert_int_equal(push_live_id_cmp(a, b), -1);
    assert_int_equal(push_live_id_cmp(c, b), 1);
    assert_int_equal(push_live_id_cmp(b, b), 0);
    assert_int_equal(push_live_id_cmp((push_live_id_t){UINT64_MAX, 0}, (push_live_id_t){1, UINT64_MAX}), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(accepted),
        cmocka_unit_test(refused),
        cmocka_unit_test(ordered),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* modules/push: the live logs' ids and the cursor over them, as Last-Event-ID carries them back (live_id.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

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

static int is(push_live_id_t id, unsigned long long ms, unsigned long long seq)
{
    return id.ms == ms && id.seq == seq;
}

static void cursor_accepted(void **state)
{
    (void)state;
    push_live_cursor_t c;
    assert_true(push_live_cursor_parse("1733500000000-0.1733400000000-2.0-0", &c));
    assert_true(is(c.id[PUSH_LOG_PERSON], 1733500000000ULL, 0) && is(c.id[PUSH_LOG_AREA], 1733400000000ULL, 2) &&
                is(c.id[PUSH_LOG_CITY], 0, 0));
    /* an id from before area logs: the person's component */
    assert_true(push_live_cursor_parse("1733500000000-7", &c));
    assert_true(is(c.id[PUSH_LOG_PERSON], 1733500000000ULL, 7) && is(c.id[PUSH_LOG_AREA], 0, 0) &&
                is(c.id[PUSH_LOG_CITY], 0, 0));
    const char *max = "18446744073709551615-18446744073709551615.18446744073709551615-18446744073709551615."
                      "18446744073709551615-18446744073709551615";
    assert_int_equal(strlen(max), PUSH_LIVE_CURSOR_SIZE - 1);
    assert_true(push_live_cursor_parse(max, &c));
    assert_true(is(c.id[PUSH_LOG_CITY], UINT64_MAX, UINT64_MAX));
    assert_true(push_live_cursor_parse("0-0.0-0.0-0", NULL));
}

static void cursor_refused(void **state)
{
    (void)state;
    const char *bad[] = {NULL, "", ".", "..", "1-1.", "1-1.2-2", "1-1.2-2.", "1-1.2-2.3-3.", "1-1.2-2.3-3.4-4",
                         ".1-1.2-2.3-3", "1-1..2-2", "1-1.2-2..3-3", "1-1,2-2,3-3", "1-1 2-2 3-3", "1-1.2-2.3-3 ",
                         " 1-1.2-2.3-3", "1-1.02-2.3-3", "1-1.2-2.3-03", "1-1.2-2.18446744073709551616-0",
                         "1-1.2-2.3-3\r\nid: 4-4", "1-1.2-2.3", "1-1.2.3-3", "1-1.-2-2.3-3", "1-1.+2-2.3-3",
                         "1-1.2-2.3-3\n", "(1-1.2-2.3-3", "1-1.2-2.3-*"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_false(push_live_cursor_parse(bad[i], NULL));
    char longer[PUSH_LIVE_CURSOR_SIZE + 8]; /* three valid ids, one byte too long */
    memset(longer, '0', sizeof longer);
    snprintf(longer, sizeof longer, "%s", "18446744073709551615-18446744073709551615.18446744073709551615-"
             "18446744073709551615.18446744073709551615-18446744073709551615");
    strcat(longer, "0");
    assert_false(push_live_cursor_parse(longer, NULL));
}

static void cursor_formatted(void **state)
{
    (void)state;
    push_live_cursor_t c = {{{5, 9}, {0, 0}, {UINT64_MAX, 1}}}, back;
    char text[PUSH_LIVE_CURSOR_SIZE];
    push_live_cursor_format(&c, text);
    assert_string_equal(text, "5-9.0-0.18446744073709551615-1");
    assert_true(push_live_cursor_parse(text, &back));
    assert_memory_equal(&c, &back, sizeof c);
    char id[PUSH_LIVE_ID_SIZE];
    push_live_id_format((push_live_id_t){1733500000000ULL, 3}, id);
    assert_string_equal(id, "1733500000000-3");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(accepted),
        cmocka_unit_test(refused),
        cmocka_unit_test(ordered),
        cmocka_unit_test(cursor_accepted),
        cmocka_unit_test(cursor_refused),
        cmocka_unit_test(cursor_formatted),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* modules/push: what a line of the live channel names (live_line.c): a subject, a ward's area log, the city log, or
 * nothing — a subject (no space) can never read as an area line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "modules/push/push.h"

static push_live_line_t kind(const char *line, const char **name, size_t *len)
{
    return push_live_line(line, strlen(line), name, len);
}

static void subjects(void **state)
{
    (void)state;
    const char *name;
    size_t len;
    const char *ok[] = {"s-123", "area", "area:HN-W-001", "city", "*", "area*", "AREA", "x:y/z+=_~!"};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        assert_int_equal(kind(ok[i], &name, &len), PUSH_LINE_SUBJECT);
        assert_ptr_equal(name, ok[i]);
        assert_int_equal(len, strlen(ok[i]));
    }
    char longest[129];
    memset(longest, 'a', 128);
    longest[128] = '\0';
    assert_int_equal(kind(longest, &name, &len), PUSH_LINE_SUBJECT);
}

static void areas(void **state)
{
    (void)state;
    const char *name;
    size_t len;
    const char *line = "area HN-W-001";
    assert_int_equal(kind(line, &name, &len), PUSH_LINE_AREA);
    assert_ptr_equal(name, line + 5);
    assert_int_equal(len, 8);
    assert_int_equal(kind("area *", &name, &len), PUSH_LINE_CITY);
    assert_int_equal(kind("area 12345678901234567890123456789012", &name, &len), PUSH_LINE_AREA);
}

static void nothing(void **state)
{
    (void)state;
    const char *name = "x";
    size_t len = 1;
    const char *bad[] = {"", "area ", "area  HN", "area hn-w-001", "area HN W", "area **", "area *x",
                         "area 123456789012345678901234567890123", "a b", " s", "s ", "s\t", "s\r", "caf\xc3\xa9"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(kind(bad[i], &name, &len), PUSH_LINE_NONE);
        assert_null(name);
        assert_int_equal(len, 0);
    }
    char longer[130];
    memset(longer, 'a', 129);
    longer[129] = '\0';
    assert_int_equal(kind(longer, &name, &len), PUSH_LINE_NONE);
    /* a line is its bytes, not a C string: a NUL inside is no subject */
    assert_int_equal(push_live_line("ab\0c", 4, &name, &len), PUSH_LINE_NONE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(subjects),
        cmocka_unit_test(areas),
        cmocka_unit_test(nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

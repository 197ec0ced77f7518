/* modules/procedures/catalog_trgm.c: pg_trgm's trigrams, as show_trgm gives them (PostgreSQL 15). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "modules/procedures/catalog_trgm.h"

static catalog_trgm_t tri(const char *s)
{
    return ((catalog_trgm_t)(unsigned char)s[0] << 42) | ((catalog_trgm_t)(unsigned char)s[1] << 21) |
           (unsigned char)s[2];
}

static void test_trigrams_of_padded_words(void **state)
{
    (void)state;
    catalog_trgm_t t[16];
    assert_int_equal(catalog_trgm_extract("ab", 2, t), 3); /* show_trgm('ab'): {"  a"," ab","ab "} */
    assert_true(t[0] == tri("  a") && t[1] == tri(" ab") && t[2] == tri("ab "));
    assert_int_equal(catalog_trgm_extract("a-b.c", 5, t), 6); /* three words of one letter, two trigrams each */
    assert_int_equal(catalog_trgm_extract("--", 2, t), 0);
    assert_int_equal(catalog_trgm_extract("nhan,", 5, t), 5); /* punctuation ends a word: show_trgm('nhan,') */
    assert_true(t[4] == tri("an "));
}

static void test_unique_sorts_and_drops_repeats(void **state)
{
    (void)state;
    catalog_trgm_t t[200];
    t[0] = 5, t[1] = 3, t[2] = 5;
    assert_int_equal(catalog_trgm_unique(t, 3), 2);
    assert_true(t[0] == 3 && t[1] == 5);
    /* "thu thu tuc": the repeated word gives its trigrams once; "  t" is in both words */
    size_t n = catalog_trgm_extract("thu thu tuc", 11, t);
    assert_int_equal(n, 12);
    assert_int_equal(catalog_trgm_unique(t, n), 7); /* "  t" " th" "thu" "hu " " tu" "tuc" "uc " */
    for (size_t i = 0; i < 200; i++) /* past the insertion sort's size: qsort, the same answer */
        t[i] = (catalog_trgm_t)((i * 7919) % 101);
    assert_int_equal(catalog_trgm_unique(t, 200), 101);
    for (size_t i = 0; i < 101; i++)
        assert_true(t[i] == i);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_trigrams_of_padded_words),
        cmocka_unit_test(test_unique_sorts_and_drops_repeats),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

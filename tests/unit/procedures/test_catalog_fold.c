/* modules/procedures/catalog_fold.c: the query folded as catalog_search folds it (cong_fold, \s+, btrim). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "modules/procedures/catalog_fold.h"

static const char *fold(const char *in)
{
    static char out[CATALOG_FOLD_MAX(512)];
    long n = catalog_fold_query(in, strlen(in), out, sizeof out);
    return n < 0 ? "<invalid>" : out;
}

static void test_vietnamese_folds_to_ascii(void **state)
{
    (void)state;
    assert_string_equal(fold("Đăng ký khai sinh"), "dang ky khai sinh");
    assert_string_equal(fold("đ Đ"), "d d");
    assert_string_equal(fold("ắằẳẵặ ấầẩẫậ ếềểễệ ốồổỗộ ớờởỡợ ứừửữự ýỳỷỹỵ ơư ĂÂÊÔƠƯ"),
                        "aaaaa aaaaa eeeee ooooo ooooo uuuuu yyyyy ou aaeoou");
    assert_string_equal(fold("Giấy phép XÂY DỰNG"), "giay phep xay dung");
}

static void test_spaces_collapse_and_trim(void **state)
{
    (void)state;
    assert_string_equal(fold("  ĐĂNG   KÝ\tKhai\n Sinh "), "dang ky khai sinh");
    assert_string_equal(fold("a\xe3\x80\x80" "b"), "a b"); /* U+3000 is \s in PostgreSQL */
    assert_string_equal(fold("   "), "");
    assert_string_equal(fold(""), "");
}

static void test_other_rules_of_unaccent(void **state)
{
    (void)state;
    assert_string_equal(fold("Æ © ½"), "ae (c) 1/2");          /* unaccent.rules' expansions */
    assert_string_equal(fold("e\xcc\x81"), "e");                /* a combining acute accent is dropped */
    assert_string_equal(fold("1.001193 – (a_b%)"), "1.001193 - (a_b%)"); /* en dash -> '-'; the rest kept */
}

static void test_invalid_utf8_is_refused(void **state)
{
    (void)state;
    assert_string_equal(fold("ab\xc3"), "<invalid>");   /* truncated */
    assert_string_equal(fold("\xc0\xaf"), "<invalid>"); /* overlong */
    assert_string_equal(fold("\xed\xa0\x80"), "<invalid>"); /* a surrogate */
    char out[64];
    assert_int_equal(catalog_fold_query("a\0b", 3, out, sizeof out), -1); /* PostgreSQL refuses NUL in text */
}

static void test_word_characters_are_pg_trgm_s(void **state)
{
    (void)state;
    assert_true(catalog_fold_is_word('a') && catalog_fold_is_word('Z') && catalog_fold_is_word('7'));
    assert_false(catalog_fold_is_word('-') || catalog_fold_is_word('.') || catalog_fold_is_word('_'));
    assert_false(catalog_fold_is_word(0x2013)); /* en dash */
    assert_true(catalog_fold_is_word(0xE0));    /* à (never left by folding, but a letter) */
    assert_true(catalog_fold_is_word(0x4E00));  /* a CJK ideograph */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vietnamese_folds_to_ascii),
        cmocka_unit_test(test_spaces_collapse_and_trim),
        cmocka_unit_test(test_other_rules_of_unaccent),
        cmocka_unit_test(test_invalid_utf8_is_refused),
        cmocka_unit_test(test_word_characters_are_pg_trgm_s),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

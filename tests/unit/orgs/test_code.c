/* modules/orgs/code.c: the syntax of an enterprise/tax code (10 digits, or 10 digits "-" a branch 001..999). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "modules/orgs/orgs.h"

static void enterprise_codes(void **state)
{
    (void)state;
    assert_true(orgs_code_valid("0101234567"));
    assert_true(orgs_code_valid("0000000000"));
    assert_true(orgs_code_valid("9999999999"));
}

static void branch_codes(void **state)
{
    (void)state;
    assert_true(orgs_code_valid("0101234567-001"));
    assert_true(orgs_code_valid("0101234567-999"));
    assert_false(orgs_code_valid("0101234567-000")); /* 000 numbers no unit */
}

static void not_codes(void **state)
{
    (void)state;
    const char *bad[] = {"", "123", "010123456", "01012345678", "010123456a", " 0101234567", "0101234567 ",
                         "0101234567-", "0101234567-01", "0101234567-0011", "0101234567_001", "0101234567-00a",
                         "+101234567", "0101234567-001-002", "٠١٠١٢٣٤٥٦٧"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_false(orgs_code_valid(bad[i]));
    assert_false(orgs_code_valid(NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(enterprise_codes),
        cmocka_unit_test(branch_codes),
        cmocka_unit_test(not_codes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

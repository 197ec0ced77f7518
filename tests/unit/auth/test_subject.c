/* Unit tests for auth/subject.c: a citizen's pseudonymous subject. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "auth/subject.h"
#include "cong/module.h"

static const unsigned char secret[] = "a server secret of at least 32 bytes...";

static void subjects(void **state)
{
    (void)state;
    char a[CONG_SUBJECT_LEN + 1], b[CONG_SUBJECT_LEN + 1], c[CONG_SUBJECT_LEN + 1];
    assert_int_equal(cong_subject_from_citizen(secret, sizeof secret - 1, "001099012345", a), 0);
    assert_int_equal(cong_subject_from_citizen(secret, sizeof secret - 1, "001099012345", b), 0);
    assert_string_equal(a, b); /* stable */
    assert_int_equal(strlen(a), CONG_SUBJECT_LEN);
    assert_null(strstr(a, "001099012345"));
    assert_int_equal(cong_subject_from_citizen(secret, sizeof secret - 1, "001099012346", c), 0);
    assert_string_not_equal(a, c);
    assert_int_equal(cong_subject_from_citizen((const unsigned char *)"other", 5, "001099012345", c), 0);
    assert_string_not_equal(a, c); /* depends on the secret */
    assert_int_equal(cong_subject_from_citizen(secret, 0, "001099012345", c), CONG_EINVAL);
    assert_int_equal(cong_subject_from_citizen(secret, sizeof secret - 1, "", c), CONG_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(subjects)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}

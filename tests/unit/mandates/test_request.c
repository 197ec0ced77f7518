/* modules/mandates/request.c and code.c: the create request's shape, acceptance codes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "modules/mandates/mandates.h"

/* The field errors of a request, "field:code" joined by spaces, in order. */
static const char *errors_of(const char *body_json)
{
    static char out[2048];
    json_t *body = json_loads(body_json, 0, NULL);
    assert_non_null(body);
    json_t *errors = mandates_request_errors(body);
    assert_non_null(errors);
    out[0] = '\0';
    for (size_t i = 0; i < json_array_size(errors); i++) {
        json_t *e = json_array_get(errors, i);
        char one[128];
        snprintf(one, sizeof one, "%s%s:%s", i ? " " : "", json_string_value(json_object_get(e, "field")),
                 json_string_value(json_object_get(e, "code")));
        strncat(out, one, sizeof out - strlen(out) - 1);
    }
    json_decref(errors);
    json_decref(body);
    return out;
}

static void well_formed(void **state)
{
    (void)state;
    assert_string_equal("", errors_of("{\"grantee_citizen_number\":\"001099000002\",\"procedures\":[\"1.000001\"],"
                                      "\"actions\":[\"view\",\"submit\"],\"valid_until\":\"2027-01-01T00:00:00Z\","
                                      "\"max_uses\":3,\"may_subdelegate\":true,"
                                      "\"parent_id\":\"0b5c1a52-8f0e-4f4e-9c55-3f0d8e5b6a11\",\"note\":\"bố\"}"));
    assert_string_equal("", errors_of("{\"grantee_citizen_number\":\"001099000002\",\"domains\":[\"ho-tich\"],"
                                      "\"actions\":[\"receive_result\"]}"));
}

static void every_bad_field_is_named(void **state)
{
    (void)state;
    assert_string_equal("grantee_citizen_number:invalid-format procedures:required actions:required",
                        errors_of("{\"grantee_citizen_number\":\"12345\"}"));
    assert_string_equal("grantee_citizen_number:invalid-format procedures[1]:invalid-format domains:type "
                        "actions[0]:unknown-action actions[2]:duplicate valid_from:type max_uses:out-of-range "
                        "may_subdelegate:type parent_id:invalid-format note:type",
                        errors_of("{\"grantee_citizen_number\":12,\"procedures\":[\"1.0\",\"a b\"],\"domains\":\"x\","
                                  "\"actions\":[\"sign\",\"view\",\"view\"],\"valid_from\":5,\"max_uses\":0,"
                                  "\"may_subdelegate\":\"yes\",\"parent_id\":\"nope\",\"note\":[]}"));
}

static void lists_are_bounded(void **state)
{
    (void)state;
    char body[4096];
    size_t o = (size_t)snprintf(body, sizeof body, "{\"grantee_citizen_number\":\"001099000002\",\"procedures\":[");
    for (int i = 0; i <= MANDATES_MAX_PROCEDURES; i++)
        o += (size_t)snprintf(body + o, sizeof body - o, "%s\"p%d\"", i ? "," : "", i);
    o += (size_t)snprintf(body + o, sizeof body - o, "],\"domains\":[");
    for (int i = 0; i <= MANDATES_MAX_DOMAINS; i++)
        o += (size_t)snprintf(body + o, sizeof body - o, "%s\"d%d\"", i ? "," : "", i);
    snprintf(body + o, sizeof body - o, "],\"actions\":[\"view\"]}");
    assert_string_equal("procedures:too-many domains:too-many", errors_of(body));
}

static void codes(void **state)
{
    (void)state;
    char a[MANDATES_CODE_LEN + 3], b[MANDATES_CODE_LEN + 3], ha[65], hb[65];
    assert_int_equal(0, mandates_code_new(a, sizeof a));
    assert_int_equal(0, mandates_code_new(b, sizeof b));
    assert_int_equal(14, strlen(a));
    assert_true(a[4] == '-' && a[9] == '-');
    assert_string_not_equal(a, b);
    for (const char *p = a; *p; p++)
        assert_non_null(strchr("23456789ABCDEFGHJKMNPQRSTUVWXYZ-", *p));
    assert_int_equal(-1, mandates_code_new(a, MANDATES_CODE_LEN + 2));
    /* as people type it: without dashes, in lower case, with spaces */
    char typed[32];
    snprintf(typed, sizeof typed, "%.4s %.4s%.4s", a, a + 5, a + 10);
    for (char *p = typed; *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');
    assert_int_equal(0, mandates_code_hash(a, ha));
    assert_int_equal(0, mandates_code_hash(typed, hb));
    assert_string_equal(ha, hb);
    assert_int_equal(0, mandates_code_hash(b, hb));
    assert_string_not_equal(ha, hb);
    assert_int_equal(-1, mandates_code_hash("ABCD-EFGH-JK", hb));     /* too short */
    assert_int_equal(-1, mandates_code_hash("ABCD-EFGH-JKM0", hb));   /* 0 is not in the alphabet */
    assert_int_equal(-1, mandates_code_hash("ABCD-EFGH-JKMNP", hb));  /* too long */
    assert_int_equal(-1, mandates_code_hash("", hb));
}

static void uuids(void **state)
{
    (void)state;
    assert_true(mandates_is_uuid("0b5c1a52-8f0e-4f4e-9c55-3f0d8e5b6a11"));
    assert_false(mandates_is_uuid("0b5c1a52-8f0e-4f4e-9c55-3f0d8e5b6a1"));
    assert_false(mandates_is_uuid("0b5c1a52x8f0e-4f4e-9c55-3f0d8e5b6a11"));
    assert_false(mandates_is_uuid("0b5c1a52-8f0e-4f4e-9c55-3f0d8e5b6a1g"));
    assert_false(mandates_is_uuid(NULL));
}

/* An organization as grantor (issue 18): a tax code's syntax, and never under a parent. */
static void organization_grantor(void **state)
{
    (void)state;
    assert_string_equal("", errors_of("{\"grantor_org\":\"0101234567\",\"grantee_citizen_number\":\"001099000002\","
                                      "\"domains\":[\"ho-tich\"],\"actions\":[\"view\"]}"));
    assert_string_equal("", errors_of("{\"grantor_org\":\"0101234567-001\",\"grantee_citizen_number\":\"001099000002\","
                                      "\"domains\":[\"ho-tich\"],\"actions\":[\"view\"]}"));
    static const char *const bad[] = {"\"010123456\"", "\"01012345678\"", "\"0101234567-000\"", "\"0101234567-01\"",
                                      "\"0101234567/001\"", "\"01012a4567\"", "1234567890", "null", "\"\""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char body[256];
        snprintf(body, sizeof body, "{\"grantor_org\":%s,\"grantee_citizen_number\":\"001099000002\","
                                    "\"domains\":[\"ho-tich\"],\"actions\":[\"view\"]}", bad[i]);
        assert_string_equal("grantor_org:invalid-format", errors_of(body));
    }
    assert_string_equal("grantor_org:not-with-parent",
                        errors_of("{\"grantor_org\":\"0101234567\",\"grantee_citizen_number\":\"001099000002\","
                                  "\"parent_id\":\"0b5c1a52-8f0e-4f4e-9c55-3f0d8e5b6a11\",\"domains\":[\"ho-tich\"],"
                                  "\"actions\":[\"view\"]}"));
    assert_int_equal(1, mandates_tax_code_valid("0101234567"));
    assert_int_equal(0, mandates_tax_code_valid(NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(well_formed), cmocka_unit_test(every_bad_field_is_named),
        cmocka_unit_test(lists_are_bounded), cmocka_unit_test(organization_grantor), cmocka_unit_test(codes), cmocka_unit_test(uuids),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

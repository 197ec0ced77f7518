/* modules/push: what POST /v1/broadcasts accepts (broadcast_request.c) and the texts and ward codes it checks
 * (validate.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "modules/push/push.h"

/* The errors of a body as "field:code ..." (a static buffer). */
static const char *errors_of(const char *body_text)
{
    static char out[512];
    json_t *body = json_loads(body_text, 0, NULL);
    assert_non_null(body);
    json_t *errors = push_broadcast_request_errors(body);
    assert_non_null(errors);
    out[0] = '\0';
    size_t i;
    json_t *e;
    json_array_foreach(errors, i, e) {
        if (i > 0)
            strcat(out, " ");
        strcat(out, json_string_value(json_object_get(e, "field")));
        strcat(out, ":");
        strcat(out, json_string_value(json_object_get(e, "code")));
    }
    json_decref(errors);
    json_decref(body);
    return out;
}

#define TEXTS                                                                                                          \
    "\"title\":{\"vi\":\"Cắt nước\",\"en\":\"Water cut\"},\"body\":{\"vi\":\"Ngày mai\\nkhông có nước.\",\"en\":\"b\"}"

static void valid_requests(void **state)
{
    (void)state;
    assert_string_equal(errors_of("{\"area\":{\"kind\":\"city\"}," TEXTS "}"), "");
    assert_string_equal(errors_of("{\"area\":{\"kind\":\"city\",\"ward_code\":null}," TEXTS "}"), "");
    assert_string_equal(errors_of("{\"area\":{\"kind\":\"ward\",\"ward_code\":\"HN-W-001\"}," TEXTS "}"), "");
}

static void areas(void **state)
{
    (void)state;
    assert_string_equal(errors_of("{" TEXTS "}"), "area.kind:required");
    assert_string_equal(errors_of("{\"area\":\"city\"," TEXTS "}"), "area.kind:required");
    assert_string_equal(errors_of("{\"area\":{\"kind\":\"district\"}," TEXTS "}"), "area.kind:unknown-kind");
    assert_string_equal(errors_of("{\"area\":{\"kind\":\"ward\"}," TEXTS "}"), "area.ward_code:required");
    assert_string_equal(errors_of("{\"area\":{\"kind\":\"ward\",\"ward_code\":\"hn-w-1\"}," TEXTS "}"),
                        "area.ward_code:invalid-format");
    assert_string_equal(errors_of("{\"area\":{\"kind\":\"ward\",\"ward_code\":7}," TEXTS "}"),
                        "area.ward_code:invalid-format");
    assert_string_equal(errors_of("{\"area\":{\"kind\":\"city\",\"ward_code\":\"HN-W-001\"}," TEXTS "}"),
                        "area.ward_code:not-allowed");
}

static void texts_listed_together(void **state)
{
    (void)state;
    assert_string_equal(errors_of("{\"area\":{\"kind\":\"city\"}}"),
                        "title.vi:required title.en:required body.vi:required body.en:required");
    assert_string_equal(errors_of("{\"area\":{\"kind\":\"city\"},\"title\":{\"vi\":\"a\\nb\",\"en\":3},"
                                  "\"body\":{\"vi\":\"   \",\"en\":\"ok\"}}"),
                        "title.vi:invalid-text title.en:invalid-text body.vi:required");
}

static void text_limits(void **state)
{
    (void)state;
    char text[4 * PUSH_BODY_MAX + 8];
    /* PUSH_TITLE_MAX characters of "ệ" (3 bytes each): characters count, not bytes */
    text[0] = '\0';
    for (int i = 0; i < PUSH_TITLE_MAX; i++)
        strcat(text, "ệ");
    assert_null(push_text_problem(text, PUSH_TITLE_MAX, 0));
    strcat(text, "a");
    assert_string_equal(push_text_problem(text, PUSH_TITLE_MAX, 0), "too-long");
    assert_null(push_text_problem("dòng 1\ndòng 2", PUSH_BODY_MAX, 1));
    assert_string_equal(push_text_problem("dòng 1\ndòng 2", PUSH_TITLE_MAX, 0), "invalid-text");
    assert_string_equal(push_text_problem("a\rb", PUSH_BODY_MAX, 1), "invalid-text");
    assert_string_equal(push_text_problem("a\x7f", PUSH_BODY_MAX, 1), "invalid-text");
    assert_string_equal(push_text_problem("\xc3\x28", PUSH_BODY_MAX, 1), "invalid-text");     /* broken UTF-8 */
    assert_string_equal(push_text_problem("\xc0\xaf", PUSH_BODY_MAX, 1), "invalid-text");     /* overlong */
    assert_string_equal(push_text_problem("\xed\xa0\x80", PUSH_BODY_MAX, 1), "invalid-text"); /* a surrogate */
    assert_string_equal(push_text_problem("\xe1\xbb", PUSH_BODY_MAX, 1), "invalid-text");     /* cut short */
    assert_string_equal(push_text_problem("", PUSH_BODY_MAX, 1), "required");
    assert_string_equal(push_text_problem(" \n ", PUSH_BODY_MAX, 1), "required");
    assert_string_equal(push_text_problem(NULL, PUSH_BODY_MAX, 1), "required");
}

static void ward_codes(void **state)
{
    (void)state;
    assert_true(push_ward_code_ok("HN-W-001"));
    assert_true(push_ward_code_ok("A"));
    assert_false(push_ward_code_ok(""));
    assert_false(push_ward_code_ok(NULL));
    assert_false(push_ward_code_ok("hn-w-001"));
    assert_false(push_ward_code_ok("HN W 001"));
    assert_true(push_ward_code_ok("ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"));
    assert_false(push_ward_code_ok("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(valid_requests), cmocka_unit_test(areas), cmocka_unit_test(texts_listed_together),
        cmocka_unit_test(text_limits), cmocka_unit_test(ward_codes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

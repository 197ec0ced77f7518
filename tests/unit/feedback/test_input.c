/* modules/feedback/input.c: the request's fields — UTF-8 counted in characters and validated, the tags' fixed list,
 * stars, the target (a dossier or a unit), every invalid field reported — and the tags' PostgreSQL literal. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "modules/feedback/feedback.h"

static void utf8_counts_characters(void **state)
{
    (void)state;
    assert_int_equal(feedback_utf8_chars("", 0), 0);
    assert_int_equal(feedback_utf8_chars("abc", 3), 3);
    assert_int_equal(feedback_utf8_chars("ạ", strlen("ạ")), 1);                     /* 3 bytes */
    assert_int_equal(feedback_utf8_chars("Cán bộ tốt", strlen("Cán bộ tốt")), 10);
    assert_int_equal(feedback_utf8_chars("\xc3\xa9", 2), 1);                        /* é, 2 bytes */
    assert_int_equal(feedback_utf8_chars("\xf0\x9f\x98\x80", 4), 1);                /* U+1F600, 4 bytes */
    assert_int_equal(feedback_utf8_chars("\xf4\x8f\xbf\xbf", 4), 1);                /* U+10FFFF */
}

static void utf8_refuses_what_is_not(void **state)
{
    (void)state;
    assert_int_equal(feedback_utf8_chars("\x80", 1), -1);             /* a continuation byte first */
    assert_int_equal(feedback_utf8_chars("\xc3", 1), -1);             /* truncated */
    assert_int_equal(feedback_utf8_chars("\xe1\xba", 2), -1);         /* truncated */
    assert_int_equal(feedback_utf8_chars("\xc3\x28", 2), -1);         /* a bad continuation */
    assert_int_equal(feedback_utf8_chars("\xc0\xaf", 2), -1);         /* overlong '/' */
    assert_int_equal(feedback_utf8_chars("\xe0\x80\xaf", 3), -1);     /* overlong */
    assert_int_equal(feedback_utf8_chars("\xf0\x80\x80\xaf", 4), -1); /* overlong */
    assert_int_equal(feedback_utf8_chars("\xed\xa0\x80", 3), -1);     /* a surrogate, U+D800 */
    assert_int_equal(feedback_utf8_chars("\xf4\x90\x80\x80", 4), -1); /* above U+10FFFF */
    assert_int_equal(feedback_utf8_chars("\xff", 1), -1);
}

static void tags(void **state)
{
    (void)state;
    const char *known[] = {"waiting_time", "staff_attitude", "clarity", "online_experience", "documents", "fees",
                           "other"};
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        assert_true(feedback_tag_known(known[i]));
    assert_false(feedback_tag_known("rude"));
    assert_false(feedback_tag_known("Fees"));
    assert_false(feedback_tag_known(""));
    assert_false(feedback_tag_known(NULL));
}

/* The errors of body `text` as "field:code,..." (owned by the caller). */
static char *errors_of(const char *text, int max_chars, feedback_input_t *in)
{
    json_t *body = json_loads(text, 0, NULL);
    assert_non_null(body);
    json_t *errors = feedback_input_read(body, max_chars, in);
    assert_non_null(errors);
    char *out = calloc(1, 512);
    size_t i;
    json_t *e;
    json_array_foreach(errors, i, e) {
        if (i > 0)
            strcat(out, ",");
        strcat(out, json_string_value(json_object_get(e, "field")));
        strcat(out, ":");
        strcat(out, json_string_value(json_object_get(e, "code")));
    }
    json_decref(errors);
    json_decref(body); /* `in` points into body: read it before this in the tests that need it */
    return out;
}

static void expect_errors(const char *text, int max_chars, const char *expected)
{
    feedback_input_t in;
    char *got = errors_of(text, max_chars, &in);
    assert_string_equal(got, expected);
    free(got);
}

static void fields(void **state)
{
    (void)state;
    expect_errors("{\"dossier_code\":\"HN-2026-0000001\",\"stars\":5}", 10, "");
    expect_errors("{\"unit_code\":\"HN-W-001\",\"stars\":1,\"tags\":[\"fees\",\"other\"],\"comment\":null}", 10, "");
    expect_errors("{\"stars\":3}", 10, "dossier_code:required");
    expect_errors("{\"dossier_code\":\"D\",\"unit_code\":\"U\",\"stars\":3}", 10, "unit_code:one-of");
    expect_errors("{\"dossier_code\":\"a b\",\"stars\":3}", 10, "dossier_code:invalid-format");
    expect_errors("{\"unit_code\":7,\"stars\":3}", 10, "unit_code:invalid-format");
    expect_errors("{\"dossier_code\":\"D\"}", 10, "stars:required");
    expect_errors("{\"dossier_code\":\"D\",\"stars\":0}", 10, "stars:out-of-range");
    expect_errors("{\"dossier_code\":\"D\",\"stars\":6}", 10, "stars:out-of-range");
    expect_errors("{\"dossier_code\":\"D\",\"stars\":4.5}", 10, "stars:invalid-format");
    expect_errors("{\"dossier_code\":\"D\",\"stars\":\"5\"}", 10, "stars:invalid-format");
    /* the comment: characters, not bytes (ạ is 3 bytes) */
    expect_errors("{\"dossier_code\":\"D\",\"stars\":5,\"comment\":\"ạạạạạạạạạạ\"}", 10, "");
    expect_errors("{\"dossier_code\":\"D\",\"stars\":5,\"comment\":\"ạạạạạạạạạạạ\"}", 10, "comment:too-long");
    expect_errors("{\"dossier_code\":\"D\",\"stars\":5,\"comment\":5}", 10, "comment:invalid-format");
    /* tags: from the list, once each, every bad one named */
    expect_errors("{\"dossier_code\":\"D\",\"stars\":5,\"tags\":[\"fees\",\"rude\",\"fees\",3]}", 10,
                  "tags[1]:unknown-tag,tags[2]:duplicate-tag,tags[3]:unknown-tag");
    expect_errors("{\"dossier_code\":\"D\",\"stars\":5,\"tags\":\"fees\"}", 10, "tags:invalid-format");
    /* every invalid field at once */
    expect_errors("{\"stars\":9,\"comment\":\"abcdef\",\"tags\":[\"x\"]}", 5,
                  "dossier_code:required,stars:out-of-range,comment:too-long,tags[0]:unknown-tag");
}

static void read_values_and_literal(void **state)
{
    (void)state;
    json_t *body = json_loads("{\"unit_code\":\"HN-W-001\",\"stars\":2,\"comment\":\"chờ lâu\","
                              "\"tags\":[\"waiting_time\",\"staff_attitude\"]}", 0, NULL);
    feedback_input_t in;
    json_t *errors = feedback_input_read(body, 1000, &in);
    assert_int_equal(json_array_size(errors), 0);
    json_decref(errors);
    assert_null(in.dossier_code);
    assert_string_equal(in.unit_code, "HN-W-001");
    assert_int_equal(in.stars, 2);
    assert_string_equal(in.comment, "chờ lâu");
    assert_int_equal(in.tag_count, 2);
    char literal[128];
    assert_int_equal(feedback_tags_literal(&in, literal, sizeof literal), 0);
    assert_string_equal(literal, "{waiting_time,staff_attitude}");
    assert_int_equal(feedback_tags_literal(&in, literal, 10), -1); /* does not fit */
    in.tag_count = 0;
    assert_int_equal(feedback_tags_literal(&in, literal, sizeof literal), 0);
    assert_string_equal(literal, "{}");
    /* all seven tags fit the literal the module sizes for them */
    for (int i = 0; i < FEEDBACK_TAG_COUNT; i++)
        in.tags[i] = feedback_tags[i];
    in.tag_count = FEEDBACK_TAG_COUNT;
    assert_int_equal(feedback_tags_literal(&in, literal, 128), 0);
    json_decref(body);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(utf8_counts_characters), cmocka_unit_test(utf8_refuses_what_is_not), cmocka_unit_test(tags),
        cmocka_unit_test(fields),                 cmocka_unit_test(read_values_and_literal),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

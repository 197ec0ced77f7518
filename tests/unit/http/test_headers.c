/* Unit tests for the header parsers of the pipeline: request ids, W3C traceparent, Accept-Language. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "gateway/http/pipeline.h"
#include "gateway/http/problem.h"

#define S(x) x, strlen(x)

static void request_id_valid(void **state)
{
    (void)state;
    assert_true(cong_request_id_valid(S("abc-123_x.y")));
    assert_true(cong_request_id_valid(S("0123456789012345678901234567890123456789012345678901234567890123")));
    assert_false(cong_request_id_valid(S("01234567890123456789012345678901234567890123456789012345678901234")));
    assert_false(cong_request_id_valid(S("")));
    assert_false(cong_request_id_valid(S("has space")));
    assert_false(cong_request_id_valid(S("quote\"")));
    assert_false(cong_request_id_valid(S("new\nline")));
    assert_false(cong_request_id_valid(S("ưu-tiên")));
}

static void traceparent(void **state)
{
    (void)state;
    char out[33];
    assert_true(cong_traceparent_trace_id(S("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"), out));
    assert_string_equal(out, "4bf92f3577b34da6a3ce929d0e0e4736");
    /* future version may carry more fields */
    assert_true(cong_traceparent_trace_id(S("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra"), out));
    assert_false(cong_traceparent_trace_id(S("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-x"), out));
    assert_false(cong_traceparent_trace_id(S("ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"), out));
    assert_false(cong_traceparent_trace_id(S("00-00000000000000000000000000000000-00f067aa0ba902b7-01"), out));
    assert_false(cong_traceparent_trace_id(S("00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01"), out));
    assert_false(cong_traceparent_trace_id(S("00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01"), out));
    assert_false(cong_traceparent_trace_id(S("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7"), out));
    assert_false(cong_traceparent_trace_id(S("garbage"), out));
}

static void accept_language(void **state)
{
    (void)state;
    assert_false(cong_lang_prefers_en(S("")));
    assert_false(cong_lang_prefers_en(S("vi")));
    assert_false(cong_lang_prefers_en(S("vi-VN,vi;q=0.9,en;q=0.8")));
    assert_true(cong_lang_prefers_en(S("en")));
    assert_true(cong_lang_prefers_en(S("en-US,en;q=0.9")));
    assert_true(cong_lang_prefers_en(S("vi;q=0.2, en;q=0.9")));
    assert_true(cong_lang_prefers_en(S("fr, en;q=0.5")));
    assert_false(cong_lang_prefers_en(S("en;q=0")));
    assert_false(cong_lang_prefers_en(S("fr")));
    assert_false(cong_lang_prefers_en(S("eng")));
    assert_false(cong_lang_prefers_en(S(";;;,,,q=")));
}

static void problem_catalog(void **state)
{
    (void)state;
    const cong_problem_kind_t *k = cong_problem_find("not-found");
    assert_non_null(k);
    assert_int_equal(k->status, 404);
    assert_null(cong_problem_find("nope"));
    assert_true(cong_problem_slug_valid("dossier-not-withdrawable"));
    assert_false(cong_problem_slug_valid(""));
    assert_false(cong_problem_slug_valid("Has-Caps"));
    assert_false(cong_problem_slug_valid("../etc"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(request_id_valid),
        cmocka_unit_test(traceparent),
        cmocka_unit_test(accept_language),
        cmocka_unit_test(problem_catalog),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

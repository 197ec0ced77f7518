/*
 * tests/unit/http/test_phase_request_id.c — gateway/http/phase_request_id.c on a request: a valid X-Request-Id is
 * kept, else the trace id of a valid traceparent, else a new 128-bit id; the phase never answers; the reply carries
 * the id (response filters).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "gateway/http/response_filters.h"
#include "tests/unit/http/fake_request.h"

#define TRACEPARENT "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

/* The id the phase gives a request with these headers (name, value pairs; NULL ends). */
static const char *id_for(fake_gateway_t *fg, const char *const headers[])
{
    static char id[CONG_REQUEST_ID_MAX + 1];
    fake_request_t fr;
    fake_request_init(&fr, fg, "GET", "/x", 0);
    for (size_t i = 0; headers[i] != NULL; i += 2)
        fake_header(&fr, headers[i], headers[i + 1]);
    cong_req_t *r = cong_req_new(&fg->worker, &fr.req);
    assert_int_equal(cong_phase_request_id(r), CONG_PHASE_NEXT);
    assert_int_equal(fr.finals, 0);
    strcpy(id, r->id);
    fake_request_end(&fr);
    return id;
}

static int is_generated(const char *id)
{
    if (strlen(id) != 32)
        return 0;
    for (const char *s = id; *s; s++)
        if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
            return 0;
    return 1;
}

static void a_valid_incoming_id_is_kept(void **state)
{
    (void)state;
    fake_gateway_t fg;
    fake_gateway_init(&fg);
    assert_string_equal(id_for(&fg, (const char *const[]){"x-request-id", "app-7.a_b", NULL}), "app-7.a_b");
    assert_string_equal(
        id_for(&fg, (const char *const[]){"x-request-id", "app-7", "traceparent", TRACEPARENT, NULL}), "app-7");
    fake_gateway_free(&fg);
}

static void else_the_trace_id_of_a_valid_traceparent(void **state)
{
    (void)state;
    fake_gateway_t fg;
    fake_gateway_init(&fg);
    assert_string_equal(id_for(&fg, (const char *const[]){"traceparent", TRACEPARENT, NULL}),
                        "4bf92f3577b34da6a3ce929d0e0e4736");
    assert_string_equal(id_for(&fg, (const char *const[]){"x-request-id", "has space", "traceparent", TRACEPARENT,
                                                           NULL}),
                        "4bf92f3577b34da6a3ce929d0e0e4736");
    fake_gateway_free(&fg);
}

static void else_a_new_id(void **state)
{
    (void)state;
    fake_gateway_t fg;
    fake_gateway_init(&fg);
    char first[CONG_REQUEST_ID_MAX + 1];
    strcpy(first, id_for(&fg, (const char *const[]){NULL}));
    assert_true(is_generated(first));
    const char *second = id_for(&fg, (const char *const[]){NULL});
    assert_true(is_generated(second));
    assert_string_not_equal(first, second);
    char too_long[CONG_REQUEST_ID_MAX + 2];
    memset(too_long, 'a', sizeof too_long - 1);
    too_long[sizeof too_long - 1] = '\0';
    assert_true(is_generated(id_for(&fg, (const char *const[]){"x-request-id", too_long, NULL})));
    assert_true(is_generated(id_for(&fg, (const char *const[]){"traceparent", "00-bad", NULL})));
    fake_gateway_free(&fg);
}

static void the_reply_carries_the_id(void **state)
{
    (void)state;
    fake_gateway_t fg;
    fake_gateway_init(&fg);
    cong_request_hooks_add(&fg.gw.request_hooks, &cong_response_filters_hook);
    fake_request_t fr;
    fake_request_init(&fr, &fg, "GET", "/nowhere", 0);
    fake_header(&fr, "x-request-id", "from-the-app");
    cong_req_t *r = cong_req_new(&fg.worker, &fr.req);
    cong_pipeline_start(r); /* no route: the route phase answers 404 */
    assert_int_equal(fr.req.res.status, 404);
    assert_int_equal(fake_response_header_count(&fr, "x-request-id"), 1);
    assert_string_equal(fake_response_header(&fr, "x-request-id"), "from-the-app");
    assert_non_null(strstr(fr.body, "\"instance\":\"from-the-app\""));
    fake_request_end(&fr);
    fake_gateway_free(&fg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_valid_incoming_id_is_kept),
        cmocka_unit_test(else_the_trace_id_of_a_valid_traceparent),
        cmocka_unit_test(else_a_new_id),
        cmocka_unit_test(the_reply_carries_the_id),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

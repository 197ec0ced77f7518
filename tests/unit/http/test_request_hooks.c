/*
 * tests/unit/http/test_request_hooks.c — gateway/http/request.c and request_hooks.c: the start, reply and end hooks
 * run exactly once per request, in the order registered, also when the client leaves before the reply (499); the
 * guard refuses a second reply (CONG_ESTATE) and a reply to a client that left (CONG_EGONE) without running a hook;
 * the registered response filters put the request id and the security headers on every reply, once.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "gateway/http/problem.h"
#include "gateway/http/response_filters.h"
#include "tests/unit/http/fake_request.h"

typedef struct counts {
    int start, reply, end;
    int end_status;
    size_t end_bytes;
    int guard_set_at_end; /* r->h2o was still readable when the end hook ran */
    char order[16];
} counts_t;

static void on_start(cong_req_t *r, void *udata)
{
    (void)r;
    ((counts_t *)udata)->start++;
}

static void on_reply(cong_req_t *r, void *udata)
{
    counts_t *c = udata;
    c->reply++;
    assert_true(r->replied); /* the status is set when the reply hooks run */
}

static void on_end(cong_req_t *r, const cong_request_outcome_t *outcome, void *udata)
{
    counts_t *c = udata;
    c->end++;
    c->end_status = outcome->status;
    c->end_bytes = outcome->bytes;
    c->guard_set_at_end = r->h2o != NULL;
    strncat(c->order, "1", sizeof c->order - strlen(c->order) - 1);
}

static void on_end_second(cong_req_t *r, const cong_request_outcome_t *outcome, void *udata)
{
    (void)r, (void)outcome;
    counts_t *c = udata;
    strncat(c->order, "2", sizeof c->order - strlen(c->order) - 1);
}

static void register_counting_hooks(fake_gateway_t *fg, counts_t *c)
{
    *c = (counts_t){0};
    cong_request_hook_t first = {.name = "count", .on_start = on_start, .on_reply = on_reply, .on_end = on_end,
                                 .udata = c};
    cong_request_hook_t second = {.name = "second", .on_end = on_end_second, .udata = c};
    assert_int_equal(cong_request_hooks_add(&fg->gw.request_hooks, &first), 0);
    assert_int_equal(cong_request_hooks_add(&fg->gw.request_hooks, &second), 0);
}

static void each_hook_runs_once_for_an_answered_request(void **state)
{
    (void)state;
    fake_gateway_t fg;
    counts_t c;
    fake_gateway_init(&fg);
    register_counting_hooks(&fg, &c);
    fake_request_t fr;
    fake_request_init(&fr, &fg, "GET", "/x", 0);
    cong_req_t *r = cong_req_new(&fg.worker, &fr.req);
    assert_int_equal(c.start, 1);
    assert_int_equal(cong_reply(r, 201, "text/plain", "made", 4), 0);
    assert_int_equal(c.reply, 1);
    assert_int_equal(cong_reply(r, 200, "text/plain", "again", 5), CONG_ESTATE);
    assert_int_equal(cong_reply_json(r, 200, json_object()), CONG_ESTATE); /* the body is freed (ASan) */
    assert_int_equal(cong_reply_problem(r, 500, "internal-error", NULL, NULL, 0), CONG_ESTATE);
    assert_int_equal(c.reply, 1);
    assert_int_equal(fr.finals, 1);
    assert_int_equal(c.end, 0);
    fr.req.bytes_sent = 4; /* what h2o counts as it writes */
    fake_request_end(&fr);
    assert_int_equal(c.end, 1);
    assert_int_equal(c.end_status, 201);
    assert_int_equal(c.end_bytes, 4);
    assert_true(c.guard_set_at_end);
    assert_string_equal(c.order, "12");
    fake_gateway_free(&fg);
}

static void the_end_hooks_run_once_when_the_client_leaves(void **state)
{
    (void)state;
    fake_gateway_t fg;
    counts_t c;
    fake_gateway_init(&fg);
    register_counting_hooks(&fg, &c);
    fake_request_t fr;
    fake_request_init(&fr, &fg, "GET", "/x", 0);
    cong_req_t *r = cong_req_new(&fg.worker, &fr.req);
    cong_req_retain(r); /* as an asynchronous call does */
    fake_request_end(&fr); /* the client left before any reply */
    assert_int_equal(c.end, 1);
    assert_int_equal(c.end_status, 499);
    assert_null(r->h2o);
    assert_null(r->lookup);
    /* the late callback finds the guard cleared: nothing is sent, no hook runs */
    assert_int_equal(cong_reply(r, 200, "text/plain", "late", 4), CONG_EGONE);
    assert_int_equal(cong_reply_json(r, 200, json_object()), CONG_EGONE);
    assert_int_equal(cong_reply_problem_ext(r, 503, "service-unavailable", NULL, NULL, 2, json_object()), CONG_EGONE);
    assert_int_equal(cong_reply_add_header(r, H2O_STRLIT("x-late"), H2O_STRLIT("1")), CONG_EGONE);
    assert_int_equal(cong_reply_allowed(r), CONG_EGONE);
    assert_int_equal(c.reply, 0);
    assert_int_equal(c.end, 1);
    assert_int_equal(fr.finals, 0);
    cong_req_release(r);
    fake_gateway_free(&fg);
}

static void the_hook_list_is_bounded(void **state)
{
    (void)state;
    cong_request_hooks_t hooks = {0};
    cong_request_hook_t hook = {.name = "h"};
    for (int i = 0; i < CONG_REQUEST_HOOKS_MAX; i++)
        assert_int_equal(cong_request_hooks_add(&hooks, &hook), 0);
    assert_int_equal(cong_request_hooks_add(&hooks, &hook), CONG_ETOOBIG);
    assert_int_equal(hooks.count, CONG_REQUEST_HOOKS_MAX);
}

/* A problem reply is built past one guard: its headers and body are there once, with the filters' headers. */
static void a_problem_reply_carries_the_filtered_headers_once(void **state)
{
    (void)state;
    fake_gateway_t fg;
    fake_gateway_init(&fg);
    cong_request_hooks_add(&fg.gw.request_hooks, &cong_response_filters_hook);
    fake_request_t fr;
    fake_request_init(&fr, &fg, "GET", "/x", 0);
    cong_req_t *r = cong_req_new(&fg.worker, &fr.req);
    strcpy(r->id, "req-1");
    assert_int_equal(cong_reply_problem(r, 503, "service-unavailable", NULL, NULL, 2), 0);
    assert_int_equal(fr.req.res.status, 503);
    assert_int_equal(fake_response_header_count(&fr, "retry-after"), 1);
    assert_string_equal(fake_response_header(&fr, "retry-after"), "2");
    assert_int_equal(fake_response_header_count(&fr, "content-language"), 1);
    assert_int_equal(fake_response_header_count(&fr, "x-request-id"), 1);
    assert_string_equal(fake_response_header(&fr, "x-request-id"), "req-1");
    assert_string_equal(fake_response_header(&fr, "x-content-type-options"), "nosniff");
    assert_string_equal(fake_response_header(&fr, "content-type"), "application/problem+json");
    assert_non_null(strstr(fr.body, "\"instance\":\"req-1\""));
    fake_request_end(&fr);
    fake_gateway_free(&fg);
}

/* A module's 503 keeps the Retry-After it set itself; without one it gets 2 s (CONG_RETRY_AFTER_UNLESS_SET). */
static void retry_after_unless_the_reply_set_its_own(void **state)
{
    (void)state;
    fake_gateway_t fg;
    fake_gateway_init(&fg);
    fake_request_t fr;
    fake_request_init(&fr, &fg, "GET", "/x", 0);
    cong_req_t *r = cong_req_new(&fg.worker, &fr.req);
    cong_reply_add_header(r, H2O_STRLIT("Retry-After"), H2O_STRLIT("3600"));
    assert_int_equal(cong_reply_problem(r, 503, "service-unavailable", NULL, NULL, CONG_RETRY_AFTER_UNLESS_SET), 0);
    assert_int_equal(fake_response_header_count(&fr, "retry-after"), 1);
    assert_string_equal(fake_response_header(&fr, "retry-after"), "3600");
    fake_request_end(&fr);
    fake_request_init(&fr, &fg, "GET", "/x", 0);
    r = cong_req_new(&fg.worker, &fr.req);
    assert_int_equal(cong_reply_problem(r, 429, "rate-limited", NULL, NULL, CONG_RETRY_AFTER_UNLESS_SET), 0);
    assert_string_equal(fake_response_header(&fr, "retry-after"), "1");
    fake_request_end(&fr);
    fake_gateway_free(&fg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(each_hook_runs_once_for_an_answered_request),
        cmocka_unit_test(the_end_hooks_run_once_when_the_client_leaves),
        cmocka_unit_test(the_hook_list_is_bounded),
        cmocka_unit_test(a_problem_reply_carries_the_filtered_headers_once),
        cmocka_unit_test(retry_after_unless_the_reply_set_its_own),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

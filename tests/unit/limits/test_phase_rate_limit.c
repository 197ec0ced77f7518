/*
 * tests/unit/limits/test_phase_rate_limit.c — gateway/limits/phase_rate_limit.c through the limiter interface
 * (rate_limit.h), with a limiter that answers later: the request waits in the rate-limit phase, and the decision goes
 * to the function the phase gave — allowed, the pipeline goes on to the handler with the RateLimit-* headers; refused,
 * 429 with Retry-After and the handler never runs. Allowed at once, the request never waits. A second decision of
 * the same request (a partner's plan, cong_rate_decision_reply) replaces the RateLimit-* headers only when tighter.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "gateway/limits/rate_limit.h"
#include "tests/unit/http/fake_request.h"

/* A limiter that keeps the question and answers when the test says. */
typedef struct later_limiter {
    cong_rate_limiter_t super;
    cong_req_t *r;
    cong_rate_decided_fn decided;
    char class_name[32], key[64];
    int asked;
} later_limiter_t;

static int check_later(cong_rate_limiter_t *self, cong_req_t *r, const char *class_name, const char *key,
                       cong_rate_decision_t *out, cong_rate_decided_fn decided)
{
    (void)out;
    later_limiter_t *l = (later_limiter_t *)self;
    l->asked++;
    l->r = r;
    l->decided = decided;
    snprintf(l->class_name, sizeof l->class_name, "%s", class_name);
    snprintf(l->key, sizeof l->key, "%s", key);
    cong_req_retain(r); /* as a limiter holds the request while it waits */
    return 0;
}

static void answer(later_limiter_t *l, const cong_rate_decision_t *d)
{
    cong_req_t *r = l->r;
    l->r = NULL;
    if (r->h2o != NULL)
        l->decided(r, d);
    cong_req_release(r);
}

static int handled;

static void handler(cong_req_t *r, void *udata)
{
    (void)udata;
    handled++;
    cong_reply(r, 200, "text/plain", "ok", 2);
}

static void setup(fake_gateway_t *fg, later_limiter_t *l)
{
    fake_gateway_init(fg);
    fake_route(fg, "GET", "/v1/things", 0, handler, 0);
    *l = (later_limiter_t){.super = {.name = "later", .check = check_later}};
    cong_rate_limiter = &l->super;
    handled = 0;
}

static void an_allowed_request_goes_on_when_the_answer_comes(void **state)
{
    (void)state;
    fake_gateway_t fg;
    later_limiter_t l;
    setup(&fg, &l);
    fake_request_t fr;
    fake_request_init(&fr, &fg, "GET", "/v1/things", 0);
    cong_req_t *r = cong_req_new(&fg.worker, &fr.req);
    cong_pipeline_start(r);
    assert_int_equal(l.asked, 1);
    assert_string_equal(l.class_name, "default");
    assert_string_equal(l.key, "ip:127.0.0.1");
    assert_int_equal(handled, 0);
    assert_int_equal(fr.finals, 0);
    answer(&l, &(cong_rate_decision_t){.allowed = 1, .limit = 100, .remaining = 99, .reset_s = 1});
    assert_int_equal(handled, 1);
    assert_int_equal(fr.req.res.status, 200);
    assert_string_equal(fake_response_header(&fr, "ratelimit-limit"), "100");
    assert_string_equal(fake_response_header(&fr, "ratelimit-remaining"), "99");
    assert_int_equal(l.asked, 1);
    fake_request_end(&fr);
    fake_gateway_free(&fg);
}

static void a_refused_request_gets_429_and_never_its_handler(void **state)
{
    (void)state;
    fake_gateway_t fg;
    later_limiter_t l;
    setup(&fg, &l);
    fake_request_t fr;
    fake_request_init(&fr, &fg, "GET", "/v1/things", 0);
    cong_req_t *r = cong_req_new(&fg.worker, &fr.req);
    cong_pipeline_start(r);
    answer(&l, &(cong_rate_decision_t){.allowed = 0, .limit = 100, .remaining = 0, .reset_s = 7});
    assert_int_equal(handled, 0);
    assert_int_equal(fr.req.res.status, 429);
    assert_string_equal(fake_response_header(&fr, "retry-after"), "7");
    assert_int_equal(fr.finals, 1);
    fake_request_end(&fr);
    fake_gateway_free(&fg);
}

static void an_unlimited_request_never_waits(void **state)
{
    (void)state;
    fake_gateway_t fg;
    later_limiter_t l;
    setup(&fg, &l);
    cong_rate_limiter = &cong_rate_limiter_unlimited;
    fake_request_t fr;
    fake_request_init(&fr, &fg, "GET", "/v1/things", 0);
    cong_req_t *r = cong_req_new(&fg.worker, &fr.req);
    cong_pipeline_start(r);
    assert_int_equal(handled, 1);
    assert_null(fake_response_header(&fr, "ratelimit-limit"));
    fake_request_end(&fr);
    fake_gateway_free(&fg);
}

/* A handler that applies a second decision (as a partner route's quota does) before answering. */
static cong_rate_decision_t plan_decision;

static void plan_handler(cong_req_t *r, void *udata)
{
    (void)udata;
    handled++;
    if (cong_rate_decision_reply(r, &plan_decision))
        cong_reply(r, 200, "text/plain", "ok", 2);
}

static void with_plan(const cong_rate_decision_t *plan, fake_request_t *fr, fake_gateway_t *fg)
{
    later_limiter_t l;
    fake_gateway_init(fg);
    fake_route(fg, "GET", "/v1/partners/evn/bills", 0, plan_handler, 0);
    l = (later_limiter_t){.super = {.name = "later", .check = check_later}};
    cong_rate_limiter = &l.super;
    handled = 0;
    plan_decision = *plan;
    fake_request_init(fr, fg, "GET", "/v1/partners/evn/bills", 0);
    cong_pipeline_start(cong_req_new(&fg->worker, &fr->req));
    answer(&l, &(cong_rate_decision_t){.allowed = 1, .limit = 100, .remaining = 99, .reset_s = 1});
    cong_rate_limiter = &cong_rate_limiter_unlimited; /* not this function's local any more */
    assert_int_equal(handled, 1);
    assert_int_equal(fake_response_header_count(fr, "ratelimit-limit"), 1);
    assert_int_equal(fake_response_header_count(fr, "ratelimit-remaining"), 1);
    assert_int_equal(fake_response_header_count(fr, "ratelimit-reset"), 1);
}

static void a_tighter_second_decision_replaces_the_headers(void **state)
{
    (void)state;
    fake_gateway_t fg;
    fake_request_t fr;
    with_plan(&(cong_rate_decision_t){.allowed = 1, .limit = 3, .remaining = 2, .reset_s = 20}, &fr, &fg);
    assert_int_equal(fr.req.res.status, 200);
    assert_string_equal(fake_response_header(&fr, "ratelimit-limit"), "3");
    assert_string_equal(fake_response_header(&fr, "ratelimit-remaining"), "2");
    assert_string_equal(fake_response_header(&fr, "ratelimit-reset"), "20");
    fake_request_end(&fr);
    fake_gateway_free(&fg);
}

static void a_looser_second_decision_keeps_the_first(void **state)
{
    (void)state;
    fake_gateway_t fg;
    fake_request_t fr;
    with_plan(&(cong_rate_decision_t){.allowed = 1, .limit = 1000, .remaining = 500, .reset_s = 1}, &fr, &fg);
    assert_string_equal(fake_response_header(&fr, "ratelimit-limit"), "100");
    assert_string_equal(fake_response_header(&fr, "ratelimit-remaining"), "99");
    fake_request_end(&fr);
    fake_gateway_free(&fg);
}

static void a_refusing_second_decision_answers_429_with_its_headers(void **state)
{
    (void)state;
    fake_gateway_t fg;
    fake_request_t fr;
    with_plan(&(cong_rate_decision_t){.allowed = 0, .limit = 3, .remaining = 0, .reset_s = 42}, &fr, &fg);
    assert_int_equal(fr.req.res.status, 429);
    assert_string_equal(fake_response_header(&fr, "retry-after"), "42");
    assert_string_equal(fake_response_header(&fr, "ratelimit-limit"), "3");
    assert_string_equal(fake_response_header(&fr, "ratelimit-remaining"), "0");
    fake_request_end(&fr);
    fake_gateway_free(&fg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_tighter_second_decision_replaces_the_headers),
        cmocka_unit_test(a_looser_second_decision_keeps_the_first),
        cmocka_unit_test(a_refusing_second_decision_answers_429_with_its_headers),
        cmocka_unit_test(an_allowed_request_goes_on_when_the_answer_comes),
        cmocka_unit_test(a_refused_request_gets_429_and_never_its_handler),
        cmocka_unit_test(an_unlimited_request_never_waits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

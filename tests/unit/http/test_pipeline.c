/*
 * tests/unit/http/test_pipeline.c — gateway/http/pipeline.c: the phases' order, a phase that answers or waits stops
 * the run, a resumed request goes on after the phase that waited, and a whole request through the real phases reaches
 * its handler exactly once — or never, when a phase answers first (the limits phase's 413 per route).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "gateway/limits/rate_limit.h"
#include "tests/unit/http/fake_request.h"

/* ---- fake phases, to see the loop alone ---- */

static char trail[64];

static void note(const char *step)
{
    strncat(trail, step, sizeof trail - strlen(trail) - 1);
}

static cong_phase_result_t phase_a(cong_req_t *r) { (void)r; note("a"); return CONG_PHASE_NEXT; }
static cong_phase_result_t phase_b(cong_req_t *r) { (void)r; note("b"); return CONG_PHASE_NEXT; }
static cong_phase_result_t phase_answers(cong_req_t *r) { (void)r; note("!"); return CONG_PHASE_DONE; }
static cong_phase_result_t phase_waits(cong_req_t *r) { (void)r; note("~"); return CONG_PHASE_WAIT; }

static void the_phases_in_their_order(void **state)
{
    (void)state;
    static const char *const expected[] = {"request_id", "admission", "limits", "cors", "authenticate", "mandate", "authorize",
                                           "rate_limit", "route"};
    size_t count = 0;
    const cong_phase_t *phases = cong_pipeline_phases(&count);
    assert_int_equal(count, sizeof expected / sizeof expected[0]);
    for (size_t i = 0; i < count; i++) {
        assert_string_equal(phases[i].name, expected[i]);
        assert_non_null(phases[i].run);
    }
}

static void a_phase_that_answers_stops_the_run(void **state)
{
    (void)state;
    const cong_phase_t table[] = {{"a", phase_a}, {"answers", phase_answers}, {"b", phase_b}};
    cong_req_t r = {0};
    trail[0] = '\0';
    cong_pipeline_run(&r, table, 3);
    assert_string_equal(trail, "a!");
    assert_int_equal(r.next_phase, 2);
}

static void a_waiting_phase_is_resumed_after_itself(void **state)
{
    (void)state;
    const cong_phase_t table[] = {{"a", phase_a}, {"waits", phase_waits}, {"b", phase_b}};
    cong_req_t r = {0};
    trail[0] = '\0';
    cong_pipeline_run(&r, table, 3);
    assert_string_equal(trail, "a~");
    cong_pipeline_run(&r, table, 3); /* what cong_pipeline_resume does, on this table */
    assert_string_equal(trail, "a~b");
    assert_int_equal(r.next_phase, 3);
}

static void resume_does_nothing_for_a_request_gone_or_answered(void **state)
{
    (void)state;
    cong_req_t r = {0}; /* r.h2o NULL: the client left (a phase would dereference it) */
    r.next_phase = 1;
    cong_pipeline_resume(&r);
    assert_int_equal(r.next_phase, 1);
    h2o_req_t req = {0};
    r.h2o = &req;
    r.replied = 1;
    cong_pipeline_resume(&r);
    assert_int_equal(r.next_phase, 1);
}

/* ---- the real phases, on a fake gateway ---- */

static int handled;

static void handler(cong_req_t *r, void *udata)
{
    (void)udata;
    handled++;
    assert_int_equal(cong_reply(r, 200, "text/plain", "ok", 2), 0);
}

static void a_request_reaches_its_handler_once(void **state)
{
    (void)state;
    fake_gateway_t fg;
    fake_gateway_init(&fg);
    fake_route(&fg, "GET", "/v1/things/{id}", 0, handler, 0);
    cong_rate_limiter = &cong_rate_limiter_unlimited;
    fake_request_t fr;
    fake_request_init(&fr, &fg, "GET", "/v1/things/42?x=1", 0);
    cong_req_t *r = cong_req_new(&fg.worker, &fr.req);
    handled = 0;
    cong_pipeline_start(r);
    assert_int_equal(handled, 1);
    assert_int_equal(fr.finals, 1);
    assert_string_equal(fr.body, "ok");
    assert_int_equal(r->next_phase, 9);
    size_t len = 0;
    assert_string_equal(cong_route_param(&r->lookup->match, "id", &len), "42");
    fake_request_end(&fr);
    fake_gateway_free(&fg);
}

/* The limits phase answers 413 for a body over the route's own limit, else over limits.max_body_bytes; the handler
 * never runs then. */
static int status_for_body(fake_gateway_t *fg, const char *path, size_t body_len)
{
    fake_request_t fr;
    fake_request_init(&fr, fg, "POST", path, 0);
    fake_body(&fr, body_len);
    cong_req_t *r = cong_req_new(&fg->worker, &fr.req);
    cong_pipeline_start(r);
    int status = fr.req.res.status;
    assert_int_equal(fr.finals, 1);
    fake_request_end(&fr);
    return status;
}

static void the_body_limit_is_decided_per_route(void **state)
{
    (void)state;
    fake_gateway_t fg;
    fake_gateway_init(&fg);
    fg.config.limits.max_body_bytes = 1000;
    fake_route(&fg, "POST", "/v1/uploads", 5000, handler, 0);
    fake_route(&fg, "POST", "/v1/notes", 0, handler, 0);
    cong_rate_limiter = &cong_rate_limiter_unlimited;
    handled = 0;
    assert_int_equal(status_for_body(&fg, "/v1/uploads", 5000), 200);
    assert_int_equal(status_for_body(&fg, "/v1/uploads", 5001), 413);
    assert_int_equal(status_for_body(&fg, "/v1/notes", 1000), 200);
    assert_int_equal(status_for_body(&fg, "/v1/notes", 1001), 413);
    assert_int_equal(status_for_body(&fg, "/v1/nowhere", 1001), 413); /* no route: the gateway's limit */
    assert_int_equal(status_for_body(&fg, "/v1/nowhere", 10), 404);
    assert_int_equal(handled, 2);
    fake_gateway_free(&fg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_phases_in_their_order),
        cmocka_unit_test(a_phase_that_answers_stops_the_run),
        cmocka_unit_test(a_waiting_phase_is_resumed_after_itself),
        cmocka_unit_test(resume_does_nothing_for_a_request_gone_or_answered),
        cmocka_unit_test(a_request_reaches_its_handler_once),
        cmocka_unit_test(the_body_limit_is_decided_per_route),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

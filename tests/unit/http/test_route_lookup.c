/*
 * tests/unit/http/test_route_lookup.c — gateway/http/route_lookup.c and body_limit.c: the router is asked once per
 * request (when an HTTP/2 request's headers arrive, else when h2o hands it over) and the pipeline keeps that answer;
 * one rule decides a body's limit; the admin listener finds the gateway's own routes only.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "gateway/http/body_limit.h"
#include "gateway/limits/rate_limit.h"
#include "tests/unit/http/fake_request.h"

static void handler(cong_req_t *r, void *udata)
{
    (void)udata;
    cong_reply(r, 204, NULL, NULL, 0);
}

static void setup_routes(fake_gateway_t *fg)
{
    fake_gateway_init(fg);
    fg->config.limits.max_body_bytes = 1000;
    fake_route(fg, "POST", "/v1/uploads", 5000, handler, 0);
    fake_route(fg, "POST", "/v1/notes", 0, handler, 0);
    fake_route(fg, "POST", "/v1/small", 100, handler, 0);
    fake_route(fg, "GET", "/metrics", 0, handler, 1);
    cong_rate_limiter = &cong_rate_limiter_unlimited;
}

/* The lookup made when the headers arrived is the request's: changing the path afterwards changes nothing, because
 * the router is not asked again — not by a second lookup, not by the pipeline. */
static void a_lookup_made_when_the_headers_arrive_is_kept(void **state)
{
    (void)state;
    fake_gateway_t fg;
    setup_routes(&fg);
    fake_request_t fr;
    fake_request_init(&fr, &fg, "POST", "/v1/uploads?draft=1", 0);
    assert_int_equal(cong_route_lookup_body_limit(&fr.req), 5000 + CONG_BODY_SLACK_BYTES);
    const cong_route_lookup_t *first = cong_route_lookup(&fg.gw, &fr.req, 0);
    fr.req.input.path = fr.req.path = h2o_iovec_init(H2O_STRLIT("/v1/notes"));
    fr.req.input.query_at = fr.req.query_at = SIZE_MAX;
    assert_ptr_equal(cong_route_lookup(&fg.gw, &fr.req, 0), first);
    assert_ptr_equal(first->route, &fg.routes[0]);
    cong_req_t *r = cong_req_new(&fg.worker, &fr.req);
    cong_pipeline_start(r);
    assert_ptr_equal(r->lookup, first);
    assert_ptr_equal(r->route, &fg.routes[0]);
    assert_int_equal(fr.req.res.status, 204);
    fake_request_end(&fr);
    fake_gateway_free(&fg);
}

static void a_request_without_a_body_is_looked_up_once_by_the_pipeline(void **state)
{
    (void)state;
    fake_gateway_t fg;
    setup_routes(&fg);
    fake_request_t fr;
    fake_request_init(&fr, &fg, "GET", "/v1/notes", 0);
    cong_req_t *r = cong_req_new(&fg.worker, &fr.req);
    cong_pipeline_start(r);
    assert_int_equal(r->lookup->result, CONG_ROUTE_METHOD_NOT_ALLOWED);
    assert_string_equal(r->lookup->match.allow, "POST");
    assert_ptr_equal(cong_route_lookup(&fg.gw, &fr.req, 0), r->lookup);
    assert_int_equal(fr.req.res.status, 405);
    assert_string_equal(fake_response_header(&fr, "allow"), "POST");
    fake_request_end(&fr);
    fake_gateway_free(&fg);
}

static void one_rule_decides_the_body_limit(void **state)
{
    (void)state;
    fake_gateway_t fg;
    setup_routes(&fg);
    assert_int_equal(cong_body_limit(&fg.config, NULL), 1000);
    assert_int_equal(cong_body_limit(&fg.config, &fg.routes[0]), 5000); /* the route's own, larger */
    assert_int_equal(cong_body_limit(&fg.config, &fg.routes[1]), 1000); /* 0: the gateway's */
    assert_int_equal(cong_body_limit(&fg.config, &fg.routes[2]), 100);  /* the route's own, smaller */
    assert_int_equal(cong_body_limit_largest(&fg.gw), 5000);
    fg.config.limits.max_body_bytes = 9000;
    assert_int_equal(cong_body_limit_largest(&fg.gw), 9000);
    fake_gateway_free(&fg);
}

static size_t header_time_limit(fake_gateway_t *fg, const char *method, const char *path, int admin)
{
    fake_request_t fr;
    fake_request_init(&fr, fg, method, path, admin);
    size_t limit = cong_route_lookup_body_limit(&fr.req);
    fake_request_end(&fr);
    return limit;
}

static void h2o_is_told_each_request_its_own_limit(void **state)
{
    (void)state;
    fake_gateway_t fg;
    setup_routes(&fg);
    assert_int_equal(header_time_limit(&fg, "POST", "/v1/uploads", 0), 5000 + CONG_BODY_SLACK_BYTES);
    assert_int_equal(header_time_limit(&fg, "POST", "/v1/small", 0), 100 + CONG_BODY_SLACK_BYTES);
    assert_int_equal(header_time_limit(&fg, "POST", "/v1/nowhere", 0), 1000 + CONG_BODY_SLACK_BYTES);
    assert_int_equal(header_time_limit(&fg, "PUT", "/v1/uploads", 0), 1000 + CONG_BODY_SLACK_BYTES);
    /* on the admin listener a module's route does not exist: the gateway's limit */
    assert_int_equal(header_time_limit(&fg, "POST", "/v1/uploads", 1), 1000 + CONG_BODY_SLACK_BYTES);
    fake_gateway_free(&fg);
}

static void the_admin_listener_finds_the_gateway_routes_only(void **state)
{
    (void)state;
    fake_gateway_t fg;
    setup_routes(&fg);
    fake_request_t fr;
    fake_request_init(&fr, &fg, "GET", "/metrics", 1);
    const cong_route_lookup_t *lookup = cong_route_lookup(&fg.gw, &fr.req, 1);
    assert_int_equal(lookup->result, CONG_ROUTE_FOUND);
    assert_ptr_equal(lookup->route, &fg.routes[3]);
    fake_request_end(&fr);
    fake_request_init(&fr, &fg, "POST", "/v1/uploads", 1);
    lookup = cong_route_lookup(&fg.gw, &fr.req, 1);
    assert_int_equal(lookup->result, CONG_ROUTE_NOT_FOUND);
    assert_null(lookup->route);
    assert_int_equal(lookup->body_limit, 1000);
    fake_request_end(&fr);
    fake_gateway_free(&fg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_lookup_made_when_the_headers_arrive_is_kept),
        cmocka_unit_test(a_request_without_a_body_is_looked_up_once_by_the_pipeline),
        cmocka_unit_test(one_rule_decides_the_body_limit),
        cmocka_unit_test(h2o_is_told_each_request_its_own_limit),
        cmocka_unit_test(the_admin_listener_finds_the_gateway_routes_only),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

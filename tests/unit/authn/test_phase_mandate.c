/*
 * tests/unit/authn/test_phase_mandate.c — gateway/authn/phase_mandate.c: a request acting for someone goes on only
 * while its mandate has not been revoked ("mandate:<id>" on the revocation path), is within its last day, and
 * includes the action the route declares; a route that declares none refuses every acting-for request. Requests on
 * one's own affairs are never looked at. And mandate_covers (ABI 1.5), the module's check of the procedure scope.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "gateway/authn/token_cache.h"
#include "gateway/host/module_api_identity.h"
#include "tests/unit/http/fake_request.h"

#define MANDATE_ID "0b6f6c1e-7d3c-4e55-9a7e-3f1e2d4c5b6a"

static const char *grantor = "grantor"; /* "sub" of the acting-for token: a citizen's subject, or an organization's */

static void handler(cong_req_t *r, void *udata)
{
    (void)r, (void)udata;
}

typedef struct outcome {
    cong_phase_result_t result;
    int status;
    char body[8192];
} outcome_t;

/* Runs the phase on a request to a route declaring `route_action`, acting (or not) with `actions` until `until`,
 * after revoking the mandate when `revoked`. */
static outcome_t run(unsigned route_action, int acting, unsigned actions, int64_t until, int revoked)
{
    fake_gateway_t fg;
    fake_gateway_init(&fg);
    fg.worker.tokens = cong_token_cache_new(16);
    cong_route_entry_t *route = fake_route(&fg, "GET", "/v1/things", 0, handler, 0);
    route->mandate_action = route_action;
    int64_t now = (int64_t)time(NULL);
    if (revoked)
        cong_token_cache_revoke_session(fg.worker.tokens, "mandate:" MANDATE_ID, now + 600);
    fake_request_t fr;
    fake_request_init(&fr, &fg, "GET", "/v1/things", 0);
    cong_req_t *r = cong_req_new(&fg.worker, &fr.req);
    r->route = route;
    snprintf(r->claims.sub, sizeof r->claims.sub, "%s", grantor);
    if (acting) {
        snprintf(r->claims.act, sizeof r->claims.act, "grantee");
        snprintf(r->claims.mandate_id, sizeof r->claims.mandate_id, MANDATE_ID);
        r->claims.mandate_actions = actions;
        r->claims.mandate_until = until;
        r->principal.actor = r->claims.act;
        r->principal.mandate_id = r->claims.mandate_id;
    }
    outcome_t o = {.result = cong_phase_mandate(r)};
    o.status = fr.req.res.status;
    snprintf(o.body, sizeof o.body, "%s", fr.body);
    fake_request_end(&fr);
    cong_token_cache_free(fg.worker.tokens);
    fake_gateway_free(&fg);
    return o;
}

static void own_affairs_go_on(void **state)
{
    (void)state;
    assert_int_equal(run(0, 0, 0, 0, 0).result, CONG_PHASE_NEXT); /* even on a route that declares no action */
}

static void an_included_action_goes_on(void **state)
{
    (void)state;
    int64_t now = (int64_t)time(NULL);
    assert_int_equal(run(CONG_MANDATE_SUBMIT, 1, CONG_MANDATE_VIEW | CONG_MANDATE_SUBMIT, now + 60, 0).result,
                     CONG_PHASE_NEXT);
    assert_int_equal(run(CONG_MANDATE_VIEW, 1, CONG_MANDATE_VIEW, 0, 0).result, CONG_PHASE_NEXT); /* open-ended */
}

static void a_missing_action_is_named(void **state)
{
    (void)state;
    outcome_t o = run(CONG_MANDATE_PAY, 1, CONG_MANDATE_VIEW | CONG_MANDATE_SUBMIT, 0, 0);
    assert_int_equal(o.result, CONG_PHASE_DONE);
    assert_int_equal(o.status, 403);
    assert_non_null(strstr(o.body, "mandate-does-not-cover"));
    assert_non_null(strstr(o.body, "\"missing\":\"action\""));
    assert_non_null(strstr(o.body, "\"action\":\"pay\""));
}

static void a_route_without_action_refuses_acting(void **state)
{
    (void)state;
    outcome_t o = run(0, 1, CONG_MANDATE_VIEW | CONG_MANDATE_SUBMIT | CONG_MANDATE_PAY, 0, 0);
    assert_int_equal(o.status, 403);
    assert_non_null(strstr(o.body, "mandate-does-not-cover"));
}

static void an_ended_or_revoked_mandate_is_refused(void **state)
{
    (void)state;
    int64_t now = (int64_t)time(NULL);
    outcome_t past = run(CONG_MANDATE_VIEW, 1, CONG_MANDATE_VIEW, now - 2, 0);
    assert_int_equal(past.status, 403);
    assert_non_null(strstr(past.body, "mandate-not-active"));
    outcome_t revoked = run(CONG_MANDATE_VIEW, 1, CONG_MANDATE_VIEW, now + 600, 1);
    assert_int_equal(revoked.status, 403);
    assert_non_null(strstr(revoked.body, "mandate-not-active"));
}

/* An employee acting for an organization (issue 18): "sub" is "org:<id>"; the phase decides exactly as for a person. */
static void an_organization_grantor_is_decided_alike(void **state)
{
    (void)state;
    int64_t now = (int64_t)time(NULL);
    grantor = "org:7c9e6679-7425-40de-944b-e07fc1f90ae7";
    assert_int_equal(run(CONG_MANDATE_VIEW, 1, CONG_MANDATE_VIEW | CONG_MANDATE_SUBMIT, now + 60, 0).result,
                     CONG_PHASE_NEXT);
    outcome_t missing = run(CONG_MANDATE_PAY, 1, CONG_MANDATE_VIEW, now + 60, 0);
    assert_int_equal(missing.status, 403);
    assert_non_null(strstr(missing.body, "mandate-does-not-cover"));
    outcome_t withdrawn = run(CONG_MANDATE_VIEW, 1, CONG_MANDATE_VIEW, now + 600, 1);
    assert_int_equal(withdrawn.status, 403);
    assert_non_null(strstr(withdrawn.body, "mandate-not-active"));
    assert_int_equal(run(0, 1, CONG_MANDATE_VIEW, now + 60, 0).status, 403); /* no action declared: nobody's */
    grantor = "grantor";
}

static void covers_answers_from_the_token(void **state)
{
    (void)state;
    fake_gateway_t fg;
    fake_gateway_init(&fg);
    fake_request_t fr;
    fake_request_init(&fr, &fg, "GET", "/v1/things", 0);
    cong_req_t *r = cong_req_new(&fg.worker, &fr.req);
    assert_int_equal(cong_api_mandate_covers(r, "1.000001", NULL), 0); /* own affairs: everything */
    snprintf(r->claims.act, sizeof r->claims.act, "grantee");
    snprintf(r->claims.mandate_id, sizeof r->claims.mandate_id, MANDATE_ID);
    snprintf(r->claims.mandate_procedures, sizeof r->claims.mandate_procedures, "1.000001 2.000002");
    snprintf(r->claims.mandate_domains, sizeof r->claims.mandate_domains, "ho-tich");
    r->principal.actor = r->claims.act;
    assert_int_equal(cong_api_mandate_covers(r, "1.000001", NULL), 0);
    assert_int_equal(cong_api_mandate_covers(r, "2.000002", "dat-dai"), 0);
    assert_int_equal(cong_api_mandate_covers(r, "1.00000", NULL), CONG_EPERM); /* whole words only */
    assert_int_equal(cong_api_mandate_covers(r, "9.999999", "dat-dai"), CONG_EPERM);
    assert_int_equal(cong_api_mandate_covers(r, "9.999999", "ho-tich"), 0); /* the whole domain */
    assert_int_equal(cong_api_mandate_covers(r, NULL, "ho-tich"), 0);
    assert_int_equal(cong_api_mandate_covers(r, NULL, NULL), CONG_EINVAL);
    fake_request_end(&fr);
    fake_gateway_free(&fg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(own_affairs_go_on),
        cmocka_unit_test(an_included_action_goes_on),
        cmocka_unit_test(a_missing_action_is_named),
        cmocka_unit_test(a_route_without_action_refuses_acting),
        cmocka_unit_test(an_ended_or_revoked_mandate_is_refused),
        cmocka_unit_test(an_organization_grantor_is_decided_alike),
        cmocka_unit_test(covers_answers_from_the_token),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

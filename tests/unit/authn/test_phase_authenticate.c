/*
 * tests/unit/authn/test_phase_authenticate.c — gateway/authn/phase_authenticate.c's failed-authentication budget:
 * a refused credential spends a token of the "auth_failure" class for the client's address, and the limiter's later
 * answer comes back to the phase itself — 401 invalid-token with its challenge while the address has tokens, 429
 * once it has spent them; the handler never runs. Without an Authorization header the phase lets the request on.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "gateway/limits/rate_limit.h"
#include "tests/unit/http/fake_request.h"

static cong_req_t *waiting;
static cong_rate_decided_fn waiting_decided;
static char asked_class[32];

static int check_later(cong_rate_limiter_t *self, cong_req_t *r, const char *class_name, const char *key,
                       cong_rate_decision_t *out, cong_rate_decided_fn decided)
{
    (void)self, (void)key, (void)out;
    snprintf(asked_class, sizeof asked_class, "%s", class_name);
    waiting = r;
    waiting_decided = decided;
    cong_req_retain(r);
    return 0;
}

static cong_rate_limiter_t later = {.name = "later", .check = check_later};

static int handled;

static void handler(cong_req_t *r, void *udata)
{
    (void)udata;
    handled++;
    cong_reply(r, 200, "text/plain", "ok", 2);
}

/* A request with a credential that is not a bearer token, answered `allowed` by the limiter: its status. */
static int status_after_refusal(int allowed, fake_request_t *fr)
{
    fake_gateway_t fg;
    fake_gateway_init(&fg);
    fake_route(&fg, "GET", "/v1/things", 0, handler, 0);
    cong_rate_limiter = &later;
    fake_request_init(fr, &fg, "GET", "/v1/things", 0);
    fake_header(fr, "authorization", "Basic dXNlcjpwYXNz");
    cong_req_t *r = cong_req_new(&fg.worker, &fr->req);
    handled = 0;
    waiting = NULL;
    cong_pipeline_start(r);
    assert_non_null(waiting);
    assert_string_equal(asked_class, "auth_failure");
    assert_int_equal(fr->finals, 0);
    waiting_decided(waiting, &(cong_rate_decision_t){.allowed = allowed, .limit = 20, .reset_s = 9});
    cong_req_release(waiting);
    assert_int_equal(handled, 0);
    assert_int_equal(fr->finals, 1);
    int status = fr->req.res.status;
    fake_request_end(fr);
    fake_gateway_free(&fg);
    return status;
}

static void a_refused_credential_is_401_while_the_address_has_tokens(void **state)
{
    (void)state;
    fake_request_t fr;
    assert_int_equal(status_after_refusal(1, &fr), 401);
    assert_non_null(strstr(fr.body, "invalid-token"));
}

static void a_refused_credential_is_429_once_the_address_spent_them(void **state)
{
    (void)state;
    fake_request_t fr;
    assert_int_equal(status_after_refusal(0, &fr), 429);
    assert_non_null(strstr(fr.body, "rate-limited"));
}

static void no_credential_goes_on(void **state)
{
    (void)state;
    fake_gateway_t fg;
    fake_gateway_init(&fg);
    fake_request_t fr;
    fake_request_init(&fr, &fg, "GET", "/x", 0);
    cong_req_t *r = cong_req_new(&fg.worker, &fr.req);
    assert_int_equal(cong_phase_authenticate(r), CONG_PHASE_NEXT);
    assert_false(r->principal.authenticated);
    fake_request_end(&fr);
    fake_gateway_free(&fg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_refused_credential_is_401_while_the_address_has_tokens),
        cmocka_unit_test(a_refused_credential_is_429_once_the_address_spent_them),
        cmocka_unit_test(no_credential_goes_on),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* The module ABI's calls that take ownership free what they took on every refusal (gateway/module_api.c): a module
 * hands a reference over and never frees it itself, so a refused reply must not leak. Each case keeps one reference of
 * its own to see the call drop the other; with the reference not kept, ASan's leak checker (Debug build) reports the
 * body too. The refusals never touch the request's h2o state, so a zeroed cong_req_t stands in for one. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "gateway/host/module_loader.h"
#include "gateway/http/request.h"

static const cong_api_t *api = &cong_module_api;

/* A body the call under test is handed (one reference), with a second reference held here to watch it. */
static json_t *watched_body(void)
{
    json_t *body = json_pack("{s:s, s:[i, i]}", "hello", "xin chào", "n", 1, 2);
    assert_non_null(body);
    json_incref(body);
    return body;
}

/* The call dropped its reference: only ours is left. */
static void assert_taken(json_t *body)
{
    assert_int_equal(body->refcount, 1);
    json_decref(body);
}

static void reply_json_frees_on_every_refusal(void **state)
{
    (void)state;
    cong_req_t gone = {0}; /* h2o NULL: the client has left */
    cong_req_t replied = {.h2o = (h2o_req_t *)&replied, .replied = 1};

    json_t *body = watched_body();
    assert_int_equal(api->reply_json(&replied, 99, body), CONG_EINVAL); /* leaked before 1.4 */
    assert_taken(body);
    body = watched_body();
    assert_int_equal(api->reply_json(&replied, 600, body), CONG_EINVAL);
    assert_taken(body);
    body = watched_body();
    assert_int_equal(api->reply_json(&gone, 99, body), CONG_EINVAL);
    assert_taken(body);
    body = watched_body();
    assert_int_equal(api->reply_json(&gone, 200, body), CONG_EGONE);
    assert_taken(body);
    body = watched_body();
    assert_int_equal(api->reply_json(&replied, 200, body), CONG_ESTATE);
    assert_taken(body);
    assert_int_equal(api->reply_json(&replied, 200, NULL), CONG_EINVAL);
}

static void reply_problem_ext_frees_on_every_refusal(void **state)
{
    (void)state;
    cong_req_t gone = {0};
    cong_req_t replied = {.h2o = (h2o_req_t *)&replied, .replied = 1};

    json_t *ext = watched_body();
    assert_int_equal(api->reply_problem_ext(&replied, 200, "not-found", NULL, NULL, ext), CONG_EINVAL);
    assert_taken(ext);
    ext = watched_body();
    assert_int_equal(api->reply_problem_ext(&replied, 404, NULL, NULL, NULL, ext), CONG_EINVAL);
    assert_taken(ext);
    ext = watched_body();
    assert_int_equal(api->reply_problem_ext(&gone, 404, "not-found", NULL, NULL, ext), CONG_EGONE);
    assert_taken(ext);
    ext = watched_body();
    assert_int_equal(api->reply_problem_ext(&replied, 404, "not-found", NULL, NULL, ext), CONG_ESTATE);
    assert_taken(ext);
}

/* event_publish borrows its payload: a refusal leaves the caller's reference alone. */
static void event_publish_borrows(void **state)
{
    (void)state;
    cong_req_t gone = {0};
    json_t *payload = json_pack("{s:i}", "n", 1);
    assert_int_equal(api->event_publish(&gone, "partner.test", payload, NULL, NULL), CONG_EGONE);
    assert_int_equal(payload->refcount, 1);
    json_decref(payload);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reply_json_frees_on_every_refusal),
        cmocka_unit_test(reply_problem_ext_frees_on_every_refusal),
        cmocka_unit_test(event_publish_borrows),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

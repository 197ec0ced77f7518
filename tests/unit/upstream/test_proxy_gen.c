/*
 * tests/unit/upstream/test_proxy_gen.c — gateway/upstream/proxy_gen.c: a reload publishes a new generation that a
 * worker adopts at its next look; what carries over by upstream name (the breaker, shared, with the new limits) and
 * by target address (health: an ejection stays, a new target starts healthy; counters); an old generation a request
 * still holds stays whole until that request ends and the worker's tick reclaims it (ASan would see a use after
 * free); the route table follows the new configuration.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/config/config.h"
#include "gateway/upstream/proxy_internal.h"

static void parse_ok(cong_config_t *cfg, const char *text)
{
    cong_config_errors_t errs = {0};
    assert_int_equal(cong_config_defaults(cfg), 0);
    int rc = cong_config_parse(cfg, "t.yaml", text, strlen(text), &errs);
    for (size_t i = 0; i < errs.count; i++)
        print_message("  error: %s\n", errs.lines[i]);
    assert_int_equal(rc, 0);
    cong_config_errors_free(&errs);
}

static const char first[] =
    "upstreams:\n"
    "  - name: u\n"
    "    targets: [{address: \"a.test:1\"}, {address: \"b.test:1\"}]\n"
    "    limits: {max_concurrent: 2, max_queued: 0}\n"
    "    outlier: {consecutive_failures: 1, max_ejection_percent: 100}\n"
    "    partner: {name: p}\n"
    "partner_routes:\n"
    "  - {method: GET, path: \"/v1/partners/p/old\", upstream: u, auth: none}\n";

static const char second[] = /* a goes, b stays, c comes; a route replaced, an upstream added */
    "upstreams:\n"
    "  - name: u\n"
    "    targets: [{address: \"b.test:1\"}, {address: \"c.test:1\"}]\n"
    "    limits: {max_concurrent: 1, max_queued: 0}\n"
    "    outlier: {consecutive_failures: 1, max_ejection_percent: 100}\n"
    "    partner: {name: p}\n"
    "  - name: v\n"
    "    targets: [{address: \"a.test:1\"}]\n"
    "    partner: {name: q}\n"
    "partner_routes:\n"
    "  - {method: GET, path: \"/v1/partners/p/new\", upstream: u, auth: none}\n"
    "  - {method: POST, path: \"/v1/partners/q/x\", upstream: v, auth: none}\n";

static void collect(const cong_route_entry_t *e, void *arg)
{
    char *out = arg;
    snprintf(out + strlen(out), 256 - strlen(out), "%s %s;", e->method, e->path);
}

static void test_reload_swaps_carries_and_frees(void **state)
{
    (void)state;
    cong_config_t one, two;
    parse_ok(&one, first);
    parse_ok(&two, second);
    assert_int_equal(cong_upstream_proxy_init(&one, NULL), 0);
    cong_proxy_gen_t *g1 = cong_proxy_gen_adopt(0);
    assert_non_null(g1);
    assert_ptr_equal(cong_proxy_gen_adopt(0), g1); /* nothing new: the same */
    cong_proxy_upstream_t *u1 = cong_proxy_gen_upstream(g1, 0);
    cong_upstream_health_report(u1->health, 1, 0, 1000); /* b ejected (one failure is enough here) */
    cong_proxy_count(u1, 1, CONG_PROXY_2XX, 5);
    assert_int_equal(cong_breaker_enter(u1->breaker), CONG_BREAKER_ADMIT); /* a request under way on g1 */
    cong_proxy_gen_hold(g1, 0);

    assert_int_equal(cong_upstream_proxy_reload(&two), 0);
    cong_proxy_gen_t *g2 = cong_proxy_gen_adopt(0);
    assert_ptr_not_equal(g2, g1);
    assert_int_equal(cong_proxy_gen_number(g2), cong_proxy_gen_number(g1) + 1);
    assert_int_equal(cong_proxy_gen_upstream_count(g2), 2);
    cong_proxy_upstream_t *u2 = cong_proxy_gen_upstream(g2, 0);
    assert_ptr_equal(u2->breaker, u1->breaker); /* shared: the request under way counts against the new limit */
    assert_int_equal(cong_breaker_enter(u2->breaker), CONG_BREAKER_OPEN);
    assert_int_equal(cong_upstream_health_state(u2->health, 0, 1001), CONG_TARGET_EJECTED); /* b, now target 0 */
    assert_int_equal(cong_upstream_health_state(u2->health, 1, 1001), CONG_TARGET_HEALTHY); /* c: new */
    assert_int_equal(atomic_load(&u2->targets[0].outcomes[CONG_PROXY_2XX]), 1);          /* b's counter */
    assert_int_equal(atomic_load(&u2->targets[1].outcomes[CONG_PROXY_2XX]), 0);

    char routes[256] = "";
    cong_upstream_routes_each(collect, routes);
    assert_string_equal(routes, "GET /v1/partners/p/new;POST /v1/partners/q/x;");

    cong_proxy_gen_reclaim(0); /* g1 still held by a request of worker 0: it stays whole */
    assert_string_equal(u1->config->name, "u");
    assert_int_equal(cong_upstream_health_state(u1->health, 1, 1001), CONG_TARGET_EJECTED);
    cong_breaker_exit(u1->breaker, 10); /* the old request ends */
    cong_proxy_gen_drop(g1, 0);
    cong_proxy_gen_reclaim(0); /* now g1 goes (ASan: nothing of it is touched again) */
    assert_int_equal(cong_breaker_enter(u2->breaker), CONG_BREAKER_ADMIT); /* the breaker lives on with g2 */
    cong_breaker_exit(u2->breaker, 1);

    cong_upstream_proxy_free();
    cong_config_free(&one);
    cong_config_free(&two);
}

/* A generation no worker adopted is freed by the next publish; a worker that adopts late gets the newest. */
static void test_unadopted_generation_is_freed_at_once(void **state)
{
    (void)state;
    cong_config_t one, two;
    parse_ok(&one, first);
    parse_ok(&two, second);
    assert_int_equal(cong_upstream_proxy_init(&one, NULL), 0);
    assert_int_equal(cong_upstream_proxy_reload(&two), 0);
    assert_int_equal(cong_upstream_proxy_reload(&one), 0);
    cong_proxy_gen_t *g = cong_proxy_gen_adopt(3);
    assert_int_equal(cong_proxy_gen_number(g), 3);
    char routes[256] = "";
    cong_upstream_routes_each(collect, routes);
    assert_string_equal(routes, "GET /v1/partners/p/old;");
    cong_upstream_proxy_free();
    cong_config_free(&one);
    cong_config_free(&two);
}

static void collect_index(const cong_route_entry_t *e, void *arg)
{
    char *out = arg;
    snprintf(out + strlen(out), 256 - strlen(out), "%s %s=%zu;", e->method, e->path, e->index);
}

/* Metrics rows (route_rows.c): a template keeps its row across reloads, a new one takes a free row, past the reserve
 * the catch-all; the reserved rows are labelled with their route's method and template. */
static void test_metrics_rows_kept_across_reloads(void **state)
{
    (void)state;
    cong_route_entry_t reserved[2] = {{.index = 11}, {.index = 12}};
    cong_route_entry_t *rows[2] = {&reserved[0], &reserved[1]};
    for (int i = 0; i < 2; i++) {
        reserved[i].method = strdup("");
        reserved[i].path = strdup("");
    }
    assert_int_equal(cong_upstream_routes_bind(10, rows, 2, "partners", 3), 0);
    cong_config_t one = {0}, two = {0};
    parse_ok(&one, first);
    parse_ok(&two, second);
    char seen[256] = "";
    assert_int_equal(cong_proxy_gen_publish(one.upstreams, NULL), 0);
    cong_upstream_routes_each(collect_index, seen);
    assert_string_equal(seen, "GET /v1/partners/p/old=11;");
    assert_int_equal(cong_proxy_gen_publish(two.upstreams, NULL), 0);
    seen[0] = '\0';
    cong_upstream_routes_each(collect_index, seen);
    assert_string_equal(seen, "GET /v1/partners/p/new=12;POST /v1/partners/q/x=10;"); /* the reserve is spent */
    assert_int_equal(cong_proxy_gen_publish(one.upstreams, NULL), 0);
    seen[0] = '\0';
    cong_upstream_routes_each(collect_index, seen);
    assert_string_equal(seen, "GET /v1/partners/p/old=11;"); /* its row again: its counts go on */
    assert_string_equal(reserved[0].path, "/v1/partners/p/old");
    assert_string_equal(reserved[1].method, "GET");
    assert_string_equal(reserved[1].path, "/v1/partners/p/new");
    cong_proxy_gens_free();
    assert_int_equal(cong_upstream_routes_bind(0, NULL, 0, "partners", 0), 0);
    for (int i = 0; i < 2; i++) {
        free(reserved[i].method);
        free(reserved[i].path);
    }
    cong_config_free(&one);
    cong_config_free(&two);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reload_swaps_carries_and_frees),
        cmocka_unit_test(test_unadopted_generation_is_freed_at_once),
        cmocka_unit_test(test_metrics_rows_kept_across_reloads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

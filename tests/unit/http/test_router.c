/*
 * tests/unit/http/test_router.c — gateway/http/router.h: matching, decoding, refusals, template validation, scale.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cong/module.h"
#include "gateway/http/router.h"

/* Distinct addresses used as route pointers. */
static int route_ping, route_dossier, route_dossier_post, route_timeline, route_head, route_root, route_literal,
    route_param;

/* Scratch and path copy of the latest match, sized exactly so that AddressSanitizer sees any overrun. */
static char *last_scratch;
static char *last_path;

static cong_route_result_t match_bytes(const cong_router_t *router, const char *method, const char *path,
                                       size_t path_len, cong_route_match_t *m)
{
    free(last_scratch);
    free(last_path);
    last_path = malloc(path_len ? path_len : 1);
    last_scratch = malloc(path_len + CONG_ROUTER_MAX_PARAMS);
    assert_non_null(last_path);
    assert_non_null(last_scratch);
    memcpy(last_path, path, path_len);
    return cong_router_match(router, method, strlen(method), last_path, path_len, last_scratch,
                             path_len + CONG_ROUTER_MAX_PARAMS, m);
}

static cong_route_result_t match(const cong_router_t *router, const char *method, const char *path,
                                 cong_route_match_t *m)
{
    return match_bytes(router, method, path, strlen(path), m);
}

static int setup_router(void **state)
{
    cong_router_t *router = cong_router_new();
    if (router == NULL)
        return -1;
    *state = router;
    return 0;
}

static int teardown_router(void **state)
{
    cong_router_free(*state);
    free(last_scratch);
    free(last_path);
    last_scratch = NULL;
    last_path = NULL;
    return 0;
}

static void test_literal_match(void **state)
{
    cong_router_t *router = *state;
    assert_int_equal(cong_router_add(router, "GET", "/v1/ping", &route_ping), 0);
    assert_int_equal(cong_router_add(router, "GET", "/healthz", &route_root), 0);

    cong_route_match_t m;
    assert_int_equal(match(router, "GET", "/v1/ping", &m), CONG_ROUTE_FOUND);
    assert_ptr_equal(m.route, &route_ping);
    assert_string_equal(m.template_path, "/v1/ping");
    assert_int_equal(m.nparams, 0);

    assert_int_equal(match(router, "GET", "/healthz", &m), CONG_ROUTE_FOUND);
    assert_ptr_equal(m.route, &route_root);
    /* Literals compare with the decoded segment. */
    assert_int_equal(match(router, "GET", "/v1/p%69ng", &m), CONG_ROUTE_FOUND);
    assert_ptr_equal(m.route, &route_ping);
}

static void test_param_extraction_and_decoding(void **state)
{
    cong_router_t *router = *state;
    assert_int_equal(cong_router_add(router, "GET", "/v1/dossiers/{code}", &route_dossier), 0);
    assert_int_equal(cong_router_add(router, "GET", "/v1/dossiers/{code}/timeline/{event_id}", &route_timeline), 0);

    cong_route_match_t m;
    size_t len = 0;
    assert_int_equal(match(router, "GET", "/v1/dossiers/HN-2026-0001234", &m), CONG_ROUTE_FOUND);
    assert_ptr_equal(m.route, &route_dossier);
    assert_int_equal(m.nparams, 1);
    assert_string_equal(m.params[0].name, "code");
    assert_string_equal(cong_route_param(&m, "code", &len), "HN-2026-0001234");
    assert_int_equal(len, 15);
    assert_null(cong_route_param(&m, "other", &len));

    assert_int_equal(match(router, "GET", "/v1/dossiers/a%20b", &m), CONG_ROUTE_FOUND);
    assert_string_equal(cong_route_param(&m, "code", &len), "a b");
    assert_int_equal(len, 3);

    /* An encoded slash stays inside its segment. */
    assert_int_equal(match(router, "GET", "/v1/dossiers/a%2Fb", &m), CONG_ROUTE_FOUND);
    assert_ptr_equal(m.route, &route_dossier);
    assert_string_equal(cong_route_param(&m, "code", NULL), "a/b");

    /* UTF-8, hex digits in either case; '+' is not a space in a path. */
    assert_int_equal(match(router, "GET", "/v1/dossiers/%C4%90%c3%a0+x", &m), CONG_ROUTE_FOUND);
    assert_string_equal(cong_route_param(&m, "code", &len), "\xC4\x90\xC3\xA0+x");
    assert_int_equal(len, 6);

    /* Three dots are an ordinary segment. */
    assert_int_equal(match(router, "GET", "/v1/dossiers/...", &m), CONG_ROUTE_FOUND);
    assert_string_equal(cong_route_param(&m, "code", NULL), "...");

    assert_int_equal(match(router, "GET", "/v1/dossiers/HN%2D1/timeline/ev%201", &m), CONG_ROUTE_FOUND);
    assert_ptr_equal(m.route, &route_timeline);
    assert_string_equal(m.template_path, "/v1/dossiers/{code}/timeline/{event_id}");
    assert_int_equal(m.nparams, 2);
    assert_string_equal(cong_route_param(&m, "code", NULL), "HN-1");
    assert_string_equal(cong_route_param(&m, "event_id", &len), "ev 1");
    assert_int_equal(len, 4);

    /* The parameter names are the route's own even when another method shares the shape. */
    assert_int_equal(cong_router_add(router, "POST", "/v1/dossiers/{id}", &route_dossier_post), 0);
    assert_int_equal(match(router, "POST", "/v1/dossiers/X", &m), CONG_ROUTE_FOUND);
    assert_ptr_equal(m.route, &route_dossier_post);
    assert_string_equal(cong_route_param(&m, "id", NULL), "X");
    assert_null(cong_route_param(&m, "code", NULL));
}

static void test_not_found(void **state)
{
    cong_router_t *router = *state;
    assert_int_equal(cong_router_add(router, "GET", "/v1/dossiers/{code}", &route_dossier), 0);

    cong_route_match_t m;
    assert_int_equal(match(router, "GET", "/v1/procedures/X", &m), CONG_ROUTE_NOT_FOUND);
    assert_null(m.route);
    assert_int_equal(m.nparams, 0);
    assert_string_equal(m.allow, "");
    assert_int_equal(match(router, "GET", "/v1/dossiers", &m), CONG_ROUTE_NOT_FOUND);
    assert_int_equal(match(router, "GET", "/v1/dossiers/X/more", &m), CONG_ROUTE_NOT_FOUND);
    assert_int_equal(match(router, "GET", "/", &m), CONG_ROUTE_NOT_FOUND);
}

static void test_method_not_allowed(void **state)
{
    cong_router_t *router = *state;
    assert_int_equal(cong_router_add(router, "GET", "/v1/dossiers/{code}", &route_dossier), 0);
    assert_int_equal(cong_router_add(router, "POST", "/v1/dossiers/{code}", &route_dossier_post), 0);

    cong_route_match_t m;
    assert_int_equal(match(router, "DELETE", "/v1/dossiers/X", &m), CONG_ROUTE_METHOD_NOT_ALLOWED);
    assert_string_equal(m.allow, "GET, POST");
    assert_null(m.route);
    /* Methods are case-sensitive. */
    assert_int_equal(match(router, "get", "/v1/dossiers/X", &m), CONG_ROUTE_METHOD_NOT_ALLOWED);
    assert_string_equal(m.allow, "GET, POST");
    assert_int_equal(match(router, "POST", "/v1/dossiers/X", &m), CONG_ROUTE_FOUND);
    assert_ptr_equal(m.route, &route_dossier_post);
    assert_string_equal(m.allow, "");
}

static void test_method_found_through_backtracking(void **state)
{
    cong_router_t *router = *state;
    assert_int_equal(cong_router_add(router, "GET", "/v1/a/b", &route_literal), 0);
    assert_int_equal(cong_router_add(router, "PUT", "/v1/{x}/b", &route_param), 0);

    cong_route_match_t m;
    assert_int_equal(match(router, "GET", "/v1/a/b", &m), CONG_ROUTE_FOUND);
    assert_ptr_equal(m.route, &route_literal);
    assert_int_equal(match(router, "PUT", "/v1/a/b", &m), CONG_ROUTE_FOUND);
    assert_ptr_equal(m.route, &route_param);
    assert_string_equal(cong_route_param(&m, "x", NULL), "a");
    assert_string_equal(m.allow, "");
    /* Allow lists every method some matching template serves. */
    assert_int_equal(match(router, "DELETE", "/v1/a/b", &m), CONG_ROUTE_METHOD_NOT_ALLOWED);
    assert_string_equal(m.allow, "GET, PUT");
    assert_int_equal(match(router, "DELETE", "/v1/z/b", &m), CONG_ROUTE_METHOD_NOT_ALLOWED);
    assert_string_equal(m.allow, "PUT");
}

static void test_head_falls_back_to_get(void **state)
{
    cong_router_t *router = *state;
    assert_int_equal(cong_router_add(router, "GET", "/v1/ping", &route_ping), 0);
    assert_int_equal(cong_router_add(router, "POST", "/v1/ping", &route_dossier_post), 0);
    assert_int_equal(cong_router_add(router, "GET", "/v1/explicit", &route_literal), 0);
    assert_int_equal(cong_router_add(router, "HEAD", "/v1/explicit", &route_head), 0);
    assert_int_equal(cong_router_add(router, "POST", "/v1/submit", &route_dossier), 0);

    cong_route_match_t m;
    assert_int_equal(match(router, "HEAD", "/v1/ping", &m), CONG_ROUTE_FOUND);
    assert_ptr_equal(m.route, &route_ping);
    assert_int_equal(match(router, "HEAD", "/v1/explicit", &m), CONG_ROUTE_FOUND);
    assert_ptr_equal(m.route, &route_head);
    assert_int_equal(match(router, "HEAD", "/v1/submit", &m), CONG_ROUTE_METHOD_NOT_ALLOWED);
    assert_string_equal(m.allow, "POST");
    /* HEAD is not listed for GET's sake. */
    assert_int_equal(match(router, "PUT", "/v1/ping", &m), CONG_ROUTE_METHOD_NOT_ALLOWED);
    assert_string_equal(m.allow, "GET, POST");
    assert_int_equal(match(router, "PUT", "/v1/explicit", &m), CONG_ROUTE_METHOD_NOT_ALLOWED);
    assert_string_equal(m.allow, "GET, HEAD");
}

static void test_dot_segments_refused(void **state)
{
    cong_router_t *router = *state;
    assert_int_equal(cong_router_add(router, "GET", "/v1/{a}/{b}", &route_param), 0);
    assert_int_equal(cong_router_add(router, "GET", "/v1/{a}", &route_literal), 0);

    static const char *const paths[] = {
        "/v1/.", "/v1/..", "/v1/%2e", "/v1/%2E", "/v1/%2e%2E", "/v1/.%2e", "/v1/%2E./x", "/./v1/x", "/../v1/x",
        "/v1/../x",
    };
    cong_route_match_t m;
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        assert_int_equal(match(router, "GET", paths[i], &m), CONG_ROUTE_BAD_PATH);
        assert_null(m.route);
    }
    assert_int_equal(match(router, "GET", "/v1/.x", &m), CONG_ROUTE_FOUND);
    assert_int_equal(match(router, "GET", "/v1/%2e%2e%2e", &m), CONG_ROUTE_FOUND);
}

static void test_nul_refused(void **state)
{
    cong_router_t *router = *state;
    assert_int_equal(cong_router_add(router, "GET", "/v1/{a}", &route_param), 0);

    cong_route_match_t m;
    assert_int_equal(match(router, "GET", "/v1/a%00b", &m), CONG_ROUTE_BAD_PATH);
    assert_int_equal(match(router, "GET", "/v1/%00", &m), CONG_ROUTE_BAD_PATH);
    assert_int_equal(match_bytes(router, "GET", "/v1/a\0b", 7, &m), CONG_ROUTE_BAD_PATH);
}

static void test_bad_percent_encoding_refused(void **state)
{
    cong_router_t *router = *state;
    assert_int_equal(cong_router_add(router, "GET", "/v1/{a}", &route_param), 0);

    static const char *const paths[] = {"/v1/%zz", "/v1/%", "/v1/%2", "/v1/a%g0", "/v1/a%0g", "/v1/%%41", "/v1/%2/x"};
    cong_route_match_t m;
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++)
        assert_int_equal(match(router, "GET", paths[i], &m), CONG_ROUTE_BAD_PATH);
}

static void test_relative_or_empty_path_refused(void **state)
{
    cong_router_t *router = *state;
    assert_int_equal(cong_router_add(router, "GET", "/v1/ping", &route_ping), 0);

    cong_route_match_t m;
    assert_int_equal(match(router, "GET", "v1/ping", &m), CONG_ROUTE_BAD_PATH);
    assert_int_equal(match(router, "GET", "", &m), CONG_ROUTE_BAD_PATH);
    assert_int_equal(match(router, "GET", "*", &m), CONG_ROUTE_BAD_PATH);
}

static void test_duplicate_shape(void **state)
{
    cong_router_t *router = *state;
    assert_int_equal(cong_router_add(router, "GET", "/a/{x}", &route_param), 0);
    assert_int_equal(cong_router_add(router, "GET", "/a/{y}", &route_literal), CONG_EEXIST);
    assert_int_equal(cong_router_add(router, "GET", "/a/{x}", &route_param), CONG_EEXIST);
    assert_int_equal(cong_router_add(router, "POST", "/a/{y}", &route_literal), 0);
    assert_int_equal(cong_router_add(router, "GET", "/a/b", &route_literal), 0);
    assert_int_equal(cong_router_add(router, "GET", "/a/{x}/c", &route_literal), 0);

    /* The refused route changed nothing. */
    cong_route_match_t m;
    assert_int_equal(match(router, "GET", "/a/z", &m), CONG_ROUTE_FOUND);
    assert_ptr_equal(m.route, &route_param);
    assert_string_equal(m.template_path, "/a/{x}");
}

static void test_invalid_templates(void **state)
{
    cong_router_t *router = *state;
    static const char *const templates[] = {
        "", "v1/ping", "/v1/", "//", "/v1//x", "/{}", "/{a", "/a}", "/x{a}", "/{a}x", "/{a}/{a}", "/{a b}",
        "/{a/b}", "/{{a}}", "/.", "/..", "/v1/./x", "/a%20b", "/a?b", "/a#b",
        "/{a}/{b}/{c}/{d}/{e}/{f}/{g}/{h}/{i}",
        "/1/2/3/4/5/6/7/8/9/10/11/12/13/14/15/16/17/18/19/20/21/22/23/24/25/26/27/28/29/30/31/32/33",
    };
    for (size_t i = 0; i < sizeof templates / sizeof templates[0]; i++) {
        int err = cong_router_add(router, "GET", templates[i], &route_param);
        if (err != CONG_EINVAL)
            fail_msg("template \"%s\": %d", templates[i], err);
    }
    assert_int_equal(cong_router_add(router, "", "/ok", &route_param), CONG_EINVAL);
    assert_int_equal(cong_router_add(router, "GE T", "/ok", &route_param), CONG_EINVAL);
    assert_int_equal(cong_router_add(router, NULL, "/ok", &route_param), CONG_EINVAL);
    assert_int_equal(cong_router_add(router, "GET", NULL, &route_param), CONG_EINVAL);
    assert_int_equal(cong_router_add(NULL, "GET", "/ok", &route_param), CONG_EINVAL);

    /* The limits themselves are fine. */
    assert_int_equal(cong_router_add(router, "GET", "/{a}/{b}/{c}/{d}/{e}/{f}/{g}/{h}", &route_param), 0);
    assert_int_equal(cong_router_add(router, "GET",
                                     "/1/2/3/4/5/6/7/8/9/10/11/12/13/14/15/16/17/18/19/20/21/22/23/24/25/26/27/28/29/"
                                     "30/31/32",
                                     &route_literal),
                     0);
    cong_route_match_t m;
    assert_int_equal(match(router, "GET", "/1/2/3/4/5/6/7/8", &m), CONG_ROUTE_FOUND);
    assert_int_equal(m.nparams, 8);
    assert_string_equal(cong_route_param(&m, "h", NULL), "8");
}

static void test_allow_list_must_fit(void **state)
{
    cong_router_t *router = *state;
    char method[32];
    int err = 0;
    int added = 0;
    while (err == 0 && added < 100) {
        snprintf(method, sizeof method, "METHOD%03d", added);
        err = cong_router_add(router, method, "/many", &route_param);
        if (err == 0)
            added++;
    }
    assert_int_equal(err, CONG_EINVAL);
    /* "METHOD000" is 9 bytes; with ", " between them 11 fit in 127. */
    assert_int_equal(added, 11);

    cong_route_match_t m;
    assert_int_equal(match(router, "GET", "/many", &m), CONG_ROUTE_METHOD_NOT_ALLOWED);
    assert_int_equal(strlen(m.allow), 11 * 9 + 10 * 2);
}

static void test_backtracking(void **state)
{
    cong_router_t *router = *state;
    assert_int_equal(cong_router_add(router, "GET", "/v1/a/b/c", &route_literal), 0);
    assert_int_equal(cong_router_add(router, "GET", "/v1/{x}/b/d", &route_param), 0);

    cong_route_match_t m;
    assert_int_equal(match(router, "GET", "/v1/a/b/d", &m), CONG_ROUTE_FOUND);
    assert_ptr_equal(m.route, &route_param);
    assert_string_equal(cong_route_param(&m, "x", NULL), "a");
    assert_int_equal(match(router, "GET", "/v1/a/b/c", &m), CONG_ROUTE_FOUND);
    assert_ptr_equal(m.route, &route_literal);
    assert_int_equal(m.nparams, 0);
    assert_int_equal(match(router, "GET", "/v1/a/b/e", &m), CONG_ROUTE_NOT_FOUND);
}

static void test_literal_preferred_over_param(void **state)
{
    cong_router_t *router = *state;
    assert_int_equal(cong_router_add(router, "GET", "/v1/dossiers/{code}", &route_param), 0);
    assert_int_equal(cong_router_add(router, "GET", "/v1/dossiers/search", &route_literal), 0);

    cong_route_match_t m;
    assert_int_equal(match(router, "GET", "/v1/dossiers/search", &m), CONG_ROUTE_FOUND);
    assert_ptr_equal(m.route, &route_literal);
    assert_int_equal(match(router, "GET", "/v1/dossiers/searc", &m), CONG_ROUTE_FOUND);
    assert_ptr_equal(m.route, &route_param);
}

static void test_empty_segments(void **state)
{
    cong_router_t *router = *state;
    assert_int_equal(cong_router_add(router, "GET", "/v1/dossiers", &route_literal), 0);
    assert_int_equal(cong_router_add(router, "GET", "/v1/dossiers/{code}", &route_param), 0);

    cong_route_match_t m;
    assert_int_equal(match(router, "GET", "/v1/dossiers/", &m), CONG_ROUTE_NOT_FOUND);
    assert_int_equal(match(router, "GET", "/v1//dossiers", &m), CONG_ROUTE_NOT_FOUND);
    assert_int_equal(match(router, "GET", "//v1/dossiers", &m), CONG_ROUTE_NOT_FOUND);
    assert_int_equal(match(router, "GET", "/v1/dossiers/X/", &m), CONG_ROUTE_NOT_FOUND);
    assert_int_equal(match(router, "GET", "/v1/dossiers//", &m), CONG_ROUTE_NOT_FOUND);
}

static void test_root(void **state)
{
    cong_router_t *router = *state;
    assert_int_equal(cong_router_add(router, "GET", "/", &route_root), 0);
    assert_int_equal(cong_router_add(router, "GET", "/", &route_root), CONG_EEXIST);
    assert_int_equal(cong_router_add(router, "GET", "/{x}", &route_param), 0);

    cong_route_match_t m;
    assert_int_equal(match(router, "GET", "/", &m), CONG_ROUTE_FOUND);
    assert_ptr_equal(m.route, &route_root);
    assert_string_equal(m.template_path, "/");
    assert_int_equal(m.nparams, 0);
    assert_int_equal(match(router, "GET", "/x", &m), CONG_ROUTE_FOUND);
    assert_ptr_equal(m.route, &route_param);
    assert_int_equal(match(router, "GET", "//", &m), CONG_ROUTE_NOT_FOUND);
    assert_int_equal(match(router, "POST", "/", &m), CONG_ROUTE_METHOD_NOT_ALLOWED);
    assert_string_equal(m.allow, "GET");
}

static void test_too_many_segments(void **state)
{
    cong_router_t *router = *state;
    char template_path[256] = "";
    char path[256] = "";
    for (int i = 0; i < CONG_ROUTER_MAX_SEGMENTS; i++) {
        strcat(template_path, "/s");
        strcat(path, "/s");
    }
    assert_int_equal(cong_router_add(router, "GET", template_path, &route_literal), 0);

    cong_route_match_t m;
    assert_int_equal(match(router, "GET", path, &m), CONG_ROUTE_FOUND);
    strcat(path, "/s");
    assert_int_equal(match(router, "GET", path, &m), CONG_ROUTE_BAD_PATH);
    /* A trailing slash is one more (empty) segment. */
    path[strlen(path) - 1] = '\0';
    assert_int_equal(match(router, "GET", path, &m), CONG_ROUTE_BAD_PATH);
}

static void test_scratch_too_small(void **state)
{
    cong_router_t *router = *state;
    assert_int_equal(cong_router_add(router, "GET", "/v1/dossiers/{code}", &route_param), 0);

    const char *path = "/v1/dossiers/HN-2026-0001234";
    char scratch[8];
    cong_route_match_t m;
    assert_int_equal(cong_router_match(router, "GET", 3, path, strlen(path), scratch, sizeof scratch, &m),
                     CONG_ROUTE_BAD_PATH);
    assert_int_equal(cong_router_match(router, "GET", 3, path, strlen(path), NULL, 0, &m), CONG_ROUTE_BAD_PATH);
}

static void test_method_and_path_not_nul_terminated(void **state)
{
    cong_router_t *router = *state;
    assert_int_equal(cong_router_add(router, "GET", "/v1/dossiers/{code}", &route_param), 0);

    const char request[] = "GETX/v1/dossiers/AB?q=1";
    char scratch[64];
    cong_route_match_t m;
    assert_int_equal(cong_router_match(router, request, 3, request + 4, 15, scratch, sizeof scratch, &m),
                     CONG_ROUTE_FOUND);
    assert_string_equal(cong_route_param(&m, "code", NULL), "AB");
}

#define MANY_ROUTES 5000

static void test_five_thousand_routes(void **state)
{
    cong_router_t *router = *state;
    static int routes[MANY_ROUTES];
    char text[128];
    for (int i = 0; i < MANY_ROUTES; i++) {
        switch (i % 3) {
        case 0:
            snprintf(text, sizeof text, "/v1/service%d/resource%d/{id}", i / 100, i);
            break;
        case 1:
            snprintf(text, sizeof text, "/v1/service%d/{owner}/item%d", i / 100, i);
            break;
        default:
            snprintf(text, sizeof text, "/v2/flat%d", i);
            break;
        }
        assert_int_equal(cong_router_add(router, "GET", text, &routes[i]), 0);
    }

    cong_route_match_t m;
    for (int i = 0; i < MANY_ROUTES; i++) {
        switch (i % 3) {
        case 0:
            snprintf(text, sizeof text, "/v1/service%d/resource%d/id-%d", i / 100, i, i);
            break;
        case 1:
            snprintf(text, sizeof text, "/v1/service%d/owner%d/item%d", i / 100, i, i);
            break;
        default:
            snprintf(text, sizeof text, "/v2/flat%d", i);
            break;
        }
        if (match(router, "GET", text, &m) != CONG_ROUTE_FOUND || m.route != &routes[i])
            fail_msg("route %d not matched by %s", i, text);
        char expected[32];
        if (i % 3 == 0) {
            snprintf(expected, sizeof expected, "id-%d", i);
            assert_string_equal(cong_route_param(&m, "id", NULL), expected);
        } else if (i % 3 == 1) {
            snprintf(expected, sizeof expected, "owner%d", i);
            assert_string_equal(cong_route_param(&m, "owner", NULL), expected);
        }
    }
    assert_int_equal(match(router, "GET", "/v2/flat5000", &m), CONG_ROUTE_NOT_FOUND);
    assert_int_equal(match(router, "GET", "/v1/service0/resource1/x", &m), CONG_ROUTE_NOT_FOUND);
    assert_int_equal(match(router, "POST", "/v2/flat2", &m), CONG_ROUTE_METHOD_NOT_ALLOWED);
    assert_string_equal(m.allow, "GET");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_literal_match, setup_router, teardown_router),
        cmocka_unit_test_setup_teardown(test_param_extraction_and_decoding, setup_router, teardown_router),
        cmocka_unit_test_setup_teardown(test_not_found, setup_router, teardown_router),
        cmocka_unit_test_setup_teardown(test_method_not_allowed, setup_router, teardown_router),
        cmocka_unit_test_setup_teardown(test_method_found_through_backtracking, setup_router, teardown_router),
        cmocka_unit_test_setup_teardown(test_head_falls_back_to_get, setup_router, teardown_router),
        cmocka_unit_test_setup_teardown(test_dot_segments_refused, setup_router, teardown_router),
        cmocka_unit_test_setup_teardown(test_nul_refused, setup_router, teardown_router),
        cmocka_unit_test_setup_teardown(test_bad_percent_encoding_refused, setup_router, teardown_router),
        cmocka_unit_test_setup_teardown(test_relative_or_empty_path_refused, setup_router, teardown_router),
        cmocka_unit_test_setup_teardown(test_duplicate_shape, setup_router, teardown_router),
        cmocka_unit_test_setup_teardown(test_invalid_templates, setup_router, teardown_router),
        cmocka_unit_test_setup_teardown(test_allow_list_must_fit, setup_router, teardown_router),
        cmocka_unit_test_setup_teardown(test_backtracking, setup_router, teardown_router),
        cmocka_unit_test_setup_teardown(test_literal_preferred_over_param, setup_router, teardown_router),
        cmocka_unit_test_setup_teardown(test_empty_segments, setup_router, teardown_router),
        cmocka_unit_test_setup_teardown(test_root, setup_router, teardown_router),
        cmocka_unit_test_setup_teardown(test_too_many_segments, setup_router, teardown_router),
        cmocka_unit_test_setup_teardown(test_scratch_too_small, setup_router, teardown_router),
        cmocka_unit_test_setup_teardown(test_method_and_path_not_nul_terminated, setup_router, teardown_router),
        cmocka_unit_test_setup_teardown(test_five_thousand_routes, setup_router, teardown_router),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

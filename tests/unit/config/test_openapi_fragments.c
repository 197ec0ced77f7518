/*
 * tests/unit/config/test_openapi_fragments.c — partners' OpenAPI fragments (gateway/config/openapi_fragments.h): a
 * YAML and a JSON fragment read; a path outside /v1/partners/<partner>/ (also the bare prefix, and another partner
 * whose name starts the same), a non-mapping path item, keys other than paths/openapi/info, no paths, YAML that does
 * not parse and an unreadable file refused, each with the fragment's line where it is known; the merge into the
 * gateway's document, and a clash with a path already documented.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cong/errors.h"
#include "gateway/config/config.h"
#include "gateway/config/openapi_fragments.h"

static char dir[] = "/tmp/cong-fragments-XXXXXX";
static char file[4200];

static int setup(void **state)
{
    (void)state;
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    unlink(file);
    rmdir(dir);
    return 0;
}

/* An upstream of partner "evn" whose fragment holds `text`. */
static cong_upstream_config_t upstream_with(const char *text)
{
    snprintf(file, sizeof file, "%s/fragment.yaml", dir);
    FILE *f = fopen(file, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return (cong_upstream_config_t){.openapi_file = file, .openapi_line = 7, .partner = {.name = "evn"}};
}

static int read_fragment(const char *text, int *line, char *err, size_t cap)
{
    cong_upstream_config_t u = upstream_with(text);
    json_t *paths = NULL;
    int rc = cong_openapi_fragment_read(&u, &paths, line, err, cap);
    assert_true((rc == 0) == (paths != NULL));
    json_decref(paths);
    return rc;
}

static void test_yaml_and_json_fragments_read(void **state)
{
    (void)state;
    int line;
    char err[512];
    assert_int_equal(read_fragment("openapi: 3.1.0\ninfo: {title: EVN}\npaths:\n  /v1/partners/evn/bills/{id}:\n"
                                   "    get: {operationId: evn_bill}\n", &line, err, sizeof err), 0);
    assert_int_equal(read_fragment("{\"paths\": {\"/v1/partners/evn/x\": {\"post\": {}}}}", &line, err, sizeof err),
                     0);
}

static void assert_refused(const char *text, int rc, int line, const char *message)
{
    int got_line = -1;
    char err[512] = "";
    assert_int_equal(read_fragment(text, &got_line, err, sizeof err), rc);
    if (strstr(err, message) == NULL)
        fail_msg("expected \"%s\" in \"%s\"", message, err);
    assert_int_equal(got_line, line);
}

static void test_paths_outside_the_prefix_refused_at_their_line(void **state)
{
    (void)state;
    assert_refused("paths:\n  /v1/partners/evn/ok: {get: {}}\n  /v1/partners/other/x: {get: {}}\n", CONG_EINVAL, 3,
                   "/v1/partners/other/x is not under /v1/partners/evn/");
    assert_refused("paths:\n  \"/v1/partners/evnx/a\": {get: {}}\n", CONG_EINVAL, 2, "is not under");
    assert_refused("paths:\n  /v1/partners/evn/: {get: {}}\n", CONG_EINVAL, 2, "is not under");
    assert_refused("paths:\n  /healthz: {get: {}}\n", CONG_EINVAL, 2, "/healthz is not under");
    assert_refused("paths:\n  /v1/partners/evn/a: [get]\n", CONG_EINVAL, 2, "expected a path item");
}

static void test_only_paths(void **state)
{
    (void)state;
    assert_refused("paths:\n  /v1/partners/evn/a: {get: {}}\ncomponents: {}\n", CONG_EINVAL, 3,
                   "components: a fragment brings paths only");
    assert_refused("openapi: 3.1.0\n", CONG_EINVAL, 0, "paths: expected a mapping of at least one path");
    assert_refused("paths: {}\n", CONG_EINVAL, 0, "paths: expected a mapping");
    assert_refused("- a\n- b\n", CONG_EINVAL, 0, "expected an OpenAPI 3 fragment");
}

static void test_unparseable_and_unreadable(void **state)
{
    (void)state;
    int line = -1;
    char err[512] = "";
    int rc = read_fragment("paths:\n  /v1/partners/evn/a:\n    get: [unclosed\n", &line, err, sizeof err);
    assert_int_equal(rc, CONG_EPARSE);
    assert_non_null(strstr(err, "not a YAML or JSON document"));
    assert_true(line >= 3);
    cong_upstream_config_t u = {.openapi_file = "/nonexistent/fragment.yaml", .partner = {.name = "evn"}};
    json_t *paths = NULL;
    assert_int_equal(cong_openapi_fragment_read(&u, &paths, &line, err, sizeof err), CONG_EIO);
    assert_int_equal(line, 0);
    assert_non_null(strstr(err, "No such file or directory"));
}

static void test_merge_and_clash(void **state)
{
    (void)state;
    cong_upstream_config_t u = upstream_with("paths:\n  /v1/partners/evn/bills: {get: {operationId: evn_bills}}\n");
    cong_upstreams_config_t all = {.items = &u, .count = 1, .file = "cong.yaml"};
    json_t *doc = json_pack("{s:s, s:{s:{}}}", "openapi", "3.1.0", "paths", "/healthz", "get");
    cong_config_errors_t errs = {0};
    assert_int_equal(cong_openapi_merge_fragments(&all, doc, &errs), 0);
    json_t *op = json_object_get(json_object_get(json_object_get(doc, "paths"), "/v1/partners/evn/bills"), "get");
    assert_string_equal(json_string_value(json_object_get(op, "operationId")), "evn_bills");
    assert_non_null(json_object_get(json_object_get(doc, "paths"), "/healthz"));
    /* the same fragment again (a second upstream of the same partner): its path is already documented */
    assert_int_equal(cong_openapi_merge_fragments(&all, doc, &errs), 1);
    assert_int_equal(errs.count, 1);
    if (strstr(errs.lines[0], "cong.yaml:7: upstreams[0].openapi: paths: /v1/partners/evn/bills is already "
                              "documented") == NULL)
        fail_msg("unexpected error line: %s", errs.lines[0]);
    cong_config_errors_free(&errs);
    json_decref(doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_yaml_and_json_fragments_read),
        cmocka_unit_test(test_paths_outside_the_prefix_refused_at_their_line),
        cmocka_unit_test(test_only_paths),
        cmocka_unit_test(test_unparseable_and_unreadable),
        cmocka_unit_test(test_merge_and_clash),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

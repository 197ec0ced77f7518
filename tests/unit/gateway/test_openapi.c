/* The contract's problem catalog (openapi/cong.yaml, x-problem-types) matches the gateway's (gateway/problem.c)
 * both ways, and the document converts to JSON as /openapi.json serves it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "gateway/problem.h"
#include "gateway/yaml_json.h"

static json_t *load_contract(void)
{
    const char *src = getenv("CONG_SOURCE_DIR");
    if (src == NULL)
        fail_msg("CONG_SOURCE_DIR is not set (ctest sets it)");
    char path[1024];
    snprintf(path, sizeof path, "%s/openapi/cong.yaml", src);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    static char text[1 << 20];
    size_t len = fread(text, 1, sizeof text, f);
    fclose(f);
    json_t *doc = NULL;
    char err[256];
    assert_int_equal(cong_yaml_to_json(text, len, &doc, err, sizeof err), 0);
    return doc;
}

static void catalog_matches(void **state)
{
    (void)state;
    json_t *doc = load_contract();
    assert_string_equal(json_string_value(json_object_get(doc, "openapi")), "3.1.0");
    json_t *kinds = json_object_get(doc, "x-problem-types");
    assert_true(json_is_array(kinds));
    size_t i;
    json_t *k;
    json_array_foreach(kinds, i, k) {
        const char *slug = json_string_value(json_object_get(k, "slug"));
        const cong_problem_kind_t *kind = cong_problem_find(slug);
        if (kind == NULL)
            fail_msg("documented problem %s is not in the gateway's catalog", slug);
        assert_int_equal(json_integer_value(json_object_get(k, "status")), kind->status);
        assert_string_equal(json_string_value(json_object_get(k, "title_vi")), kind->title_vi);
        assert_string_equal(json_string_value(json_object_get(k, "title_en")), kind->title_en);
    }
    /* and every catalog entry is documented */
    static const char *const gateway_slugs[] = {
        "bad-request", "invalid-path", "invalid-json", "unauthorized", "invalid-token", "invalid-client",
        "invalid-scope", "unsupported-grant-type", "step-up-required",
        "insufficient-scope", "forbidden", "cors-origin-denied", "not-found", "method-not-allowed", "conflict",
        "payload-too-large", "unsupported-media-type", "validation-failed", "rate-limited", "headers-too-large",
        "internal-error", "method-not-implemented", "service-unavailable", "idempotency-key-required",
        "invalid-transition", "idempotency-key-reused", "upload-quota-exceeded"};
    for (size_t s = 0; s < sizeof gateway_slugs / sizeof gateway_slugs[0]; s++) {
        assert_non_null(cong_problem_find(gateway_slugs[s]));
        int found = 0;
        json_array_foreach(kinds, i, k) found |= strcmp(json_string_value(json_object_get(k, "slug")), gateway_slugs[s]) == 0;
        if (!found)
            fail_msg("problem %s is not documented in x-problem-types", gateway_slugs[s]);
    }
    assert_int_equal(json_array_size(kinds), sizeof gateway_slugs / sizeof gateway_slugs[0]);
    json_decref(doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(catalog_matches)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}

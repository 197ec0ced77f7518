/* The contract's problem catalog (openapi/cong.yaml, x-problem-types) matches the gateway's (gateway/http/problem.c)
 * both ways, and the document converts to JSON as /openapi.json serves it. Its examples name the real catalog
 * (scripts/gen-catalog.py, what scripts/seed.sh loads): procedures, their figures and units as generated, and a
 * dossier's form passes the procedure's own fields (modules/procedures/form.c). Redocly (lint/openapi) checks each
 * example against its schema; only this test knows the catalog. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "gateway/http/problem.h"
#include "gateway/config/yaml_json.h"
#include "modules/procedures/form.h"

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
        "internal-error", "method-not-implemented", "service-unavailable", "database-busy", "idempotency-key-required",
        "invalid-transition", "idempotency-key-reused", "upload-quota-exceeded", "mandate-does-not-cover",
        "mandate-not-active", "mandate-used-up", "invalid-acceptance-code", "invalid-grant",
        "connection-specific-header", "payment-required", "provider-unavailable",
        /* payments: refunds */
        "payment-not-refundable", "refund-amount-available-mismatch", "refund-exceeds-available",
        "queue-limit-reached", "queue-closed", "queue-empty",
        /* queue: the holder's side */
        "queue-ticket-not-waiting",
        /* feedback */
        "dossier-not-finished", "feedback-already-given", "feedback-limit-reached",
        /* appointments */
        "slot-full", "appointment-limit-reached", "hold-expired",
        /* push */
        "session-required",
        /* organizations */
        "not-representative", "organization-suspended", "organization-representative-mismatch",
        /* procedures, payments: citizens and organizations */
        "applicant-not-allowed",
        /* partners' upstreams */
        "upstream-failed", "upstream-unavailable", "upstream-timeout"};
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

/* x-gateway-responses lists answers no operation can (405, 501): Redocly does not follow $refs in an extension, so
 * this does. */
static void gateway_responses_resolve(void **state)
{
    (void)state;
    json_t *doc = load_contract();
    json_t *listed = json_object_get(doc, "x-gateway-responses");
    json_t *responses = json_object_get(json_object_get(doc, "components"), "responses");
    assert_true(json_is_object(listed) && json_object_size(listed) > 0);
    const char *status;
    json_t *entry;
    json_object_foreach(listed, status, entry) {
        const char *ref = json_string_value(json_object_get(entry, "$ref"));
        static const char prefix[] = "#/components/responses/";
        if (ref == NULL || strncmp(ref, prefix, sizeof prefix - 1) != 0 ||
            json_object_get(responses, ref + sizeof prefix - 1) == NULL)
            fail_msg("x-gateway-responses %s: %s does not name a component response", status, ref ? ref : "(no $ref)");
    }
    json_decref(doc);
}

/* ---- examples against the catalog ---- */

typedef void (*visit_fn)(json_t *node, void *ctx);

/* Every example of the document: an `example` member, each `value` of an `examples` object, each item of a JSON
 * Schema `examples` array. */
static void for_each_example(json_t *node, visit_fn fn, void *ctx)
{
    size_t i;
    json_t *v;
    const char *key;
    if (json_is_array(node)) {
        json_array_foreach(node, i, v) for_each_example(v, fn, ctx);
        return;
    }
    json_object_foreach(node, key, v) {
        if (strcmp(key, "example") == 0) {
            fn(v, ctx);
        } else if (strcmp(key, "examples") == 0 && json_is_array(v)) {
            json_array_foreach(v, i, node) fn(node, ctx);
        } else if (strcmp(key, "examples") == 0 && json_is_object(v)) {
            const char *name;
            json_t *ex;
            json_object_foreach(v, name, ex) if (json_object_get(ex, "value") != NULL) fn(json_object_get(ex, "value"), ctx);
        } else {
            for_each_example(v, fn, ctx);
        }
    }
}

/* Every object inside a value, the value itself included. */
static void for_each_object(json_t *value, visit_fn fn, void *ctx)
{
    size_t i;
    json_t *v;
    const char *key;
    if (json_is_object(value))
        fn(value, ctx);
    if (json_is_array(value))
        json_array_foreach(value, i, v) for_each_object(v, fn, ctx);
    else if (json_is_object(value))
        json_object_foreach(value, key, v) for_each_object(v, fn, ctx);
}

/* The procedure code an example object names: a dossier's procedure_code, or the code of a procedure itself. */
static const char *procedure_code_of(json_t *obj)
{
    const char *code = json_string_value(json_object_get(obj, "procedure_code"));
    if (code == NULL && json_object_get(obj, "name_vi") != NULL && json_object_get(obj, "min_loa") != NULL)
        code = json_string_value(json_object_get(obj, "code"));
    return code;
}

static void collect_code(json_t *obj, void *codes)
{
    const char *code = procedure_code_of(obj);
    if (code != NULL && strspn(code, "0123456789.ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-") == strlen(code))
        json_object_set_new(codes, code, json_true());
}
static void collect_codes(json_t *example, void *codes) { for_each_object(example, collect_code, codes); }

/* {"procedures": {code: procedure}, "units": {code: name}} for the codes, from tests/unit/http/catalog_entries.py. */
static json_t *load_catalog(json_t *codes)
{
    char cmd[8192];
    const char *src = getenv("CONG_SOURCE_DIR");
    int n = snprintf(cmd, sizeof cmd, "python3 '%s/tests/unit/http/catalog_entries.py' '%s'", src, src);
    const char *code;
    json_t *v;
    json_object_foreach(codes, code, v) n += snprintf(cmd + n, sizeof cmd - (size_t)n, " '%s'", code);
    assert_true(n < (int)sizeof cmd);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    json_error_t err;
    json_t *catalog = json_loadf(p, 0, &err);
    assert_int_equal(pclose(p), 0);
    if (catalog == NULL)
        fail_msg("catalog_entries.py: %s", err.text);
    return catalog;
}

typedef struct {
    json_t *catalog;
    int failures;
} check_t;

/* One failure: "example of ABOUT: WHAT VALUE". */
static void report(check_t *c, const char *about, const char *what, json_t *value)
{
    char *text = json_dumps(value, JSON_ENCODE_ANY | JSON_COMPACT);
    print_error("example of %s: %s %s\n", about, what, text ? text : "");
    free(text);
    c->failures++;
}

/* A member the example shares with the catalog (`real` = the catalog's value) must be equal. */
static void compare(check_t *c, const char *about, json_t *obj, const char *member, json_t *real)
{
    json_t *documented = json_object_get(obj, member);
    if (documented != NULL && !json_equal(documented, real)) {
        char what[160];
        char *text = json_dumps(real, JSON_ENCODE_ANY | JSON_COMPACT);
        snprintf(what, sizeof what, "%s is not the catalog's %s:", member, text ? text : "(none)");
        free(text);
        report(c, about, what, documented);
    }
}

static int is_document_of(json_t *procedure, const char *name)
{
    size_t i;
    json_t *doc;
    json_array_foreach(json_object_get(procedure, "required_documents"), i, doc)
        if (name != NULL && strcmp(json_string_value(json_object_get(doc, "name_vi")), name) == 0)
            return 1;
    return 0;
}

static void check_procedure_object(check_t *c, json_t *obj, json_t *procedure)
{
    char about[96];
    snprintf(about, sizeof about, "procedure %s", json_string_value(json_object_get(procedure, "code")));
    static const char *const same[] = {"name_vi", "name_en", "domain", "level", "fee_vnd", "processing_days",
                                       "min_loa", "online_level", "accepts_electronic_copies", "applicants"};
    if (json_object_get(obj, "procedure_code") == NULL)
        for (size_t i = 0; i < sizeof same / sizeof same[0]; i++)
            compare(c, about, obj, same[i], json_object_get(procedure, same[i]));
    compare(c, about, obj, "procedure_name_vi", json_object_get(procedure, "name_vi"));
    if (json_object_get(obj, "procedure_code") != NULL)
        compare(c, about, obj, "fee_vnd", json_object_get(procedure, "fee_vnd"));
    json_t *form = json_object_get(obj, "form");
    if (form != NULL) {
        json_t *errors = procedures_form_check(json_object_get(procedure, "form_fields"), form);
        if (json_array_size(errors) > 0)
            report(c, about, "form fails the procedure's fields:", errors);
        json_decref(errors);
    }
    size_t i;
    json_t *att;
    json_array_foreach(json_object_get(obj, "attachments"), i, att) {
        json_t *name = json_object_get(att, "name");
        if (!is_document_of(procedure, json_string_value(name)))
            report(c, about, "attachment name is none of the procedure's required documents:", name);
    }
}

static void check_object(json_t *obj, void *ctx)
{
    check_t *c = ctx;
    const char *code = procedure_code_of(obj);
    if (code != NULL) {
        json_t *procedure = json_object_get(json_object_get(c->catalog, "procedures"), code);
        if (procedure == NULL) {
            report(c, code, "no such procedure in the catalog", NULL);
        } else {
            check_procedure_object(c, obj, procedure);
        }
    }
    const char *unit = json_string_value(json_object_get(obj, "unit_code"));
    if (unit != NULL) {
        char about[96];
        snprintf(about, sizeof about, "unit %s", unit);
        json_t *name = json_object_get(json_object_get(c->catalog, "units"), unit);
        if (name == NULL)
            report(c, about, "no such unit in the catalog", NULL);
        else
            compare(c, about, obj, "unit_name", name);
    }
}
static void check_example(json_t *example, void *c) { for_each_object(example, check_object, c); }

/* An operation whose request example files a form: the fields its answers' `errors` name are that procedure's
 * fields or members of the body. */
typedef struct {
    check_t *c;
    json_t *fields;
    const char *about;
} errors_check_t;

static int names_field(json_t *fields, const char *name)
{
    static const char *const body[] = {"procedure_code", "unit_code", "unit", "form", "attachments"};
    size_t i;
    json_t *f;
    for (i = 0; i < sizeof body / sizeof body[0]; i++)
        if (strcmp(name, body[i]) == 0)
            return 1;
    if (strncmp(name, "attachments[", 12) == 0)
        return 1;
    json_array_foreach(fields, i, f) if (strcmp(json_string_value(json_object_get(f, "name")), name) == 0) return 1;
    return 0;
}

static void check_error_fields(json_t *obj, void *ctx)
{
    errors_check_t *e = ctx;
    size_t i;
    json_t *err;
    json_array_foreach(json_object_get(obj, "errors"), i, err) {
        const char *field = json_string_value(json_object_get(err, "field"));
        if (field == NULL || !names_field(e->fields, field))
            report(e->c, e->about, "an answer's errors name a field the procedure does not have:", json_object_get(err, "field"));
    }
}
static void check_errors_example(json_t *example, void *e) { for_each_object(example, check_error_fields, e); }

static void check_operation_errors(check_t *c, json_t *operation)
{
    json_t *request = json_object_get(json_object_get(json_object_get(json_object_get(operation, "requestBody"), "content"),
                                                      "application/json"), "example");
    const char *code = json_string_value(json_object_get(request, "procedure_code"));
    json_t *procedure = json_object_get(json_object_get(c->catalog, "procedures"), code ? code : "");
    if (procedure == NULL || json_object_get(request, "form") == NULL)
        return;
    char about[96];
    snprintf(about, sizeof about, "procedure %s", code);
    errors_check_t e = {c, json_object_get(procedure, "form_fields"), about};
    for_each_example(json_object_get(operation, "responses"), check_errors_example, &e);
}

static void examples_match_catalog(void **state)
{
    (void)state;
    json_t *doc = load_contract();
    json_t *codes = json_object();
    for_each_example(doc, collect_codes, codes);
    if (json_object_get(codes, "1.001193") == NULL)
        fail_msg("no example names procedure 1.001193 (Đăng ký khai sinh): this test would check nothing");
    check_t c = {load_catalog(codes), 0};
    for_each_example(doc, check_example, &c);
    const char *path, *method;
    json_t *item, *operation;
    json_object_foreach(json_object_get(doc, "paths"), path, item) json_object_foreach(item, method, operation)
        if (json_is_object(operation))
            check_operation_errors(&c, operation);
    json_decref(c.catalog);
    json_decref(codes);
    json_decref(doc);
    assert_int_equal(c.failures, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(catalog_matches), cmocka_unit_test(gateway_responses_resolve),
                                       cmocka_unit_test(examples_match_catalog)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * tests/unit/config/test_yaml_json.c — gateway/config/yaml_json.c: YAML text to jansson values.
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

#include "cong/module.h"
#include "gateway/config/yaml_json.h"

static json_t *convert(const char *yaml)
{
    char err[256];
    json_t *out = NULL;
    int r = cong_yaml_to_json(yaml, strlen(yaml), &out, err, sizeof err);
    if (r != 0)
        fail_msg("cong_yaml_to_json: %d: %s", r, err);
    assert_non_null(out);
    return out;
}

/* `yaml` must convert to the same value as the JSON text `expected`. */
static void assert_converts_to(const char *yaml, const char *expected)
{
    json_error_t error;
    json_t *want = json_loads(expected, JSON_DECODE_ANY, &error);
    if (!want)
        fail_msg("bad expected JSON %s: %s", expected, error.text);
    json_t *got = convert(yaml);
    if (!json_equal(got, want)) {
        char *text = json_dumps(got, JSON_ENCODE_ANY | JSON_SORT_KEYS);
        print_message("yaml:     %s\nexpected: %s\ngot:      %s\n", yaml, expected, text);
        free(text);
        fail();
    }
    json_decref(got);
    json_decref(want);
}

static void assert_fails(const char *yaml, const char *expected_error)
{
    char err[256];
    json_t *out = (json_t *)1;
    assert_int_equal(cong_yaml_to_json(yaml, strlen(yaml), &out, err, sizeof err), CONG_EPARSE);
    assert_null(out);
    if (strncmp(err, expected_error, strlen(expected_error)) != 0)
        fail_msg("expected an error starting with \"%s\", got \"%s\"", expected_error, err);
}

static void test_scalars(void **state)
{
    (void)state;
    assert_converts_to("~", "null");
    assert_converts_to("null", "null");
    assert_converts_to("[~, null, Null, NULL, ]", "[null, null, null, null]");
    assert_converts_to("a:", "{\"a\": null}");
    assert_converts_to("[true, True, TRUE, false, False, FALSE]", "[true, true, true, false, false, false]");
    assert_converts_to("[yes, no, on, off, y, n]", "[\"yes\", \"no\", \"on\", \"off\", \"y\", \"n\"]");
    assert_converts_to("[0, 42, -7, +3, 0x1F, 0o17, 007]", "[0, 42, -7, 3, 31, 15, 7]");
    assert_converts_to("[9223372036854775807, -9223372036854775808]",
                       "[9223372036854775807, -9223372036854775808]");
    assert_converts_to("[1.5, -2e3, .5, 1., 6.02E+23, 1e-2]", "[1.5, -2000.0, 0.5, 1.0, 6.02e23, 0.01]");
    assert_converts_to("92233720368547758080", "92233720368547758080.0");
    assert_converts_to("[.inf, -.inf, .nan, 1e999, 0xFFFFFFFFFFFFFFFFFF]",
                       "[\".inf\", \"-.inf\", \".nan\", \"1e999\", \"0xFFFFFFFFFFFFFFFFFF\"]");
    assert_converts_to("[1_000, 1.2.3, 0x, 0o8, 12:30, e5, ., -, +1e, 1e+]",
                       "[\"1_000\", \"1.2.3\", \"0x\", \"0o8\", \"12:30\", \"e5\", \".\", \"-\", \"+1e\", \"1e+\"]");
    assert_converts_to("['1', \"2.5\", 'true', \"null\", '']", "[\"1\", \"2.5\", \"true\", \"null\", \"\"]");
    assert_converts_to("[!!str 1, !!str true, !!str , ! 12]", "[\"1\", \"true\", \"\", \"12\"]");
    assert_converts_to("a: |\n  line 1\n  42\nb: >-\n  folded\n  text\n",
                       "{\"a\": \"line 1\\n42\\n\", \"b\": \"folded text\"}");
    assert_converts_to("xin chào: \"Hà Nội \\u00e9\"", "{\"xin chào\": \"Hà Nội é\"}");

    json_t *v = convert("[7, 7.0]");
    assert_true(json_is_integer(json_array_get(v, 0)));
    assert_true(json_is_real(json_array_get(v, 1)));
    json_decref(v);
}

static const char openapi_yaml[] =
    "openapi: 3.1.0\n"
    "info:\n"
    "  title: Cổng API\n"
    "  version: \"1.0\"\n"
    "paths:\n"
    "  /v1/dossiers/{code}:\n"
    "    get:\n"
    "      operationId: getDossier\n"
    "      parameters:\n"
    "        - name: code\n"
    "          in: path\n"
    "          required: true\n"
    "          schema: {type: string, maxLength: 32}\n"
    "      responses:\n"
    "        \"200\":\n"
    "          description: OK\n"
    "          content:\n"
    "            application/json:\n"
    "              schema:\n"
    "                $ref: '#/components/schemas/Dossier'\n"
    "        '404':\n"
    "          description: Not found\n"
    "        500:\n"
    "          description: plain key\n"
    "components:\n"
    "  schemas:\n"
    "    Dossier:\n"
    "      type: object\n"
    "      required: [code]\n"
    "      properties:\n"
    "        code: {type: string, example: \"000123\"}\n"
    "        fee: {type: number, minimum: 0, example: 12.5}\n"
    "        tags: {type: array, items: {type: string}, default: []}\n"
    "        note: {type: [string, 'null'], default: null}\n";

static const char openapi_json[] =
    "{\"openapi\": \"3.1.0\","
    " \"info\": {\"title\": \"Cổng API\", \"version\": \"1.0\"},"
    " \"paths\": {\"/v1/dossiers/{code}\": {\"get\": {"
    "   \"operationId\": \"getDossier\","
    "   \"parameters\": [{\"name\": \"code\", \"in\": \"path\", \"required\": true,"
    "                    \"schema\": {\"type\": \"string\", \"maxLength\": 32}}],"
    "   \"responses\": {"
    "     \"200\": {\"description\": \"OK\", \"content\": {\"application/json\": {\"schema\":"
    "               {\"$ref\": \"#/components/schemas/Dossier\"}}}},"
    "     \"404\": {\"description\": \"Not found\"},"
    "     \"500\": {\"description\": \"plain key\"}}}}},"
    " \"components\": {\"schemas\": {\"Dossier\": {\"type\": \"object\", \"required\": [\"code\"], \"properties\": {"
    "   \"code\": {\"type\": \"string\", \"example\": \"000123\"},"
    "   \"fee\": {\"type\": \"number\", \"minimum\": 0, \"example\": 12.5},"
    "   \"tags\": {\"type\": \"array\", \"items\": {\"type\": \"string\"}, \"default\": []},"
    "   \"note\": {\"type\": [\"string\", \"null\"], \"default\": null}}}}}}";

static void test_openapi_document(void **state)
{
    (void)state;
    assert_converts_to(openapi_yaml, openapi_json);
    json_t *doc = convert(openapi_yaml);
    json_t *responses = json_object_get(
        json_object_get(json_object_get(json_object_get(doc, "paths"), "/v1/dossiers/{code}"), "get"), "responses");
    assert_non_null(json_object_get(responses, "200")); /* quoted "200" keys stay string keys */
    assert_non_null(json_object_get(responses, "500")); /* so do plain ones: JSON keys are strings */
    assert_string_equal(json_string_value(json_object_get(json_object_get(doc, "info"), "version")), "1.0");
    char *text = json_dumps(doc, JSON_COMPACT);
    assert_non_null(text);
    assert_non_null(strstr(text, "\"example\":\"000123\""));
    free(text);
    json_decref(doc);
}

static void test_empty_input_is_null(void **state)
{
    (void)state;
    static const char *const texts[] = {"", "# nothing\n", "---\n...\n"};
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        json_t *out = NULL;
        assert_int_equal(cong_yaml_to_json(texts[i], strlen(texts[i]), &out, NULL, 0), 0);
        assert_true(json_is_null(out));
        json_decref(out);
    }
    json_t *out = NULL;
    assert_int_equal(cong_yaml_to_json(NULL, 0, &out, NULL, 0), 0);
    assert_true(json_is_null(out));
}

static void test_aliases_refused_anchors_allowed(void **state)
{
    (void)state;
    assert_fails("a: &x 1\nb: *x\n", "line 2: aliases are not allowed");
    assert_fails("a: &x {k: 1}\n<<: *x\n", "line 2: aliases are not allowed");
    assert_fails("- &x a\n- [*x]\n", "line 2: aliases are not allowed");
    assert_fails("a: &x 1\n*x : 2\n", "line 2: aliases are not allowed");
    assert_converts_to("a: &x 1\nb: &y [2]\n", "{\"a\": 1, \"b\": [2]}");
    assert_fails("a: &a [lol, lol]\nb: &b [*a, *a]\nc: [*b, *b]\n", "line 2: aliases are not allowed");
}

static void test_errors(void **state)
{
    (void)state;
    assert_fails("a: 1\nb: 2\na: 3\n", "line 3: duplicate key");
    assert_fails("a:\n  \"200\": x\n  200: y\n", "line 3: duplicate key");
    assert_fails("? [a]\n: 1\n", "line 1: mapping keys must be scalars");
    assert_fails("? {a: 1}\n: 1\n", "line 1: mapping keys must be scalars");
    assert_fails("a: [1, 2\nb: 3\n", "line 2: did not find expected ',' or ']'");
    assert_fails("a: \"x\\q\"\n", "line 1: found unknown escape character");
    assert_fails("a: 1\n---\nb: 2\n", "line 2: only one YAML document is allowed");
    assert_fails("a: 1\n\xff\n", "line 2: invalid leading UTF-8 octet");
    assert_fails("a: b: c\n", "line 1: mapping values are not allowed in this context");

    /* err may be NULL or short; out must be given. */
    json_t *out = NULL;
    assert_int_equal(cong_yaml_to_json("*x", 2, &out, NULL, 0), CONG_EPARSE);
    char tiny[8];
    assert_int_equal(cong_yaml_to_json("*x", 2, &out, tiny, sizeof tiny), CONG_EPARSE);
    assert_string_equal(tiny, "line 1:");
    assert_int_equal(cong_yaml_to_json("a", 1, NULL, NULL, 0), CONG_EINVAL);
    assert_int_equal(cong_yaml_to_json(NULL, 1, &out, NULL, 0), CONG_EINVAL);
}

static char *nested(int depth)
{
    char *text = malloc((size_t)depth * 2 + 1);
    assert_non_null(text);
    for (int i = 0; i < depth; i++) {
        text[i] = '[';
        text[depth + i] = ']';
    }
    text[depth * 2] = '\0';
    return text;
}

static void test_nesting_limit(void **state)
{
    (void)state;
    char *ok = nested(CONG_YAML_JSON_MAX_DEPTH);
    json_t *v = convert(ok);
    assert_true(json_is_array(v));
    json_decref(v);
    free(ok);

    char *deep = nested(CONG_YAML_JSON_MAX_DEPTH + 1);
    assert_fails(deep, "line 1: nested deeper than 256 levels");
    free(deep);
    deep = nested(100000);
    assert_fails(deep, "line 1: nested deeper than 256 levels");
    free(deep);
}

static void test_length_is_honoured(void **state)
{
    (void)state;
    const char buffer[] = "a: 1\nb: 2\nGARBAGE: [";
    json_t *out = NULL;
    assert_int_equal(cong_yaml_to_json(buffer, 10, &out, NULL, 0), 0);
    assert_int_equal(json_object_size(out), 2);
    assert_int_equal(json_integer_value(json_object_get(out, "b")), 2);
    json_decref(out);

    const char with_nul[] = {'a', ':', ' ', '"', 'x', '\\', '0', 'y', '"'};
    assert_int_equal(cong_yaml_to_json(with_nul, sizeof with_nul, &out, NULL, 0), 0);
    assert_int_equal(json_string_length(json_object_get(out, "a")), 3);
    json_decref(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scalars),
        cmocka_unit_test(test_openapi_document),
        cmocka_unit_test(test_empty_input_is_null),
        cmocka_unit_test(test_aliases_refused_anchors_allowed),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_nesting_limit),
        cmocka_unit_test(test_length_is_honoured),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

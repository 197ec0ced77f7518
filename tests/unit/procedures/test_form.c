/* modules/procedures/form.c: a dossier's form against its procedure's fields. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "modules/procedures/form.h"

static const char *FIELDS =
    "[{\"name\":\"ho_ten\",\"type\":\"string\",\"required\":true,\"max_length\":5},"
    " {\"name\":\"so_dinh_danh\",\"type\":\"string\",\"required\":true,\"pattern\":\"^\\\\d{12}$\"},"
    " {\"name\":\"so_con\",\"type\":\"integer\",\"required\":false},"
    " {\"name\":\"ngay_sinh\",\"type\":\"date\",\"required\":true},"
    " {\"name\":\"dong_y\",\"type\":\"boolean\",\"required\":true},"
    " {\"name\":\"gioi_tinh\",\"type\":\"enum\",\"required\":true,\"enum\":[\"nam\",\"nữ\"]}]";

/* The error codes, "field:code" joined by spaces, in order. */
static char *check(const char *form_json)
{
    static char out[1024];
    json_t *fields = json_loads(FIELDS, 0, NULL);
    json_t *form = json_loads(form_json, JSON_DECODE_ANY, NULL);
    assert_non_null(fields);
    json_t *errors = procedures_form_check(fields, form);
    assert_non_null(errors);
    out[0] = '\0';
    size_t i;
    json_t *e;
    json_array_foreach(errors, i, e)
    {
        if (i > 0)
            strcat(out, " ");
        strcat(out, json_string_value(json_object_get(e, "field")));
        strcat(out, ":");
        strcat(out, json_string_value(json_object_get(e, "code")));
    }
    json_decref(errors);
    json_decref(fields);
    json_decref(form);
    return out;
}

static void valid_form_has_no_errors(void **state)
{
    (void)state;
    assert_string_equal(check("{\"ho_ten\":\"Lan\",\"so_dinh_danh\":\"001099000003\",\"ngay_sinh\":\"2024-02-29\","
                              "\"dong_y\":true,\"gioi_tinh\":\"nữ\",\"so_con\":2}"),
                        "");
}

static void every_rule_reports_its_field(void **state)
{
    (void)state;
    assert_string_equal(check("{\"ho_ten\":\"Nguyễn Thị\",\"so_dinh_danh\":\"12345\",\"ngay_sinh\":\"2023-02-29\","
                              "\"dong_y\":\"yes\",\"gioi_tinh\":\"khác\",\"so_con\":1.5,\"extra\":1}"),
                        "ho_ten:max-length so_dinh_danh:pattern so_con:type ngay_sinh:invalid-date dong_y:type "
                        "gioi_tinh:enum extra:unknown-field");
}

static void missing_and_empty_required_fields(void **state)
{
    (void)state;
    assert_string_equal(check("{\"ho_ten\":\"\",\"so_dinh_danh\":null}"),
                        "ho_ten:required so_dinh_danh:required ngay_sinh:required dong_y:required gioi_tinh:required");
}

static void max_length_counts_characters_not_bytes(void **state)
{
    (void)state;
    /* "Đặng" is 4 characters but 7 bytes */
    assert_string_equal(check("{\"ho_ten\":\"Đặng\",\"so_dinh_danh\":\"001099000003\",\"ngay_sinh\":\"2000-01-31\","
                              "\"dong_y\":false,\"gioi_tinh\":\"nam\"}"),
                        "");
}

/* Found by fuzz_form: sscanf took "+1"/" 1" as numbers; a bounded repetition of 32767 made regcomp take seconds and
 * gigabytes; a long pattern lost its end (and its $ anchor) when cut to a buffer. */
static void fuzz_findings(void **state)
{
    (void)state;
    assert_string_equal(check("{\"ho_ten\":\"Lan\",\"so_dinh_danh\":\"001099000003\",\"ngay_sinh\":\"2024-+1-+1\","
                              "\"dong_y\":true,\"gioi_tinh\":\"nam\"}"),
                        "ngay_sinh:invalid-date");
    json_t *fields = json_loads("[{\"name\":\"c\",\"type\":\"string\",\"pattern\":\"b{1,32767}\"}]", 0, NULL);
    json_t *form = json_loads("{\"c\":\"b\"}", 0, NULL);
    json_t *errors = procedures_form_check(fields, form); /* refused at once, not compiled */
    assert_int_equal(json_array_size(errors), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(errors, 0), "code")), "pattern");
    json_decref(errors);
    json_decref(fields);
    json_decref(form);
    char pattern[600] = "^[0-9]{3}y";
    for (size_t i = strlen(pattern); i < 590; i++)
        pattern[i] = 'x', pattern[i + 1] = '?', i++;
    strcat(pattern, "$");
    json_t *long_fields = json_pack("[{s:s, s:s, s:s}]", "name", "c", "type", "string", "pattern", pattern);
    json_t *sneaky = json_loads("{\"c\":\"123y; DROP TABLE\"}", 0, NULL);
    errors = procedures_form_check(long_fields, sneaky); /* too long a pattern: refused, never cut short */
    assert_int_equal(json_array_size(errors), 1);
    json_decref(errors);
    json_decref(long_fields);
    json_decref(sneaky);
}

static void a_form_that_is_not_an_object(void **state)
{
    (void)state;
    assert_string_equal(check("[1,2]"), "form:form");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(valid_form_has_no_errors),
        cmocka_unit_test(every_rule_reports_its_field),
        cmocka_unit_test(missing_and_empty_required_fields),
        cmocka_unit_test(max_length_counts_characters_not_bytes),
        cmocka_unit_test(a_form_that_is_not_an_object),
        cmocka_unit_test(fuzz_findings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * What POST /v1/broadcasts accepts (push.h, push_broadcast_request_errors): an area, and a title and a body in
 * Vietnamese and English, each within its limit. Every error is listed (a field may have one), so an official's form
 * shows them all at once. Pure: unit-tested (tests/unit/push/test_push_broadcast_request.c).
 */
#include <stdio.h>
#include <string.h>

#include "push.h"

static void add(json_t *errors, const char *field, const char *code)
{
    json_array_append_new(errors, json_pack("{s:s, s:s}", "field", field, "code", code));
}

/* member `lang` of object `name` of the body as a text of at most max characters. */
static void check_text(json_t *errors, json_t *body, const char *name, const char *lang, size_t max, int multiline)
{
    char field[32];
    snprintf(field, sizeof field, "%s.%s", name, lang);
    json_t *v = json_object_get(json_object_get(body, name), lang);
    if (v != NULL && !json_is_null(v) && !json_is_string(v))
        return add(errors, field, "invalid-text");
    const char *problem = push_text_problem(json_string_value(v), max, multiline);
    if (problem != NULL)
        add(errors, field, problem);
}

static void check_area(json_t *errors, json_t *body)
{
    json_t *area = json_object_get(body, "area");
    const char *kind = json_string_value(json_object_get(area, "kind"));
    json_t *ward = json_object_get(area, "ward_code");
    if (!json_is_object(area) || kind == NULL)
        return add(errors, "area.kind", "required");
    if (strcmp(kind, "city") == 0) {
        if (ward != NULL && !json_is_null(ward))
            add(errors, "area.ward_code", "not-allowed");
    } else if (strcmp(kind, "ward") == 0) {
        if (ward == NULL || json_is_null(ward))
            add(errors, "area.ward_code", "required");
        else if (!push_ward_code_ok(json_string_value(ward)))
            add(errors, "area.ward_code", "invalid-format");
    } else {
        add(errors, "area.kind", "unknown-kind");
    }
}

json_t *push_broadcast_request_errors(json_t *body)
{
    json_t *errors = json_array();
    if (errors == NULL)
        return NULL;
    check_area(errors, body);
    check_text(errors, body, "title", "vi", PUSH_TITLE_MAX, 0);
    check_text(errors, body, "title", "en", PUSH_TITLE_MAX, 0);
    check_text(errors, body, "body", "vi", PUSH_BODY_MAX, 1);
    check_text(errors, body, "body", "en", PUSH_BODY_MAX, 1);
    return errors;
}

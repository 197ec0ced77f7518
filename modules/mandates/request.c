/* The shape of POST /v1/mandates (see mandates.h): decided here without the API table, so a unit test covers it. */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "mandates.h"

#define NOTE_MAX_BYTES 500
#define MAX_USES_LIMIT 100000

static const char *const actions_known[] = {"view", "submit", "pay", "receive_result", "rate"};

static void add(json_t *errors, const char *field, const char *code)
{
    json_array_append_new(errors, json_pack("{s:s, s:s}", "field", field, "code", code));
}

static void add_at(json_t *errors, const char *list, size_t i, const char *code)
{
    char field[48];
    snprintf(field, sizeof field, "%s[%zu]", list, i);
    add(errors, field, code);
}

/* Every character of s in the set, and 1..max of them. */
static int made_of(const char *s, size_t max, const char *set)
{
    size_t n = s != NULL ? strlen(s) : 0;
    return n > 0 && n <= max && strspn(s, set) == n;
}

int mandates_is_uuid(const char *s)
{
    static const char hex[] = "0123456789abcdefABCDEF";
    if (s == NULL || strlen(s) != 36)
        return 0;
    for (int i = 0; i < 36; i++) {
        int dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? s[i] != '-' : strchr(hex, s[i]) == NULL)
            return 0;
    }
    return 1;
}

int mandates_tax_code_valid(const char *code)
{
    size_t n = code != NULL ? strlen(code) : 0;
    if ((n != 10 && n != 14) || strspn(code, "0123456789") != 10)
        return 0;
    return n == 10 || (code[10] == '-' && strspn(code + 11, "0123456789") == 3 && strcmp(code + 11, "000") != 0);
}

/* A list of strings, each of `set` (1..item_max characters), at most `max` items. Returns its size, or -1. */
static long string_list(const json_t *body, const char *name, size_t max, size_t item_max, const char *set,
                        json_t *errors)
{
    const json_t *list = json_object_get(body, name);
    if (list == NULL)
        return 0;
    if (!json_is_array(list)) {
        add(errors, name, "type");
        return -1;
    }
    if (json_array_size(list) > max) {
        add(errors, name, "too-many");
        return -1;
    }
    for (size_t i = 0; i < json_array_size(list); i++)
        if (!made_of(json_string_value(json_array_get(list, i)), item_max, set))
            add_at(errors, name, i, "invalid-format");
    return (long)json_array_size(list);
}

static void check_actions(const json_t *body, json_t *errors)
{
    const json_t *list = json_object_get(body, "actions");
    if (!json_is_array(list) || json_array_size(list) == 0 || json_array_size(list) > 5) {
        add(errors, "actions", list == NULL ? "required" : "type");
        return;
    }
    unsigned seen = 0;
    for (size_t i = 0; i < json_array_size(list); i++) {
        const char *a = json_string_value(json_array_get(list, i));
        size_t k = 0;
        while (a != NULL && k < 5 && strcmp(a, actions_known[k]) != 0)
            k++;
        if (a == NULL || k == 5)
            add_at(errors, "actions", i, "unknown-action");
        else if (seen & (1u << k))
            add_at(errors, "actions", i, "duplicate");
        else
            seen |= 1u << k;
    }
}

static void check_optional(const json_t *body, json_t *errors)
{
    static const char *const times[] = {"valid_from", "valid_until"};
    for (int i = 0; i < 2; i++) {
        const json_t *t = json_object_get(body, times[i]);
        if (t != NULL && (!json_is_string(t) || json_string_length(t) > 40))
            add(errors, times[i], "type");
    }
    const json_t *max = json_object_get(body, "max_uses");
    if (max != NULL && (!json_is_integer(max) || json_integer_value(max) < 1 ||
                        json_integer_value(max) > MAX_USES_LIMIT))
        add(errors, "max_uses", "out-of-range");
    const json_t *sub = json_object_get(body, "may_subdelegate");
    if (sub != NULL && !json_is_boolean(sub))
        add(errors, "may_subdelegate", "type");
    const json_t *parent = json_object_get(body, "parent_id");
    if (parent != NULL && !mandates_is_uuid(json_string_value(parent)))
        add(errors, "parent_id", "invalid-format");
    const json_t *org = json_object_get(body, "grantor_org");
    if (org != NULL && !mandates_tax_code_valid(json_string_value(org)))
        add(errors, "grantor_org", "invalid-format");
    else if (org != NULL && parent != NULL)
        add(errors, "grantor_org", "not-with-parent"); /* an organization's mandate is a root; a sub-mandate's
                                                          grantor is its parent's */
    const json_t *note = json_object_get(body, "note");
    if (note != NULL && (!json_is_string(note) || json_string_length(note) > NOTE_MAX_BYTES))
        add(errors, "note", json_is_string(note) ? "too-long" : "type");
}

json_t *mandates_request_errors(const json_t *body)
{
    json_t *errors = json_array();
    if (errors == NULL)
        return NULL;
    if (!made_of(json_string_value(json_object_get(body, "grantee_citizen_number")), 12, "0123456789") ||
        strlen(json_string_value(json_object_get(body, "grantee_citizen_number"))) != 12)
        add(errors, "grantee_citizen_number", "invalid-format");
    long procedures = string_list(body, "procedures", MANDATES_MAX_PROCEDURES, 20,
                                  "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-_", errors);
    long domains = string_list(body, "domains", MANDATES_MAX_DOMAINS, 20, "0123456789abcdefghijklmnopqrstuvwxyz-",
                               errors);
    if (procedures == 0 && domains == 0)
        add(errors, "procedures", "required"); /* a mandate covers some procedures, or whole domains */
    check_actions(body, errors);
    check_optional(body, errors);
    return errors;
}

#include "form.h"

#include <regex.h>
#include <stdio.h>
#include <string.h>

static int add_error(json_t *errors, const char *field, const char *code)
{
    return json_array_append_new(errors, json_pack("{s:s, s:s}", "field", field, "code", code));
}

/* Characters of a UTF-8 string (continuation bytes not counted). */
static size_t utf8_length(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

static int digits(const char *s, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

/* YYYY-MM-DD, digits only (sscanf would take "+1" or " 1"), a real calendar day. */
static int valid_date(const char *s)
{
    if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return 0;
    int y = digits(s, 4), m = digits(s + 5, 2), d = digits(s + 8, 2);
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (y < 1900 || y > 2200 || m < 1 || m > 12 || d < 1)
        return 0;
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return d <= days[m - 1] + (m == 2 && leap);
}

#define PATTERN_MAX_BYTES 256
#define PATTERN_MAX_REPEAT 255

/* A pattern the catalog may use: short, and no {n,m} bound over PATTERN_MAX_REPEAT (glibc's regcomp expands bounded
 * repetitions: "a{1,32767}" takes seconds and gigabytes, found by fuzz_form). */
static int pattern_bounded(const char *pattern)
{
    if (strlen(pattern) > PATTERN_MAX_BYTES)
        return 0;
    for (const char *p = pattern; *p; p++) {
        if (*p != '{')
            continue;
        long bound = 0;
        for (p++; *p && *p != '}'; p++) {
            if (*p >= '0' && *p <= '9') {
                bound = bound * 10 + (*p - '0');
                if (bound > PATTERN_MAX_REPEAT)
                    return 0;
            } else {
                bound = 0; /* the next number of "{n,m}" */
            }
        }
        if (*p == '\0')
            break;
    }
    return 1;
}

/* 1 match, 0 no match, -1 the pattern itself is unusable (counted as a failed check: never let bad data in). */
static int matches(const char *pattern, const char *value)
{
    char ere[PATTERN_MAX_BYTES * 5 + 1]; /* every byte could be a \d, 2 bytes → 5 */
    size_t n = 0;
    if (!pattern_bounded(pattern))
        return -1;
    for (const char *p = pattern; *p; p++) {
        if (p[0] == '\\' && p[1] == 'd') {
            memcpy(ere + n, "[0-9]", 5);
            n += 5;
            p++;
        } else {
            ere[n++] = *p;
        }
    }
    ere[n] = '\0';
    regex_t re;
    if (regcomp(&re, ere, REG_EXTENDED | REG_NOSUB) != 0)
        return -1;
    int rc = regexec(&re, value, 0, NULL, 0) == 0;
    regfree(&re);
    return rc;
}

static void check_string(json_t *errors, const char *name, const json_t *def, const json_t *value)
{
    const char *s = json_string_value(value);
    json_int_t max = json_integer_value(json_object_get(def, "max_length"));
    const char *pattern = json_string_value(json_object_get(def, "pattern"));
    if (max > 0 && (json_int_t)utf8_length(s) > max)
        add_error(errors, name, "max-length");
    else if (pattern != NULL && matches(pattern, s) != 1)
        add_error(errors, name, "pattern");
}

static void check_field(json_t *errors, const char *name, const json_t *def, const json_t *value)
{
    const char *type = json_string_value(json_object_get(def, "type"));
    if (type == NULL)
        type = "string";
    if (strcmp(type, "string") == 0) {
        if (!json_is_string(value))
            add_error(errors, name, "type");
        else
            check_string(errors, name, def, value);
    } else if (strcmp(type, "integer") == 0) {
        if (!json_is_integer(value))
            add_error(errors, name, "type");
    } else if (strcmp(type, "boolean") == 0) {
        if (!json_is_boolean(value))
            add_error(errors, name, "type");
    } else if (strcmp(type, "date") == 0) {
        if (!json_is_string(value))
            add_error(errors, name, "type");
        else if (!valid_date(json_string_value(value)))
            add_error(errors, name, "invalid-date");
    } else if (strcmp(type, "enum") == 0) {
        const json_t *options = json_object_get(def, "enum");
        int found = 0;
        size_t i;
        const json_t *option;
        json_array_foreach(options, i, option) found = found || json_equal(option, value);
        if (!found)
            add_error(errors, name, "enum");
    } else {
        add_error(errors, name, "type"); /* a field type this gateway does not know: refuse rather than accept */
    }
}

static const json_t *find_field(const json_t *fields, const char *name)
{
    size_t i;
    const json_t *def;
    json_array_foreach(fields, i, def)
    {
        const char *n = json_string_value(json_object_get(def, "name"));
        if (n != NULL && strcmp(n, name) == 0)
            return def;
    }
    return NULL;
}

json_t *procedures_form_check(const json_t *fields, const json_t *form)
{
    json_t *errors = json_array();
    if (errors == NULL)
        return NULL;
    if (!json_is_object(form)) {
        add_error(errors, "form", "form");
        return errors;
    }
    size_t i;
    const json_t *def;
    json_array_foreach(fields, i, def)
    {
        const char *name = json_string_value(json_object_get(def, "name"));
        if (name == NULL)
            continue;
        const json_t *value = json_object_get(form, name);
        if (value == NULL || json_is_null(value) || (json_is_string(value) && json_string_length(value) == 0)) {
            if (json_is_true(json_object_get(def, "required")))
                add_error(errors, name, "required");
            continue;
        }
        check_field(errors, name, def, value);
    }
    const char *key;
    const json_t *value;
    json_object_foreach((json_t *)form, key, value)
    {
        if (find_field(fields, key) == NULL)
            add_error(errors, key, "unknown-field");
    }
    return errors;
}

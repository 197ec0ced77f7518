/* A mapping read into a structure by a table of its fields (contract in config_fields.h). */
#include "config_fields.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_values.h"

typedef struct fields_ctx {
    const cong_config_field_t *fields;
    size_t count;
    void *base;
    uint64_t seen; /* one bit per field */
} fields_ctx_t;

static void *at(void *base, size_t offset)
{
    return (char *)base + offset;
}

char *cong_config_read_string(cong_config_reader_t *reader, int *nomem)
{
    size_t len = 0;
    const char *text = cong_config_read_scalar(reader, &len);
    *nomem = 0;
    if (!text || memchr(text, 0, len))
        return NULL;
    if (cong_config_read_is_null(reader))
        len = 0;
    char *copy = strndup(text, len);
    *nomem = copy == NULL;
    return copy;
}

/* A plain decimal without leading zeros (YAML 1.1 reads those as octal), within [min, max]. */
static int parse_llong(const char *s, size_t len, long long min, long long max, long long *out)
{
    size_t i = 0;
    int negative = len > 0 && s[0] == '-';
    i += negative;
    if (i == len || len - i > 18 || (s[i] == '0' && len - i > 1))
        return 0;
    long long value = 0;
    for (; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return 0;
        value = value * 10 + (s[i] - '0');
    }
    value = negative ? -value : value;
    if (value < min || value > max)
        return 0;
    *out = value;
    return 1;
}

/* "0", "1", "0.2", "0.125", "1.0": a ratio within [0, 1], × 1000. */
static int parse_permille(const char *s, size_t len, int *out)
{
    if (len == 0 || (s[0] != '0' && s[0] != '1'))
        return 0;
    int whole = s[0] - '0', fraction = 0, digits = 0;
    if (len > 1 && (s[1] != '.' || len == 2 || len > 5))
        return 0;
    for (size_t i = 2; i < len; i++, digits++) {
        if (s[i] < '0' || s[i] > '9')
            return 0;
        fraction = fraction * 10 + (s[i] - '0');
    }
    for (; digits < 3; digits++)
        fraction *= 10;
    if (whole == 1 && fraction != 0)
        return 0;
    *out = whole * 1000 + fraction;
    return 1;
}

/* A plain scalar's text, or NULL. */
static const char *plain_scalar(cong_config_reader_t *reader, size_t *len)
{
    const char *text = cong_config_read_scalar(reader, len);
    return text && !cong_config_read_is_null(reader) ? text : NULL;
}

static int read_number(cong_config_reader_t *r, const cong_config_field_t *f, const char *path, int line, void *base)
{
    size_t len = 0;
    const char *text = plain_scalar(r, &len);
    long long value = 0;
    if (f->type == CONG_FIELD_PERMILLE) {
        if (text && parse_permille(text, len, at(base, f->offset)))
            return 0;
        return cong_config_read_refuse(r, line, path, "expected a ratio between 0 and 1 (at most 3 decimals)");
    }
    if (!text || !parse_llong(text, len, f->min, f->max, &value))
        return cong_config_read_refuse(r, line, path, "expected an integer between %lld and %lld", f->min, f->max);
    if (f->type == CONG_FIELD_INT)
        *(int *)at(base, f->offset) = (int)value;
    else
        *(long long *)at(base, f->offset) = value;
    return 0;
}

static int read_string(cong_config_reader_t *r, const cong_config_field_t *f, const char *path, int line, void *base)
{
    int nomem = 0;
    char *copy = cong_config_read_string(r, &nomem);
    if (nomem)
        return cong_config_read_nomem(r);
    if (!copy)
        return cong_config_read_refuse(r, line, path, "expected a string without NUL bytes");
    const char *problem = f->check ? f->check(copy) : NULL;
    if (problem) {
        free(copy);
        cong_config_read_report(r, line, path, "%s", problem);
        return 0;
    }
    cong_config_replace_string(at(base, f->offset), copy);
    return 0;
}

static int read_enum(cong_config_reader_t *r, const cong_config_field_t *f, const char *path, int line, void *base)
{
    size_t len = 0;
    const char *text = plain_scalar(r, &len);
    for (int i = 0; text && f->names[i]; i++)
        if (strlen(f->names[i]) == len && memcmp(f->names[i], text, len) == 0) {
            *(int *)at(base, f->offset) = i;
            return 0;
        }
    char expected[256] = "";
    for (int i = 0; f->names[i]; i++)
        snprintf(expected + strlen(expected), sizeof expected - strlen(expected), "%s%s", i ? ", " : "", f->names[i]);
    return cong_config_read_refuse(r, line, path, "expected one of: %s", expected);
}

typedef struct list_ctx {
    const cong_config_field_t *field;
    cong_strlist_t list;
    int bad;
} list_ctx_t;

static int on_list_item(cong_config_reader_t *r, const char *path, size_t index, int line, void *arg)
{
    (void)index;
    list_ctx_t *c = arg;
    int nomem = 0;
    char *text = cong_config_read_string(r, &nomem);
    if (nomem)
        return cong_config_read_nomem(r);
    const char *problem = !text ? "expected a string without NUL bytes" : !*text ? "must not be empty"
                          : c->field->check ? c->field->check(text) : NULL;
    int scalar = text != NULL, pushed = !problem && cong_strlist_push(&c->list, text, strlen(text)) != 0;
    free(text);
    if (pushed)
        return cong_config_read_nomem(r);
    if (!problem)
        return 0;
    c->bad = 1;
    if (!scalar)
        return cong_config_read_refuse(r, line, path, "%s", problem);
    cong_config_read_report(r, line, path, "%s", problem);
    return 0;
}

static int read_strlist(cong_config_reader_t *r, const cong_config_field_t *f, const char *path, int line, void *base)
{
    if (!cong_config_read_is_sequence(r))
        return cong_config_read_refuse(r, line, path, "expected a list of strings");
    list_ctx_t c = {.field = f};
    int rc = cong_config_read_items(r, path, on_list_item, &c);
    if (rc == 0 && !c.bad) {
        cong_strlist_free(at(base, f->offset));
        *(cong_strlist_t *)at(base, f->offset) = c.list;
    } else {
        cong_strlist_free(&c.list);
    }
    return rc;
}

static int read_value(cong_config_reader_t *r, const cong_config_field_t *f, const char *path, int line, void *base)
{
    switch (f->type) {
    case CONG_FIELD_INT:
    case CONG_FIELD_LLONG:
    case CONG_FIELD_PERMILLE: return read_number(r, f, path, line, base);
    case CONG_FIELD_STRING: return read_string(r, f, path, line, base);
    case CONG_FIELD_ENUM: return read_enum(r, f, path, line, base);
    case CONG_FIELD_STRLIST: return read_strlist(r, f, path, line, base);
    case CONG_FIELD_MAPPING: return cong_config_read_fields(r, path, line, f->fields, f->field_count, base);
    case CONG_FIELD_CUSTOM: return f->read(r, path, line, base);
    }
    return 0;
}

static int on_field(cong_config_reader_t *r, const char *path, const cong_config_yaml_key_t *key, void *arg)
{
    fields_ctx_t *c = arg;
    for (size_t i = 0; i < c->count; i++) {
        const cong_config_field_t *f = &c->fields[i];
        if (strcmp(f->name, key->text) != 0)
            continue;
        if (c->seen & (UINT64_C(1) << i))
            return cong_config_read_refuse(r, key->line, path, "duplicate key");
        c->seen |= UINT64_C(1) << i;
        if (f->line_offset >= 0)
            *(int *)at(c->base, (size_t)f->line_offset) = key->line;
        return read_value(r, f, path, key->line, c->base);
    }
    return cong_config_read_refuse(r, key->line, path, "unknown key");
}

int cong_config_read_fields(cong_config_reader_t *r, const char *path, int line, const cong_config_field_t *fields,
                            size_t count, void *base)
{
    int null = cong_config_read_is_null(r); /* read as an empty mapping: its required fields are missing */
    if (!null && !cong_config_read_is_mapping(r))
        return cong_config_read_refuse(r, line, path, "expected a mapping");
    fields_ctx_t c = {.fields = fields, .count = count < 64 ? count : 64, .base = base};
    if (!null && cong_config_read_entries(r, path, on_field, &c) < 0)
        return -1;
    for (size_t i = 0; i < c.count; i++)
        if (fields[i].required && !(c.seen & (UINT64_C(1) << i)))
            cong_config_read_report(r, line, path, "%s is required", fields[i].name);
    return 0;
}

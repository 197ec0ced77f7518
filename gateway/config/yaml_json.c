/*
 * gateway/config/yaml_json.c — one YAML document to a jansson value (contract in yaml_json.h).
 *
 * libyaml's event API feeds a recursive descent: each convert_* function starts with its node's first event current
 * and returns with the node's last event current. Recursion is bounded by CONG_YAML_JSON_MAX_DEPTH.
 */
#include "yaml_json.h"

#include "cong/errors.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

typedef struct converter {
    yaml_parser_t parser;
    yaml_event_t event; /* the current event */
    const char *text;
    size_t len;
    char *err;
    size_t errlen;
    int status; /* 0, CONG_EPARSE or CONG_ENOMEM: the first failure wins */
} converter_t;

static json_t *convert_node(converter_t *c, int depth);

/* ---------------------------------------------------------------------------------------------------------------- */
/* Failures                                                                                                         */

__attribute__((format(printf, 3, 4))) static json_t *fail(converter_t *c, size_t line, const char *fmt, ...)
{
    if (c->status)
        return NULL;
    c->status = CONG_EPARSE;
    if (!c->err || !c->errlen)
        return NULL;
    int n = snprintf(c->err, c->errlen, "line %zu: ", line);
    if (n >= 0 && (size_t)n < c->errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(c->err + n, c->errlen - (size_t)n, fmt, ap);
        va_end(ap);
    }
    return NULL;
}

static json_t *out_of_memory(converter_t *c)
{
    if (!c->status)
        c->status = CONG_ENOMEM;
    return NULL;
}

static size_t event_line(const converter_t *c)
{
    return c->event.start_mark.line + 1;
}

/* 1-based line of a libyaml error; reader errors (bad encoding) only know a byte offset. */
static size_t yaml_error_line(const converter_t *c)
{
    if (c->parser.error != YAML_READER_ERROR)
        return c->parser.problem_mark.line + 1;
    size_t end = c->parser.problem_offset < c->len ? c->parser.problem_offset : c->len;
    size_t line = 1;
    for (size_t i = 0; i < end; i++)
        line += c->text[i] == '\n';
    return line;
}

static int next_event(converter_t *c)
{
    yaml_event_delete(&c->event);
    if (yaml_parser_parse(&c->parser, &c->event))
        return 0;
    if (c->parser.error == YAML_MEMORY_ERROR)
        out_of_memory(c);
    else
        fail(c, yaml_error_line(c), "%s", c->parser.problem ? c->parser.problem : "syntax error");
    return -1;
}

/* ---------------------------------------------------------------------------------------------------------------- */
/* Scalars                                                                                                          */

static int is_one_of(const char *text, size_t len, const char *const *words, size_t count)
{
    for (size_t i = 0; i < count; i++)
        if (strlen(words[i]) == len && memcmp(words[i], text, len) == 0)
            return 1;
    return 0;
}

#define IS_ONE_OF(text, len, words) is_one_of(text, len, words, sizeof words / sizeof words[0])

static size_t skip_chars(const char *text, size_t i, size_t len, const char *allowed)
{
    while (i < len && text[i] && strchr(allowed, text[i]))
        i++;
    return i;
}

#define DIGITS "0123456789"

/* [-+]?[0-9]+ | 0o[0-7]+ | 0x[0-9a-fA-F]+ : the base, or 0 when not an integer. */
static int integer_base(const char *text, size_t len)
{
    if (len > 2 && text[0] == '0' && text[1] == 'o')
        return skip_chars(text, 2, len, "01234567") == len ? 8 : 0;
    if (len > 2 && text[0] == '0' && text[1] == 'x')
        return skip_chars(text, 2, len, DIGITS "abcdefABCDEF") == len ? 16 : 0;
    size_t start = len && (text[0] == '-' || text[0] == '+') ? 1 : 0;
    size_t end = skip_chars(text, start, len, DIGITS);
    return end > start && end == len ? 10 : 0;
}

/* [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)? */
static int is_float(const char *text, size_t len)
{
    size_t start = len && (text[0] == '-' || text[0] == '+') ? 1 : 0;
    size_t int_end = skip_chars(text, start, len, DIGITS);
    size_t i = int_end;
    if (i < len && text[i] == '.')
        i = skip_chars(text, i + 1, len, DIGITS);
    if (int_end == start && i <= int_end + 1)
        return 0; /* neither integer nor fraction digits */
    if (i < len && (text[i] == 'e' || text[i] == 'E')) {
        size_t exponent = i + 1;
        if (exponent < len && (text[exponent] == '+' || text[exponent] == '-'))
            exponent++;
        i = skip_chars(text, exponent, len, DIGITS);
        if (i == exponent)
            return 0;
    }
    return i == len;
}

/* A plain scalar that looks like a number: a new JSON number, else NULL with *is_number 0 (or 1: out of memory).
 * An integer too large for 64 bits becomes a real when decimal, a string when octal or hex; a real too large for a
 * double (1e999) stays a string. */
static json_t *number_from_text(const char *text, size_t len, int *is_number)
{
    int base = integer_base(text, len);
    *is_number = base || is_float(text, len);
    char *copy = *is_number ? strndup(text, len) : NULL;
    if (!copy)
        return NULL;
    errno = 0;
    long long integer = base ? strtoll(base == 10 ? copy : copy + 2, NULL, base) : 0;
    int fits = base && errno == 0;
    double real = fits || base == 8 || base == 16 ? NAN : strtod(copy, NULL);
    free(copy);
    if (fits)
        return json_integer(integer);
    *is_number = isfinite(real);
    return *is_number ? json_real(real) : NULL;
}

static int is_str_tag(const yaml_char_t *tag)
{
    return tag && (strcmp((const char *)tag, YAML_STR_TAG) == 0 || strcmp((const char *)tag, "!") == 0);
}

static json_t *convert_scalar(converter_t *c)
{
    static const char *const nulls[] = {"", "~", "null", "Null", "NULL"};
    static const char *const trues[] = {"true", "True", "TRUE"};
    static const char *const falses[] = {"false", "False", "FALSE"};
    const char *text = (const char *)c->event.data.scalar.value;
    size_t len = c->event.data.scalar.length;
    int plain = c->event.data.scalar.style == YAML_PLAIN_SCALAR_STYLE && !is_str_tag(c->event.data.scalar.tag);
    json_t *value = NULL;
    int is_number = 0;
    if (plain && IS_ONE_OF(text, len, nulls))
        value = json_null();
    else if (plain && IS_ONE_OF(text, len, trues))
        value = json_true();
    else if (plain && IS_ONE_OF(text, len, falses))
        value = json_false();
    else if (plain)
        value = number_from_text(text, len, &is_number);
    if (!value && !is_number)
        value = json_stringn(text, len);
    return value ? value : out_of_memory(c);
}

/* ---------------------------------------------------------------------------------------------------------------- */
/* Collections                                                                                                      */

static json_t *convert_sequence(converter_t *c, int depth)
{
    json_t *array = json_array();
    if (!array)
        return out_of_memory(c);
    while (next_event(c) == 0) {
        if (c->event.type == YAML_SEQUENCE_END_EVENT)
            return array;
        json_t *item = convert_node(c, depth + 1);
        if (!item)
            break;
        if (json_array_append_new(array, item) != 0) {
            out_of_memory(c);
            break;
        }
    }
    json_decref(array);
    return NULL;
}

/* The current event is a key: a copy of its text in *key (free it), or -1. */
static int read_key(converter_t *c, char **key, size_t *key_len)
{
    if (c->event.type != YAML_SCALAR_EVENT) {
        fail(c, event_line(c), c->event.type == YAML_ALIAS_EVENT ? "aliases are not allowed"
                                                                  : "mapping keys must be scalars");
        return -1;
    }
    *key_len = c->event.data.scalar.length;
    *key = malloc(*key_len + 1);
    if (!*key) {
        out_of_memory(c);
        return -1;
    }
    memcpy(*key, c->event.data.scalar.value, *key_len);
    (*key)[*key_len] = '\0';
    return 0;
}

/* Reads one key and its value into `object`: 0, or -1 when done with a failure. */
static int convert_entry(converter_t *c, json_t *object, int depth)
{
    char *key = NULL;
    size_t key_len = 0;
    if (read_key(c, &key, &key_len) < 0)
        return -1;
    size_t key_line = event_line(c);
    json_t *value = next_event(c) == 0 ? convert_node(c, depth + 1) : NULL;
    int r = value ? 0 : -1;
    if (value && json_object_getn(object, key, key_len)) {
        json_decref(value);
        r = -1;
        fail(c, key_line, "duplicate key");
    } else if (value && json_object_setn_new(object, key, key_len, value) != 0) {
        r = -1;
        out_of_memory(c);
    }
    free(key);
    return r;
}

static json_t *convert_mapping(converter_t *c, int depth)
{
    json_t *object = json_object();
    if (!object)
        return out_of_memory(c);
    while (next_event(c) == 0) {
        if (c->event.type == YAML_MAPPING_END_EVENT)
            return object;
        if (convert_entry(c, object, depth) < 0)
            break;
    }
    json_decref(object);
    return NULL;
}

static json_t *convert_node(converter_t *c, int depth)
{
    int collection = c->event.type == YAML_SEQUENCE_START_EVENT || c->event.type == YAML_MAPPING_START_EVENT;
    if (collection && depth >= CONG_YAML_JSON_MAX_DEPTH)
        return fail(c, event_line(c), "nested deeper than %d levels", CONG_YAML_JSON_MAX_DEPTH);
    switch (c->event.type) {
    case YAML_SCALAR_EVENT: return convert_scalar(c);
    case YAML_SEQUENCE_START_EVENT: return convert_sequence(c, depth);
    case YAML_MAPPING_START_EVENT: return convert_mapping(c, depth);
    case YAML_ALIAS_EVENT: return fail(c, event_line(c), "aliases are not allowed");
    default: return fail(c, event_line(c), "unexpected YAML event");
    }
}

/* ---------------------------------------------------------------------------------------------------------------- */
/* The stream                                                                                                       */

/* STREAM-START [DOCUMENT-START node DOCUMENT-END] STREAM-END */
static json_t *convert_stream(converter_t *c)
{
    if (next_event(c) < 0 || next_event(c) < 0)
        return NULL;
    if (c->event.type == YAML_STREAM_END_EVENT)
        return json_null();
    json_t *root = next_event(c) == 0 ? convert_node(c, 0) : NULL;
    if (root && (next_event(c) < 0 || next_event(c) < 0)) {
        json_decref(root);
        return NULL;
    }
    if (root && c->event.type != YAML_STREAM_END_EVENT) {
        json_decref(root);
        return fail(c, event_line(c), "only one YAML document is allowed");
    }
    return root;
}

int cong_yaml_to_json(const char *text, size_t len, struct json_t **out, char *err, size_t errlen)
{
    if (err && errlen)
        err[0] = '\0';
    if (!out || (!text && len))
        return CONG_EINVAL;
    *out = NULL;
    converter_t c = {.text = text ? text : "", .len = len, .err = err, .errlen = errlen};
    if (!yaml_parser_initialize(&c.parser))
        return CONG_ENOMEM;
    yaml_parser_set_input_string(&c.parser, (const unsigned char *)c.text, len);
    json_t *root = convert_stream(&c);
    yaml_event_delete(&c.event);
    yaml_parser_delete(&c.parser);
    if (!root)
        return c.status ? c.status : CONG_ENOMEM;
    *out = root;
    return 0;
}

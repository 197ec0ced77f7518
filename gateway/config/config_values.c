/* A key's value from text, and its checks (contract in config_values.h). */
#include "config_values.h"

#include <stdlib.h>
#include <string.h>

#include "cong/module.h"

char **cong_config_string_field(cong_config_t *cfg, const cong_config_key_t *key)
{
    return (char **)((char *)cfg + key->offset);
}

int *cong_config_int_field(cong_config_t *cfg, const cong_config_key_t *key)
{
    return (int *)((char *)cfg + key->offset);
}

cong_strlist_t *cong_config_list_field(cong_config_t *cfg, const cong_config_key_t *key)
{
    return (cong_strlist_t *)((char *)cfg + key->offset);
}

void cong_config_replace_string(char **field, char *copy)
{
    free(*field);
    *field = copy;
}

/* ---------------------------------------------------------------------------------------------------------------- */
/* String lists                                                                                                     */

void cong_strlist_free(cong_strlist_t *list)
{
    for (size_t i = 0; i < list->count; i++)
        free(list->items[i]);
    free(list->items);
    list->items = NULL;
    list->count = 0;
}

int cong_strlist_push(cong_strlist_t *list, const char *text, size_t len)
{
    char *copy = strndup(text, len);
    char **grown = copy ? realloc(list->items, (list->count + 1) * sizeof *grown) : NULL;
    if (!grown) {
        free(copy);
        return CONG_ENOMEM;
    }
    list->items = grown;
    list->items[list->count++] = copy;
    return 0;
}

int cong_strlist_contains(const cong_strlist_t *list, const char *text)
{
    for (size_t i = 0; i < list->count; i++)
        if (strcmp(list->items[i], text) == 0)
            return 1;
    return 0;
}

int cong_strlist_equal(const cong_strlist_t *a, const cong_strlist_t *b)
{
    if (a->count != b->count)
        return 0;
    for (size_t i = 0; i < a->count; i++)
        if (strcmp(a->items[i], b->items[i]) != 0)
            return 0;
    return 1;
}

static int is_blank(char c)
{
    return c == ' ' || c == '\t';
}

/* "a, b,c" → [a, b, c]; blank text → []. CONG_EINVAL for an empty item ("a,,b"). */
static int split_list(const char *text, cong_strlist_t *out)
{
    *out = (cong_strlist_t){0};
    while (is_blank(*text))
        text++;
    if (!*text)
        return 0;
    for (;;) {
        const char *end = strchrnul(text, ',');
        const char *start = text;
        while (start < end && is_blank(*start))
            start++;
        const char *stop = end;
        while (stop > start && is_blank(stop[-1]))
            stop--;
        int r = stop == start ? CONG_EINVAL : cong_strlist_push(out, start, (size_t)(stop - start));
        if (r != 0) {
            cong_strlist_free(out);
            return r;
        }
        if (!*end)
            return 0;
        text = end + 1;
    }
}

/* ---------------------------------------------------------------------------------------------------------------- */
/* Checks                                                                                                           */

const char *cong_config_check_text(const cong_config_key_t *key, const char *text, size_t len)
{
    if (memchr(text, 0, len))
        return "must not contain NUL bytes";
    if (key->type == CONG_KEY_LIST && len == 0)
        return "list items must not be empty";
    return key->check ? key->check(text) : NULL;
}

int cong_config_parse_int(const char *s, size_t len, long min, long max, int *out)
{
    size_t i = 0;
    int negative = 0;
    if (i < len && (s[i] == '-' || s[i] == '+'))
        negative = s[i++] == '-';
    if (i == len || (s[i] == '0' && len - i > 1))
        return 0;
    long long value = 0;
    for (; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return 0;
        value = value * 10 + (s[i] - '0');
        if (value > 1LL << 40)
            return 0;
    }
    value = negative ? -value : value;
    if (value < min || value > max)
        return 0;
    *out = (int)value;
    return 1;
}

/* ---------------------------------------------------------------------------------------------------------------- */
/* Setting a value from text (defaults and the environment)                                                         */

static void set_string_text(cong_config_t *cfg, const cong_config_key_t *key, const char *text,
                            cong_config_report_t *rep, const char *name)
{
    const char *problem = cong_config_check_text(key, text, strlen(text));
    if (problem) {
        cong_config_report(rep, 0, name, "%s", problem);
        return;
    }
    char *copy = strdup(text);
    if (!copy)
        cong_config_report_nomem(rep);
    else
        cong_config_replace_string(cong_config_string_field(cfg, key), copy);
}

static void set_int_text(cong_config_t *cfg, const cong_config_key_t *key, const char *text,
                         cong_config_report_t *rep, const char *name)
{
    size_t len = strlen(text);
    while (len && is_blank(text[len - 1]))
        len--;
    while (len && is_blank(*text))
        text++, len--;
    if (!cong_config_parse_int(text, len, key->min, key->max, cong_config_int_field(cfg, key)))
        cong_config_report(rep, 0, name, "expected an integer between %ld and %ld", key->min, key->max);
}

static void set_list_text(cong_config_t *cfg, const cong_config_key_t *key, const char *text,
                          cong_config_report_t *rep, const char *name)
{
    cong_strlist_t list;
    int r = split_list(text, &list);
    if (r == CONG_ENOMEM)
        cong_config_report_nomem(rep);
    if (r == CONG_EINVAL)
        cong_config_report(rep, 0, name, "list items must not be empty");
    if (r != 0)
        return;
    size_t errors_before = rep->count;
    for (size_t i = 0; i < list.count; i++) {
        const char *problem = cong_config_check_text(key, list.items[i], strlen(list.items[i]));
        if (problem)
            cong_config_report(rep, 0, name, "item %zu: %s", i + 1, problem);
    }
    if (rep->count != errors_before || rep->nomem) {
        cong_strlist_free(&list);
        return;
    }
    cong_strlist_free(cong_config_list_field(cfg, key));
    *cong_config_list_field(cfg, key) = list;
}

void cong_config_set_from_text(cong_config_t *cfg, const cong_config_key_t *key, const char *text,
                               cong_config_report_t *rep, const char *name)
{
    switch (key->type) {
    case CONG_KEY_STRING: set_string_text(cfg, key, text, rep, name); break;
    case CONG_KEY_INT: set_int_text(cfg, key, text, rep, name); break;
    case CONG_KEY_LIST: set_list_text(cfg, key, text, rep, name); break;
    }
}

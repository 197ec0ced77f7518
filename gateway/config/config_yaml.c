/*
 * gateway/config/config_yaml.c — the configuration file: YAML read event by event, each entry dispatched to the key
 * its path names, or to the feature that reads its section (contract in config.h, internals in config_reader.h).
 *
 * libyaml's event API means anchors and aliases are refused before anything is expanded and nesting costs no C stack.
 * No error ever quotes a value, so secrets (redis.password, postgres.conninfo) cannot leak through one; keys are
 * quoted after replacing unprintable bytes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "config_keys.h"
#include "config_reader.h"
#include "config_values.h"
#include "cong/module.h"

struct cong_config_reader {
    yaml_parser_t parser;
    yaml_event_t event; /* the current event */
    cong_config_t *cfg;
    const char *text;
    size_t len;
    cong_config_report_t rep;
    unsigned char *seen_key;     /* one per key of the table */
    unsigned char *seen_section; /* one per feature: the first of its section */
};

typedef cong_config_reader_t reader_t;

static int event_line(const reader_t *p)
{
    return (int)p->event.start_mark.line + 1;
}

/* 1-based line of a libyaml error; reader errors (bad encoding) only know a byte offset. */
static int yaml_error_line(const reader_t *p)
{
    if (p->parser.error != YAML_READER_ERROR)
        return (int)p->parser.problem_mark.line + 1;
    size_t end = p->parser.problem_offset < p->len ? p->parser.problem_offset : p->len;
    int line = 1;
    for (size_t i = 0; i < end; i++)
        line += p->text[i] == '\n';
    return line;
}

static int next_event(reader_t *p)
{
    yaml_event_delete(&p->event);
    if (p->rep.stop)
        return -1;
    if (yaml_parser_parse(&p->parser, &p->event))
        return 0;
    if (p->parser.error == YAML_MEMORY_ERROR)
        p->rep.nomem = 1;
    else
        cong_config_report(&p->rep, yaml_error_line(p), "(yaml)", "%s",
                           p->parser.problem ? p->parser.problem : "syntax error");
    p->rep.stop = 1;
    return -1;
}

/* Consumes the current node whatever it holds. */
static int skip_node(reader_t *p)
{
    size_t depth = 0;
    for (;;) {
        yaml_event_type_t type = p->event.type;
        if (type == YAML_SEQUENCE_START_EVENT || type == YAML_MAPPING_START_EVENT)
            depth++;
        if (type == YAML_SEQUENCE_END_EVENT || type == YAML_MAPPING_END_EVENT)
            depth--;
        if (depth == 0)
            return 0;
        if (next_event(p) < 0)
            return -1;
    }
}

int cong_config_read_refuse(reader_t *p, int line, const char *path, const char *fmt, ...)
{
    if (skip_node(p) < 0)
        return -1;
    va_list ap;
    va_start(ap, fmt);
    cong_config_reportv(&p->rep, line, path, fmt, ap);
    va_end(ap);
    return 0;
}

void cong_config_read_report(reader_t *p, int line, const char *path, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    cong_config_reportv(&p->rep, line, path, fmt, ap);
    va_end(ap);
}

void cong_config_read_report_in(reader_t *p, const char *file, int line, const char *path, const char *fmt, ...)
{
    const char *own = p->rep.file;
    p->rep.file = file ? file : own;
    va_list ap;
    va_start(ap, fmt);
    cong_config_reportv(&p->rep, line, path, fmt, ap);
    va_end(ap);
    p->rep.file = own;
}

int cong_config_read_nomem(reader_t *p)
{
    cong_config_report_nomem(&p->rep);
    return -1;
}

static const char *unwanted_node_feature(const yaml_event_t *e)
{
    const yaml_char_t *anchor = NULL, *tag = NULL;
    switch (e->type) {
    case YAML_ALIAS_EVENT: return "aliases are not allowed";
    case YAML_SCALAR_EVENT: anchor = e->data.scalar.anchor; tag = e->data.scalar.tag; break;
    case YAML_SEQUENCE_START_EVENT: anchor = e->data.sequence_start.anchor; tag = e->data.sequence_start.tag; break;
    case YAML_MAPPING_START_EVENT: anchor = e->data.mapping_start.anchor; tag = e->data.mapping_start.tag; break;
    default: break;
    }
    if (anchor)
        return "anchors are not allowed";
    return tag ? "tags are not allowed" : NULL;
}

/* Refuses an anchor, alias or tag on the current node: 1 = fine, 0 = refused and skipped, -1 = stop. */
static int check_node(reader_t *p, const char *path)
{
    const char *unwanted = unwanted_node_feature(&p->event);
    if (!unwanted)
        return 1;
    return cong_config_read_refuse(p, event_line(p), path, "%s", unwanted);
}

const char *cong_config_read_scalar(const reader_t *p, size_t *len)
{
    if (p->event.type != YAML_SCALAR_EVENT)
        return NULL;
    *len = p->event.data.scalar.length;
    return (const char *)p->event.data.scalar.value;
}

int cong_config_read_is_null(const reader_t *p)
{
    static const char *const nulls[] = {"", "~", "null", "Null", "NULL"};
    size_t len;
    const char *text = cong_config_read_scalar(p, &len);
    if (!text || p->event.data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
        return 0;
    for (size_t i = 0; i < sizeof nulls / sizeof nulls[0]; i++)
        if (len == strlen(nulls[i]) && memcmp(text, nulls[i], len) == 0)
            return 1;
    return 0;
}

int cong_config_read_is_mapping(const reader_t *p)
{
    return p->event.type == YAML_MAPPING_START_EVENT;
}

int cong_config_read_is_sequence(const reader_t *p)
{
    return p->event.type == YAML_SEQUENCE_START_EVENT;
}

int cong_config_read_line(const reader_t *p)
{
    return event_line(p);
}

cong_config_t *cong_config_read_target(reader_t *p)
{
    return p->cfg;
}

const char *cong_config_read_file_name(const reader_t *p)
{
    return p->rep.file;
}

/* ---------------------------------------------------------------------------------------------------------------- */
/* Mappings                                                                                                         */

/* The current event is a mapping key: 1 = a scalar key now in *key, 0 = refused and skipped, -1 = stop. */
static int read_key(reader_t *p, const char *prefix, cong_config_yaml_key_t *key)
{
    const char *where = prefix ? prefix : "(document)";
    int usable = check_node(p, where);
    if (usable <= 0)
        return usable;
    size_t len;
    const char *text = cong_config_read_scalar(p, &len);
    if (!text)
        return cong_config_read_refuse(p, event_line(p), where, "keys must be scalars");
    cong_config_printable_name(key->text, text, len);
    key->line = event_line(p);
    return 1;
}

static int handle_entry(reader_t *p, const char *prefix, const cong_config_yaml_key_t *key, cong_config_entry_fn fn,
                        void *arg)
{
    char path[CONG_CONFIG_PATH_LEN];
    int n = snprintf(path, sizeof path, "%s%s%s", prefix ? prefix : "", prefix ? "." : "", key->text);
    if (n < 0 || (size_t)n >= sizeof path)
        return cong_config_read_refuse(p, key->line, prefix ? prefix : "", "key path too long");
    int usable = check_node(p, path);
    return usable <= 0 ? usable : fn(p, path, key, arg);
}

int cong_config_read_entries(reader_t *p, const char *prefix, cong_config_entry_fn fn, void *arg)
{
    for (;;) {
        if (next_event(p) < 0)
            return -1;
        if (p->event.type == YAML_MAPPING_END_EVENT)
            return 0;
        cong_config_yaml_key_t key;
        int usable = read_key(p, prefix, &key);
        if (usable < 0 || next_event(p) < 0)
            return -1;
        if ((usable ? handle_entry(p, prefix, &key, fn, arg) : skip_node(p)) < 0)
            return -1;
    }
}

int cong_config_read_items(reader_t *p, const char *path, cong_config_item_fn fn, void *arg)
{
    for (size_t index = 0;; index++) {
        if (next_event(p) < 0)
            return -1;
        if (p->event.type == YAML_SEQUENCE_END_EVENT)
            return 0;
        char item_path[CONG_CONFIG_PATH_LEN];
        snprintf(item_path, sizeof item_path, "%s[%zu]", path, index);
        int usable = check_node(p, item_path);
        if ((usable > 0 ? fn(p, item_path, index, event_line(p), arg) : usable) < 0)
            return -1;
    }
}

/* ---------------------------------------------------------------------------------------------------------------- */
/* Settings                                                                                                         */

static int set_string_node(reader_t *p, const cong_config_key_t *def, const char *path, int line)
{
    size_t len = 0;
    const char *text = cong_config_read_scalar(p, &len);
    if (!text)
        return cong_config_read_refuse(p, line, path, "expected a string");
    if (cong_config_read_is_null(p))
        text = "", len = 0;
    const char *problem = cong_config_check_text(def, text, len);
    if (problem) {
        cong_config_read_report(p, line, path, "%s", problem);
        return 0;
    }
    char *copy = strndup(text, len);
    if (!copy)
        return cong_config_read_nomem(p);
    cong_config_replace_string(cong_config_string_field(p->cfg, def), copy);
    return 0;
}

static int set_int_node(reader_t *p, const cong_config_key_t *def, const char *path, int line)
{
    size_t len = 0;
    const char *text = cong_config_read_scalar(p, &len);
    int plain = text && p->event.data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
    if (plain && cong_config_parse_int(text, len, def->min, def->max, cong_config_int_field(p->cfg, def)))
        return 0;
    return cong_config_read_refuse(p, line, path, "expected an integer between %ld and %ld", def->min, def->max);
}

/* One list item: 0 = added, 1 = refused, -1 = stop. */
static int read_list_item(reader_t *p, const cong_config_key_t *def, const char *item_path, cong_strlist_t *list)
{
    int usable = check_node(p, item_path);
    if (usable <= 0)
        return usable < 0 ? -1 : 1;
    size_t len = 0;
    const char *text = cong_config_read_scalar(p, &len);
    if (!text)
        return cong_config_read_refuse(p, event_line(p), item_path, "expected a string") < 0 ? -1 : 1;
    const char *problem = cong_config_check_text(def, text, len);
    if (problem) {
        cong_config_read_report(p, event_line(p), item_path, "%s", problem);
        return 1;
    }
    if (cong_strlist_push(list, text, len) != 0)
        return cong_config_read_nomem(p);
    return 0;
}

/* The current event starts a sequence: its items go to *list; *bad is set when one was refused. */
static int read_list_items(reader_t *p, const cong_config_key_t *def, const char *path, cong_strlist_t *list,
                           int *bad)
{
    for (size_t index = 0;; index++) {
        if (next_event(p) < 0)
            return -1;
        if (p->event.type == YAML_SEQUENCE_END_EVENT)
            return 0;
        char item_path[CONG_CONFIG_PATH_LEN + 24];
        snprintf(item_path, sizeof item_path, "%s[%zu]", path, index);
        int r = read_list_item(p, def, item_path, list);
        if (r < 0)
            return -1;
        *bad |= r;
    }
}

static int set_list_node(reader_t *p, const cong_config_key_t *def, const char *path, int line)
{
    cong_strlist_t list = {0};
    int bad = 0, null = cong_config_read_is_null(p);
    if (!null && p->event.type != YAML_SEQUENCE_START_EVENT)
        return cong_config_read_refuse(p, line, path, "expected a list of strings");
    int r = null ? 0 : read_list_items(p, def, path, &list, &bad);
    if (r == 0 && !bad) {
        cong_strlist_free(cong_config_list_field(p->cfg, def));
        *cong_config_list_field(p->cfg, def) = list;
    } else {
        cong_strlist_free(&list);
    }
    return r;
}

int cong_config_read_setting(reader_t *p, const char *path, const cong_config_yaml_key_t *key, void *arg)
{
    (void)arg;
    const cong_config_key_t *def = cong_config_find_key(path);
    if (!def)
        return cong_config_read_refuse(p, key->line, path, "unknown key");
    size_t index = cong_config_key_index(def);
    if (p->seen_key[index])
        return cong_config_read_refuse(p, key->line, path, "duplicate key");
    p->seen_key[index] = 1;
    cong_config_note_origin(p->cfg, def, p->rep.file, key->line);
    switch (def->type) {
    case CONG_KEY_STRING: return set_string_node(p, def, path, key->line);
    case CONG_KEY_INT: return set_int_node(p, def, path, key->line);
    case CONG_KEY_LIST: return set_list_node(p, def, path, key->line);
    }
    return 0;
}

/* ---------------------------------------------------------------------------------------------------------------- */
/* Sections and the document                                                                                        */

static int on_section(reader_t *p, const char *path, const cong_config_yaml_key_t *key, void *arg)
{
    (void)arg;
    size_t index;
    const cong_config_feature_t *feature = cong_config_find_section(key->text, &index);
    if (!feature)
        return cong_config_read_refuse(p, key->line, path, "unknown key");
    if (p->seen_section[index])
        return cong_config_read_refuse(p, key->line, path, "duplicate key");
    p->seen_section[index] = 1;
    if (cong_config_read_is_null(p))
        return 0;
    if (feature->list_section ? !cong_config_read_is_sequence(p) : !cong_config_read_is_mapping(p))
        return cong_config_read_refuse(p, key->line, path, "%s",
                                       feature->list_section ? "expected a list" : "expected a mapping");
    if (feature->read_section)
        return feature->read_section(p, path);
    return cong_config_read_entries(p, path, cong_config_read_setting, NULL);
}

static int read_root(reader_t *p)
{
    int usable = check_node(p, "(document)");
    if (usable <= 0 || cong_config_read_is_null(p))
        return usable < 0 ? -1 : 0;
    if (!cong_config_read_is_mapping(p))
        return cong_config_read_refuse(p, event_line(p), "(document)", "the top level must be a mapping of sections");
    return cong_config_read_entries(p, NULL, on_section, NULL);
}

/* STREAM-START [DOCUMENT-START root DOCUMENT-END] STREAM-END: an empty stream is an empty configuration. */
static void read_stream(reader_t *p)
{
    if (next_event(p) < 0 || next_event(p) < 0 || p->event.type == YAML_STREAM_END_EVENT)
        return;
    if (next_event(p) < 0 || read_root(p) < 0 || next_event(p) < 0 || next_event(p) < 0)
        return;
    if (p->event.type != YAML_STREAM_END_EVENT)
        cong_config_report(&p->rep, event_line(p), "(document)", "only one YAML document is allowed");
}

static void reader_free(reader_t *p)
{
    yaml_event_delete(&p->event);
    yaml_parser_delete(&p->parser);
    free(p->seen_key);
    free(p->seen_section);
    free(p);
}

int cong_config_parse(cong_config_t *cfg, const char *name, const char *text, size_t len, cong_config_errors_t *errs)
{
    if (!cfg || (!text && len))
        return CONG_EINVAL;
    reader_t *p = calloc(1, sizeof *p);
    if (!p || !yaml_parser_initialize(&p->parser)) {
        free(p);
        return CONG_ENOMEM;
    }
    p->seen_key = calloc(cong_config_key_count(), 1);
    p->seen_section = calloc(cong_config_feature_count(), 1);
    if (!p->seen_key || !p->seen_section) {
        reader_free(p);
        return CONG_ENOMEM;
    }
    p->cfg = cfg;
    p->text = text ? text : "";
    p->len = len;
    p->rep = (cong_config_report_t){.errs = errs, .file = name ? name : "(config)"};
    yaml_parser_set_input_string(&p->parser, (const unsigned char *)p->text, len);
    read_stream(p);
    for (size_t i = 0; i < cong_config_feature_count() && !p->rep.stop; i++)
        if (cong_config_feature_at(i)->finish)
            cong_config_feature_at(i)->finish(p);
    int result = cong_config_report_result(&p->rep);
    reader_free(p);
    return result;
}

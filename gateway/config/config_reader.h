/*
 * gateway/config/config_reader.h — the YAML reader as a feature that reads its own section sees it (internal to
 * gateway/config/; the reader is config_yaml.c; such features: modules.<name>.<key>, and the lists upstreams and
 * partner_routes, whose items config_fields.h reads).
 *
 * The file is read with libyaml's event API. Each function that reads a node starts with the node's first event
 * current and returns with its last event current. They return 0 to go on, -1 to stop (a YAML syntax error, out of
 * memory, too many errors); an error in the content is reported and reading goes on, so one run lists them all.
 * Anchors, aliases and tags are refused before a callback sees the node.
 */
#ifndef CONG_GATEWAY_CONFIG_READER_H
#define CONG_GATEWAY_CONFIG_READER_H

#include <stddef.h>

#include "config_report.h"

typedef struct cong_config_reader cong_config_reader_t;

typedef struct cong_config_yaml_key {
    char text[CONG_CONFIG_KEY_MAX + 4]; /* printable: see cong_config_printable_name */
    int line;
} cong_config_yaml_key_t;

/* Called with an entry's value node current; `path` is "prefix.key". */
typedef int (*cong_config_entry_fn)(cong_config_reader_t *reader, const char *path, const cong_config_yaml_key_t *key,
                                    void *arg);

/** The current event starts a mapping: calls `fn` for each entry. */
int cong_config_read_entries(cong_config_reader_t *reader, const char *prefix, cong_config_entry_fn fn, void *arg);
/* Called with a list item's node current; `path` is "prefix[index]", `line` the item's. */
typedef int (*cong_config_item_fn)(cong_config_reader_t *reader, const char *path, size_t index, int line, void *arg);

/** The current event starts a sequence: calls `fn` for each item (anchors, aliases and tags already refused). */
int cong_config_read_items(cong_config_reader_t *reader, const char *path, cong_config_item_fn fn, void *arg);
/** Reads the value of the table's key at `path` (unknown and duplicate keys are refused). */
int cong_config_read_setting(cong_config_reader_t *reader, const char *path, const cong_config_yaml_key_t *key,
                             void *arg);
/** Skips the current node and reports an error about it, unless the node turns out to be broken YAML. */
int cong_config_read_refuse(cong_config_reader_t *reader, int line, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/** Reports an error about a node already read (a scalar): reading goes on. */
void cong_config_read_report(cong_config_reader_t *reader, int line, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/** The same about a node of another file (read by an earlier parse; `file` NULL: this one's). */
void cong_config_read_report_in(cong_config_reader_t *reader, const char *file, int line, const char *path,
                                const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/** Out of memory: reading stops. Returns -1. */
int cong_config_read_nomem(cong_config_reader_t *reader);

/** 1 when the current node is a plain null: empty, ~, null, Null or NULL. */
int cong_config_read_is_null(const cong_config_reader_t *reader);
/** 1 when the current event starts a mapping. */
int cong_config_read_is_mapping(const cong_config_reader_t *reader);
/** 1 when the current event starts a sequence. */
int cong_config_read_is_sequence(const cong_config_reader_t *reader);
/** The 1-based line of the current event. */
int cong_config_read_line(const cong_config_reader_t *reader);
/** The current scalar's text (not NUL-checked) and length, or NULL when the node is not a scalar. */
const char *cong_config_read_scalar(const cong_config_reader_t *reader, size_t *len);

/** The configuration being read, and the name of the file for error lines. */
cong_config_t *cong_config_read_target(cong_config_reader_t *reader);
const char *cong_config_read_file_name(const cong_config_reader_t *reader);

#endif

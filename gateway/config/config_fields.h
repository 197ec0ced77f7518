/*
 * gateway/config/config_fields.h — a mapping of the file read into a C structure by a table of its fields (internal
 * to gateway/config/): the items of the list sections (upstreams, partner_routes) and their nested mappings.
 *
 * Each field names its key, its type and bounds, and where it goes in the structure (an offset from the item's base,
 * nested mappings included, so one table reads `tls.ca_file` as well as `name`). Unknown keys, duplicates, wrong
 * types and values out of range are reported as "FILE:LINE: path: message" and reading goes on; a required field
 * that is missing is reported at the mapping's line. Messages never quote a value. Strings are owned by the
 * structure (the field's old value is freed when a new one is read).
 */
#ifndef CONG_GATEWAY_CONFIG_FIELDS_H
#define CONG_GATEWAY_CONFIG_FIELDS_H

#include <stddef.h>

#include "config_reader.h"

enum cong_config_field_type {
    CONG_FIELD_INT,      /* int within [min, max] */
    CONG_FIELD_LLONG,    /* long long within [min, max] */
    CONG_FIELD_PERMILLE, /* a decimal 0..1 with at most 3 decimals ("0.2"), stored × 1000 in an int */
    CONG_FIELD_STRING,   /* char *, owned; null → "" */
    CONG_FIELD_ENUM,     /* int: the index of the value in `names` */
    CONG_FIELD_STRLIST,  /* cong_strlist_t of scalars */
    CONG_FIELD_MAPPING,  /* a nested mapping read by `fields` over the same base; `present` set to 1 when given */
    CONG_FIELD_CUSTOM,   /* read by `read` */
};

typedef struct cong_config_field cong_config_field_t;

/* Reads the current node into `base`; same conventions as config_reader.h (0 go on, -1 stop). */
typedef int (*cong_config_field_read_fn)(cong_config_reader_t *reader, const char *path, int line, void *base);

struct cong_config_field {
    const char *name;
    enum cong_config_field_type type;
    size_t offset;                  /* of the value in the structure (unused for CUSTOM and MAPPING) */
    long long min, max;             /* INT, LLONG */
    const char *const *names;       /* ENUM: NULL-terminated */
    const char *(*check)(const char *text); /* STRING, STRLIST items: NULL when fine, else a message */
    const cong_config_field_t *fields; /* MAPPING */
    size_t field_count;
    cong_config_field_read_fn read; /* CUSTOM */
    int required;
    long line_offset;               /* -1, or the offset of an int that receives the key's line */
};

#define CONG_FIELD_NO_LINE .line_offset = -1

/** The current event starts a mapping (or is null: read as an empty one): reads its entries into `base` by `fields`.
 *  `line` is the mapping's, for missing required fields. */
int cong_config_read_fields(cong_config_reader_t *reader, const char *path, int line, const cong_config_field_t *fields,
                            size_t count, void *base);

/** Text of the current scalar as a new string (NULL when not a scalar or out of memory: *nomem says which). Refuses
 *  NUL bytes (NULL, *nomem 0). */
char *cong_config_read_string(cong_config_reader_t *reader, int *nomem);

#endif

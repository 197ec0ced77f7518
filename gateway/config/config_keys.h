/*
 * gateway/config/config_keys.h — how a feature of the configuration declares its keys (internal to gateway/config/).
 *
 * Each feature owns one file and one table of keys (config_server.c, config_tls.c, config_limits.c, config_auth.c,
 * config_rate_limits.c, config_redis.c, config_postgres.c, config_log.c, config_modules.c): path, type, bounds, place
 * in cong_config_t, default and the check of its values. The default is written as text, exactly as it would be in
 * the environment, and goes through the same code as an override. config.c lists the features; their order is the
 * order of every walk over the keys (defaults, cong_config_each_change, the origins).
 *
 * The core reads (config_yaml.c, config_env.c) and dispatches by path; a feature whose section is not a plain
 * mapping of its keys (modules.<name>.<key>) reads that section itself, through config_reader.h.
 */
#ifndef CONG_GATEWAY_CONFIG_KEYS_H
#define CONG_GATEWAY_CONFIG_KEYS_H

#include <stddef.h>

#include "config.h"

enum cong_config_key_type { CONG_KEY_STRING, CONG_KEY_INT, CONG_KEY_LIST };

/* Checks a string value or a list item: NULL when fine, else a message (which never quotes the value). */
typedef const char *(*cong_config_check_fn)(const char *text);

typedef struct cong_config_key {
    const char *path;
    enum cong_config_key_type type;
    size_t offset;                /* of the field in cong_config_t */
    long min, max;                /* CONG_KEY_INT */
    const char *default_text;     /* as in the environment: lists are comma-separated */
    cong_config_check_fn check;   /* CONG_KEY_STRING and CONG_KEY_LIST items: NULL or a check */
} cong_config_key_t;

#define CONG_CONFIG_FIELD(member) offsetof(cong_config_t, member)
#define CONG_STRING_KEY(p, member, def, chk) \
    {.path = p, .type = CONG_KEY_STRING, .offset = CONG_CONFIG_FIELD(member), .default_text = def, .check = chk}
#define CONG_INT_KEY(p, member, lo, hi, def) \
    {.path = p, .type = CONG_KEY_INT, .offset = CONG_CONFIG_FIELD(member), .min = lo, .max = hi, .default_text = def}
#define CONG_LIST_KEY(p, member, def, chk) \
    {.path = p, .type = CONG_KEY_LIST, .offset = CONG_CONFIG_FIELD(member), .default_text = def, .check = chk}

struct cong_config_reader;

typedef struct cong_config_feature {
    const char *name;               /* what it configures, for the reader of the code */
    const char *section;            /* the top-level mapping its keys live under (several features may share one) */
    const cong_config_key_t *keys;
    size_t key_count;
    /* NULL: the section's entries are keys of the table. Else called with the section's mapping current, to read it
     * whole (see config_reader.h); a section with a reader belongs to that one feature. */
    int (*read_section)(struct cong_config_reader *reader, const char *path);
    int list_section; /* 1: the section is a list (read_section reads it), not a mapping */
    /* NULL, or called once the whole document was read, for checks across sections (a route names an upstream). */
    void (*finish)(struct cong_config_reader *reader);
} cong_config_feature_t;

#define CONG_CONFIG_FEATURE(what, sec, table, reader) \
    {.name = what, .section = sec, .keys = table, .key_count = sizeof table / sizeof table[0], .read_section = reader}
/* A section that is a list of structures, with no keys of the table. */
#define CONG_CONFIG_LIST_FEATURE(what, sec, reader, finisher) \
    {.name = what, .section = sec, .read_section = reader, .list_section = 1, .finish = finisher}

/* The features, one file each, in the order config.c lists them. */
extern const cong_config_feature_t cong_config_server_feature;      /* config_server.c */
extern const cong_config_feature_t cong_config_tls_feature;         /* config_tls.c */
extern const cong_config_feature_t cong_config_limits_feature;      /* config_limits.c */
extern const cong_config_feature_t cong_config_cors_feature;        /* config_limits.c */
extern const cong_config_feature_t cong_config_admission_feature;   /* config_admission.c */
extern const cong_config_feature_t cong_config_auth_feature;        /* config_auth.c */
extern const cong_config_feature_t cong_config_vneid_feature;       /* config_auth.c */
extern const cong_config_feature_t cong_config_rate_limits_feature; /* config_rate_limits.c */
extern const cong_config_feature_t cong_config_redis_feature;       /* config_redis.c */
extern const cong_config_feature_t cong_config_postgres_feature;    /* config_postgres.c */
extern const cong_config_feature_t cong_config_log_feature;         /* config_log.c */
extern const cong_config_feature_t cong_config_modules_feature;     /* config_modules.c */
extern const cong_config_feature_t cong_config_upstreams_feature;   /* config_upstreams.c */
extern const cong_config_feature_t cong_config_partner_routes_feature; /* config_partner_routes.c */

/* Every key of every feature, in order (config.c). Indexes are stable for the process's life. */
size_t cong_config_key_count(void);
const cong_config_key_t *cong_config_key_at(size_t index);
size_t cong_config_key_index(const cong_config_key_t *key);
/** The key of a full path ("server.tls_port"), or NULL. */
const cong_config_key_t *cong_config_find_key(const char *path);

size_t cong_config_feature_count(void);
const cong_config_feature_t *cong_config_feature_at(size_t index);
/** The first feature of a section, with its index in *index; NULL for an unknown section. */
const cong_config_feature_t *cong_config_find_section(const char *name, size_t *index);

/** Remembers where a key was set (replacing an earlier origin). Out of memory only loses the origin. */
void cong_config_note_origin(cong_config_t *cfg, const cong_config_key_t *key, const char *file, int line);

/* The modules feature keeps the modules.<name>.<key> values (config_modules.c). */
void cong_config_module_values_free(cong_config_t *cfg);
/* The upstreams and partner_routes features keep theirs in cfg->upstreams (config_upstreams.c). */
cong_upstreams_config_t *cong_config_upstreams_of(cong_config_t *cfg);

#endif

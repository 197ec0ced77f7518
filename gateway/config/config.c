/*
 * gateway/config/config.c — the configuration's core: the features and their keys, defaults, freeing, origins,
 * changes, and loading a file then the environment (contract in config.h).
 *
 * Each feature declares and checks its own keys in its own file (config_keys.h lists them); the YAML file is read in
 * config_yaml.c, the environment in config_env.c, values are set and checked in config_values.c and error lines are
 * built in config_report.c. This file only knows the list of features below: its order is the order of the keys.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_keys.h"
#include "config_values.h"
#include "cong/module.h"

#define MAX_FILE_BYTES (4 << 20) /* a configuration file larger than this is refused */

static const cong_config_feature_t *const features[] = {
    &cong_config_server_feature, &cong_config_tls_feature,   &cong_config_limits_feature,
    &cong_config_cors_feature,   &cong_config_admission_feature, &cong_config_auth_feature,  &cong_config_vneid_feature,
    &cong_config_rate_limits_feature, &cong_config_redis_feature, &cong_config_postgres_feature,
    &cong_config_log_feature,    &cong_config_modules_feature, &cong_config_upstreams_feature,
    &cong_config_partner_routes_feature,
};

#define FEATURE_COUNT (sizeof features / sizeof features[0])

/* ---------------------------------------------------------------------------------------------------------------- */
/* The keys of every feature                                                                                        */

size_t cong_config_feature_count(void)
{
    return FEATURE_COUNT;
}

const cong_config_feature_t *cong_config_feature_at(size_t index)
{
    return index < FEATURE_COUNT ? features[index] : NULL;
}

const cong_config_feature_t *cong_config_find_section(const char *name, size_t *index)
{
    for (size_t i = 0; i < FEATURE_COUNT; i++)
        if (strcmp(features[i]->section, name) == 0) {
            *index = i;
            return features[i];
        }
    return NULL;
}

size_t cong_config_key_count(void)
{
    size_t count = 0;
    for (size_t i = 0; i < FEATURE_COUNT; i++)
        count += features[i]->key_count;
    return count;
}

const cong_config_key_t *cong_config_key_at(size_t index)
{
    for (size_t i = 0; i < FEATURE_COUNT; i++) {
        if (index < features[i]->key_count)
            return &features[i]->keys[index];
        index -= features[i]->key_count;
    }
    return NULL;
}

size_t cong_config_key_index(const cong_config_key_t *key)
{
    size_t base = 0;
    for (size_t i = 0; i < FEATURE_COUNT; i++) {
        const cong_config_feature_t *f = features[i];
        if (key >= f->keys && key < f->keys + f->key_count)
            return base + (size_t)(key - f->keys);
        base += f->key_count;
    }
    return SIZE_MAX;
}

const cong_config_key_t *cong_config_find_key(const char *path)
{
    for (size_t i = 0; i < FEATURE_COUNT; i++)
        for (size_t k = 0; k < features[i]->key_count; k++)
            if (strcmp(features[i]->keys[k].path, path) == 0)
                return &features[i]->keys[k];
    return NULL;
}

void cong_config_note_origin(cong_config_t *cfg, const cong_config_key_t *key, const char *file, int line)
{
    if (!cfg->origins && !(cfg->origins = calloc(cong_config_key_count(), sizeof *cfg->origins)))
        return;
    cong_config_origin_t *o = &cfg->origins[cong_config_key_index(key)];
    free(o->file);
    o->file = strdup(file ? file : "(config)");
    o->line = line;
}

/* ---------------------------------------------------------------------------------------------------------------- */
/* Defaults, freeing, origins and changes                                                                           */

int cong_config_defaults(cong_config_t *cfg)
{
    if (!cfg)
        return CONG_EINVAL;
    *cfg = (cong_config_t){0};
    cong_config_report_t rep = {.file = "default"};
    for (size_t i = 0; i < cong_config_key_count() && !rep.stop; i++) {
        const cong_config_key_t *key = cong_config_key_at(i);
        cong_config_set_from_text(cfg, key, key->default_text, &rep, key->path);
    }
    if (rep.nomem || rep.count) {
        cong_config_free(cfg);
        return rep.nomem ? CONG_ENOMEM : CONG_EINVAL; /* CONG_EINVAL: a default does not fit its own key */
    }
    return 0;
}

void cong_config_free(cong_config_t *cfg)
{
    if (!cfg)
        return;
    size_t count = cong_config_key_count();
    for (size_t i = 0; i < count; i++) {
        const cong_config_key_t *key = cong_config_key_at(i);
        if (key->type == CONG_KEY_STRING)
            free(*cong_config_string_field(cfg, key));
        if (key->type == CONG_KEY_LIST)
            cong_strlist_free(cong_config_list_field(cfg, key));
    }
    cong_config_module_values_free(cfg);
    cong_upstreams_config_free(cfg->upstreams);
    free(cfg->upstreams);
    for (size_t i = 0; cfg->origins && i < count; i++)
        free(cfg->origins[i].file);
    free(cfg->origins);
    *cfg = (cong_config_t){0};
}

int cong_config_origin(const cong_config_t *cfg, const char *path, const char **file, int *line)
{
    const cong_config_key_t *key = cfg && path ? cong_config_find_key(path) : NULL;
    const cong_config_origin_t *o = key && cfg->origins ? &cfg->origins[cong_config_key_index(key)] : NULL;
    *file = o && o->file ? o->file : "default";
    *line = o && o->file ? o->line : 0;
    return o && o->file;
}

static int same_value(const cong_config_t *a, const cong_config_t *b, const cong_config_key_t *key)
{
    cong_config_t *x = (cong_config_t *)a, *y = (cong_config_t *)b; /* the fields are only read */
    switch (key->type) {
    case CONG_KEY_STRING: return strcmp(*cong_config_string_field(x, key), *cong_config_string_field(y, key)) == 0;
    case CONG_KEY_INT: return *cong_config_int_field(x, key) == *cong_config_int_field(y, key);
    case CONG_KEY_LIST: return cong_strlist_equal(cong_config_list_field(x, key), cong_config_list_field(y, key));
    }
    return 1;
}

void cong_config_each_change(const cong_config_t *a, const cong_config_t *b, void (*fn)(const char *path, void *arg),
                             void *arg)
{
    for (size_t i = 0; i < cong_config_key_count(); i++) {
        const cong_config_key_t *key = cong_config_key_at(i);
        if (!same_value(a, b, key))
            fn(key->path, arg);
    }
}

/* ---------------------------------------------------------------------------------------------------------------- */
/* Loading                                                                                                          */

/* Reads a whole file of at most MAX_FILE_BYTES. Returns 0, or an errno value (EFBIG when too large). */
static int read_file(const char *path, char **text, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return errno;
    char *buffer = malloc(MAX_FILE_BYTES + 1);
    size_t n = buffer ? fread(buffer, 1, MAX_FILE_BYTES + 1, f) : 0;
    int error = !buffer ? ENOMEM : ferror(f) ? EIO : n > MAX_FILE_BYTES ? EFBIG : 0;
    fclose(f);
    if (error) {
        free(buffer);
        return error;
    }
    *text = buffer;
    *len = n;
    return 0;
}

static int file_error(cong_config_errors_t *errs, const char *path, const char *problem)
{
    return cong_config_error(errs, path, 0, "(file)", "%s", problem) == 0 ? CONG_EPARSE : CONG_ENOMEM;
}

static int parse_file(cong_config_t *cfg, const char *path, cong_config_errors_t *errs)
{
    char *text = NULL;
    size_t len = 0;
    int error = read_file(path, &text, &len);
    if (error == ENOMEM)
        return CONG_ENOMEM;
    if (error == EFBIG)
        return file_error(errs, path, "larger than 4 MiB");
    if (error)
        return file_error(errs, path, strerror(error)); /* "No such file or directory" */
    int r = cong_config_parse(cfg, path, text, len, errs);
    free(text);
    return r;
}

int cong_config_load(cong_config_t *cfg, const char *path, char *const *envp, cong_config_errors_t *errs)
{
    int r = cong_config_defaults(cfg);
    if (r != 0)
        return r;
    int file_result = path ? parse_file(cfg, path, errs) : 0;
    if (file_result == CONG_ENOMEM)
        return file_result;
    int env_result = cong_config_apply_env(cfg, envp, errs);
    if (env_result == CONG_ENOMEM)
        return env_result;
    int files = cong_config_check_upstream_files(cfg, errs);
    if (files < 0)
        return files;
    int fragments = cong_config_check_openapi_fragments(cfg, errs);
    if (fragments < 0)
        return fragments;
    files += fragments;
    return file_result ? file_result : env_result ? env_result : files ? CONG_EPARSE : 0;
}

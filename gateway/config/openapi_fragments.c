/* Partners' OpenAPI fragments: read, checked, merged into the gateway's document (contract in openapi_fragments.h). */
#include "openapi_fragments.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cong/errors.h"
#include "yaml_json.h"

#define MAX_FRAGMENT_BYTES (4 * 1024 * 1024)

static char *read_text(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    char *buf = malloc(MAX_FRAGMENT_BYTES + 1);
    size_t n = buf ? fread(buf, 1, MAX_FRAGMENT_BYTES + 1, f) : 0;
    fclose(f);
    if (buf == NULL || n > MAX_FRAGMENT_BYTES) {
        free(buf);
        errno = buf == NULL ? ENOMEM : EFBIG;
        return NULL;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

/* The line of `text` whose key is `key` (plain, single- or double-quoted, then ':'), 0 when none: where to point at a
 * path that is refused (the YAML reader keeps no lines). */
static int key_line(const char *text, const char *key)
{
    size_t klen = strlen(key);
    int line = 1;
    for (const char *p = text; *p; line++) {
        const char *s = p;
        while (*s == ' ' || *s == '\t' || *s == '{' || *s == ',')
            s++;
        if (*s == '"' || *s == '\'')
            s++;
        if (strncmp(s, key, klen) == 0 && (s[klen] == ':' || s[klen] == '"' || s[klen] == '\''))
            return line;
        const char *nl = strchr(p, '\n');
        if (nl == NULL)
            break;
        p = nl + 1;
    }
    return 0;
}

/* A YAML reader's message "line N: ...": N, and the rest. */
static int parse_error_line(const char *msg, const char **rest)
{
    int line = 0, used = 0;
    *rest = msg;
    if (sscanf(msg, "line %d: %n", &line, &used) == 1 && used > 0)
        *rest = msg + used;
    return line;
}

static int check_document(const cong_upstream_config_t *u, json_t *doc, const char *text, int *line, char *err,
                          size_t errlen)
{
    if (!json_is_object(doc)) {
        snprintf(err, errlen, "expected an OpenAPI 3 fragment: a mapping with paths");
        return CONG_EINVAL;
    }
    const char *key;
    json_t *value;
    json_object_foreach(doc, key, value) {
        if (strcmp(key, "paths") != 0 && strcmp(key, "openapi") != 0 && strcmp(key, "info") != 0) {
            *line = key_line(text, key);
            snprintf(err, errlen, "%.64s: a fragment brings paths only (and may say openapi and info)", key);
            return CONG_EINVAL;
        }
    }
    json_t *paths = json_object_get(doc, "paths");
    if (!json_is_object(paths) || json_object_size(paths) == 0) {
        snprintf(err, errlen, "paths: expected a mapping of at least one path");
        return CONG_EINVAL;
    }
    char prefix[64];
    int n = snprintf(prefix, sizeof prefix, "/v1/partners/%s/", u->partner.name);
    json_object_foreach(paths, key, value) {
        if (strncmp(key, prefix, (size_t)n) != 0 || key[n] == '\0') {
            *line = key_line(text, key);
            snprintf(err, errlen, "paths: %.200s is not under %s (a partner documents its own routes only)", key,
                     prefix);
            return CONG_EINVAL;
        }
        if (!json_is_object(value)) {
            *line = key_line(text, key);
            snprintf(err, errlen, "paths: %.200s: expected a path item (a mapping of operations)", key);
            return CONG_EINVAL;
        }
    }
    return 0;
}

int cong_openapi_fragment_read(const cong_upstream_config_t *u, json_t **paths, int *line, char *err, size_t errlen)
{
    *paths = NULL;
    *line = 0;
    size_t len = 0;
    char *text = read_text(u->openapi_file, &len);
    if (text == NULL) {
        if (errno == ENOMEM)
            return CONG_ENOMEM;
        snprintf(err, errlen, "cannot read %s: %s", u->openapi_file, strerror(errno));
        return CONG_EIO;
    }
    json_t *doc = NULL;
    char msg[256];
    int rc = cong_yaml_to_json(text, len, &doc, msg, sizeof msg);
    if (rc == CONG_EPARSE) {
        const char *rest;
        *line = parse_error_line(msg, &rest);
        snprintf(err, errlen, "not a YAML or JSON document: %s", rest);
    } else if (rc == 0) {
        rc = check_document(u, doc, text, line, err, errlen);
    }
    if (rc == 0)
        *paths = json_incref(json_object_get(doc, "paths"));
    json_decref(doc);
    free(text);
    return rc;
}

/* Reports a fragment's problem: at the fragment's line when known, else at the config's `openapi:` line. */
static int report(const cong_upstreams_config_t *all, size_t i, int line, const char *msg, cong_config_errors_t *errs)
{
    const cong_upstream_config_t *u = &all->items[i];
    char at[48];
    snprintf(at, sizeof at, "upstreams[%zu].openapi", i);
    const char *file = line > 0 ? u->openapi_file : all->file ? all->file : "(config)";
    return cong_config_error(errs, file, line > 0 ? line : u->openapi_line, at, "%s", msg) != 0 ? CONG_ENOMEM : 0;
}

int cong_config_check_openapi_fragments(const cong_config_t *cfg, cong_config_errors_t *errs)
{
    const cong_upstreams_config_t *all = cfg->upstreams;
    int count = 0;
    for (size_t i = 0; all != NULL && i < all->count; i++) {
        if (all->items[i].openapi_file == NULL || all->items[i].openapi_file[0] == '\0')
            continue;
        json_t *paths = NULL;
        int line = 0;
        char err[512];
        int rc = cong_openapi_fragment_read(&all->items[i], &paths, &line, err, sizeof err);
        json_decref(paths);
        if (rc == CONG_ENOMEM || (rc != 0 && report(all, i, line, err, errs) != 0))
            return CONG_ENOMEM;
        count += rc != 0;
    }
    return count;
}

int cong_openapi_merge_fragments(const cong_upstreams_config_t *all, json_t *doc, cong_config_errors_t *errs)
{
    json_t *into = json_object_get(doc, "paths");
    if (!json_is_object(into)) {
        into = json_object();
        if (into == NULL || json_object_set_new(doc, "paths", into) != 0)
            return CONG_ENOMEM;
    }
    int count = 0;
    for (size_t i = 0; all != NULL && i < all->count; i++) {
        if (all->items[i].openapi_file == NULL || all->items[i].openapi_file[0] == '\0')
            continue;
        json_t *paths = NULL;
        int line = 0;
        char err[512];
        int rc = cong_openapi_fragment_read(&all->items[i], &paths, &line, err, sizeof err);
        const char *key;
        json_t *item;
        json_object_foreach(paths, key, item) {
            if (rc == 0 && json_object_get(into, key) != NULL) {
                snprintf(err, sizeof err, "paths: %.200s is already documented", key);
                rc = CONG_EINVAL;
            }
        }
        if (rc == 0 && json_object_update(into, paths) != 0)
            rc = CONG_ENOMEM;
        json_decref(paths);
        if (rc == CONG_ENOMEM || (rc != 0 && report(all, i, line, err, errs) != 0))
            return CONG_ENOMEM;
        count += rc != 0;
    }
    return count;
}

/* The document served at /openapi.json (and read by /docs): openapi/cong.yaml with the partners' fragments merged
 * (config/openapi_fragments.h), built at start and again at each reload (reload.c), then swapped (contract in
 * gateway.h). Reference-counted: the gateway holds the current one, and each response holds the one it sends until
 * its request's pool goes (h2o sends the body from it, without a copy). Taking a reference happens under a lock so a
 * swap cannot free the document between a reader's load and its increment; that lock is held for a pointer load and
 * an increment only, and /openapi.json is no hot path. */
#include "gateway.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/config/config.h"
#include "common/common.h"

struct cong_openapi_doc {
    _Atomic long refs;
    size_t len;
    char *json;
};

static pthread_mutex_t swap_lock = PTHREAD_MUTEX_INITIALIZER;

static char *read_whole_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    char *buf = NULL;
    if (fseek(f, 0, SEEK_END) == 0) {
        long size = ftell(f);
        if (size >= 0 && fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t)size + 1)) != NULL) {
            if (fread(buf, 1, (size_t)size, f) == (size_t)size) {
                buf[size] = '\0';
                *len = (size_t)size;
            } else {
                free(buf);
                buf = NULL;
            }
        }
    }
    fclose(f);
    return buf;
}

int cong_openapi_doc_build(const cong_gateway_t *gw, const cong_upstreams_config_t *upstreams,
                           cong_openapi_doc_t **out, cong_config_errors_t *errs)
{
    *out = NULL;
    const char *path = gw->config->server.openapi_file; /* the one of the start: a restart changes it */
    if (path == NULL || path[0] == '\0')
        return 0;
    size_t len = 0;
    char *yaml = read_whole_file(path, &len);
    if (yaml == NULL) {
        cong_config_error(errs, gw->config_path, 0, "server.openapi_file", "cannot read %s", path);
        return CONG_EIO;
    }
    json_t *doc = NULL;
    char err[256];
    int rc = cong_yaml_to_json(yaml, len, &doc, err, sizeof err);
    free(yaml);
    if (rc != 0) {
        cong_config_error(errs, path, 0, "openapi", "%s", err);
        return rc;
    }
    int problems = upstreams != NULL ? cong_openapi_merge_fragments(upstreams, doc, errs) : 0; /* partners' */
    cong_openapi_doc_t *d = problems == 0 ? calloc(1, sizeof *d) : NULL;
    if (d != NULL && (d->json = json_dumps(doc, JSON_COMPACT)) == NULL) {
        free(d);
        d = NULL;
    }
    json_decref(doc);
    if (problems != 0)
        return problems < 0 ? problems : CONG_EINVAL;
    if (d == NULL)
        return CONG_ENOMEM;
    d->len = strlen(d->json);
    atomic_init(&d->refs, 1);
    *out = d;
    return 0;
}

void cong_openapi_doc_release(cong_openapi_doc_t *d)
{
    if (d != NULL && atomic_fetch_sub(&d->refs, 1) == 1) {
        free(d->json);
        free(d);
    }
}

void cong_openapi_doc_swap(cong_gateway_t *gw, cong_openapi_doc_t *d)
{
    pthread_mutex_lock(&swap_lock);
    cong_openapi_doc_t *old = gw->openapi;
    gw->openapi = d;
    pthread_mutex_unlock(&swap_lock);
    cong_openapi_doc_release(old); /* freed now, or by the last response still sending it */
}

static void on_pool_dispose(void *p)
{
    cong_openapi_doc_release(*(cong_openapi_doc_t **)p);
}

const char *cong_openapi_doc_hold(cong_gateway_t *gw, h2o_mem_pool_t *pool, size_t *len)
{
    cong_openapi_doc_t **slot = h2o_mem_alloc_shared(pool, sizeof *slot, on_pool_dispose);
    pthread_mutex_lock(&swap_lock);
    cong_openapi_doc_t *d = gw->openapi;
    if (d != NULL)
        atomic_fetch_add(&d->refs, 1);
    pthread_mutex_unlock(&swap_lock);
    *slot = d;
    *len = d != NULL ? d->len : 0;
    return d != NULL ? d->json : NULL;
}

int cong_openapi_doc_present(cong_gateway_t *gw)
{
    pthread_mutex_lock(&swap_lock);
    int present = gw->openapi != NULL;
    pthread_mutex_unlock(&swap_lock);
    return present;
}

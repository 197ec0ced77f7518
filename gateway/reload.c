/* SIGHUP: the configuration read again and its reloadable part published to the workers (contract in live_config.h).
 * Runs on the main thread only, never on a worker's loop: reading and checking a file may take milliseconds. */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/config/config.h"
#include "gateway.h"
#include "gateway/upstream/upstream.h"
#include "common/common.h"

extern char **environ;

typedef struct change_count {
    int applied, needs_restart;
} change_count_t;

/* Reloadable keys are compared with the snapshot in force; the others with what the process started with. */
static void note_applied(const char *path, void *arg)
{
    if (!cong_live_config_key_is_reloadable(path))
        return;
    ((change_count_t *)arg)->applied++;
    cong_log(CONG_LOG_INFO, "config", "reload: %s changed", path);
}

static void note_needs_restart(const char *path, void *arg)
{
    if (cong_live_config_key_is_reloadable(path))
        return;
    ((change_count_t *)arg)->needs_restart++;
    cong_log(CONG_LOG_WARN, "config", "reload: %s changed, which needs a restart; the running value stays", path);
}

/* VNeID's keys from another location: the refresher fetches it at once. Without a source at start (no VNeID, or no
 * identity), there is nothing to point elsewhere: that needs a restart. */
static int apply_jwks_location(cong_gateway_t *gw, const char *location)
{
    cong_jwks_source_t *source = gw->has_identity ? gw->identity.vneid : NULL;
    int rc = source != NULL ? cong_jwks_source_set_location(source, location) : CONG_ENOTFOUND;
    if (rc != 0)
        cong_log(CONG_LOG_WARN, "config", "reload: vneid.jwks cannot change without a restart here (%s)",
                 source == NULL ? "no VNeID key source was started" : "the new location is not usable");
    return rc;
}

static void log_refusal(const cong_config_errors_t *errs)
{
    for (size_t i = 0; i < errs->count; i++)
        cong_log(CONG_LOG_ERROR, "config", "reload refused: %s", errs->lines[i]);
    cong_log(CONG_LOG_ERROR, "config", "reload refused: the running configuration stays");
}

int cong_gateway_reload(cong_gateway_t *gw)
{
    const char *path = gw->config_path != NULL && gw->config_path[0] != '-' ? gw->config_path : NULL;
    cong_config_t *next = calloc(1, sizeof *next);
    cong_config_errors_t errs = {0};
    if (next == NULL)
        return CONG_ENOMEM;
    int rc = cong_config_load(next, path, environ, &errs);
    if (rc == 0)
        rc = cong_config_enforce_policy(next, &errs);
    if (rc == 0 && cong_upstream_check_routes(next, &errs) != 0) /* --check-config's checks, all of them */
        rc = CONG_EINVAL;
    cong_live_config_t *current = atomic_load(&gw->live);
    int upstreams_changed = rc == 0 && !cong_upstreams_config_same(current->config->upstreams, next->upstreams);
    cong_openapi_doc_t *doc = NULL; /* the fragments read again, even unchanged in the configuration: files change */
    if (rc == 0)
        rc = cong_openapi_doc_build(gw, next->upstreams, &doc, &errs);
    cong_live_config_t *live = rc == 0 ? cong_live_config_new(next, 1, current->generation + 1) : NULL;
    if (live != NULL && upstreams_changed && (rc = cong_upstream_proxy_reload(next)) != 0) { /* built off the loops */
        cong_config_error(&errs, path != NULL ? path : "-", 0, "upstreams",
                          "the new upstreams and partner_routes cannot be set up");
        live->owned = NULL; /* `next` is freed below */
        cong_live_config_free_chain(live);
        live = NULL;
    }
    if (live == NULL) {
        cong_openapi_doc_release(doc);
        log_refusal(&errs);
        cong_config_errors_free(&errs);
        cong_config_free(next);
        free(next);
        return rc != 0 ? rc : CONG_ENOMEM;
    }
    change_count_t count = {0};
    cong_config_each_change(current->config, next, note_applied, &count);
    cong_config_each_change(gw->config, next, note_needs_restart, &count);
    if (upstreams_changed) { /* requests under way finish on the generation they started with */
        count.applied++;
        cong_log(CONG_LOG_INFO, "config", "reload: upstreams or partner_routes changed: new requests use them now");
    }
    if (doc != NULL)
        cong_openapi_doc_swap(gw, doc); /* /openapi.json and /docs with the partners' fragments as read now */
    if (strcmp(current->config->vneid.jwks, next->vneid.jwks) != 0 && apply_jwks_location(gw, next->vneid.jwks) != 0) {
        count.applied--;
        count.needs_restart++;
    }
    int level = cong_log_parse_level(next->log.level);
    cong_log_set_level(level >= 0 ? level : CONG_LOG_INFO);
    live->older = current;
    atomic_store(&gw->live, live);
    gw->reloads++;
    cong_log(CONG_LOG_INFO, "config", "reloaded (generation %u): %d change(s) applied, %d need a restart",
             live->generation, count.applied, count.needs_restart);
    return 0;
}

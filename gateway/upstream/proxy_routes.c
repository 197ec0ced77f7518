/* The partner routes in the router (contract in upstream.h): registered at start by the gateway's built-in module
 * "partners", through the same ABI as every module, so they carry auth, scopes, minimum level, mandate action, rate
 * class and body limit like module routes and the phases check them the same way; their handler is the proxy. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proxy_internal.h"

int cong_upstream_proxy_init(const cong_config_t *cfg, const cong_identity_t *identity)
{
    return cong_proxy_state_init(cfg->upstreams, identity);
}

static char *joined(const cong_strlist_t *list)
{
    size_t len = 1;
    for (size_t i = 0; i < list->count; i++)
        len += strlen(list->items[i]) + 1;
    char *out = calloc(1, len);
    for (size_t i = 0; out != NULL && i < list->count; i++) {
        if (i > 0)
            strcat(out, " ");
        strcat(out, list->items[i]);
    }
    return out;
}

static int register_one(cong_module_ctx_t *ctx, const cong_api_t *api, cong_proxy_route_t *route, size_t index)
{
    const cong_partner_route_config_t *c = route->config;
    char operation_id[96], *scopes = joined(&c->scopes);
    if (scopes == NULL)
        return CONG_ENOMEM;
    snprintf(operation_id, sizeof operation_id, "partner_%s_%zu", c->upstream, index);
    long long body_limit = route->upstream->config->limits.max_request_body_bytes;
    cong_route_def_t def = {
        .size = sizeof def,
        .method = c->method,
        .path = c->path,
        .handler = cong_proxy_handle,
        .udata = route,
        .auth = c->auth == CONG_PARTNER_AUTH_NONE ? CONG_AUTH_NONE : CONG_AUTH_REQUIRED,
        .scopes = scopes[0] ? scopes : NULL,
        .min_loa = c->min_level,
        .rate_limit_class = c->rate_class,
        .operation_id = operation_id,
        .max_body_bytes = body_limit > 0 ? body_limit : 1, /* 0 would mean the gateway's default */
        .mandate_action = c->mandate_action ? cong_mandate_action_name(c->mandate_action) : NULL,
    };
    int rc = api->register_route(ctx, &def);
    free(scopes);
    return rc;
}

/* Worker 0 runs the active health checks of every upstream (health_check.c says why one worker). */
static void on_worker_init(cong_worker_t *w, int index, void *udata)
{
    if (index == 0)
        cong_health_checks_start(udata, w);
}

static void on_worker_dispose(cong_worker_t *w, int index, void *udata)
{
    (void)w, (void)udata;
    if (index == 0)
        cong_health_checks_stop();
}

cong_handler_fn cong_upstream_streamed_body_handler(void)
{
    return cong_proxy_handle;
}

int cong_partner_routes_onload(cong_module_ctx_t *ctx, const cong_api_t *api)
{
    int rc = api->declare_module(ctx, "partners", "1.0.0");
    cong_proxy_route_t *route;
    for (size_t i = 0; rc == 0 && (route = cong_proxy_state_route(i)) != NULL; i++)
        rc = register_one(ctx, api, route, i);
    if (rc == 0 && cong_proxy_state_upstream_count() > 0)
        rc = api->register_worker_hooks(ctx, on_worker_init, on_worker_dispose, (void *)api);
    return rc;
}

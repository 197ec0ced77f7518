/* The partner routes and the proxy's life in the process (contract in upstream.h): published as a generation at start
 * and at each reload that changes them (proxy_gen.c), matched by the route lookup through cong_upstream_routes_match
 * — not in the gateway's router, which is built once — and carrying auth, scopes, minimum level, mandate action,
 * rate class and body limit like module routes, so the phases check them the same way; their handler is the proxy.
 * The gateway's built-in module "partners" owns their worker hooks: a tick on every worker that adopts a new
 * generation and frees what the worker no longer uses, and worker 0's active health checks. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "proxy_internal.h"

/* How often an idle worker looks for a new generation (a busy one adopts it at its next partner request). */
#define PROXY_TICK_MS 50

static const cong_identity_t *issuer; /* cong as an issuer, for every generation (it does not change at a reload) */

int cong_upstream_proxy_init(const cong_config_t *cfg, const cong_identity_t *identity)
{
    issuer = identity;
    return cong_proxy_gen_publish(cfg->upstreams, identity);
}

int cong_upstream_proxy_reload(const cong_config_t *cfg)
{
    return cong_proxy_gen_publish(cfg->upstreams, issuer);
}

typedef struct worker_tick {
    const cong_api_t *api;
    cong_proxy_gen_t *checked; /* worker 0: the generation its health checks probe */
} worker_tick_t;

static worker_tick_t ticks[CONG_PROXY_MAX_WORKERS];

/* Worker 0 probes the generation it uses: a reload's new targets are probed, removed ones no longer. */
static void follow_health_checks(cong_worker_t *w, worker_tick_t *tick, cong_proxy_gen_t *g)
{
    if (g == tick->checked)
        return;
    if (tick->checked != NULL) {
        cong_health_checks_stop(1);
        cong_proxy_gen_drop(tick->checked, w->index);
    }
    tick->checked = g;
    if (g != NULL) {
        cong_proxy_gen_hold(g, w->index);
        cong_health_checks_start(tick->api, w, g);
    }
}

static void on_tick(cong_worker_t *w, cong_timer_id_t timer, void *udata)
{
    (void)timer;
    worker_tick_t *tick = udata;
    cong_proxy_gen_t *g = cong_proxy_gen_adopt(w->index);
    if (w->index == 0)
        follow_health_checks(w, tick, g);
    cong_proxy_gen_reclaim(w->index);
}

static void on_worker_init(cong_worker_t *w, int index, void *udata)
{
    if (index < 0 || index >= CONG_PROXY_MAX_WORKERS)
        return;
    worker_tick_t *tick = &ticks[index];
    tick->api = udata;
    cong_timer_id_t id;
    on_tick(w, 0, tick);
    if (tick->api->timer_start(w, PROXY_TICK_MS, PROXY_TICK_MS, on_tick, tick, &id) != 0)
        cong_log(CONG_LOG_ERROR, "upstream", "worker %d: no tick: reloaded partner routes reach it with its next "
                 "partner request only", index);
}

static void on_worker_dispose(cong_worker_t *w, int index, void *udata)
{
    (void)w, (void)udata;
    if (index == 0 && ticks[0].checked != NULL) {
        cong_health_checks_stop(0);
        ticks[0].checked = NULL; /* its hold goes with every generation at cong_upstream_proxy_free */
    }
}

cong_handler_fn cong_upstream_streamed_body_handler(void)
{
    return cong_proxy_handle;
}

int cong_partner_routes_onload(cong_module_ctx_t *ctx, const cong_api_t *api)
{
    int rc = api->declare_module(ctx, "partners", "1.0.0");
    if (rc == 0) /* always: a reload may add the first upstream */
        rc = api->register_worker_hooks(ctx, on_worker_init, on_worker_dispose, (void *)api);
    return rc;
}

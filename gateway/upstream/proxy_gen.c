/* Generations of the proxy's upstreams and partner routes (contract in upstream.h, "Reload"): one generation per
 * accepted configuration, swapped RCU-style.
 *
 * Publishing (main thread: at start, and at each SIGHUP that changed upstreams or partner_routes) builds the whole
 * generation off the loops — runtimes, route entries, router — carrying over from the current one, by upstream
 * name, its breaker (shared: requests still under way there count against the same max_concurrent) and, by target
 * address, each target's health and counters; then it becomes `current` under the lock.
 *
 * Adopting (worker thread, at a safe point: a route lookup, or the worker's tick): a worker compares `current` with
 * its own (one atomic load); on a change it takes the new one (lock, mark it adopted by this worker). A request holds
 * the generation it was routed with from its lookup to its end (its pool), and a transfer from its start to its end,
 * counted per worker without atomics (refs of slot w change only on worker w). A worker that has moved on frees its
 * own parts of an older generation (balancers, kept connections, queue) at its tick once none of its requests holds
 * it — never inside a callback of a transfer that may still return a socket to that pool; the last holder (workers
 * that adopted it, and `current` itself) frees the shared parts. Generations nobody adopted after a newer one came are
 * freed at once by the publisher. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "proxy_internal.h"

typedef struct gen_worker {
    _Alignas(64) long refs;   /* requests and transfers of this worker holding the generation (its thread only) */
    unsigned char adopted;    /* this worker took it (counted in holders) */
    unsigned char released;   /* ... and has let go of it */
} gen_worker_t;

struct cong_proxy_gen {
    unsigned number;
    cong_proxy_upstream_t *upstreams;
    size_t upstream_count;
    cong_proxy_route_t *routes;
    size_t route_count;
    cong_route_entry_t *entries; /* one per route: what the phases read */
    cong_router_t *router;
    int holders;                 /* under gens.lock: `current` (while it is) and each worker that adopted it */
    cong_proxy_gen_t *next;      /* under gens.lock: generations not yet freed */
    gen_worker_t workers[CONG_PROXY_MAX_WORKERS];
};

static struct {
    pthread_mutex_t lock;
    cong_proxy_gen_t *_Atomic current;
    cong_proxy_gen_t *all;                          /* every generation not yet freed, newest first */
    cong_proxy_gen_t *mine[CONG_PROXY_MAX_WORKERS]; /* slot w: worker w's (its thread only) */
    unsigned published;
    size_t module_index;                            /* the module "partners" (gateway.c) */
    const char *module_name;
    size_t over_rows;                               /* routes of the generation being built in the catch-all row */
} gens = {.lock = PTHREAD_MUTEX_INITIALIZER, .module_name = "partners"};

int cong_upstream_routes_bind(size_t catch_all_slot, struct cong_route_entry *const *rows, size_t row_count,
                              const char *module_name, size_t module_index)
{
    pthread_mutex_lock(&gens.lock);
    gens.module_name = module_name;
    gens.module_index = module_index;
    cong_partner_route_rows_reset();
    int rc = cong_partner_route_rows_reserve(catch_all_slot, rows, row_count);
    pthread_mutex_unlock(&gens.lock);
    return rc;
}

static void entry_free(cong_route_entry_t *e)
{
    free(e->method);
    free(e->path);
    free(e->operation_id);
    free(e->rate_limit_class);
    free(e->scopes);
    free(e->scope_list);
}

static void gen_free_shared(cong_proxy_gen_t *g)
{
    for (size_t i = 0; i < g->upstream_count; i++)
        cong_proxy_upstream_free(&g->upstreams[i]);
    for (size_t i = 0; i < g->route_count; i++)
        entry_free(&g->entries[i]);
    cong_router_free(g->router);
    free(g->upstreams);
    free(g->routes);
    free(g->entries);
    free(g);
}

/* What the phases read of a partner route, as a module route would carry it (module_loader.c's). */
static int entry_init(cong_route_entry_t *e, cong_proxy_route_t *route, size_t index)
{
    const cong_partner_route_config_t *c = route->config;
    char operation_id[96];
    snprintf(operation_id, sizeof operation_id, "partner_%s_%zu", c->upstream, index);
    size_t len = 1;
    for (size_t i = 0; i < c->scopes.count; i++)
        len += strlen(c->scopes.items[i]) + 1;
    e->scopes = calloc(1, len);
    e->scope_list = calloc(c->scopes.count + 1, sizeof *e->scope_list);
    for (size_t i = 0; e->scopes != NULL && e->scope_list != NULL && i < c->scopes.count; i++) {
        strcat(strcat(e->scopes, i > 0 ? " " : ""), c->scopes.items[i]);
        e->scope_list[i] = c->scopes.items[i]; /* borrowed: the configuration outlives the generation */
    }
    e->scope_count = c->scopes.count;
    int over = 0;
    e->index = cong_partner_route_row(c->method, c->path, &over); /* under gens.lock (publish) */
    gens.over_rows += (size_t)over;
    e->module_name = gens.module_name;
    e->module_index = gens.module_index;
    e->method = strdup(c->method);
    e->path = strdup(c->path);
    e->operation_id = strdup(operation_id);
    e->rate_limit_class = strdup(c->rate_class);
    e->auth = c->auth == CONG_PARTNER_AUTH_NONE ? CONG_AUTH_NONE : CONG_AUTH_REQUIRED;
    e->min_loa = c->min_level;
    long long body_limit = route->upstream->config->limits.max_request_body_bytes;
    e->max_body_bytes = body_limit > 0 ? body_limit : 1; /* 0 would mean the gateway's default */
    e->mandate_action = c->mandate_action;
    e->handler = cong_proxy_handle;
    e->udata = route;
    return e->scopes && e->scope_list && e->method && e->path && e->operation_id && e->rate_limit_class
               ? 0 : CONG_ENOMEM;
}

static cong_proxy_upstream_t *find_upstream(cong_proxy_gen_t *g, const char *name)
{
    for (size_t i = 0; g != NULL && i < g->upstream_count; i++)
        if (strcmp(g->upstreams[i].config->name, name) == 0)
            return &g->upstreams[i];
    return NULL;
}

static int build_routes(cong_proxy_gen_t *g, const cong_upstreams_config_t *u, const cong_identity_t *identity)
{
    g->routes = calloc(u->route_count + 1, sizeof *g->routes);
    g->entries = calloc(u->route_count + 1, sizeof *g->entries);
    g->router = cong_router_new();
    if (g->routes == NULL || g->entries == NULL || g->router == NULL)
        return CONG_ENOMEM;
    for (size_t i = 0; i < u->route_count; i++, g->route_count++) {
        cong_proxy_route_t *route = &g->routes[i];
        route->config = &u->routes[i];
        route->identity = identity;
        route->gen = g;
        route->upstream = find_upstream(g, u->routes[i].upstream);
        if (route->upstream == NULL) /* the configuration's checks make this impossible */
            return CONG_EINVAL;
        int rc = entry_init(&g->entries[i], route, i);
        if (rc == 0)
            rc = cong_router_add(g->router, g->entries[i].method, g->entries[i].path, &g->entries[i]);
        if (rc != 0)
            return rc;
    }
    return 0;
}

static cong_proxy_gen_t *build(const cong_upstreams_config_t *u, const cong_identity_t *identity,
                               cong_proxy_gen_t *previous)
{
    static const cong_upstreams_config_t none = {0};
    if (u == NULL)
        u = &none;
    size_t size = (sizeof(cong_proxy_gen_t) + 63) / 64 * 64;
    cong_proxy_gen_t *g = aligned_alloc(64, size); /* its per-worker slots are a cache line each */
    if (g == NULL)
        return NULL;
    memset(g, 0, size);
    g->upstreams = calloc(u->count + 1, sizeof *g->upstreams);
    int rc = g->upstreams != NULL ? 0 : CONG_ENOMEM;
    for (size_t i = 0; rc == 0 && i < u->count; i++, g->upstream_count++) {
        g->upstreams[i].gen = g;
        rc = cong_proxy_upstream_init(&g->upstreams[i], &u->items[i], find_upstream(previous, u->items[i].name));
    }
    if (rc == 0)
        rc = build_routes(g, u, identity);
    if (rc != 0) {
        gen_free_shared(g);
        return NULL;
    }
    return g;
}

static void unlink_and_free(cong_proxy_gen_t *g) /* under the lock, holders 0 */
{
    for (cong_proxy_gen_t **p = &gens.all; *p != NULL; p = &(*p)->next)
        if (*p == g) {
            *p = g->next;
            break;
        }
    gen_free_shared(g);
}

int cong_proxy_gen_publish(const cong_upstreams_config_t *u, const cong_identity_t *identity)
{
    pthread_mutex_lock(&gens.lock); /* reading the current generation's health and counters to carry them over */
    cong_proxy_gen_t *previous = atomic_load(&gens.current);
    gens.over_rows = 0;
    cong_proxy_gen_t *g = build(u, identity, previous);
    if (g == NULL) {
        pthread_mutex_unlock(&gens.lock);
        return CONG_ENOMEM;
    }
    g->number = ++gens.published;
    g->holders = 1;
    g->next = gens.all;
    gens.all = g;
    atomic_store_explicit(&gens.current, g, memory_order_release);
    if (gens.over_rows > 0)
        cong_log(CONG_LOG_WARN, "upstream", "%zu partner route(s) count in the catch-all metrics row \"* "
                 "/v1/partners/*\": the %d per-route rows are taken (by every route template seen since the start) "
                 "or their template is over 255 bytes", gens.over_rows, CONG_PARTNER_ROUTE_ROWS);
    if (previous != NULL && --previous->holders == 0)
        unlink_and_free(previous); /* no worker had adopted it */
    pthread_mutex_unlock(&gens.lock);
    return 0;
}

cong_proxy_gen_t *cong_proxy_gen_adopt(int w)
{
    if (w < 0 || w >= CONG_PROXY_MAX_WORKERS)
        return NULL;
    cong_proxy_gen_t *now = atomic_load_explicit(&gens.current, memory_order_acquire);
    if (now == gens.mine[w])
        return now;
    pthread_mutex_lock(&gens.lock);
    now = atomic_load(&gens.current); /* under the lock: it cannot be freed before it counts this worker */
    if (now != NULL && !now->workers[w].adopted) {
        now->workers[w].adopted = 1;
        now->holders++;
    }
    gens.mine[w] = now;
    pthread_mutex_unlock(&gens.lock);
    return now;
}

void cong_proxy_gen_hold(cong_proxy_gen_t *g, int w)
{
    if (g != NULL && w >= 0 && w < CONG_PROXY_MAX_WORKERS)
        g->workers[w].refs++;
}

void cong_proxy_gen_drop(cong_proxy_gen_t *g, int w)
{
    if (g != NULL && w >= 0 && w < CONG_PROXY_MAX_WORKERS)
        g->workers[w].refs--; /* freed at the worker's tick, not here: see the top of this file */
}

void cong_proxy_gen_reclaim(int w)
{
    if (w < 0 || w >= CONG_PROXY_MAX_WORKERS)
        return;
    pthread_mutex_lock(&gens.lock);
    cong_proxy_gen_t *g = gens.all, *next;
    for (; g != NULL; g = next) {
        next = g->next;
        gen_worker_t *gw = &g->workers[w];
        if (g == gens.mine[w] || !gw->adopted || gw->released || gw->refs != 0)
            continue;
        for (size_t i = 0; i < g->upstream_count; i++)
            cong_proxy_upstream_free_worker(&g->upstreams[i], w, 0);
        gw->released = 1;
        if (--g->holders == 0)
            unlink_and_free(g);
    }
    pthread_mutex_unlock(&gens.lock);
}

typedef struct gen_ref {
    cong_proxy_gen_t *g;
    int w;
} gen_ref_t;

static void on_request_pool_dispose(void *p)
{
    gen_ref_t *ref = p;
    cong_proxy_gen_drop(ref->g, ref->w);
}

int cong_upstream_routes_match(cong_worker_t *w, h2o_req_t *req, const char *path, size_t path_len, char *scratch,
                               size_t scratch_len, cong_route_match_t *out)
{
    cong_proxy_gen_t *g = cong_proxy_gen_adopt(w->index);
    if (g == NULL) {
        memset(out, 0, sizeof *out);
        return CONG_ROUTE_NOT_FOUND;
    }
    cong_route_result_t rc = cong_router_match(g->router, req->input.method.base, req->input.method.len, path,
                                               path_len, scratch, scratch_len, out);
    if (rc == CONG_ROUTE_FOUND) { /* the route's entry and runtime stay until the request's pool goes */
        gen_ref_t *ref = h2o_mem_alloc_shared(&req->pool, sizeof *ref, on_request_pool_dispose);
        *ref = (gen_ref_t){g, w->index};
        cong_proxy_gen_hold(g, w->index);
    }
    return rc;
}

void cong_upstream_routes_each(void (*fn)(const cong_route_entry_t *e, void *arg), void *arg)
{
    pthread_mutex_lock(&gens.lock);
    cong_proxy_gen_t *g = atomic_load(&gens.current);
    for (size_t i = 0; g != NULL && i < g->route_count; i++)
        fn(&g->entries[i], arg);
    pthread_mutex_unlock(&gens.lock);
}

size_t cong_proxy_gen_upstream_count(const cong_proxy_gen_t *g)
{
    return g != NULL ? g->upstream_count : 0;
}

cong_proxy_upstream_t *cong_proxy_gen_upstream(cong_proxy_gen_t *g, size_t index)
{
    return g != NULL && index < g->upstream_count ? &g->upstreams[index] : NULL;
}

unsigned cong_proxy_gen_number(const cong_proxy_gen_t *g)
{
    return g != NULL ? g->number : 0;
}

int cong_proxy_gen_with_current(int (*fn)(cong_proxy_gen_t *g, void *arg), void *arg)
{
    pthread_mutex_lock(&gens.lock);
    int rc = fn(atomic_load(&gens.current), arg);
    pthread_mutex_unlock(&gens.lock);
    return rc;
}

void cong_proxy_gens_each_upstream(void (*fn)(cong_proxy_upstream_t *up, void *arg), void *arg)
{
    pthread_mutex_lock(&gens.lock);
    for (cong_proxy_gen_t *g = gens.all; g != NULL; g = g->next)
        for (size_t i = 0; i < g->upstream_count; i++)
            fn(&g->upstreams[i], arg);
    pthread_mutex_unlock(&gens.lock);
}

void cong_proxy_gens_free(void)
{
    pthread_mutex_lock(&gens.lock);
    while (gens.all != NULL) {
        cong_proxy_gen_t *g = gens.all;
        gens.all = g->next;
        for (size_t i = 0; i < g->upstream_count; i++)
            for (int w = 0; w < CONG_PROXY_MAX_WORKERS; w++)
                cong_proxy_upstream_free_worker(&g->upstreams[i], w, 1);
        gen_free_shared(g);
    }
    atomic_store(&gens.current, NULL);
    memset(gens.mine, 0, sizeof gens.mine);
    gens.published = 0;
    pthread_mutex_unlock(&gens.lock);
}

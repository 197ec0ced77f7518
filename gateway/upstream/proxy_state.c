/* The upstreams at run time and their routes (contract in upstream.h; pieces in proxy_internal.h). One set per
 * process, built on the main thread by the partner routes' onload before the workers start, freed at dispose. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/upstream_token.h"
#include "proxy_internal.h"

/* Tokens a worker keeps for reuse (auth/upstream_token.h): enough for the distinct callers of ~half a minute on a
 * busy worker; a full set replaces its oldest, which costs one signature, never a wrong token. */
#define PROXY_TOKEN_CACHE_ENTRIES 4096
/* Easy handles a worker keeps for its next transfers: a new one is a large zeroed allocation and a read buffer, freed
 * again at the end (malloc's churn was a large share of the proxy's CPU); reset, one serves again. Enough to absorb
 * the ups and downs of the requests under way; one more is freed. */
#define PROXY_EASY_POOL 128

typedef struct easy_pool {
    CURL *easy[PROXY_EASY_POOL];
    size_t count;
} easy_pool_t;

static struct {
    cong_upstream_token_cache_t *token_caches[CONG_PROXY_MAX_WORKERS]; /* slot i: worker i's, made on its thread */
    easy_pool_t *easy_pools[CONG_PROXY_MAX_WORKERS];                   /* likewise */
} state;

static int same_address(const cong_upstream_target_config_t *a, const cong_upstream_target_config_t *b)
{
    return a->port == b->port && strcmp(a->host, b->host) == 0;
}

/* A reload keeps what the upstream of the same name knew of each target still there (by host:port): its health and
 * its counters (Prometheus counters do not restart). A target new to it starts healthy, at zero. */
static void carry_over(cong_proxy_upstream_t *up, cong_proxy_upstream_t *previous)
{
    const cong_upstream_config_t *c = up->config, *p = previous->config;
    for (size_t t = 0; t < c->target_count; t++)
        for (size_t o = 0; o < p->target_count; o++) {
            if (!same_address(&c->targets[t], &p->targets[o]))
                continue;
            cong_upstream_health_carry(up->health, t, previous->health, o);
            cong_proxy_target_metrics_t *to = &up->targets[t], *from = &previous->targets[o];
            for (int k = 0; k < CONG_PROXY_OUTCOMES; k++)
                atomic_store(&to->outcomes[k], atomic_load(&from->outcomes[k]));
            atomic_store(&to->latency_ms_sum, atomic_load(&from->latency_ms_sum));
            atomic_store(&to->latency_count, atomic_load(&from->latency_count));
            atomic_store(&to->checks[0], atomic_load(&from->checks[0]));
            atomic_store(&to->checks[1], atomic_load(&from->checks[1]));
            break;
        }
}

int cong_proxy_upstream_init(cong_proxy_upstream_t *up, const cong_upstream_config_t *c,
                             cong_proxy_upstream_t *previous)
{
    up->config = c;
    up->over_h1 = cong_proxy_h1_fits(c);
    up->health = cong_upstream_health_new(c);
    if (previous != NULL) { /* requests still under way there count against the same limit */
        up->breaker = cong_breaker_retain(previous->breaker);
        cong_breaker_set_limits(up->breaker, c->limits.max_concurrent, c->limits.max_queued);
    } else {
        up->breaker = cong_breaker_new(c->limits.max_concurrent, c->limits.max_queued);
    }
    up->budget = cong_retry_budget_new(c->retries.budget_permille, c->retries.min_per_s);
    up->targets = calloc(c->target_count, sizeof *up->targets);
    up->plan_bucket = malloc(strlen("partner:") + strlen(c->partner.name) + 1);
    if (up->plan_bucket != NULL)
        sprintf(up->plan_bucket, "partner:%s", c->partner.name);
    up->plan = (cong_rate_plan_t){.bucket = up->plan_bucket, .per_minute = c->partner.quota_per_minute,
                                  .burst = c->partner.quota_burst, .daily = c->partner.quota_daily};
    if (!(up->health && up->breaker && up->budget && up->targets && up->plan_bucket))
        return CONG_ENOMEM;
    if (previous != NULL)
        carry_over(up, previous);
    return 0;
}

void cong_proxy_upstream_free_worker(cong_proxy_upstream_t *up, int w, int loop_gone)
{
    cong_balancer_free(up->balancers[w]);
    up->balancers[w] = NULL;
    cong_proxy_h1_pools_free_worker(up, w);
    cong_breaker_queue_free(up, w, loop_gone);
}

void cong_proxy_upstream_free(cong_proxy_upstream_t *up)
{
    cong_upstream_health_free(up->health);
    cong_breaker_free(up->breaker);
    cong_retry_budget_free(up->budget);
    free(up->targets);
    free(up->plan_bucket);
}

cong_balancer_t *cong_proxy_balancer(cong_proxy_upstream_t *up, int worker_index)
{
    if (worker_index < 0 || worker_index >= CONG_PROXY_MAX_WORKERS)
        return NULL;
    if (up->balancers[worker_index] == NULL)
        up->balancers[worker_index] = cong_balancer_new(up->config);
    return up->balancers[worker_index];
}

cong_upstream_token_cache_t *cong_proxy_token_cache(int worker_index)
{
    if (worker_index < 0 || worker_index >= CONG_PROXY_MAX_WORKERS)
        return NULL;
    if (state.token_caches[worker_index] == NULL)
        state.token_caches[worker_index] = cong_upstream_token_cache_new(PROXY_TOKEN_CACHE_ENTRIES);
    return state.token_caches[worker_index];
}

CURL *cong_proxy_easy_take(int worker_index)
{
    easy_pool_t *pool = worker_index >= 0 && worker_index < CONG_PROXY_MAX_WORKERS ? state.easy_pools[worker_index]
                                                                                    : NULL;
    if (pool != NULL && pool->count > 0)
        return pool->easy[--pool->count];
    return curl_easy_init();
}

void cong_proxy_easy_give(int worker_index, CURL *easy)
{
    if (easy == NULL)
        return;
    if (worker_index < 0 || worker_index >= CONG_PROXY_MAX_WORKERS) {
        curl_easy_cleanup(easy);
        return;
    }
    easy_pool_t **pool = &state.easy_pools[worker_index];
    if (*pool == NULL)
        *pool = calloc(1, sizeof **pool);
    if (*pool == NULL || (*pool)->count == PROXY_EASY_POOL) {
        curl_easy_cleanup(easy);
        return;
    }
    curl_easy_reset(easy); /* every option back to its default (the connections stay in the worker's multi) */
    (*pool)->easy[(*pool)->count++] = easy;
}

void cong_proxy_count(cong_proxy_upstream_t *up, int target, enum cong_proxy_outcome outcome, uint64_t latency_ms)
{
    if (target < 0 || (size_t)target >= up->config->target_count)
        return;
    cong_proxy_target_metrics_t *m = &up->targets[target];
    atomic_fetch_add_explicit(&m->outcomes[outcome], 1, memory_order_relaxed);
    if (outcome < CONG_PROXY_FAILED) {
        atomic_fetch_add_explicit(&m->latency_ms_sum, latency_ms, memory_order_relaxed);
        atomic_fetch_add_explicit(&m->latency_count, 1, memory_order_relaxed);
    }
}

void cong_upstream_proxy_free(void)
{
    cong_proxy_gens_free();
    for (int w = 0; w < CONG_PROXY_MAX_WORKERS; w++) {
        cong_upstream_token_cache_free(state.token_caches[w]);
        for (size_t i = 0; state.easy_pools[w] != NULL && i < state.easy_pools[w]->count; i++)
            curl_easy_cleanup(state.easy_pools[w]->easy[i]);
        free(state.easy_pools[w]);
    }
    memset(&state, 0, sizeof state);
}

static const char *const outcome_names[CONG_PROXY_OUTCOMES] = {"2xx", "3xx", "4xx", "5xx", "failed", "timeout"};

__attribute__((format(printf, 4, 5)))
static int append(char **buf, size_t *len, size_t *cap, const char *fmt, ...)
{
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(*buf + *len, *cap - *len, fmt, ap);
        va_end(ap);
        if (n < 0)
            return CONG_EIO;
        if ((size_t)n < *cap - *len) {
            *len += (size_t)n;
            return 0;
        }
        char *grown = realloc(*buf, *cap * 2 + (size_t)n);
        if (grown == NULL)
            return CONG_ENOMEM;
        *buf = grown;
        *cap = *cap * 2 + (size_t)n;
    }
}

static const char *const state_names[] = {"healthy", "unhealthy", "ejected"};

/* A target's health: its state now (one line per state, 1 for the one it is in: alerting reads state="unhealthy"),
 * the active checks that passed and failed, and how many ejections its next ejection's doubling counts. */
static int render_health(const cong_proxy_upstream_t *up, size_t t, const char *target, uint64_t now_ms, char **buf,
                         size_t *len, size_t *cap)
{
    const cong_upstream_config_t *c = up->config;
    enum cong_target_state now = cong_upstream_health_state(up->health, t, now_ms);
    int rc = 0;
    for (int s = 0; rc == 0 && s < 3; s++)
        rc = append(buf, len, cap, "cong_upstream_target_state{upstream=\"%s\",target=\"%s\",state=\"%s\"} %d\n",
                    c->name, target, state_names[s], (int)now == s);
    if (rc == 0 && c->health.path[0] != '\0')
        rc = append(buf, len, cap, "cong_upstream_health_checks_total{upstream=\"%s\",target=\"%s\",result=\"pass\"} "
                    "%llu\ncong_upstream_health_checks_total{upstream=\"%s\",target=\"%s\",result=\"fail\"} %llu\n",
                    c->name, target, (unsigned long long)atomic_load(&up->targets[t].checks[1]), c->name, target,
                    (unsigned long long)atomic_load(&up->targets[t].checks[0]));
    if (rc == 0)
        rc = append(buf, len, cap, "cong_upstream_ejection_step{upstream=\"%s\",target=\"%s\"} %u\n", c->name,
                    target, cong_upstream_health_ejections(up->health, t));
    return rc;
}

static int render_upstream(const cong_proxy_upstream_t *up, char **buf, size_t *len, size_t *cap)
{
    const cong_upstream_config_t *c = up->config;
    int rc = 0;
    uint64_t now_ms = uv_hrtime() / 1000000; /* the workers' uv_now runs on the same monotonic clock */
    for (size_t t = 0; rc == 0 && t < c->target_count; t++) {
        const cong_proxy_target_metrics_t *m = &up->targets[t];
        const char *host = c->targets[t].host;
        const char *open = strchr(host, ':') ? "[" : "", *close = strchr(host, ':') ? "]" : "";
        for (int o = 0; rc == 0 && o < CONG_PROXY_OUTCOMES; o++)
            rc = append(buf, len, cap, "cong_upstream_requests_total{upstream=\"%s\",target=\"%s%s%s:%d\",outcome="
                        "\"%s\"} %llu\n", c->name, open, host, close, c->targets[t].port, outcome_names[o],
                        (unsigned long long)atomic_load(&m->outcomes[o]));
        if (rc == 0)
            rc = append(buf, len, cap, "cong_upstream_latency_ms_sum{upstream=\"%s\",target=\"%s%s%s:%d\"} %llu\n"
                        "cong_upstream_latency_ms_count{upstream=\"%s\",target=\"%s%s%s:%d\"} %llu\n", c->name,
                        open, host, close, c->targets[t].port, (unsigned long long)atomic_load(&m->latency_ms_sum),
                        c->name, open, host, close, c->targets[t].port,
                        (unsigned long long)atomic_load(&m->latency_count));
        char target[300];
        snprintf(target, sizeof target, "%s%s%s:%d", open, host, close, c->targets[t].port);
        if (rc == 0)
            rc = render_health(up, t, target, now_ms, buf, len, cap);
    }
    if (rc == 0)
        rc = append(buf, len, cap, "cong_upstream_active{upstream=\"%s\"} %d\ncong_upstream_queued{upstream=\"%s\"} "
                    "%d\n", c->name, cong_breaker_active(up->breaker), c->name, cong_breaker_queued(up->breaker));
    return rc;
}

typedef struct render {
    char *buf;
    size_t len, cap;
} render_t;

/* The current generation's upstreams (a reload's new targets appear, removed ones go). */
static int render_all(cong_proxy_gen_t *g, void *arg)
{
    render_t *out = arg;
    char **buf = &out->buf;
    size_t *len = &out->len, *cap = &out->cap;
    size_t count = cong_proxy_gen_upstream_count(g);
    int rc = 0;
    if (count > 0)
        rc = append(buf, len, cap, "# TYPE cong_upstream_requests_total counter\n"
                    "# TYPE cong_upstream_latency_ms_sum counter\n# TYPE cong_upstream_latency_ms_count counter\n"
                    "# TYPE cong_upstream_active gauge\n# TYPE cong_upstream_queued gauge\n"
                    "# TYPE cong_upstream_target_state gauge\n"
                    "# TYPE cong_upstream_health_checks_total counter\n# TYPE cong_upstream_ejection_step gauge\n");
    for (size_t i = 0; rc == 0 && i < count; i++)
        rc = render_upstream(cong_proxy_gen_upstream(g, i), buf, len, cap);
    return rc;
}

char *cong_upstream_metrics_render(size_t *len)
{
    render_t out = {.cap = 1024};
    *len = 0;
    if ((out.buf = malloc(out.cap)) == NULL)
        return NULL;
    out.buf[0] = '\0';
    if (cong_proxy_gen_with_current(render_all, &out) != 0) {
        free(out.buf);
        return NULL;
    }
    *len = out.len;
    return out.buf;
}

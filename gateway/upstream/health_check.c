/* Active health checks (contract in upstream.h): every health.interval_ms, a GET of health.path on each target of an
 * upstream that names one; a 2xx within health.timeout_ms passes, anything else (connect error, reset, timeout, any
 * other status) fails, and the result goes to the upstream's shared health (cong_upstream_health_check_result), which
 * every worker's balancer reads.
 *
 * Where: ONE worker per process (worker 0) probes, not every worker. The results are shared anyway (health is one
 * per upstream), so W workers probing would only multiply a partner's probe traffic by W and make the thresholds
 * count W interleaved results instead of one target's history. Cost of the choice: a worker 0 stuck on a long
 * request handler delays probes (handlers never block the loop here), and each instance probes on its own (the
 * thresholds are per instance, like Envoy's and NGINX's). The probes are transfers of worker 0's libcurl multi
 * (outbound/http_client.h), set up like the proxy's own (cong_proxy_target_setup: protocol, TLS, mTLS, server name),
 * so a probe sees what a request would. The timers are the module ABI's (the built-in module "partners" owns them).
 *
 * Everything here runs on worker 0's thread; the state is that thread's, built at its start, freed at its stop. */
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "proxy_internal.h"

typedef struct checked_upstream checked_upstream_t;

typedef struct probe {
    cong_http_owner_t owner; /* first: libcurl's private pointer */
    checked_upstream_t *cu;
    int target;
    int attached;
    struct curl_slist *connect_to;
} probe_t;

struct checked_upstream {
    cong_proxy_upstream_t *up;
    cong_timer_id_t timer;
    probe_t *probes; /* one per target: at most one probe under way per target */
};

static struct {
    const cong_api_t *api;
    cong_worker_t *worker;
    checked_upstream_t *items;
    size_t count;
} checker;

static void probe_clear(probe_t *p)
{
    if (p->owner.easy != NULL)
        curl_easy_cleanup(p->owner.easy);
    p->owner.easy = NULL;
    curl_slist_free_all(p->connect_to);
    p->connect_to = NULL;
    p->attached = 0;
}

static void probe_done(cong_http_owner_t *owner, CURLcode code)
{
    probe_t *p = (probe_t *)owner;
    long status = 0;
    if (code == CURLE_OK)
        curl_easy_getinfo(p->owner.easy, CURLINFO_RESPONSE_CODE, &status);
    int ok = code == CURLE_OK && status >= 200 && status < 300;
    cong_proxy_upstream_t *up = p->cu->up;
    atomic_fetch_add_explicit(&up->targets[p->target].checks[ok], 1, memory_order_relaxed);
    cong_upstream_health_check_result(up->health, (size_t)p->target, ok, uv_now(&checker.worker->loop));
    probe_clear(p);
}

static void probe_drop(cong_http_owner_t *owner)
{
    probe_clear((probe_t *)owner); /* the worker is closing: no result */
}

/* The body of a probe's answer is not read: only its status counts. */
static size_t discard(char *data, size_t size, size_t n, void *p)
{
    (void)data, (void)p;
    return size * n;
}

static void probe_start(probe_t *p)
{
    const cong_upstream_config_t *u = p->cu->up->config;
    char url[4096];
    int n = cong_proxy_target_origin(u, p->target, url, sizeof url);
    if (n < 0 || (size_t)n + strlen(u->health.path) >= sizeof url || (p->owner.easy = curl_easy_init()) == NULL)
        return; /* no probe this round: nothing is learnt, nothing is counted */
    strcat(url, u->health.path);
    cong_proxy_target_setup(u, p->target, p->owner.easy, &p->connect_to);
    int connect_ms = u->limits.connect_timeout_ms < u->health.timeout_ms ? u->limits.connect_timeout_ms
                                                                         : u->health.timeout_ms;
    curl_easy_setopt(p->owner.easy, CURLOPT_URL, url);
    curl_easy_setopt(p->owner.easy, CURLOPT_CONNECTTIMEOUT_MS, (long)connect_ms);
    curl_easy_setopt(p->owner.easy, CURLOPT_TIMEOUT_MS, (long)u->health.timeout_ms);
    curl_easy_setopt(p->owner.easy, CURLOPT_USERAGENT, "cong-health-check");
    curl_easy_setopt(p->owner.easy, CURLOPT_WRITEFUNCTION, discard);
    if (cong_http_client_attach(checker.worker, &p->owner) != 0) {
        probe_clear(p);
        return;
    }
    p->attached = 1;
}

static void on_interval(cong_worker_t *w, cong_timer_id_t timer, void *udata)
{
    (void)w, (void)timer;
    checked_upstream_t *cu = udata;
    for (size_t t = 0; t < cu->up->config->target_count; t++)
        if (!cu->probes[t].attached) /* one still under way (timeout < interval, but a slow resolver): skip it */
            probe_start(&cu->probes[t]);
}

static int check_one(checked_upstream_t *cu, cong_proxy_upstream_t *up)
{
    const cong_upstream_config_t *u = up->config;
    cu->up = up;
    cu->probes = calloc(u->target_count, sizeof *cu->probes);
    if (cu->probes == NULL)
        return CONG_ENOMEM;
    for (size_t t = 0; t < u->target_count; t++) {
        cu->probes[t].cu = cu;
        cu->probes[t].target = (int)t;
        cu->probes[t].owner.done = probe_done;
        cu->probes[t].owner.drop = probe_drop;
    }
    /* the first round soon after start (a dead target is found within unhealthy_threshold intervals), then steady */
    return checker.api->timer_start(checker.worker, 10, u->health.interval_ms, on_interval, cu, &cu->timer);
}

void cong_health_checks_start(const cong_api_t *api, cong_worker_t *w, cong_proxy_gen_t *g)
{
    size_t n = cong_proxy_gen_upstream_count(g);
    checker.api = api;
    checker.worker = w;
    checker.items = calloc(n + 1, sizeof *checker.items);
    if (checker.items == NULL) {
        cong_log(CONG_LOG_ERROR, "upstream", "no memory for active health checks: none run");
        return;
    }
    for (size_t i = 0; i < n; i++) {
        cong_proxy_upstream_t *up = cong_proxy_gen_upstream(g, i);
        if (up->config->health.path[0] == '\0')
            continue;
        if (check_one(&checker.items[checker.count++], up) != 0)
            cong_log(CONG_LOG_ERROR, "upstream", "upstream %s: active health checks cannot start", up->config->name);
    }
}

/* `running` (a reload, on worker 0's loop): the timers are stopped and the probes under way taken out of the multi,
 * unheard. Else (after the worker's loop stopped) its timers are stopped and its client's close dropped every probe
 * under way. */
void cong_health_checks_stop(int running)
{
    for (size_t i = 0; i < checker.count; i++) {
        checked_upstream_t *cu = &checker.items[i];
        if (running && cu->timer != 0)
            checker.api->timer_stop(checker.worker, cu->timer);
        for (size_t t = 0; cu->probes != NULL && t < cu->up->config->target_count; t++) {
            if (running && cu->probes[t].attached)
                cong_http_client_detach(checker.worker, &cu->probes[t].owner);
            if (running || !cu->probes[t].attached)
                probe_clear(&cu->probes[t]);
        }
        free(cu->probes);
    }
    free(checker.items);
    memset(&checker, 0, sizeof checker);
}

/*
 * gateway/upstream/proxy_internal.h — (internal to gateway/upstream/) the proxy's pieces: the runtime of each
 * upstream (proxy_state.c), the request it sends (proxy_request.c), the transfer (proxy.c), its routes
 * (proxy_routes.c). The contract is upstream.h.
 */
#ifndef CONG_UPSTREAM_PROXY_INTERNAL_H
#define CONG_UPSTREAM_PROXY_INTERNAL_H

#include <curl/curl.h>
#include <stdatomic.h>

#include "gateway/http/http.h"
#include "gateway/limits/limits.h"
#include "gateway/outbound/outbound.h"
#include "upstream.h"

#define CONG_PROXY_MAX_WORKERS 256

/* Outcomes counted per target in /metrics. */
enum cong_proxy_outcome {
    CONG_PROXY_2XX, CONG_PROXY_3XX, CONG_PROXY_4XX, CONG_PROXY_5XX, CONG_PROXY_FAILED, CONG_PROXY_TIMEOUT,
    CONG_PROXY_OUTCOMES
};

typedef struct cong_proxy_target_metrics {
    _Atomic uint64_t outcomes[CONG_PROXY_OUTCOMES];
    _Atomic uint64_t latency_ms_sum, latency_count; /* to the response's headers */
    _Atomic uint64_t checks[2];                     /* active health checks: [0] failed, [1] passed */
} cong_proxy_target_metrics_t;

/* One upstream at run time: what every worker shares, and each worker's balancer. Built at start from the
 * configuration (kept by pointer: the gateway's configuration outlives it); read-only but for its atomics. */
typedef struct cong_proxy_upstream {
    const cong_upstream_config_t *config;
    cong_upstream_health_t *health;
    cong_breaker_t *breaker;
    cong_retry_budget_t *budget;
    cong_balancer_t *balancers[CONG_PROXY_MAX_WORKERS]; /* slot i: worker i's, made on its thread at first use */
    cong_proxy_target_metrics_t *targets;               /* config->target_count */
    cong_rate_plan_t plan;  /* the partner's quota (partner.quota); per_minute and daily 0: none */
    char *plan_bucket;      /* owned: "partner:<name>", the plan's bucket */
} cong_proxy_upstream_t;

/* One partner route: the handler's udata. */
typedef struct cong_proxy_route {
    const cong_partner_route_config_t *config;
    cong_proxy_upstream_t *upstream;
    const cong_identity_t *identity; /* cong as an issuer (signs the upstream's token); NULL: none configured */
} cong_proxy_route_t;

/* proxy_state.c: the process's upstreams and routes (built by the routes' onload, freed by cong_upstream_proxy_free). */
int cong_proxy_state_init(const cong_upstreams_config_t *u, const cong_identity_t *identity);
cong_proxy_route_t *cong_proxy_state_route(size_t index);
cong_balancer_t *cong_proxy_balancer(cong_proxy_upstream_t *up, int worker_index);
/* Worker `worker_index`'s cache of minted upstream tokens (made at its first use, on its thread; NULL when out of
 * memory: the token is then minted each time). Freed by cong_upstream_proxy_free. */
struct cong_upstream_token_cache *cong_proxy_token_cache(int worker_index);
/* An easy handle for one of worker `worker_index`'s attempts: one it used before (reset: default options), else a
 * new one; NULL when out of memory. Give it back (out of the multi) when the attempt is over: it is reset and kept
 * for the worker's next, or freed when the worker keeps enough. Worker thread only; freed by cong_upstream_proxy_free. */
CURL *cong_proxy_easy_take(int worker_index);
void cong_proxy_easy_give(int worker_index, CURL *easy);
void cong_proxy_count(cong_proxy_upstream_t *up, int target, enum cong_proxy_outcome outcome, uint64_t latency_ms);

/* proxy_request.c: the easy handle of one attempt, set up for `target` (URL, protocol, TLS, timeouts, the headers
 * the upstream gets). `*headers` and `*connect_to` are lists to free after the transfer (NULL when none).
 * 0, CONG_ENOMEM, CONG_ETOOBIG (the URL), CONG_EIO (no token). */
int cong_proxy_request_setup(cong_req_t *r, const cong_proxy_route_t *route, int target, int64_t remaining_ms,
                             CURL *easy, struct curl_slist **headers, struct curl_slist **connect_to);
/** The target's "scheme://host:port" (no path) into url; its length, or CONG_ETOOBIG. */
int cong_proxy_target_origin(const cong_upstream_config_t *u, int target, char *url, size_t cap);
/** What every transfer to the target shares: protocols, connect timeout, HTTP version, TLS (CA, client certificate,
 *  server name: `*connect_to`, to free after the transfer, NULL when none). The health checks use it too. */
void cong_proxy_target_setup(const cong_upstream_config_t *u, int target, CURL *easy, struct curl_slist **connect_to);
/** 1 when a response header must not be passed to the client (hop-by-hop, or one h2o sets itself). */
int cong_proxy_response_header_dropped(const char *name, size_t len);

/* proxy_state.c: the upstreams, for the health checker. */
size_t cong_proxy_state_upstream_count(void);
cong_proxy_upstream_t *cong_proxy_state_upstream(size_t index);

/* health_check.c: active health checks, on ONE worker's loop (worker 0), for every upstream with a health.path.
 * Started by the partners module's worker hook on that worker (its timers through the module ABI), probes attached
 * to that worker's libcurl multi; stopped with the worker (timers stopped, probes dropped by the client's close). */
void cong_health_checks_start(const struct cong_api *api, cong_worker_t *w);
void cong_health_checks_stop(void);

/* partner_quota.c: the route's handler — the partner's quota first, then the proxy. */
void cong_proxy_handle(cong_req_t *r, void *udata);

/* proxy.c: the request sent to the upstream and its answer streamed back (once the quota let it go). */
void cong_proxy_forward(cong_req_t *r, const cong_proxy_route_t *route);

#endif

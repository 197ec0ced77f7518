/*
 * gateway/gateway.h — the gateway's process-wide state and its worker threads.
 *
 * The folder's public face: `cong_gateway_t` is built once at start (config, router, modules, keys, OpenAPI document:
 * that one swapped whole at each reload, openapi_doc.c), is read-only while workers run, and is shared by every
 * worker. Each worker owns one libuv loop, one h2o context, one Redis connection and one PostgreSQL pool; a request
 * and all its callbacks stay on its worker's thread.
 *
 * The host is built of rooms, each a folder whose contract header says what it owns, what it offers, its threading and
 * ownership rules and which rooms it may use. A file outside a room includes only that contract header (within a room,
 * files include their siblings; tests/unit/<room>/ may include its internals); tests/house/layering.py checks it,
 * and that stores/, config/ and outbound/ never include host/, authn/ or limits/:
 *   http/http.h          the server (h2o listeners), per-request state and replies, the route lookup (once) and the
 *                        body limit, the pipeline and its phases, the router, request hooks (response filters, access
 *                        log, metrics), problems (RFC 9457), metrics, the client's address, streamed replies
 *   authn/authn.h        bearer tokens at the gateway: authenticate and authorize phases, the token cache, session
 *                        revocations
 *   limits/limits.h      rate limits: GCRA in Redis, leases, the rate-limit phase
 *   stores/stores.h      Redis, PostgreSQL (pool, cancel, results), the revocation subscriber, the body store,
 *                        migrations
 *   host/host.h          the module host: loader, the ABI table (include/cong/module.h) and its members'
 *                        implementations (identity services, worker hooks and timers, module commands, the subject
 *                        secret), built-in modules, jobs, system routes, document keys
 *   outbound/outbound.h  HTTP calls out of cong (libcurl's multi interface on each worker's loop; a blocking call for
 *                        jobs)
 *   config/config.h      configuration: one file per feature's keys, the core that reads YAML and the environment,
 *                        production policy, live (reloadable) settings
 *   upstream/upstream.h  partners' upstream services: balancing, target health, circuit breaking, retry budget,
 *                        deadlines (the decisions; the proxy that sends is the next step)
 *   common/common.h      (beside gateway/) error codes, the log, what every room shares
 * This folder itself is the process room, and this file its contract: the shared state every room reads (below), the
 * exit statuses (exit_status.h), and gateway.c (build, serve, dispose), reload.c (SIGHUP), main.c (the command line).
 * This file takes the http/ headers of the types it holds (metrics, request hooks, route, router) directly, not
 * http/http.h: http.h includes this file first, for request.h and pipeline.h build on cong_worker_t.
 */
#ifndef CONG_GATEWAY_H
#define CONG_GATEWAY_H

#include <h2o.h>
#include <pthread.h>
#include <stdatomic.h>
#include <signal.h>
#include <stdint.h>

#include "auth/auth.h"
#include "auth/identity.h"
#include "cong/module.h"
#include "gateway/config/config.h"
#include "gateway/exit_status.h"
#include "gateway/http/metrics.h"
#include "gateway/http/request_hooks.h"
#include "gateway/stores/stores.h"
#include "gateway/http/route.h"
#include "gateway/http/router.h"

typedef struct cong_module_entry cong_module_entry_t;
typedef struct cong_gateway cong_gateway_t;

typedef struct cong_worker {
    cong_gateway_t *gateway;
    int index;
    pthread_t thread;
    uv_loop_t loop;
    h2o_context_t h2o;             /* its h2o context (one per loop) */
    h2o_accept_ctx_t accept_tls, accept_h2c, accept_admin;
    uv_tcp_t *listeners[3];        /* TLS, h2c, admin (worker 0 only) */
    const struct cong_live_config *live; /* the reloadable settings this worker uses now (live_config.h) */
    cong_redis_t *redis;
    cong_pg_pool_t *pg;
    cong_worker_metrics_t *metrics; /* owned by gateway->metrics */
    struct cong_token_cache *tokens; /* verified tokens and revoked sessions of this worker */
    struct cong_redis_subscriber *revocations; /* revocations from every instance (revocation.h) */
    int revocation_catch_up_pending;
    uv_timer_t tick;                /* watches the shutdown flag */
    uint64_t shutdown_deadline_ms;  /* 0 while running */
    uint64_t rng[2];                /* request-id generator state */
    int started;                    /* listeners bound */
    unsigned abuse_lines_this_tick;   /* HTTP/2 abuse log lines written in this tick */
    unsigned long abuse_lines_suppressed;
    struct cong_req *spare_requests; /* freed request states kept for reuse (request.c), this thread only */
    unsigned spare_request_count;
    struct cong_http_client *http_client; /* outbound HTTP (http_client.h), made at the first call; NULL before */
} cong_worker_t;

struct cong_gateway {
    cong_config_t *config;               /* borrowed */
    const char *config_path;             /* for error lines ("-" when none) */
    cong_router_t *router;
    cong_route_entry_t **routes;         /* registration order; index = metrics slot */
    size_t route_count;
    cong_module_entry_t **modules;
    size_t module_count;
    cong_jwt_key_t *auth_key;            /* NULL when auth.public_key_file is empty */
    cong_identity_t identity;            /* cong as an issuer; valid when has_identity */
    int has_identity;
    cong_auth_settings_t auth_settings;  /* what modules read of it (module_api_identity.c); filled when first asked */
    struct cong_document_keys *documents; /* the keys that sign documents (document_keys.h); NULL until start */
    struct cong_jobs *jobs;              /* periodic jobs (jobs.h), or NULL */
    struct cong_openapi_doc *openapi;    /* served at /openapi.json: only through openapi_doc.c's functions */
    struct cong_docs *docs;              /* the /docs page and its renderer (host/docs_page.h); NULL when disabled */
    cong_metrics_t *metrics;
    unsigned allowed_methods_count;
    int access_log_fd;                   /* -1: no access log */
    cong_request_hooks_t request_hooks;  /* start, reply and end of every request (request_hooks.h) */
    cong_handler_fn streamed_body_handler; /* routes with this handler (the partner proxy's) get their request bodies
                                              streamed (route_lookup.h, h2o patch 0009); NULL: none */
    h2o_globalconf_t h2o_config;
    h2o_hostconf_t *public_hosts[2];     /* NULL-terminated host lists of the listeners: a public request can never */
    h2o_hostconf_t *admin_hosts[2];      /* reach the admin host, whatever its :authority says */
    struct cong_tls *tls;                /* the TLS listener's context, rebuilt at SIGHUP (http/tls.h); NULL: none */
    int worker_count;
    int pg_pool_size;                    /* postgres.pool_size, or sized to the machine when that is 0 (postgres.h) */
    cong_worker_t *workers;
    volatile sig_atomic_t stop_requested;
    struct cong_live_config *_Atomic live; /* the newest reloadable settings; workers adopt it at their tick */
    unsigned reloads;                    /* accepted reloads (main thread only) */
    /* Set when a module listens for ended sessions (host/module_sessions.h), else NULL; called by authn on each
     * worker for each revocation it applies. */
    void (*session_ended)(cong_worker_t *w, const char *session_id);
    /* The partner routes (upstream/upstream.h, cong_upstream_routes_match): every path under /v1/partners/ is looked
     * up here, not in `router`, for they change at SIGHUP. Set at start (gateway.c); NULL: such paths go to `router`. */
    int (*partner_routes)(cong_worker_t *w, h2o_req_t *req, const char *path, size_t path_len, char *scratch,
                          size_t scratch_len, cong_route_match_t *out); /* a cong_route_result_t */
};

/** Build the gateway from a validated config: modules, router, keys, OpenAPI. Errors go to `errs`. 0 or CONG_E*. */
int cong_gateway_init(cong_gateway_t *gw, cong_config_t *config, cong_config_errors_t *errs);
/* openapi_doc.c: the document served at /openapi.json (openapi/cong.yaml with the partners' fragments), built at
 * start and at each reload that passed every check, swapped whole; a reader never sees a freed or half-built one. */
typedef struct cong_openapi_doc cong_openapi_doc_t;
/** Main thread: the document from server.openapi_file (as started) with `upstreams`' fragments merged. 0 with *out
 *  (NULL when no document is configured; the caller's: swap or release it), else an error with a FILE:LINE line
 *  appended to errs per problem (a fragment unreadable or broken, a path already documented) and *out NULL. */
int cong_openapi_doc_build(const cong_gateway_t *gw, const struct cong_upstreams_config *upstreams,
                           cong_openapi_doc_t **out, cong_config_errors_t *errs);
/** Main thread: `d` (built above, or NULL) becomes the document served; the previous one is freed once the last
 *  response sending it is done. */
void cong_openapi_doc_swap(cong_gateway_t *gw, cong_openapi_doc_t *d);
void cong_openapi_doc_release(cong_openapi_doc_t *d);
/** Any thread: the JSON text of the current document (NULL: none), kept until `pool` (a request's) is freed. */
const char *cong_openapi_doc_hold(cong_gateway_t *gw, h2o_mem_pool_t *pool, size_t *len);
int cong_openapi_doc_present(cong_gateway_t *gw);

/** Start workers, serve until SIGINT/SIGTERM (SIGHUP reloads, see live_config.h), shut down gracefully. Returns 0 on a
 *  clean exit. */
int cong_gateway_serve(cong_gateway_t *gw);
void cong_gateway_dispose(cong_gateway_t *gw);
/** SIGHUP's work, on the main thread: read the configuration again and publish what may change (reload.c). Returns 0
 *  when the new configuration was adopted, else CONG_E* with its errors logged and the old one kept. */
int cong_gateway_reload(cong_gateway_t *gw);

/** The worker that owns an h2o context. */
static inline cong_worker_t *cong_worker_of(h2o_context_t *ctx)
{
    return H2O_STRUCT_FROM_MEMBER(cong_worker_t, h2o, ctx);
}

#endif

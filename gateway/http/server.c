/* The server: worker threads, each with its own libuv loop, h2o context, SO_REUSEPORT listeners (TLS with ALPN h2 +
 * http/1.1, and cleartext h2c prior knowledge / HTTP/1.1), one Redis connection and one PostgreSQL pool.
 * Signals only set a flag; each worker's tick sees it and shuts down gracefully (stop accepting, GOAWAY, let in-flight
 * requests finish until the deadline). */
#include <arpa/inet.h>
#include <errno.h>
#include <malloc.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "gateway/gateway.h"

#include <time.h>

#include <h2o/http2.h>
#include "gateway/config/config.h"
#include "common/common.h"
#include "gateway/host/host.h"
#include "access_log.h"
#include "admission.h"
#include "body_limit.h"
#include "gateway/outbound/outbound.h"
#include "pipeline.h"
#include "gateway/stores/stores.h"
#include "gateway/upstream/upstream.h"
#include "request.h"
#include "request_metrics.h"
#include "response_filters.h"
#include "route_lookup.h"
#include "server.h"
#include "gateway/authn/authn.h"
#include "stream_reply.h"
#include "tls.h"

#define CONG_BODY_SPILL_BYTES (2 * 1024 * 1024)

#ifndef H2O_CONG_ABUSE_PATCH
#error "cong needs its patched h2o: scripts/build-h2o.sh + cmake/h2o.cmake"
#endif

#define TICK_MS 50
#define ABUSE_LOG_LINES_PER_TICK 2 /* about 40 lines a second per worker; the rest are counted */
#define PG_MAX_QUEUE 1024
#define TOKEN_CACHE_ENTRIES 4096

static cong_gateway_t *the_gateway; /* for the signal handler only */
static volatile sig_atomic_t reload_requested;

static void on_signal(int sig)
{
    if (sig == SIGHUP)
        reload_requested = 1;
    else if (the_gateway != NULL)
        the_gateway->stop_requested = 1;
}

/* h2o (patched) sheds an abusive connection: HTTP/2 GOAWAY ENHANCE_YOUR_CALM or a stalled peer, or (HTTP/1.1 too) a
 * client below the minimum transfer rates (patch 0006). One log line per connection with its peer address — bounded
 * per tick, so a reconnecting attacker cannot flood the log. */
static void on_h2_abuse(h2o_conn_t *conn, const char *reason)
{
    cong_worker_t *w = cong_worker_of(conn->ctx);
    if (w->abuse_lines_this_tick >= ABUSE_LOG_LINES_PER_TICK) {
        w->abuse_lines_suppressed++;
        return;
    }
    w->abuse_lines_this_tick++;
    struct sockaddr_storage ss;
    char host[64] = "?";
    socklen_t len = conn->callbacks->get_peername(conn, (struct sockaddr *)&ss);
    if (len > 0)
        h2o_socket_getnumerichost((struct sockaddr *)&ss, len, host);
    const char *protocol = conn->callbacks->log_.http1.request_index != NULL ? "http1" : "http2";
    cong_log(CONG_LOG_WARN, "server", "%s: closing the connection from %s: %s", protocol, host, reason);
}

static int serve_request(h2o_req_t *req, int admin_listener)
{
    cong_worker_t *w = cong_worker_of(req->conn->ctx);
    cong_req_t *r = cong_req_new(w, req);
    if (r == NULL) {
        h2o_send_error_503(req, "Service Unavailable", "", 0);
        return 0;
    }
    r->admin_listener = admin_listener;
    cong_pipeline_start(r);
    return 0;
}

static int on_req(h2o_handler_t *self, h2o_req_t *req)
{
    (void)self;
    return serve_request(req, 0);
}

static int on_admin_req(h2o_handler_t *self, h2o_req_t *req)
{
    (void)self;
    return serve_request(req, 1);
}

/* The public listeners share their port between workers (SO_REUSEPORT); the admin listener belongs to worker 0 alone,
 * so a second process started on the same admin port fails loudly instead of silently splitting /metrics. */
static int open_listener(cong_worker_t *w, int slot, const char *bind_addr, int port, h2o_accept_ctx_t *accept_ctx)
{
    int reuse_port = slot != 2;
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    if (inet_pton(AF_INET, bind_addr, &addr.sin_addr) != 1) {
        cong_log(CONG_LOG_ERROR, "server", "server.bind %s is not an IPv4 address", bind_addr);
        return CONG_EINVAL;
    }
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), on = 1;
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) != 0 ||
        (reuse_port && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof on) != 0) ||
        bind(fd, (struct sockaddr *)&addr, sizeof addr) != 0 || listen(fd, 1024) != 0) {
        cong_log(CONG_LOG_ERROR, "server", "cannot listen on %s:%d: %s", bind_addr, port, strerror(errno));
        if (fd >= 0)
            close(fd);
        return CONG_EIO;
    }
    uv_tcp_t *listener = malloc(sizeof *listener);
    if (listener == NULL) {
        close(fd);
        return CONG_ENOMEM;
    }
    uv_tcp_init(&w->loop, listener);
    uv_tcp_open(listener, fd);
    listener->data = accept_ctx;
    if (uv_listen((uv_stream_t *)listener, 1024, cong_admission_on_accept) != 0) { /* admission.h: per address */
        uv_close((uv_handle_t *)listener, (uv_close_cb)free);
        return CONG_EIO;
    }
    w->listeners[slot] = listener;
    return 0;
}

static int h2o_connections_open(cong_worker_t *w)
{
    return !h2o_linklist_is_empty(&w->h2o.http1._conns) || !h2o_linklist_is_empty(&w->h2o.http2._conns);
}

static void update_store_gauges(cong_worker_t *w)
{
    atomic_store_explicit(&w->metrics->redis_up, cong_redis_is_up(w->redis), memory_order_relaxed);
    atomic_store_explicit(&w->metrics->pg_up, cong_pg_pool_up(w->pg), memory_order_relaxed);
    atomic_store_explicit(&w->metrics->redis_disconnects, cong_redis_disconnects(w->redis), memory_order_relaxed);
    atomic_store_explicit(&w->metrics->pg_shed, cong_pg_pool_shed(w->pg), memory_order_relaxed);
    if (w->revocations != NULL) {
        atomic_store_explicit(&w->metrics->revocations_subscribed, cong_redis_subscriber_is_up(w->revocations),
                              memory_order_relaxed);
        atomic_store_explicit(&w->metrics->revocations_resubscribed, cong_redis_subscriber_drops(w->revocations),
                              memory_order_relaxed);
    }
    atomic_store_explicit(&w->metrics->http2_calm_closes, w->h2o.http2.events.calm_closes, memory_order_relaxed);
    atomic_store_explicit(&w->metrics->http2_stall_closes, w->h2o.http2.events.stall_closes, memory_order_relaxed);
    atomic_store_explicit(&w->metrics->slow_response_closes, w->h2o.min_rate.events.response_closes,
                          memory_order_relaxed);
    atomic_store_explicit(&w->metrics->slow_request_body_closes, w->h2o.min_rate.events.request_body_closes,
                          memory_order_relaxed);
    if (w->abuse_lines_suppressed > 0) {
        cong_log(CONG_LOG_WARN, "server", "%lu more abusive connection(s) closed (log lines suppressed)",
                 w->abuse_lines_suppressed);
        w->abuse_lines_suppressed = 0;
    }
    w->abuse_lines_this_tick = 0;
}

static void begin_shutdown(cong_worker_t *w)
{
    for (int i = 0; i < 3; i++) {
        if (w->listeners[i] != NULL) {
            uv_close((uv_handle_t *)w->listeners[i], (uv_close_cb)free);
            w->listeners[i] = NULL;
        }
    }
    w->shutdown_deadline_ms = uv_now(&w->loop) + (uint64_t)w->gateway->config->server.shutdown_timeout_ms;
    h2o_context_request_shutdown(&w->h2o); /* HTTP/2: GOAWAY; HTTP/1.1: close idle keep-alive connections */
    cong_streams_shutdown();               /* streamed replies end now rather than at the deadline */
}

static void on_tick(uv_timer_t *t)
{
    cong_worker_t *w = t->data;
    w->live = atomic_load_explicit(&w->gateway->live, memory_order_acquire); /* a reload, between two callbacks */
    if (w->gateway->tls != NULL)
        cong_tls_adopt(w->gateway->tls, &w->accept_tls.ssl_ctx); /* new connections only; open ones keep theirs */
    update_store_gauges(w);
    cong_revocation_tick(w);
    if (!w->gateway->stop_requested)
        return;
    if (w->shutdown_deadline_ms == 0) {
        begin_shutdown(w);
        return;
    }
    int64_t in_flight = atomic_load_explicit(&w->metrics->in_flight, memory_order_relaxed);
    int done = in_flight == 0 && !h2o_connections_open(w);
    if (done || uv_now(&w->loop) >= w->shutdown_deadline_ms) {
        if (!done)
            cong_log(CONG_LOG_WARN, "server", "worker %d: shutdown deadline reached with %lld request(s) in flight",
                     w->index, (long long)in_flight);
        uv_timer_stop(t);
        uv_stop(&w->loop);
    }
}

static void *worker_main(void *arg)
{
    cong_worker_t *w = arg;
    cong_gateway_t *gw = w->gateway;
    const cong_config_t *cfg = gw->config;
    cong_req_thread_init(w);
    w->redis = cong_redis_new(&w->loop, cfg->redis.host, cfg->redis.port, cfg->redis.password, cfg->redis.timeout_ms);
    w->pg = cong_pg_pool_new(&w->loop, cfg->postgres.conninfo, gw->pg_pool_size, cfg->postgres.timeout_ms,
                             PG_MAX_QUEUE);
    if (w->pg != NULL)
        cong_pg_pool_set_wait_bound(w->pg, cfg->postgres.queue_wait_ms);
    if (cong_revocation_start(w) != 0)
        cong_log(CONG_LOG_ERROR, "server", "worker %d: cannot follow session revocations", w->index);
    uv_timer_init(&w->loop, &w->tick);
    w->tick.data = w;
    uv_timer_start(&w->tick, on_tick, TICK_MS, TICK_MS);
    if (cong_worker_hooks_start(w) != 0) /* modules' on_init: before the first request */
        cong_log(CONG_LOG_ERROR, "server", "worker %d: no memory for modules' timers", w->index);
    cong_module_channels_start(w); /* after on_init: a channel's first call (subscribed) finds the module ready */
    uv_run(&w->loop, UV_RUN_DEFAULT);
    /* Stopped: modules' timers first, release the stores (their callbacks fail what is left), let handles close,
     * then modules' dispose hooks, and leave. */
    cong_worker_timers_stop(w);
    cong_module_channels_stop(w);
    cong_revocation_stop(w);
    cong_redis_close(w->redis);
    cong_pg_pool_close(w->pg);
    cong_http_client_close(w);
    cong_upstream_worker_stop(w); /* the partner proxy's kept connections */
    uv_close((uv_handle_t *)&w->tick, NULL);
    for (int i = 0; i < 20 && uv_run(&w->loop, UV_RUN_NOWAIT) != 0; i++)
        ;
    cong_worker_hooks_dispose(w);
    cong_req_free_spares(w);
    SSL_CTX_free(w->accept_tls.ssl_ctx);
    w->accept_tls.ssl_ctx = NULL;
    return NULL;
}

/* Response headers whose value changes with every response (the request id; the rate-limit counters, which count
 * down): HPACK sends them without indexing (h2o patch 0005), so they neither cost a table insertion each nor evict
 * the stable headers from the client's table. RateLimit-Limit stays indexed: it is the same for a route class.
 * Process-wide, registered once. */
static void register_unindexed_headers(void)
{
    static const char *const names[] = {"x-request-id", "ratelimit-remaining", "ratelimit-reset"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        (void)h2o_hpack_add_unindexed_name(names[i], strlen(names[i]));
}

/* The partner routes are not in the gateway's router (a reload swaps them: upstream.h), so their body limits count
 * here, as the start-time generation has them; a reload that raises one above the largest stays held to it. */
static void largest_partner_limit(const cong_route_entry_t *e, void *arg)
{
    size_t *max = arg;
    if (e->max_body_bytes > 0 && (size_t)e->max_body_bytes > *max)
        *max = (size_t)e->max_body_bytes;
}

static size_t largest_body_limit(const cong_gateway_t *gw)
{
    size_t max = cong_body_limit_largest(gw);
    cong_upstream_routes_each(largest_partner_limit, &max);
    return max;
}

void cong_server_configure_h2o(cong_gateway_t *gw)
{
    static pthread_once_t unindexed_once = PTHREAD_ONCE_INIT;
    pthread_once(&unindexed_once, register_unindexed_headers);
    const cong_config_t *cfg = gw->config;
    h2o_globalconf_t *g = &gw->h2o_config;
    h2o_config_init(g);
    g->server_name = h2o_iovec_init(H2O_STRLIT("cong"));
    g->max_request_entity_size = largest_body_limit(gw) + CONG_BODY_SLACK_BYTES; /* HTTP/1.1: body_limit.h */
    g->http2.max_request_body = cong_route_lookup_body_limit; /* each HTTP/2 request: its own (patch 0004) */
    g->http2.stream_request_body = cong_route_lookup_streams_body; /* partner routes' bodies (patch 0009) */
    /* h2o buffers request bodies; past this size a buffer moves to an unlinked temporary file mapped MAP_SHARED, so a
     * large upload lives in the page cache (written back to disk), not in the process's anonymous memory. */
    h2o_socket_buffer_mmap_settings.threshold = CONG_BODY_SPILL_BYTES;
    g->http1.req_timeout = (uint64_t)cfg->server.idle_timeout_ms;
    g->http2.idle_timeout = (uint64_t)cfg->server.idle_timeout_ms;
    g->http2.graceful_shutdown_timeout = (uint64_t)cfg->server.shutdown_timeout_ms;
    g->http2.max_concurrent_requests_per_connection = (size_t)cfg->server.max_concurrent_streams;
    g->http2.reset_budget_burst = (unsigned)cfg->server.http2_reset_burst;
    g->http2.reset_budget_per_second = (unsigned)cfg->server.http2_reset_per_second;
    g->http2.on_abuse = on_h2_abuse;
    /* h2o's HTTP/1 client (the partner proxy's plain HTTP/1.1 upstreams, upstream/proxy_h1.c) times I/O out after
     * this; the proxy keeps its own deadlines (connect, first byte, total ≤ 1 h): this one only backs them up. */
    g->proxy.io_timeout = CONG_UPSTREAM_TOTAL_TIMEOUT_MAX_MS + 60000;
    g->min_rate.window = (uint64_t)cfg->limits.min_transfer_rate_window_ms; /* slow clients (patch 0006) */
    g->min_rate.response_bytes = (size_t)cfg->limits.min_response_rate_bytes;
    g->min_rate.request_body_bytes = (size_t)cfg->limits.min_request_body_rate_bytes;
    h2o_hostconf_t *host = h2o_config_register_host(g, h2o_iovec_init(H2O_STRLIT("default")), 65535);
    h2o_pathconf_t *path = h2o_config_register_path(host, "/", 0);
    h2o_create_handler(path, sizeof(h2o_handler_t))->on_req = on_req;
    h2o_hostconf_t *admin = h2o_config_register_host(g, h2o_iovec_init(H2O_STRLIT("admin")), 65535);
    h2o_create_handler(h2o_config_register_path(admin, "/", 0), sizeof(h2o_handler_t))->on_req = on_admin_req;
    gw->public_hosts[0] = host;
    gw->admin_hosts[0] = admin;
}

/* What the http room runs around every request, in order: metrics (in flight, which graceful shutdown waits on),
 * response filters in each reply, the access log at the end. Another room's hook (an audit record) is added the same
 * way before the workers start. */
void cong_server_register_request_hooks(cong_gateway_t *gw)
{
    cong_request_hooks_t *hooks = &gw->request_hooks;
    cong_request_hooks_add(hooks, &cong_request_metrics_hook);
    cong_request_hooks_add(hooks, &cong_response_filters_hook);
    cong_request_hooks_add(hooks, &cong_access_log_hook);
}

static int start_worker(cong_gateway_t *gw, int i)
{
    cong_worker_t *w = &gw->workers[i];
    const cong_config_t *cfg = gw->config;
    w->gateway = gw;
    w->index = i;
    w->live = atomic_load(&gw->live);
    w->metrics = cong_metrics_worker(gw->metrics, i);
    w->tokens = cong_token_cache_new(TOKEN_CACHE_ENTRIES);
    if (w->tokens == NULL)
        return CONG_ENOMEM;
    uv_loop_init(&w->loop);
    h2o_context_init(&w->h2o, &w->loop, &gw->h2o_config);
    if (RAND_bytes((unsigned char *)w->rng, sizeof w->rng) != 1)
        return CONG_EIO;
    w->rng[0] |= 1;
    int proxy_line = cfg->server.proxy_protocol;
    w->accept_tls = (h2o_accept_ctx_t){.ctx = &w->h2o, .hosts = gw->public_hosts, .expect_proxy_line = proxy_line};
    if (gw->tls != NULL)
        cong_tls_adopt(gw->tls, &w->accept_tls.ssl_ctx);
    w->accept_h2c = (h2o_accept_ctx_t){.ctx = &w->h2o, .hosts = gw->public_hosts, .expect_proxy_line = proxy_line};
    w->accept_admin = (h2o_accept_ctx_t){.ctx = &w->h2o, .hosts = gw->admin_hosts};
    if (cfg->server.tls_port > 0 && open_listener(w, 0, cfg->server.bind, cfg->server.tls_port, &w->accept_tls) != 0)
        return CONG_EIO;
    if (cfg->server.h2c_port > 0 && open_listener(w, 1, cfg->server.bind, cfg->server.h2c_port, &w->accept_h2c) != 0)
        return CONG_EIO;
    if (i == 0 && cfg->server.admin_port > 0 &&
        open_listener(w, 2, cfg->server.admin_bind, cfg->server.admin_port, &w->accept_admin) != 0)
        return CONG_EIO;
    w->started = 1;
    return pthread_create(&w->thread, NULL, worker_main, w) == 0 ? 0 : CONG_EIO;
}

int cong_gateway_serve(cong_gateway_t *gw)
{
    const cong_config_t *cfg = gw->config;
    /* glibc returns freed memory to the kernel too eagerly under TLS load (page-fault storms in sysmalloc). */
    mallopt(M_TRIM_THRESHOLD, 64 * 1024 * 1024);
    mallopt(M_TOP_PAD, 16 * 1024 * 1024);
    signal(SIGPIPE, SIG_IGN);
    the_gateway = gw;
    struct sigaction sa = {.sa_handler = on_signal};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);

    cong_live_config_t *live = cong_live_config_new(cfg, 0, 0);
    if (live == NULL)
        return CONG_ENOMEM;
    atomic_store(&gw->live, live);
    cong_server_register_request_hooks(gw);
    cong_server_configure_h2o(gw);
    if (cfg->server.tls_port > 0 && (gw->tls = cong_tls_new(cfg)) == NULL)
        return CONG_EIO;
    gw->worker_count = cfg->server.workers > 0 ? cfg->server.workers : (int)sysconf(_SC_NPROCESSORS_ONLN);
    if (gw->worker_count < 1)
        gw->worker_count = 1;
    gw->pg_pool_size = cfg->postgres.pool_size > 0
                           ? cfg->postgres.pool_size
                           : cong_pg_pool_size_for_machine((int)sysconf(_SC_NPROCESSORS_ONLN), gw->worker_count);
    const char **methods = calloc(gw->route_count + 1, sizeof *methods);
    const char **templates = calloc(gw->route_count + 1, sizeof *templates);
    const char **module_names = calloc(gw->module_count + 1, sizeof *module_names);
    const char **module_versions = calloc(gw->module_count + 1, sizeof *module_versions);
    gw->workers = calloc((size_t)gw->worker_count, sizeof *gw->workers);
    if (methods == NULL || templates == NULL || module_names == NULL || module_versions == NULL || gw->workers == NULL)
        return CONG_ENOMEM;
    for (size_t i = 0; i < gw->route_count; i++) {
        methods[i] = gw->routes[i]->method;
        templates[i] = gw->routes[i]->path;
    }
    for (size_t i = 0; i < gw->module_count; i++) {
        module_names[i] = gw->modules[i]->name;
        module_versions[i] = cong_module_version(gw->modules[i]);
    }
    cong_metrics_labels_t labels = {gw->route_count, methods, templates, gw->module_count, module_names,
                                    gw->pg_pool_size, module_versions};
    gw->metrics = cong_metrics_new(&labels, gw->worker_count);
    if (gw->metrics == NULL)
        return CONG_ENOMEM;

    int rc = cong_admission_start(gw);
    for (int i = 0; i < gw->worker_count && rc == 0; i++)
        rc = start_worker(gw, i);
    if (rc == 0)
        cong_log(CONG_LOG_INFO, "server", "serving with %d worker(s): TLS %s:%d, h2c %s:%d, admin %s:%d (%s)",
                 gw->worker_count, cfg->server.bind, cfg->server.tls_port, cfg->server.bind, cfg->server.h2c_port,
                 cfg->server.admin_bind, cfg->server.admin_port, cfg->server.environment);
    else
        gw->stop_requested = 1;
    /* The main thread only waits, and does what signals ask that must not run on a worker's loop. */
    while (!gw->stop_requested) {
        if (reload_requested) {
            reload_requested = 0;
            cong_gateway_reload(gw);
            if (gw->tls != NULL)
                cong_tls_reload(gw->tls); /* the certificate, key, OCSP response and ticket keys, read again */
        }
        nanosleep(&(struct timespec){.tv_nsec = 50 * 1000000}, NULL);
    }
    for (int i = 0; i < gw->worker_count; i++) {
        if (gw->workers[i].started)
            pthread_join(gw->workers[i].thread, NULL);
        cong_token_cache_free(gw->workers[i].tokens);
    }
    cong_admission_stop();
    cong_tls_free(gw->tls);
    gw->tls = NULL;
    cong_log(CONG_LOG_INFO, "server", "stopped");
    free(methods);
    free(templates);
    free(module_names);
    free(module_versions);
    return rc;
}

/*
 * tests/unit/http/fake_request.h — a gateway, a worker and h2o requests small enough for unit tests of the pipeline
 * and its phases: no socket, no loop, no store. The request is a real h2o_req_t (h2o_init_request, its own pool);
 * a reply goes through h2o's own response calls to a final ostream that records it, and disposing the request
 * (h2o_dispose_request, as h2o does when a stream ends or its client leaves) runs the end hooks.
 *
 * Header-only, for the tests of the rooms whose code runs in the pipeline (http, limits, authn). The rate limiter is
 * left to each test (cong_rate_limiter); nothing here talks to Redis or PostgreSQL.
 */
#ifndef CONG_TESTS_FAKE_REQUEST_H
#define CONG_TESTS_FAKE_REQUEST_H

#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <h2o.h>

#include "gateway/config/live_config.h"
#include "gateway/gateway.h"
#include "gateway/host/module_loader.h"
#include "gateway/http/pipeline.h"
#include "gateway/http/request.h"
#include "gateway/http/route_lookup.h"

#define FAKE_ROUTES_MAX 8

typedef struct fake_gateway {
    cong_gateway_t gw;
    cong_config_t config;
    cong_worker_t worker;
    cong_module_entry_t module, system;
    cong_route_entry_t routes[FAKE_ROUTES_MAX];
    cong_route_entry_t *route_list[FAKE_ROUTES_MAX];
    h2o_pathconf_t pathconf; /* no filters: a reply goes straight to the request's final ostream */
} fake_gateway_t;

typedef struct fake_request {
    h2o_conn_t conn;
    h2o_req_t req;
    h2o_ostream_t final;
    int finals;      /* final chunks the ostream was given: 1 per reply */
    char body[8192]; /* what it was given, NUL-terminated */
    size_t body_len;
} fake_request_t;

/* A gateway with the default configuration, no route and no request hook; one worker. */
static inline void fake_gateway_init(fake_gateway_t *fg)
{
    memset(fg, 0, sizeof *fg);
    if (cong_config_defaults(&fg->config) != 0)
        abort();
    fg->gw.config = &fg->config;
    fg->gw.config_path = "-";
    fg->gw.router = cong_router_new();
    fg->gw.routes = fg->route_list;
    fg->gw.access_log_fd = -1;
    fg->module = (cong_module_entry_t){.index = 0, .name = (char *)"test"};
    fg->system = (cong_module_entry_t){.index = 1, .name = (char *)"system"};
    fg->worker.gateway = &fg->gw;
    fg->worker.live = cong_live_config_new(&fg->config, 0, 0);
    fg->worker.rng[0] = 0x9e3779b97f4a7c15ull;
    fg->worker.rng[1] = 0xbf58476d1ce4e5b9ull;
    if (fg->gw.router == NULL || fg->worker.live == NULL)
        abort();
}

static inline void fake_gateway_free(fake_gateway_t *fg)
{
    cong_router_free(fg->gw.router);
    cong_live_config_free_chain((cong_live_config_t *)fg->worker.live);
    cong_req_free_spares(&fg->worker);
    cong_config_free(&fg->config);
}

/* A public route of module "test" (or "system") with no scope, in the "default" rate-limit class. */
static inline cong_route_entry_t *fake_route(fake_gateway_t *fg, const char *method, const char *path,
                                      long long max_body_bytes, cong_handler_fn handler, int system)
{
    size_t i = fg->gw.route_count;
    if (i == FAKE_ROUTES_MAX)
        abort();
    cong_route_entry_t *e = &fg->routes[i];
    *e = (cong_route_entry_t){.index = i, .module_name = system ? fg->system.name : fg->module.name,
                              .module_index = system ? fg->system.index : fg->module.index, .module_is_host = system,
                              .method = (char *)method,
                              .path = (char *)path, .rate_limit_class = (char *)"default", .scopes = (char *)"",
                              .auth = CONG_AUTH_NONE, .max_body_bytes = max_body_bytes, .handler = handler};
    if (cong_router_add(fg->gw.router, method, path, e) != 0)
        abort();
    fg->route_list[i] = e;
    fg->gw.route_count++;
    return e;
}

static inline socklen_t fake_peername(h2o_conn_t *conn, struct sockaddr *sa)
{
    (void)conn;
    struct sockaddr_in *in = (struct sockaddr_in *)sa;
    memset(in, 0, sizeof *in);
    in->sin_family = AF_INET;
    in->sin_addr.s_addr = htonl(0x7f000001);
    return sizeof *in;
}

static const h2o_conn_callbacks_t fake_conn_callbacks = {.get_peername = fake_peername};

static inline void fake_do_send(h2o_ostream_t *self, h2o_req_t *req, h2o_iovec_t *bufs, size_t bufcnt,
                         h2o_send_state_t state)
{
    (void)req;
    fake_request_t *fr = H2O_STRUCT_FROM_MEMBER(fake_request_t, final, self);
    for (size_t i = 0; i < bufcnt; i++) {
        size_t n = bufs[i].len < sizeof fr->body - 1 - fr->body_len ? bufs[i].len : sizeof fr->body - 1 - fr->body_len;
        memcpy(fr->body + fr->body_len, bufs[i].base, n);
        fr->body_len += n;
        fr->body[fr->body_len] = '\0';
    }
    if (!h2o_send_state_is_in_progress(state))
        fr->finals++;
}

/* An HTTP/2 request as h2o hands it over: `path` may carry a query; on the public listener unless `admin`. */
static inline void fake_request_init(fake_request_t *fr, fake_gateway_t *fg, const char *method, const char *path,
                                     int admin)
{
    memset(fr, 0, sizeof *fr);
    fr->conn.ctx = &fg->worker.h2o;
    fr->conn.hosts = admin ? fg->gw.admin_hosts : fg->gw.public_hosts;
    fr->conn.callbacks = &fake_conn_callbacks;
    h2o_init_request(&fr->req, &fr->conn, NULL);
    h2o_req_t *req = &fr->req;
    req->input.scheme = req->scheme = &H2O_URL_SCHEME_HTTP;
    req->input.method = req->method = h2o_iovec_init(method, strlen(method));
    req->input.path = req->path = h2o_iovec_init(path, strlen(path));
    const char *query = strchr(path, '?');
    req->input.query_at = req->query_at = query != NULL ? (size_t)(query - path) : SIZE_MAX;
    req->version = 0x200;
    req->pathconf = &fg->pathconf;
    fr->final.do_send = fake_do_send;
    req->_ostr_top = &fr->final;
}

static inline void fake_header(fake_request_t *fr, const char *name, const char *value)
{
    h2o_add_header_by_str(&fr->req.pool, &fr->req.headers, name, strlen(name), 1, NULL, value, strlen(value));
}

static inline void fake_body(fake_request_t *fr, size_t len)
{
    char *body = h2o_mem_alloc_pool(&fr->req.pool, len + 1);
    memset(body, 'x', len);
    fr->req.entity = h2o_iovec_init(body, len);
}

/* A response header's value (the last one by that name), or NULL. */
static inline const char *fake_response_header(fake_request_t *fr, const char *name)
{
    static char value[512];
    ssize_t found = -1;
    for (ssize_t i = -1; (i = h2o_find_header_by_str(&fr->req.res.headers, name, strlen(name), i)) >= 0;)
        found = i;
    if (found < 0)
        return NULL;
    h2o_iovec_t v = fr->req.res.headers.entries[found].value;
    snprintf(value, sizeof value, "%.*s", (int)v.len, v.base);
    return value;
}

/* How many response headers have that name. */
static inline size_t fake_response_header_count(fake_request_t *fr, const char *name)
{
    size_t n = 0;
    for (ssize_t i = -1; (i = h2o_find_header_by_str(&fr->req.res.headers, name, strlen(name), i)) >= 0;)
        n++;
    return n;
}

/* h2o is done with the request (its reply went out, or its client left): the pool goes, the end hooks run. */
static inline void fake_request_end(fake_request_t *fr)
{
    h2o_dispose_request(&fr->req);
}

#endif

/* tools/portal_standin/http.c — replies now or later, the request log line, routing (see http.h). */
#include "http.h"

#include "handlers.h"

#include "cong/module.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LOG_PATH_MAX 200

typedef struct route {
    const char *path;
    int prefix; /* 1: path is a prefix, the rest goes to the handler; 0: exact */
    const char *method;
    void (*serve)(ps_app_t *app, h2o_req_t *req, h2o_iovec_t rest);
} route_t;

static const route_t routes[] = {
    {"/api/v1/dossiers/", 1, "PUT", ps_serve_put_version},
    {"/api/v1/received", 0, "GET", ps_serve_received},
    {"/api/v1/received/", 1, "GET", ps_serve_received},
    {"/control/mode", 0, "POST", ps_serve_mode},
    {"/control/reset", 0, "POST", ps_serve_reset},
    {"/healthz", 0, "GET", ps_serve_healthz},
};

static size_t path_length(const h2o_req_t *req)
{
    return req->query_at != SIZE_MAX && req->query_at < req->path.len ? req->query_at : req->path.len;
}

/* One line per request on stderr; the path is cut at the query and made printable. */
static void log_request(const h2o_req_t *req, int status)
{
    char path[LOG_PATH_MAX + 1];
    size_t n = path_length(req);
    if (n > LOG_PATH_MAX)
        n = LOG_PATH_MAX;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)req->path.base[i];
        path[i] = c > 0x20 && c < 0x7f ? (char)c : '?';
    }
    path[n] = '\0';
    int mlen = req->method.len < 16 ? (int)req->method.len : 16;
    fprintf(stderr, "portal-standin: %.*s %s %d\n", mlen, req->method.base, path, status);
}

static const char *reason(int status)
{
    switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return status < 400 ? "OK" : "Internal Server Error";
    }
}

void ps_header(h2o_req_t *req, const char *name, const char *value)
{
    h2o_iovec_t n = h2o_strdup(&req->pool, name, strlen(name));
    h2o_iovec_t v = h2o_strdup(&req->pool, value, strlen(value));
    h2o_add_header_by_str(&req->pool, &req->res.headers, n.base, n.len, 1, NULL, v.base, v.len);
}

void ps_reply(h2o_req_t *req, int status, const char *content_type, const char *body, size_t len)
{
    req->res.status = status;
    req->res.reason = reason(status);
    if (content_type)
        ps_header(req, "content-type", content_type);
    log_request(req, status);
    req->res.content_length = len;
    h2o_send_inline(req, len ? body : "", len); /* copies the body */
}

void ps_reply_json(h2o_req_t *req, int status, json_t *body)
{
    char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    json_decref(body);
    if (!text) {
        ps_reply(req, 503, "text/plain", "out of memory\n", 14);
        return;
    }
    ps_reply(req, status, "application/json", text, strlen(text));
    free(text);
}

void ps_reply_error(h2o_req_t *req, int status, const char *error)
{
    ps_reply_json(req, status, json_pack("{s:s}", "error", error));
}

/* A reply waiting for its timer. The request's pool holds a guard pointing here; when h2o disposes of the request
 * first (client gone), the guard clears `req`, and the timer only frees. When the timer fires first, it clears the
 * guard before replying, so the later disposal does not touch this freed struct. */
typedef struct later {
    uv_timer_t timer;
    h2o_req_t *req;
    struct later **guard;
    int status;
    json_t *body;
} later_t;

static void on_request_disposed(void *p)
{
    later_t **guard = p;
    if (*guard)
        (*guard)->req = NULL;
}

static void free_later(uv_handle_t *h)
{
    later_t *l = h->data;
    json_decref(l->body);
    free(l);
}

static void on_later(uv_timer_t *t)
{
    later_t *l = t->data;
    if (l->req) {
        *l->guard = NULL;
        json_t *body = l->body;
        l->body = NULL;
        ps_reply_json(l->req, l->status, body);
    }
    uv_close((uv_handle_t *)&l->timer, free_later);
}

int ps_reply_json_later(ps_app_t *app, h2o_req_t *req, int status, json_t *body, int delay_ms)
{
    later_t *l = calloc(1, sizeof *l);
    if (!l) {
        json_decref(body);
        ps_reply_error(req, 503, "out of memory");
        return CONG_ENOMEM;
    }
    l->req = req;
    l->status = status;
    l->body = body;
    l->guard = h2o_mem_alloc_shared(&req->pool, sizeof *l->guard, on_request_disposed);
    *l->guard = l;
    uv_timer_init(app->loop, &l->timer);
    l->timer.data = l;
    uv_timer_start(&l->timer, on_later, delay_ms > 0 ? (uint64_t)delay_ms : 0, 0);
    return CONG_OK;
}

int ps_method_is(const h2o_req_t *req, const char *method)
{
    return h2o_memis(req->method.base, req->method.len, method, strlen(method));
}

void ps_dispatch(ps_app_t *app, h2o_req_t *req)
{
    size_t n = path_length(req);
    char allow[32] = "";
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
        const route_t *r = &routes[i];
        size_t plen = strlen(r->path);
        int match = r->prefix ? n > plen && memcmp(req->path.base, r->path, plen) == 0
                              : h2o_memis(req->path.base, n, r->path, plen);
        if (!match)
            continue;
        if (ps_method_is(req, r->method)) {
            r->serve(app, req, h2o_iovec_init(req->path.base + plen, n - plen));
            return;
        }
        snprintf(allow + strlen(allow), sizeof allow - strlen(allow), "%s%s", allow[0] ? ", " : "", r->method);
    }
    if (allow[0]) {
        ps_header(req, "allow", allow);
        ps_reply_error(req, 405, "method not allowed");
        return;
    }
    ps_reply_error(req, 404, "not found");
}

/* tools/portal_standin/http.c — the request log line, error and delayed replies, routing (see http.h). */
#include "http.h"

#include "handlers.h"

#include "cong/module.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

void ps_log_request(int method_len, const char *method, const char *path, int status)
{
    fprintf(stderr, "portal-standin: %.*s %s %d\n", method_len, method, path, status);
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
        standin_reply_json(l->req, l->status, body);
    }
    uv_close((uv_handle_t *)&l->timer, free_later);
}

int ps_reply_json_later(ps_app_t *app, h2o_req_t *req, int status, json_t *body, int delay_ms)
{
    later_t *l = calloc(1, sizeof *l);
    if (!l) {
        json_decref(body);
        standin_reply_error(req, 503, "out of memory");
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

void ps_dispatch(ps_app_t *app, h2o_req_t *req)
{
    size_t n = standin_path_length(req);
    char allow[32] = "";
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
        const route_t *r = &routes[i];
        size_t plen = strlen(r->path);
        int match = r->prefix ? n > plen && memcmp(req->path.base, r->path, plen) == 0
                              : h2o_memis(req->path.base, n, r->path, plen);
        if (!match)
            continue;
        if (standin_method_is(req, r->method)) {
            r->serve(app, req, h2o_iovec_init(req->path.base + plen, n - plen));
            return;
        }
        snprintf(allow + strlen(allow), sizeof allow - strlen(allow), "%s%s", allow[0] ? ", " : "", r->method);
    }
    if (allow[0]) {
        standin_header(req, "allow", allow);
        standin_reply_error(req, 405, "method not allowed");
        return;
    }
    standin_reply_error(req, 404, "not found");
}

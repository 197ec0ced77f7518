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

/* A reply waiting for its time (standin_hold.h); it owns body until sent or dropped. */
typedef struct later {
    int status;
    json_t *body;
} later_t;

static void on_later(void *data, h2o_req_t *req)
{
    later_t *l = data;
    if (req)
        standin_reply_json(req, l->status, l->body);
    else
        json_decref(l->body);
    free(l);
}

int ps_reply_json_later(ps_app_t *app, h2o_req_t *req, int status, json_t *body, int delay_ms)
{
    later_t *l = malloc(sizeof *l);
    if (l) {
        *l = (later_t){.status = status, .body = body};
        if (standin_hold(app->loop, req, delay_ms > 0 ? (uint64_t)delay_ms : 0, on_later, l) == 0)
            return CONG_OK;
        free(l);
    }
    json_decref(body);
    standin_reply_error(req, 503, "out of memory");
    return CONG_ENOMEM;
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

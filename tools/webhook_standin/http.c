/* tools/webhook_standin/http.c — routing, the log line, the control token, held answers (see http.h). */
#include "http.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct route {
    standin_route_t route; /* first: standin_route hands it back */
    void (*serve)(wh_app_t *app, h2o_req_t *req);
} route_t;

static const route_t control_routes[] = {
    {{"/control/deliveries", "GET"}, wh_serve_deliveries},
    {{"/control/behaviour", "GET, POST"}, wh_serve_behaviour},
    {{"/control/reset", "POST"}, wh_serve_reset},
    {{"/control/reload-secrets", "POST"}, wh_serve_reload_secrets},
};

void wh_log_request(int method_len, const char *method, const char *path, int status)
{
    fprintf(stderr, "webhook-standin: %.*s %s %d\n", method_len, method, path, status);
}

static void serve_control(wh_app_t *app, h2o_req_t *req)
{
    const size_t n = sizeof control_routes / sizeof control_routes[0];
    const route_t *r = (const route_t *)standin_route(req, control_routes, n, sizeof control_routes[0],
                                                      app->config.control_token, STANDIN_TOKEN_THEN_METHOD);
    if (r)
        r->serve(app, req);
}

void wh_dispatch(wh_app_t *app, h2o_req_t *req)
{
    size_t n = standin_path_length(req);
    if (n >= 9 && memcmp(req->path.base, "/control/", 9) == 0) {
        serve_control(app, req);
    } else if (h2o_memis(req->path.base, n, H2O_STRLIT("/healthz"))) {
        standin_reply(req, 200, "text/plain", "ok\n", 3);
    } else if (!standin_method_is(req, "POST")) {
        standin_header(req, "allow", "POST");
        standin_reply_error(req, 405, "webhooks are delivered with POST");
    } else {
        wh_serve_delivery(app, req);
    }
}

/* A request held by stall or slow. The request's pool holds a guard pointing here; when h2o disposes of the request
 * first (the sender gone), the guard clears `req` and the timer only notes the abandon and frees. When the timer fires
 * first, it clears the guard before answering, so the later disposal does not touch this freed struct. */
typedef struct held {
    uv_timer_t timer;
    wh_app_t *app;
    h2o_req_t *req;
    struct held **guard;
    json_t *entry;
    int arg;
    void (*answer)(wh_app_t *app, h2o_req_t *req, json_t *entry, int arg);
} held_t;

static void on_request_disposed(void *p)
{
    held_t **guard = p;
    if (*guard)
        (*guard)->req = NULL;
}

static void on_held_timeout(uv_timer_t *t)
{
    held_t *h = t->data;
    h->app->held--;
    if (h->req) {
        *h->guard = NULL;
        h->answer(h->app, h->req, h->entry, h->arg);
    } else if (h->entry) {
        wh_record_answered(h->entry, 0);
    }
    json_decref(h->entry);
    uv_close((uv_handle_t *)&h->timer, (uv_close_cb)free);
}

void wh_hold(wh_app_t *app, h2o_req_t *req, int delay_ms, json_t *entry, int arg,
             void (*answer)(wh_app_t *app, h2o_req_t *req, json_t *entry, int arg))
{
    held_t *h = calloc(1, sizeof *h);
    if (!h) {
        answer(app, req, entry, arg);
        return;
    }
    *h = (held_t){.app = app, .req = req, .entry = json_incref(entry), .arg = arg, .answer = answer};
    app->held++;
    h->guard = h2o_mem_alloc_shared(&req->pool, sizeof *h->guard, on_request_disposed);
    *h->guard = h;
    uv_timer_init(app->loop, &h->timer);
    h->timer.data = h;
    uv_timer_start(&h->timer, on_held_timeout, (uint64_t)delay_ms, 0);
}

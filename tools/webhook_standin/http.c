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

/* A request held by stall or slow (standin_hold.h). It holds a reference to entry for the wait. */
typedef struct held {
    wh_app_t *app;
    json_t *entry;
    int arg;
    void (*answer)(wh_app_t *app, h2o_req_t *req, json_t *entry, int arg);
} held_t;

/* The end of the hold: the answer, or, when the sender left meanwhile, the entry noted abandoned. */
static void on_held(void *data, h2o_req_t *req)
{
    held_t *h = data;
    h->app->held--;
    if (req)
        h->answer(h->app, req, h->entry, h->arg);
    else if (h->entry)
        wh_record_answered(h->entry, 0);
    json_decref(h->entry);
    free(h);
}

void wh_hold(wh_app_t *app, h2o_req_t *req, int delay_ms, json_t *entry, int arg,
             void (*answer)(wh_app_t *app, h2o_req_t *req, json_t *entry, int arg))
{
    held_t *h = malloc(sizeof *h);
    if (h) {
        *h = (held_t){.app = app, .entry = json_incref(entry), .arg = arg, .answer = answer};
        if (standin_hold(app->loop, req, (uint64_t)delay_ms, on_held, h) == 0) {
            app->held++;
            return;
        }
        json_decref(h->entry);
        free(h);
    }
    answer(app, req, entry, arg);
}

/* tools/apns_standin/http.c — routing, the log line, the HTTP/1 refusal, held replies (see http.h). */
#include "http.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEVICE_PREFIX "/3/device/"
#define LOGGED_TOKEN_DIGITS 8

typedef struct route {
    standin_route_t route; /* first: standin_route hands it back */
    void (*serve)(apns_app_t *app, h2o_req_t *req);
} route_t;

static const route_t control_routes[] = {
    {{"/control/mode", "POST"}, apns_serve_mode},
    {{"/control/devices", "POST"}, apns_serve_devices},
    {{"/control/notifications", "GET"}, apns_serve_notifications},
    {{"/control/stats", "GET"}, apns_serve_stats},
    {{"/control/reset", "POST"}, apns_serve_reset},
};

void apns_log_request(int method_len, const char *method, const char *path, int status)
{
    /* Any other path may carry a device token (/3/device/<token>, or a mistyped /3/devices/<token>): cut it. */
    int ours = strncmp(path, "/control/", 9) == 0 || strcmp(path, "/healthz") == 0;
    int keep = (int)strlen(DEVICE_PREFIX) + LOGGED_TOKEN_DIGITS;
    if (!ours && (int)strlen(path) > keep)
        fprintf(stderr, "apns-standin: %.*s %.*s... %d\n", method_len, method, keep, path, status);
    else
        fprintf(stderr, "apns-standin: %.*s %s %d\n", method_len, method, path, status);
}

static void serve_control(apns_app_t *app, h2o_req_t *req)
{
    const size_t n = sizeof control_routes / sizeof control_routes[0];
    const route_t *r = (const route_t *)standin_route(req, control_routes, n, sizeof control_routes[0],
                                                      app->config.control_token, STANDIN_TOKEN_THEN_METHOD);
    if (r)
        r->serve(app, req);
}

/* APNs speaks HTTP/2 only. A request over HTTP/1.x (TLS without ALPN h2, or cleartext without the preface) gets 505
 * and the connection is closed. Written here rather than through standin_reply for the right reason phrase. */
static void refuse_http1(h2o_req_t *req)
{
    static const char body[] = "{\"error\":\"APNs speaks HTTP/2 only\"}";
    req->res.status = 505;
    req->res.reason = "HTTP Version Not Supported";
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL, H2O_STRLIT("application/json"));
    req->http1_is_persistent = 0;
    apns_log_request(req->method.len < 16 ? (int)req->method.len : 16, req->method.base, "(HTTP/1.x refused)", 505);
    req->res.content_length = sizeof body - 1;
    h2o_send_inline(req, body, sizeof body - 1);
}

/* The end of a hold by the delay mode (standin_hold.h): the push is served unless the client left meanwhile. */
static void on_held(void *data, h2o_req_t *req)
{
    apns_app_t *app = data;
    app->held--;
    if (req)
        apns_serve_push(app, req);
}

static void hold_then_serve(apns_app_t *app, h2o_req_t *req, int delay_ms)
{
    if (standin_hold(app->loop, req, (uint64_t)delay_ms, on_held, app) != 0) {
        apns_serve_push(app, req);
        return;
    }
    app->held++;
}

void apns_dispatch(apns_app_t *app, h2o_req_t *req)
{
    size_t n = standin_path_length(req);
    if (n >= 9 && memcmp(req->path.base, "/control/", 9) == 0) {
        serve_control(app, req);
    } else if (h2o_memis(req->path.base, n, H2O_STRLIT("/healthz"))) {
        standin_reply(req, 200, "text/plain", "ok\n", 3);
    } else if (req->version < 0x200) {
        refuse_http1(req);
    } else if (app->mode.delay_ms > 0) {
        hold_then_serve(app, req, app->mode.delay_ms);
    } else {
        apns_serve_push(app, req);
    }
}

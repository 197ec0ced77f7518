/* tools/webhook_standin/http.c — routing, the log line, the control token, held answers (see http.h). */
#include "http.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

typedef struct route {
    const char *path;
    const char *method;
    void (*serve)(wh_app_t *app, h2o_req_t *req);
} route_t;

static const route_t control_routes[] = {
    {"/control/deliveries", "GET", wh_serve_deliveries},
    {"/control/behaviour", "POST", wh_serve_behaviour}, /* GET too: see serve_control */
    {"/control/reset", "POST", wh_serve_reset},
    {"/control/reload-secrets", "POST", wh_serve_reload_secrets},
};

void wh_log_request(int method_len, const char *method, const char *path, int status)
{
    fprintf(stderr, "webhook-standin: %.*s %s %d\n", method_len, method, path, status);
}

void wh_reply_error(h2o_req_t *req, int status, const char *text)
{
    standin_reply_json(req, status, json_pack("{s:s}", "error", text));
}

h2o_iovec_t wh_query(const h2o_req_t *req)
{
    size_t n = standin_path_length(req);
    if (n >= req->path.len)
        return h2o_iovec_init("", 0);
    return h2o_iovec_init(req->path.base + n + 1, req->path.len - n - 1);
}

int64_t wh_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* "authorization: Bearer <the control token>", compared in constant time (over SHA-256s: no length leaks). */
static int control_authorized(const wh_app_t *app, const h2o_req_t *req)
{
    const char *token = app->config.control_token;
    if (!token[0])
        return 1;
    ssize_t i = h2o_find_header(&req->headers, H2O_TOKEN_AUTHORIZATION, -1);
    if (i < 0)
        return 0;
    h2o_iovec_t v = req->headers.entries[i].value;
    if (v.len < 7 || strncasecmp(v.base, "Bearer ", 7) != 0)
        return 0;
    unsigned char given[SHA256_DIGEST_LENGTH], expected[SHA256_DIGEST_LENGTH];
    SHA256((const unsigned char *)v.base + 7, v.len - 7, given);
    SHA256((const unsigned char *)token, strlen(token), expected);
    return CRYPTO_memcmp(given, expected, sizeof given) == 0;
}

static void serve_control(wh_app_t *app, h2o_req_t *req)
{
    size_t n = standin_path_length(req);
    for (size_t i = 0; i < sizeof control_routes / sizeof control_routes[0]; i++) {
        const route_t *r = &control_routes[i];
        if (!h2o_memis(req->path.base, n, r->path, strlen(r->path)))
            continue;
        int get_behaviour = r->serve == wh_serve_behaviour && standin_method_is(req, "GET");
        if (!control_authorized(app, req)) {
            standin_header(req, "www-authenticate", "Bearer");
            wh_reply_error(req, 401, "the control endpoints need authorization: Bearer <control token>");
        } else if (!standin_method_is(req, r->method) && !get_behaviour) {
            standin_header(req, "allow", r->serve == wh_serve_behaviour ? "GET, POST" : r->method);
            wh_reply_error(req, 405, "method not allowed");
        } else {
            r->serve(app, req);
        }
        return;
    }
    wh_reply_error(req, 404, "not found");
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
        wh_reply_error(req, 405, "webhooks are delivered with POST");
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

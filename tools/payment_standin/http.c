/* tools/payment_standin/http.c — the request log line, error pages, held replies, routing (see http.h). */
#include "http.h"

#include "handlers.h"
#include "vnp_sign.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct route {
    const char *path;
    const char *method; /* the only one accepted */
    void (*serve)(pay_app_t *app, h2o_req_t *req);
} route_t;

static const route_t routes[] = {
    {"/paymentv2/vpcpay.html", "GET", pay_serve_payment_page},
    {"/paymentv2/choose", "POST", pay_serve_choose},
    {"/merchant_webapi/api/transaction", "POST", pay_serve_merchant_api},
    {"/control/mode", "POST", pay_serve_mode},
    {"/control/pay", "POST", pay_serve_control_pay},
    {"/control/ipn/resend", "POST", pay_serve_ipn_resend},
    {"/control/ipn-log", "GET", pay_serve_ipn_log},
    {"/control/transactions", "GET", pay_serve_transactions},
    {"/control/statement", "GET", pay_serve_statement},
    {"/healthz", "GET", pay_serve_healthz},
};

void pay_log_request(int method_len, const char *method, const char *path, int status)
{
    fprintf(stderr, "payment-standin: %.*s %s %d\n", method_len, method, path, status);
}

void pay_reply_error(h2o_req_t *req, int status, const char *error)
{
    standin_reply_json(req, status, json_pack("{s:s}", "error", error));
}

void pay_reply_error_page(h2o_req_t *req, const char *code, const char *vi, const char *en)
{
    standin_buf_t b = {0};
    standin_buf_add(&b,
                "<!doctype html>\n<html lang=\"vi\"><head><meta charset=\"utf-8\"><title>VNPAY - Thông báo lỗi</title>"
                "</head>\n<body><h1>Thông báo / Notification</h1>\n<p>Mã lỗi / Error code: <span id=\"error-code\">");
    standin_buf_add_html(&b, code);
    standin_buf_add(&b, "</span></p>\n<p lang=\"vi\">");
    standin_buf_add_html(&b, vi);
    standin_buf_add(&b, "</p>\n<p lang=\"en\">");
    standin_buf_add_html(&b, en);
    standin_buf_add(&b, "</p>\n</body></html>\n");
    standin_header(req, "cache-control", "no-store");
    if (b.failed)
        standin_reply_text(req, 503, "out of memory\n");
    else
        standin_reply(req, 400, "text/html; charset=utf-8", b.data, b.len);
    standin_buf_free(&b);
}

/* A held request. The request's pool holds a guard pointing here; when h2o disposes of the request first (client
 * gone), the guard clears `req` and the timer only frees. When the timer fires first, it clears the guard before
 * replying, so the later disposal does not touch this freed struct. */
typedef struct held {
    uv_timer_t timer;
    h2o_req_t *req;
    struct held **guard;
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
    if (h->req) {
        *h->guard = NULL;
        pay_reply_error(h->req, 504, "held by the api timeout mode");
    }
    uv_close((uv_handle_t *)&h->timer, (uv_close_cb)free);
}

void pay_hold_request(pay_app_t *app, h2o_req_t *req)
{
    held_t *h = calloc(1, sizeof *h);
    if (!h) {
        pay_reply_error(req, 503, "out of memory");
        return;
    }
    h->req = req;
    h->guard = h2o_mem_alloc_shared(&req->pool, sizeof *h->guard, on_request_disposed);
    *h->guard = h;
    uv_timer_init(app->loop, &h->timer);
    h->timer.data = h;
    uv_timer_start(&h->timer, on_held_timeout, PAY_API_HOLD_MS, 0);
}

h2o_iovec_t pay_query(const h2o_req_t *req)
{
    size_t n = standin_path_length(req);
    if (n >= req->path.len)
        return h2o_iovec_init("", 0);
    return h2o_iovec_init(req->path.base + n + 1, req->path.len - n - 1);
}

/* Whether the request carries "authorization: Bearer <the control token>" (compared in constant time). */
static int control_authorized(const pay_app_t *app, const h2o_req_t *req)
{
    const char *token = app->config.control_token;
    if (!token[0])
        return 1;
    ssize_t i = h2o_find_header(&req->headers, H2O_TOKEN_AUTHORIZATION, -1);
    if (i < 0)
        return 0;
    h2o_iovec_t v = req->headers.entries[i].value;
    size_t n = strlen(token);
    if (v.len != 7 + n || strncasecmp(v.base, "Bearer ", 7) != 0)
        return 0;
    return CRYPTO_memcmp(v.base + 7, token, n) == 0;
}

void pay_dispatch(pay_app_t *app, h2o_req_t *req)
{
    size_t n = standin_path_length(req);
    char allow[32] = "";
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
        const route_t *r = &routes[i];
        if (!h2o_memis(req->path.base, n, r->path, strlen(r->path)))
            continue;
        if (!standin_method_is(req, r->method)) {
            snprintf(allow + strlen(allow), sizeof allow - strlen(allow), "%s%s", allow[0] ? ", " : "", r->method);
            continue;
        }
        if (strncmp(r->path, "/control/", 9) == 0 && !control_authorized(app, req)) {
            standin_header(req, "www-authenticate", "Bearer");
            pay_reply_error(req, 401, "the control endpoints need authorization: Bearer <control token>");
            return;
        }
        r->serve(app, req);
        return;
    }
    if (allow[0]) {
        standin_header(req, "allow", allow);
        pay_reply_error(req, 405, "method not allowed");
        return;
    }
    pay_reply_error(req, 404, "not found");
}

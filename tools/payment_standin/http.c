/* tools/payment_standin/http.c — the request log line, error pages, held replies, routing (see http.h). */
#include "http.h"

#include "handlers.h"
#include "vnp_sign.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct route {
    standin_route_t route; /* first: standin_route hands it back */
    void (*serve)(pay_app_t *app, h2o_req_t *req);
} route_t;

static const route_t routes[] = {
    {{"/paymentv2/vpcpay.html", "GET"}, pay_serve_payment_page},
    {{"/paymentv2/choose", "POST"}, pay_serve_choose},
    {{"/merchant_webapi/api/transaction", "POST"}, pay_serve_merchant_api},
    {{"/control/mode", "POST"}, pay_serve_mode},
    {{"/control/pay", "POST"}, pay_serve_control_pay},
    {{"/control/ipn/resend", "POST"}, pay_serve_ipn_resend},
    {{"/control/ipn-log", "GET"}, pay_serve_ipn_log},
    {{"/control/transactions", "GET"}, pay_serve_transactions},
    {{"/control/statement", "GET"}, pay_serve_statement},
    {{"/healthz", "GET"}, pay_serve_healthz},
};

void pay_log_request(int method_len, const char *method, const char *path, int status)
{
    fprintf(stderr, "payment-standin: %.*s %s %d\n", method_len, method, path, status);
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

/* The end of a hold (standin_hold.h): 504, unless the client left meanwhile. */
static void on_held(void *data, h2o_req_t *req)
{
    (void)data;
    if (req)
        standin_reply_error(req, 504, "held by the api timeout mode");
}

void pay_hold_request(pay_app_t *app, h2o_req_t *req)
{
    if (standin_hold(app->loop, req, PAY_API_HOLD_MS, on_held, NULL) != 0)
        standin_reply_error(req, 503, "out of memory");
}

void pay_dispatch(pay_app_t *app, h2o_req_t *req)
{
    const route_t *r = (const route_t *)standin_route(req, routes, sizeof routes / sizeof routes[0], sizeof routes[0],
                                                      app->config.control_token, STANDIN_METHOD_THEN_TOKEN);
    if (r)
        r->serve(app, req);
}

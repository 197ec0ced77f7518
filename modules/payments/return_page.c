/*
 * modules/payments/return_page.c — GET /v1/payments/vnpay/return: where the provider sends the payer's browser back.
 * It decides nothing: the query is only a pointer to a payment (its signature must verify, so that nobody can show a
 * page about someone else's payment with made-up words), and the page shows the payment's state AS THE DATABASE HAS
 * IT — settled by the IPN or querydr, never by this URL. Vietnamese or English (Accept-Language), every value escaped.
 * A query that does not verify is 400, an unknown payment 404 (problem+json, like every error of the API).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "payments.h"

/* s with & < > " ' escaped into out (at most size - 1 bytes, cut at a whole character entity). */
static void escape(const char *s, char *out, size_t size)
{
    size_t n = 0;
    for (; *s != '\0'; s++) {
        const char *rep = NULL;
        switch (*s) {
        case '&': rep = "&amp;"; break;
        case '<': rep = "&lt;"; break;
        case '>': rep = "&gt;"; break;
        case '"': rep = "&quot;"; break;
        case '\'': rep = "&#39;"; break;
        default: break;
        }
        size_t k = rep != NULL ? strlen(rep) : 1;
        if (n + k >= size)
            break;
        memcpy(out + n, rep != NULL ? rep : s, k);
        n += k;
    }
    out[n] = '\0';
}

static const char *state_text(const char *state, int en)
{
    static const char *const states[][3] = {
        {"success", "Thanh toán thành công. Hồ sơ của bạn đã được chuyển đến cơ quan giải quyết.",
         "Payment received. Your dossier has been sent to the office that handles it."},
        {"failed", "Thanh toán không thành công. Bạn có thể thử lại.", "The payment failed. You may try again."},
        {"cancelled", "Bạn đã huỷ thanh toán.", "You cancelled the payment."},
        {"expired", "Phiên thanh toán đã hết hạn.", "The payment session expired."},
        {"error", "Chưa xác định được kết quả thanh toán; chúng tôi sẽ kiểm tra và thông báo.",
         "The payment's result is not known yet; we will check and let you know."},
    };
    for (size_t i = 0; i < sizeof states / sizeof states[0]; i++)
        if (strcmp(state, states[i][0]) == 0)
            return states[i][en ? 2 : 1];
    return en ? "We are waiting for the payment provider's confirmation. This page does not change it: refresh in a "
                "moment, or see the dossier in the app."
              : "Đang chờ xác nhận từ đơn vị thanh toán. Vui lòng tải lại trang sau ít phút hoặc xem hồ sơ trong ứng "
                "dụng.";
}

static void page(cong_req_t *req, int status, const char *state, const char *dossier, const char *amount)
{
    int en = payments_api->req_lang_en(req);
    char d[160] = "", a[64] = "", facts[320] = "", body[2048];
    escape(dossier != NULL ? dossier : "", d, sizeof d);
    escape(amount != NULL ? amount : "", a, sizeof a);
    if (d[0] != '\0')
        snprintf(facts, sizeof facts, "<p>%s <span id=\"dossier\">%s</span>: <span id=\"amount\">%s</span> VND</p>",
                 en ? "Dossier" : "Hồ sơ", d, a);
    const char *text = state_text(state, en);
    const char *title = en ? "Payment" : "Thanh toán";
    int n = snprintf(body, sizeof body,
                     "<!doctype html><html lang=\"%s\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" "
                     "content=\"width=device-width\"><title>%s</title></head><body><main><h1>%s</h1>"
                     "<p id=\"state\" data-state=\"%s\">%s</p>%s</main></body></html>",
                     en ? "en" : "vi", title, title, state, text, facts);
    payments_api->reply_header(req, "cache-control", "no-store");
    payments_api->reply_header(req, "content-security-policy", "default-src 'none'");
    payments_api->reply_text(req, status, "text/html; charset=utf-8", body,
                             n > 0 && n < (int)sizeof body ? (size_t)n : strlen(body));
}

static void on_payment(cong_req_t *req, int err, const cong_pg_result_t *res, void *udata)
{
    (void)udata;
    const cong_api_t *api = payments_api;
    if (err != 0)
        return payments_reply_store_error(req, err);
    if (api->pg_ntuples(res) != 1)
        return (void)api->reply_problem(req, 404, "not-found", NULL, NULL);
    page(req, 200, api->pg_value(res, 0, 0), api->pg_value(res, 0, 1), api->pg_value(res, 0, 2));
}

static void return_page(cong_req_t *req, void *udata)
{
    (void)udata;
    const payments_provider_t *provider = payments_provider_find("vnpay");
    payments_result_t r;
    size_t len = 0;
    const char *query = payments_api->req_query(req, &len);
    if (provider == NULL)
        return (void)payments_api->reply_problem(req, 503, "provider-unavailable", NULL, NULL);
    if (provider->read_callback(query, len, &r) != 0)
        return (void)payments_api->reply_problem(req, 400, "bad-request", "Không xác minh được thông tin thanh toán.",
                                                 "The payment's details could not be verified.");
    const char *params[] = {provider->name, r.txn_ref};
    payments_query(req,
                   "SELECT state, dossier_code, to_char(amount_vnd, 'FM999G999G999G999') "
                   "FROM payments WHERE provider = $1 AND txn_ref = $2",
                   2, params, on_payment, NULL);
}

int payments_return_register(cong_module_ctx_t *ctx)
{
    const cong_route_def_t route = {.size = sizeof route, .method = "GET", .path = "/v1/payments/vnpay/return",
                                    .handler = return_page, .auth = CONG_AUTH_NONE, .rate_limit_class = "default",
                                    .operation_id = "vnpayReturn"};
    return payments_api->register_route(ctx, &route);
}

/*
 * tools/payment_standin/pay_page.c — the payment page (GET /paymentv2/vpcpay.html?vnp_...) and the buyer's choice
 * (POST /paymentv2/choose).
 *
 * The payment URL is checked as VNPay 2.1.0 checks it, in this order (the first failure is the HTML error page's code,
 * status 400): vnp_TmnCode ours (else 71), vnp_SecureHash over the canonical query string (vnp_sign.h; else 70),
 * the format (else 03: see check_format), not expired (now in GMT+7 after vnp_ExpireDate: 15), and vnp_TxnRef unique
 * for the merchant on vnp_CreateDate's day (the same TxnRef that day with other parameters: 01; the very same URL
 * again shows the same page while no choice is made, and 01 once it is).
 *
 * The page's form posts vnp_TxnRef, vnp_CreateDate, a random token bound to that payment when the URL was first
 * accepted (so a form from elsewhere cannot choose for it) and the choice ("pay" or "cancel").
 */
#include "handlers.h"
#include "http.h"
#include "settle.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ORDER_INFO_MAX 255
#define RETURN_URL_MAX 1000
#define IP_ADDR_MAX 45

typedef struct refusal {
    const char *code, *vi, *en;
} refusal_t;

static const refusal_t bad_format = {"03", "Dữ liệu gửi sang không đúng định dạng",
                                     "Sent data is not in the right format"};

static int printable_ascii(const char *s, int allow_space)
{
    for (; *s; s++)
        if ((unsigned char)*s < (allow_space ? 0x20 : 0x21) || (unsigned char)*s > 0x7e)
            return 0;
    return 1;
}

static int digits(const char *s, size_t min, size_t max)
{
    size_t n = strlen(s);
    return n >= min && n <= max && strspn(s, "0123456789") == n;
}

/* Every vnp_* value non-empty printable ASCII (the PHP and Java samples then sign the same string) and the fields
 * VNPay requires well formed. 0, or -1. */
static int check_format(const vnp_params_t *p)
{
    for (size_t i = 0; i < p->count; i++)
        if (strncmp(p->items[i].name, "vnp_", 4) == 0 &&
            (!p->items[i].value[0] || !printable_ascii(p->items[i].value, 1)))
            return -1;
    const char *version = vnp_params_get(p, "vnp_Version"), *command = vnp_params_get(p, "vnp_Command");
    const char *amount = vnp_params_get(p, "vnp_Amount"), *curr = vnp_params_get(p, "vnp_CurrCode");
    const char *ref = vnp_params_get(p, "vnp_TxnRef"), *info = vnp_params_get(p, "vnp_OrderInfo");
    const char *ret = vnp_params_get(p, "vnp_ReturnUrl"), *ip = vnp_params_get(p, "vnp_IpAddr");
    const char *created = vnp_params_get(p, "vnp_CreateDate"), *expires = vnp_params_get(p, "vnp_ExpireDate");
    const char *locale = vnp_params_get(p, "vnp_Locale"), *type = vnp_params_get(p, "vnp_OrderType");
    if (!version || !command || !amount || !curr || !ref || !info || !ret || !ip || !created || !expires || !locale)
        return -1;
    long long created_at = vnp_parse_date(created), expires_at = vnp_parse_date(expires);
    int ok = strcmp(version, "2.1.0") == 0 && strcmp(command, "pay") == 0 && digits(amount, 3, 12) &&
             amount[0] != '0' && strcmp(amount + strlen(amount) - 2, "00") == 0 && strcmp(curr, "VND") == 0 &&
             strlen(ref) <= PAY_TXN_REF_MAX && printable_ascii(ref, 0) && strlen(info) <= ORDER_INFO_MAX &&
             strlen(ret) <= RETURN_URL_MAX && (strncmp(ret, "http://", 7) == 0 || strncmp(ret, "https://", 8) == 0) &&
             strlen(ip) <= IP_ADDR_MAX && created_at >= 0 && expires_at > created_at &&
             (strcmp(locale, "vn") == 0 || strcmp(locale, "en") == 0) && (!type || strlen(type) <= 100);
    return ok ? 0 : -1;
}

/* Whether vnp_SecureHash signs the URL: the PHP canonical string, or the Java one (which differs only on '*'). */
static int signature_ok(const pay_app_t *app, const vnp_params_t *p, char hash[VNP_HASH_HEX_LEN + 1])
{
    const char *given = vnp_params_get(p, "vnp_SecureHash");
    int ok = 0;
    for (int e = VNP_ENCODE_PHP; !ok && e <= VNP_ENCODE_JAVA; e++) {
        char *canonical = vnp_canonical_query(p, (vnp_encoding_t)e);
        ok = canonical &&
             vnp_hmac_sha512_hex(app->config.secret, app->config.secret_len, canonical, strlen(canonical), hash) == 0 &&
             vnp_hash_equal(given, hash);
        free(canonical);
    }
    return ok;
}

/* Checks the payment URL; the payment it names (found or new) in *out, or the refusal. */
static const refusal_t *accept_url(pay_app_t *app, const vnp_params_t *p, pay_txn_t **out)
{
    static const refusal_t merchant = {"71", "Website không hợp lệ (vnp_TmnCode)", "Invalid website (vnp_TmnCode)"};
    static const refusal_t signature = {"70", "Sai chữ ký", "Wrong signature"};
    static const refusal_t expired = {"15", "Giao dịch đã quá thời gian chờ thanh toán", "The payment URL has expired"};
    static const refusal_t exists = {"01", "Giao dịch đã tồn tại", "The transaction already exists"};
    static const refusal_t done = {"01", "Giao dịch đã được xử lý", "The transaction has been processed already"};
    static const refusal_t full = {"99", "Hệ thống đầy", "The stand-in holds too many transactions"};
    const char *tmn = vnp_params_get(p, "vnp_TmnCode");
    char hash[VNP_HASH_HEX_LEN + 1];
    if (!tmn || strcmp(tmn, app->config.tmn_code) != 0)
        return &merchant;
    if (!signature_ok(app, p, hash))
        return &signature;
    if (check_format(p) != 0)
        return &bad_format;
    if ((long long)time(NULL) > vnp_parse_date(vnp_params_get(p, "vnp_ExpireDate")))
        return &expired;
    const char *ref = vnp_params_get(p, "vnp_TxnRef"), *created = vnp_params_get(p, "vnp_CreateDate");
    char day[9];
    snprintf(day, sizeof day, "%.8s", created);
    pay_txn_t *t = pay_store_find(&app->store, ref, day);
    if (t) {
        *out = t;
        return strcmp(t->url_hash, hash) != 0 ? &exists : t->status != PAY_PENDING ? &done : NULL;
    }
    char token[PAY_TOKEN_HEX + 1];
    char *info = strdup(vnp_params_get(p, "vnp_OrderInfo")), *ret = strdup(vnp_params_get(p, "vnp_ReturnUrl"));
    char *ip = strdup(vnp_params_get(p, "vnp_IpAddr"));
    if (!info || !ret || !ip || pay_random_hex(token) != 0 || !(t = pay_store_add(&app->store))) {
        free(info);
        free(ret);
        free(ip);
        return &full;
    }
    snprintf(t->txn_ref, sizeof t->txn_ref, "%s", ref);
    snprintf(t->create_date, sizeof t->create_date, "%s", created);
    snprintf(t->expire_date, sizeof t->expire_date, "%s", vnp_params_get(p, "vnp_ExpireDate"));
    snprintf(t->locale, sizeof t->locale, "%s", vnp_params_get(p, "vnp_Locale"));
    snprintf(t->url_hash, sizeof t->url_hash, "%s", hash);
    snprintf(t->page_token, sizeof t->page_token, "%s", token);
    t->amount = strtoull(vnp_params_get(p, "vnp_Amount"), NULL, 10);
    t->order_info = info;
    t->return_url = ret;
    t->ip_addr = ip;
    t->status = PAY_PENDING;
    *out = t;
    return NULL;
}

/* 1806000 (x 100) -> "18.060" */
static void format_vnd(unsigned long long amount, char out[32])
{
    char plain[32];
    int n = snprintf(plain, sizeof plain, "%llu", amount / 100), o = 0;
    for (int i = 0; i < n; i++) {
        if (i > 0 && (n - i) % 3 == 0)
            out[o++] = '.';
        out[o++] = plain[i];
    }
    out[o] = '\0';
}

static void render_page(h2o_req_t *req, const pay_app_t *app, const pay_txn_t *t)
{
    int en = strcmp(t->locale, "en") == 0;
    char vnd[32];
    format_vnd(t->amount, vnd);
    standin_buf_t b = {0};
    standin_buf_printf(&b,
                   "<!doctype html>\n<html lang=\"%s\"><head><meta charset=\"utf-8\"><title>VNPAY - %s</title>"
                   "</head>\n<body><h1>%s</h1>\n<dl>\n<dt>%s</dt><dd id=\"merchant\">",
                   en ? "en" : "vi", en ? "Payment" : "Thanh toán",
                   en ? "Payment (stand-in VNPAY)" : "Thanh toán (VNPAY giả lập)",
                   en ? "Merchant" : "Đơn vị chấp nhận thanh toán");
    standin_buf_add_html(&b, app->config.tmn_code);
    standin_buf_printf(&b, "</dd>\n<dt>%s</dt><dd id=\"txn-ref\">", en ? "Order reference" : "Mã đơn hàng");
    standin_buf_add_html(&b, t->txn_ref);
    standin_buf_printf(&b, "</dd>\n<dt>%s</dt><dd id=\"order-info\">", en ? "Order information" : "Nội dung thanh toán");
    standin_buf_add_html(&b, t->order_info);
    standin_buf_printf(&b,
                   "</dd>\n<dt>%s</dt><dd id=\"amount\">%s VND</dd>\n</dl>\n"
                   "<form method=\"post\" action=\"/paymentv2/choose\">\n"
                   "<input type=\"hidden\" name=\"vnp_TxnRef\" value=\"",
                   en ? "Amount" : "Số tiền", vnd);
    standin_buf_add_html(&b, t->txn_ref);
    standin_buf_printf(&b,
                   "\">\n<input type=\"hidden\" name=\"vnp_CreateDate\" value=\"%s\">\n"
                   "<input type=\"hidden\" name=\"token\" value=\"%s\">\n"
                   "<button type=\"submit\" name=\"choice\" value=\"pay\">%s</button>\n"
                   "<button type=\"submit\" name=\"choice\" value=\"cancel\">%s</button>\n</form>\n</body></html>\n",
                   t->create_date, t->page_token, en ? "Pay" : "Thanh toán",
                   en ? "Cancel the transaction" : "Hủy giao dịch");
    standin_header(req, "cache-control", "no-store");
    if (b.failed)
        standin_reply_text(req, 503, "out of memory\n");
    else
        standin_reply(req, 200, "text/html; charset=utf-8", b.data, b.len);
    standin_buf_free(&b);
}

void pay_serve_payment_page(pay_app_t *app, h2o_req_t *req)
{
    h2o_iovec_t q = standin_query(req);
    vnp_params_t params;
    vnp_parse_result_t parsed = vnp_params_parse(q.base, q.len, &params);
    pay_txn_t *t = NULL;
    const refusal_t *refused = parsed == VNP_PARSE_OK ? accept_url(app, &params, &t) : &bad_format;
    vnp_params_free(&params);
    if (parsed == VNP_PARSE_NO_MEMORY)
        standin_reply_text(req, 503, "out of memory\n");
    else if (refused)
        pay_reply_error_page(req, refused->code, refused->vi, refused->en);
    else
        render_page(req, app, t);
}

void pay_serve_choose(pay_app_t *app, h2o_req_t *req)
{
    vnp_params_t form;
    int parsed = vnp_params_parse(req->entity.base, req->entity.len, &form) == VNP_PARSE_OK;
    const char *ref = vnp_params_get(&form, "vnp_TxnRef"), *created = vnp_params_get(&form, "vnp_CreateDate");
    const char *token = vnp_params_get(&form, "token"), *choice = vnp_params_get(&form, "choice");
    pay_txn_t *t =
        parsed && ref && created && strlen(created) == VNP_DATE_LEN ? pay_store_find(&app->store, ref, created) : NULL;
    int token_ok =
        t && token && strlen(token) == PAY_TOKEN_HEX && CRYPTO_memcmp(token, t->page_token, PAY_TOKEN_HEX) == 0;
    int pay = choice && strcmp(choice, "pay") == 0, cancel = choice && strcmp(choice, "cancel") == 0;
    vnp_params_free(&form);
    if (!token_ok || (!pay && !cancel)) {
        pay_reply_error_page(req, "03", "Yêu cầu không hợp lệ", "Invalid request (transaction, token or choice)");
        return;
    }
    if (t->status != PAY_PENDING) {
        pay_reply_error_page(req, "01", "Giao dịch đã được xử lý", "The transaction has been processed already");
        return;
    }
    if ((long long)time(NULL) > vnp_parse_date(t->expire_date)) {
        pay_reply_error_page(req, "15", "Giao dịch đã quá thời gian chờ thanh toán", "The payment URL has expired");
        return;
    }
    char *location = pay_settle(app, t, pay);
    if (!location) {
        standin_reply_text(req, 503, "out of memory\n");
        return;
    }
    standin_header(req, "location", location);
    standin_header(req, "cache-control", "no-store");
    free(location);
    standin_reply(req, 302, "text/plain", "", 0);
}

/*
 * modules/payments/ipn.c — GET /v1/payments/vnpay/ipn: VNPay's server-to-server callback, the source of truth of a
 * payment. No token (CONG_AUTH_NONE): who may call is decided by the address (modules.payments.ipn_allow: the
 * provider's published addresses; the client's address as cong's trusted proxies name it, req_client_address) and
 * what is believed by the signature (read_callback). In order:
 *   1. an address outside the allow-list: 403, nothing read, nothing recorded;
 *   2. a signature that does not verify: 97 (recorded with payment_callback_refused); malformed or not ours: 99;
 *   3. a success: the receipt is signed now (jws_sign), before the transaction, so that the one transaction of
 *      payment_apply_result applies everything or nothing; the receipt cannot be signed: 99 (VNPay retries);
 *   4. payment_apply_result → 00 / 01 / 02 / 04, answered only after its commit. PostgreSQL down or slow: 99, so
 *      VNPay retries (it does, up to 10 times over 5 minutes with the sandbox's settings); never 00 before the commit.
 * Answered in VNPay's own format (provider->callback_answer): HTTP 200 with {"RspCode","Message"}.
 */
#include <arpa/inet.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "payments.h"

#define IPN_ALLOW_MAX 32

typedef struct range {
    unsigned char bytes[16]; /* IPv4 as ::ffff:a.b.c.d */
    int bits;
} range_t;

static range_t allow[IPN_ALLOW_MAX];
static size_t allow_count;

/* text (an address, no port) as 16 bytes; 0 or -1. */
static int address_bytes(const char *text, unsigned char out[16])
{
    struct in_addr v4;
    if (inet_pton(AF_INET, text, &v4) == 1) {
        memset(out, 0, 10);
        out[10] = out[11] = 0xff;
        memcpy(out + 12, &v4, 4);
        return 0;
    }
    return inet_pton(AF_INET6, text, out) == 1 ? 0 : -1;
}

/* "a.b.c.d", "a.b.c.d/n", "v6", "v6/n" into r; 0 or -1. */
static int parse_range(const char *item, range_t *r)
{
    char text[64];
    if (strlen(item) >= sizeof text)
        return -1;
    strcpy(text, item);
    char *slash = strchr(text, '/');
    int bits = -1;
    if (slash != NULL) {
        *slash = '\0';
        char *end = NULL;
        long n = strtol(slash + 1, &end, 10);
        if (end == slash + 1 || *end != '\0' || n < 0 || n > 128)
            return -1;
        bits = (int)n;
    }
    if (address_bytes(text, r->bytes) != 0)
        return -1;
    int v4 = strchr(text, ':') == NULL;
    if (bits < 0)
        bits = v4 ? 32 : 128;
    if (v4 && bits > 32)
        return -1;
    r->bits = v4 ? bits + 96 : bits;
    return 0;
}

static int in_range(const range_t *r, const unsigned char a[16])
{
    int full = r->bits / 8, rest = r->bits % 8;
    if (memcmp(r->bytes, a, (size_t)full) != 0)
        return 0;
    if (rest == 0)
        return 1;
    unsigned char mask = (unsigned char)(0xff << (8 - rest));
    return (r->bytes[full] & mask) == (a[full] & mask);
}

static int allowed(const char *address)
{
    unsigned char a[16];
    if (address == NULL || address_bytes(address, a) != 0)
        return 0;
    for (size_t i = 0; i < allow_count; i++)
        if (in_range(&allow[i], a))
            return 1;
    return 0;
}

/* ---- the callback ---- */

typedef struct ipn {
    const payments_provider_t *provider;
    payments_result_t result;
    const char *raw;     /* {"query": "..."}: the callback as received, for payment_callbacks */
    const char *address;
    char *receipt;       /* {payload, signature} JSON, request pool */
} ipn_t;

static void answer(cong_req_t *req, const payments_provider_t *provider, int verdict)
{
    int status = 200;
    const char *type = "application/json";
    char *body = NULL;
    if (provider->callback_answer(verdict, &status, &type, &body) != 0)
        return (void)payments_api->reply_problem(req, 500, "internal-error", NULL, NULL);
    payments_api->reply_header(req, "cache-control", "no-store");
    payments_api->reply_text(req, status, type, body, strlen(body));
    free(body);
}

static int verdict_of(const char *code)
{
    static const char *const codes[] = {"00", "01", "02", "04"};
    static const int verdicts[] = {PAYMENTS_VERDICT_CONFIRMED, PAYMENTS_VERDICT_NOT_FOUND, PAYMENTS_VERDICT_ALREADY,
                                   PAYMENTS_VERDICT_BAD_AMOUNT};
    for (size_t i = 0; code != NULL && i < sizeof codes / sizeof codes[0]; i++)
        if (strcmp(code, codes[i]) == 0)
            return verdicts[i];
    return PAYMENTS_VERDICT_OTHER;
}

static void on_applied(cong_req_t *req, int err, const cong_pg_result_t *res, void *udata)
{
    ipn_t *in = udata;
    const cong_api_t *api = payments_api;
    if (err != 0 || api->pg_ntuples(res) != 1) {
        api->log(CONG_LOG_WARN, PAYMENTS_MODULE, "IPN not applied (%s): answered 99, the provider retries (request %s)",
                 err != 0 ? api->strerror(err) : "no answer", api->req_id(req));
        return answer(req, in->provider, PAYMENTS_VERDICT_OTHER);
    }
    answer(req, in->provider, verdict_of(api->pg_value(res, 0, 0)));
}

static void apply(cong_req_t *req, ipn_t *in)
{
    const payments_result_t *r = &in->result;
    char amount[32], paid[32];
    snprintf(amount, sizeof amount, "%lld", r->amount_vnd);
    payments_iso_time(r->paid_at, paid);
    const char *params[] = {in->provider->name, r->txn_ref, amount, payments_outcome_state(r->outcome),
                            r->provider_txn, r->bank_code, r->response_code, r->status_code,
                            paid[0] != '\0' ? paid : NULL, in->raw, in->address, payments_api->req_id(req),
                            in->receipt};
    int rc = payments_api->pg_query(req,
                                    "SELECT verdict FROM payment_apply_result($1, $2, $3::bigint, $4, $5, $6, $7, $8, "
                                    "$9::timestamptz, $10::jsonb, 'ipn', $11, $12, $13::jsonb)",
                                    13, params, on_applied, in);
    if (rc != 0)
        answer(req, in->provider, PAYMENTS_VERDICT_OTHER);
}

/* The payment the callback names, for its receipt (only a success needs one). */
static void on_payment(cong_req_t *req, int err, const cong_pg_result_t *res, void *udata)
{
    ipn_t *in = udata;
    const cong_api_t *api = payments_api;
    if (err != 0)
        return answer(req, in->provider, PAYMENTS_VERDICT_OTHER);
    if (api->pg_ntuples(res) == 1) {
        char *payload = payments_receipt_payload(api->pg_value(res, 0, 0), api->pg_value(res, 0, 1),
                                                 atoll(api->pg_value(res, 0, 2)), in->provider->name, &in->result,
                                                 (long long)time(NULL));
        const char *signature = payload != NULL ? api->jws_sign(req, payload, strlen(payload)) : NULL;
        char *receipt = signature != NULL ? payments_receipt_json(payload, signature) : NULL;
        free(payload);
        if (receipt == NULL) {
            api->log(CONG_LOG_ERROR, PAYMENTS_MODULE, "cannot sign a receipt: is a document key loaded? (request %s)",
                     api->req_id(req));
            return answer(req, in->provider, PAYMENTS_VERDICT_OTHER);
        }
        in->receipt = payments_strdup(req, receipt);
        free(receipt);
        if (in->receipt == NULL)
            return answer(req, in->provider, PAYMENTS_VERDICT_OTHER);
    }
    apply(req, in);
}

static void on_refused_recorded(cong_req_t *req, int err, const cong_pg_result_t *res, void *udata)
{
    (void)err, (void)res;
    answer(req, udata, PAYMENTS_VERDICT_BAD_SIGNATURE);
}

static void ipn(cong_req_t *req, void *udata)
{
    (void)udata;
    const cong_api_t *api = payments_api;
    const char *address = api->req_client_address(req);
    if (!allowed(address)) {
        api->log(CONG_LOG_WARN, PAYMENTS_MODULE, "IPN from %s refused: not in ipn_allow (request %s)", address,
                 api->req_id(req));
        return (void)api->reply_problem(req, 403, "forbidden", NULL, NULL);
    }
    const payments_provider_t *provider = payments_provider_find("vnpay");
    if (provider == NULL)
        return (void)api->reply_problem(req, 503, "provider-unavailable", NULL, NULL);
    size_t len = 0;
    const char *query = api->req_query(req, &len);
    ipn_t *in = api->req_alloc(req, sizeof *in);
    json_t *raw = json_pack("{s:s%}", "query", query, len);
    char *raw_text = raw != NULL ? json_dumps(raw, JSON_COMPACT) : NULL;
    json_decref(raw);
    if (in == NULL || raw_text == NULL) {
        free(raw_text);
        return answer(req, provider, PAYMENTS_VERDICT_OTHER);
    }
    memset(in, 0, sizeof *in);
    in->provider = provider;
    in->address = address;
    in->raw = payments_strdup(req, raw_text);
    free(raw_text);
    int rc = provider->read_callback(query, len, &in->result);
    if (rc == CONG_EPERM) {
        const char *params[] = {provider->name, address, in->raw, api->req_id(req)};
        if (api->pg_query(req, "SELECT payment_callback_refused($1, 'ipn', $2, $3::jsonb, '97', $4)", 4, params,
                          on_refused_recorded, (void *)provider) != 0)
            answer(req, provider, PAYMENTS_VERDICT_BAD_SIGNATURE);
        return;
    }
    if (rc != 0 || in->raw == NULL)
        return answer(req, provider, PAYMENTS_VERDICT_OTHER);
    if (in->result.outcome != PAYMENTS_OUTCOME_SUCCESS)
        return apply(req, in);
    const char *params[] = {provider->name, in->result.txn_ref};
    if (api->pg_query(req, "SELECT id, dossier_code, amount_vnd FROM payments WHERE provider = $1 AND txn_ref = $2",
                      2, params, on_payment, in) != 0)
        answer(req, provider, PAYMENTS_VERDICT_OTHER);
}

int payments_ipn_register(cong_module_ctx_t *ctx)
{
    char list[1024];
    snprintf(list, sizeof list, "%s", payments_config.ipn_allow);
    allow_count = 0;
    for (char *save = NULL, *item = strtok_r(list, " ,", &save); item != NULL; item = strtok_r(NULL, " ,", &save)) {
        if (allow_count == IPN_ALLOW_MAX || parse_range(item, &allow[allow_count]) != 0) {
            payments_api->log(CONG_LOG_ERROR, PAYMENTS_MODULE, "ipn_allow: \"%s\" is not an address or CIDR prefix "
                              "(at most %d)", item, IPN_ALLOW_MAX);
            return CONG_EINVAL;
        }
        allow_count++;
    }
    const cong_route_def_t route = {.size = sizeof route, .method = "GET", .path = "/v1/payments/vnpay/ipn",
                                    .handler = ipn, .auth = CONG_AUTH_NONE, .rate_limit_class = "default",
                                    .operation_id = "vnpayIpn"};
    return payments_api->register_route(ctx, &route);
}

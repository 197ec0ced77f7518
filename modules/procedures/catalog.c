/*
 * The catalog: GET /v1/procedures (search) and GET /v1/procedures/{code}. Public.
 *
 * A catalog read costs no PostgreSQL round trip in the common case: answers are cached in Redis for
 * catalog_cache_ttl_s under a key made of the normalised query (cong:procedures:v1:<sha256>). A miss, or Redis being
 * down, goes to PostgreSQL (catalog_search / procedure_view) and fills the cache. Every answer carries an ETag (a hash
 * of its bytes) and Cache-Control, and If-None-Match gets 304.
 */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "procedures.h"

#define CATALOG_QUERY_MAX 200

typedef struct catalog_call {
    char cache_key[96];
    const char *sql;
    const char *params[5];
    int nparams;
    int is_item; /* procedure_view: NULL means 404 */
} catalog_call_t;

static void reply_cached(cong_req_t *req, const char *body, size_t len)
{
    const cong_api_t *api = procedures_api;
    char hash[65], etag[24];
    procedures_sha256_hex(body, len, hash);
    snprintf(etag, sizeof etag, "\"%.16s\"", hash);
    api->reply_header(req, "etag", etag);
    api->reply_header(req, "cache-control", "public, max-age=60");
    size_t inm_len = 0;
    const char *inm = api->req_header(req, "if-none-match", &inm_len);
    if (inm != NULL && inm_len >= 18 && memmem(inm, inm_len, etag, 18) != NULL) {
        api->reply_text(req, 304, NULL, "", 0);
        return;
    }
    api->reply_text(req, 200, "application/json", body, len);
}

static void ignore_reply(cong_req_t *req, int err, const cong_redis_reply_t *reply, void *udata)
{
    (void)req, (void)err, (void)reply, (void)udata;
}

static void on_catalog_rows(cong_req_t *req, int err, const cong_pg_result_t *res, void *udata)
{
    const cong_api_t *api = procedures_api;
    catalog_call_t *call = udata;
    if (err != 0) {
        procedures_reply_store_error(req, err);
        return;
    }
    if (api->pg_ntuples(res) != 1 || api->pg_is_null(res, 0, 0)) {
        api->reply_problem(req, 404, "not-found", "Không có thủ tục với mã này.", "No procedure has this code.");
        return;
    }
    const char *body = api->pg_value(res, 0, 0);
    size_t len = strlen(body);
    char ttl[16];
    snprintf(ttl, sizeof ttl, "%d", procedures_config.catalog_cache_ttl_s);
    const char *argv[] = {"SET", call->cache_key, body, "EX", ttl};
    size_t argvlen[] = {3, strlen(call->cache_key), len, 2, strlen(ttl)};
    if (procedures_config.catalog_cache_ttl_s > 0)
        api->redis_command(req, 5, argv, argvlen, ignore_reply, NULL); /* best effort */
    reply_cached(req, body, len);
}

static void query_store(cong_req_t *req, catalog_call_t *call)
{
    procedures_query(req, call->sql, call->nparams, call->params, on_catalog_rows, call);
}

static void on_cache(cong_req_t *req, int err, const cong_redis_reply_t *reply, void *udata)
{
    const cong_api_t *api = procedures_api;
    if (err == 0 && api->redis_type(reply) == CONG_REDIS_STRING) {
        size_t len = 0;
        const char *body = api->redis_string(reply, &len);
        reply_cached(req, body, len);
        return;
    }
    query_store(req, udata); /* a miss, or Redis is down: PostgreSQL answers */
}

static void lookup(cong_req_t *req, catalog_call_t *call, const char *normalised)
{
    char hash[65];
    procedures_sha256_hex(normalised, strlen(normalised), hash);
    snprintf(call->cache_key, sizeof call->cache_key, "cong:procedures:v1:%s", hash);
    const char *argv[] = {"GET", call->cache_key};
    size_t argvlen[] = {3, strlen(call->cache_key)};
    if (procedures_config.catalog_cache_ttl_s == 0 ||
        procedures_api->redis_command(req, 2, argv, argvlen, on_cache, call) != 0)
        query_store(req, call);
}

static const char *optional_param(cong_req_t *req, const char *name, size_t max, int *bad)
{
    size_t len = 0;
    const char *v = procedures_api->req_query_param(req, name, &len);
    if (v != NULL && (len == 0 || len > max)) {
        *bad = 1;
        return NULL;
    }
    return v;
}

static void search(cong_req_t *req, void *udata)
{
    (void)udata;
    const cong_api_t *api = procedures_api;
    int bad = 0;
    const char *q = optional_param(req, "q", CATALOG_QUERY_MAX, &bad);
    const char *domain = optional_param(req, "domain", 64, &bad);
    const char *unit = optional_param(req, "unit", 64, &bad);
    int page = procedures_query_int(req, "page", 1, 1000);
    int page_size = procedures_query_int(req, "page_size", procedures_config.page_size, 100);
    if (bad || page < 0 || page_size < 0) {
        api->reply_problem(req, 422, "validation-failed",
                           "Tham số tìm kiếm không hợp lệ (q tối đa 200 byte, page 1–1000, page_size 1–100).",
                           "Invalid search parameters (q up to 200 bytes, page 1-1000, page_size 1-100).");
        return;
    }
    catalog_call_t *call = api->req_alloc(req, sizeof *call);
    char *page_text = api->req_alloc(req, 24), *size_text = api->req_alloc(req, 24);
    size_t norm_cap = CATALOG_QUERY_MAX + 200;
    char *normalised = api->req_alloc(req, norm_cap);
    if (call == NULL || page_text == NULL || size_text == NULL || normalised == NULL) {
        api->reply_problem(req, 500, "internal-error", NULL, NULL);
        return;
    }
    snprintf(page_text, 24, "%d", page);
    snprintf(size_text, 24, "%d", page_size);
    snprintf(normalised, norm_cap, "search\n%s\n%s\n%s\n%d\n%d", q ? q : "", domain ? domain : "", unit ? unit : "",
             page, page_size);
    call->sql = "SELECT catalog_search($1, $2, $3, $4::int, $5::int)";
    call->params[0] = q;
    call->params[1] = domain;
    call->params[2] = unit;
    call->params[3] = page_text;
    call->params[4] = size_text;
    call->nparams = 5;
    lookup(req, call, normalised);
}

static void item(cong_req_t *req, void *udata)
{
    (void)udata;
    const cong_api_t *api = procedures_api;
    size_t len = 0;
    const char *code = api->req_path_param(req, "code", &len);
    catalog_call_t *call = api->req_alloc(req, sizeof *call);
    char *normalised = api->req_alloc(req, len + 8);
    if (code == NULL || len == 0 || len > 64 || call == NULL || normalised == NULL) {
        api->reply_problem(req, 404, "not-found", NULL, NULL);
        return;
    }
    snprintf(normalised, len + 8, "item\n%s", code);
    call->sql = "SELECT procedure_view($1)";
    call->params[0] = code;
    call->nparams = 1;
    call->is_item = 1;
    lookup(req, call, normalised);
}

int procedures_catalog_register(cong_module_ctx_t *ctx)
{
    const cong_route_def_t routes[] = {
        {.size = sizeof(cong_route_def_t), .method = "GET", .path = "/v1/procedures", .handler = search,
         .auth = CONG_AUTH_NONE, .rate_limit_class = "default", .operation_id = "searchProcedures"},
        {.size = sizeof(cong_route_def_t), .method = "GET", .path = "/v1/procedures/{code}", .handler = item,
         .auth = CONG_AUTH_NONE, .rate_limit_class = "default", .operation_id = "getProcedure"},
    };
    return procedures_register_routes(ctx, routes, sizeof routes / sizeof routes[0]);
}

/*
 * The catalog: GET /v1/procedures (search) and GET /v1/procedures/{code}. Public.
 *
 * A search is answered from the catalog in memory (catalog_live.h: the same answer as catalog_search, to the byte,
 * without a round trip); only until the first load has completed (the gateway's first second, or PostgreSQL down at
 * start) does it go to catalog_search in PostgreSQL, which answers or gives 503 with Retry-After — never an empty
 * catalog. Searches are no longer cached in Redis: from memory every query costs less than a Redis round trip.
 * One procedure (procedure_view: its documents, form and 126 units, built by PostgreSQL) is still cached in Redis
 * for catalog_cache_ttl_s, under a key that holds the catalog version in memory (cong:procedures:v2:<version>:<sha256>
 * of the code), so a catalog change is never served stale from the cache; without a loaded catalog it is not cached.
 * Every answer carries an ETag (from memory: a hash of the catalog version and the parameters; from SQL or Redis: of
 * its bytes) and Cache-Control, and If-None-Match gets 304.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog_live.h"
#include "procedures.h"

#define CATALOG_QUERY_MAX 200

typedef struct catalog_call {
    char cache_key[128];
    const char *sql;
    const char *params[5];
    int nparams;
    int is_item;  /* procedure_view: NULL means 404 */
    int no_cache; /* a search from SQL: not stored in Redis */
} catalog_call_t;

/* The answer with its ETag (the first 16 hex digits of a SHA-256 of `tag_source`) and Cache-Control, or 304 when
 * If-None-Match names that ETag. */
static void reply_tagged(cong_req_t *req, const char *body, size_t len, const char *tag_source, size_t tag_len)
{
    const cong_api_t *api = procedures_api;
    char hash[65], etag[24];
    procedures_sha256_hex(tag_source, tag_len, hash);
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

/* ETag: a hash of the answer's bytes. */
static void reply_cached(cong_req_t *req, const char *body, size_t len)
{
    reply_tagged(req, body, len, body, len);
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
    if (procedures_config.catalog_cache_ttl_s > 0 && !call->no_cache)
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
    const catalog_index_t *ix = catalog_live_acquire();
    long long version = ix != NULL ? catalog_index_version(ix) : 0;
    catalog_live_release();
    procedures_sha256_hex(normalised, strlen(normalised), hash);
    snprintf(call->cache_key, sizeof call->cache_key, "cong:procedures:v2:%lld:%s", version, hash);
    const char *argv[] = {"GET", call->cache_key};
    size_t argvlen[] = {3, strlen(call->cache_key)};
    if (procedures_config.catalog_cache_ttl_s == 0 || version == 0 ||
        procedures_api->redis_command(req, 2, argv, argvlen, on_cache, call) != 0)
        query_store(req, call);
}

static const char *optional_param(cong_req_t *req, const char *name, size_t max, size_t *len, int *bad)
{
    *len = 0;
    const char *v = procedures_api->req_query_param(req, name, len);
    if (v != NULL && (*len == 0 || *len > max)) {
        *bad = 1;
        return NULL;
    }
    return v;
}

static void reply_invalid(cong_req_t *req)
{
    procedures_api->reply_problem(req, 422, "validation-failed",
                                  "Tham số tìm kiếm không hợp lệ (q tối đa 200 byte, page 1–1000, page_size 1–100).",
                                  "Invalid search parameters (q up to 200 bytes, page 1-1000, page_size 1-100).");
}

/* From memory; 0 when no catalog is loaded yet (nothing answered). */
static int search_memory(cong_req_t *req, const catalog_search_args_t *args)
{
    const catalog_index_t *ix = catalog_live_acquire();
    if (ix == NULL)
        return 0;
    size_t len = 0;
    int invalid = 0;
    char *body = catalog_index_search(ix, args, &len, &invalid);
    /* ETag: a hash of what the answer is a function of (the catalog version and the parameters as sent), not of
     * its bytes: hashing a 7 KB page cost more than the search itself. An answer from SQL has another ETag for the
     * same bytes; a client then gets one 200 where a 304 would do. */
    char *tag = procedures_api->req_alloc(req, args->q_len + args->domain_len + args->unit_len + 160);
    size_t tag_len = tag == NULL ? 0 : (size_t)sprintf(tag, "v%lld p%d s%d ", catalog_index_version(ix), args->page,
                                                       args->page_size);
    const char *parts[] = {args->q, args->domain, args->unit};
    const size_t lens[] = {args->q_len, args->domain_len, args->unit_len};
    for (size_t i = 0; tag != NULL && i < 3; i++) /* each part with its length: no two parameter sets give one tag */
        tag_len += parts[i] == NULL ? (size_t)sprintf(tag + tag_len, "- ")
                                    : (size_t)sprintf(tag + tag_len, "%zu:%.*s ", lens[i], (int)lens[i], parts[i]);
    catalog_live_release();
    if (body != NULL && tag != NULL)
        reply_tagged(req, body, len, tag, tag_len);
    else if (invalid)
        reply_invalid(req); /* not UTF-8: PostgreSQL would refuse the text */
    else
        procedures_api->reply_problem(req, 500, "internal-error", NULL, NULL);
    free(body);
    return 1;
}

static void search(cong_req_t *req, void *udata)
{
    (void)udata;
    const cong_api_t *api = procedures_api;
    int bad = 0;
    catalog_search_args_t args = {0};
    args.q = optional_param(req, "q", CATALOG_QUERY_MAX, &args.q_len, &bad);
    args.domain = optional_param(req, "domain", 64, &args.domain_len, &bad);
    args.unit = optional_param(req, "unit", 64, &args.unit_len, &bad);
    args.page = procedures_query_int(req, "page", 1, 1000);
    args.page_size = procedures_query_int(req, "page_size", procedures_config.page_size, 100);
    if (bad || args.page < 0 || args.page_size < 0) {
        reply_invalid(req);
        return;
    }
    if (search_memory(req, &args))
        return;
    catalog_call_t *call = api->req_alloc(req, sizeof *call);
    char *page_text = api->req_alloc(req, 24), *size_text = api->req_alloc(req, 24);
    if (call == NULL || page_text == NULL || size_text == NULL) {
        api->reply_problem(req, 500, "internal-error", NULL, NULL);
        return;
    }
    snprintf(page_text, 24, "%d", args.page);
    snprintf(size_text, 24, "%d", args.page_size);
    call->sql = "SELECT catalog_search($1, $2, $3, $4::int, $5::int)";
    call->params[0] = args.q;
    call->params[1] = args.domain;
    call->params[2] = args.unit;
    call->params[3] = page_text;
    call->params[4] = size_text;
    call->nparams = 5;
    call->no_cache = 1; /* before the first load only: not worth a Redis round trip */
    query_store(req, call);
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
    int rc = procedures_register_routes(ctx, routes, sizeof routes / sizeof routes[0]);
    return rc == 0 ? procedures_catalog_live_register(ctx) : rc;
}

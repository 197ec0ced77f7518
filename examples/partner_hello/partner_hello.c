/*
 * examples/partner_hello/partner_hello.c — a partner module built as a shared object against cong/module.h alone (no
 * other cong header, no cong library): CMakeLists.txt here builds it out of tree with pkg-config's cong-module, and
 * modules/README.md walks through it. The integration tests load it with `modules.load` to prove the ABI end to end:
 * routes, config keys, PostgreSQL, Redis and event publishing, 503 when a store is down, and late callbacks after a
 * client has gone.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cong/module.h>

static const cong_api_t *api;
static cong_module_ctx_t *load_ctx; /* kept only to prove that registering after load is refused */
static const char *greeting;

static int store_error(cong_req_t *req, int err)
{
    if (err == CONG_EUNAVAILABLE || err == CONG_ETIMEDOUT || err == CONG_EBUSY)
        return api->reply_problem(req, 503, "service-unavailable", NULL, NULL);
    return api->reply_problem(req, 500, "internal-error", NULL, NULL);
}

static void hello(cong_req_t *req, void *udata)
{
    (void)udata;
    char body[256];
    cong_route_def_t late = {.size = sizeof late, .method = "GET", .path = "/v1/partner/late",
                             .handler = hello, .operation_id = "late"};
    int late_rc = api->register_route(load_ctx, &late);
    int n = snprintf(body, sizeof body, "{\"greeting\":\"%s\",\"late_register\":\"%s\"}", greeting,
                     api->strerror(late_rc));
    api->reply_text(req, 200, "application/json", body, (size_t)n);
}

static void on_slept(cong_req_t *req, int err, const cong_pg_result_t *result, void *udata)
{
    (void)udata;
    if (err != 0) {
        store_error(req, err);
        return;
    }
    char body[64];
    int n = snprintf(body, sizeof body, "{\"slept\":\"%s\"}", api->pg_value(result, 0, 0));
    api->reply_text(req, 200, "application/json", body, (size_t)n);
}

static void slow(cong_req_t *req, void *udata)
{
    (void)udata;
    const char *ms = api->req_query_param(req, "ms", NULL);
    const char *params[] = {ms ? ms : "0"};
    int rc = api->pg_query(req, "SELECT pg_sleep($1::float8 / 1000)::text || 'ok'", 1, params, on_slept, NULL);
    if (rc != 0)
        store_error(req, rc);
}

/* POST /v1/partner/rows?id=N: one INSERT into partner_rows, a table the integration test makes with a foreign key
 * checked at COMMIT, so an error can come after the statement's own result. 201 only when the row is committed. */
static void on_row(cong_req_t *req, int err, const cong_pg_result_t *result, void *udata)
{
    (void)udata;
    if (err != 0) {
        store_error(req, err);
        return;
    }
    char body[64];
    int n = snprintf(body, sizeof body, "{\"id\":%s}", api->pg_value(result, 0, 0));
    api->reply_text(req, 201, "application/json", body, (size_t)n);
}

static void add_row(cong_req_t *req, void *udata)
{
    (void)udata;
    const char *id = api->req_query_param(req, "id", NULL);
    const char *params[] = {id ? id : "0"};
    int rc = api->pg_query(req, "INSERT INTO partner_rows (id) VALUES ($1::int) RETURNING id", 1, params, on_row, NULL);
    if (rc != 0)
        store_error(req, rc);
}

static void on_counted(cong_req_t *req, int err, const cong_redis_reply_t *reply, void *udata)
{
    (void)udata;
    if (err != 0) {
        store_error(req, err);
        return;
    }
    char body[64];
    int n = snprintf(body, sizeof body, "{\"count\":%lld}", api->redis_integer(reply));
    api->reply_text(req, 200, "application/json", body, (size_t)n);
}

static void counter(cong_req_t *req, void *udata)
{
    (void)udata;
    const char *argv[] = {"INCR", "cong:partner:counter"};
    size_t argvlen[] = {4, strlen(argv[1])};
    int rc = api->redis_command(req, 2, argv, argvlen, on_counted, NULL);
    if (rc != 0)
        store_error(req, rc);
}

static void on_published(cong_req_t *req, int err, void *udata)
{
    (void)udata;
    if (err != 0) {
        store_error(req, err);
        return;
    }
    api->reply_text(req, 202, "application/json", "{\"published\":true}", 18);
}

static void publish(cong_req_t *req, void *udata)
{
    (void)udata;
    struct json_t *body = api->req_json(req);
    if (body == NULL) {
        api->reply_problem(req, 400, "invalid-json", NULL, NULL);
        return;
    }
    int rc = api->event_publish(req, "partner.test", body, on_published, NULL);
    if (rc != 0)
        store_error(req, rc);
}

int cong_module_onload(cong_module_ctx_t *ctx, const cong_api_t *a)
{
    if (a->abi_major != CONG_MODULE_ABI_MAJOR || !CONG_API_HAS(a, event_publish))
        return CONG_EVERSION;
    api = a;
    load_ctx = ctx;
    cong_config_key_def_t key = {.size = sizeof key, .name = "greeting", .type = CONG_CONFIG_STRING,
                                 .default_value = "xin chao", .help = "what /v1/partner/hello says"};
    int rc = api->register_config(ctx, &key);
    if (rc != 0)
        return rc;
    greeting = api->config_get(ctx, "greeting");
    const cong_route_def_t routes[] = {
        {sizeof(cong_route_def_t), "GET", "/v1/partner/hello", hello, NULL, CONG_AUTH_NONE, NULL, 0, NULL, "partnerHello", 0, NULL},
        {sizeof(cong_route_def_t), "GET", "/v1/partner/slow", slow, NULL, CONG_AUTH_NONE, NULL, 0, NULL, "partnerSlow", 0, NULL},
        {sizeof(cong_route_def_t), "POST", "/v1/partner/rows", add_row, NULL, CONG_AUTH_NONE, NULL, 0, NULL, "partnerRows", 0, NULL},
        {sizeof(cong_route_def_t), "GET", "/v1/partner/counter", counter, NULL, CONG_AUTH_NONE, NULL, 0, NULL, "partnerCounter", 0, NULL},
        {sizeof(cong_route_def_t), "POST", "/v1/partner/events", publish, NULL, CONG_AUTH_REQUIRED, "events:write", 0, NULL, "partnerEvents", 0, NULL},
        {sizeof(cong_route_def_t), "GET", "/v1/partner/secure", hello, NULL, CONG_AUTH_REQUIRED, NULL, 2, NULL, "partnerSecure", 0, NULL},
    };
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++)
        if ((rc = api->register_route(ctx, &routes[i])) != 0)
            return rc;
    return 0;
}

/* The gateway's own routes, registered as module "system" through the same ABI as every module:
 *   GET /healthz       the process is alive (no store is touched)
 *   GET /readyz        Redis answers PING and PostgreSQL answers SELECT 1, now; else 503 with Retry-After
 *   GET /metrics       Prometheus text: on the admin listener (server.admin_*) as is, on the public listeners only
 *                      for a token with scope "admin"
 *   GET /openapi.json  the API description (openapi/cong.yaml, converted at start)
 *   GET /docs          the API description rendered for people (docs_page.h) */
#include <stdlib.h>
#include <string.h>

#include "docs_page.h"
#include "document_keys.h"
#include "module_loader.h"
#include "gateway/http/http.h"
#include "gateway/upstream/upstream.h"

static const cong_api_t *api;

static void healthz(cong_req_t *r, void *udata)
{
    (void)udata;
    static const char alive[] = "{\"status\":\"alive\"}"; /* constant: sent without building or copying it */
    cong_reply_static(r, 200, "application/json", alive, sizeof alive - 1);
}

typedef struct readiness {
    int pending;
    int redis_ok, pg_ok;
} readiness_t;

static void readiness_answer(cong_req_t *r, readiness_t *st)
{
    if (--st->pending > 0)
        return;
    if (st->redis_ok && st->pg_ok) {
        api->reply_json(r, 200, json_pack("{s:s, s:s, s:s}", "status", "ready", "redis", "up", "postgres", "up"));
        return;
    }
    const char *down_vi = !st->redis_ok && !st->pg_ok ? "Redis và PostgreSQL không phản hồi."
                          : !st->redis_ok            ? "Redis không phản hồi."
                                                     : "PostgreSQL không phản hồi.";
    const char *down_en = !st->redis_ok && !st->pg_ok ? "Redis and PostgreSQL are not answering."
                          : !st->redis_ok            ? "Redis is not answering."
                                                     : "PostgreSQL is not answering.";
    api->reply_problem(r, 503, "service-unavailable", down_vi, down_en);
}

static void on_ping(cong_req_t *r, int err, const cong_redis_reply_t *reply, void *udata)
{
    readiness_t *st = udata;
    st->redis_ok = err == 0 && api->redis_type(reply) == CONG_REDIS_STATUS;
    readiness_answer(r, st);
}

static void on_select(cong_req_t *r, int err, const cong_pg_result_t *result, void *udata)
{
    readiness_t *st = udata;
    st->pg_ok = err == 0 && api->pg_ntuples(result) == 1;
    readiness_answer(r, st);
}

static void readyz(cong_req_t *r, void *udata)
{
    (void)udata;
    readiness_t *st = api->req_alloc(r, sizeof *st);
    st->pending = 3; /* two checks, plus this function's own hold */
    static const char *const ping[] = {"PING"};
    static const size_t ping_len[] = {4};
    if (api->redis_command(r, 1, ping, ping_len, on_ping, st) != 0)
        st->pending--;
    if (api->pg_query(r, "SELECT 1", 0, NULL, on_select, st) != 0)
        st->pending--;
    readiness_answer(r, st);
}

static void metrics(cong_req_t *r, void *udata)
{
    (void)udata;
    size_t len = 0;
    char *text = cong_metrics_render(r->worker->gateway->metrics, &len);
    size_t upstream_len = 0;
    char *upstream = text != NULL ? cong_upstream_metrics_render(&upstream_len) : NULL;
    char *both = upstream != NULL ? realloc(text, len + upstream_len + 1) : NULL;
    if (both != NULL) {
        memcpy(both + len, upstream, upstream_len + 1);
        len += upstream_len;
    }
    free(upstream);
    if (both == NULL)
        free(text);
    text = both;
    if (text == NULL) {
        api->reply_problem(r, 500, "internal-error", NULL, NULL);
        return;
    }
    api->reply_text(r, 200, "text/plain; version=0.0.4; charset=utf-8", text, len);
    free(text);
}

static void openapi(cong_req_t *r, void *udata)
{
    (void)udata;
    size_t len = 0;
    const char *json = r->h2o != NULL ? cong_openapi_doc_hold(r->worker->gateway, &r->h2o->pool, &len) : NULL;
    if (json == NULL) {
        api->reply_problem(r, 404, "not-found", NULL, NULL);
        return;
    }
    api->reply_header(r, "cache-control", "public, max-age=300");
    cong_reply_static(r, 200, "application/json", json, len); /* held until the request's pool goes (reloads) */
}

int cong_system_module_onload(cong_module_ctx_t *ctx, const cong_api_t *a)
{
    api = a;
    static const struct {
        const char *path, *operation_id;
        cong_handler_fn handler;
    } routes[] = {
        {"/healthz", "getHealth", healthz},
        {"/readyz", "getReadiness", readyz},
        {"/metrics", "getMetrics", metrics},
        {"/openapi.json", "getOpenApi", openapi},
    };
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
        int admin_only = routes[i].handler == metrics;
        cong_route_def_t def = {.size = sizeof def, .method = "GET", .path = routes[i].path,
                                .handler = routes[i].handler, .auth = admin_only ? CONG_AUTH_REQUIRED : CONG_AUTH_NONE,
                                .scopes = admin_only ? "admin" : NULL,
                                .rate_limit_class = "system", .operation_id = routes[i].operation_id};
        int rc = api->register_route(ctx, &def);
        if (rc != 0)
            return rc;
    }
    int rc = cong_docs_routes(ctx, a); /* GET /docs, GET /docs/redoc.standalone.js */
    if (rc != 0)
        return rc;
    return cong_document_keys_routes(ctx, a); /* GET /.well-known/cong-document-keys.json */
}

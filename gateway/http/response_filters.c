/* Response filters, a reply hook (request_hooks.h) run inside every reply: security headers, the request id, CORS.
 * A header a module already set (Cache-Control, Content-Security-Policy) is kept. */
#include "response_filters.h"

#include <stdio.h>
#include <string.h>

#include "gateway/config/config.h"
#include "request.h"

static void add_unless_set(h2o_req_t *req, const h2o_token_t *token, const char *value, size_t len)
{
    if (h2o_find_header(&req->res.headers, token, -1) < 0)
        h2o_add_header(&req->pool, &req->res.headers, token, NULL, value, len);
}

static void add_by_name_unless_set(h2o_req_t *req, const char *name, size_t name_len, const char *value, size_t len)
{
    if (h2o_find_header_by_str(&req->res.headers, name, name_len, -1) < 0)
        h2o_add_header_by_str(&req->pool, &req->res.headers, name, name_len, 0, NULL, value, len);
}

/* Only over the TLS listener (r->tls comes from the connection); a browser ignores it over cleartext anyway. */
static void add_hsts(cong_req_t *r)
{
    int max_age = r->worker->gateway->config->server.tls_hsts_max_age_s;
    if (max_age <= 0)
        return;
    char *value = h2o_mem_alloc_pool(&r->h2o->pool, sizeof "max-age=; includeSubDomains" + 10);
    int len = sprintf(value, "max-age=%d; includeSubDomains", max_age);
    add_unless_set(r->h2o, H2O_TOKEN_STRICT_TRANSPORT_SECURITY, value, (size_t)len);
}

static void apply_filters(cong_req_t *r, void *udata)
{
    (void)udata;
    h2o_req_t *req = r->h2o;
    h2o_add_header_by_str(&req->pool, &req->res.headers, H2O_STRLIT("x-request-id"), 0, NULL, r->id, strlen(r->id));
    add_unless_set(req, H2O_TOKEN_CACHE_CONTROL, H2O_STRLIT("no-store"));
    add_by_name_unless_set(req, H2O_STRLIT("x-content-type-options"), H2O_STRLIT("nosniff"));
    add_by_name_unless_set(req, H2O_STRLIT("x-frame-options"), H2O_STRLIT("DENY"));
    add_by_name_unless_set(req, H2O_STRLIT("content-security-policy"), H2O_STRLIT("default-src 'none'; frame-ancestors 'none'"));
    add_by_name_unless_set(req, H2O_STRLIT("referrer-policy"), H2O_STRLIT("no-referrer"));
    if (r->tls)
        add_hsts(r);
    if (r->cors_origin != NULL) {
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_ACCESS_CONTROL_ALLOW_ORIGIN, NULL, r->cors_origin,
                       strlen(r->cors_origin));
        h2o_add_header_by_str(&req->pool, &req->res.headers, H2O_STRLIT("access-control-expose-headers"), 0, NULL,
                              H2O_STRLIT("x-request-id, retry-after, ratelimit-limit, ratelimit-remaining, ratelimit-reset"));
    }
    if (r->worker->live->config->cors.allowed_origins.count > 0)
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_VARY, NULL, H2O_STRLIT("origin"));
}

const cong_request_hook_t cong_response_filters_hook = {.name = "response filters", .on_reply = apply_filters};

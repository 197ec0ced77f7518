/* tools/vneid_standin/http.c — the request log line, OAuth error replies, routing (see http.h). */
#include "http.h"

#include "handlers.h"

#include <stdio.h>
#include <string.h>

typedef struct route {
    const char *path;
    const char *method; /* the only one accepted */
    void (*serve)(vs_app_t *app, h2o_req_t *req);
    int test_only;      /* exists only with --test-endpoints */
} route_t;

static const route_t routes[] = {
    {"/.well-known/openid-configuration", "GET", vs_serve_discovery, 0},
    {"/jwks.json", "GET", vs_serve_jwks, 0},
    {"/authorize", "GET", vs_serve_authorize, 0},
    {"/authorize", "POST", vs_serve_authorize, 0},
    {"/token", "POST", vs_serve_token, 0},
    {"/admin/rotate", "POST", vs_serve_rotate, 0},
    {"/healthz", "GET", vs_serve_healthz, 0},
    {"/test/mint", "POST", vs_serve_test_mint, 1},
};

void vs_log_request(int method_len, const char *method, const char *path, int status)
{
    fprintf(stderr, "vneid-standin: %.*s %s %d\n", method_len, method, path, status);
}

void vs_reply_oauth_error(h2o_req_t *req, int status, const char *error, const char *description)
{
    standin_header(req, "cache-control", "no-store");
    standin_header(req, "pragma", "no-cache");
    standin_reply_json(req, status, json_pack("{s:s, s:s}", "error", error, "error_description", description));
}

void vs_dispatch(vs_app_t *app, h2o_req_t *req)
{
    size_t n = standin_path_length(req);
    char allow[32] = "";
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
        const route_t *r = &routes[i];
        if (!h2o_memis(req->path.base, n, r->path, strlen(r->path)) || (r->test_only && !app->config.test_endpoints))
            continue;
        if (standin_method_is(req, r->method)) {
            r->serve(app, req);
            return;
        }
        snprintf(allow + strlen(allow), sizeof allow - strlen(allow), "%s%s", allow[0] ? ", " : "", r->method);
    }
    if (allow[0]) {
        standin_header(req, "allow", allow);
        standin_reply_text(req, 405, "method not allowed\n");
        return;
    }
    standin_reply_text(req, 404, "not found\n");
}

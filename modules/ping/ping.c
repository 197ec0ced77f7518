/*
 * modules/ping — GET /v1/ping: proves the path end to end. Authenticated; answers with a summary of the principal
 * (never anything a token could be rebuilt from) and the worker-independent request id.
 */
#include <jansson.h>

#include "cong/module.h"
#include "modules/modules.h"

static const cong_api_t *api;

static json_t *string_or_null(const char *s)
{
    return s != NULL && s[0] != '\0' ? json_string(s) : json_null();
}

static void ping(cong_req_t *req, void *udata)
{
    (void)udata;
    const cong_principal_t *p = api->req_principal(req);
    json_t *principal = json_pack("{s:o, s:o, s:o, s:s, s:i, s:o}", "subject", string_or_null(p->subject),
                                  "on_behalf_of", string_or_null(p->on_behalf_of), "client_id",
                                  string_or_null(p->client_id), "scopes", p->scopes ? p->scopes : "", "loa", p->loa,
                                  "session_id", string_or_null(p->session_id));
    json_t *body = json_pack("{s:s, s:s, s:o}", "pong", "cổng", "request_id", api->req_id(req), "principal", principal);
    if (body == NULL) {
        api->reply_problem(req, 500, "internal-error", NULL, NULL);
        return;
    }
    api->reply_json(req, 200, body);
}

int cong_ping_onload(cong_module_ctx_t *ctx, const cong_api_t *a)
{
    if (a->abi_major != CONG_MODULE_ABI_MAJOR)
        return CONG_EVERSION;
    api = a;
    cong_route_def_t route = {
        .size = sizeof route,
        .method = "GET",
        .path = "/v1/ping",
        .handler = ping,
        .auth = CONG_AUTH_REQUIRED,
        .min_loa = 0,
        .rate_limit_class = "default",
        .operation_id = "getPing",
    };
    return api->register_route(ctx, &route);
}

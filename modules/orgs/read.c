/*
 * GET /v1/orgs/{code} — an organization, to its own API clients (sub "org:<id>") and to its legal representative (a
 * citizen on their own affairs: no client, nobody acted for). Anyone else gets 404 not-found, as for a code nobody
 * registered: the route never says which organizations exist. A code that is not a tax code is 422 (orgs.h).
 */
#include <jansson.h>
#include <string.h>

#include "orgs.h"

static void on_org(cong_req_t *req, int err, const cong_pg_result_t *res, void *udata)
{
    (void)udata;
    const cong_api_t *api = orgs_api;
    if (err != 0) {
        orgs_reply_store_error(req, err);
        return;
    }
    if (api->pg_ntuples(res) != 1) {
        api->reply_problem(req, 404, "not-found", NULL, NULL);
        return;
    }
    json_t *body = json_loads(api->pg_value(res, 0, 0), 0, NULL);
    if (body == NULL) {
        api->reply_problem(req, 500, "internal-error", NULL, NULL);
        return;
    }
    api->reply_header(req, "cache-control", "no-store");
    api->reply_json(req, 200, body);
}

static void get_org(cong_req_t *req, void *udata)
{
    (void)udata;
    const cong_api_t *api = orgs_api;
    const char *code = api->req_path_param(req, "code", NULL);
    if (!orgs_code_valid(code)) {
        json_t *errors = json_pack("[{s:s, s:s}]", "field", "code", "code", "invalid-format");
        api->reply_problem_ext(req, 422, "validation-failed", "Mã số doanh nghiệp không hợp lệ.",
                               "Not an enterprise/tax code (10 digits, or 10 digits, '-' and 3 digits).",
                               json_pack("{s:o}", "errors", errors));
        return;
    }
    const cong_principal_t *p = api->req_principal(req);
    /* the representative is a citizen calling on their own affairs: neither a client nor someone acting for another */
    int own_affairs = p->client_id == NULL && p->on_behalf_of == NULL;
    const char *actor = p->actor, *mandate = p->mandate_id; /* an employee acting for the organization, or NULL */
    const char *params[] = {code, p->subject, own_affairs ? "t" : "f", actor, mandate, api->req_id(req)};
    int rc = api->pg_query(req,
                           "WITH o AS (SELECT * FROM organizations o WHERE o.code = $1 "
                           "  AND ($2 = 'org:' || o.id OR ($3::boolean AND o.representative = $2))), "
                           "a AS (SELECT cong_audit('orgs', $4, 'citizen', 'org:' || o.id, 'org.view', 'org:' || o.id, "
                           "  $6, '{}'::jsonb, $5::uuid) FROM o WHERE $4::text IS NOT NULL) "
                           "SELECT jsonb_build_object('id', o.id, 'code', o.code, 'name', o.name, 'status', o.status, "
                           "  'subject', 'org:' || o.id, "
                           "  'created_at', "
                           "  to_char(o.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), "
                           "  'caller', CASE WHEN $4::text IS NOT NULL THEN 'staff' "
                           "                 WHEN $2 = 'org:' || o.id THEN 'client' ELSE 'representative' END) "
                           "FROM o, (SELECT count(*) FROM a) recorded",
                           6, params, on_org, NULL);
    if (rc != 0)
        orgs_reply_store_error(req, rc);
}

int orgs_read_register(cong_module_ctx_t *ctx)
{
    cong_route_def_t def = {.size = sizeof def, .method = "GET", .path = "/v1/orgs/{code}", .handler = get_org,
                            .auth = CONG_AUTH_REQUIRED, .min_loa = 0, .rate_limit_class = "default",
                            .operation_id = "getOrganization",
                            .mandate_action = "view"};
    return orgs_api->register_route(ctx, &def);
}

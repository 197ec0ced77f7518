/*
 * GET /v1/mandates?role=given|received&status=...   the mandates the caller gave (as grantor, or delegated as the
 *                                                   grantee of a parent) or received, newest first (at most 100)
 * GET /v1/mandates?org=CODE&status=...              the organization's mandates, to its current legal representative
 *                                                   (anyone else: 403 not-representative)
 * GET /v1/mandates/{id}                             one, to its parties only (and an organization grantor's current
 *                                                   representative): anyone else gets 404, never 403
 * GET /v1/mandates/{id}/uses?before=                every use of it and of its sub-mandates (the audit records written
 *                                                   under them), to the grantor, who delegated it and an organization
 *                                                   grantor's representative; 404 to anyone else
 *
 * None may be called while acting for someone (mandate_action NULL): whom one has authorized is one's own affair.
 */
#include <jansson.h>
#include <string.h>

#include "mandates.h"

#define LIST_LIMIT "100"

static const char *const statuses[] = {"requested", "active", "withdrawn", "declined", "expired", "used_up"};

static void on_json(cong_req_t *req, int err, const cong_pg_result_t *res, void *udata)
{
    (void)udata;
    const cong_api_t *api = mandates_api;
    if (err != 0) {
        mandates_reply_store_error(req, err);
        return;
    }
    if (api->pg_ntuples(res) != 1 || api->pg_is_null(res, 0, 0)) {
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

static void bad_query(cong_req_t *req, const char *field)
{
    json_t *errors = json_pack("[{s:s, s:s}]", "field", field, "code", "invalid-value");
    mandates_api->reply_problem_ext(req, 422, "validation-failed", NULL, NULL, json_pack("{s:o}", "errors", errors));
}

/* An (http_status, body) answer of the SQL layer. */
static void on_outcome(cong_req_t *req, int err, const cong_pg_result_t *res, void *udata)
{
    (void)udata;
    const cong_api_t *api = mandates_api;
    if (err != 0 || api->pg_ntuples(res) != 1) {
        mandates_reply_store_error(req, err != 0 ? err : CONG_EIO);
        return;
    }
    api->reply_header(req, "cache-control", "no-store");
    mandates_reply_outcome(req, api->pg_value(res, 0, 0), api->pg_value(res, 0, 1));
}

static void list(cong_req_t *req, void *udata)
{
    (void)udata;
    const cong_api_t *api = mandates_api;
    const char *role = api->req_query_param(req, "role", NULL);
    const char *status = api->req_query_param(req, "status", NULL);
    const char *org = api->req_query_param(req, "org", NULL);
    if (role == NULL)
        role = org != NULL ? "given" : "received";
    if (strcmp(role, "given") != 0 && (strcmp(role, "received") != 0 || org != NULL)) {
        bad_query(req, "role");
        return;
    }
    if (org != NULL && !mandates_tax_code_valid(org)) {
        bad_query(req, "org");
        return;
    }
    size_t known = 0;
    while (status != NULL && known < sizeof statuses / sizeof statuses[0] && strcmp(status, statuses[known]) != 0)
        known++;
    if (status != NULL && known == sizeof statuses / sizeof statuses[0]) {
        bad_query(req, "status");
        return;
    }
    const char *subject = api->req_principal(req)->subject;
    if (org != NULL) {
        const char *params[] = {subject, org, status, LIST_LIMIT};
        mandates_query(req, "SELECT http_status, body FROM mandate_org_list($1, $2, $3, $4::int)", 4, params,
                       on_outcome, NULL);
        return;
    }
    const char *params[] = {subject, role, status, LIST_LIMIT};
    mandates_query(req, "SELECT mandate_list($1, $2, $3, $4::int)", 4, params, on_json, NULL);
}

static void one(cong_req_t *req, void *udata)
{
    (void)udata;
    const cong_api_t *api = mandates_api;
    const char *id = api->req_path_param(req, "id", NULL);
    if (!mandates_is_uuid(id)) {
        api->reply_problem(req, 404, "not-found", NULL, NULL);
        return;
    }
    const char *params[] = {id, api->req_principal(req)->subject};
    mandates_query(req,
                   "SELECT mandate_json(m) FROM mandates m WHERE m.id = $1::uuid AND mandate_visible_to(m, $2)", 2,
                   params, on_json, NULL);
}

static void uses(cong_req_t *req, void *udata)
{
    (void)udata;
    const cong_api_t *api = mandates_api;
    const char *id = api->req_path_param(req, "id", NULL);
    const char *before = api->req_query_param(req, "before", NULL);
    if (!mandates_is_uuid(id)) {
        api->reply_problem(req, 404, "not-found", NULL, NULL);
        return;
    }
    size_t digits = before != NULL ? strspn(before, "0123456789") : 0;
    if (before != NULL && (digits == 0 || digits > 18 || before[digits] != '\0')) {
        bad_query(req, "before");
        return;
    }
    const char *params[] = {id, api->req_principal(req)->subject, before, LIST_LIMIT};
    mandates_query(req, "SELECT mandate_uses($1::uuid, $2, $3::bigint, $4::int)", 4, params, on_json, NULL);
}

int mandates_read_register(cong_module_ctx_t *ctx)
{
    cong_route_def_t defs[] = {
        {.size = sizeof(cong_route_def_t), .method = "GET", .path = "/v1/mandates", .handler = list,
         .auth = CONG_AUTH_REQUIRED, .min_loa = 1, .operation_id = "listMandates"},
        {.size = sizeof(cong_route_def_t), .method = "GET", .path = "/v1/mandates/{id}", .handler = one,
         .auth = CONG_AUTH_REQUIRED, .min_loa = 1, .operation_id = "getMandate"},
        {.size = sizeof(cong_route_def_t), .method = "GET", .path = "/v1/mandates/{id}/uses", .handler = uses,
         .auth = CONG_AUTH_REQUIRED, .min_loa = 1, .operation_id = "listMandateUses"},
    };
    for (size_t i = 0; i < sizeof defs / sizeof defs[0]; i++) {
        int rc = mandates_api->register_route(ctx, &defs[i]);
        if (rc != 0)
            return rc;
    }
    return 0;
}

/*
 * modules/orgs — POST/GET/DELETE /v1/org/webhooks: an organization's webhook endpoints, for its own API clients
 * (scope "webhooks"; orgs.h "Webhooks"). The secret is made and sealed here and answered once, by the 201; it is never
 * read back out by any route.
 */
#include <jansson.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>

#include "orgs.h"

typedef struct create_state {
    char secret[ORGS_WEBHOOK_SECRET_TEXT_LEN + 1];
    char location[64];
} create_state_t;

static void reply_validation(cong_req_t *req, json_t *errors)
{
    orgs_api->reply_problem_ext(req, 422, "validation-failed", "Thông tin webhook không hợp lệ.",
                                "The webhook endpoint is not valid.", json_pack("{s:o}", "errors", errors));
}

/* The event types of the body into a PostgreSQL array literal (each checked against the fixed list: no quoting
 * needed), without repeats; an error of the field goes to errors. */
static void event_types_literal(json_t *types, json_t *errors, char *out, size_t cap)
{
    size_t n = json_is_array(types) ? json_array_size(types) : 0, used = 1;
    strcpy(out, "{");
    if (n == 0 || n > 5) {
        json_array_append_new(errors, json_pack("{s:s, s:s}", "field", "event_types", "code",
                                                n == 0 ? "required" : "too-many"));
        return;
    }
    for (size_t i = 0; i < n; i++) {
        const char *t = json_string_value(json_array_get(types, i));
        if (!orgs_webhook_event_type_ok(t)) {
            json_array_append_new(errors, json_pack("{s:s, s:s}", "field", "event_types", "code", "unknown-type"));
            return;
        }
        if (strstr(out, t) != NULL)
            continue;
        used += (size_t)snprintf(out + used, cap - used, "%s%s", used > 1 ? "," : "", t);
    }
    snprintf(out + used, cap - used, "}");
}

static void on_created(cong_req_t *req, int err, const cong_pg_result_t *res, void *udata)
{
    create_state_t *st = udata;
    const cong_api_t *api = orgs_api;
    if (err != 0) {
        orgs_reply_store_error(req, err);
    } else if (api->pg_is_null(res, 0, 0) && strcmp(api->pg_value(res, 0, 1), "0") == 0) {
        api->reply_problem(req, 403, "forbidden", "Tổ chức không còn hoạt động.", "The organization is not active.");
    } else if (api->pg_is_null(res, 0, 0)) {
        api->reply_problem(req, 409, "conflict", "Tổ chức đã có đủ số webhook cho phép.",
                           "The organization has as many webhook endpoints as it may.");
    } else {
        json_t *body = json_loads(api->pg_value(res, 0, 0), 0, NULL);
        if (body == NULL) {
            api->reply_problem(req, 500, "internal-error", NULL, NULL);
        } else {
            json_object_set_new(body, "secret", json_string(st->secret)); /* shown this once */
            api->reply_header(req, "cache-control", "no-store");
            api->reply_header(req, "location", st->location);
            api->reply_json(req, 201, body);
        }
    }
    OPENSSL_cleanse(st->secret, sizeof st->secret);
}

static void create_endpoint(cong_req_t *req, void *udata)
{
    (void)udata;
    const cong_api_t *api = orgs_api;
    const char *org = orgs_webhook_caller_org(req);
    if (org == NULL)
        return;
    json_t *body = api->req_json(req), *errors = json_array();
    const char *url = json_string_value(json_object_get(body, "url"));
    if (!orgs_webhook_url_ok(url, orgs_webhook_config.allow_http_loopback))
        json_array_append_new(errors, json_pack("{s:s, s:s}", "field", "url", "code",
                                                url == NULL ? "required" : "https-required"));
    char types[200];
    event_types_literal(json_object_get(body, "event_types"), errors, types, sizeof types);
    if (json_array_size(errors) > 0) {
        reply_validation(req, errors);
        return;
    }
    json_decref(errors);
    if (!orgs_webhook_config.have_key) {
        api->log(CONG_LOG_ERROR, ORGS_MODULE, "a webhook endpoint cannot be created: no webhook_key_file");
        api->reply_problem(req, 503, "service-unavailable", NULL, NULL);
        return;
    }
    create_state_t *st = api->req_alloc(req, sizeof *st);
    char id[37], sealed_hex[ORGS_WEBHOOK_SEALED_HEX_MAX], max[16];
    if (st == NULL || orgs_webhook_uuid_new(id) != 0 ||
        orgs_webhook_secret_sealed_new(orgs_webhook_config.key, id, st->secret, sealed_hex, sizeof sealed_hex) != 0) {
        api->reply_problem(req, 500, "internal-error", NULL, NULL);
        return;
    }
    snprintf(st->location, sizeof st->location, "/v1/org/webhooks/%s", id);
    snprintf(max, sizeof max, "%d", orgs_webhook_config.max_endpoints);
    const char *params[] = {id, org, url, types, sealed_hex, api->req_principal(req)->client_id, max,
                            api->req_id(req)};
    int rc = api->pg_query(req,
                           "WITH o AS (SELECT id FROM organizations WHERE id = $2::uuid AND status = 'active'), "
                           "ins AS (INSERT INTO webhook_endpoints AS w "
                           "          (id, organization_id, url, event_types, secret_sealed, created_by) "
                           "        SELECT $1::uuid, o.id, $3, $4::text[], $5::bytea, $6 FROM o "
                           "         WHERE (SELECT count(*) FROM webhook_endpoints x WHERE x.organization_id = o.id) "
                           "               < $7::int "
                           "        RETURNING webhook_endpoint_json(w) AS j), "
                           "a AS (SELECT webhook_audit($6, $2::uuid, 'webhook.create', $1::uuid, $8, "
                           "        jsonb_build_object('event_types', to_jsonb($4::text[]))) FROM ins) "
                           "SELECT (SELECT j::text FROM ins), (SELECT count(*) FROM o), (SELECT count(*) FROM a)",
                           8, params, on_created, st);
    if (rc != 0)
        orgs_reply_store_error(req, rc);
}

static void on_list(cong_req_t *req, int err, const cong_pg_result_t *res, void *udata)
{
    (void)udata;
    if (err != 0)
        orgs_reply_store_error(req, err);
    else
        orgs_reply_json_text(req, 200, orgs_api->pg_value(res, 0, 0));
}

static void list_endpoints(cong_req_t *req, void *udata)
{
    (void)udata;
    const char *org = orgs_webhook_caller_org(req);
    if (org == NULL)
        return;
    const char *params[] = {org};
    int rc = orgs_api->pg_query(req,
                                "SELECT jsonb_build_object('endpoints', coalesce(jsonb_agg(webhook_endpoint_json(e) "
                                "ORDER BY e.created_at, e.id), '[]'))::text "
                                "FROM webhook_endpoints e WHERE e.organization_id = $1::uuid",
                                1, params, on_list, NULL);
    if (rc != 0)
        orgs_reply_store_error(req, rc);
}

static void on_deleted(cong_req_t *req, int err, const cong_pg_result_t *res, void *udata)
{
    (void)udata;
    const cong_api_t *api = orgs_api;
    if (err != 0) {
        orgs_reply_store_error(req, err);
    } else if (api->pg_ntuples(res) == 0) {
        api->reply_problem(req, 404, "not-found", NULL, NULL);
    } else {
        api->reply_header(req, "cache-control", "no-store");
        api->reply_text(req, 204, "application/json", "", 0);
    }
}

static void delete_endpoint(cong_req_t *req, void *udata)
{
    (void)udata;
    const cong_api_t *api = orgs_api;
    const char *org = orgs_webhook_caller_org(req);
    if (org == NULL)
        return;
    const char *id = api->req_path_param(req, "id", NULL);
    if (!orgs_uuid_ok(id)) {
        api->reply_problem(req, 404, "not-found", NULL, NULL);
        return;
    }
    const char *params[] = {id, org, api->req_principal(req)->client_id, api->req_id(req)};
    int rc = api->pg_query(req,
                           "WITH d AS (DELETE FROM webhook_endpoints WHERE id = $1::uuid AND organization_id = $2::uuid "
                           "           RETURNING id), "
                           "a AS (SELECT webhook_audit($3, $2::uuid, 'webhook.delete', d.id, $4) FROM d) "
                           "SELECT d.id FROM d, (SELECT count(*) FROM a) recorded",
                           4, params, on_deleted, NULL);
    if (rc != 0)
        orgs_reply_store_error(req, rc);
}

int orgs_webhook_endpoints_register(cong_module_ctx_t *ctx)
{
    const cong_route_def_t defs[] = {
        {.size = sizeof defs[0], .method = "POST", .path = "/v1/org/webhooks", .handler = create_endpoint,
         .auth = CONG_AUTH_REQUIRED, .scopes = ORGS_WEBHOOK_SCOPE, .rate_limit_class = "default",
         .operation_id = "createWebhookEndpoint", .max_body_bytes = 8192},
        {.size = sizeof defs[0], .method = "GET", .path = "/v1/org/webhooks", .handler = list_endpoints,
         .auth = CONG_AUTH_REQUIRED, .scopes = ORGS_WEBHOOK_SCOPE, .rate_limit_class = "default",
         .operation_id = "listWebhookEndpoints"},
        {.size = sizeof defs[0], .method = "DELETE", .path = "/v1/org/webhooks/{id}", .handler = delete_endpoint,
         .auth = CONG_AUTH_REQUIRED, .scopes = ORGS_WEBHOOK_SCOPE, .rate_limit_class = "default",
         .operation_id = "deleteWebhookEndpoint"},
    };
    for (size_t i = 0; i < sizeof defs / sizeof defs[0]; i++) {
        int rc = orgs_api->register_route(ctx, &defs[i]);
        if (rc != 0)
            return rc;
    }
    return 0;
}

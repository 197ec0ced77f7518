/*
 * modules/orgs — an endpoint's life after its creation (orgs.h "Webhooks"), for the organization's own API clients
 * (scope "webhooks"; another organization's endpoint is 404, as none):
 *   POST /v1/org/webhooks/{id}/enable         an endpoint the worker disabled takes new events again (idempotent);
 *   POST /v1/org/webhooks/{id}/rotate-secret  a new secret, answered once; the old one is signed with too for
 *                                             modules.orgs.webhook_rotation_overlap_s (migrations/0004).
 * The new secret is made and sealed here, as at creation, and wiped once answered.
 */
#include <jansson.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>

#include "orgs.h"

typedef struct rotate_state {
    char secret[ORGS_WEBHOOK_SECRET_TEXT_LEN + 1];
} rotate_state_t;

/* The {id} of the route, or NULL after answering 404 (not a UUID: no endpoint). */
static const char *endpoint_id_of(cong_req_t *req)
{
    const char *id = orgs_api->req_path_param(req, "id", NULL);
    if (!orgs_uuid_ok(id)) {
        orgs_api->reply_problem(req, 404, "not-found", NULL, NULL);
        return NULL;
    }
    return id;
}

static void on_enabled(cong_req_t *req, int err, const cong_pg_result_t *res, void *udata)
{
    (void)udata;
    if (err != 0)
        orgs_reply_store_error(req, err);
    else if (orgs_api->pg_ntuples(res) == 0)
        orgs_api->reply_problem(req, 404, "not-found", NULL, NULL);
    else
        orgs_reply_json_text(req, 200, orgs_api->pg_value(res, 0, 0));
}

/* Only the status changes: events from now on are delivered (the trigger fills active endpoints' logs only); what
 * failed while it was disabled stays failed, each replayable by .../deliveries/{delivery}/retry. */
static void enable_endpoint(cong_req_t *req, void *udata)
{
    (void)udata;
    const char *org = orgs_webhook_caller_org(req), *id = org ? endpoint_id_of(req) : NULL;
    if (id == NULL)
        return;
    const char *params[] = {id, org, orgs_api->req_principal(req)->client_id, orgs_api->req_id(req)};
    int rc = orgs_api->pg_query(req,
                                "WITH u AS (UPDATE webhook_endpoints w SET status = 'active', disabled_at = NULL "
                                "           WHERE w.id = $1::uuid AND w.organization_id = $2::uuid "
                                "           RETURNING w.id, webhook_endpoint_json(w)::text AS j), "
                                "a AS (SELECT webhook_audit($3, $2::uuid, 'webhook.enable', u.id, $4) FROM u) "
                                "SELECT u.j FROM u, (SELECT count(*) FROM a) recorded",
                                4, params, on_enabled, NULL);
    if (rc != 0)
        orgs_reply_store_error(req, rc);
}

static void on_rotated(cong_req_t *req, int err, const cong_pg_result_t *res, void *udata)
{
    rotate_state_t *st = udata;
    const cong_api_t *api = orgs_api;
    json_t *body = NULL;
    if (err != 0) {
        orgs_reply_store_error(req, err);
    } else if (api->pg_ntuples(res) == 0) {
        api->reply_problem(req, 404, "not-found", NULL, NULL);
    } else if ((body = json_loads(api->pg_value(res, 0, 0), 0, NULL)) == NULL) {
        api->reply_problem(req, 500, "internal-error", NULL, NULL);
    } else {
        json_object_set_new(body, "secret", json_string(st->secret)); /* shown this once */
        json_object_set_new(body, "previous_secret_expires_at", json_string(api->pg_value(res, 0, 1)));
        api->reply_header(req, "cache-control", "no-store");
        api->reply_json(req, 200, body);
    }
    OPENSSL_cleanse(st->secret, sizeof st->secret);
}

static void rotate_secret(cong_req_t *req, void *udata)
{
    (void)udata;
    const cong_api_t *api = orgs_api;
    const char *org = orgs_webhook_caller_org(req), *id = org ? endpoint_id_of(req) : NULL;
    if (id == NULL)
        return;
    if (!orgs_webhook_config.have_key) {
        api->log(CONG_LOG_ERROR, ORGS_MODULE, "a webhook secret cannot be rotated: no webhook_key_file");
        api->reply_problem(req, 503, "service-unavailable", NULL, NULL);
        return;
    }
    rotate_state_t *st = api->req_alloc(req, sizeof *st);
    char sealed_hex[ORGS_WEBHOOK_SEALED_HEX_MAX], overlap[16];
    if (st == NULL ||
        orgs_webhook_secret_sealed_new(orgs_webhook_config.key, id, st->secret, sealed_hex, sizeof sealed_hex) != 0) {
        api->reply_problem(req, 500, "internal-error", NULL, NULL);
        return;
    }
    snprintf(overlap, sizeof overlap, "%d", orgs_webhook_config.rotation_overlap_s);
    const char *params[] = {id, org, sealed_hex, overlap, api->req_principal(req)->client_id, api->req_id(req)};
    /* SET reads the row as it was: the secret in use becomes the previous one */
    int rc = api->pg_query(req,
                           "WITH u AS (UPDATE webhook_endpoints w SET previous_secret_sealed = w.secret_sealed, "
                           "       previous_secret_until = now() + make_interval(secs => $4::int), "
                           "       secret_sealed = $3::bytea "
                           "  WHERE w.id = $1::uuid AND w.organization_id = $2::uuid "
                           "  RETURNING w.id, webhook_endpoint_json(w)::text AS j, "
                           "    to_char(w.previous_secret_until AT TIME ZONE 'UTC', "
                           "            'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS until), "
                           "a AS (SELECT webhook_audit($5, $2::uuid, 'webhook.rotate_secret', u.id, $6, "
                           "        jsonb_build_object('overlap_s', $4::int)) FROM u) "
                           "SELECT u.j, u.until FROM u, (SELECT count(*) FROM a) recorded",
                           6, params, on_rotated, st);
    if (rc != 0) {
        OPENSSL_cleanse(st->secret, sizeof st->secret);
        orgs_reply_store_error(req, rc);
    }
}

int orgs_webhook_lifecycle_register(cong_module_ctx_t *ctx)
{
    const cong_route_def_t defs[] = {
        {.size = sizeof defs[0], .method = "POST", .path = "/v1/org/webhooks/{id}/enable", .handler = enable_endpoint,
         .auth = CONG_AUTH_REQUIRED, .scopes = ORGS_WEBHOOK_SCOPE, .rate_limit_class = "default",
         .operation_id = "enableWebhookEndpoint"},
        {.size = sizeof defs[0], .method = "POST", .path = "/v1/org/webhooks/{id}/rotate-secret",
         .handler = rotate_secret, .auth = CONG_AUTH_REQUIRED, .scopes = ORGS_WEBHOOK_SCOPE,
         .rate_limit_class = "default", .operation_id = "rotateWebhookSecret"},
    };
    for (size_t i = 0; i < sizeof defs / sizeof defs[0]; i++) {
        int rc = orgs_api->register_route(ctx, &defs[i]);
        if (rc != 0)
            return rc;
    }
    return 0;
}

/*
 * modules/orgs — an endpoint's delivery log (GET /v1/org/webhooks/{id}/deliveries) and the replay of one delivery
 * (POST /v1/org/webhooks/{id}/deliveries/{delivery}/retry), for the organization's own API clients (scope
 * "webhooks"; orgs.h "Webhooks"). A replay sends the same body under the same webhook-id, so a receiver that has it
 * already deduplicates; it starts a new retry series at once.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "orgs.h"

#define LOG_LIMIT_DEFAULT 50
#define LOG_LIMIT_MAX 200

static void on_log(cong_req_t *req, int err, const cong_pg_result_t *res, void *udata)
{
    (void)udata;
    const cong_api_t *api = orgs_api;
    if (err != 0)
        orgs_reply_store_error(req, err);
    else if (api->pg_ntuples(res) == 0)
        api->reply_problem(req, 404, "not-found", NULL, NULL);
    else
        orgs_reply_json_text(req, 200, api->pg_value(res, 0, 0));
}

static int limit_of(cong_req_t *req)
{
    const char *text = orgs_api->req_query_param(req, "limit", NULL);
    if (text == NULL)
        return LOG_LIMIT_DEFAULT;
    char *end;
    long n = strtol(text, &end, 10);
    return *text != '\0' && *end == '\0' && n >= 1 && n <= LOG_LIMIT_MAX ? (int)n : -1;
}

static void list_deliveries(cong_req_t *req, void *udata)
{
    (void)udata;
    const cong_api_t *api = orgs_api;
    const char *org = orgs_webhook_caller_org(req);
    if (org == NULL)
        return;
    const char *id = api->req_path_param(req, "id", NULL);
    int limit = limit_of(req);
    if (limit < 0) {
        api->reply_problem_ext(req, 422, "validation-failed", NULL, NULL,
                               json_pack("{s:[{s:s, s:s}]}", "errors", "field", "limit", "code", "out-of-range"));
        return;
    }
    const char *before = api->req_query_param(req, "before", NULL);
    if (before != NULL && !orgs_webhook_cursor_ok(before)) {
        api->reply_problem_ext(req, 422, "validation-failed", NULL, NULL,
                               json_pack("{s:[{s:s, s:s}]}", "errors", "field", "before", "code", "invalid-cursor"));
        return;
    }
    if (!orgs_uuid_ok(id)) {
        api->reply_problem(req, 404, "not-found", NULL, NULL);
        return;
    }
    char limit_text[16];
    snprintf(limit_text, sizeof limit_text, "%d", limit);
    const char *params[] = {id, org, limit_text, before};
    /* Keyset paging, newest first: one row more than the page says whether another page follows, and the page's last
     * row is its cursor (webhook_delivery_cursor, migration 0004). */
    int rc = api->pg_query(req,
                           "WITH p AS (SELECT x AS r, x.created_at AS c, x.id AS i FROM webhook_deliveries x "
                           "           WHERE x.endpoint_id = $1::uuid AND ($4::text IS NULL OR (x.created_at, x.id) < "
                           "                  (split_part($4, '_', 1)::timestamptz, split_part($4, '_', 2)::uuid)) "
                           "           ORDER BY x.created_at DESC, x.id DESC LIMIT $3::int + 1), "
                           "page AS (SELECT * FROM p ORDER BY c DESC, i DESC LIMIT $3::int) "
                           "SELECT jsonb_build_object('endpoint', e.id, 'status', e.status, 'deliveries', "
                           "  coalesce((SELECT jsonb_agg(webhook_delivery_json(r) ORDER BY c DESC, i DESC) FROM page), "
                           "           '[]'), "
                           "  'next_cursor', CASE WHEN (SELECT count(*) FROM p) > $3::int THEN "
                           "    (SELECT webhook_delivery_cursor(r) FROM page ORDER BY c, i LIMIT 1) END)::text "
                           "FROM webhook_endpoints e WHERE e.id = $1::uuid AND e.organization_id = $2::uuid",
                           4, params, on_log, NULL);
    if (rc != 0)
        orgs_reply_store_error(req, rc);
}

static void on_replayed(cong_req_t *req, int err, const cong_pg_result_t *res, void *udata)
{
    (void)udata;
    const cong_api_t *api = orgs_api;
    if (err != 0)
        orgs_reply_store_error(req, err);
    else if (api->pg_is_null(res, 0, 0))
        api->reply_problem(req, 404, "not-found", NULL, NULL);
    else if (api->pg_is_null(res, 0, 1))
        api->reply_problem(req, 409, "conflict", "Webhook đã bị tắt: hãy bật lại trước (POST .../enable).",
                           "The endpoint is disabled: enable it first (POST .../enable).");
    else
        orgs_reply_json_text(req, 202, api->pg_value(res, 0, 1));
}

static void replay_delivery(cong_req_t *req, void *udata)
{
    (void)udata;
    const cong_api_t *api = orgs_api;
    const char *org = orgs_webhook_caller_org(req);
    if (org == NULL)
        return;
    const char *id = api->req_path_param(req, "id", NULL), *delivery = api->req_path_param(req, "delivery", NULL);
    if (!orgs_uuid_ok(id) || !orgs_uuid_ok(delivery)) {
        api->reply_problem(req, 404, "not-found", NULL, NULL);
        return;
    }
    const char *params[] = {delivery, id, org};
    int rc = api->pg_query(req,
                           "WITH t AS (SELECT d.id, e.status FROM webhook_deliveries d "
                           "             JOIN webhook_endpoints e ON e.id = d.endpoint_id "
                           "            WHERE d.id = $1::uuid AND e.id = $2::uuid AND e.organization_id = $3::uuid "
                           "            FOR UPDATE OF d), "
                           "u AS (UPDATE webhook_deliveries d SET state = 'pending', next_attempt_at = now(), "
                           "             tries = 0, series_started_at = now(), leased_until = NULL "
                           "        FROM t WHERE d.id = t.id AND t.status = 'active' "
                           "      RETURNING webhook_delivery_json(d) AS j) "
                           "SELECT (SELECT status FROM t), (SELECT j::text FROM u)",
                           3, params, on_replayed, NULL);
    if (rc != 0)
        orgs_reply_store_error(req, rc);
}

int orgs_webhook_deliveries_register(cong_module_ctx_t *ctx)
{
    const cong_route_def_t defs[] = {
        {.size = sizeof defs[0], .method = "GET", .path = "/v1/org/webhooks/{id}/deliveries",
         .handler = list_deliveries, .auth = CONG_AUTH_REQUIRED, .scopes = ORGS_WEBHOOK_SCOPE,
         .rate_limit_class = "default", .operation_id = "listWebhookDeliveries"},
        {.size = sizeof defs[0], .method = "POST", .path = "/v1/org/webhooks/{id}/deliveries/{delivery}/retry",
         .handler = replay_delivery, .auth = CONG_AUTH_REQUIRED, .scopes = ORGS_WEBHOOK_SCOPE,
         .rate_limit_class = "default", .operation_id = "retryWebhookDelivery"},
    };
    for (size_t i = 0; i < sizeof defs / sizeof defs[0]; i++) {
        int rc = orgs_api->register_route(ctx, &defs[i]);
        if (rc != 0)
            return rc;
    }
    return 0;
}

/*
 * GET /v1/admin/sync (scope admin): how far the National Public Service Portal is behind.
 *
 * Read straight from the portal outbox that cong-portal-sync drains: pending records, failing ones (tried at least
 * once and not acknowledged), the age of the oldest pending record (the lag), the last acknowledgement, and the 20
 * records that failed most recently, with their last error (a short reason, never a payload).
 */
#include "procedures.h"

static void status(cong_req_t *req, void *udata)
{
    (void)udata;
    procedures_api->reply_header(req, "cache-control", "no-store");
    procedures_query(req,
        "SELECT json_build_object("
        "'pending', (SELECT count(*) FROM portal_outbox WHERE acked_at IS NULL), "
        "'failing', (SELECT count(*) FROM portal_outbox WHERE acked_at IS NULL AND attempts > 0), "
        "'acknowledged', (SELECT count(*) FROM portal_outbox WHERE acked_at IS NOT NULL), "
        "'lag_seconds', coalesce((SELECT extract(epoch FROM now() - min(created_at))::float8 FROM portal_outbox "
        "WHERE acked_at IS NULL), 0), "
        "'last_acked_at', (SELECT max(acked_at) FROM portal_outbox), "
        "'push_pending', (SELECT count(*) FROM push_outbox WHERE published_at IS NULL), "
        "'failing_records', coalesce((SELECT json_agg(x) FROM (SELECT dossier_code, version, attempts, last_error, "
        "next_attempt_at FROM portal_outbox WHERE acked_at IS NULL AND attempts > 0 "
        "ORDER BY next_attempt_at DESC LIMIT 20) x), '[]'::json))",
        0, NULL, procedures_pg_json, NULL);
}

int procedures_sync_register(cong_module_ctx_t *ctx)
{
    const cong_route_def_t route = {.size = sizeof route, .method = "GET", .path = "/v1/admin/sync",
                                    .handler = status, .auth = CONG_AUTH_REQUIRED, .scopes = "admin",
                                    .rate_limit_class = "default", .operation_id = "getSyncStatus"};
    return procedures_api->register_route(ctx, &route);
}

/*
 * modules/push — the entry point: the module's name, its configuration keys (modules.push.*), its migrations, then
 * each file's routes. Needs ABI 1.5 (mandate_action: every route is the caller's own affairs). Loaded for a command,
 * it declares its keys and migrations only.
 *
 *   POST   /v1/me/devices              the device of my session {platform, token, locale?}  devices.c
 *   GET    /v1/me/devices              my devices                                          devices.c
 *   DELETE /v1/me/devices/{id}         one of them goes                                    devices.c
 *   GET    /v1/me/inbox                my inbox, newest first, ?cursor= &limit=            inbox.c
 *   POST   /v1/me/inbox/{id}/read      an item read (idempotent)                           inbox.c
 *   DELETE /v1/me/inbox/{id}           an item gone from the list (kept, deleted_at set)    inbox.c
 *   GET    /v1/me/push-area            my area for broadcasts                              area.c
 *   PUT    /v1/me/push-area            choose it {ward_code | null}                        area.c
 *   POST   /v1/broadcasts              an official's broadcast (scope broadcast)           broadcasts.c
 *   GET    /v1/broadcasts/{id}         its progress                                        broadcasts.c
 *   DELETE /v1/broadcasts/{id}         cancel it                                           broadcasts.c
 *   GET    /v1/me/events               my live events, Server-Sent Events (ABI 1.7)        events.c
 */
#include <stdlib.h>
#include <string.h>

#include "push.h"

const cong_api_t *push_api;
push_config_t push_config;

#define KEY(name, type, def, help) {sizeof(cong_config_key_def_t), name, type, def, help}
static const cong_config_key_def_t config_keys[] = {
    KEY("migrations_dir", CONG_CONFIG_STRING, "modules/push/migrations", "the module's SQL migrations"),
    KEY("inbox_page_size", CONG_CONFIG_INT, "20",
        "items of an inbox page when the client asks for no ?limit= (1..100)"),
    KEY("events_heartbeat_ms", CONG_CONFIG_INT, "15000", "a comment line on a live event stream quiet this long"),
    KEY("events_stall_ms", CONG_CONFIG_INT, "10000",
        "a live event stream whose client takes nothing for this long is ended (the client resumes)"),
    KEY("events_retry_ms", CONG_CONFIG_INT, "3000", "the retry hint of live event streams"),
    KEY("events_buffer_bytes", CONG_CONFIG_INT, "8192",
        "each live event stream's buffer (1024..65536); a larger event is skipped"),
    KEY("events_max_per_subject", CONG_CONFIG_INT, "5", "open live event streams of one person on one worker"),
};

/* An int key within [min, max], or -1 (logged). */
static int int_key(cong_module_ctx_t *ctx, const char *name, int min, int max)
{
    int v = atoi(push_api->config_get(ctx, name));
    if (v >= min && v <= max)
        return v;
    push_api->log(CONG_LOG_ERROR, PUSH_MODULE, "%s: %d..%d expected", name, min, max);
    return -1;
}

void push_reply_store_error(cong_req_t *req, int err)
{
    const cong_api_t *api = push_api;
    if (err == CONG_EUNAVAILABLE || err == CONG_ETIMEDOUT || err == CONG_EBUSY) {
        api->reply_problem(req, 503, "service-unavailable", NULL, NULL);
        return;
    }
    api->log(CONG_LOG_ERROR, PUSH_MODULE, "store error %s (request %s)", api->strerror(err), api->req_id(req));
    api->reply_problem(req, 500, "internal-error", NULL, NULL);
}

void push_query(cong_req_t *req, const char *sql, int nparams, const char *const *params, cong_pg_cb cb, void *udata)
{
    int rc = push_api->pg_query(req, sql, nparams, params, cb, udata);
    if (rc != 0)
        push_reply_store_error(req, rc);
}

void push_reply_json_text(cong_req_t *req, int status, const char *text)
{
    push_api->reply_header(req, "cache-control", "no-store");
    push_api->reply_text(req, status, "application/json", text, strlen(text));
}

void push_reply_no_content(cong_req_t *req)
{
    push_api->reply_header(req, "cache-control", "no-store");
    push_api->reply_text(req, 204, NULL, NULL, 0);
}

static int read_config(cong_module_ctx_t *ctx)
{
    const cong_api_t *api = push_api;
    for (size_t i = 0; i < sizeof config_keys / sizeof config_keys[0]; i++) {
        int rc = api->register_config(ctx, &config_keys[i]);
        if (rc != 0)
            return rc;
    }
    push_config.inbox_page_size = atoi(api->config_get(ctx, "inbox_page_size"));
    if (push_config.inbox_page_size < 1 || push_config.inbox_page_size > PUSH_LIMIT_MAX) {
        api->log(CONG_LOG_ERROR, PUSH_MODULE, "inbox_page_size: 1..%d expected", PUSH_LIMIT_MAX);
        return CONG_EINVAL;
    }
    push_config.events_heartbeat_ms = int_key(ctx, "events_heartbeat_ms", 100, 3600000);
    push_config.events_stall_ms = int_key(ctx, "events_stall_ms", 100, 3600000);
    push_config.events_retry_ms = int_key(ctx, "events_retry_ms", 0, 3600000);
    push_config.events_buffer_bytes = int_key(ctx, "events_buffer_bytes", 1024, 65536);
    push_config.events_max_per_subject = int_key(ctx, "events_max_per_subject", 1, 1000);
    if (push_config.events_heartbeat_ms < 0 || push_config.events_stall_ms < 0 || push_config.events_retry_ms < 0 ||
        push_config.events_buffer_bytes < 0 || push_config.events_max_per_subject < 0)
        return CONG_EINVAL;
    return api->register_migrations(ctx, api->config_get(ctx, "migrations_dir"));
}

int cong_push_onload(cong_module_ctx_t *ctx, const cong_api_t *api)
{
    if (api->abi_major != CONG_MODULE_ABI_MAJOR || !CONG_API_HAS(api, mandate_covers))
        return CONG_EVERSION;
    push_api = api;
    int rc = api->declare_module(ctx, PUSH_MODULE, PUSH_VERSION);
    if (rc == 0)
        rc = read_config(ctx);
    if (rc != 0 || api->load_purpose(ctx) != CONG_LOAD_SERVE)
        return rc;
    int (*const files[])(cong_module_ctx_t *) = {push_devices_register, push_inbox_register, push_area_register,
                                                 push_broadcasts_register, push_events_register};
    for (size_t i = 0; rc == 0 && i < sizeof files / sizeof files[0]; i++)
        rc = files[i](ctx);
    return rc;
}

/*
 * modules/orgs — the entry point: the module's name, its configuration key, its migrations, then `cong org`, the
 * routes (the organization, its webhooks). Loaded for a command, it declares its key, its migrations and the command only. The contract: orgs.h.
 */
#include "orgs.h"

const cong_api_t *orgs_api;

static const cong_config_key_def_t migrations_key = {sizeof(cong_config_key_def_t), "migrations_dir",
                                                     CONG_CONFIG_STRING, "modules/orgs/migrations",
                                                     "the module's SQL migrations"};

void orgs_reply_store_error(cong_req_t *req, int err)
{
    const cong_api_t *api = orgs_api;
    if (err == CONG_EUNAVAILABLE || err == CONG_ETIMEDOUT || err == CONG_EBUSY) {
        api->reply_problem(req, 503, "service-unavailable", NULL, NULL);
        return;
    }
    api->log(CONG_LOG_ERROR, ORGS_MODULE, "store error %s (request %s)", api->strerror(err), api->req_id(req));
    api->reply_problem(req, 500, "internal-error", NULL, NULL);
}

int cong_orgs_onload(cong_module_ctx_t *ctx, const cong_api_t *api)
{
    if (api->abi_major != CONG_MODULE_ABI_MAJOR || !CONG_API_HAS(api, job_revoke_session))
        return CONG_EVERSION;
    orgs_api = api;
    int rc = api->declare_module(ctx, ORGS_MODULE, ORGS_VERSION);
    if (rc == 0)
        rc = api->register_config(ctx, &migrations_key);
    if (rc == 0)
        rc = api->register_migrations(ctx, api->config_get(ctx, "migrations_dir"));
    if (rc == 0)
        rc = orgs_webhook_config_register(ctx);
    if (rc == 0)
        rc = orgs_command_register(ctx);
    if (rc != 0 || api->load_purpose(ctx) != CONG_LOAD_SERVE)
        return rc;
    rc = orgs_read_register(ctx);
    if (rc == 0)
        rc = orgs_webhook_endpoints_register(ctx);
    if (rc == 0)
        rc = orgs_webhook_deliveries_register(ctx);
    return rc == 0 ? orgs_webhook_lifecycle_register(ctx) : rc;
}

/*
 * modules/mandates — the entry point: the module's name, its configuration keys (modules.mandates.*), its migrations,
 * then each file's routes and the job. Needs ABI 1.5 (mandate_action on routes, the principal's actor and auth_time,
 * the token grant's act and mandate fields). Loaded for a command, it declares its keys and migrations only.
 *
 *   POST /v1/mandates                      create (level 2, fresh; Idempotency-Key required;   create.c
 *                                          grantor_org: for an organization one represents)
 *   GET  /v1/mandates?role=&status=        given or received (?org=CODE: an organization's)    read.c
 *   GET  /v1/mandates/{id}                 one, to its parties only                            read.c
 *   GET  /v1/mandates/{id}/uses            every use, to the grantor (or its representative)   read.c
 *   POST /v1/mandates/{id}/accept          the grantee, with the acceptance code               change.c
 *   POST /v1/mandates/{id}/decline         the grantee refuses or renounces                    change.c
 *   POST /v1/mandates/{id}/withdraw        the grantor (or who sub-delegated); cascades        change.c
 *   POST /v1/auth/token-exchange           RFC 8693: an acting-for token under a mandate       exchange.c
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mandates.h"

const cong_api_t *mandates_api;
mandates_config_t mandates_config;

static const cong_config_key_def_t config_keys[] = {
    {sizeof(cong_config_key_def_t), "migrations_dir", CONG_CONFIG_STRING, "modules/mandates/migrations",
     "the module's SQL migrations"},
    {sizeof(cong_config_key_def_t), "max_days", CONG_CONFIG_INT, "365",
     "longest validity of a mandate that ends, in days (1..3650)"},
    {sizeof(cong_config_key_def_t), "token_ttl_s", CONG_CONFIG_INT, "300",
     "longest life of an acting-for access token from the token exchange, in seconds (30..3600)"},
    {sizeof(cong_config_key_def_t), "job_interval_ms", CONG_CONFIG_INT, "1000",
     "milliseconds between two runs of the job that publishes ended mandates and expires due ones (100..600000)"},
};

void mandates_reply_store_error(cong_req_t *req, int err)
{
    const cong_api_t *api = mandates_api;
    if (err == CONG_EUNAVAILABLE || err == CONG_ETIMEDOUT || err == CONG_EBUSY) {
        api->reply_problem(req, 503, "service-unavailable", NULL, NULL);
        return;
    }
    api->log(CONG_LOG_ERROR, MANDATES_MODULE, "store error %s (request %s)", api->strerror(err), api->req_id(req));
    api->reply_problem(req, 500, "internal-error", NULL, NULL);
}

void mandates_reply_outcome(cong_req_t *req, const char *status_text, const char *body_json)
{
    const cong_api_t *api = mandates_api;
    int status = status_text != NULL ? atoi(status_text) : 0;
    json_t *body = body_json != NULL ? json_loads(body_json, 0, NULL) : NULL;
    if (status < 200 || status > 599 || body == NULL) {
        json_decref(body);
        api->reply_problem(req, 500, "internal-error", NULL, NULL);
        return;
    }
    const char *problem = json_string_value(json_object_get(body, "problem"));
    if (problem == NULL) {
        api->reply_json(req, status, body);
        return;
    }
    char slug[65];
    snprintf(slug, sizeof slug, "%s", problem);
    json_object_del(body, "problem");
    api->reply_problem_ext(req, status, slug, NULL, NULL, body);
}

void mandates_query(cong_req_t *req, const char *sql, int nparams, const char *const *params, cong_pg_cb cb,
                    void *udata)
{
    int rc = mandates_api->pg_query(req, sql, nparams, params, cb, udata);
    if (rc != 0)
        mandates_reply_store_error(req, rc);
}

char *mandates_strdup(cong_req_t *req, const char *s)
{
    size_t n = strlen(s);
    char *copy = mandates_api->req_alloc(req, n + 1);
    if (copy != NULL)
        memcpy(copy, s, n + 1);
    return copy;
}

static int read_config(cong_module_ctx_t *ctx)
{
    const cong_api_t *api = mandates_api;
    for (size_t i = 0; i < sizeof config_keys / sizeof config_keys[0]; i++) {
        int rc = api->register_config(ctx, &config_keys[i]);
        if (rc != 0)
            return rc;
    }
    mandates_config.max_days = atoi(api->config_get(ctx, "max_days"));
    mandates_config.token_ttl_s = atoi(api->config_get(ctx, "token_ttl_s"));
    mandates_config.job_interval_ms = atoi(api->config_get(ctx, "job_interval_ms"));
    if (mandates_config.max_days < 1 || mandates_config.max_days > 3650 || mandates_config.token_ttl_s < 30 ||
        mandates_config.token_ttl_s > 3600 || mandates_config.job_interval_ms < 100 ||
        mandates_config.job_interval_ms > 600000) {
        api->log(CONG_LOG_ERROR, MANDATES_MODULE, "a configured value is out of range");
        return CONG_EINVAL;
    }
    return api->register_migrations(ctx, api->config_get(ctx, "migrations_dir"));
}

int cong_mandates_onload(cong_module_ctx_t *ctx, const cong_api_t *api)
{
    if (api->abi_major != CONG_MODULE_ABI_MAJOR || !CONG_API_HAS(api, mandate_covers))
        return CONG_EVERSION;
    mandates_api = api;
    int rc = api->declare_module(ctx, MANDATES_MODULE, MANDATES_VERSION);
    if (rc == 0)
        rc = read_config(ctx);
    if (rc != 0 || api->load_purpose(ctx) != CONG_LOAD_SERVE)
        return rc;
    int (*const registers[])(cong_module_ctx_t *) = {
        mandates_create_register, mandates_read_register, mandates_change_register, mandates_jobs_register,
    };
    for (size_t i = 0; rc == 0 && i < sizeof registers / sizeof registers[0]; i++)
        rc = registers[i](ctx);
    /* the token exchange signs tokens: only where cong issues them (like the identity module's routes) */
    if (rc == 0 && api->auth_settings(ctx) != NULL)
        rc = mandates_exchange_register(ctx);
    return rc;
}

/*
 * modules/orgs — the webhooks' configuration (modules.orgs.webhook_*, orgs.h "Webhooks") and the replies the webhook
 * routes share. The sealing key is read once at load from its file (never from the configuration text itself, never
 * logged); without one, creating an endpoint answers 503 and says why in the log.
 */
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "orgs.h"

orgs_webhook_config_t orgs_webhook_config;

static const cong_config_key_def_t keys[] = {
    {sizeof(cong_config_key_def_t), "webhook_key_file", CONG_CONFIG_STRING, "",
     "file holding the 64 hex digits of the AES-256 key that seals webhook secrets at rest"},
    {sizeof(cong_config_key_def_t), "webhook_allow_http_loopback", CONG_CONFIG_BOOL, "false",
     "development only: accept http://127.0.0.1 endpoints (stand-ins); production refuses to start with it"},
    {sizeof(cong_config_key_def_t), "webhook_max_endpoints", CONG_CONFIG_INT, "10",
     "endpoints one organization may have (1..100)"},
    {sizeof(cong_config_key_def_t), "webhook_rotation_overlap_s", CONG_CONFIG_INT, "86400",
     "after rotate-secret, how long deliveries carry the old secret's signature too (0..604800 s)"},
};

static int read_key(const char *path)
{
    FILE *f = fopen(path, "r");
    char text[130] = "";
    int ok = f != NULL && fgets(text, sizeof text, f) != NULL &&
             orgs_webhook_key_parse(text, orgs_webhook_config.key) == 0;
    if (f != NULL)
        fclose(f);
    OPENSSL_cleanse(text, sizeof text);
    if (!ok) {
        orgs_api->log(CONG_LOG_ERROR, ORGS_MODULE, "webhook_key_file: not readable, or not 64 hex digits");
        return CONG_EINVAL;
    }
    orgs_webhook_config.have_key = 1;
    return 0;
}

int orgs_webhook_config_register(cong_module_ctx_t *ctx)
{
    const cong_api_t *api = orgs_api;
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        /* http to loopback is for the stand-ins: production refuses to start with it (ABI 1.9) */
        int development_only = strcmp(keys[i].name, "webhook_allow_http_loopback") == 0;
        int rc = development_only ? api->register_config_development_only(ctx, &keys[i])
                                  : api->register_config(ctx, &keys[i]);
        if (rc != 0)
            return rc;
    }
    orgs_webhook_config.allow_http_loopback = strcmp(api->config_get(ctx, "webhook_allow_http_loopback"), "true") == 0;
    orgs_webhook_config.max_endpoints = atoi(api->config_get(ctx, "webhook_max_endpoints"));
    if (orgs_webhook_config.max_endpoints < 1 || orgs_webhook_config.max_endpoints > 100) {
        api->log(CONG_LOG_ERROR, ORGS_MODULE, "webhook_max_endpoints: 1..100");
        return CONG_EINVAL;
    }
    orgs_webhook_config.rotation_overlap_s = atoi(api->config_get(ctx, "webhook_rotation_overlap_s"));
    if (orgs_webhook_config.rotation_overlap_s < 0 || orgs_webhook_config.rotation_overlap_s > 604800) {
        api->log(CONG_LOG_ERROR, ORGS_MODULE, "webhook_rotation_overlap_s: 0..604800");
        return CONG_EINVAL;
    }
    const char *path = api->config_get(ctx, "webhook_key_file");
    return path[0] == '\0' ? 0 : read_key(path);
}

const char *orgs_webhook_caller_org(cong_req_t *req)
{
    const cong_principal_t *p = orgs_api->req_principal(req);
    size_t prefix = sizeof ORGS_SUBJECT_PREFIX - 1;
    if (p->client_id == NULL || strncmp(p->subject, ORGS_SUBJECT_PREFIX, prefix) != 0 ||
        !orgs_uuid_ok(p->subject + prefix)) {
        orgs_api->reply_problem(req, 403, "forbidden", "Chỉ ứng dụng của một tổ chức mới quản lý được webhook.",
                                "Only an organization's API clients manage webhooks.");
        return NULL;
    }
    return p->subject + prefix;
}

void orgs_reply_json_text(cong_req_t *req, int status, const char *text)
{
    const cong_api_t *api = orgs_api;
    api->reply_header(req, "cache-control", "no-store");
    api->reply_text(req, status, "application/json", text, strlen(text));
}

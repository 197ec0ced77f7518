/*
 * modules/audit — the tamper-evident audit log (issue 12): records sealed as leaves of an RFC 9162 Merkle tree,
 * signed tree heads, public proofs, the citizen's "who used my data", and `cong audit verify`.
 *
 *   GET /v1/audit/tree-head                      the latest signed tree head (public)            head_routes.c
 *   GET /v1/audit/keys                           the audit public keys, a JWKS (public)          head_routes.c
 *   GET /v1/audit/consistency?first=&second=     consistency proof between two heads (public)    head_routes.c
 *   GET /v1/audit/records/{id}/proof?tree_size=  inclusion proof; the content for its parties    proof_routes.c
 *   GET /v1/me/access-log                        records about the caller by others              access_log.c
 *   job  audit_seal                              seals new records, signs a head                 sealer.c
 *   cong audit verify                            recomputes and checks everything                verify_command.c
 *
 * The audit key (modules.audit.signing_key_file, PEM EC P-256) is the module's own. Serving without it is refused:
 * an unsigned log proves nothing, and a key made up per process would make every head unverifiable after a restart.
 * scripts/make-keys.sh makes one for `make run` and the tests. Loaded for a command, the module needs no key.
 */
#include "audit.h"

#include <stdlib.h>
#include <string.h>

const cong_api_t *audit_api;
audit_config_t audit_config;

static const cong_config_key_def_t config_keys[] = {
    {sizeof(cong_config_key_def_t), "signing_key_file", CONG_CONFIG_STRING, "",
     "the audit key (PEM, EC P-256) that signs tree heads; required to serve (scripts/make-keys.sh makes one)"},
    {sizeof(cong_config_key_def_t), "seal_interval_ms", CONG_CONFIG_INT, "2000",
     "milliseconds between two sealing passes, 100..600000"},
    {sizeof(cong_config_key_def_t), "seal_batch", CONG_CONFIG_INT, "20000",
     "most records one sealing transaction takes, 1..1000000"},
    {sizeof(cong_config_key_def_t), "page_size", CONG_CONFIG_INT, "20",
     "default page size of /v1/me/access-log, 1..100"},
    {sizeof(cong_config_key_def_t), "migrations_dir", CONG_CONFIG_STRING, "modules/audit/migrations",
     "the module's SQL migrations"},
};

static int read_config(cong_module_ctx_t *ctx)
{
    const cong_api_t *api = audit_api;
    for (size_t i = 0; i < sizeof config_keys / sizeof config_keys[0]; i++) {
        int rc = api->register_config(ctx, &config_keys[i]);
        if (rc != 0)
            return rc;
    }
    audit_config.seal_interval_ms = strtoll(api->config_get(ctx, "seal_interval_ms"), NULL, 10);
    audit_config.seal_batch = atoi(api->config_get(ctx, "seal_batch"));
    audit_config.page_size = atoi(api->config_get(ctx, "page_size"));
    if (audit_config.seal_interval_ms < 100 || audit_config.seal_interval_ms > 600000 ||
        audit_config.seal_batch < 1 || audit_config.seal_batch > 1000000 || audit_config.page_size < 1 ||
        audit_config.page_size > AUDIT_MAX_PAGE) {
        api->log(CONG_LOG_ERROR, AUDIT_MODULE, "a configured value is out of range");
        return CONG_EINVAL;
    }
    return api->register_migrations(ctx, api->config_get(ctx, "migrations_dir"));
}

static int load_key(cong_module_ctx_t *ctx)
{
    const char *path = audit_api->config_get(ctx, "signing_key_file");
    if (path == NULL || path[0] == '\0') {
        audit_api->log(CONG_LOG_ERROR, AUDIT_MODULE, "modules.audit.signing_key_file is required to serve: tree "
                       "heads are signed with it (scripts/make-keys.sh makes one)");
        return CONG_EINVAL;
    }
    if (audit_signer_load(path, &audit_config.signer) != 0) {
        audit_api->log(CONG_LOG_ERROR, AUDIT_MODULE, "modules.audit.signing_key_file: cannot load a P-256 "
                       "private key");
        return CONG_EINVAL;
    }
    audit_api->log(CONG_LOG_INFO, AUDIT_MODULE, "audit key %s", audit_config.signer.kid);
    return 0;
}

int cong_audit_onload(cong_module_ctx_t *ctx, const cong_api_t *api)
{
    if (api->abi_major != CONG_MODULE_ABI_MAJOR || !CONG_API_HAS(api, citizen_subject))
        return CONG_EVERSION;
    audit_api = api;
    int rc = api->declare_module(ctx, AUDIT_MODULE, AUDIT_VERSION);
    if (rc == 0)
        rc = read_config(ctx);
    if (rc == 0)
        rc = audit_verify_command_register(ctx);
    if (rc != 0 || api->load_purpose(ctx) != CONG_LOAD_SERVE)
        return rc;
    int (*const registers[])(cong_module_ctx_t *) = {
        load_key, audit_sealer_register, audit_head_routes_register, audit_proof_routes_register,
        audit_access_log_register,
    };
    for (size_t i = 0; rc == 0 && i < sizeof registers / sizeof registers[0]; i++)
        rc = registers[i](ctx);
    return rc;
}

/* Building the gateway's process-wide state before the workers start. */
#include "gateway.h"

#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gateway/config/config.h"
#include "gateway/host/host.h"
#include "gateway/upstream/upstream.h"
#include "common/common.h"

static int load_openapi(cong_gateway_t *gw, cong_config_errors_t *errs)
{
    cong_openapi_doc_t *doc = NULL;
    int rc = cong_openapi_doc_build(gw, gw->config->upstreams, &doc, errs);
    cong_openapi_doc_swap(gw, doc);
    return rc;
}

static int open_access_log(cong_gateway_t *gw, cong_config_errors_t *errs)
{
    const char *path = gw->config->log.access_log;
    if (path == NULL || path[0] == '\0') {
        gw->access_log_fd = -1;
    } else if (strcmp(path, "-") == 0) {
        gw->access_log_fd = STDOUT_FILENO;
    } else {
        gw->access_log_fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
        if (gw->access_log_fd < 0) {
            cong_config_error(errs, gw->config_path, 0, "log.access_log", "cannot open %s", path);
            return CONG_EIO;
        }
    }
    return 0;
}

static int load_identity(cong_gateway_t *gw, cong_config_errors_t *errs)
{
    const cong_config_t *c = gw->config;
    cong_identity_settings_t s = {
        .issuer = c->auth.issuer,
        .audience = c->auth.audience,
        .signing_key_file = c->auth.signing_key_file,
        .previous_key_file = c->auth.previous_signing_key_file,
        .subject_secret_file = c->auth.subject_secret_file,
        .access_ttl_s = c->auth.access_token_ttl_s,
        .vneid_issuer = c->vneid.issuer,
        .vneid_client_id = c->vneid.client_id,
        .vneid_jwks = c->vneid.jwks,
        .vneid_clock_skew_s = c->vneid.clock_skew_s,
        .vneid_refresh_ms = (int64_t)c->vneid.refresh_interval_s * 1000,
        .vneid_cooldown_ms = (int64_t)c->vneid.cooldown_s * 1000,
    };
    char err[256];
    if (c->auth.issuer[0] == '\0' || c->auth.audience[0] == '\0') {
        cong_config_error(errs, gw->config_path, 0, "auth.issuer", "cong's issuer and audience are needed to sign");
        return CONG_EINVAL;
    }
    int rc = cong_identity_init(&gw->identity, &s, err, sizeof err);
    if (rc != 0) {
        cong_identity_free(&gw->identity);
        cong_config_error(errs, gw->config_path, 0, "auth", "%s", err);
        return rc;
    }
    gw->has_identity = 1;
    return 0;
}

/* The partner routes are matched in the upstream room's own table, swapped at SIGHUP (upstream.h), not in the
 * router built here: metrics rows of the module "partners" are reserved for them (labelled by the upstream room as
 * generations route each template), and a catch-all row (method "*", path "/v1/partners/…") counts the rest. */
static int bind_partner_routes(cong_gateway_t *gw)
{
    size_t slot = 0, module_index = 0, catch_all = 0;
    int rc = cong_loader_add_row(gw, "partners", "*", "/v1/partners/*", &catch_all, &module_index);
    if (rc != 0)
        return rc == CONG_ENOTFOUND ? 0 : rc; /* not loaded (a command-line mode): nothing to route */
    size_t first = gw->route_count;
    for (size_t i = 0; rc == 0 && i < CONG_PARTNER_ROUTE_ROWS; i++)
        rc = cong_loader_add_row(gw, "partners", "", "", &slot, &module_index);
    if (rc == 0)
        rc = cong_upstream_routes_bind(catch_all, gw->routes + first, gw->route_count - first, "partners",
                                       module_index);
    if (rc == 0)
        gw->partner_routes = cong_upstream_routes_match;
    return rc;
}

int cong_gateway_init(cong_gateway_t *gw, cong_config_t *config, cong_config_errors_t *errs)
{
    size_t before = errs->count;
    gw->config = config;
    if (gw->config_path == NULL)
        gw->config_path = "-";
    gw->access_log_fd = -1;
    int level = cong_log_parse_level(config->log.level);
    cong_log_set_level(level >= 0 ? level : CONG_LOG_INFO);
    if (cong_config_enforce_policy(config, errs) == CONG_ENOMEM)
        return CONG_ENOMEM;
    if (config->server.admin_port > 0 &&
        (config->server.admin_port == config->server.tls_port || config->server.admin_port == config->server.h2c_port))
        cong_config_error(errs, gw->config_path, 0, "server.admin_port", "must differ from the public ports");
    if (config->auth.public_key_file[0] != '\0' &&
        cong_jwt_key_load_public_file(config->auth.public_key_file, &gw->auth_key) != 0)
        cong_config_error(errs, gw->config_path, 0, "auth.public_key_file", "cannot load an ES256 (P-256) public key");
    cong_jwt_key_prepare(gw->auth_key); /* its ES256 table now, not on the first request */
    if (config->auth.signing_key_file[0] != '\0')
        load_identity(gw, errs);
    if (cong_upstream_check_routes(config, errs) == CONG_ENOMEM)
        return CONG_ENOMEM;
    gw->streamed_body_handler = cong_upstream_streamed_body_handler();
    cong_modules_load_all(gw, errs);
    if (bind_partner_routes(gw) == CONG_ENOMEM) /* before the first generation: its routes take their rows */
        return CONG_ENOMEM;
    if (cong_upstream_proxy_init(config, gw->has_identity ? &gw->identity : NULL) != 0)
        return CONG_ENOMEM;
    load_openapi(gw, errs);
    if (cong_docs_load(gw) == CONG_ENOMEM)
        return CONG_ENOMEM;
    open_access_log(gw, errs);
    return errs->count > before ? CONG_EINVAL : 0;
}

void cong_gateway_dispose(cong_gateway_t *gw)
{
    cong_jobs_stop(gw); /* before the modules whose jobs it runs */
    cong_document_keys_free(gw);
    cong_modules_unload_all(gw);
    cong_upstream_proxy_free();
    if (gw->has_identity)
        cong_identity_free(&gw->identity);
    if (gw->auth_key != NULL)
        cong_jwt_key_free(gw->auth_key);
    cong_openapi_doc_swap(gw, NULL);
    cong_docs_free(gw);
    if (gw->access_log_fd > STDERR_FILENO)
        close(gw->access_log_fd);
    if (gw->metrics != NULL)
        cong_metrics_free(gw->metrics);
    free(gw->workers);
    cong_live_config_free_chain(atomic_load(&gw->live));
    memset(gw, 0, sizeof *gw);
}

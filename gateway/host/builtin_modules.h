/*
 * gateway/host/builtin_modules.h — (internal to gateway/host/) the service modules of modules/ linked into cong, as
 * the host sees them.
 *
 * Each module uses include/cong/module.h only, exactly as a partner's shared object would (the build gives modules/
 * no other include path). Adding a module: write modules/<name>/<name>.c with an entry point, declare it here and add
 * it to the table in builtin_modules.c. The host owns this table; the modules know nothing of it.
 */
#ifndef CONG_HOST_BUILTIN_MODULES_H
#define CONG_HOST_BUILTIN_MODULES_H

#include <stddef.h>

#include "cong/module.h"

typedef struct cong_builtin_module {
    const char *name;
    cong_module_onload_fn onload;
} cong_builtin_module_t;

extern const cong_builtin_module_t cong_builtin_modules[];
extern const size_t cong_builtin_module_count;

/* Entry points. */
int cong_audit_onload(cong_module_ctx_t *ctx, const cong_api_t *api);
int cong_identity_onload(cong_module_ctx_t *ctx, const cong_api_t *api);
int cong_mandates_onload(cong_module_ctx_t *ctx, const cong_api_t *api);
int cong_ping_onload(cong_module_ctx_t *ctx, const cong_api_t *api);
int cong_procedures_onload(cong_module_ctx_t *ctx, const cong_api_t *api);
int cong_payments_onload(cong_module_ctx_t *ctx, const cong_api_t *api);
int cong_queue_onload(cong_module_ctx_t *ctx, const cong_api_t *api);
int cong_feedback_onload(cong_module_ctx_t *ctx, const cong_api_t *api);
int cong_appointments_onload(cong_module_ctx_t *ctx, const cong_api_t *api);
int cong_push_onload(cong_module_ctx_t *ctx, const cong_api_t *api);
int cong_orgs_onload(cong_module_ctx_t *ctx, const cong_api_t *api);

#endif

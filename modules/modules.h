/*
 * modules/modules.h — the built-in service modules linked into cong.
 *
 * Each module uses include/cong/module.h only, exactly as a partner's shared object would. Adding a module: write
 * modules/<name>/<name>.c with an entry point and add it to the table in modules/builtin.c.
 */
#ifndef CONG_MODULES_H
#define CONG_MODULES_H

#include <stddef.h>

#include "cong/module.h"

typedef struct cong_builtin_module {
    const char *name;
    cong_module_onload_fn onload;
} cong_builtin_module_t;

extern const cong_builtin_module_t cong_builtin_modules[];
extern const size_t cong_builtin_module_count;

/* Entry points. */
int cong_ping_onload(cong_module_ctx_t *ctx, const cong_api_t *api);
int cong_procedures_onload(cong_module_ctx_t *ctx, const cong_api_t *api);
/* `cong client` (modules/identity/client_command.c) as a module of its own until the identity module's entry point
 * calls identity_client_command_register itself. */
int cong_identity_clients_onload(cong_module_ctx_t *ctx, const cong_api_t *api);

#endif

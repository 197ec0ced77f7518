/*
 * gateway/host/module_loader.h — loads modules through ABI v1 (include/cong/module.h) and keeps what they registered.
 *
 * Order of loading: the gateway's own "system" module (health, readiness, metrics, OpenAPI), then the built-in modules
 * of modules/ (gateway/host/builtin_modules.h), then each shared object of `modules.load` (dlopen + CONG_MODULE_ENTRY). A module's
 * routes and config keys can only be registered while its entry point runs. After all modules are loaded, any
 * configured key under modules.<name> that no module declared is an error.
 *
 * Ownership: the gateway owns every entry (freed by cong_modules_unload_all); the strings in them are copies.
 */
#ifndef CONG_GATEWAY_MODULE_LOADER_H
#define CONG_GATEWAY_MODULE_LOADER_H

#include "cong/module.h"
#include "gateway/gateway.h"
#include "gateway/http/http.h"

typedef struct cong_module_config_value {
    char *name;
    char *value;
} cong_module_config_value_t;

struct cong_module_entry {
    size_t index;
    char *name;
    void *dl_handle;                      /* NULL for built-in modules */
    cong_module_config_value_t *config;   /* declared keys with their values */
    size_t config_count;
    cong_module_ctx_t *ctx;               /* kept so a late register_* call finds loading == 0 (CONG_ESTATE) */
    char *migrations_dir;                 /* declared with register_migrations, or NULL */
    /* ---- 1.4: identity, worker hooks, commands ---- */
    char *version;                        /* declared with declare_module, or NULL ("unknown") */
    char *path;                           /* the shared object's path; NULL: built in */
    int host;                             /* the gateway's own module ("system"): may use the rate-limit class system */
    cong_worker_fn on_worker_init, on_worker_dispose; /* register_worker_hooks (worker_hooks.h) */
    void *worker_udata;
    int has_worker_hooks;
    struct cong_module_command *commands; /* register_command (module_commands.h) */
    size_t command_count;
    /* ---- 1.7: live channels ---- */
    struct cong_module_channel *channels; /* register_channel (module_channels.h) */
    size_t channel_count;
    /* ---- 1.8: ended sessions ---- */
    cong_session_ended_fn on_session_ended; /* register_session_listener (module_sessions.h), or NULL */
    void *session_udata;
};


/** The ABI v1 table given to every module. */
extern const cong_api_t cong_module_api;

/** Load every module into gw (router, routes, modules). Errors are appended to errs. 0 or CONG_E*. */
int cong_modules_load_all(cong_gateway_t *gw, cong_config_errors_t *errs);
/** The same for a purpose (enum cong_load_purpose, the ABI's load_purpose): CONG_LOAD_COMMAND for the command-line
 *  modes that serve nothing (module commands, --list-modules, --help). */
int cong_modules_load_all_for(cong_gateway_t *gw, cong_config_errors_t *errs, int purpose);
void cong_modules_unload_all(cong_gateway_t *gw);
/** After loading: a route entry of module `module_name` that is in no router — a metrics row (method, path) for
 *  routes another table matches (the partner routes, swapped at SIGHUP: upstream/upstream.h). Freed with the routes.
 *  0 (its slot and the module's index set), CONG_ENOTFOUND (no such module), CONG_ENOMEM. */
int cong_loader_add_row(cong_gateway_t *gw, const char *module_name, const char *method, const char *path,
                        size_t *slot, size_t *module_index);

/** The gateway's own routes (gateway/host/system_routes.c), loaded as module "system". */
int cong_system_module_onload(cong_module_ctx_t *ctx, const cong_api_t *api);



/* The load-time members of the API table (implemented in module_loader.c). */
int cong_loader_register_route(cong_module_ctx_t *ctx, const cong_route_def_t *def);
int cong_loader_register_config(cong_module_ctx_t *ctx, const cong_config_key_def_t *def);
/* 1.9: a key production requires at its default (refused otherwise; a warning in development). */
int cong_loader_register_config_development_only(cong_module_ctx_t *ctx, const cong_config_key_def_t *def);
const char *cong_loader_config_get(cong_module_ctx_t *ctx, const char *name);
int cong_loader_register_migrations(cong_module_ctx_t *ctx, const char *dir);
int cong_loader_register_job(cong_module_ctx_t *ctx, const char *name, long long interval_ms, cong_job_fn fn,
                             void *udata);
int cong_loader_declare_module(cong_module_ctx_t *ctx, const char *name, const char *version);
int cong_loader_load_purpose(cong_module_ctx_t *ctx);
/** For the load-time members implemented in other files (worker_hooks.c, module_commands.c): the module being loaded,
 *  or NULL once its entry point has returned (the caller answers CONG_ESTATE). Counts as a registration: a later
 *  declare_module is refused. */
cong_module_entry_t *cong_loader_registering(cong_module_ctx_t *ctx);
/** The gateway a module is being loaded into, while its entry point runs (NULL afterwards). */
cong_gateway_t *cong_loader_gateway(cong_module_ctx_t *ctx);
/** "unknown" for a module that declared no version. */
const char *cong_module_version(const cong_module_entry_t *m);
#endif

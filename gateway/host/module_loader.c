#include "module_loader.h"

#include <ctype.h>
#include <dlfcn.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "jobs.h"
#include "common/common.h"
#include "builtin_modules.h"
#include "module_channels.h"
#include "module_commands.h"
#include "gateway/limits/limits.h"

struct cong_module_ctx {
    cong_gateway_t *gw;
    cong_module_entry_t *module;
    cong_config_errors_t *errs;
    int loading;
    int registered; /* a register_* call was made: too late for declare_module */
    int purpose;    /* enum cong_load_purpose */
};

/* While the entry point runs: true, and the call counts as a registration. */
static int registering(cong_module_ctx_t *ctx)
{
    if (ctx == NULL || !ctx->loading)
        return 0;
    ctx->registered = 1;
    return 1;
}

cong_module_entry_t *cong_loader_registering(cong_module_ctx_t *ctx)
{
    return registering(ctx) ? ctx->module : NULL;
}

int cong_loader_load_purpose(cong_module_ctx_t *ctx)
{
    return ctx != NULL ? ctx->purpose : CONG_LOAD_SERVE;
}

cong_gateway_t *cong_loader_gateway(cong_module_ctx_t *ctx)
{
    return ctx != NULL && ctx->loading ? ctx->gw : NULL;
}

const char *cong_module_version(const cong_module_entry_t *m)
{
    return m->version != NULL ? m->version : "unknown";
}

/* The v1.0 part of each struct a module hands in: anything shorter was built against something else. */
#define ROUTE_DEF_V1_SIZE (offsetof(cong_route_def_t, operation_id) + sizeof(const char *))
#define CONFIG_DEF_V1_SIZE (offsetof(cong_config_key_def_t, help) + sizeof(const char *))

static char *dup_or_null(const char *s)
{
    return s != NULL ? strdup(s) : NULL;
}

static int template_chars_ok(const char *path)
{
    for (const char *p = path; *p; p++)
        if (!(isalnum((unsigned char)*p) || strchr("/{}._~-", *p) != NULL))
            return 0;
    return 1;
}

static int split_scopes(cong_route_entry_t *e)
{
    if (e->scopes == NULL || e->scopes[0] == '\0')
        return 0;
    char *copy = strdup(e->scopes);
    if (copy == NULL)
        return CONG_ENOMEM;
    size_t cap = 1;
    for (char *p = copy; *p; p++)
        cap += *p == ' ';
    e->scope_list = calloc(cap, sizeof *e->scope_list);
    if (e->scope_list == NULL) {
        free(copy);
        return CONG_ENOMEM;
    }
    char *save = NULL;
    for (char *tok = strtok_r(copy, " ", &save); tok != NULL; tok = strtok_r(NULL, " ", &save))
        e->scope_list[e->scope_count++] = strdup(tok);
    free(copy);
    return 0;
}

static void free_route(cong_route_entry_t *e)
{
    if (e == NULL)
        return;
    for (size_t i = 0; i < e->scope_count; i++)
        free(e->scope_list[i]);
    free(e->scope_list);
    free(e->method);
    free(e->path);
    free(e->operation_id);
    free(e->rate_limit_class);
    free(e->scopes);
    free(e);
}

/* A route's rate-limit class must be one with numbers in the configuration; "system" (never limited) is the
 * gateway's own. A typo would otherwise put the route in "default" without a word. */
static int rate_class_ok(cong_module_ctx_t *ctx, const cong_route_def_t *def)
{
    const char *cls = def->rate_limit_class != NULL ? def->rate_limit_class : "default";
    if (cong_rate_limit_class_known(cls) || (ctx->module->host && strcmp(cls, "system") == 0))
        return 1;
    cong_config_error(ctx->errs, "modules", 0, ctx->module->name,
                      "route %s %s: rate_limit_class \"%.64s\" is not a configured class (%s%s)", def->method,
                      def->path, cls, cong_rate_limit_class_list, ctx->module->host ? ", system" : "");
    return 0;
}

int cong_loader_register_route(cong_module_ctx_t *ctx, const cong_route_def_t *def)
{
    if (!registering(ctx))
        return CONG_ESTATE;
    if (def == NULL || def->size < ROUTE_DEF_V1_SIZE || def->method == NULL || def->path == NULL ||
        def->handler == NULL || def->operation_id == NULL || def->min_loa < 0 || def->min_loa > 2 ||
        (def->auth != CONG_AUTH_NONE && def->auth != CONG_AUTH_REQUIRED) || !template_chars_ok(def->path))
        return CONG_EINVAL;
    if (!rate_class_ok(ctx, def))
        return CONG_EINVAL;
    cong_gateway_t *gw = ctx->gw;
    cong_route_entry_t *e = calloc(1, sizeof *e);
    cong_route_entry_t **routes = realloc(gw->routes, (gw->route_count + 1) * sizeof *routes);
    if (routes != NULL) /* realloc may have moved (and freed) the old array */
        gw->routes = routes;
    if (e == NULL || routes == NULL) {
        free(e);
        return CONG_ENOMEM;
    }
    gw->routes = routes;
    e->module_name = ctx->module->name;
    e->module_index = ctx->module->index;
    e->module_is_host = ctx->module->host;
    e->method = strdup(def->method);
    e->path = strdup(def->path);
    e->operation_id = strdup(def->operation_id);
    e->rate_limit_class = strdup(def->rate_limit_class ? def->rate_limit_class : "default");
    e->scopes = dup_or_null(def->scopes);
    e->auth = def->auth;
    e->min_loa = def->min_loa;
    if (def->size >= offsetof(cong_route_def_t, max_body_bytes) + sizeof def->max_body_bytes) {
        if (def->max_body_bytes < 0) {
            free_route(e);
            return CONG_EINVAL;
        }
        e->max_body_bytes = def->max_body_bytes;
    }
    if (def->size >= offsetof(cong_route_def_t, mandate_action) + sizeof def->mandate_action &&
        def->mandate_action != NULL &&
        (e->mandate_action = cong_mandate_action_bit(def->mandate_action, strlen(def->mandate_action))) == 0) {
        free_route(e);
        return CONG_EINVAL;
    }
    e->handler = def->handler;
    e->udata = def->udata;
    int rc = (e->method && e->path && e->operation_id && e->rate_limit_class) ? split_scopes(e) : CONG_ENOMEM;
    if (rc == 0)
        rc = cong_router_add(gw->router, e->method, e->path, e);
    if (rc != 0) {
        cong_log(CONG_LOG_ERROR, "modules", "module %s: route %s %s refused: %s", ctx->module->name, def->method,
                 def->path, rc == CONG_EEXIST ? "already registered" : "invalid");
        free_route(e);
        return rc;
    }
    e->index = gw->route_count;
    gw->routes[gw->route_count++] = e;
    return 0;
}

int cong_loader_add_row(cong_gateway_t *gw, const char *module_name, const char *method, const char *path,
                        size_t *slot, size_t *module_index)
{
    cong_module_entry_t *m = NULL;
    for (size_t i = 0; i < gw->module_count && m == NULL; i++)
        if (strcmp(gw->modules[i]->name, module_name) == 0)
            m = gw->modules[i];
    if (m == NULL)
        return CONG_ENOTFOUND;
    cong_route_entry_t *e = calloc(1, sizeof *e);
    cong_route_entry_t **routes = realloc(gw->routes, (gw->route_count + 1) * sizeof *routes);
    if (routes != NULL)
        gw->routes = routes;
    if (e == NULL || routes == NULL) {
        free(e);
        return CONG_ENOMEM;
    }
    e->module_name = m->name;
    e->module_index = m->index;
    e->method = strdup(method);
    e->path = strdup(path);
    e->operation_id = strdup("");
    e->rate_limit_class = strdup("default");
    if (e->method == NULL || e->path == NULL || e->operation_id == NULL || e->rate_limit_class == NULL) {
        free_route(e);
        return CONG_ENOMEM;
    }
    e->metrics_only = 1;
    e->index = gw->route_count;
    gw->routes[gw->route_count++] = e;
    *slot = e->index;
    *module_index = m->index;
    return 0;
}

/* The configured value of a module key: environment first, then the file. */
static const char *configured_value(cong_module_ctx_t *ctx, const char *name, const char **where, int *line)
{
    char env[256];
    int n = snprintf(env, sizeof env, "CONG_MODULES_%s_%s", ctx->module->name, name);
    for (int i = 0; i < n && (size_t)i < sizeof env; i++)
        env[i] = (char)toupper((unsigned char)env[i]);
    const char *v = getenv(env);
    if (v != NULL) {
        *where = "env";
        *line = 0;
        return v;
    }
    const cong_config_module_value_t *mv = cong_config_module_value(ctx->gw->config, ctx->module->name, name);
    if (mv != NULL) {
        *where = mv->file;
        *line = mv->line;
        return mv->value;
    }
    return NULL;
}

static int value_fits(int type, const char *v)
{
    if (type == CONG_CONFIG_BOOL)
        return strcmp(v, "true") == 0 || strcmp(v, "false") == 0;
    if (type == CONG_CONFIG_INT) {
        char *end;
        strtoll(v, &end, 10);
        return *v != '\0' && *end == '\0';
    }
    return 1;
}

/* A development-only key (1.9) holding anything but its default: refused in production, a warning in development.
   Production is what config_policy.c calls it: anything but server.environment "development". */
static int refused_in_production(cong_module_ctx_t *ctx, const cong_config_key_def_t *def, const char *value,
                                 const char *where, int line, const char *key)
{
    if (strcmp(value, def->default_value) == 0)
        return 0;
    if (cong_config_is_development(ctx->gw->config)) {
        cong_log(CONG_LOG_WARN, "config", "development: allowed: %s: development only", key);
        return 0;
    }
    cong_config_error(ctx->errs, where, line, key,
                      "development only (refused in production; server.environment: development allows it on a "
                      "developer machine)");
    return 1;
}

static int register_config(cong_module_ctx_t *ctx, const cong_config_key_def_t *def, int development_only)
{
    if (!registering(ctx))
        return CONG_ESTATE;
    if (def == NULL || def->size < CONFIG_DEF_V1_SIZE || def->name == NULL || def->name[0] == '\0')
        return CONG_EINVAL;
    for (const char *p = def->name; *p; p++)
        if (!(islower((unsigned char)*p) || isdigit((unsigned char)*p) || *p == '_'))
            return CONG_EINVAL;
    cong_module_entry_t *m = ctx->module;
    const char *where = "";
    int line = 0;
    const char *value = configured_value(ctx, def->name, &where, &line);
    char key[256];
    snprintf(key, sizeof key, "modules.%s.%s", m->name, def->name);
    if (value == NULL && def->default_value == NULL) {
        cong_config_error(ctx->errs, ctx->gw->config_path, 0, key, "required");
        return CONG_EINVAL;
    }
    if (value == NULL)
        value = def->default_value;
    if (!value_fits(def->type, value)) {
        cong_config_error(ctx->errs, where, line, key, "expected %s",
                          def->type == CONG_CONFIG_INT ? "an integer" : "true or false");
        return CONG_EINVAL;
    }
    if (development_only && refused_in_production(ctx, def, value, where, line, key))
        return CONG_EINVAL;
    cong_module_config_value_t *values = realloc(m->config, (m->config_count + 1) * sizeof *values);
    if (values == NULL)
        return CONG_ENOMEM;
    m->config = values;
    values[m->config_count].name = strdup(def->name);
    values[m->config_count].value = strdup(value);
    if (values[m->config_count].name == NULL || values[m->config_count].value == NULL) {
        free(values[m->config_count].name);
        free(values[m->config_count].value);
        return CONG_ENOMEM;
    }
    m->config_count++;
    return 0;
}

int cong_loader_register_config(cong_module_ctx_t *ctx, const cong_config_key_def_t *def)
{
    return register_config(ctx, def, 0);
}

int cong_loader_register_config_development_only(cong_module_ctx_t *ctx, const cong_config_key_def_t *def)
{
    if (def == NULL || def->default_value == NULL)
        return CONG_EINVAL;
    return register_config(ctx, def, 1);
}

const char *cong_loader_config_get(cong_module_ctx_t *ctx, const char *name)
{
    if (ctx == NULL || name == NULL)
        return NULL;
    for (size_t i = 0; i < ctx->module->config_count; i++)
        if (strcmp(ctx->module->config[i].name, name) == 0)
            return ctx->module->config[i].value;
    return NULL;
}

int cong_loader_register_migrations(cong_module_ctx_t *ctx, const char *dir)
{
    if (!registering(ctx))
        return CONG_ESTATE;
    if (dir == NULL || dir[0] == '\0' || ctx->module->migrations_dir != NULL)
        return dir != NULL && dir[0] != '\0' ? CONG_EEXIST : CONG_EINVAL;
    ctx->module->migrations_dir = strdup(dir);
    return ctx->module->migrations_dir != NULL ? 0 : CONG_ENOMEM;
}

int cong_loader_register_job(cong_module_ctx_t *ctx, const char *name, long long interval_ms, cong_job_fn fn,
                             void *udata)
{
    if (!registering(ctx))
        return CONG_ESTATE;
    int id = cong_jobs_add(ctx->gw, ctx->module->name, name, interval_ms, fn, udata);
    return id < 0 ? id : 0;
}

static int module_name_ok(const char *name)
{
    size_t n = name != NULL ? strlen(name) : 0;
    if (n == 0 || n > 32 || !islower((unsigned char)name[0]))
        return 0;
    for (const char *p = name; *p; p++)
        if (!(islower((unsigned char)*p) || isdigit((unsigned char)*p) || *p == '_'))
            return 0;
    return 1;
}

/* A version goes into a log line and a Prometheus label as it is: nothing that needs quoting. */
static int version_ok(const char *version)
{
    size_t n = version != NULL ? strlen(version) : 0;
    if (n == 0 || n > 32)
        return 0;
    for (const char *p = version; *p; p++)
        if (!(isalnum((unsigned char)*p) || strchr("._+-", *p) != NULL))
            return 0;
    return 1;
}

static const cong_module_entry_t *module_named(const cong_gateway_t *gw, const char *name)
{
    for (size_t i = 0; i < gw->module_count; i++)
        if (strcmp(gw->modules[i]->name, name) == 0)
            return gw->modules[i];
    return NULL;
}

int cong_loader_declare_module(cong_module_ctx_t *ctx, const char *name, const char *version)
{
    if (ctx == NULL || !ctx->loading || ctx->registered || ctx->module->version != NULL)
        return CONG_ESTATE;
    if (!module_name_ok(name) || !version_ok(version))
        return CONG_EINVAL;
    const cong_module_entry_t *other = module_named(ctx->gw, name);
    if (other != NULL && other != ctx->module) {
        cong_config_error(ctx->errs, "modules", 0, ctx->module->name, "the name %s is taken by another module", name);
        return CONG_EEXIST;
    }
    char *new_name = strdup(name), *new_version = strdup(version);
    if (new_name == NULL || new_version == NULL) {
        free(new_name);
        free(new_version);
        return CONG_ENOMEM;
    }
    free(ctx->module->name);
    ctx->module->name = new_name;
    ctx->module->version = new_version;
    return 0;
}

static int load_purpose = CONG_LOAD_SERVE; /* of the cong_modules_load_all under way (main thread) */

static int load_one(cong_gateway_t *gw, const char *name, cong_module_onload_fn onload, const char *path,
                    void *dl_handle, cong_config_errors_t *errs)
{
    if (module_named(gw, name) != NULL) {
        cong_config_error(errs, "modules", 0, name, "a module of that name is loaded already");
        if (dl_handle != NULL)
            dlclose(dl_handle);
        return CONG_EEXIST;
    }
    cong_module_entry_t *m = calloc(1, sizeof *m);
    cong_module_entry_t **modules = realloc(gw->modules, (gw->module_count + 1) * sizeof *modules);
    cong_module_ctx_t *ctx = calloc(1, sizeof *ctx);
    if (modules != NULL) /* realloc may have moved (and freed) the old array */
        gw->modules = modules;
    if (m == NULL || modules == NULL || ctx == NULL) {
        free(m);
        free(ctx);
        return CONG_ENOMEM;
    }
    gw->modules = modules;
    m->name = strdup(name);
    m->path = path != NULL ? strdup(path) : NULL;
    m->host = onload == cong_system_module_onload;
    if (m->host) { /* the gateway's own module: its version is the ABI the gateway implements */
        char abi[16];
        snprintf(abi, sizeof abi, "%d.%d", CONG_MODULE_ABI_MAJOR, CONG_MODULE_ABI_MINOR);
        m->version = strdup(abi);
    }
    m->dl_handle = dl_handle;
    m->index = gw->module_count;
    m->ctx = ctx;
    gw->modules[gw->module_count++] = m;
    *ctx = (cong_module_ctx_t){.gw = gw, .module = m, .errs = errs, .loading = 1, .purpose = load_purpose};
    int rc = m->name == NULL || (path != NULL && m->path == NULL) ? CONG_ENOMEM : onload(ctx, &cong_module_api);
    ctx->loading = 0;
    if (rc != 0) {
        cong_config_error(errs, "modules", 0, m->name ? m->name : name, "module failed to load: %s",
                          cong_module_api.strerror(rc));
        return rc;
    }
    cong_log(CONG_LOG_INFO, "modules", "module %s %s loaded (%s)", m->name, cong_module_version(m),
             m->path != NULL ? m->path : "built-in");
    return 0;
}

static int load_shared_object(cong_gateway_t *gw, const char *path, cong_config_errors_t *errs)
{
    void *handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (handle == NULL) {
        cong_config_error(errs, "modules.load", 0, path, "cannot open shared object");
        return CONG_ENOTFOUND;
    }
    cong_module_onload_fn onload;
    *(void **)&onload = dlsym(handle, CONG_MODULE_ENTRY);
    if (onload == NULL) {
        cong_config_error(errs, "modules.load", 0, path, "no %s entry point", CONG_MODULE_ENTRY);
        dlclose(handle);
        return CONG_ENOTFOUND;
    }
    const char *base = strrchr(path, '/');
    char name[64];
    snprintf(name, sizeof name, "%s", base ? base + 1 : path);
    char *dot = strchr(name, '.');
    if (dot)
        *dot = '\0';
    return load_one(gw, name, onload, path, handle, errs);
}

/* A configured modules.<name>.<key> that nobody declared is a mistake worth stopping for. */
static void check_undeclared(cong_gateway_t *gw, cong_config_errors_t *errs)
{
    const cong_config_t *cfg = gw->config;
    for (size_t i = 0; i < cfg->module_value_count; i++) {
        const cong_config_module_value_t *mv = &cfg->module_values[i];
        int declared = 0;
        for (size_t j = 0; j < gw->module_count && !declared; j++) {
            cong_module_entry_t *m = gw->modules[j];
            if (strcmp(m->name, mv->module) != 0)
                continue;
            for (size_t k = 0; k < m->config_count && !declared; k++)
                declared = strcmp(m->config[k].name, mv->key) == 0;
        }
        if (!declared) {
            char key[256];
            snprintf(key, sizeof key, "modules.%s.%s", mv->module, mv->key);
            cong_config_error(errs, mv->file, mv->line, key, "unknown key");
        }
    }
}

int cong_modules_load_all(cong_gateway_t *gw, cong_config_errors_t *errs)
{
    return cong_modules_load_all_for(gw, errs, CONG_LOAD_SERVE);
}

int cong_modules_load_all_for(cong_gateway_t *gw, cong_config_errors_t *errs, int purpose)
{
    load_purpose = purpose;
    size_t before = errs->count;
    gw->router = cong_router_new();
    if (gw->router == NULL)
        return CONG_ENOMEM;
    load_one(gw, "system", cong_system_module_onload, NULL, NULL, errs);
    for (size_t i = 0; i < cong_builtin_module_count; i++)
        load_one(gw, cong_builtin_modules[i].name, cong_builtin_modules[i].onload, NULL, NULL, errs);
    for (size_t i = 0; i < gw->config->modules.load.count; i++)
        load_shared_object(gw, gw->config->modules.load.items[i], errs);
    check_undeclared(gw, errs);
    return errs->count > before ? CONG_EINVAL : 0;
}

void cong_modules_unload_all(cong_gateway_t *gw)
{
    for (size_t i = 0; i < gw->route_count; i++)
        free_route(gw->routes[i]);
    free(gw->routes);
    gw->routes = NULL;
    gw->route_count = 0;
    for (size_t i = 0; i < gw->module_count; i++) {
        cong_module_entry_t *m = gw->modules[i];
        for (size_t k = 0; k < m->config_count; k++) {
            free(m->config[k].name);
            free(m->config[k].value);
        }
        free(m->config);
        free(m->ctx);
        free(m->migrations_dir);
        free(m->version);
        free(m->path);
        cong_module_commands_free(m);
        cong_module_channels_free(m);
        /* shared objects stay mapped: their code may still be referenced by a late log line at exit */
        free(m->name);
        free(m);
    }
    free(gw->modules);
    gw->modules = NULL;
    gw->module_count = 0;
    if (gw->router != NULL)
        cong_router_free(gw->router);
    gw->router = NULL;
}

/*
 * modules/procedures — the city's administrative procedures: the catalog, uploads and the document wallet, dossiers
 * and their state machine, the officials' desk, electronic results, the portal sync status, KPIs and the dashboard.
 *
 * The entry point names the module, declares the configuration keys (modules.procedures.*), the module's migrations,
 * and lets each file register its routes, its job or its command. It needs ABI 1.5 (module migrations, body storage,
 * signed documents, periodic jobs, commands, citizen subjects; acting for someone: mandate_covers). Loaded for a command (load_purpose), it declares its
 * keys, migrations and command only: no routes, no files read, no folder created.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "procedures.h"

const cong_api_t *procedures_api;
procedures_config_t procedures_config;

static const cong_config_key_def_t config_keys[] = {
    {sizeof(cong_config_key_def_t), "data_dir", CONG_CONFIG_STRING, ".run/data/uploads",
     "folder of uploaded files and results, stored by SHA-256 (created if missing)", },
    {sizeof(cong_config_key_def_t), "upload_max_bytes", CONG_CONFIG_INT, "20971520", "largest upload (bytes)"},
    {sizeof(cong_config_key_def_t), "upload_daily_files", CONG_CONFIG_INT, "100",
     "uploads one owner may send per day (Asia/Ho_Chi_Minh), 1..100000"},
    {sizeof(cong_config_key_def_t), "upload_daily_bytes", CONG_CONFIG_INT, "1073741824",
     "bytes one owner may upload per day, at least upload_max_bytes"},
    {sizeof(cong_config_key_def_t), "upload_retention_s", CONG_CONFIG_INT, "604800",
     "seconds after which an upload no dossier uses is removed (file and row), 3600..31536000"},
    {sizeof(cong_config_key_def_t), "upload_sweep_interval_s", CONG_CONFIG_INT, "3600",
     "seconds between two sweeps of unused uploads, 1..86400"},
    {sizeof(cong_config_key_def_t), "dashboard_dir", CONG_CONFIG_STRING, "modules/procedures/dashboard",
     "the dashboard's static files"},
    {sizeof(cong_config_key_def_t), "migrations_dir", CONG_CONFIG_STRING, "modules/procedures/migrations",
     "the module's SQL migrations"},
    {sizeof(cong_config_key_def_t), "kpi_on_time_threshold", CONG_CONFIG_INT, "80",
     "percent: units completing fewer dossiers on time are on the weekly late list"},
    {sizeof(cong_config_key_def_t), "page_size", CONG_CONFIG_INT, "20", "default page size of lists"},
    {sizeof(cong_config_key_def_t), "catalog_cache_ttl_s", CONG_CONFIG_INT, "300",
     "seconds one procedure's answer (GET /v1/procedures/{code}) stays cached in Redis"},
    {sizeof(cong_config_key_def_t), "catalog_refresh_ms", CONG_CONFIG_INT, "250",
     "milliseconds between two checks of the catalog's version (a change is then loaded into memory), 100..60000"},
    {sizeof(cong_config_key_def_t), "kpi_cache_ttl_ms", CONG_CONFIG_INT, "5000",
     "milliseconds each worker serves a KPI answer again before asking PostgreSQL (0: every time)"},
    {sizeof(cong_config_key_def_t), "kpi_satisfaction_threshold", CONG_CONFIG_STRING, "3.5",
     "mean stars (1..5, two decimals at most): units rated lower in a week are on the weekly late list"},
    {sizeof(cong_config_key_def_t), "kpi_satisfaction_min_ratings", CONG_CONFIG_INT, "5",
     "ratings a unit must have received in the week before its satisfaction can list it (1..100000)"},
    {sizeof(cong_config_key_def_t), "kpi_fold_interval_s", CONG_CONFIG_INT, "3600",
     "seconds between two merges of the KPI rollup's writer slots of closed weeks, 1..86400"},
};

/* "3.5": a number of stars from 1 to 5 written in plain digits, at most two decimals; -1 otherwise. */
static double parse_stars(const char *text)
{
    char *end = NULL;
    size_t len = text != NULL ? strlen(text) : 0;
    const char *dot = text != NULL ? strchr(text, '.') : NULL;
    if (len == 0 || len > 4 || text[0] < '0' || text[0] > '9' || (dot != NULL && (len - (size_t)(dot - text)) > 3))
        return -1;
    double v = strtod(text, &end);
    return end == text + len && v >= 1.0 && v <= 5.0 ? v : -1;
}

/* mkdir -p: the data folder may be new on a first start. */
static int make_dirs(const char *path)
{
    char buf[4096];
    size_t n = strlen(path);
    if (n == 0 || n >= sizeof buf)
        return -1;
    memcpy(buf, path, n + 1);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0750) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    return mkdir(buf, 0750) != 0 && errno != EEXIST ? -1 : 0;
}

static int read_config(cong_module_ctx_t *ctx, int serving)
{
    const cong_api_t *api = procedures_api;
    for (size_t i = 0; i < sizeof config_keys / sizeof config_keys[0]; i++) {
        int rc = api->register_config(ctx, &config_keys[i]);
        if (rc != 0)
            return rc;
    }
    procedures_config.data_dir = api->config_get(ctx, "data_dir");
    procedures_config.upload_max_bytes = strtoll(api->config_get(ctx, "upload_max_bytes"), NULL, 10);
    procedures_config.upload_daily_files = atoi(api->config_get(ctx, "upload_daily_files"));
    procedures_config.upload_daily_bytes = strtoll(api->config_get(ctx, "upload_daily_bytes"), NULL, 10);
    procedures_config.upload_retention_s = atoi(api->config_get(ctx, "upload_retention_s"));
    procedures_config.upload_sweep_interval_s = atoi(api->config_get(ctx, "upload_sweep_interval_s"));
    procedures_config.dashboard_dir = api->config_get(ctx, "dashboard_dir");
    procedures_config.kpi_on_time_threshold = atoi(api->config_get(ctx, "kpi_on_time_threshold"));
    procedures_config.page_size = atoi(api->config_get(ctx, "page_size"));
    procedures_config.catalog_cache_ttl_s = atoi(api->config_get(ctx, "catalog_cache_ttl_s"));
    procedures_config.catalog_refresh_ms = atoi(api->config_get(ctx, "catalog_refresh_ms"));
    procedures_config.kpi_cache_ttl_ms = atoi(api->config_get(ctx, "kpi_cache_ttl_ms"));
    procedures_config.kpi_satisfaction_threshold = parse_stars(api->config_get(ctx, "kpi_satisfaction_threshold"));
    procedures_config.kpi_satisfaction_min_ratings = atoi(api->config_get(ctx, "kpi_satisfaction_min_ratings"));
    procedures_config.kpi_fold_interval_s = atoi(api->config_get(ctx, "kpi_fold_interval_s"));
    if (procedures_config.upload_max_bytes < 1024 || procedures_config.page_size < 1 ||
        procedures_config.page_size > 100 || procedures_config.kpi_on_time_threshold < 0 ||
        procedures_config.kpi_on_time_threshold > 100 || procedures_config.catalog_cache_ttl_s < 0 ||
        procedures_config.catalog_refresh_ms < 100 || procedures_config.catalog_refresh_ms > 60000 ||
        procedures_config.kpi_cache_ttl_ms < 0 || procedures_config.kpi_cache_ttl_ms > 60000 ||
        procedures_config.kpi_satisfaction_threshold < 0 || procedures_config.kpi_satisfaction_min_ratings < 1 ||
        procedures_config.kpi_satisfaction_min_ratings > 100000 ||
        procedures_config.upload_daily_files < 1 || procedures_config.upload_daily_files > 100000 ||
        procedures_config.upload_daily_bytes < procedures_config.upload_max_bytes ||
        procedures_config.upload_retention_s < 3600 || procedures_config.upload_retention_s > 31536000 ||
        procedures_config.upload_sweep_interval_s < 1 || procedures_config.upload_sweep_interval_s > 86400 ||
        procedures_config.kpi_fold_interval_s < 1 || procedures_config.kpi_fold_interval_s > 86400) {
        api->log(CONG_LOG_ERROR, PROCEDURES_MODULE, "a configured value is out of range");
        return CONG_EINVAL;
    }
    if (serving && make_dirs(procedures_config.data_dir) != 0) {
        api->log(CONG_LOG_ERROR, PROCEDURES_MODULE, "cannot create the data folder %s", procedures_config.data_dir);
        return CONG_EIO;
    }
    return api->register_migrations(ctx, api->config_get(ctx, "migrations_dir"));
}

int cong_procedures_onload(cong_module_ctx_t *ctx, const cong_api_t *api)
{
    if (api->abi_major != CONG_MODULE_ABI_MAJOR || !CONG_API_HAS(api, mandate_covers))
        return CONG_EVERSION;
    procedures_api = api;
    int rc = api->declare_module(ctx, PROCEDURES_MODULE, PROCEDURES_VERSION);
    if (rc != 0)
        return rc;
    int serving = api->load_purpose(ctx) == CONG_LOAD_SERVE; /* a command needs none of the routes' files */
    int (*const registers[])(cong_module_ctx_t *) = {
        procedures_catalog_register, procedures_uploads_register,   procedures_upload_sweep_register,
        procedures_dossiers_register, procedures_desk_register,     procedures_results_register,
        procedures_sync_register,     procedures_kpi_register,      procedures_dashboard_register,
        procedures_kpi_fold_register,
    };
    rc = read_config(ctx, serving);
    for (size_t i = 0; rc == 0 && serving && i < sizeof registers / sizeof registers[0]; i++)
        rc = registers[i](ctx);
    return rc == 0 ? procedures_official_command_register(ctx) : rc;
}

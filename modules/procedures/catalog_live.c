/*
 * modules/procedures/catalog_live.c — loading the catalog into memory and publishing it (see catalog_live.h).
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "catalog_live.h"

#define HAZARD_SLOTS 256 /* worker threads that can search from memory; more fall back to SQL */
#define RETIRED_MAX 64

static _Atomic(catalog_index_t *) current;
static _Atomic(catalog_index_t *) hazards[HAZARD_SLOTS];
static atomic_int slots_claimed;
static _Thread_local int my_slot = -1;
static catalog_index_t *retired[RETIRED_MAX]; /* the job thread's own */
static size_t nretired;

const catalog_index_t *catalog_live_acquire(void)
{
    if (my_slot < 0) {
        int slot = atomic_fetch_add(&slots_claimed, 1);
        if (slot >= HAZARD_SLOTS)
            return NULL;
        my_slot = slot;
    }
    catalog_index_t *ix;
    do {
        ix = atomic_load(&current);
        atomic_store(&hazards[my_slot], ix);
    } while (ix != atomic_load(&current));
    return ix;
}

void catalog_live_release(void)
{
    if (my_slot >= 0)
        atomic_store(&hazards[my_slot], NULL);
}

static int held(const catalog_index_t *ix)
{
    for (int i = 0; i < HAZARD_SLOTS; i++)
        if (atomic_load(&hazards[i]) == ix)
            return 1;
    return 0;
}

/* Frees every retired index no reader holds any more. */
static void reclaim(void)
{
    size_t keep = 0;
    for (size_t i = 0; i < nretired; i++) {
        if (held(retired[i]))
            retired[keep++] = retired[i];
        else
            catalog_index_free(retired[i]);
    }
    nretired = keep;
}

static void publish(catalog_index_t *ix)
{
    catalog_index_t *old = atomic_exchange(&current, ix);
    if (old == NULL)
        return;
    if (nretired == RETIRED_MAX)
        reclaim();
    if (nretired < RETIRED_MAX)
        retired[nretired++] = old;
    else
        procedures_api->log(CONG_LOG_WARN, PROCEDURES_MODULE, "catalog: an old index is still read; kept for good");
    reclaim();
}

static const char LOAD_SQL[] =
    "SELECT p.code, p.domain, p.search_text, p.name_folded, length(p.name_vi),"
    "       jsonb_build_object('code', p.code, 'name_vi', p.name_vi, 'name_en', p.name_en, 'domain', p.domain,"
    "                          'level', p.level, 'fee_vnd', p.fee_vnd, 'processing_days', p.processing_days,"
    "                          'min_loa', p.min_loa, 'online_level', p.online_level,"
    "                          'applicants', p.applicants)::text,"
    "       coalesce(u.codes, ''), p.form_fields::text, p.min_loa, p.applicants"
    "  FROM procedures p LEFT JOIN (SELECT procedure_code, string_agg(unit_code, ' ') AS codes"
    "                                 FROM procedure_units GROUP BY procedure_code) u ON u.procedure_code = p.code"
    " ORDER BY p.code COLLATE \"C\"";

static long long read_version(cong_job_t *job)
{
    const cong_api_t *api = procedures_api;
    cong_pg_result_t *res = NULL;
    long long version = -1;
    if (api->job_pg_exec(job, "SELECT version FROM catalog_version", 0, NULL, &res) == 0 && res != NULL &&
        api->pg_ntuples(res) == 1)
        version = strtoll(api->pg_value(res, 0, 0), NULL, 10);
    if (res != NULL)
        api->job_pg_clear(res);
    return version;
}

/* The catalog at one snapshot; NULL when PostgreSQL does not answer (the current index keeps serving). */
static long long now_ms(void);
static long long read_ms; /* the job thread's own: how long the last load's SQL took */

static catalog_index_t *load(cong_job_t *job)
{
    const cong_api_t *api = procedures_api;
    cong_pg_result_t *res = NULL;
    catalog_index_t *ix = NULL;
    if (api->job_pg_exec(job, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", 0, NULL, NULL) != 0)
        return NULL;
    long long version = read_version(job);
    long long started = now_ms();
    if (version >= 0 && api->job_pg_exec(job, LOAD_SQL, 0, NULL, &res) == 0 && res != NULL) {
        read_ms = now_ms() - started;
        int n = api->pg_ntuples(res);
        catalog_row_t *rows = calloc((size_t)n + 1, sizeof *rows);
        for (int r = 0; rows != NULL && r < n; r++)
            rows[r] = (catalog_row_t){api->pg_value(res, r, 0), api->pg_value(res, r, 1), api->pg_value(res, r, 2),
                                      api->pg_value(res, r, 3), strtol(api->pg_value(res, r, 4), NULL, 10),
                                      api->pg_value(res, r, 5), api->pg_value(res, r, 6), api->pg_value(res, r, 7),
                                      atoi(api->pg_value(res, r, 8)),
                                      catalog_applicants_parse(api->pg_value(res, r, 9))};
        ix = rows != NULL ? catalog_index_build(rows, (size_t)n, version) : NULL;
        free(rows);
    }
    if (res != NULL)
        api->job_pg_clear(res);
    api->job_pg_exec(job, "COMMIT", 0, NULL, NULL);
    return ix;
}

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void refresh(cong_job_t *job, void *udata)
{
    (void)udata;
    reclaim();
    long long version = read_version(job);
    catalog_index_t *cur = atomic_load(&current); /* only this thread swaps it: safe to read without a slot */
    if (version < 0 || (cur != NULL && catalog_index_version(cur) == version))
        return;
    long long started = now_ms();
    catalog_index_t *ix = load(job);
    if (ix == NULL) {
        procedures_api->log(CONG_LOG_WARN, PROCEDURES_MODULE, "catalog: could not load version %lld", version);
        return;
    }
    publish(ix);
    procedures_api->log(CONG_LOG_INFO, PROCEDURES_MODULE, "catalog: version %lld in memory (%zu procedures; read in %lld ms, "
                        "built in %lld ms)", catalog_index_version(ix), catalog_index_count(ix), read_ms,
                        now_ms() - started - read_ms);
}

int procedures_catalog_live_register(cong_module_ctx_t *ctx)
{
    return procedures_api->register_job(ctx, "catalog_refresh", procedures_config.catalog_refresh_ms, refresh, NULL);
}

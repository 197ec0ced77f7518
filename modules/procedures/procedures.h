/*
 * modules/procedures/procedures.h — the procedures module's internal contract (not public: partners never see it).
 *
 * One module, several files, one concept each: catalog (search, one procedure; catalog_live: the catalog in memory,
 * catalog_index/catalog_vocab/catalog_search/catalog_rank/catalog_counts/catalog_scratch/catalog_trgm/catalog_fold:
 * the pure search, contract in catalog_index.h), uploads (quota), upload_sweep (the job
 * removing uploads no dossier uses), dossiers (the applicant's side), applicant (who may have dossiers: citizens and
 * organizations; who may apply for a procedure), desk (officials), results (signing, verifying, the wallet), kpi
 * (weekly figures, the late list), dashboard (the page), official_command (`cong official`, the desk's grants).
 * procedures.c owns the entry point: it declares the module's configuration keys and calls each file's
 * `procedures_<file>_register` in turn. Everything goes through include/cong/module.h and the api pointer below.
 *
 * The data lives in PostgreSQL (modules/procedures/migrations); every write that a client is told succeeded is
 * one transaction through a SQL function (dossier_submit, dossier_transition) that also writes the timeline, the
 * portal outbox and the push outbox.
 */
#ifndef CONG_PROCEDURES_H
#define CONG_PROCEDURES_H

#include "cong/module.h"

#define PROCEDURES_MODULE "procedures"
#define PROCEDURES_VERSION "1.0.0" /* declared at load (ABI 1.4): log line, /metrics, cong --list-modules */

/** The gateway's API table, set once by the entry point; valid for the process lifetime. */
extern const cong_api_t *procedures_api;

/** Configuration read at load (valid for the process lifetime). */
typedef struct procedures_config {
    const char *data_dir;          /* where uploads are stored, content-addressed */
    long long upload_max_bytes;    /* largest upload accepted */
    int upload_daily_files;        /* uploads per owner and day (Asia/Ho_Chi_Minh) */
    long long upload_daily_bytes;  /* bytes per owner and day */
    int upload_retention_s;        /* an upload no dossier uses is removed this long after it was last sent */
    int upload_sweep_interval_s;   /* how often the sweep runs */
    const char *dashboard_dir;     /* the dashboard's static files */
    int kpi_on_time_threshold;     /* percent: units below it are on the weekly late list */
    int page_size;                 /* default page size of lists */
    int catalog_cache_ttl_s;       /* how long one procedure's answer stays in Redis (searches: from memory) */
    int catalog_refresh_ms;        /* how often the catalog's version is checked (catalog_live.h) */
    int kpi_cache_ttl_ms;          /* how long a worker serves a KPI answer again (kpi_cache.h); 0: never */
    double kpi_satisfaction_threshold; /* mean stars (1..5): units rated lower are on the weekly late list */
    int kpi_satisfaction_min_ratings;  /* ... once they received at least this many ratings in the week */
    int kpi_fold_interval_s;       /* how often the KPI rollup's writer slots of closed weeks are merged (kpi_fold.c) */
} procedures_config_t;

extern procedures_config_t procedures_config;

/* Each file registers its own routes; 0 or a negative CONG_E*. */
int procedures_catalog_register(cong_module_ctx_t *ctx);
int procedures_uploads_register(cong_module_ctx_t *ctx);
int procedures_upload_sweep_register(cong_module_ctx_t *ctx); /* a job (ABI 1.3), no route */
int procedures_kpi_fold_register(cong_module_ctx_t *ctx);     /* a job (ABI 1.3), no route */
int procedures_dossiers_register(cong_module_ctx_t *ctx);
int procedures_desk_register(cong_module_ctx_t *ctx);
int procedures_results_register(cong_module_ctx_t *ctx);
int procedures_kpi_register(cong_module_ctx_t *ctx);
int procedures_dashboard_register(cong_module_ctx_t *ctx);
int procedures_sync_register(cong_module_ctx_t *ctx);
int procedures_official_command_register(cong_module_ctx_t *ctx); /* `cong official` (ABI 1.4), no route */

/* ---- shared by the files (reply.c) ---- */

/** api->pg_query, answering the store error itself (503/500) when the query cannot even be sent; `cb` is then not
 *  called. */
void procedures_query(cong_req_t *req, const char *sql, int nparams, const char *const *params, cong_pg_cb cb,
                      void *udata);
/** Registers `count` routes in order; stops at the first error and returns it. */
int procedures_register_routes(cong_module_ctx_t *ctx, const cong_route_def_t *routes, size_t count);

/** A store error from a callback: 503 (with Retry-After) when the store is down, busy or slow; 500 otherwise. */
void procedures_reply_store_error(cong_req_t *req, int err);
/** Replies with the JSON text `json` (a PostgreSQL json/jsonb value) and `status`; 500 if it does not parse. */
void procedures_reply_json_text(cong_req_t *req, int status, const char *json);
/** The answer of a SQL function returning (http_status, body jsonb): a body with a "problem" member becomes
 *  problem+json (its other members as extensions), any other body is sent as JSON with the status. */
void procedures_reply_outcome(cong_req_t *req, const char *status_text, const char *body_json);
/** In a pg_query callback: 1 when the query succeeded with exactly one row; otherwise the reply is sent (503/500
 *  for a store error, 500 for another row count) and 0 is returned. */
int procedures_one_row(cong_req_t *req, int err, const cong_pg_result_t *res);
/** pg_query callbacks. procedures_pg_json: the one row's first column as a 200 JSON body (no row, or NULL: 404).
 *  procedures_pg_outcome: a (http_status, body) row, answered with procedures_reply_outcome. Store errors: 503/500. */
void procedures_pg_json(cong_req_t *req, int err, const cong_pg_result_t *res, void *udata);
void procedures_pg_outcome(cong_req_t *req, int err, const cong_pg_result_t *res, void *udata);
/** Who acts (the grantee acting under a mandate, else the principal's subject); whose affairs (the applicant: the
 *  principal's subject, the grantor when acting for someone); the mandate acted under, or NULL for one's own affairs. */
const char *procedures_actor(cong_req_t *req);
const char *procedures_applicant(cong_req_t *req);
const char *procedures_mandate(cong_req_t *req);
/** Acting under a mandate: writes the audit record `action` ("dossier.view", "dossier.result") on `object` (actor
 *  the grantee, subject the grantor, the mandate), then calls then(req, udata). When the record cannot be written it
 *  answers 503/500 itself and `then` is not called: nothing is shown that was not recorded (access_audit.c). */
void procedures_audit_acting(cong_req_t *req, const char *action, const char *object,
                             void (*then)(cong_req_t *req, void *udata), void *udata);
/** 403 mandate-does-not-cover for a procedure the mandate acted under does not include. */
void procedures_reply_not_covered(cong_req_t *req, const char *procedure_code);
/* ---- who may have dossiers, who may apply (applicant.c) ---- */

/** Who stands behind a request: an organization (subject "org:<id>", its API client or someone acting for it), a
 *  plain API client (client_id set, any other subject), or a citizen (everyone else). */
typedef enum procedures_party {
    PROCEDURES_PARTY_CITIZEN,
    PROCEDURES_PARTY_ORGANIZATION,
    PROCEDURES_PARTY_CLIENT,
} procedures_party_t;
procedures_party_t procedures_party(cong_req_t *req);
/** First thing of every applicant's route (registered with min_loa 0): 1 to go on; 0 when it answered — 403
 *  applicant-not-allowed for a plain API client, 401 step-up-required for a citizen below level 1. */
int procedures_party_allowed(cong_req_t *req);
/** A submission of `procedure_code` (who may apply: enum catalog_applicants bits; its min_loa): 1 to go on; 0 when it
 *  answered 403 applicant-not-allowed (the procedure is not open to this kind of applicant) or 401 step-up-required
 *  (the person behind the request is below min_loa; an organization's own client is asked no level). */
int procedures_may_apply(cong_req_t *req, const char *procedure_code, int applicants, int min_loa);
/** 401 step-up-required with the RFC 9470 challenge for `level`. */
void procedures_reply_step_up(cong_req_t *req, int level);

/** Lowercase hex SHA-256 of `data` into out (65 bytes). */
void procedures_sha256_hex(const void *data, size_t len, char out[65]);
/** A positive integer query parameter within [1, max], or `fallback` when absent; -1 when present but invalid. */
int procedures_query_int(cong_req_t *req, const char *name, int fallback, int max);

#endif

/*
 * modules/procedures/procedures.h — the procedures module's internal contract (not public: partners never see it).
 *
 * One module, several files, one concept each: catalog (search, one procedure), uploads, dossiers (citizen side),
 * desk (officials), results (signing, verifying, the wallet), kpi (weekly figures, the late list), dashboard (the
 * page). procedures.c owns the entry point: it declares the module's configuration keys and calls each file's
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

/** The gateway's API table, set once by the entry point; valid for the process lifetime. */
extern const cong_api_t *procedures_api;

/** Configuration read at load (valid for the process lifetime). */
typedef struct procedures_config {
    const char *data_dir;          /* where uploads are stored, content-addressed */
    long long upload_max_bytes;    /* largest upload accepted */
    const char *dashboard_dir;     /* the dashboard's static files */
    int kpi_on_time_threshold;     /* percent: units below it are on the weekly late list */
    int page_size;                 /* default page size of lists */
} procedures_config_t;

extern procedures_config_t procedures_config;

/* Each file registers its own routes; 0 or a negative CONG_E*. */
int procedures_catalog_register(cong_module_ctx_t *ctx);
int procedures_uploads_register(cong_module_ctx_t *ctx);
int procedures_dossiers_register(cong_module_ctx_t *ctx);
int procedures_desk_register(cong_module_ctx_t *ctx);
int procedures_results_register(cong_module_ctx_t *ctx);
int procedures_kpi_register(cong_module_ctx_t *ctx);
int procedures_dashboard_register(cong_module_ctx_t *ctx);

#endif

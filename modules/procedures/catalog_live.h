/*
 * modules/procedures/catalog_live.h — the catalog index every worker searches, kept equal to PostgreSQL's catalog.
 *
 * Loading. A job (the gateway's job thread, every modules.procedures.catalog_refresh_ms) reads catalog_version, a
 * counter that triggers bump on every change to procedures or procedure_units (migrations 0013). When it differs
 * from the index's, the job reads the whole catalog in one REPEATABLE READ transaction (version and rows from one
 * snapshot), builds a new index (catalog_index.h) and publishes it: every instance serves a change within about one
 * refresh interval plus one load. PostgreSQL stays the source of truth; when it is down the index in memory keeps
 * serving the last catalog it gave, and before the first load the handler answers from SQL (catalog.c). Readers: the
 * search (catalog.c) and the submission (dossiers.c: a procedure's form, level of assurance and domain, so that a
 * submission costs one round trip to PostgreSQL; a procedure the index has not got yet is read from SQL).
 *
 * Memory safety (readers never wait for the loader). The published index is one atomic pointer. A reader (a worker
 * thread, inside one handler call: a search never yields) announces the index it is about to read in its own hazard
 * slot, then checks that the pointer still names it (retrying otherwise), reads, and clears the slot. The loader
 * swaps the pointer, then frees an old index only when no hazard slot names it; one still named stays on a retired
 * list and is tried again at the next run. All of it is sequentially consistent C11 atomics: if the reader's check
 * saw the old pointer, its announcement came before the swap, so the loader's later scan sees it; if the swap came
 * first, the check fails and the reader moves on to the new index. Slots are claimed once per thread (first search)
 * and never given back: workers live as long as the gateway. Indexes still held at exit stay reachable (no leak).
 */
#ifndef CONG_PROCEDURES_CATALOG_LIVE_H
#define CONG_PROCEDURES_CATALOG_LIVE_H

#include "catalog_index.h"
#include "procedures.h"

/** Load time: registers the refresh job. */
int procedures_catalog_live_register(cong_module_ctx_t *ctx);

/** Worker thread: the current index, held until catalog_live_release; NULL before the first load (then nothing is
 *  held). Never blocks. */
const catalog_index_t *catalog_live_acquire(void);
void catalog_live_release(void);

#endif

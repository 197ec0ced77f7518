/*
 * The sweep of uploads no dossier uses: a job (module ABI 1.3) every upload_sweep_interval_s, on the gateway's job
 * thread, never on a worker's loop.
 *
 * Each batch is one statement (SQL uploads_sweep): it deletes up to BATCH uploads last sent more than
 * upload_retention_s ago that are neither a dossier's attachment nor a dossier's result, and names the contents
 * nothing refers to any more. Once that has committed, their files go. Files are named by content and shared by
 * every upload of the same bytes, so a file is removed only if it was not written or touched within the retention:
 * the body store refreshes an existing file's time when someone uploads the same bytes again, and the file is first
 * renamed aside, then checked, then removed or put back. An upload of those bytes racing the sweep either touched the
 * file before the rename (then it is put back) or finds it gone and writes it anew.
 *
 * A row whose file could not be removed (a crash between the commit and the unlink) leaves an orphan file: disk, not
 * data, is lost. Several gateway instances sweep at once safely (SKIP LOCKED, and a lock per content in the SQL).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "procedures.h"

#define BATCH 500
#define MAX_BATCHES_PER_RUN 20

/* 1 when s is 64 lowercase hex digits (a name the body store could have made). */
static int is_sha256_hex(const char *s)
{
    size_t n = 0;
    for (; s[n] != '\0'; n++)
        if (!((s[n] >= '0' && s[n] <= '9') || (s[n] >= 'a' && s[n] <= 'f')))
            return 0;
    return n == 64;
}

/* Removes data_dir/ab/<sha> unless it was written or touched within the retention. 1 removed, 0 kept or absent. */
static int remove_file(const char *sha)
{
    char path[4200], aside[4300];
    snprintf(path, sizeof path, "%s/%.2s/%s", procedures_config.data_dir, sha, sha);
    snprintf(aside, sizeof aside, "%s.sweep-%ld", path, (long)getpid());
    if (rename(path, aside) != 0)
        return 0; /* already gone */
    struct stat st;
    time_t cutoff = time(NULL) - procedures_config.upload_retention_s;
    if (stat(aside, &st) == 0 && st.st_mtime >= cutoff) {
        if (rename(aside, path) != 0) /* same bytes under the same name: another copy may be there already */
            unlink(aside);
        return 0;
    }
    return unlink(aside) == 0;
}

/* One batch: the number of uploads it deleted, -1 on a store error. */
static int sweep_batch(cong_job_t *job, int *files_removed)
{
    const cong_api_t *api = procedures_api;
    char age[16], batch[16];
    snprintf(age, sizeof age, "%d", procedures_config.upload_retention_s);
    snprintf(batch, sizeof batch, "%d", BATCH);
    const char *params[] = {age, batch};
    cong_pg_result_t *res = NULL;
    if (api->job_pg_exec(job, "SELECT deleted, array_to_string(orphans, ' ') FROM uploads_sweep($1::int, $2::int)", 2,
                         params, &res) != 0)
        return -1;
    int deleted = api->pg_ntuples(res) == 1 ? atoi(api->pg_value(res, 0, 0)) : -1;
    const char *orphans = deleted > 0 ? api->pg_value(res, 0, 1) : "";
    for (const char *p = orphans; *p != '\0'; p += *p == ' ') {
        char sha[65];
        size_t n = strcspn(p, " ");
        if (n == 64) {
            memcpy(sha, p, 64);
            sha[64] = '\0';
            *files_removed += is_sha256_hex(sha) && remove_file(sha);
        }
        p += n;
    }
    api->job_pg_clear(res);
    return deleted;
}

static void sweep(cong_job_t *job, void *udata)
{
    (void)udata;
    const cong_api_t *api = procedures_api;
    int files = 0, batches = 0, n;
    do
        n = sweep_batch(job, &files);
    while (n == BATCH && ++batches < MAX_BATCHES_PER_RUN && !api->job_stopping(job));
    if (files > 0)
        api->log(CONG_LOG_INFO, PROCEDURES_MODULE, "upload sweep: %d unused file(s) removed", files);
}

int procedures_upload_sweep_register(cong_module_ctx_t *ctx)
{
    long long interval_ms = (long long)procedures_config.upload_sweep_interval_s * 1000;
    return procedures_api->register_job(ctx, "upload_sweep", interval_ms, sweep, NULL);
}

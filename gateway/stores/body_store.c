#include "body_store.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/common.h"
#include "gateway/http/http.h"

#define CHUNK_BYTES (256 * 1024)

/*
 * One body on its way to disk. The loop thread copies the next chunk out of h2o's buffer (only while the request is
 * alive), a thread-pool thread hashes and writes it, and so on; the last step fsyncs and renames. At most one chunk
 * is in cong's memory per body, whatever the body's size.
 */
typedef struct store_job {
    uv_work_t work;
    cong_req_t *r;
    char *dir;
    size_t len, done;           /* body length, bytes written so far */
    unsigned char *chunk;
    size_t chunk_len;
    EVP_MD_CTX *md;
    int fd;
    char tmp[4200];
    int err;
    int finishing;              /* the last work item: fsync + rename */
    char hex[65];
    cong_body_store_cb cb;
    void *udata;
} store_job_t;

static void to_hex(const unsigned char *md, char out[65])
{
    static const char digits[] = "0123456789abcdef";
    for (int i = 0; i < 32; i++) {
        out[2 * i] = digits[md[i] >> 4];
        out[2 * i + 1] = digits[md[i] & 15];
    }
    out[64] = '\0';
}

static int write_all(int fd, const unsigned char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, data, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        data += n;
        len -= (size_t)n;
    }
    return 0;
}

static int open_temporary(const char *dir, char tmp[4200], int *fd)
{
    if (strlen(dir) > 4000)
        return CONG_EIO;
    snprintf(tmp, 4200, "%s/.upload-XXXXXX", dir);
    *fd = mkstemp(tmp);
    return *fd >= 0 ? 0 : CONG_EIO;
}

/* fsync, then move the temporary file to dir/ab/<hex>; when that name exists (same content) it is kept and its time
 * refreshed, since a sweep removes content files only when they were not written or touched for a while. */
static int put_in_place(const char *dir, const char *tmp, int fd, const char hex[65])
{
    char fan[4100], final[4200];
    snprintf(fan, sizeof fan, "%s/%.2s", dir, hex);
    snprintf(final, sizeof final, "%s/%s", fan, hex);
    int ok = fsync(fd) == 0;
    ok = close(fd) == 0 && ok;
    ok = ok && (mkdir(fan, 0750) == 0 || errno == EEXIST);
    if (ok && utimensat(AT_FDCWD, final, NULL, 0) == 0) {
        unlink(tmp); /* the same content is stored already (if it went meanwhile, ours takes its place) */
        return 0;
    }
    if (!ok || rename(tmp, final) != 0) {
        unlink(tmp);
        return CONG_EIO;
    }
    int dfd = open(fan, O_RDONLY | O_DIRECTORY); /* make the rename durable too */
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    return 0;
}

int cong_body_store_write(const char *dir, const unsigned char *data, size_t len, char hex[65])
{
    unsigned char md[32];
    unsigned int md_len = 0;
    char tmp[4200];
    int fd;
    if (EVP_Digest(data, len, md, &md_len, EVP_sha256(), NULL) != 1 || open_temporary(dir, tmp, &fd) != 0)
        return CONG_EIO;
    to_hex(md, hex);
    if (write_all(fd, data, len) != 0) {
        close(fd);
        unlink(tmp);
        return CONG_EIO;
    }
    return put_in_place(dir, tmp, fd, hex);
}

/* ---- the thread-pool half ---- */

static void work_in_pool(uv_work_t *work)
{
    store_job_t *job = work->data;
    if (job->fd < 0 && open_temporary(job->dir, job->tmp, &job->fd) != 0) {
        job->err = CONG_EIO;
        return;
    }
    if (job->chunk_len > 0) {
        if (EVP_DigestUpdate(job->md, job->chunk, job->chunk_len) != 1 ||
            write_all(job->fd, job->chunk, job->chunk_len) != 0) {
            job->err = CONG_EIO;
            return;
        }
    }
    if (job->finishing) {
        unsigned char md[32];
        unsigned int md_len = 0;
        if (EVP_DigestFinal_ex(job->md, md, &md_len) != 1) {
            job->err = CONG_EIO;
            return;
        }
        to_hex(md, job->hex);
        int fd = job->fd;
        job->fd = -1; /* put_in_place closes it */
        job->err = put_in_place(job->dir, job->tmp, fd, job->hex);
    }
}

/* A job that ends early (error, or the client left): drop the temporary file off the loop. */
static void abandon_in_pool(uv_work_t *work)
{
    store_job_t *job = work->data;
    if (job->fd >= 0) {
        close(job->fd);
        unlink(job->tmp);
        job->fd = -1;
    }
}

static void job_free(store_job_t *job)
{
    cong_req_release(job->r);
    EVP_MD_CTX_free(job->md);
    free(job->chunk);
    free(job->dir);
    free(job);
}

static void after_abandon(uv_work_t *work, int status)
{
    (void)status;
    job_free(work->data);
}

static void after_work(uv_work_t *work, int status);

/* Loop thread: the next chunk, or the end. */
static void step(store_job_t *job)
{
    cong_req_t *r = job->r;
    int gone = r->h2o == NULL;
    if (job->err != 0 || gone) {
        if (!gone) {
            cong_log(CONG_LOG_ERROR, "uploads", "storing a body failed (%s)", cong_error_name(job->err));
            job->cb(r, job->err, NULL, 0, job->udata);
        }
        if (job->fd >= 0 && uv_queue_work(&r->worker->loop, &job->work, abandon_in_pool, after_abandon) == 0)
            return;
        abandon_in_pool(&job->work); /* the queue refused: do the tiny cleanup here */
        job_free(job);
        return;
    }
    if (job->finishing) {
        job->cb(r, 0, job->hex, (long long)job->len, job->udata);
        job_free(job);
        return;
    }
    size_t n = job->len - job->done < CHUNK_BYTES ? job->len - job->done : CHUNK_BYTES;
    memcpy(job->chunk, r->h2o->entity.base + job->done, n);
    job->chunk_len = n;
    job->done += n;
    job->finishing = job->done == job->len;
    if (uv_queue_work(&r->worker->loop, &job->work, work_in_pool, after_work) != 0) {
        job->err = CONG_EIO;
        job->finishing = 0;
        step(job);
    }
}

static void after_work(uv_work_t *work, int status)
{
    store_job_t *job = work->data;
    if (status != 0 && job->err == 0)
        job->err = CONG_EIO;
    if (job->err != 0)
        job->finishing = 0;
    step(job);
}

int cong_body_store(cong_req_t *r, const char *dir, cong_body_store_cb cb, void *udata)
{
    if (r->h2o == NULL)
        return CONG_EGONE;
    if (cb == NULL || dir == NULL || dir[0] == '\0' || r->h2o->entity.base == NULL || r->h2o->entity.len == 0)
        return CONG_EINVAL;
    store_job_t *job = calloc(1, sizeof *job);
    if (job == NULL)
        return CONG_ENOMEM;
    job->len = r->h2o->entity.len;
    job->chunk = malloc(job->len < CHUNK_BYTES ? job->len : CHUNK_BYTES);
    job->dir = strdup(dir);
    job->md = EVP_MD_CTX_new();
    if (job->chunk == NULL || job->dir == NULL || job->md == NULL ||
        EVP_DigestInit_ex(job->md, EVP_sha256(), NULL) != 1) {
        EVP_MD_CTX_free(job->md);
        free(job->chunk);
        free(job->dir);
        free(job);
        return CONG_ENOMEM;
    }
    job->fd = -1;
    job->r = r;
    job->cb = cb;
    job->udata = udata;
    job->work.data = job;
    cong_req_retain(r);
    step(job);
    return 0;
}

#include "body_store.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "module_loader.h"
#include "request.h"

typedef struct store_job {
    uv_work_t work;
    cong_req_t *r;
    char *dir;
    unsigned char *data;
    size_t len;
    cong_body_store_cb cb;
    void *udata;
    int err;
    char hex[65];
} store_job_t;

static int sha256_hex(const unsigned char *data, size_t len, char out[65])
{
    unsigned char md[32];
    unsigned int md_len = 0;
    if (EVP_Digest(data, len, md, &md_len, EVP_sha256(), NULL) != 1 || md_len != 32)
        return CONG_EIO;
    static const char digits[] = "0123456789abcdef";
    for (int i = 0; i < 32; i++) {
        out[2 * i] = digits[md[i] >> 4];
        out[2 * i + 1] = digits[md[i] & 15];
    }
    out[64] = '\0';
    return 0;
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

int cong_body_store_write(const char *dir, const unsigned char *data, size_t len, char hex[65])
{
    if (sha256_hex(data, len, hex) != 0)
        return CONG_EIO;
    char fan[4096], final[4200], tmp[4200];
    if (strlen(dir) > 4000)
        return CONG_EIO;
    snprintf(fan, sizeof fan, "%s/%.2s", dir, hex);
    snprintf(final, sizeof final, "%s/%s", fan, hex);
    if (mkdir(fan, 0750) != 0 && errno != EEXIST)
        return CONG_EIO;
    struct stat st;
    if (stat(final, &st) == 0 && (size_t)st.st_size == len)
        return 0; /* the same content is stored already */
    snprintf(tmp, sizeof tmp, "%s/.upload-XXXXXX", dir);
    int fd = mkstemp(tmp);
    if (fd < 0)
        return CONG_EIO;
    int ok = write_all(fd, data, len) == 0 && fsync(fd) == 0;
    ok = close(fd) == 0 && ok;
    ok = ok && rename(tmp, final) == 0;
    if (!ok) {
        unlink(tmp);
        return CONG_EIO;
    }
    /* make the rename durable too */
    int dfd = open(fan, O_RDONLY | O_DIRECTORY);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    return 0;
}

static void store_in_pool(uv_work_t *work)
{
    store_job_t *job = work->data;
    job->err = cong_body_store_write(job->dir, job->data, job->len, job->hex);
}

static void store_done(uv_work_t *work, int status)
{
    store_job_t *job = work->data;
    if (status != 0 && job->err == 0)
        job->err = CONG_EIO;
    if (job->err != 0)
        cong_log(CONG_LOG_ERROR, "uploads", "storing a body failed (%s)", cong_module_api.strerror(job->err));
    if (job->r->h2o != NULL)
        job->cb(job->r, job->err, job->err == 0 ? job->hex : NULL, (long long)job->len, job->udata);
    cong_req_release(job->r);
    free(job->data);
    free(job->dir);
    free(job);
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
    job->data = malloc(job->len);
    job->dir = strdup(dir);
    if (job->data == NULL || job->dir == NULL) {
        free(job->data);
        free(job->dir);
        free(job);
        return CONG_ENOMEM;
    }
    memcpy(job->data, r->h2o->entity.base, job->len);
    job->r = r;
    job->cb = cb;
    job->udata = udata;
    job->work.data = job;
    if (uv_queue_work(&r->worker->loop, &job->work, store_in_pool, store_done) != 0) {
        free(job->data);
        free(job->dir);
        free(job);
        return CONG_ENOMEM;
    }
    cong_req_retain(r);
    return 0;
}

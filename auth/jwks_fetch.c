/*
 * auth/jwks_fetch.c — the bytes of a JWKS document, from a file or over http(s) with libcurl.
 *
 * Bounded everywhere: at most CONG_JWKS_MAX_BYTES of body (a longer one is cut off and refused), a timeout on connect
 * and on the whole transfer, no redirects, http and https only, TLS peer and host name verified. The transfer can be
 * cancelled from another thread through opts->cancel (checked by libcurl's progress callback). Error texts come from
 * curl_easy_strerror or are fixed strings, so they never contain the URL.
 *
 * SIGPIPE: with CURLOPT_NOSIGNAL (required with threads) libcurl stops ignoring SIGPIPE around its calls and its
 * documentation warns that corner cases may still raise it, which would kill a process that has not ignored it. So
 * the transfer runs with SIGPIPE blocked in the calling thread only, and one it raised is consumed before the mask is
 * restored; no process-wide signal disposition is touched.
 */
#include "jwks_fetch.h"

#include "auth.h"
#include "cong/errors.h"

#include <curl/curl.h>

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

typedef struct body {
    char *data; /* CONG_JWKS_MAX_BYTES */
    size_t len;
    int too_big;
} body_t;

static void set_error(const cong_jwks_fetch_opts_t *opts, const char *what)
{
    if (opts->error && opts->error_cap)
        snprintf(opts->error, opts->error_cap, "%s", what);
}

int cong_jwks_location_is_http(const char *location)
{
    return location && (strncasecmp(location, "http://", 7) == 0 || strncasecmp(location, "https://", 8) == 0);
}

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_result;

static void curl_init(void)
{
    curl_init_result = curl_global_init(CURL_GLOBAL_DEFAULT);
}

int cong_jwks_fetch_global_init(void)
{
    pthread_once(&curl_once, curl_init);
    return curl_init_result == CURLE_OK ? CONG_OK : CONG_EIO;
}

static int read_file(const char *path, const cong_jwks_fetch_opts_t *opts, body_t *b)
{
    if (strncmp(path, "file://", 7) == 0)
        path += 7;
    FILE *f = fopen(path, "rbe");
    struct stat st;
    if (!f || fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        if (f)
            fclose(f);
        set_error(opts, "cannot open the file");
        return CONG_EIO;
    }
    char extra;
    b->len = fread(b->data, 1, CONG_JWKS_MAX_BYTES, f);
    int err = ferror(f);
    if (!err && b->len == CONG_JWKS_MAX_BYTES && fread(&extra, 1, 1, f) == 1)
        b->too_big = 1;
    err |= ferror(f);
    fclose(f);
    if (err) {
        set_error(opts, "cannot read the file");
        return CONG_EIO;
    }
    if (b->too_big) {
        set_error(opts, "document too large");
        return CONG_ETOOBIG;
    }
    return CONG_OK;
}

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *udata)
{
    body_t *b = udata;
    size_t n = size * nmemb;
    if (n > CONG_JWKS_MAX_BYTES - b->len) {
        b->too_big = 1;
        return 0; /* makes libcurl fail the transfer with CURLE_WRITE_ERROR */
    }
    memcpy(b->data + b->len, ptr, n);
    b->len += n;
    return n;
}

static int on_progress(void *udata, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
    (void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
    const atomic_int *cancel = udata;
    return cancel && atomic_load_explicit(cancel, memory_order_relaxed) ? 1 : 0;
}

static int configure(CURL *curl, const char *url, const cong_jwks_fetch_opts_t *opts, body_t *b,
                     struct curl_slist *headers)
{
    long timeout = (long)opts->timeout_ms;
    return curl_easy_setopt(curl, CURLOPT_URL, url) != CURLE_OK ||
           curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK ||
           curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK ||
           curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
           curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, timeout) != CURLE_OK ||
           curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, timeout) != CURLE_OK ||
           curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L) != CURLE_OK ||
           curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L) != CURLE_OK ||
           (opts->ca_file && curl_easy_setopt(curl, CURLOPT_CAINFO, opts->ca_file) != CURLE_OK) ||
           curl_easy_setopt(curl, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)CONG_JWKS_MAX_BYTES) != CURLE_OK ||
           curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers) != CURLE_OK ||
           curl_easy_setopt(curl, CURLOPT_USERAGENT, "cong-jwks/1") != CURLE_OK ||
           curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_data) != CURLE_OK ||
           curl_easy_setopt(curl, CURLOPT_WRITEDATA, b) != CURLE_OK ||
           curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, on_progress) != CURLE_OK ||
           curl_easy_setopt(curl, CURLOPT_XFERINFODATA, (void *)opts->cancel) != CURLE_OK ||
           curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L) != CURLE_OK;
}

/* curl_easy_perform with SIGPIPE blocked for this thread (see the top of the file). */
static CURLcode perform_without_sigpipe(CURL *curl)
{
    sigset_t pipe_only, old;
    sigemptyset(&pipe_only);
    sigaddset(&pipe_only, SIGPIPE);
    int masked = pthread_sigmask(SIG_BLOCK, &pipe_only, &old) == 0;
    CURLcode res = curl_easy_perform(curl);
    if (masked && !sigismember(&old, SIGPIPE)) {
        sigset_t pending;
        struct timespec zero = {0, 0};
        if (sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE))
            sigtimedwait(&pipe_only, NULL, &zero);
        pthread_sigmask(SIG_SETMASK, &old, NULL);
    }
    return res;
}

static int read_http(const char *url, const cong_jwks_fetch_opts_t *opts, body_t *b)
{
    if (cong_jwks_fetch_global_init() != CONG_OK) {
        set_error(opts, "libcurl initialisation failed");
        return CONG_EIO;
    }
    int rc = CONG_ENOMEM;
    CURL *curl = curl_easy_init();
    struct curl_slist *headers = curl_slist_append(NULL, "Accept: application/jwk-set+json, application/json");
    if (!curl || !headers)
        goto out;
    rc = CONG_EINVAL;
    if (configure(curl, url, opts, b, headers)) {
        set_error(opts, "cannot configure the transfer");
        goto out;
    }
    CURLcode res = perform_without_sigpipe(curl);
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    rc = CONG_EIO;
    if (b->too_big || res == CURLE_FILESIZE_EXCEEDED) {
        set_error(opts, "document too large");
        rc = CONG_ETOOBIG;
    } else if (res != CURLE_OK) {
        set_error(opts, curl_easy_strerror(res));
    } else if (status != 200) {
        char what[32];
        snprintf(what, sizeof what, "HTTP status %ld", status);
        set_error(opts, what);
    } else {
        rc = CONG_OK;
    }
out:
    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);
    return rc;
}

int cong_jwks_fetch(const char *location, const cong_jwks_fetch_opts_t *opts, char **body, size_t *len)
{
    if (!location || !*location || !opts || !body || !len)
        return CONG_EINVAL;
    *body = NULL;
    *len = 0;
    body_t b = {.data = malloc(CONG_JWKS_MAX_BYTES)};
    if (!b.data)
        return CONG_ENOMEM;
    int rc = cong_jwks_location_is_http(location) ? read_http(location, opts, &b) : read_file(location, opts, &b);
    if (rc != CONG_OK) {
        free(b.data);
        return rc;
    }
    *body = b.data;
    *len = b.len;
    return CONG_OK;
}

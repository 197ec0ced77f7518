/* One outbound HTTP call with libcurl (contract in http_call.h). */
#include "http_call.h"

#include <ctype.h>
#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

/* Every member of cong_http_request_t is read: it came whole in 1.4. */
#define REQUEST_DEF_V1_SIZE (offsetof(cong_http_request_t, client_key_file) + sizeof(const char *))

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static CURLcode global_result;

static void global_init(void)
{
    global_result = curl_global_init(CURL_GLOBAL_DEFAULT);
}

int cong_http_global_init(void)
{
    pthread_once(&global_once, global_init);
    return global_result == CURLE_OK ? 0 : CONG_ENOMEM;
}

/* ---- checking a module's definition ---- */

static int url_ok(const char *url)
{
    if (url == NULL || (strncasecmp(url, "http://", 7) != 0 && strncasecmp(url, "https://", 8) != 0))
        return 0;
    for (const unsigned char *p = (const unsigned char *)url; *p; p++)
        if (*p <= 0x20 || *p == 0x7f)
            return 0;
    return strlen(url) < 8192;
}

static int method_ok(const char *method)
{
    if (method == NULL)
        return 1;
    size_t n = strlen(method);
    for (size_t i = 0; i < n; i++)
        if (!isupper((unsigned char)method[i]))
            return 0;
    return n > 0 && n <= 16;
}

/* "Name: value": a token before the colon, no control character but tab anywhere (no CR/LF injection). */
static int header_ok(const char *line)
{
    const char *colon = strchr(line, ':');
    if (colon == NULL || colon == line)
        return 0;
    for (const char *p = line; p < colon; p++)
        if (!isalnum((unsigned char)*p) && strchr("!#$%&'*+-.^_`|~", *p) == NULL)
            return 0;
    for (const unsigned char *p = (const unsigned char *)colon; *p; p++)
        if ((*p < 0x20 && *p != '\t') || *p == 0x7f)
            return 0;
    return strlen(line) < 8192;
}

static int file_ok(const char *path)
{
    return path == NULL || (path[0] != '\0' && access(path, R_OK) == 0);
}

static int def_ok(const cong_http_request_t *def)
{
    if (def == NULL || def->size < REQUEST_DEF_V1_SIZE || !url_ok(def->url) || !method_ok(def->method) ||
        def->timeout_ms < 1 || def->timeout_ms > CONG_HTTP_MAX_TIMEOUT_MS || def->connect_timeout_ms < 0 ||
        def->connect_timeout_ms > def->timeout_ms || def->max_response_bytes < 0 ||
        def->max_response_bytes > CONG_HTTP_MAX_RESPONSE || def->http_version < CONG_HTTP_AUTO ||
        def->http_version > CONG_HTTP_2_PRIOR_KNOWLEDGE || (def->body_len > 0 && def->body == NULL) ||
        (def->client_key_file != NULL && def->client_cert_file == NULL))
        return 0;
    if (!file_ok(def->ca_file) || !file_ok(def->client_cert_file) || !file_ok(def->client_key_file))
        return 0;
    for (size_t i = 0; def->headers != NULL && def->headers[i] != NULL; i++)
        if (i >= CONG_HTTP_MAX_REQUEST_HEADERS || !header_ok(def->headers[i]))
            return 0;
    return 1;
}

static int has_header(const char *const *headers, const char *name)
{
    size_t n = strlen(name);
    for (size_t i = 0; headers != NULL && headers[i] != NULL; i++)
        if (strncasecmp(headers[i], name, n) == 0 && headers[i][n] == ':')
            return 1;
    return 0;
}

/* ---- collecting the response ---- */

static int grow(char **buf, size_t *cap, size_t need, size_t limit)
{
    if (need <= *cap)
        return 0;
    size_t n = *cap < 4096 ? 4096 : *cap * 2;
    if (n < need)
        n = need;
    if (n > limit)
        n = limit;
    char *p = realloc(*buf, n);
    if (p == NULL)
        return -1;
    *buf = p;
    *cap = n;
    return 0;
}

static size_t on_body(char *data, size_t size, size_t count, void *p)
{
    struct cong_http_response *res = p;
    size_t len = size * count;
    if (res->body_len + len > res->max_body) {
        res->too_big = 1;
        return 0; /* aborts the transfer */
    }
    if (grow(&res->body, &res->body_cap, res->body_len + len + 1, res->max_body + 1) != 0)
        return 0;
    memcpy(res->body + res->body_len, data, len);
    res->body_len += len;
    res->body[res->body_len] = '\0';
    return len;
}

static size_t on_header(char *line, size_t size, size_t count, void *p)
{
    struct cong_http_response *res = p;
    size_t len = size * count;
    if (len >= 5 && memcmp(line, "HTTP/", 5) == 0) {
        res->headers_len = 0; /* a new response begins: only the final one's headers are kept */
        return len;
    }
    const char *colon = memchr(line, ':', len), *end = line + len;
    if (colon == NULL)
        return len; /* the blank line that ends the headers */
    const char *value = colon + 1;
    while (value < end && (*value == ' ' || *value == '\t'))
        value++;
    while (end > value && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' ' || end[-1] == '\t'))
        end--;
    size_t name_len = (size_t)(colon - line), value_len = (size_t)(end - value);
    size_t need = res->headers_len + name_len + value_len + 2;
    if (need > CONG_HTTP_MAX_HEADER_BYTES) {
        res->too_big = 1;
        return 0;
    }
    if (grow(&res->headers, &res->headers_cap, need, CONG_HTTP_MAX_HEADER_BYTES) != 0)
        return 0;
    char *out = res->headers + res->headers_len;
    for (size_t i = 0; i < name_len; i++)
        out[i] = (char)tolower((unsigned char)line[i]);
    out[name_len] = '\0';
    memcpy(out + name_len + 1, value, value_len);
    out[name_len + 1 + value_len] = '\0';
    res->headers_len = need;
    return len;
}

/* ---- setting the transfer up ---- */

static long curl_http_version(int v)
{
    return v == CONG_HTTP_1_1 ? CURL_HTTP_VERSION_1_1
         : v == CONG_HTTP_2_PRIOR_KNOWLEDGE ? CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE : CURL_HTTP_VERSION_2TLS;
}

static int set_headers(cong_http_transfer_t *t, const cong_http_request_t *def)
{
    for (size_t i = 0; def->headers != NULL && def->headers[i] != NULL; i++)
        if (!(t->headers = curl_slist_append(t->headers, def->headers[i])))
            return CONG_ENOMEM;
    /* no "Expect: 100-continue" round trip; and a body says what it is (libcurl would call it a form) */
    if (!(t->headers = curl_slist_append(t->headers, "Expect:")))
        return CONG_ENOMEM;
    if (def->body_len > 0 && !has_header(def->headers, "content-type") &&
        !(t->headers = curl_slist_append(t->headers, "Content-Type: application/octet-stream")))
        return CONG_ENOMEM;
    return curl_easy_setopt(t->easy, CURLOPT_HTTPHEADER, t->headers) == CURLE_OK ? 0 : CONG_ENOMEM;
}

static int set_method_and_body(cong_http_transfer_t *t, const cong_http_request_t *def)
{
    const char *method = def->method != NULL ? def->method : "GET";
    CURL *e = t->easy;
    int with_body = def->body_len > 0 || strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0 ||
                    strcmp(method, "PATCH") == 0;
    if (with_body) {
        if ((t->body = malloc(def->body_len + 1)) == NULL)
            return CONG_ENOMEM;
        if (def->body_len > 0)
            memcpy(t->body, def->body, def->body_len);
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)def->body_len);
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, t->body);
    }
    if (strcmp(method, "HEAD") == 0)
        curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
    else if (strcmp(method, with_body ? "POST" : "GET") != 0)
        curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method);
    return 0;
}

static void set_transport(CURL *e, const cong_http_request_t *def)
{
    curl_easy_setopt(e, CURLOPT_URL, def->url);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(e, CURLOPT_PROXY, ""); /* never a proxy from the environment */
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_USERAGENT, "cong");
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)def->timeout_ms);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
                     (long)(def->connect_timeout_ms > 0 ? def->connect_timeout_ms : def->timeout_ms));
    curl_easy_setopt(e, CURLOPT_HTTP_VERSION, curl_http_version(def->http_version));
    /* Concurrent first calls to an HTTP/2 server share the connection being made instead of each opening one. Only
     * where HTTP/2 may be spoken: libcurl learns that a cleartext HTTP/1.1 connection cannot multiplex only by ALPN,
     * so a call waited there for a busy connection to become free. */
    int h2_possible = def->http_version == CONG_HTTP_2_PRIOR_KNOWLEDGE ||
                      (def->http_version == CONG_HTTP_AUTO && strncasecmp(def->url, "https://", 8) == 0);
    curl_easy_setopt(e, CURLOPT_PIPEWAIT, (long)h2_possible);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(e, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
    if (def->ca_file != NULL)
        curl_easy_setopt(e, CURLOPT_CAINFO, def->ca_file);
    if (def->client_cert_file != NULL) {
        curl_easy_setopt(e, CURLOPT_SSLCERT, def->client_cert_file);
        curl_easy_setopt(e, CURLOPT_SSLCERTTYPE, "PEM");
    }
    if (def->client_key_file != NULL)
        curl_easy_setopt(e, CURLOPT_SSLKEY, def->client_key_file);
}

int cong_http_transfer_init(cong_http_transfer_t *t, const cong_http_request_t *def)
{
    if (!def_ok(def))
        return CONG_EINVAL;
    if (cong_http_global_init() != 0 || (t->easy = curl_easy_init()) == NULL)
        return CONG_ENOMEM;
    t->res.max_body = def->max_response_bytes > 0 ? (size_t)def->max_response_bytes : CONG_HTTP_DEFAULT_MAX_RESPONSE;
    CURL *e = t->easy;
    set_transport(e, def);
    curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)t->res.max_body); /* refused from Content-Length */
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, &t->res);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, &t->res);
    int rc = set_headers(t, def);
    if (rc == 0)
        rc = set_method_and_body(t, def);
    if (rc != 0)
        cong_http_transfer_cleanup(t);
    return rc;
}

static int error_of(CURLcode code)
{
    switch (code) {
    case CURLE_OPERATION_TIMEDOUT: return CONG_ETIMEDOUT;
    case CURLE_FILESIZE_EXCEEDED: return CONG_ETOOBIG;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT: return CONG_EUNAVAILABLE;
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CRL_BADFILE: return CONG_EINVAL;
    case CURLE_OUT_OF_MEMORY: return CONG_ENOMEM;
    default: return CONG_EIO;
    }
}

int cong_http_transfer_finish(cong_http_transfer_t *t, CURLcode code)
{
    if (t->res.too_big)
        return CONG_ETOOBIG;
    if (code != CURLE_OK)
        return error_of(code);
    long status = 0, version = 0;
    curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_getinfo(t->easy, CURLINFO_HTTP_VERSION, &version);
    t->res.status = (int)status;
    t->res.version = version == CURL_HTTP_VERSION_2_0 ? 20 : version == CURL_HTTP_VERSION_1_0 ? 10 : 11;
    return 0;
}

void cong_http_transfer_cleanup(cong_http_transfer_t *t)
{
    if (t->easy != NULL)
        curl_easy_cleanup(t->easy);
    curl_slist_free_all(t->headers);
    free(t->body);
    free(t->res.body);
    free(t->res.headers);
    memset(t, 0, sizeof *t);
}

/* ---- the ABI's accessors ---- */

int cong_http_response_status(const cong_http_response_t *res)
{
    return res != NULL ? res->status : 0;
}

int cong_http_response_version(const cong_http_response_t *res)
{
    return res != NULL ? res->version : 0;
}

const char *cong_http_response_header(const cong_http_response_t *res, const char *name, size_t *len)
{
    if (res == NULL || name == NULL)
        return NULL;
    for (size_t at = 0; at < res->headers_len;) {
        const char *n = res->headers + at, *v = n + strlen(n) + 1;
        size_t vlen = strlen(v);
        if (strcasecmp(n, name) == 0) {
            if (len != NULL)
                *len = vlen;
            return v;
        }
        at = (size_t)(v + vlen + 1 - res->headers);
    }
    return NULL;
}

const char *cong_http_response_body(const cong_http_response_t *res, size_t *len)
{
    if (len != NULL)
        *len = res != NULL ? res->body_len : 0;
    return res != NULL && res->body != NULL ? res->body : "";
}

/* ---- the job thread's blocking call ---- */

int cong_job_http_request(cong_job_t *job, const cong_http_request_t *def, cong_http_response_t **res)
{
    if (job == NULL || res == NULL)
        return CONG_EINVAL;
    cong_http_transfer_t *t = calloc(1, sizeof *t);
    if (t == NULL)
        return CONG_ENOMEM;
    int rc = cong_http_transfer_init(t, def);
    if (rc == 0)
        rc = cong_http_transfer_finish(t, curl_easy_perform(t->easy));
    if (rc != 0) {
        cong_http_transfer_cleanup(t);
        free(t);
        return rc;
    }
    /* only the response is kept; the transfer is its container (cong_job_http_response_free) */
    curl_easy_cleanup(t->easy);
    curl_slist_free_all(t->headers);
    free(t->body);
    t->easy = NULL, t->headers = NULL, t->body = NULL;
    *res = &t->res;
    return 0;
}

void cong_job_http_response_free(cong_http_response_t *res)
{
    if (res == NULL)
        return;
    cong_http_transfer_t *t = (cong_http_transfer_t *)((char *)res - offsetof(cong_http_transfer_t, res));
    cong_http_transfer_cleanup(t);
    free(t);
}

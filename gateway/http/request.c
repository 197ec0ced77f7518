#include "request.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <time.h>

#include "client_address.h"
#include "gateway/config/config.h"
#include "request_hooks.h"

typedef struct request_anchor {
    cong_req_t *r;
} request_anchor_t;

static uint64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* h2o is freeing the request's pool: the request has ended, normally or because the client left. */
static void on_request_end(void *p)
{
    request_anchor_t *anchor = p;
    cong_req_t *r = anchor->r;
    cong_request_outcome_t outcome = {
        .status = r->replied ? r->h2o->res.status : 499, /* 499: the client closed before the reply */
        .bytes = r->h2o->bytes_sent,
        .duration_us = now_us() - r->start_us,
    };
    cong_request_hooks_end(&r->worker->gateway->request_hooks, r, &outcome);
    r->h2o = NULL;
    r->lookup = NULL; /* it lived in the pool; r->route, the gateway's, stays readable */
    cong_req_release(r);
}

/* Request states are ~1.5 KB: past malloc's per-thread cache, so each calloc/free went through the arena. A worker
 * keeps up to CONG_SPARE_REQUESTS of its freed ones for reuse (its own thread only: no lock). */
#define CONG_SPARE_REQUESTS 256

static _Thread_local const cong_worker_t *thread_worker; /* the worker whose loop runs on this thread */

void cong_req_thread_init(const cong_worker_t *w)
{
    thread_worker = w;
}

static int on_worker_thread(const cong_worker_t *w)
{
    return thread_worker == w;
}

/* From the connection, never from the request: an HTTP/2 client names any :scheme it likes, on any listener. */
static int arrived_over_tls(h2o_req_t *h2o)
{
    h2o_socket_t *sock = h2o->conn->callbacks->get_socket != NULL ? h2o->conn->callbacks->get_socket(h2o->conn) : NULL;
    return sock != NULL && sock->ssl != NULL;
}

cong_req_t *cong_req_new(cong_worker_t *worker, h2o_req_t *h2o)
{
    cong_req_t *r = NULL;
    if (worker->spare_requests != NULL && on_worker_thread(worker)) {
        r = worker->spare_requests;
        worker->spare_requests = r->next_spare;
        worker->spare_request_count--;
        memset(r, 0, sizeof *r);
    } else {
        r = calloc(1, sizeof *r);
    }
    if (r == NULL)
        return NULL;
    request_anchor_t *anchor = h2o_mem_alloc_shared(&h2o->pool, sizeof *anchor, on_request_end);
    anchor->r = r;
    r->h2o = h2o;
    r->worker = worker;
    r->refs = 1; /* the anchor's */
    r->start_us = now_us();
    r->tls = arrived_over_tls(h2o);
    r->principal.size = sizeof r->principal;
    r->principal.subject = "";
    r->principal.scopes = "";
    cong_request_hooks_start(&worker->gateway->request_hooks, r);
    return r;
}

void cong_req_retain(cong_req_t *r)
{
    r->refs++;
}

void cong_req_release(cong_req_t *r)
{
    if (--r->refs == 0) {
        if (r->json != NULL)
            json_decref(r->json);
        cong_worker_t *w = r->worker;
        if (w->spare_request_count < CONG_SPARE_REQUESTS && on_worker_thread(w)) {
            r->next_spare = w->spare_requests;
            w->spare_requests = r;
            w->spare_request_count++;
        } else {
            free(r);
        }
    }
}

void cong_req_free_spares(cong_worker_t *w)
{
    while (w->spare_requests != NULL) {
        cong_req_t *r = w->spare_requests;
        w->spare_requests = r->next_spare;
        free(r);
    }
    w->spare_request_count = 0;
}

h2o_iovec_t cong_req_path(const cong_req_t *r)
{
    h2o_iovec_t p = r->h2o->path;
    if (r->h2o->query_at != SIZE_MAX && r->h2o->query_at <= p.len)
        p.len = r->h2o->query_at;
    return p;
}

h2o_iovec_t cong_req_header(const cong_req_t *r, const char *name, size_t name_len)
{
    ssize_t i = h2o_find_header_by_str(&r->h2o->headers, name, name_len, -1);
    if (i < 0)
        return h2o_iovec_init(NULL, 0);
    return r->h2o->headers.entries[i].value;
}

int cong_reply_allowed(const cong_req_t *r)
{
    return r->h2o == NULL ? CONG_EGONE : r->replied ? CONG_ESTATE : 0;
}

int cong_reply_add_header(cong_req_t *r, const char *name, size_t name_len, const char *value, size_t value_len)
{
    int rc = cong_reply_allowed(r);
    if (rc == 0)
        cong_reply_add_header_unguarded(r, name, name_len, value, value_len);
    return rc;
}

void cong_reply_add_header_unguarded(cong_req_t *r, const char *name, size_t name_len, const char *value,
                                     size_t value_len)
{
    h2o_mem_pool_t *pool = &r->h2o->pool;
    char *lname = h2o_mem_alloc_pool(pool, name_len);
    for (size_t i = 0; i < name_len; i++)
        lname[i] = h2o_tolower(name[i]);
    h2o_iovec_t v = h2o_strdup(pool, value, value_len);
    /* maybe_token = 1: a known header (cache-control, ...) is stored as h2o's token, which is how the response
     * filters look for it; stored by name, it went unseen and the filters added their default as a second one */
    h2o_add_header_by_str(pool, &r->h2o->res.headers, lname, name_len, 1, NULL, v.base, v.len);
}

static const char *reason_phrase(int status)
{
    switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 413: return "Content Too Large";
    case 415: return "Unsupported Media Type";
    case 422: return "Unprocessable Content";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return status < 400 ? "OK" : "Error";
    }
}

/* The common start of every reply, past the guard: status, content type, the reply hooks (response filters). */
static h2o_req_t *begin_reply(cong_req_t *r, int status, const char *content_type)
{
    h2o_req_t *req = r->h2o;
    r->replied = 1;
    r->status = status;
    req->res.status = status;
    req->res.reason = reason_phrase(status);
    if (content_type != NULL)
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL, content_type,
                       strlen(content_type));
    cong_request_hooks_reply(&r->worker->gateway->request_hooks, r);
    return req;
}

static void send_copy(cong_req_t *r, int status, const char *content_type, const char *body, size_t len)
{
    h2o_req_t *req = begin_reply(r, status, content_type);
    req->res.content_length = len;
    h2o_send_inline(req, len > 0 ? body : "", len); /* h2o sends no body for HEAD */
}

h2o_req_t *cong_reply_start(cong_req_t *r, int status, const char *content_type, int *rc)
{
    *rc = cong_reply_allowed(r);
    return *rc == 0 ? begin_reply(r, status, content_type) : NULL;
}

int cong_reply(cong_req_t *r, int status, const char *content_type, const char *body, size_t len)
{
    int rc = cong_reply_allowed(r);
    if (rc == 0)
        send_copy(r, status, content_type, body, len);
    return rc;
}

static void static_body_proceed(h2o_generator_t *generator, h2o_req_t *req)
{
    (void)generator, (void)req; /* the whole body was handed over at once, as the final chunk */
}

int cong_reply_static(cong_req_t *r, int status, const char *content_type, const char *body, size_t len)
{
    int rc = cong_reply_allowed(r);
    if (rc != 0)
        return rc;
    h2o_req_t *req = begin_reply(r, status, content_type);
    req->res.content_length = len;
    h2o_generator_t *generator = h2o_mem_alloc_pool(&req->pool, sizeof *generator);
    *generator = (h2o_generator_t){static_body_proceed, NULL};
    h2o_start_response(req, generator);
    h2o_iovec_t buf = h2o_iovec_init(body, len);
    int head = h2o_memis(req->input.method.base, req->input.method.len, H2O_STRLIT("HEAD"));
    h2o_send(req, &buf, head ? 0 : 1, H2O_SEND_STATE_FINAL);
    return 0;
}

int cong_reply_file(cong_req_t *r, int status, const char *content_type, const char *path)
{
    int rc = cong_reply_allowed(r);
    if (rc != 0)
        return rc;
    if (path == NULL || content_type == NULL || access(path, R_OK) != 0)
        return CONG_ENOTFOUND;
    h2o_req_t *req = begin_reply(r, status, NULL); /* h2o_file_send sets the content type and length */
    if (h2o_file_send(req, status, reason_phrase(status), path, h2o_iovec_init(content_type, strlen(content_type)),
                      0) != 0) {
        r->status = 500; /* vanished between the check and the open */
        h2o_send_error_500(req, "Internal Server Error", "", H2O_SEND_ERROR_KEEP_HEADERS);
    }
    return 0;
}

/* Most answers are small: they are serialised into a stack buffer (json_dumpb, no allocation), larger ones through
 * json_dumps. The text is copied into the request's pool either way. */
#define JSON_STACK_BYTES 4096

int cong_reply_json_unguarded(cong_req_t *r, int status, const char *content_type, json_t *body)
{
    char stack[JSON_STACK_BYTES];
    size_t len = json_dumpb(body, stack, sizeof stack, JSON_COMPACT);
    if (len > 0 && len <= sizeof stack) {
        json_decref(body);
        send_copy(r, status, content_type, stack, len);
        return 0;
    }
    char *text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    if (text == NULL)
        return CONG_ENOMEM;
    send_copy(r, status, content_type, text, strlen(text));
    free(text);
    return 0;
}

int cong_reply_json_as(cong_req_t *r, int status, const char *content_type, json_t *body)
{
    int rc = cong_reply_allowed(r);
    if (rc != 0) {
        json_decref(body);
        return rc;
    }
    return cong_reply_json_unguarded(r, status, content_type, body);
}

int cong_reply_json(cong_req_t *r, int status, json_t *body)
{
    return cong_reply_json_as(r, status, "application/json", body);
}

/* The access-log pseudonym of the subject: never the subject itself. */
void cong_req_set_subject_hash(cong_req_t *r, const char *subject);
void cong_req_set_subject_hash(cong_req_t *r, const char *subject)
{
    unsigned char digest[CONG_SHA256_BYTES];
    static const char hex[] = "0123456789abcdef";
    if (cong_sha256(subject, strlen(subject), digest) != 0) {
        r->subject_hash[0] = '\0';
        return;
    }
    for (int i = 0; i < 8; i++) {
        r->subject_hash[2 * i] = hex[digest[i] >> 4];
        r->subject_hash[2 * i + 1] = hex[digest[i] & 15];
    }
    r->subject_hash[16] = '\0';
}

/* Every line of a header joined with ", " in arrival order (a proxy may add its own line), in the request's pool. */
static h2o_iovec_t joined_header(cong_req_t *r, const char *name, size_t name_len)
{
    h2o_iovec_t joined = {NULL, 0};
    for (ssize_t i = -1; (i = h2o_find_header_by_str(&r->h2o->headers, name, name_len, i)) >= 0;) {
        h2o_iovec_t v = r->h2o->headers.entries[i].value;
        if (joined.base == NULL) {
            joined = v;
            continue;
        }
        char *both = h2o_mem_alloc_pool(&r->h2o->pool, joined.len + 2 + v.len);
        memcpy(both, joined.base, joined.len);
        memcpy(both + joined.len, ", ", 2);
        memcpy(both + joined.len + 2, v.base, v.len);
        joined = h2o_iovec_init(both, joined.len + 2 + v.len);
    }
    return joined;
}

const char *cong_req_client_address(cong_req_t *r)
{
    if (r->client_address[0] != '\0' || r->h2o == NULL)
        return r->client_address;
    struct sockaddr_storage ss;
    char peer[CONG_ADDRESS_TEXT_MAX] = "?";
    socklen_t len = r->h2o->conn->callbacks->get_peername(r->h2o->conn, (struct sockaddr *)&ss);
    if (len > 0)
        h2o_socket_getnumerichost((struct sockaddr *)&ss, len, peer);
    const cong_trusted_proxies_t *proxies = &r->worker->live->proxies;
    h2o_iovec_t forwarded = {NULL, 0}, xff = {NULL, 0};
    if (proxies->count > 0) { /* the headers matter only when a proxy may be trusted */
        forwarded = joined_header(r, H2O_STRLIT("forwarded"));
        xff = joined_header(r, H2O_STRLIT("x-forwarded-for"));
    }
    cong_client_address(proxies, peer, forwarded.base, forwarded.len, xff.base, xff.len, r->client_address);
    return r->client_address;
}

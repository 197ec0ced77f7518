/*
 * gateway/http_call.h — one outbound HTTP call as libcurl makes it (module ABI 1.4), whoever drives it: a worker's
 * multi handle on its loop (http_client.h) or the job thread, blocking (job_http_request).
 *
 * A transfer is set up from a module's cong_http_request_t — checked and copied first, so a bad definition fails
 * synchronously with CONG_EINVAL — and collects the final response: status, protocol version, headers (the last
 * response's: 1xx interim answers are dropped; at most CONG_HTTP_MAX_HEADER_BYTES) and body (at most
 * max_response_bytes; one byte over aborts the transfer, which then ends with CONG_ETOOBIG). TLS peer and host
 * verification are always on; no proxy, no redirect, http and https only.
 *
 * Ownership: the transfer owns its easy handle, header list, body copy and response; cong_http_transfer_cleanup frees
 * them all. The response accessors of the ABI read a `struct cong_http_response` (valid until the cleanup).
 */
#ifndef CONG_GATEWAY_HTTP_CALL_H
#define CONG_GATEWAY_HTTP_CALL_H

#include <curl/curl.h>

#include "cong/module.h"

#define CONG_HTTP_DEFAULT_MAX_RESPONSE (1024 * 1024)
#define CONG_HTTP_MAX_RESPONSE (1024LL * 1024 * 1024)
#define CONG_HTTP_MAX_TIMEOUT_MS 600000
#define CONG_HTTP_MAX_HEADER_BYTES (64 * 1024)
#define CONG_HTTP_MAX_REQUEST_HEADERS 64

struct cong_http_response {
    int status;
    int version;              /* 10, 11, 20 */
    char *body;               /* NUL-terminated, or NULL when empty */
    size_t body_len, body_cap, max_body;
    char *headers;            /* "name\0value\0" pairs of the final response, names in lower case */
    size_t headers_len, headers_cap;
    int too_big;              /* the body or the headers went over their limit */
};

typedef struct cong_http_transfer {
    CURL *easy;
    struct curl_slist *headers;
    char *body;               /* the request body's copy */
    struct cong_http_response res;
} cong_http_transfer_t;

/** Checks `def` and sets `t` (zeroed by the caller) up for it. 0, or CONG_EINVAL / CONG_ENOMEM with nothing left to
 *  free. */
int cong_http_transfer_init(cong_http_transfer_t *t, const cong_http_request_t *def);
/** The outcome of a finished transfer as a CONG_E* code (0: `t->res` is complete). */
int cong_http_transfer_finish(cong_http_transfer_t *t, CURLcode code);
/** Frees everything `t` holds (not `t`). */
void cong_http_transfer_cleanup(cong_http_transfer_t *t);
/** libcurl's process-wide set-up, once (any thread). 0 or CONG_ENOMEM. */
int cong_http_global_init(void);

/* The response accessors and the job thread's call (ABI 1.4). */
int cong_http_response_status(const cong_http_response_t *res);
int cong_http_response_version(const cong_http_response_t *res);
const char *cong_http_response_header(const cong_http_response_t *res, const char *name, size_t *len);
const char *cong_http_response_body(const cong_http_response_t *res, size_t *len);
int cong_job_http_request(cong_job_t *job, const cong_http_request_t *def, cong_http_response_t **res);
void cong_job_http_response_free(cong_http_response_t *res);

#endif

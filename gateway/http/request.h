/*
 * gateway/http/request.h — one request's state (the `cong_req_t` of the module ABI) and how it is answered.
 *
 * Lifetime. A cong_req_t is malloc'd when h2o hands over a request and reference-counted. h2o owns the h2o_req_t and
 * frees it with its pool when the response is done or the client goes away; an anchor in that pool then runs the
 * end-of-request hooks (request_hooks.h: metrics, access log), clears `r->h2o` (the guard) and drops the pool's
 * reference. Every asynchronous operation takes a reference (cong_req_retain) and, when it completes, calls the
 * module back only if `r->h2o` is still set, then releases. So a late callback never touches freed memory and module
 * code never sees a dead request.
 *
 * Replies. Exactly one per request: cong_reply() and its helpers refuse a second one (CONG_ESTATE) and refuse a
 * request whose client left (CONG_EGONE) — the guard is checked once per reply, where the reply enters. The reply
 * hooks (response filters: security headers, request id, CORS) run inside them.
 */
#ifndef CONG_GATEWAY_REQUEST_H
#define CONG_GATEWAY_REQUEST_H

#include <jansson.h>

#include "auth/auth.h"
#include "cong/module.h"
#include "gateway/gateway.h"
#include "route_lookup.h"

#define CONG_REQUEST_ID_MAX 64

struct cong_req {
    h2o_req_t *h2o;            /* NULL once the client has gone or the request ended (the guard) */
    cong_worker_t *worker;
    unsigned refs;
    uint64_t start_us;         /* monotonic */
    char id[CONG_REQUEST_ID_MAX + 1];
    int lang_en;
    int tls;                   /* the connection is TLS (never from :scheme, which the client chooses) */
    int admin_listener;        /* arrived on the admin listener: only the "system" module's routes, no authorization */
    size_t next_phase;         /* index into the pipeline */
    int replied;
    int status;                /* status of our reply (0 until replied) */
    const cong_route_lookup_t *lookup; /* what the router answered, once (route_lookup.h); set when the pipeline starts */
    const cong_route_entry_t *route; /* lookup->route: NULL unless FOUND */
    cong_principal_t principal;
    cong_jwt_claims_t claims;
    char subject_hash[17];     /* pseudonym for the access log: first 64 bits of SHA-256(sub), hex */
    const char *cors_origin;   /* the allowed Origin to echo, or NULL */
    char client_address[48];   /* "" until cong_req_client_address computes it (client_address.h) */
    const char *auth_failure_why; /* static text: why the token was refused, for the debug log */
    json_t *json;              /* parsed body, owned */
    int json_parsed;
    struct cong_req *next_spare; /* in the worker's list of spare request states (request.c) */
    struct {                   /* a partner route's upstream (gateway/upstream/proxy.c), for the access log */
        const char *name;      /* NULL: not proxied; else the configuration's strings (process lifetime) */
        const char *host;
        int port;
        int status;            /* of the last attempt's answer; 0: none (failed, timed out) */
        unsigned ms;           /* the last attempt's time to its answer's headers, or to its failure */
    } upstream;
};

/** Creates the request state for an h2o request (NULL when out of memory) and anchors it in the request's pool. */
cong_req_t *cong_req_new(cong_worker_t *worker, h2o_req_t *h2o);
void cong_req_retain(cong_req_t *r);
void cong_req_release(cong_req_t *r);
/** Marks the calling thread as the one running `w`'s loop: only there are request states kept for reuse. */
void cong_req_thread_init(const cong_worker_t *w);
/** Frees the request states a worker kept for reuse (when its loop has stopped). */
void cong_req_free_spares(cong_worker_t *w);

/** The client's address (text), behind trusted proxies as client_address.h says; computed once per request. */
const char *cong_req_client_address(cong_req_t *r);

/** The raw path without the query string. */
h2o_iovec_t cong_req_path(const cong_req_t *r);
/** A request header's value by lower-case name, or {NULL, 0}. */
h2o_iovec_t cong_req_header(const cong_req_t *r, const char *name, size_t name_len);

/** 0 when `r` may still be answered, else CONG_EGONE (the client left) or CONG_ESTATE (already answered): the guard
 *  every reply passes once, where it enters. */
int cong_reply_allowed(const cong_req_t *r);

/** Starts a reply whose body a generator sends (stream_reply.c): once only, to a live request; status, content type
 *  (kept by pointer: it must live as long as the request), response filters. The h2o request, or NULL with
 *  *rc = CONG_EGONE / CONG_ESTATE. */
h2o_req_t *cong_reply_start(cong_req_t *r, int status, const char *content_type, int *rc);
/** Sends a response: status, content type (may be NULL with an empty body), body copied. 0, CONG_ESTATE, CONG_EGONE. */
int cong_reply(cong_req_t *r, int status, const char *content_type, const char *body, size_t len);
/** Adds a response header before the reply (copied). */
int cong_reply_add_header(cong_req_t *r, const char *name, size_t name_len, const char *value, size_t value_len);
/** Sends `body` without copying it: it must stay valid and unchanged for the process's lifetime (a document built at
 *  start, such as /openapi.json), so that many slow readers cost no memory per response. 0, CONG_ESTATE, CONG_EGONE. */
int cong_reply_static(cong_req_t *r, int status, const char *content_type, const char *body, size_t len);
/** Sends the file at `path` (h2o reads it in chunks). 0, CONG_ENOTFOUND (cannot open; nothing sent), CONG_ESTATE,
 *  CONG_EGONE. */
int cong_reply_file(cong_req_t *r, int status, const char *content_type, const char *path);
/** Serialises `body` (reference stolen) as application/json. */
int cong_reply_json(cong_req_t *r, int status, json_t *body);
/** The same with another JSON media type (application/problem+json). */
int cong_reply_json_as(cong_req_t *r, int status, const char *content_type, json_t *body);

/* For the room's reply builders (problem.c), which pass the guard themselves: cong_reply_add_header and
 * cong_reply_json_as without it, for a request cong_reply_allowed() has just accepted. */
void cong_reply_add_header_unguarded(cong_req_t *r, const char *name, size_t name_len, const char *value,
                                     size_t value_len);
int cong_reply_json_unguarded(cong_req_t *r, int status, const char *content_type, json_t *body);

#endif

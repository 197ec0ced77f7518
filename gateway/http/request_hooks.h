/*
 * gateway/http/request_hooks.h — what runs at the start, at the reply and at the end of every request, registered by
 * the rooms that need it (nginx's log phase and header filters, as data).
 *
 * request.c runs the hooks and knows none of them: the metrics (in flight, requests by route and status, latency),
 * the response filters (security headers, request id, CORS) and the access log register here when the server
 * starts (server.c), in the order they must run; an audit record would be one more end hook.
 *
 *   on_start  the request state was just made (cong_req_new)
 *   on_reply  the reply's status and content type are set and its headers not sent yet: add response headers here
 *   on_end    h2o is freeing the request — the reply was sent or the client left (status 499). Runs exactly once per
 *             request, while r->h2o is still readable; the guard is cleared right after.
 *
 * Hooks run on the request's worker thread and must not block. Registration happens before workers start; the list
 * is then read-only.
 */
#ifndef CONG_GATEWAY_REQUEST_HOOKS_H
#define CONG_GATEWAY_REQUEST_HOOKS_H

#include <stddef.h>
#include <stdint.h>

struct cong_req;

typedef struct cong_request_outcome {
    int status;           /* the status sent, or 499 when the client left before the reply */
    size_t bytes;         /* body bytes sent */
    uint64_t duration_us; /* from cong_req_new to the end */
} cong_request_outcome_t;

typedef struct cong_request_hook {
    const char *name;
    void (*on_start)(struct cong_req *r, void *udata);  /* each may be NULL */
    void (*on_reply)(struct cong_req *r, void *udata);
    void (*on_end)(struct cong_req *r, const cong_request_outcome_t *outcome, void *udata);
    void *udata;
} cong_request_hook_t;

#define CONG_REQUEST_HOOKS_MAX 8

typedef struct cong_request_hooks {
    cong_request_hook_t items[CONG_REQUEST_HOOKS_MAX];
    size_t count;
} cong_request_hooks_t;

/** Appends a copy of `hook` (run after those already there). 0, or CONG_ETOOBIG when the list is full. */
int cong_request_hooks_add(cong_request_hooks_t *hooks, const cong_request_hook_t *hook);

void cong_request_hooks_start(const cong_request_hooks_t *hooks, struct cong_req *r);
void cong_request_hooks_reply(const cong_request_hooks_t *hooks, struct cong_req *r);
void cong_request_hooks_end(const cong_request_hooks_t *hooks, struct cong_req *r,
                            const cong_request_outcome_t *outcome);

#endif

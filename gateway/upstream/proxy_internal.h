/*
 * gateway/upstream/proxy_internal.h — (internal to gateway/upstream/) the proxy's pieces: the runtime of each
 * upstream (proxy_state.c), the request it sends (proxy_request.c), the transfer (proxy.c), its routes
 * (proxy_routes.c). The contract is upstream.h.
 */
#ifndef CONG_UPSTREAM_PROXY_INTERNAL_H
#define CONG_UPSTREAM_PROXY_INTERNAL_H

#include <curl/curl.h>
#include <h2o/http1client.h>
#include <stdatomic.h>

#include "gateway/http/http.h"
#include "gateway/limits/limits.h"
#include "gateway/outbound/outbound.h"
#include "upstream.h"

#define CONG_PROXY_MAX_WORKERS 256

/* Outcomes counted per target in /metrics. */
enum cong_proxy_outcome {
    CONG_PROXY_2XX, CONG_PROXY_3XX, CONG_PROXY_4XX, CONG_PROXY_5XX, CONG_PROXY_FAILED, CONG_PROXY_TIMEOUT,
    CONG_PROXY_OUTCOMES
};

/* One worker's kept connections to one target (proxy_h1_idle.c). */
typedef struct cong_proxy_h1_idle cong_proxy_h1_idle_t;

typedef struct cong_proxy_target_metrics {
    _Atomic uint64_t outcomes[CONG_PROXY_OUTCOMES];
    _Atomic uint64_t latency_ms_sum, latency_count; /* to the response's headers */
    _Atomic uint64_t checks[2];                     /* active health checks: [0] failed, [1] passed */
} cong_proxy_target_metrics_t;

typedef struct cong_proxy_gen cong_proxy_gen_t;
typedef struct cong_breaker_waitq cong_breaker_waitq_t;

/* One upstream at run time, in one generation (proxy_gen.c): what every worker shares, and each worker's balancer,
 * kept connections and queue. Built from the configuration (kept by pointer: every configuration read stays until
 * the gateway is disposed, live_config.h); read-only but for its atomics and its per-worker slots. */
typedef struct cong_proxy_upstream {
    const cong_upstream_config_t *config;
    cong_proxy_gen_t *gen;                              /* the generation it belongs to */
    cong_upstream_health_t *health;
    cong_breaker_t *breaker;
    cong_retry_budget_t *budget;
    cong_balancer_t *balancers[CONG_PROXY_MAX_WORKERS]; /* slot i: worker i's, made on its thread at first use */
    cong_proxy_target_metrics_t *targets;               /* config->target_count */
    cong_rate_plan_t plan;  /* the partner's quota (partner.quota); per_minute and daily 0: none */
    char *plan_bucket;      /* owned: "partner:<name>", the plan's bucket */
    int over_h1;            /* 1: attempts go over h2o's HTTP/1 client (proxy_h1.c), else libcurl */
    cong_proxy_h1_idle_t *idle[CONG_PROXY_MAX_WORKERS]; /* over_h1: worker i's kept connections, one list a target
                                                          (target_count), made on its thread at first use */
    cong_breaker_waitq_t *queues[CONG_PROXY_MAX_WORKERS]; /* worker i's requests waiting for a breaker slot, made on
                                                            its thread at first use (breaker_queue.c) */
} cong_proxy_upstream_t;

/* One partner route: the handler's udata. */
typedef struct cong_proxy_route {
    const cong_partner_route_config_t *config;
    cong_proxy_upstream_t *upstream;
    const cong_identity_t *identity; /* cong as an issuer (signs the upstream's token); NULL: none configured */
    cong_proxy_gen_t *gen;           /* the generation it belongs to */
} cong_proxy_route_t;

/* One request on its way to the upstream (proxy.c), whichever transport carries its attempts: libcurl's easy handle
 * (owner) or h2o's HTTP/1 client (h1). A transfer belongs to its request: it holds a reference, and an anchor in the
 * request's pool drops it when the client leaves. Worker thread only. */
typedef struct proxy_transfer proxy_transfer_t;
typedef struct proxy_anchor {
    proxy_transfer_t *t; /* NULL once the transfer is over */
} proxy_anchor_t;

struct proxy_transfer {
    cong_http_owner_t owner;          /* first: libcurl's private pointer (libcurl attempts) */
    cong_req_t *r;                    /* retained */
    const cong_proxy_route_t *route;
    cong_proxy_upstream_t *up;
    cong_balancer_t *balancer;
    proxy_anchor_t *anchor;
    uv_timer_t *first_byte_timer;     /* malloc'd: closed (then freed) with the transfer; h1: every deadline */
    struct curl_slist *headers, *connect_to;
    cong_stream_t *stream;            /* the client's response, once begun */
    unsigned char *usable;            /* targets left for this request (a failed one is not tried again) */
    uint64_t start_ms, attempt_ms, first_byte_ms;
    int target;                       /* of the attempt under way, -1 between attempts */
    int status;                       /* the upstream's status in this attempt (0: none yet) */
    int attached;                     /* an attempt is under way (in the worker's multi, or h1 connected/connecting) */
    int got_first_byte, first_byte_expired, paused, too_big, in_callback, cancelled, retry_held;
    int over_h1;                      /* this request's attempts go over h2o's HTTP/1 client (the upstream's transport,
                                         unless its body is streamed: proxy_body.c) */
    long long body_bytes;
    struct {                          /* a request body streamed to the upstream (proxy_body.c) */
        unsigned long long sent;      /* bytes handed to libcurl, over every attempt */
        int waiting;                  /* the upload is paused until h2o has more */
        int all_sent;                 /* the end of the body went to libcurl (the first-byte deadline runs) */
    } body;
    struct {                          /* h2o's HTTP/1 client (proxy_h1.c) */
        h2o_http1client_t *client;    /* of the attempt under way; NULL when none */
        char *head;                   /* malloc'd: the request's head (written from it until the client is done) */
        size_t head_len;
        h2o_iovec_t bufs[2];          /* head, body */
        h2o_socket_cb reader;         /* h2o's body reader while reading is stopped (the client's buffer is full) */
        h2o_buffer_t *rest;           /* the end of a body h2o let go of while the client's buffer was full */
        int connected;
        int chunked;                  /* the answer's body is chunked */
        int reused, stale_retried;    /* the connection was a kept one; the attempt was sent again on another */
        cong_proxy_h1_idle_t *idle;   /* where the connection goes back at the end of the response */
    } h1;
};

/* proxy.c: the steps of a transfer a transport calls back (worker thread, in its callbacks). */
/** The attempt's answer began: the first byte (stops the first-byte deadline). */
void cong_proxy_got_first_byte(proxy_transfer_t *t);
/** The client's response begins with the upstream's status (headers added before with cong_reply_add_header). */
int cong_proxy_begin_stream(proxy_transfer_t *t, const char *content_type);
/** A piece of the body for the client: 0 taken, CONG_EBUSY not taken (the client's buffer is full: the transfer is
 *  marked paused, and the transport called back with cong_proxy_h1_resume when it drains), else the body must stop
 *  (too big, the client left, out of memory). */
int cong_proxy_deliver(proxy_transfer_t *t, const char *data, size_t len);
/** The attempt ended (its transport let go of it): ok, failed, or timed out; `upstream_fault`: the upstream is to
 *  blame (health, retry). May free t. */
void cong_proxy_attempt_over(proxy_transfer_t *t, int failed, int timed_out, int upstream_fault);

/* proxy_h1.c: attempts over h2o 2.2.5's HTTP/1 client (lib/common/http1client.c) on the worker's own loop, with
 * kept connections per worker and target (proxy_h1_idle.c) — for plain-text HTTP/1.1 upstreams (cong_proxy_h1_fits);
 * TLS, mTLS and HTTP/2 upstreams stay on libcurl. */
int cong_proxy_h1_fits(const cong_upstream_config_t *u);
/** Starts the attempt (target chosen, deadline `left_ms`); its end comes by cong_proxy_attempt_over — possibly
 *  before this returns: the caller must not touch t after. */
void cong_proxy_h1_start(proxy_transfer_t *t, int64_t left_ms);
/** Drops the attempt under way (no callback; its connection is closed). */
void cong_proxy_h1_cancel(proxy_transfer_t *t);
/** The client's buffer drained: what the body had left is written, reading goes on. May free t. */
void cong_proxy_h1_resume(proxy_transfer_t *t);
/* proxy_h1_idle.c: the kept connections, per worker and target (worker thread only). */
/** Worker w's list for the target (made at its first use); NULL when out of memory. */
cong_proxy_h1_idle_t *cong_proxy_h1_idle_of(cong_proxy_upstream_t *up, cong_worker_t *w, int target);
/** A kept connection to use now (the newest still open), or NULL: connect. */
h2o_socket_t *cong_proxy_h1_take(cong_proxy_h1_idle_t *idle, uint64_t now_ms);
/** h2o's client's on_keepalive (patch 0008): the connection of a finished response, client->data its list. */
void cong_proxy_h1_keep(h2o_http1client_t *client, h2o_socket_t *sock);
/** Worker w's kept connections (closed): on its thread with no attempt of it under way, or after it stopped. */
void cong_proxy_h1_pools_free_worker(cong_proxy_upstream_t *up, int w);
/** Sets `*request`/`*len` to the head of the request to the target (request line, host, content-length, headers as
 *  cong_proxy_request_setup's), malloc'd. 0, CONG_ENOMEM, CONG_ETOOBIG, CONG_EIO (no token). */
int cong_proxy_request_head(cong_req_t *r, const cong_proxy_route_t *route, int target, int64_t remaining_ms,
                            char **request, size_t *len);

/* proxy_state.c: one upstream's runtime. `previous`: the same upstream (by name) in the generation before, or NULL:
 * its breaker is shared, its targets' health and counters carried over by address. 0 or CONG_ENOMEM (then free
 * it anyway). */
int cong_proxy_upstream_init(cong_proxy_upstream_t *up, const cong_upstream_config_t *c,
                             cong_proxy_upstream_t *previous);
/** Its shared parts (every worker's own freed before). */
void cong_proxy_upstream_free(cong_proxy_upstream_t *up);
/** Worker w's parts: on its thread with none of its requests using them, or with `loop_gone` after the workers
 *  stopped. */
void cong_proxy_upstream_free_worker(cong_proxy_upstream_t *up, int w, int loop_gone);
cong_balancer_t *cong_proxy_balancer(cong_proxy_upstream_t *up, int worker_index);

/* route_rows.c: the partner routes' metrics rows (the top of that file says how they are kept across reloads). */
struct cong_route_entry;
/** Main thread, at start: the catch-all row and `count` reserved rows (at most CONG_PARTNER_ROUTE_ROWS) whose labels
 *  this file writes; their method and path buffers are replaced by ones it can write into. 0 or CONG_ENOMEM. */
int cong_partner_route_rows_reserve(size_t catch_all, struct cong_route_entry *const *reserved, size_t count);
/** Main thread, under the generations' lock: the row of (method, path), taken when new; the catch-all, with *over
 *  set, when every reserved row is taken (or the labels are too long). */
size_t cong_partner_route_row(const char *method, const char *path, int *over);
void cong_partner_route_rows_reset(void);

/* proxy_gen.c: the generations (the top of that file says how they are swapped and freed). */
/** Main thread: a new generation from `u` (NULL: none) becomes the current one. 0, CONG_ENOMEM or CONG_EINVAL (a
 *  route the router refuses); on an error the current one stays. */
int cong_proxy_gen_publish(const cong_upstreams_config_t *u, const cong_identity_t *identity);
/** Worker w's thread: its generation, the newest one when a publish happened since its last call. */
cong_proxy_gen_t *cong_proxy_gen_adopt(int w);
/** Worker w's thread: a request or transfer of it starts or stops using `g`. */
void cong_proxy_gen_hold(cong_proxy_gen_t *g, int w);
void cong_proxy_gen_drop(cong_proxy_gen_t *g, int w);
/** Worker w's thread, at its tick: frees its parts of the generations it has moved on from and no longer uses. */
void cong_proxy_gen_reclaim(int w);
size_t cong_proxy_gen_upstream_count(const cong_proxy_gen_t *g);
cong_proxy_upstream_t *cong_proxy_gen_upstream(cong_proxy_gen_t *g, size_t index);
unsigned cong_proxy_gen_number(const cong_proxy_gen_t *g);
/** fn(the current generation, or NULL) with no publish or free meanwhile (metrics). Returns fn's result. */
int cong_proxy_gen_with_current(int (*fn)(cong_proxy_gen_t *g, void *arg), void *arg);
/** At dispose (the workers stopped): every generation. */
void cong_proxy_gens_free(void);
/** fn(upstream, arg) for every upstream of every generation not yet freed, under the generations' lock (fn must not
 *  adopt, publish or reclaim). */
void cong_proxy_gens_each_upstream(void (*fn)(cong_proxy_upstream_t *up, void *arg), void *arg);
/* Worker `worker_index`'s cache of minted upstream tokens (made at its first use, on its thread; NULL when out of
 * memory: the token is then minted each time). Freed by cong_upstream_proxy_free. */
struct cong_upstream_token_cache *cong_proxy_token_cache(int worker_index);
/* An easy handle for one of worker `worker_index`'s attempts: one it used before (reset: default options), else a
 * new one; NULL when out of memory. Give it back (out of the multi) when the attempt is over: it is reset and kept
 * for the worker's next, or freed when the worker keeps enough. Worker thread only; freed by cong_upstream_proxy_free. */
CURL *cong_proxy_easy_take(int worker_index);
void cong_proxy_easy_give(int worker_index, CURL *easy);
void cong_proxy_count(cong_proxy_upstream_t *up, int target, enum cong_proxy_outcome outcome, uint64_t latency_ms);

/* proxy_request.c: the easy handle of one attempt, set up for `target` (URL, protocol, TLS, timeouts, the headers
 * the upstream gets). `*headers` and `*connect_to` are lists to free after the transfer (NULL when none).
 * 0, CONG_ENOMEM, CONG_ETOOBIG (the URL), CONG_EIO (no token). */
int cong_proxy_request_setup(cong_req_t *r, const cong_proxy_route_t *route, int target, int64_t remaining_ms,
                             CURL *easy, struct curl_slist **headers, struct curl_slist **connect_to);
/** The target's "scheme://host:port" (no path) into url; its length, or CONG_ETOOBIG. */
int cong_proxy_target_origin(const cong_upstream_config_t *u, int target, char *url, size_t cap);
/** What every transfer to the target shares: protocols, connect timeout, HTTP version, TLS (CA, client certificate,
 *  server name: `*connect_to`, to free after the transfer, NULL when none). The health checks use it too. */
void cong_proxy_target_setup(const cong_upstream_config_t *u, int target, CURL *easy, struct curl_slist **connect_to);
/** 1 when a response header must not be passed to the client (hop-by-hop, or one h2o sets itself). */
int cong_proxy_response_header_dropped(const char *name, size_t len);

/* health_check.c: active health checks, on ONE worker's loop (worker 0), for every upstream with a health.path of
 * generation g (which they hold). Started by the partners module's worker hook on that worker (its timers through the
 * module ABI), probes attached to that worker's libcurl multi; restarted on the generation worker 0 adopts at a
 * reload (`running`: the worker's loop runs: timers stopped, probes under way detached); stopped with the worker
 * (timers stopped, probes dropped by the client's close). */
void cong_health_checks_start(const struct cong_api *api, cong_worker_t *w, cong_proxy_gen_t *g);
void cong_health_checks_stop(int running);

/* breaker_queue.c: requests waiting for a slot of the upstream's breaker (the QUEUE verdict), FIFO on their worker. */
/** The request waits (a queue place is already its own): cong_proxy_forward_admitted when it gets a slot, a 503
 *  upstream-unavailable with Retry-After after limits.queue_timeout_ms, nothing when the client leaves first. */
void cong_breaker_queue_wait(cong_req_t *r, const cong_proxy_route_t *route);
/** A slot of `up` was given back on worker w: its queue is looked at on the next turn of the loop. */
void cong_breaker_queue_kick(cong_proxy_upstream_t *up, int w);
/** Worker w's queue of `up` (empty by then): its timer closed, or only its memory freed with `loop_gone`. */
void cong_breaker_queue_free(cong_proxy_upstream_t *up, int w, int loop_gone);

/* proxy.c: the request, now holding a breaker slot, goes on its way. */
void cong_proxy_forward_admitted(cong_req_t *r, const cong_proxy_route_t *route);

/* partner_quota.c: the route's handler — the partner's quota first, then the proxy. */
void cong_proxy_handle(cong_req_t *r, void *udata);

/* proxy_body.c: a request body streamed to the upstream (h2o patch 0009), over libcurl only. */
/** 1 when the request's body is streamed (not in req->entity). */
int cong_proxy_body_streamed(const proxy_transfer_t *t);
/** 1 while no byte of the body went to an upstream: a failed attempt may then be retried. */
int cong_proxy_body_replayable(const proxy_transfer_t *t);
/** h2o tells the transfer when more of the body came (until detach: at the transfer's end). */
void cong_proxy_body_attach(proxy_transfer_t *t);
void cong_proxy_body_detach(proxy_transfer_t *t);
/** The attempt's easy handle reads the body from h2o (read callback, pauses). */
void cong_proxy_body_setup(proxy_transfer_t *t, CURL *easy);
/** proxy.c: starts the first-byte deadline of the libcurl attempt under way, `ms` from now. */
void cong_proxy_arm_first_byte(proxy_transfer_t *t, int64_t ms);

/* proxy.c: the request sent to the upstream and its answer streamed back (once the quota let it go). */
void cong_proxy_forward(cong_req_t *r, const cong_proxy_route_t *route);

#endif

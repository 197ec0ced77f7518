/*
 * gateway/upstream/upstream.h — partners' upstream services: the decisions the proxy makes for every request it
 * sends to one (which target, whether there is room, whether a retry may go, what deadline to pass on), and the
 * health of each target that those decisions read.
 *
 * The upstreams and their routes are configured, not coded: gateway/config/upstreams_config.h reads and checks the
 * `upstreams:` and `partner_routes:` sections (FILE:LINE errors at `cong --check-config`, at start and at SIGHUP). This
 * room turns one cong_upstream_config_t into the state below. It owns no sockets and no timers yet: every function
 * here is pure logic over its arguments and `now_ms` (the caller's monotonic milliseconds, uv_now on a worker), so
 * each is tested alone (tests/unit/upstream/).
 *
 * What the proxy (proxy.c) calls, per request, on the worker's thread. Its attempts go over one of two transports,
 * chosen per upstream at start and invisible to the configuration: plain-text HTTP/1.1 upstreams over h2o's own
 * HTTP/1 client on the worker's loop, with kept connections per worker and target (proxy_h1.c: libcurl's handles,
 * header lists and allocations were ~60 % of a proxied request's CPU); TLS (with or without mTLS) and HTTP/2
 * upstreams over libcurl's multi interface of each worker (the one gateway/outbound/ runs its calls on, through
 * cong_http_client_attach), which h2o 2.2.5's client cannot replace (one SSL_CTX per context, no HTTP/2). Steps:
 *   1. cong_upstream_deadline_start: the total deadline; refused (504) when none is left.
 *   2. cong_breaker_enter: ADMIT, QUEUE (wait in the worker's queue: cong_breaker_promote when a slot frees, at the
 *      latest at the worker's tick; cong_breaker_leave_queue on giving up) or OPEN → 503 problem with Retry-After
 *      cong_breaker_retry_after_s.
 *   3. cong_upstream_health_usable + cong_balancer_pick: the target (none usable → 503, Retry-After 1).
 *   4. the request, with the deadline header (cong_upstream_deadline_header); the connect, first-byte and total
 *      deadlines from the limits (libcurl: CURLOPT_CONNECTTIMEOUT_MS, CURLOPT_TIMEOUT_MS and a timer; h2o's client:
 *      one timer by phase).
 *   5. cong_balancer_done, cong_upstream_health_report (a connect error, reset, timeout or 5xx is a failure; any other
 *      answer a success), cong_breaker_exit.
 *   6. on a failure before any response byte reached the client, for an idempotent method only
 *      (cong_method_is_idempotent), when cong_retry_budget_try allows: again from 3 on another target (the balancer's
 *      pick with the failed one marked unusable); cong_retry_budget_done when that attempt ends.
 * Active health checks (health.path; health_check.c) run on ONE worker's loop per process, worker 0's: a timer per
 * upstream (the module ABI's, owned by the built-in module "partners"), a GET of the path on every target each
 * interval through that worker's libcurl multi, set up like a proxied request (protocol, TLS, mTLS); a 2xx within
 * timeout_ms passes. They report with cong_upstream_health_check_result to the shared health the balancers read. One
 * prober, not one per worker: the results are shared anyway, and W probers would multiply the partner's probe
 * traffic by W and interleave W histories in one threshold count.
 *
 * Threading — decisions are made on worker threads, and each kind of state is placed by who must agree on it:
 *   - Balancers (cong_balancer_t) are PER WORKER, never shared: smooth round-robin's running weights and the
 *     outstanding counts of least-outstanding change on every request, and one shared copy would bounce its cache
 *     line between cores on each of them. The cost: each worker spreads its own requests (N workers each run the
 *     smooth sequence, so the mix holds per worker and over all of them), and least-outstanding sees only its own
 *     worker's requests under way — Envoy makes the same trade.
 *   - Health (cong_upstream_health_t) and the circuit breaker and retry budget (cong_breaker_t, cong_retry_budget_t)
 *     are ONE PER UPSTREAM, SHARED by every worker, because they must agree: a target one worker found dead is dead
 *     for all, and max_concurrent is the partner's capacity, not a worker's share of it. The hot path uses atomics
 *     only: reading a target's state is one atomic load per target, a success touches shared memory only when it
 *     changes something (a failure count to reset), admission is one fetch-add. A mutex per upstream is taken only
 *     on the rare transitions that must see several targets at once (ejecting: the cap on the share of ejected
 *     targets; active-check results), never while waiting for anything.
 *   - The latency estimate behind Retry-After is updated with relaxed atomics and may lose an update under a race:
 *     it is an estimate, and a lost sample costs nothing.
 *
 * Reload (SIGHUP; proxy_gen.c, proxy_routes.c): the upstreams and partner_routes are read, checked like at start
 * (cong_config_load, the policy, cong_upstream_check_routes: any FILE:LINE error refuses the whole reload, the
 * running configuration stays) and, when they differ from those in force, built into a new GENERATION on the main
 * thread — each upstream's runtime, the routes' entries and their own router — then published. Each worker adopts it
 * at a safe point (its next partner route lookup, or its tick every 50 ms); a request keeps the generation it was
 * routed with until it ends (a slow request across a reload completes on the old upstream), and a worker frees its
 * parts of an old generation (balancers, kept connections, queue) at its tick once none of its requests holds it; the
 * last holder frees the rest. Carried over by upstream name: the breaker (shared, its limits updated, so requests
 * still under way count against the new max_concurrent) and, by target address (host:port), each target's health
 * (ejection, its doubling step, unhealthy) and counters; a new target starts healthy at zero. Active health checks
 * follow the generation worker 0 uses; /metrics shows the current one. Not carried: retry budgets (they restart
 * empty) and kept connections (an old generation's close when it is freed). Per-route metrics (route_rows.c): each
 * partner route's (method, template) takes one of CONG_PARTNER_ROUTE_ROWS rows reserved at start, for the process's
 * life, so a route kept across reloads keeps its row and counts, a new one takes a free row and a removed one's row
 * stays with its counts (a Prometheus counter never goes backwards while its series exists); past the reserve (every
 * template seen since the start counts), new templates count in the catch-all row (method "*", "/v1/partners/…") and
 * the reload logs a warning. Every accepted reload also reads the partners' OpenAPI fragments again (gateway.h,
 * cong_openapi_doc_build: a broken one refuses the reload with FILE:LINE) and swaps /openapi.json whole.
 *
 * The proxy (proxy*.c): the partner routes are matched in the generation's own router (the route lookup asks
 * cong_upstream_routes_match for every path under /v1/partners/), with route entries like module routes', so the
 * phases check their auth, scopes, level, mandate action and rate class;
 * their handler sends the request to a target (proxy_request.c: URL with the path rewrite, the client's headers less
 * hop-by-hop and every identity header — x-cong-*, x-user-*, x-forwarded-*, forwarded, authorization, cookie — plus
 * cong's own token for the partner (auth/upstream_token.h; minted once and reused by the worker for the same caller
 * — subject, actor, client, granted scopes, acr, session — for at most 30 s: its jti names the token, not the
 * request; a revoked session never reaches this handler, the authenticate phase refuses it first), traceparent with
 * a span id of cong's own, the deadline
 * header, x-request-id) and streams the answer back on a kept connection (HTTP/1.1: the worker's idle connections to the
 * target, kept on its loop, proxy_h1_idle.c; libcurl: the worker's multi caches as many as the upstreams' max_concurrent allow,
 * gateway/outbound/http_client.c; h2c prior knowledge excepted: one connection a request until libcurl has
 * curl#10643's fix, proxy_request.c) (proxy.c: http/stream_reply.h; while the client's buffer is full the libcurl
 * transfer is paused, or h2o's client stops reading, and resumed when it drains). With h2o's client the response
 * begins with the upstream's head, so a failure after the head breaks the response rather than being retried. Its problems: 503 upstream-unavailable (breaker
 * open, no usable target; Retry-After), 504 upstream-timeout (connect, first byte or total deadline), 502
 * upstream-failed (connection failed, reset, a response over max_response_body_bytes before it began). A failure
 * after the response began breaks the client's response (cong_stream_abort), never truncates it silently. Request
 * bodies not declared at most 64 KiB (http/route_lookup.h: smaller ones are buffered as before, stay on h2o's client
 * for plain HTTP/1.1 upstreams and stay retryable) are streamed (proxy_body.c), from HTTP/2 and HTTP/1.1 clients alike: h2o (patch 0009) hands the request to the handler as soon as its
 * headers are in, and the body goes to the upstream as it arrives, over libcurl whatever the upstream's protocol (a
 * declared length is passed on, else chunked over HTTP/1.1); an HTTP/2 client gets flow-control window only as the
 * upstream takes the body, and h2o stops reading an HTTP/1.1 client's socket, so a slow upstream slows the client and
 * the gateway holds at most about a window (HTTP/2: 16 MiB at first, then 1 MiB; HTTP/1.1: 1 MiB) of it. The
 * upstream's max_request_body_bytes is held by h2o itself: a declared content-length over it refuses an HTTP/2 stream
 * (RST_STREAM REFUSED_STREAM) and is 413 problem+json over HTTP/1.1 (the limits phase), a body that grows past it
 * resets the stream or closes the connection. A streamed body cannot be
 * replayed: once a byte of it went to an upstream, a failed attempt is never retried (nor resent on a stale kept
 * connection). A request the breaker QUEUEs waits on its worker, first come first served (breaker_queue.c), for a
 * slot (taken when one frees on its worker, else found within 5 ms) at most limits.queue_timeout_ms, then 503
 * upstream-unavailable with Retry-After; its total deadline starts when it gets the slot. The runtime state
 * (proxy_state.c) is one per generation; /metrics gets cong_upstream_* by upstream and target
 * (requests by outcome, latency, the target's state healthy/unhealthy/ejected, active checks passed and failed,
 * its ejection step).
 *
 * Partners' quotas (partner_quota.c): a partner route's handler first asks the gateway's rate limiter
 * (limits/rate_limit.h check_plan: the same exact GCRA script in Redis, leases, remembered refusals) with the
 * partner's plan (partner.quota: per_minute, burst, daily), keyed by "partner:<name>" and the caller the rate-limit
 * phase counts (the subject, else the API client, else the client's address): one caller's share of one partner.
 * Over it: 429 rate-limited with Retry-After (midnight UTC for a spent day) and the plan's RateLimit-* headers (they
 * replace the route class's when tighter); the upstream is never asked. Redis down lets the request through, as for
 * rate limits.
 *
 * Ownership: every *_new returns state the caller frees with its *_free; nothing here keeps a pointer to the
 * configuration after the call that built it (the proxy's runtime does: every configuration read, at start or at a
 * reload, outlives it).
 * May use: config/ (the parsed upstreams), limits/ (rate-limit class names; the limiter, for partners' quotas), http/ (requests, replies, streams,
 * problems), outbound/ (the worker's libcurl multi), the process (cong_worker_t), auth/, common/.
 */
#ifndef CONG_GATEWAY_UPSTREAM_H
#define CONG_GATEWAY_UPSTREAM_H

#include <stddef.h>
#include <stdint.h>

#include "cong/errors.h"
#include "cong/module.h"
#include "gateway/config/config.h"

/* ---------------------------------------------------------------------------------------------------------------- */
/* Balancing (balancer.c; balance_rr.c, balance_least.c, balance_hash.c): per worker                                */

typedef struct cong_balancer cong_balancer_t;

/** A balancer over the upstream's targets by its balance.policy; NULL when out of memory. */
cong_balancer_t *cong_balancer_new(const cong_upstream_config_t *u);
void cong_balancer_free(cong_balancer_t *b);
/**
 * The target for the next request: an index into the upstream's targets whose `usable[index]` is nonzero, or -1 when
 * none is. `key`/`key_len` is the consistent-hash key (the subject, or the configured header's value; NULL/0 when
 * absent: such requests go round-robin), ignored by the other policies. Counts the pick as outstanding (least-
 * outstanding): call cong_balancer_done with the same index when the request ends.
 */
int cong_balancer_pick(cong_balancer_t *b, const unsigned char *usable, const void *key, size_t key_len);
void cong_balancer_done(cong_balancer_t *b, int index);

/* The three policies, each its own state, used by the balancer and tested alone. */

/* Smooth weighted round-robin (nginx's): every pick adds each usable target's weight to its running weight, takes
 * the largest and subtracts the total from it, so weights 5,1,1 give a a b a c a a — spread, never a burst. */
typedef struct cong_balance_rr {
    size_t count;
    int *weight;    /* owned */
    long *current;  /* owned: running weights */
} cong_balance_rr_t;
int cong_balance_rr_init(cong_balance_rr_t *rr, const int *weights, size_t count); /* 0 or CONG_ENOMEM */
void cong_balance_rr_free(cong_balance_rr_t *rr);
int cong_balance_rr_pick(cong_balance_rr_t *rr, const unsigned char *usable);

/* Least outstanding requests (this worker's); a tie goes to the larger weight, a tie of weights round-robin. */
typedef struct cong_balance_least {
    size_t count;
    int *weight;             /* owned */
    unsigned *outstanding;   /* owned */
    size_t cursor;           /* where the round-robin of ties starts next */
} cong_balance_least_t;
int cong_balance_least_init(cong_balance_least_t *lo, const int *weights, size_t count);
void cong_balance_least_free(cong_balance_least_t *lo);
int cong_balance_least_pick(cong_balance_least_t *lo, const unsigned char *usable); /* counts it outstanding */
void cong_balance_least_done(cong_balance_least_t *lo, int index);

/* Consistent hashing on a ring of virtual nodes: CONG_HASH_VNODES × weight points per target, placed by a hash of
 * the target's address and the point's number, so a target's points do not depend on the others: when one of N
 * targets leaves (unusable, or gone from the configuration), only the keys that were on it move (~1/N), each to the
 * next point of a usable target. */
#define CONG_HASH_VNODES 160
typedef struct cong_hash_ring {
    uint64_t *points;   /* owned: sorted */
    uint32_t *targets;  /* owned: the target of each point */
    size_t count;       /* points */
    size_t target_count;
} cong_hash_ring_t;
/** `names[i]` identifies target i (its "host:port"); 0 or CONG_ENOMEM. */
int cong_hash_ring_init(cong_hash_ring_t *ring, const char *const *names, const int *weights, size_t target_count);
void cong_hash_ring_free(cong_hash_ring_t *ring);
int cong_hash_ring_pick(const cong_hash_ring_t *ring, const void *key, size_t key_len, const unsigned char *usable);
/** The 64-bit hash of the ring (FNV-1a, then a splitmix64 finish to spread close keys). */
uint64_t cong_hash64(const void *data, size_t len);

/* ---------------------------------------------------------------------------------------------------------------- */
/* Health (health.c): one per upstream, shared by every worker                                                       */

enum cong_target_state {
    CONG_TARGET_HEALTHY = 0,
    CONG_TARGET_UNHEALTHY = 1, /* active checks failed unhealthy_threshold times in a row */
    CONG_TARGET_EJECTED = 2,   /* passive: consecutive_failures failed requests in a row, until its ejection ends */
};

/** Every target starts healthy (a configured active check can only take it down). NULL when out of memory. */
typedef struct cong_upstream_health cong_upstream_health_t;
cong_upstream_health_t *cong_upstream_health_new(const cong_upstream_config_t *u);
void cong_upstream_health_free(cong_upstream_health_t *h);

/** Any thread. Fills usable[target_count] (1 = healthy now) and returns how many are. An ejection whose time is over
 *  counts as healthy from that moment on: recovery needs no event. */
size_t cong_upstream_health_usable(const cong_upstream_health_t *h, uint64_t now_ms, unsigned char *usable);
enum cong_target_state cong_upstream_health_state(const cong_upstream_health_t *h, size_t target, uint64_t now_ms);

/**
 * Any thread: the outcome of a proxied request (passive outlier detection). A failure in a row of
 * outlier.consecutive_failures ejects the target for base_ejection_ms × 2^(ejections before), at most
 * CONG_MAX_EJECTION_MS (and never less than base_ejection_ms), unless that would make more than
 * max_ejection_percent of the targets ejected at once (rounded down: one target of one is never ejected). A success
 * resets the row; each base_ejection_ms a target then serves without being ejected again takes one step off its
 * next ejection's doubling.
 */
#define CONG_MAX_EJECTION_MS 300000
void cong_upstream_health_report(cong_upstream_health_t *h, size_t target, int ok, uint64_t now_ms);
/** Any thread (the checker's): an active check's result. healthy_threshold passes in a row make an unhealthy target
 *  healthy again, and end an ejection early; unhealthy_threshold failures in a row make it unhealthy. */
void cong_upstream_health_check_result(cong_upstream_health_t *h, size_t target, int ok, uint64_t now_ms);
/** At a reload, before `to` is in use: target `to_target` of the new upstream starts where `from_target` of the
 *  same upstream's previous health was (ejection and its end, doubling step, unhealthy, the rows being counted), so
 *  a reload neither forgets an ejection nor revives a dead target. */
void cong_upstream_health_carry(cong_upstream_health_t *to, size_t to_target, cong_upstream_health_t *from,
                                size_t from_target);
/** Ejections of a target so far (its doubling step), for metrics and tests. */
unsigned cong_upstream_health_ejections(const cong_upstream_health_t *h, size_t target);

/* ---------------------------------------------------------------------------------------------------------------- */
/* Circuit breaking (breaker.c): one per upstream, shared                                                           */

enum cong_breaker_verdict {
    CONG_BREAKER_ADMIT = 0, /* a slot is the caller's: cong_breaker_exit when done */
    CONG_BREAKER_QUEUE = 1, /* a queue place is the caller's: cong_breaker_promote, or cong_breaker_leave_queue */
    CONG_BREAKER_OPEN = 2,  /* no slot, no queue place: answer 503 with Retry-After (nothing to release) */
};

typedef struct cong_breaker cong_breaker_t;
cong_breaker_t *cong_breaker_new(int max_concurrent, int max_queued);
/** Drops one reference (cong_breaker_new's, or a cong_breaker_retain's); the last one frees it. */
void cong_breaker_free(cong_breaker_t *b);
/** One more reference: a reloaded upstream of the same name shares its breaker with the generation before, so the
 *  requests still under way there count against the same max_concurrent. */
cong_breaker_t *cong_breaker_retain(cong_breaker_t *b);
/** Any thread: new limits (a reload); requests over them now stay until they end, none is cut. */
void cong_breaker_set_limits(cong_breaker_t *b, int max_concurrent, int max_queued);
enum cong_breaker_verdict cong_breaker_enter(cong_breaker_t *b);
/** A queued request tries to take a freed slot: 1 (its queue place became a slot: exit when done) or 0 (still
 *  queued). */
int cong_breaker_promote(cong_breaker_t *b);
void cong_breaker_leave_queue(cong_breaker_t *b);
/** The admitted request ended after `duration_ms` (feeds the latency estimate of Retry-After). */
void cong_breaker_exit(cong_breaker_t *b, uint64_t duration_ms);
/** Seconds a refused client should wait: the time the backlog (queued + 1) takes to drain at max_concurrent
 *  requests of the mean latency seen so far, 1..60. */
int cong_breaker_retry_after_s(const cong_breaker_t *b);
/** Requests under way (admitted, not exited) and queued, across workers. */
int cong_breaker_active(const cong_breaker_t *b);
int cong_breaker_queued(const cong_breaker_t *b);

/* ---------------------------------------------------------------------------------------------------------------- */
/* Retries (retry_budget.c): one budget per upstream, shared                                                        */

/** 1 for the methods RFC 9110 §9.2.2 calls idempotent (GET, HEAD, OPTIONS, TRACE, PUT, DELETE): the only ones
 *  retried. Never POST, never PATCH. */
int cong_method_is_idempotent(const char *method);

typedef struct cong_retry_budget cong_retry_budget_t;
/** Envoy's retry budget: retries under way ≤ budget_permille/1000 × requests under way, but min_per_s retries a
 *  second are always allowed (a quiet upstream can still retry). */
cong_retry_budget_t *cong_retry_budget_new(int budget_permille, int min_per_s);
void cong_retry_budget_free(cong_retry_budget_t *rb);
/** 1 when a retry of `method` may go now (then cong_retry_budget_done when it ends), with `active_requests` under
 *  way on the upstream (cong_breaker_active); 0 when not idempotent or over budget. */
int cong_retry_budget_try(cong_retry_budget_t *rb, const char *method, int active_requests, uint64_t now_ms);
void cong_retry_budget_done(cong_retry_budget_t *rb);

/* ---------------------------------------------------------------------------------------------------------------- */
/* Deadlines (deadline.c)                                                                                           */

/* The header that tells an upstream how long cong still waits, so it can stop work nobody waits for: milliseconds
 * left, as an integer. Clients' x-cong-* headers are stripped before the proxy adds its own. gRPC upstreams read
 * the same deadline in grpc-timeout. */
#define CONG_UPSTREAM_DEADLINE_HEADER "x-cong-deadline-ms"

/** Milliseconds left of `total_timeout_ms` from `start_ms` at `now_ms` in *remaining_ms. 0, or CONG_ETIMEDOUT when
 *  nothing (< 1 ms) is left: the proxy answers 504 without sending. */
int cong_upstream_deadline_remaining(uint64_t start_ms, int total_timeout_ms, uint64_t now_ms, int64_t *remaining_ms);
/** CONG_UPSTREAM_DEADLINE_HEADER's value for `remaining_ms` ≥ 1 into out (≥ 21 bytes). Returns its length. */
size_t cong_upstream_deadline_header(int64_t remaining_ms, char *out, size_t cap);
/** grpc-timeout's value (gRPC over HTTP/2: at most 8 digits and a unit, m then S then M then H, rounded down, never
 *  below 1 of its unit) into out (≥ 10 bytes). Returns its length, or 0 when cap is too small. */
size_t cong_upstream_grpc_timeout(int64_t remaining_ms, char *out, size_t cap);

/* ---------------------------------------------------------------------------------------------------------------- */
/* Checks at start (upstream_routes.c)                                                                               */

/** What only the gateway knows: each partner route's rate_class is a configured class (limits/), and with any
 *  route, auth.signing_key_file is set (every proxied call carries cong's token). Appends "FILE:LINE:
 *  partner_routes[i].rate_class: message" (or "partner_routes: ...") lines; returns how many, or CONG_ENOMEM. */
int cong_upstream_check_routes(const cong_config_t *cfg, cong_config_errors_t *errs);

/* ---------------------------------------------------------------------------------------------------------------- */
/* The proxy (proxy*.c)                                                                                              */

struct cong_identity;
struct cong_module_ctx;
struct cong_api;
/** At start, before the modules load (main thread): the runtime of every configured upstream and route. `identity`
 *  (cong as an issuer) signs the upstreams' tokens; NULL: partner routes answer 502 (nothing to sign with). 0 or
 *  CONG_ENOMEM. */
int cong_upstream_proxy_init(const cong_config_t *cfg, const struct cong_identity *identity);
/** The built-in module "partners": its worker hooks (each worker's tick that adopts a reloaded generation, worker 0's
 *  active health checks). The routes themselves are not in the gateway's router (below). */
int cong_partner_routes_onload(struct cong_module_ctx *ctx, const struct cong_api *api);
/** SIGHUP, main thread, after `cfg` passed every check of cong_config_load, cong_config_enforce_policy and
 *  cong_upstream_check_routes: its upstreams and routes become the new generation. 0, or CONG_ENOMEM / CONG_EINVAL
 *  with the running generation kept. */
int cong_upstream_proxy_reload(const cong_config_t *cfg);
struct cong_route_entry;
/** Per-route metrics rows reserved for partner routes at start: one per (method, template) seen since the start,
 *  kept across reloads (route_rows.c); past them, the catch-all row. */
#define CONG_PARTNER_ROUTE_ROWS 64
/** At start, after the modules loaded and before cong_upstream_proxy_init (gateway.c): the catch-all metrics row
 *  ("*", "/v1/partners/…"), the `row_count` (at most CONG_PARTNER_ROUTE_ROWS) metrics-only rows reserved for partner
 *  routes, whose method and path buffers this room replaces and labels (route_rows.c), and the module ("partners")
 *  their errors and access-log lines name. 0 or CONG_ENOMEM. */
int cong_upstream_routes_bind(size_t catch_all_slot, struct cong_route_entry *const *rows, size_t row_count,
                              const char *module_name, size_t module_index);
/** The route lookup's match for paths under /v1/partners/ (gateway.h, partner_routes), on worker w's thread: the
 *  generation it uses now (a newer one adopted first), matched like cong_router_match; on FOUND, out->route is a
 *  cong_route_entry_t of that generation, kept (with the route's upstream) until req's pool goes. */
struct cong_route_entry;
/** fn(entry, arg) for each partner route of the current generation, in configuration order (--list-routes). */
void cong_upstream_routes_each(void (*fn)(const struct cong_route_entry *e, void *arg), void *arg);
struct cong_worker;
struct st_h2o_req_t;
struct cong_route_match;
int cong_upstream_routes_match(struct cong_worker *w, struct st_h2o_req_t *req, const char *path, size_t path_len,
                               char *scratch, size_t scratch_len, struct cong_route_match *out);
/** At dispose, after the workers stopped. */
void cong_upstream_proxy_free(void);
struct cong_worker;
/** On worker w's thread once its loop stopped, before its handles drain: closes the worker's kept upstream
 *  connections (proxy_h1_idle.c); one that a request still under way gives back later is closed then. */
void cong_upstream_worker_stop(struct cong_worker *w);
/** The partner routes' handler: the host streams the HTTP/2 request bodies of the routes it serves (h2o patch 0009;
 *  gateway.h streamed_body_handler, http/route_lookup.h), and the proxy forwards them as they arrive (proxy_body.c). */
cong_handler_fn cong_upstream_streamed_body_handler(void);
/** The upstreams' lines of /metrics (malloc'd text, *len without its NUL), or NULL when out of memory. */
char *cong_upstream_metrics_render(size_t *len);

#endif

/*
 * gateway/http/metrics.h — Prometheus metrics without locks.
 *
 * Each worker owns a block of counters and is the only writer to it (relaxed atomic stores, no lock prefix on the hot
 * path); a scrape sums every worker's block with relaxed loads. Route slots are fixed at start: one per registered
 * route plus one for "unmatched". Nothing here carries a subject, a token or a citizen number.
 */
#ifndef CONG_GATEWAY_METRICS_H
#define CONG_GATEWAY_METRICS_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define CONG_METRICS_STATUS_MIN 100
#define CONG_METRICS_STATUS_SLOTS 500 /* 100..599 */
#define CONG_METRICS_LATENCY_BUCKETS 12

/** Outcomes of outbound HTTP calls (http_client.c), the `result` label of cong_http_client_calls_total. */
enum cong_http_client_result {
    CONG_HTTP_RESULT_OK, CONG_HTTP_RESULT_TIMEOUT, CONG_HTTP_RESULT_TOO_BIG, CONG_HTTP_RESULT_ERROR,
    CONG_HTTP_RESULT_BUSY, CONG_HTTP_RESULT_CANCELLED, CONG_HTTP_RESULT_COUNT
};

typedef struct cong_worker_metrics {
    _Atomic uint64_t *requests;      /* [route_slots][STATUS_SLOTS] */
    _Atomic uint64_t latency[CONG_METRICS_LATENCY_BUCKETS + 1]; /* last = +Inf */
    _Atomic uint64_t latency_sum_us;
    _Atomic int64_t in_flight;
    _Atomic uint64_t *module_errors; /* [module_count] */
    _Atomic int64_t redis_up;        /* 0/1 */
    _Atomic int64_t pg_up;           /* connections up */
    _Atomic uint64_t redis_disconnects;
    _Atomic uint64_t pg_shed;        /* queries refused by a saturated pool (postgres.h, shedding) */
    _Atomic int64_t revocations_subscribed;   /* 0/1: the worker hears revocations (revocation.h) */
    _Atomic uint64_t revocations_resubscribed; /* subscriptions lost or silent past their PING deadline, made again */
    _Atomic uint64_t rate_limit_unavailable; /* decisions Redis could not make (requests let through) */
    _Atomic uint64_t http2_calm_closes;      /* connections shed with GOAWAY ENHANCE_YOUR_CALM (patched h2o) */
    _Atomic uint64_t http2_stall_closes;     /* connections closed because the peer stopped reading */
    _Atomic uint64_t connections_shed[2];    /* by per-address admission: [0] concurrent, [1] rate (admission.h) */
    _Atomic int64_t streams_open;            /* streamed replies under way (stream_reply.c) */
    _Atomic int64_t stream_buffer_bytes;     /* memory their buffers hold */
    _Atomic uint64_t streams_client_gone;    /* streamed replies whose client left before their end */
    _Atomic int64_t http_client_in_flight;   /* outbound HTTP calls under way (http_client.c) */
    _Atomic uint64_t http_client_calls[CONG_HTTP_RESULT_COUNT]; /* outbound HTTP calls by outcome */
    _Atomic uint64_t slow_response_closes;     /* connections closed: a response read below the minimum rate */
    _Atomic uint64_t slow_request_body_closes; /* connections closed: a request body sent below the minimum rate */
} cong_worker_metrics_t;

typedef struct cong_metrics cong_metrics_t;

/** Labels for route slots: method and template of each route; slot route_count is "unmatched". Strings borrowed
 *  for the metrics' lifetime. */
typedef struct cong_metrics_labels {
    size_t route_count;
    const char *const *route_methods;
    const char *const *route_templates;
    size_t module_count;
    const char *const *module_names;
    int pg_pool_size;
    const char *const *module_versions; /* [module_count], as declared (module ABI 1.4) or "unknown" */
} cong_metrics_labels_t;

cong_metrics_t *cong_metrics_new(const cong_metrics_labels_t *labels, int workers);
void cong_metrics_free(cong_metrics_t *m);
cong_worker_metrics_t *cong_metrics_worker(cong_metrics_t *m, int worker);

/** Single-writer increment (the owning worker only). */
static inline void cong_counter_add(_Atomic uint64_t *c, uint64_t n)
{
    atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + n, memory_order_relaxed);
}
static inline void cong_gauge_add(_Atomic int64_t *g, int64_t n)
{
    atomic_store_explicit(g, atomic_load_explicit(g, memory_order_relaxed) + n, memory_order_relaxed);
}

/** Record one finished request: route slot (route_count = unmatched), status, duration. */
void cong_metrics_observe(cong_metrics_t *m, cong_worker_metrics_t *w, size_t route_slot, int status,
                          uint64_t duration_us);
/** Render the Prometheus text exposition into a malloc'd buffer (caller frees). NULL on allocation failure. */
char *cong_metrics_render(cong_metrics_t *m, size_t *len);

#endif

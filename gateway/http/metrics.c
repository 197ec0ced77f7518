#include "metrics.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const uint64_t latency_bounds_us[CONG_METRICS_LATENCY_BUCKETS] = {
    100, 250, 500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 1000000};

struct cong_metrics {
    cong_metrics_labels_t labels;
    int workers;
    cong_worker_metrics_t *blocks;
};

cong_metrics_t *cong_metrics_new(const cong_metrics_labels_t *labels, int workers)
{
    cong_metrics_t *m = calloc(1, sizeof *m);
    if (m == NULL)
        return NULL;
    m->labels = *labels;
    m->workers = workers;
    m->blocks = calloc((size_t)workers, sizeof *m->blocks);
    if (m->blocks == NULL) {
        free(m);
        return NULL;
    }
    for (int i = 0; i < workers; i++) {
        cong_worker_metrics_t *w = &m->blocks[i];
        w->requests = calloc((labels->route_count + 1) * CONG_METRICS_STATUS_SLOTS, sizeof *w->requests);
        w->module_errors = calloc(labels->module_count + 1, sizeof *w->module_errors);
        if (w->requests == NULL || w->module_errors == NULL) {
            cong_metrics_free(m);
            return NULL;
        }
    }
    return m;
}

void cong_metrics_free(cong_metrics_t *m)
{
    if (m == NULL)
        return;
    for (int i = 0; i < m->workers; i++) {
        free(m->blocks[i].requests);
        free(m->blocks[i].module_errors);
    }
    free(m->blocks);
    free(m);
}

cong_worker_metrics_t *cong_metrics_worker(cong_metrics_t *m, int worker)
{
    return &m->blocks[worker];
}

void cong_metrics_observe(cong_metrics_t *m, cong_worker_metrics_t *w, size_t route_slot, int status,
                          uint64_t duration_us)
{
    if (route_slot > m->labels.route_count)
        route_slot = m->labels.route_count;
    if (status < CONG_METRICS_STATUS_MIN || status >= CONG_METRICS_STATUS_MIN + CONG_METRICS_STATUS_SLOTS)
        status = 599;
    cong_counter_add(&w->requests[route_slot * CONG_METRICS_STATUS_SLOTS + (size_t)(status - CONG_METRICS_STATUS_MIN)],
                     1);
    size_t b = 0;
    while (b < CONG_METRICS_LATENCY_BUCKETS && duration_us > latency_bounds_us[b])
        b++;
    cong_counter_add(&w->latency[b], 1);
    cong_counter_add(&w->latency_sum_us, duration_us);
}

typedef struct text_buffer {
    char *data;
    size_t len, cap;
    int failed;
} text_buffer_t;

static void emit(text_buffer_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void emit(text_buffer_t *b, const char *fmt, ...)
{
    if (b->failed)
        return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
        va_end(ap);
        if (n < 0) {
            b->failed = 1;
            return;
        }
        if ((size_t)n < b->cap - b->len) {
            b->len += (size_t)n;
            return;
        }
        size_t cap = b->cap * 2 + (size_t)n;
        char *p = realloc(b->data, cap);
        if (p == NULL) {
            b->failed = 1;
            return;
        }
        b->data = p;
        b->cap = cap;
    }
}

static uint64_t load(_Atomic uint64_t *c)
{
    return atomic_load_explicit(c, memory_order_relaxed);
}

static int64_t load_gauge(_Atomic int64_t *g)
{
    return atomic_load_explicit(g, memory_order_relaxed);
}

static void render_requests(cong_metrics_t *m, text_buffer_t *b)
{
    emit(b, "# HELP cong_requests_total Requests answered, by route template and status.\n"
            "# TYPE cong_requests_total counter\n");
    for (size_t r = 0; r <= m->labels.route_count; r++) {
        const char *method = r < m->labels.route_count ? m->labels.route_methods[r] : "";
        const char *route = r < m->labels.route_count ? m->labels.route_templates[r] : "unmatched";
        for (size_t s = 0; s < CONG_METRICS_STATUS_SLOTS; s++) {
            uint64_t total = 0;
            for (int w = 0; w < m->workers; w++)
                total += load(&m->blocks[w].requests[r * CONG_METRICS_STATUS_SLOTS + s]);
            if (total > 0)
                emit(b, "cong_requests_total{method=\"%s\",route=\"%s\",status=\"%zu\"} %llu\n", method, route,
                     s + CONG_METRICS_STATUS_MIN, (unsigned long long)total);
        }
    }
}

static void render_latency(cong_metrics_t *m, text_buffer_t *b)
{
    emit(b, "# HELP cong_request_duration_seconds Time from request start to the end of its response.\n"
            "# TYPE cong_request_duration_seconds histogram\n");
    uint64_t cumulative = 0, sum_us = 0;
    for (size_t i = 0; i <= CONG_METRICS_LATENCY_BUCKETS; i++) {
        for (int w = 0; w < m->workers; w++)
            cumulative += load(&m->blocks[w].latency[i]);
        if (i < CONG_METRICS_LATENCY_BUCKETS)
            emit(b, "cong_request_duration_seconds_bucket{le=\"%g\"} %llu\n", (double)latency_bounds_us[i] / 1e6,
                 (unsigned long long)cumulative);
        else
            emit(b, "cong_request_duration_seconds_bucket{le=\"+Inf\"} %llu\n", (unsigned long long)cumulative);
    }
    for (int w = 0; w < m->workers; w++)
        sum_us += load(&m->blocks[w].latency_sum_us);
    emit(b, "cong_request_duration_seconds_sum %.6f\ncong_request_duration_seconds_count %llu\n", (double)sum_us / 1e6,
         (unsigned long long)cumulative);
}

static void render_gauges(cong_metrics_t *m, text_buffer_t *b)
{
    int64_t in_flight = 0, redis_up = 0, pg_up = 0, subscribed = 0;
    uint64_t redis_disconnects = 0, rate_limit_unavailable = 0, calm = 0, stall = 0, resubscribed = 0, pg_shed = 0;
    for (int w = 0; w < m->workers; w++) {
        in_flight += load_gauge(&m->blocks[w].in_flight);
        redis_up += load_gauge(&m->blocks[w].redis_up);
        pg_up += load_gauge(&m->blocks[w].pg_up);
        redis_disconnects += load(&m->blocks[w].redis_disconnects);
        pg_shed += load(&m->blocks[w].pg_shed);
        subscribed += load_gauge(&m->blocks[w].revocations_subscribed);
        resubscribed += load(&m->blocks[w].revocations_resubscribed);
        rate_limit_unavailable += load(&m->blocks[w].rate_limit_unavailable);
        calm += load(&m->blocks[w].http2_calm_closes);
        stall += load(&m->blocks[w].http2_stall_closes);
    }
    emit(b, "# HELP cong_http2_connections_shed_total HTTP/2 connections closed for abuse.\n"
            "# TYPE cong_http2_connections_shed_total counter\n"
            "cong_http2_connections_shed_total{reason=\"enhance_your_calm\"} %llu\n"
            "cong_http2_connections_shed_total{reason=\"stalled\"} %llu\n",
         (unsigned long long)calm, (unsigned long long)stall);
    emit(b, "# HELP cong_requests_in_flight Requests being processed.\n# TYPE cong_requests_in_flight gauge\n"
            "cong_requests_in_flight %lld\n", (long long)in_flight);
    emit(b, "# HELP cong_store_connections_up Store connections up, summed over workers.\n"
            "# TYPE cong_store_connections_up gauge\n"
            "cong_store_connections_up{store=\"redis\"} %lld\ncong_store_connections_up{store=\"postgres\"} %lld\n",
         (long long)redis_up, (long long)pg_up);
    emit(b, "# HELP cong_store_connections Store connections configured, summed over workers.\n"
            "# TYPE cong_store_connections gauge\n"
            "cong_store_connections{store=\"redis\"} %d\ncong_store_connections{store=\"postgres\"} %d\n",
         m->workers, m->workers * m->labels.pg_pool_size);
    emit(b, "# HELP cong_store_disconnects_total Store connections lost.\n# TYPE cong_store_disconnects_total counter\n"
            "cong_store_disconnects_total{store=\"redis\"} %llu\n", (unsigned long long)redis_disconnects);
    emit(b, "# HELP cong_store_queries_shed_total Queries refused because the pool was saturated: its queue full, or "
            "no connection within postgres.queue_wait_ms.\n# TYPE cong_store_queries_shed_total counter\n"
            "cong_store_queries_shed_total{store=\"postgres\"} %llu\n", (unsigned long long)pg_shed);
    emit(b, "# HELP cong_revocation_subscriptions_up Workers subscribed to session revocations.\n"
            "# TYPE cong_revocation_subscriptions_up gauge\ncong_revocation_subscriptions_up %lld\n"
            "# HELP cong_revocation_resubscriptions_total Revocation subscriptions lost or silent past their PING "
            "deadline, then made again.\n# TYPE cong_revocation_resubscriptions_total counter\n"
            "cong_revocation_resubscriptions_total %llu\n",
         (long long)subscribed, (unsigned long long)resubscribed);
    emit(b, "# HELP cong_rate_limit_unavailable_total Requests let through because Redis could not decide.\n"
            "# TYPE cong_rate_limit_unavailable_total counter\ncong_rate_limit_unavailable_total %llu\n",
         (unsigned long long)rate_limit_unavailable);
}

/* A counter summed over the workers, split by one label of two values: each value's counter is the field at that
 * offset of cong_worker_metrics_t. */
typedef struct {
    const char *label_value;
    size_t offset;
} labelled_counter_t;

static uint64_t sum_over_workers(cong_metrics_t *m, size_t offset)
{
    uint64_t total = 0;
    for (int w = 0; w < m->workers; w++)
        total += load((_Atomic uint64_t *)((char *)&m->blocks[w] + offset));
    return total;
}

static void render_counter_pair(cong_metrics_t *m, text_buffer_t *b, const char *name, const char *help,
                                const char *label, const labelled_counter_t pair[2])
{
    emit(b, "# HELP %s %s\n# TYPE %s counter\n", name, help, name);
    for (int i = 0; i < 2; i++)
        emit(b, "%s{%s=\"%s\"} %llu\n", name, label, pair[i].label_value,
             (unsigned long long)sum_over_workers(m, pair[i].offset));
}

static void render_admission(cong_metrics_t *m, text_buffer_t *b)
{
    static const labelled_counter_t reasons[2] = {
        {"concurrent", offsetof(cong_worker_metrics_t, connections_shed[0])},
        {"rate", offsetof(cong_worker_metrics_t, connections_shed[1])}};
    render_counter_pair(m, b, "cong_connections_shed_total", "Connections refused by per-address admission.",
                        "reason", reasons);
}

/* Connections closed by h2o's minimum transfer rates (patch 0006), HTTP/1.1 and HTTP/2. */
static void render_slow_clients(cong_metrics_t *m, text_buffer_t *b)
{
    static const labelled_counter_t directions[2] = {
        {"response", offsetof(cong_worker_metrics_t, slow_response_closes)},
        {"request_body", offsetof(cong_worker_metrics_t, slow_request_body_closes)}};
    render_counter_pair(m, b, "cong_slow_client_closes_total",
                        "Connections closed because a response was read, or a request body sent, below the minimum "
                        "transfer rate.",
                        "direction", directions);
}

static void render_module_info(cong_metrics_t *m, text_buffer_t *b)
{
    emit(b, "# HELP cong_module_info The loaded modules, by name and declared version.\n"
            "# TYPE cong_module_info gauge\n");
    for (size_t i = 0; i < m->labels.module_count; i++)
        emit(b, "cong_module_info{module=\"%s\",version=\"%s\"} 1\n", m->labels.module_names[i],
             m->labels.module_versions != NULL ? m->labels.module_versions[i] : "unknown");
}

/* Streamed replies and outbound HTTP (module ABI 1.4). */
static void render_streams_and_calls(cong_metrics_t *m, text_buffer_t *b)
{
    static const char *const results[CONG_HTTP_RESULT_COUNT] = {"ok", "timeout", "too_big", "error", "busy",
                                                                "cancelled"};
    int64_t open = 0, buffered = 0, calls_in_flight = 0;
    uint64_t gone = 0, calls[CONG_HTTP_RESULT_COUNT] = {0};
    for (int w = 0; w < m->workers; w++) {
        open += load_gauge(&m->blocks[w].streams_open);
        buffered += load_gauge(&m->blocks[w].stream_buffer_bytes);
        gone += load(&m->blocks[w].streams_client_gone);
        calls_in_flight += load_gauge(&m->blocks[w].http_client_in_flight);
        for (int i = 0; i < CONG_HTTP_RESULT_COUNT; i++)
            calls[i] += load(&m->blocks[w].http_client_calls[i]);
    }
    emit(b, "# HELP cong_streams_open Streamed replies under way.\n# TYPE cong_streams_open gauge\n"
            "cong_streams_open %lld\n"
            "# HELP cong_stream_buffer_bytes Memory held by the buffers of streamed replies.\n"
            "# TYPE cong_stream_buffer_bytes gauge\ncong_stream_buffer_bytes %lld\n"
            "# HELP cong_streams_client_gone_total Streamed replies whose client left before their end.\n"
            "# TYPE cong_streams_client_gone_total counter\ncong_streams_client_gone_total %llu\n",
         (long long)open, (long long)buffered, (unsigned long long)gone);
    emit(b, "# HELP cong_http_client_in_flight Outbound HTTP calls under way.\n"
            "# TYPE cong_http_client_in_flight gauge\ncong_http_client_in_flight %lld\n"
            "# HELP cong_http_client_calls_total Outbound HTTP calls by outcome.\n"
            "# TYPE cong_http_client_calls_total counter\n", (long long)calls_in_flight);
    for (int i = 0; i < CONG_HTTP_RESULT_COUNT; i++)
        emit(b, "cong_http_client_calls_total{result=\"%s\"} %llu\n", results[i], (unsigned long long)calls[i]);
}

static void render_module_errors(cong_metrics_t *m, text_buffer_t *b)
{
    emit(b, "# HELP cong_module_errors_total Module replies with a 5xx status.\n"
            "# TYPE cong_module_errors_total counter\n");
    for (size_t i = 0; i < m->labels.module_count; i++) {
        uint64_t total = 0;
        for (int w = 0; w < m->workers; w++)
            total += load(&m->blocks[w].module_errors[i]);
        emit(b, "cong_module_errors_total{module=\"%s\"} %llu\n", m->labels.module_names[i],
             (unsigned long long)total);
    }
}

char *cong_metrics_render(cong_metrics_t *m, size_t *len)
{
    text_buffer_t b = {.data = malloc(8192), .cap = 8192};
    if (b.data == NULL)
        return NULL;
    render_requests(m, &b);
    render_latency(m, &b);
    render_gauges(m, &b);
    render_admission(m, &b);
    render_slow_clients(m, &b);
    render_module_errors(m, &b);
    render_module_info(m, &b);
    render_streams_and_calls(m, &b);
    if (b.failed) {
        free(b.data);
        return NULL;
    }
    *len = b.len;
    return b.data;
}

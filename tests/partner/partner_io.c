/*
 * A partner module built as a shared object against include/cong/module.h alone, for the tests of module ABI 1.4:
 * streamed replies and outbound HTTP. Loaded only by tests/integration/test_stream_reply.sh and
 * test_http_client.sh (`modules.load`). Its routes are public and test-only:
 *
 *   GET /v1/partner-io/events?n=N&interval_ms=M[&gate=G]  Server-Sent Events: N events, M ms apart (a PostgreSQL
 *       pg_sleep is the module's timer: each write comes from a store callback, long after the handler returned);
 *       with a gate, every event after the first waits until GET /v1/partner-io/release?gate=G.
 *   GET /v1/partner-io/download?bytes=N&buffer=B&chunk=C  N bytes (byte k is k % 251) written in C-byte pieces
 *       through a B-byte stream buffer: on CONG_EBUSY it waits for the writable callback.
 *   GET /v1/partner-io/fetch?url=U[&method&body&timeout_ms&connect_timeout_ms&max&version&ca&cert&key&header&want]
 *       an outbound call; 200 with the upstream's body and x-upstream-status / -version / -header (the value of the
 *       upstream's header named by `want`), or 502 with x-upstream-err (the CONG_E* name).
 *   GET /v1/partner-io/stats  the module's counters (JSON), summed over workers.
 *
 * A job (every 200 ms) fetches modules.partner_io.job_url, when set, with job_http_request.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cong/module.h"

static const cong_api_t *api;
static const char *job_url;

#define GATES 64
static atomic_int released[GATES];
static atomic_long closed, ebusy, writable, accepted, events_done, downloads_done, fetch_callbacks, job_status;
static atomic_int last_write_err;

static long query_long(cong_req_t *req, const char *name, long fallback)
{
    const char *v = api->req_query_param(req, name, NULL);
    return v != NULL && *v != '\0' ? strtol(v, NULL, 10) : fallback;
}

/* ---- Server-Sent Events from store callbacks ---- */

typedef struct events {
    cong_stream_t *stream;
    long sent, n, interval_ms, gate;
} events_t;

static void next_event(cong_req_t *req, events_t *ev);

static void on_events_stream(cong_req_t *req, cong_stream_t *stream, int err, void *udata)
{
    (void)req, (void)stream;
    events_t *ev = udata;
    if (err == CONG_EGONE) {
        atomic_fetch_add(&closed, 1);
        api->log(CONG_LOG_INFO, "partner_io", "event stream over (CONG_EGONE) after %ld event(s)", ev->sent);
    }
}

static void write_event(cong_req_t *req, events_t *ev)
{
    char line[96];
    int n = snprintf(line, sizeof line, "id: %ld\ndata: event %ld of %ld\n\n", ev->sent + 1, ev->sent + 1, ev->n);
    int rc = api->stream_write(ev->stream, line, (size_t)n);
    if (rc != 0) {
        atomic_store(&last_write_err, rc);
        api->stream_end(ev->stream);
        return;
    }
    if (++ev->sent == ev->n) {
        atomic_fetch_add(&events_done, 1);
        api->stream_end(ev->stream);
        return;
    }
    next_event(req, ev);
}

static void on_timer(cong_req_t *req, int err, const cong_pg_result_t *result, void *udata)
{
    (void)result;
    events_t *ev = udata;
    if (err != 0) {
        api->stream_end(ev->stream);
        return;
    }
    if (ev->gate >= 0 && !atomic_load(&released[ev->gate])) {
        next_event(req, ev); /* the gate is still shut: look again after the next tick */
        return;
    }
    write_event(req, ev);
}

static void next_event(cong_req_t *req, events_t *ev)
{
    char seconds[32];
    snprintf(seconds, sizeof seconds, "%.3f", (ev->gate >= 0 ? 20 : ev->interval_ms) / 1000.0);
    const char *params[] = {seconds};
    if (api->pg_query(req, "SELECT pg_sleep($1::float8)", 1, params, on_timer, ev) != 0)
        api->stream_end(ev->stream);
}

static void events(cong_req_t *req, void *udata)
{
    (void)udata;
    events_t *ev = api->req_alloc(req, sizeof *ev);
    if (ev == NULL) {
        api->reply_problem(req, 500, "internal-error", NULL, NULL);
        return;
    }
    ev->n = query_long(req, "n", 3);
    ev->interval_ms = query_long(req, "interval_ms", 50);
    ev->gate = query_long(req, "gate", -1);
    if (ev->n < 1 || ev->gate >= GATES) {
        api->reply_problem(req, 400, "validation-failed", NULL, NULL);
        return;
    }
    api->reply_header(req, "cache-control", "no-cache");
    if (api->stream_begin(req, 200, "text/event-stream", 0, on_events_stream, ev, &ev->stream) != 0) {
        api->reply_problem(req, 500, "internal-error", NULL, NULL);
        return;
    }
    write_event(req, ev);
}

static void release(cong_req_t *req, void *udata)
{
    (void)udata;
    long gate = query_long(req, "gate", -1);
    if (gate < 0 || gate >= GATES) {
        api->reply_problem(req, 400, "validation-failed", NULL, NULL);
        return;
    }
    atomic_store(&released[gate], 1);
    api->reply_text(req, 200, "text/plain", "released\n", 9);
}

/* ---- a large download through a bounded buffer ---- */

typedef struct download {
    cong_stream_t *stream;
    long long written, total;
    size_t chunk;
    unsigned char *piece;
} download_t;

static void pump(download_t *d)
{
    while (d->written < d->total) {
        size_t len = d->total - d->written < (long long)d->chunk ? (size_t)(d->total - d->written) : d->chunk;
        for (size_t i = 0; i < len; i++)
            d->piece[i] = (unsigned char)((d->written + (long long)i) % 251);
        int rc = api->stream_write(d->stream, d->piece, len);
        if (rc == CONG_EBUSY) {
            atomic_fetch_add(&ebusy, 1);
            return; /* on_download_stream is called when it can take more */
        }
        if (rc != 0) {
            atomic_store(&last_write_err, rc);
            api->stream_end(d->stream);
            return;
        }
        d->written += (long long)len;
        atomic_fetch_add(&accepted, (long)len);
    }
    atomic_fetch_add(&downloads_done, 1);
    api->stream_end(d->stream);
}

static void on_download_stream(cong_req_t *req, cong_stream_t *stream, int err, void *udata)
{
    (void)req, (void)stream;
    download_t *d = udata;
    if (err == CONG_EGONE) {
        atomic_fetch_add(&closed, 1);
        api->log(CONG_LOG_INFO, "partner_io", "download over (CONG_EGONE) after %lld byte(s)", d->written);
        return;
    }
    atomic_fetch_add(&writable, 1);
    pump(d);
}

static void download(cong_req_t *req, void *udata)
{
    (void)udata;
    download_t *d = api->req_alloc(req, sizeof *d);
    long chunk = query_long(req, "chunk", 16384);
    if (d == NULL || chunk < 1 || chunk > 64 * 1024 * 1024 || (d->piece = api->req_alloc(req, (size_t)chunk)) == NULL) {
        api->reply_problem(req, 400, "validation-failed", NULL, NULL);
        return;
    }
    d->total = query_long(req, "bytes", 1 << 20);
    d->chunk = (size_t)chunk;
    int rc = api->stream_begin(req, 200, "application/octet-stream", (size_t)query_long(req, "buffer", 0),
                               on_download_stream, d, &d->stream);
    if (rc != 0) {
        api->reply_problem(req, 400, "validation-failed", api->strerror(rc), api->strerror(rc));
        return;
    }
    pump(d);
}

/* ---- outbound HTTP ---- */

static void fetch_failed(cong_req_t *req, int err)
{
    api->reply_header(req, "x-upstream-err", api->strerror(err));
    api->reply_text(req, 502, "text/plain", api->strerror(err), strlen(api->strerror(err)));
}

static void on_fetched(cong_req_t *req, int err, const cong_http_response_t *res, void *udata)
{
    const char *want = udata;
    atomic_fetch_add(&fetch_callbacks, 1);
    if (err != 0) {
        fetch_failed(req, err);
        return;
    }
    char status[16], version[16];
    snprintf(status, sizeof status, "%d", api->http_response_status(res));
    snprintf(version, sizeof version, "%d", api->http_response_version(res));
    api->reply_header(req, "x-upstream-status", status);
    api->reply_header(req, "x-upstream-version", version);
    const char *value = want != NULL ? api->http_response_header(res, want, NULL) : NULL;
    if (value != NULL)
        api->reply_header(req, "x-upstream-header", value);
    size_t len = 0;
    const char *body = api->http_response_body(res, &len);
    api->reply_text(req, 200, "application/octet-stream", body, len);
}

static void fetch(cong_req_t *req, void *udata)
{
    (void)udata;
    size_t body_len = 0;
    const char *body = api->req_query_param(req, "body", &body_len);
    const char *header = api->req_query_param(req, "header", NULL);
    const char **headers = api->req_alloc(req, 2 * sizeof *headers);
    if (headers == NULL) {
        fetch_failed(req, CONG_ENOMEM);
        return;
    }
    headers[0] = header;
    cong_http_request_t def = {
        .size = sizeof def,
        .method = api->req_query_param(req, "method", NULL),
        .url = api->req_query_param(req, "url", NULL),
        .headers = headers,
        .body = body,
        .body_len = body_len,
        .timeout_ms = query_long(req, "timeout_ms", 5000),
        .connect_timeout_ms = query_long(req, "connect_timeout_ms", 0),
        .max_response_bytes = query_long(req, "max", 0),
        .http_version = (int)query_long(req, "version", CONG_HTTP_AUTO),
        .ca_file = api->req_query_param(req, "ca", NULL),
        .client_cert_file = api->req_query_param(req, "cert", NULL),
        .client_key_file = api->req_query_param(req, "key", NULL),
    };
    int rc = api->http_request(req, &def, on_fetched, (void *)api->req_query_param(req, "want", NULL));
    if (rc != 0)
        fetch_failed(req, rc);
}

static void stats(cong_req_t *req, void *udata)
{
    (void)udata;
    char body[512];
    int n = snprintf(body, sizeof body,
                     "{\"closed\":%ld,\"ebusy\":%ld,\"writable\":%ld,\"accepted\":%ld,\"events_done\":%ld,"
                     "\"downloads_done\":%ld,\"fetch_callbacks\":%ld,\"job_status\":%ld,\"last_write_err\":\"%s\"}",
                     atomic_load(&closed), atomic_load(&ebusy), atomic_load(&writable), atomic_load(&accepted),
                     atomic_load(&events_done), atomic_load(&downloads_done), atomic_load(&fetch_callbacks),
                     atomic_load(&job_status), api->strerror(atomic_load(&last_write_err)));
    api->reply_text(req, 200, "application/json", body, (size_t)n);
}

/* The job thread's blocking call: the status of job_url, or the negative CONG_E* of the failure. */
static void fetch_job(cong_job_t *job, void *udata)
{
    (void)udata;
    if (job_url == NULL || job_url[0] == '\0')
        return;
    cong_http_request_t def = {.size = sizeof def, .url = job_url, .timeout_ms = 2000};
    cong_http_response_t *res = NULL;
    int rc = api->job_http_request(job, &def, &res);
    atomic_store(&job_status, rc != 0 ? rc : api->http_response_status(res));
    api->job_http_response_free(res);
}

int cong_module_onload(cong_module_ctx_t *ctx, const cong_api_t *a)
{
    if (a->abi_major != CONG_MODULE_ABI_MAJOR || !CONG_API_HAS(a, job_http_response_free))
        return CONG_EVERSION;
    api = a;
    cong_config_key_def_t key = {.size = sizeof key, .name = "job_url", .type = CONG_CONFIG_STRING,
                                 .default_value = "", .help = "what the fetch_probe job fetches (empty: nothing)"};
    int rc = api->register_config(ctx, &key);
    if (rc != 0)
        return rc;
    job_url = api->config_get(ctx, "job_url");
    const struct { const char *path; cong_handler_fn handler; const char *operation_id; } routes[] = {
        {"/v1/partner-io/events", events, "partnerIoEvents"},
        {"/v1/partner-io/release", release, "partnerIoRelease"},
        {"/v1/partner-io/download", download, "partnerIoDownload"},
        {"/v1/partner-io/fetch", fetch, "partnerIoFetch"},
        {"/v1/partner-io/stats", stats, "partnerIoStats"},
    };
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
        cong_route_def_t r = {.size = sizeof r, .method = "GET", .path = routes[i].path, .handler = routes[i].handler,
                              .auth = CONG_AUTH_NONE, .operation_id = routes[i].operation_id};
        if ((rc = api->register_route(ctx, &r)) != 0)
            return rc;
    }
    return api->register_job(ctx, "fetch_probe", 200, fetch_job, NULL);
}

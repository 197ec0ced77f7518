/* The proxy: one partner request sent to its upstream and the answer streamed back (contract in upstream.h, the
 * steps in its list). A transfer belongs to its request: it holds a reference, and an anchor in the request's pool
 * drops it when the client leaves. Everything runs on the request's worker: its attempts on the worker's libcurl multi
 * (outbound/http_client.h), or, for plain HTTP/1.1 upstreams, on h2o's HTTP/1 client (proxy_h1.c). */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "proxy_internal.h"

#define PROXY_STREAM_BUFFER (256 * 1024)

static uint64_t now_ms(const proxy_transfer_t *t)
{
    return uv_now(&t->r->worker->loop);
}

static void close_timer(uv_handle_t *h)
{
    free(h);
}

static void transfer_free(proxy_transfer_t *t)
{
    cong_proxy_body_detach(t);
    if (t->anchor != NULL)
        t->anchor->t = NULL;
    if (t->first_byte_timer != NULL) {
        uv_timer_stop(t->first_byte_timer);
        uv_close((uv_handle_t *)t->first_byte_timer, close_timer);
    }
    cong_proxy_easy_give(t->r->worker->index, t->owner.easy); /* reset before its header lists go */
    curl_slist_free_all(t->headers);
    curl_slist_free_all(t->connect_to);
    free(t->h1.head);
    if (t->h1.rest != NULL)
        h2o_buffer_dispose(&t->h1.rest);
    free(t->usable);
    cong_proxy_gen_drop(t->up->gen, t->r->worker->index);
    cong_req_release(t->r);
    free(t);
}

/* The attempt under way ends: the balancer, the retry budget and (when `report`) the target's health hear of it. */
static void attempt_end(proxy_transfer_t *t, int report, int ok)
{
    if (t->target < 0)
        return;
    long status = t->status;
    if (t->owner.easy != NULL)
        curl_easy_getinfo(t->owner.easy, CURLINFO_RESPONSE_CODE, &status);
    const cong_upstream_target_config_t *target = &t->up->config->targets[t->target];
    t->r->upstream.name = t->up->config->name;
    t->r->upstream.host = target->host;
    t->r->upstream.port = target->port;
    t->r->upstream.status = (int)status;
    t->r->upstream.ms = (unsigned)((t->got_first_byte ? t->first_byte_ms : now_ms(t)) - t->attempt_ms);
    if (report)
        cong_upstream_health_report(t->up->health, (size_t)t->target, ok, now_ms(t));
    cong_balancer_done(t->balancer, t->target);
    if (t->retry_held)
        cong_retry_budget_done(t->up->budget);
    t->retry_held = 0;
    t->target = -1;
    uv_timer_stop(t->first_byte_timer);
}

/* The request is over for the upstream: its breaker slot goes back, the transfer is freed. */
static void transfer_end(proxy_transfer_t *t)
{
    cong_breaker_exit(t->up->breaker, now_ms(t) - t->start_ms);
    cong_breaker_queue_kick(t->up, t->r->worker->index); /* this worker's next in line, if any */
    transfer_free(t);
}

static void reply_problem(proxy_transfer_t *t, int status, const char *slug, int retry_after_s)
{
    if (t->r->h2o != NULL)
        cong_reply_problem(t->r, status, slug, NULL, NULL, retry_after_s);
}

static void on_stream(cong_req_t *r, cong_stream_t *s, int err, void *udata)
{
    (void)r, (void)s;
    proxy_transfer_t *t = udata;
    if (err == CONG_EGONE) {
        t->stream = NULL; /* the anchor's disposal drops the transfer */
        return;
    }
    if (t->paused && t->over_h1) {
        t->paused = 0;
        cong_proxy_h1_resume(t); /* may free t */
        return;
    }
    if (t->paused && t->attached) { /* the client's buffer drained: let the upstream's bytes flow again */
        t->paused = 0;
        t->in_callback++;
        curl_easy_pause(t->owner.easy, t->body.waiting ? CURLPAUSE_SEND : CURLPAUSE_CONT); /* the upload's own pause
                                                                                              stays (proxy_body.c) */
        t->in_callback--;
    }
}

int cong_proxy_begin_stream(proxy_transfer_t *t, const char *content_type)
{
    return cong_stream_begin(t->r, t->status, content_type, PROXY_STREAM_BUFFER, on_stream, t, &t->stream);
}

/* The client's response: the upstream's status and headers (less hop-by-hop ones), then the body as it comes. */
static int begin_response(proxy_transfer_t *t)
{
    long status = 0;
    curl_easy_getinfo(t->owner.easy, CURLINFO_RESPONSE_CODE, &status);
    t->status = (int)status;
    const char *type = "application/octet-stream";
    struct curl_header *h = NULL, *prev = NULL;
    while ((h = curl_easy_nextheader(t->owner.easy, CURLH_HEADER, -1, prev)) != NULL) {
        prev = h;
        char name[128];
        size_t len = strlen(h->name);
        if (len >= sizeof name)
            continue;
        for (size_t i = 0; i <= len; i++)
            name[i] = (char)(h->name[i] >= 'A' && h->name[i] <= 'Z' ? h->name[i] + 32 : h->name[i]);
        if (strcmp(name, "content-type") == 0)
            type = h->value;
        else if (!cong_proxy_response_header_dropped(name, len))
            cong_reply_add_header(t->r, name, len, h->value, strlen(h->value));
    }
    return cong_proxy_begin_stream(t, type);
}

void cong_proxy_got_first_byte(proxy_transfer_t *t)
{
    if (!t->got_first_byte) {
        t->got_first_byte = 1;
        t->first_byte_ms = now_ms(t);
        uv_timer_stop(t->first_byte_timer);
    }
}

static size_t on_header(char *data, size_t size, size_t n, void *p)
{
    cong_proxy_got_first_byte(p);
    (void)data;
    return size * n;
}

int cong_proxy_deliver(proxy_transfer_t *t, const char *data, size_t len)
{
    if (t->cancelled || t->r->h2o == NULL || t->stream == NULL)
        return CONG_EGONE;
    if (t->body_bytes + (long long)len > t->up->config->limits.max_response_body_bytes) {
        t->too_big = 1;
        return CONG_ETOOBIG;
    }
    t->in_callback++; /* h2o may let go of the request inside: the anchor then leaves the transfer to us */
    int rc = cong_stream_write(t->stream, data, len);
    t->in_callback--;
    if (t->cancelled)
        return CONG_EGONE;
    if (rc == CONG_EBUSY)
        t->paused = 1;
    if (rc == 0)
        t->body_bytes += (long long)len;
    return rc;
}

static size_t on_body(char *data, size_t size, size_t n, void *p)
{
    proxy_transfer_t *t = p;
    size_t len = size * n;
    if (t->cancelled || t->r->h2o == NULL)
        return 0;
    if (t->body_bytes + (long long)len > t->up->config->limits.max_response_body_bytes) {
        t->too_big = 1; /* before the response began: a 502, not a broken response */
        return 0;
    }
    if (t->stream == NULL) {
        t->in_callback++;
        int rc = begin_response(t);
        t->in_callback--;
        if (rc != 0 || t->cancelled)
            return 0;
    }
    int rc = cong_proxy_deliver(t, data, len);
    if (rc == CONG_EBUSY)
        return CURL_WRITEFUNC_PAUSE;
    return rc == 0 ? len : 0;
}

static enum cong_proxy_outcome outcome_of(long status)
{
    return status >= 500 ? CONG_PROXY_5XX : status >= 400 ? CONG_PROXY_4XX : status >= 300 ? CONG_PROXY_3XX
                                                                                       : CONG_PROXY_2XX;
}

static void start_attempt(proxy_transfer_t *t);

/* A failed attempt with nothing sent to the client yet: another target, for an idempotent method, in the budget. */
static int retry(proxy_transfer_t *t)
{
    h2o_req_t *req = t->r->h2o;
    char method[16];
    snprintf(method, sizeof method, "%.*s", (int)req->method.len, req->method.base);
    int64_t left = 0;
    if (cong_upstream_deadline_remaining(t->start_ms, t->up->config->limits.total_timeout_ms, now_ms(t), &left) != 0)
        return 0;
    if (!cong_proxy_body_replayable(t)) /* part of a streamed body went: it cannot be sent again */
        return 0;
    size_t others = 0;
    for (size_t i = 0; i < t->up->config->target_count; i++)
        others += t->usable[i] != 0;
    if (others == 0) /* nobody else to ask: the failure is the answer */
        return 0;
    if (!cong_retry_budget_try(t->up->budget, method, cong_breaker_active(t->up->breaker), now_ms(t)))
        return 0;
    t->retry_held = 1; /* handed to the next attempt */
    start_attempt(t);
    return 1;
}

static void finish_failed(proxy_transfer_t *t, int timed_out, int upstream_fault)
{
    int failed_target = t->target;
    cong_proxy_count(t->up, failed_target, timed_out ? CONG_PROXY_TIMEOUT : CONG_PROXY_FAILED, 0);
    attempt_end(t, upstream_fault, 0);
    if (failed_target >= 0)
        t->usable[failed_target] = 0;
    if (t->stream != NULL) {
        cong_stream_abort(t->stream);
        transfer_end(t);
        return;
    }
    if (t->r->h2o != NULL && upstream_fault && retry(t))
        return;
    if (t->too_big)
        reply_problem(t, 502, "upstream-failed", 0);
    else
        reply_problem(t, timed_out ? 504 : 502, timed_out ? "upstream-timeout" : "upstream-failed", 0);
    transfer_end(t);
}

void cong_proxy_attempt_over(proxy_transfer_t *t, int failed, int timed_out, int upstream_fault)
{
    t->attached = 0;
    if (failed) {
        finish_failed(t, timed_out, upstream_fault && !t->cancelled && !t->too_big && t->r->h2o != NULL);
        return;
    }
    long status = t->status;
    cong_proxy_count(t->up, t->target, outcome_of(status), t->first_byte_ms - t->attempt_ms);
    attempt_end(t, 1, status < 500);
    if (t->stream == NULL && t->r->h2o != NULL && (t->over_h1 || begin_response(t) != 0))
        reply_problem(t, 502, "upstream-failed", 0);
    if (t->stream != NULL)
        cong_stream_end(t->stream);
    transfer_end(t);
}

/* The attempt's transfer ended (out of the multi already). */
static void on_done(cong_http_owner_t *owner, CURLcode code)
{
    proxy_transfer_t *t = (proxy_transfer_t *)owner;
    long status = 0;
    curl_easy_getinfo(t->owner.easy, CURLINFO_RESPONSE_CODE, &status);
    t->status = (int)status;
    int failed = code != CURLE_OK || t->first_byte_expired;
    cong_proxy_attempt_over(t, failed, code == CURLE_OPERATION_TIMEDOUT || t->first_byte_expired, 1);
}

static void on_drop(cong_http_owner_t *owner)
{
    proxy_transfer_t *t = (proxy_transfer_t *)owner;
    t->attached = 0;
    attempt_end(t, 0, 0);
    transfer_end(t);
}

static void on_first_byte_timeout(uv_timer_t *timer)
{
    proxy_transfer_t *t = timer->data;
    if (!t->attached || t->got_first_byte)
        return;
    t->first_byte_expired = 1;
    cong_http_client_detach(t->r->worker, &t->owner);
    on_done(&t->owner, CURLE_OPERATION_TIMEDOUT);
}

/* The client left: the transfer is dropped now (or, inside one of libcurl's callbacks, at its next one). */
static void on_anchor_dispose(void *p)
{
    proxy_anchor_t *anchor = p;
    proxy_transfer_t *t = anchor->t;
    if (t == NULL)
        return;
    t->anchor = NULL;
    t->stream = NULL;
    t->cancelled = 1;
    if (t->in_callback || !t->attached)
        return;
    if (t->over_h1)
        cong_proxy_h1_cancel(t);
    else
        cong_http_client_detach(t->r->worker, &t->owner);
    t->attached = 0;
    attempt_end(t, 0, 0);
    transfer_end(t);
}

/* One attempt: a target, then h2o's HTTP/1 client (proxy_h1.c) or a new easy handle attached to the worker's multi.
 * Failing to start is a failed attempt. */
static void start_attempt(proxy_transfer_t *t)
{
    t->target = cong_balancer_pick(t->balancer, t->usable, t->r->principal.subject,
                                   t->r->principal.subject ? strlen(t->r->principal.subject) : 0);
    if (t->target < 0) {
        int held = t->retry_held;
        t->retry_held = 0;
        if (held)
            cong_retry_budget_done(t->up->budget);
        reply_problem(t, 503, "upstream-unavailable", 1);
        transfer_end(t);
        return;
    }
    cong_proxy_easy_give(t->r->worker->index, t->owner.easy);
    t->owner.easy = NULL;
    curl_slist_free_all(t->headers);
    curl_slist_free_all(t->connect_to);
    t->headers = t->connect_to = NULL;
    t->got_first_byte = t->first_byte_expired = 0;
    t->status = 0;
    t->attempt_ms = now_ms(t);
    int64_t left = 0;
    int rc = cong_upstream_deadline_remaining(t->start_ms, t->up->config->limits.total_timeout_ms, t->attempt_ms,
                                              &left);
    if (t->over_h1) {
        if (rc != 0)
            finish_failed(t, 1, 0);
        else
            cong_proxy_h1_start(t, left); /* may have freed t */
        return;
    }
    t->owner.easy = rc == 0 ? cong_proxy_easy_take(t->r->worker->index) : NULL;
    if (t->owner.easy != NULL)
        rc = cong_proxy_request_setup(t->r, t->route, t->target, left, t->owner.easy, &t->headers, &t->connect_to);
    if (t->owner.easy == NULL || rc != 0) {
        finish_failed(t, rc == CONG_ETIMEDOUT, 0);
        return;
    }
    int streamed = cong_proxy_body_streamed(t);
    if (streamed)
        cong_proxy_body_setup(t, t->owner.easy);
    curl_easy_setopt(t->owner.easy, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(t->owner.easy, CURLOPT_HEADERDATA, t);
    curl_easy_setopt(t->owner.easy, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(t->owner.easy, CURLOPT_WRITEDATA, t);
    if (cong_http_client_attach(t->r->worker, &t->owner) != 0) {
        finish_failed(t, 0, 0);
        return;
    }
    t->attached = 1;
    int first_byte = t->up->config->limits.first_byte_timeout_ms;
    if (!streamed) /* a streamed body: from its end on (proxy_body.c) */
        cong_proxy_arm_first_byte(t, first_byte < left ? first_byte : left);
}

void cong_proxy_arm_first_byte(proxy_transfer_t *t, int64_t ms)
{
    uv_timer_start(t->first_byte_timer, on_first_byte_timeout, (uint64_t)(ms > 0 ? ms : 1), 0);
}

/* What is refused before anything is sent: a caller without the session the route needs, a body over the limit,
 * an upstream at its limit (the breaker is open). 0 when the request may go, with a breaker slot taken; 1 when it
 * waits in the queue (breaker_queue.c goes on from cong_proxy_forward_admitted). */
static int admit(cong_req_t *r, const cong_proxy_route_t *route)
{
    const cong_upstream_config_t *u = route->upstream->config;
    if (route->config->auth == CONG_PARTNER_AUTH_SESSION && r->principal.session_id == NULL) {
        cong_reply_problem(r, 403, "session-required", NULL, NULL, 0);
        return -1;
    }
    if ((long long)r->h2o->entity.len > u->limits.max_request_body_bytes) {
        cong_reply_problem(r, 413, "payload-too-large", NULL, NULL, 0);
        return -1;
    }
    enum cong_breaker_verdict v = cong_breaker_enter(route->upstream->breaker);
    if (v == CONG_BREAKER_QUEUE) {
        cong_breaker_queue_wait(r, route);
        return 1;
    }
    if (v != CONG_BREAKER_ADMIT) {
        cong_reply_problem(r, 503, "upstream-unavailable", NULL, NULL,
                           cong_breaker_retry_after_s(route->upstream->breaker));
        return -1;
    }
    return 0;
}

void cong_proxy_forward(cong_req_t *r, const cong_proxy_route_t *route)
{
    if (admit(r, route) == 0)
        cong_proxy_forward_admitted(r, route);
}

void cong_proxy_forward_admitted(cong_req_t *r, const cong_proxy_route_t *route)
{
    cong_proxy_upstream_t *up = route->upstream;
    proxy_transfer_t *t = calloc(1, sizeof *t);
    size_t targets = up->config->target_count;
    if (t != NULL) {
        t->usable = calloc(targets, 1);
        t->first_byte_timer = malloc(sizeof *t->first_byte_timer);
        t->balancer = cong_proxy_balancer(up, r->worker->index);
    }
    if (t == NULL || t->usable == NULL || t->first_byte_timer == NULL || t->balancer == NULL) {
        if (t != NULL) {
            free(t->usable);
            free(t->first_byte_timer);
        }
        free(t);
        cong_breaker_exit(up->breaker, 0);
        cong_reply_problem(r, 503, "service-unavailable", NULL, NULL, 1);
        return;
    }
    uv_timer_init(&r->worker->loop, t->first_byte_timer);
    t->first_byte_timer->data = t;
    t->r = r;
    cong_req_retain(r);
    t->route = route;
    t->up = up;
    t->over_h1 = up->over_h1 && !r->h2o->cong_body.streaming; /* a streamed body goes over libcurl (proxy_body.c) */
    if (r->h2o->cong_body.streaming)
        cong_proxy_body_attach(t);
    cong_proxy_gen_hold(up->gen, r->worker->index); /* its generation outlives it, whatever a reload does */
    t->target = -1;
    t->owner.done = on_done;
    t->owner.drop = on_drop;
    t->start_ms = now_ms(t);
    t->anchor = h2o_mem_alloc_shared(&r->h2o->pool, sizeof *t->anchor, on_anchor_dispose);
    t->anchor->t = t;
    cong_upstream_health_usable(up->health, t->start_ms, t->usable);
    start_attempt(t);
}

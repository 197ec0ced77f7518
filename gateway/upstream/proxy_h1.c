/* Attempts over h2o's own HTTP/1 client (h2o 2.2.5, lib/common/http1client.c) for plain-text HTTP/1.1 upstreams, on
 * the request's worker loop (contract in upstream.h; the transfer and its steps in proxy.c). What libcurl did for
 * them cost ~60 % of a proxied request's CPU (its handles, header lists and allocations); h2o's client is a parser
 * over the socket the worker already polls.
 *
 * - Connections: h2o's socket pool, one per worker and target (made on the worker's thread at first use, so its
 *   mutex is never contended), kept idle at most H1_IDLE_MS. The pool's interval timer is not used (it would be a
 *   handle on the worker's loop to close at the worker's end): expired connections are closed when the pool is next
 *   used, and the rest at cong_upstream_proxy_free (so a worker whose traffic stopped keeps up to its peak of idle
 *   connections open until then). A kept connection the upstream closed is seen (recv MSG_PEEK) and replaced before
 *   it is used; one it closes as the request goes out gets an idempotent request sent again (resend_on_stale).
 * - Deadlines: the transfer's timer, by phase: connect (connect_timeout_ms, from the attempt's start), first byte
 *   (first_byte_timeout_ms, from the attempt's start), then the total deadline. h2o's own I/O timeout (the h2o
 *   context's proxy.io_timeout) is set above the longest total deadline (http/server.c): it never fires first.
 * - Body: h2o's client leaves the body in the socket's input buffer and calls back; what the client's stream took is
 *   consumed. When the stream is full (CONG_EBUSY), reading stops until it drains (cong_proxy_h1_resume): h2o 2.2.5
 *   has no call for it, so the socket's reader is kept and restarted (h2o_socket_read_stop/read_start, as h2o's
 *   client does itself between phases). At the end of the body h2o gives the connection back and drops its input:
 *   what the stream had no room for then is taken over (h1.rest) and written as it drains.
 * - A body that breaks off is a failure, never an end: h2o's client already says so for a short content-length and
 *   a broken chunked encoding; a connection closed after a whole chunk, which h2o 2.2.5 takes for the end, is seen
 *   here. A body delimited by the connection's close (neither) cannot tell a reset from its end (as with libcurl).
 * - The response begins (status and headers to the client) with the upstream's head: a failure after that breaks
 *   the client's response (no retry), as a failure after the first body byte does with libcurl. A content-length
 *   over max_response_body_bytes is refused (502) before anything is sent.
 * Not here: TLS (h2o 2.2.5's client takes one SSL_CTX per context and names the peer by the pool's host: CA, client
 * certificate and server name per upstream would need contexts of our own) and HTTP/2 — those upstreams stay on
 * libcurl. */
#include <stdlib.h>
#include <string.h>

#include "proxy_internal.h"

#define H1_IDLE_MS 4000 /* a kept connection idle longer is closed: under the shortest common keep-alive (5 s) */
#define H1_SLICE (64 * 1024)   /* written to the client's stream at once (its buffer is larger) */

int cong_proxy_h1_fits(const cong_upstream_config_t *u)
{
    return u->protocol == CONG_UPSTREAM_HTTP1 && u->tls.line == 0;
}

static h2o_socketpool_t *pool_of(proxy_transfer_t *t)
{
    int w = t->r->worker->index;
    if (w < 0 || w >= CONG_PROXY_MAX_WORKERS)
        return NULL;
    h2o_socketpool_t **pools = &t->up->pools[w];
    if (*pools == NULL) {
        const cong_upstream_config_t *u = t->up->config;
        if ((*pools = calloc(u->target_count, sizeof **pools)) == NULL)
            return NULL;
        for (size_t i = 0; i < u->target_count; i++) {
            h2o_socketpool_t *p = &(*pools)[i];
            const cong_upstream_target_config_t *target = &u->targets[i];
            h2o_socketpool_init_by_hostport(p, h2o_iovec_init(target->host, strlen(target->host)),
                                            (uint16_t)target->port, 0, (size_t)u->limits.max_concurrent);
            p->timeout = H1_IDLE_MS;                    /* read at the pool's use, against this loop's clock */
            p->_interval_cb.loop = &t->r->worker->loop; /* (set_timeout would also start a timer: see above) */
        }
    }
    return &(*pools)[t->target];
}

void cong_proxy_h1_pools_free(cong_proxy_upstream_t *up)
{
    for (int w = 0; w < CONG_PROXY_MAX_WORKERS; w++) {
        if (up->pools[w] == NULL)
            continue;
        for (size_t i = 0; i < up->config->target_count; i++) {
            up->pools[w][i]._interval_cb.loop = NULL; /* no timer to dispose of (its loop is gone) */
            h2o_socketpool_dispose(&up->pools[w][i]);
        }
        free(up->pools[w]);
        up->pools[w] = NULL;
    }
}

static uint64_t ms_until(const proxy_transfer_t *t, int from_attempt_ms)
{
    uint64_t now = uv_now(&t->r->worker->loop), at = t->attempt_ms + (uint64_t)from_attempt_ms;
    return at > now ? at - now : 1;
}

static void on_deadline(uv_timer_t *timer);

/* The phase's deadline: connect, then first byte (both counted from the attempt's start), then the total (from the
 * request's start). */
static void arm(proxy_transfer_t *t)
{
    const cong_upstream_config_t *u = t->up->config;
    int total = (int)(t->start_ms + (uint64_t)u->limits.total_timeout_ms - t->attempt_ms);
    int until = total;
    if (!t->got_first_byte && u->limits.first_byte_timeout_ms < until)
        until = u->limits.first_byte_timeout_ms;
    if (!t->h1.connected && u->limits.connect_timeout_ms < until)
        until = u->limits.connect_timeout_ms;
    uv_timer_start(t->first_byte_timer, on_deadline, ms_until(t, until), 0);
}

void cong_proxy_h1_cancel(proxy_transfer_t *t)
{
    if (t->h1.client != NULL)
        h2o_http1client_cancel(t->h1.client); /* closes the connection: a half-read answer cannot be kept */
    t->h1.client = NULL;
    t->h1.reader = NULL;
    if (t->h1.rest != NULL)
        h2o_buffer_dispose(&t->h1.rest);
}

static void on_deadline(uv_timer_t *timer)
{
    proxy_transfer_t *t = timer->data;
    if (!t->attached)
        return;
    t->first_byte_expired = !t->got_first_byte;
    cong_proxy_h1_cancel(t);
    cong_proxy_attempt_over(t, 1, 1, 1);
}

/* What `buf` holds goes to the client's stream, as far as it takes it: 0 (all), CONG_EBUSY (full), or an error. */
static int push(proxy_transfer_t *t, h2o_buffer_t **buf)
{
    while ((*buf)->size > 0) {
        size_t n = (*buf)->size < H1_SLICE ? (*buf)->size : H1_SLICE;
        int rc = cong_proxy_deliver(t, (*buf)->bytes, n);
        if (rc != 0)
            return rc;
        h2o_buffer_consume(buf, n);
    }
    return 0;
}

/* Set while h2o_http1client_connect_with_pool runs: a kept connection is handed over within it, a new one later. */
static _Thread_local int connecting_now;

/* A kept connection the upstream closed as the request went out (its keep-alive ran out then) fails before any
 * answer: that is not the target's failure. An idempotent request is sent once more on another connection of the
 * same target (libcurl did the same), neither counted against the target nor from the retry budget. */
static int resend_on_stale(proxy_transfer_t *t)
{
    h2o_req_t *req = t->r->h2o;
    char method[16];
    if (!t->h1.reused || t->h1.stale_retried || req == NULL || t->cancelled)
        return 0;
    snprintf(method, sizeof method, "%.*s", (int)req->method.len, req->method.base);
    if (!cong_method_is_idempotent(method))
        return 0;
    int64_t left = 0;
    if (cong_upstream_deadline_remaining(t->start_ms, t->up->config->limits.total_timeout_ms,
                                         uv_now(&t->r->worker->loop), &left) != 0)
        return 0;
    t->h1.stale_retried = 1;
    cong_proxy_h1_start(t, left);
    return 1;
}

static int on_body(h2o_http1client_t *client, const char *errstr)
{
    proxy_transfer_t *t = client->data;
    if (errstr != NULL && errstr != h2o_http1client_error_is_eos) { /* reset, or a broken chunked encoding */
        t->h1.client = NULL;                                        /* h2o closes it after this returns */
        cong_proxy_attempt_over(t, 1, 0, 1);
        return -1;
    }
    if (errstr == h2o_http1client_error_is_eos && t->h1.chunked && client->sock->bytes_read == 0) {
        /* h2o 2.2.5 takes a connection closed after a whole chunk for the end (browsers' leniency), but the last
         * chunk never came: the answer broke off (it calls back from the read error, when nothing was read) */
        t->h1.client = NULL;
        cong_proxy_attempt_over(t, 1, 0, 1);
        return -1;
    }
    int rc = push(t, &client->sock->input);
    if (errstr == h2o_http1client_error_is_eos) {
        t->h1.client = NULL; /* h2o gives the connection back to its pool after this returns */
        if (rc == CONG_EBUSY) { /* the rest is ours: h2o would drop it with the connection's input */
            t->h1.rest = client->sock->input;
            h2o_buffer_init(&client->sock->input, &h2o_socket_buffer_prototype);
            return 0;
        }
        cong_proxy_attempt_over(t, rc != 0, 0, 0);
        return 0;
    }
    if (rc == CONG_EBUSY) { /* wait for the client: reading stops, the upstream's TCP window fills */
        t->h1.reader = client->sock->_cb.read;
        h2o_socket_read_stop(client->sock);
        return 0;
    }
    if (rc != 0) {
        t->h1.client = NULL;
        cong_proxy_attempt_over(t, 1, 0, 0);
        return -1;
    }
    return 0;
}

void cong_proxy_h1_resume(proxy_transfer_t *t)
{
    if (t->h1.rest != NULL) {
        int rc = push(t, &t->h1.rest);
        if (rc == CONG_EBUSY)
            return;
        h2o_buffer_dispose(&t->h1.rest);
        cong_proxy_attempt_over(t, rc != 0, 0, 0);
        return;
    }
    if (t->h1.client == NULL || t->h1.reader == NULL)
        return;
    h2o_socket_t *sock = t->h1.client->sock;
    int rc = push(t, &sock->input);
    if (rc == CONG_EBUSY)
        return;
    if (rc != 0) {
        cong_proxy_h1_cancel(t);
        cong_proxy_attempt_over(t, 1, 0, 0);
        return;
    }
    h2o_socket_cb reader = t->h1.reader;
    t->h1.reader = NULL;
    h2o_socket_read_start(sock, reader);
}

/* The upstream's head: over the body limit already, or the client's response begins with its status and headers. */
static int begin(proxy_transfer_t *t, int is_eos, h2o_header_t *headers, size_t count)
{
    const char *type = "application/octet-stream";
    t->h1.chunked = 0;
    for (size_t i = 0; i < count; i++) {
        const h2o_iovec_t *name = headers[i].name, *value = &headers[i].value;
        if (name == &H2O_TOKEN_TRANSFER_ENCODING->buf)
            t->h1.chunked = h2o_memis(value->base, value->len, H2O_STRLIT("chunked"));
        if (name == &H2O_TOKEN_CONTENT_LENGTH->buf && !is_eos &&
            (long long)h2o_strtosize(value->base, value->len) > t->up->config->limits.max_response_body_bytes) {
            t->too_big = 1; /* nothing sent yet: a 502 (SIZE_MAX, an invalid length, lands here too) */
            return CONG_ETOOBIG;
        }
    }
    t->in_callback++; /* h2o may let go of the request inside these: the anchor then leaves the transfer to us */
    for (size_t i = 0; i < count && !t->cancelled; i++) {
        const h2o_iovec_t *name = headers[i].name, *value = &headers[i].value;
        if (name == &H2O_TOKEN_CONTENT_TYPE->buf)
            type = h2o_strdup(&t->r->h2o->pool, value->base, value->len).base;
        else if (!cong_proxy_response_header_dropped(name->base, name->len))
            cong_reply_add_header(t->r, name->base, name->len, value->base, value->len);
    }
    int rc = t->cancelled ? CONG_EGONE : cong_proxy_begin_stream(t, type);
    t->in_callback--;
    return t->cancelled ? CONG_EGONE : rc;
}

static h2o_http1client_body_cb on_head(h2o_http1client_t *client, const char *errstr, int minor_version, int status,
                                       h2o_iovec_t msg, h2o_header_t *headers, size_t num_headers, int rlen)
{
    (void)minor_version, (void)msg, (void)rlen;
    proxy_transfer_t *t = client->data;
    if (errstr != NULL && errstr != h2o_http1client_error_is_eos) { /* no answer: reset, closed, unparsable */
        t->h1.client = NULL;
        if (!resend_on_stale(t))
            cong_proxy_attempt_over(t, 1, 0, 1);
        return NULL;
    }
    cong_proxy_got_first_byte(t);
    t->status = status;
    arm(t); /* the total deadline now */
    int is_eos = errstr == h2o_http1client_error_is_eos;
    int rc = begin(t, is_eos, headers, num_headers);
    if (rc != 0 || is_eos) {
        t->h1.client = NULL; /* h2o closes it (or keeps it, at the end of a response) after this returns */
        cong_proxy_attempt_over(t, rc != 0, 0, 0);
        return NULL;
    }
    return on_body;
}

static h2o_http1client_head_cb on_connect(h2o_http1client_t *client, const char *errstr, h2o_iovec_t **reqbufs,
                                          size_t *reqbufcnt, int *method_is_head)
{
    proxy_transfer_t *t = client->data;
    if (errstr != NULL) {
        t->h1.client = NULL;
        cong_proxy_attempt_over(t, 1, 0, 1);
        return NULL;
    }
    t->h1.connected = 1;
    t->h1.reused = connecting_now;
    arm(t); /* the first byte's deadline now */
    h2o_req_t *req = t->r->h2o;
    t->h1.bufs[0] = h2o_iovec_init(t->h1.head, t->h1.head_len);
    t->h1.bufs[1] = req->entity;
    *reqbufs = t->h1.bufs;
    *reqbufcnt = req->entity.len > 0 ? 2 : 1;
    *method_is_head = h2o_memis(req->method.base, req->method.len, H2O_STRLIT("HEAD"));
    return on_head;
}

void cong_proxy_h1_start(proxy_transfer_t *t, int64_t left_ms)
{
    free(t->h1.head);
    t->h1.head = NULL;
    t->h1.connected = t->h1.reused = 0;
    h2o_socketpool_t *pool = pool_of(t);
    int rc = pool == NULL ? CONG_ENOMEM
                          : cong_proxy_request_head(t->r, t->route, t->target, left_ms, &t->h1.head, &t->h1.head_len);
    if (rc != 0) {
        cong_proxy_attempt_over(t, 1, rc == CONG_ETIMEDOUT, 0);
        return;
    }
    t->attached = 1;
    arm(t);
    /* last: a pooled connection answers at once, a failed connect may too (then t may be gone when this returns) */
    int outer = connecting_now;
    connecting_now = 1;
    h2o_http1client_connect_with_pool(&t->h1.client, t, &t->r->worker->h2o.proxy.client_ctx, pool, on_connect);
    connecting_now = outer;
}

/* A reload (proxy_gen.c): worker w has let go of this generation, so none of its attempts holds one of these sockets
 * any more. The pools' timer was never started (see pool_of): nothing of the loop to dispose of but the sockets. */
void cong_proxy_h1_pools_free_worker(cong_proxy_upstream_t *up, int w)
{
    if (up->pools[w] == NULL)
        return;
    for (size_t i = 0; i < up->config->target_count; i++) {
        up->pools[w][i]._interval_cb.loop = NULL;
        h2o_socketpool_dispose(&up->pools[w][i]);
    }
    free(up->pools[w]);
    up->pools[w] = NULL;
}

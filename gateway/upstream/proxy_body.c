/* A partner request's body streamed to the upstream as it arrives (contract in upstream.h; the transfer in proxy.c).
 *
 * The gateway asks h2o to stream the request bodies of partner routes that are not declared at most 64 KiB, from
 * HTTP/2 and HTTP/1.1 clients (h2o patch 0009, http/route_lookup.h): the handler runs as soon as the headers are in,
 * and the body is read from h2o's buffer (the stream's, or the HTTP/1.1 connection's) while it arrives. Such an
 * attempt goes over libcurl whatever the upstream's protocol — h2o 2.2.5's HTTP/1 client writes a request in one
 * piece, so a plain HTTP/1.1 upstream that would otherwise go over it (proxy_h1.c) gets a streamed body from libcurl
 * too (chunked when the client declared no content-length, else that length).
 *
 * - Backpressure both ways: libcurl's read callback takes what h2o holds and lets go of it (the client then gets
 *   flow-control window for as much, h2o_cong_req_body_consume); nothing held → the upload pauses
 *   (CURL_READFUNC_PAUSE) until h2o says more came (on_client_data). A slow upstream stops taking, the read callback
 *   is not called, the client's window stays shut (HTTP/1.1: h2o stops reading its socket): the gateway holds at
 *   most a window's worth (patch 0009: HTTP/2 the first 16 MiB window, then 1 MiB; HTTP/1.1 1 MiB).
 * - The first-byte deadline starts when the whole body went out (an upstream answers after it has read it); until
 *   then only the total deadline runs.
 * - No retry once a byte of the body went to an upstream: it is gone from the gateway and cannot be sent again
 *   (proxy.c's retry asks cong_proxy_body_replayable). libcurl would need to rewind it to resend on a kept connection
 *   that died: without a seek callback it fails the attempt instead.
 * - Limits: h2o holds the body to the route's limit (max_request_body_bytes): a declared content-length over it
 *   refuses an HTTP/2 stream at once (RST_STREAM REFUSED_STREAM), and is the limits phase's 413 over HTTP/1.1; a body
 *   that grows past it resets the stream or closes the connection; the upstream's request then fails, not retried.
 * Worker thread only. */
#include <string.h>

#include "proxy_internal.h"

/* h2o: bytes of the body arrived, or its end */
static void on_client_data(h2o_req_t *req)
{
    proxy_transfer_t *t = req->cong_body.data;
    if (t == NULL || !t->body.waiting || !t->attached || t->owner.easy == NULL)
        return;
    t->body.waiting = 0;
    t->in_callback++;
    curl_easy_pause(t->owner.easy, t->paused ? CURLPAUSE_RECV : CURLPAUSE_CONT);
    t->in_callback--;
}

static void on_body_sent(proxy_transfer_t *t)
{
    if (t->body.all_sent)
        return;
    t->body.all_sent = 1;
    int64_t left = 0;
    if (cong_upstream_deadline_remaining(t->start_ms, t->up->config->limits.total_timeout_ms,
                                         uv_now(&t->r->worker->loop), &left) != 0)
        left = 1;
    int first_byte = t->up->config->limits.first_byte_timeout_ms;
    if (!t->got_first_byte)
        cong_proxy_arm_first_byte(t, first_byte < left ? first_byte : left);
}

/* libcurl: the next piece of the body for the upstream */
static size_t on_read(char *buf, size_t size, size_t n, void *p)
{
    proxy_transfer_t *t = p;
    h2o_req_t *req = t->r->h2o;
    if (t->cancelled || req == NULL)
        return CURL_READFUNC_ABORT;
    h2o_iovec_t have = h2o_cong_req_body_peek(req);
    if (have.len == 0) {
        if (req->cong_body.ended) {
            on_body_sent(t);
            return 0;
        }
        t->body.waiting = 1;
        return CURL_READFUNC_PAUSE;
    }
    size_t len = have.len < size * n ? have.len : size * n;
    memcpy(buf, have.base, len);
    h2o_cong_req_body_consume(req, len); /* the client may send as much again */
    t->body.sent += len;
    return len;
}

int cong_proxy_body_streamed(const proxy_transfer_t *t)
{
    return t->r->h2o != NULL && t->r->h2o->cong_body.streaming;
}

int cong_proxy_body_replayable(const proxy_transfer_t *t)
{
    return t->body.sent == 0;
}

void cong_proxy_body_attach(proxy_transfer_t *t)
{
    h2o_req_t *req = t->r->h2o;
    req->cong_body.on_data = on_client_data;
    req->cong_body.data = t;
}

void cong_proxy_body_detach(proxy_transfer_t *t)
{
    h2o_req_t *req = t->r->h2o;
    if (req != NULL && req->cong_body.data == t) {
        req->cong_body.on_data = NULL;
        req->cong_body.data = NULL;
    }
}

void cong_proxy_body_setup(proxy_transfer_t *t, CURL *easy)
{
    t->body.waiting = t->body.all_sent = 0;
    curl_easy_setopt(easy, CURLOPT_READFUNCTION, on_read);
    curl_easy_setopt(easy, CURLOPT_READDATA, t);
}

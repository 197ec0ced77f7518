/* Streamed replies (contract in stream_reply.h). */
#include "stream_reply.h"

#include <stdlib.h>
#include <string.h>

#include "request.h"

typedef struct stream_buffer {
    char *data;
    size_t len, cap;
} stream_buffer_t;

struct cong_stream {
    h2o_generator_t generator;       /* first: h2o hands it back to proceed and stop */
    struct cong_stream *prev, *next; /* in this thread's list of the streams modules own */
    cong_req_t *r;                   /* retained until the request's pool is disposed */
    cong_worker_metrics_t *metrics;
    cong_stream_cb cb;
    void *udata;
    size_t limit;                    /* buffer_bytes: data held by both buffers together */
    stream_buffer_t filling;         /* the module's writes since the last h2o_send */
    stream_buffer_t sending;         /* handed to h2o, which reads it until it calls proceed */
    int with_h2o;                    /* an h2o_send waits for its proceed */
    int want_writable;               /* a write answered CONG_EBUSY: call cb once drained to half */
    int ended;                       /* stream_end: the final send goes out after what was written */
    int failed;                      /* cong_stream_abort: that final send is an error (the client sees a broken
                                        response, never a short one that looks whole) */
    int gone;                        /* stopped before its end: the client left */
    int head;                        /* a HEAD request: the body is dropped */
};

/* The streams modules own (begun, neither ended nor gone) on this worker's thread: a shutdown ends them. */
static _Thread_local cong_stream_t *owned_streams;

static void own(cong_stream_t *s)
{
    s->next = owned_streams;
    if (owned_streams != NULL)
        owned_streams->prev = s;
    owned_streams = s;
}

static void disown(cong_stream_t *s)
{
    if (s->prev != NULL)
        s->prev->next = s->next;
    else if (owned_streams == s)
        owned_streams = s->next;
    if (s->next != NULL)
        s->next->prev = s->prev;
    s->prev = s->next = NULL;
}

static size_t held(const cong_stream_t *s)
{
    return s->sending.len + s->filling.len;
}

/* Hands the filled buffer to h2o (the final send too, once ended). Nothing touches `s` after a final h2o_send: the
 * request, and the stream with it, may be freed before it returns. */
static void send_filled(cong_stream_t *s)
{
    stream_buffer_t sent = s->sending;
    s->sending = s->filling;
    s->filling = sent;
    s->filling.len = 0;
    int final = s->ended;
    s->with_h2o = !final;
    h2o_iovec_t buf = h2o_iovec_init(s->sending.data, s->sending.len);
    h2o_send_state_t state = !final ? H2O_SEND_STATE_IN_PROGRESS
                           : s->failed ? H2O_SEND_STATE_ERROR : H2O_SEND_STATE_FINAL;
    h2o_send(s->r->h2o, &buf, buf.len > 0 ? 1 : 0, state);
}

/* Everything written has been sent: an event stream may now wait minutes for its next write, holding no buffer meanwhile
 * (thousands of them are open at once); the next write allocates again. */
static void release_buffers(cong_stream_t *s)
{
    cong_gauge_add(&s->metrics->stream_buffer_bytes, -(int64_t)(s->filling.cap + s->sending.cap));
    free(s->filling.data);
    free(s->sending.data);
    s->filling = s->sending = (stream_buffer_t){0};
}

/* h2o is done with the last batch: send the next one, and wake a module that was told CONG_EBUSY. */
static void on_proceed(h2o_generator_t *generator, h2o_req_t *req)
{
    (void)req;
    cong_stream_t *s = (cong_stream_t *)generator;
    s->with_h2o = 0;
    s->sending.len = 0;
    if (s->filling.len > 0 || s->ended) {
        int final = s->ended;
        send_filled(s);
        if (final)
            return;
    } else {
        release_buffers(s);
    }
    if (s->want_writable && held(s) <= s->limit / 2) {
        s->want_writable = 0;
        s->cb(s->r, s, 0, s->udata);
    }
}

/* h2o disposes of the request before its final send: the client went away (or its connection was closed). The pool is
 * still intact here, so the module may read its request state in the callback. */
static void on_stop(h2o_generator_t *generator, h2o_req_t *req)
{
    (void)req;
    cong_stream_t *s = (cong_stream_t *)generator;
    if (s->ended)
        return; /* the module let go already; only its final send was still waiting */
    disown(s);
    s->gone = 1;
    s->want_writable = 0;
    cong_counter_add(&s->metrics->streams_client_gone, 1);
    s->cb(s->r, s, CONG_EGONE, s->udata);
}

void cong_streams_shutdown(void)
{
    while (owned_streams != NULL) {
        cong_stream_t *s = owned_streams;
        disown(s);
        s->gone = 1; /* the module's calls answer CONG_EGONE from here on */
        s->want_writable = 0;
        s->cb(s->r, s, CONG_EGONE, s->udata);
        s->ended = 1;
        if (!s->with_h2o)
            send_filled(s);
    }
}

/* The request's pool is being freed: h2o holds none of the buffers any more. */
static void on_pool_dispose(void *p)
{
    cong_stream_t *s = p;
    cong_gauge_add(&s->metrics->stream_buffer_bytes, -(int64_t)(s->filling.cap + s->sending.cap));
    cong_gauge_add(&s->metrics->streams_open, -1);
    free(s->filling.data);
    free(s->sending.data);
    cong_req_release(s->r);
}

static int buffer_append(cong_stream_t *s, stream_buffer_t *b, const void *data, size_t len)
{
    if (b->len + len > b->cap) {
        size_t cap = b->cap < 4096 ? 4096 : b->cap * 2;
        if (cap < b->len + len)
            cap = b->len + len;
        if (cap > s->limit)
            cap = s->limit;
        char *grown = realloc(b->data, cap);
        if (grown == NULL)
            return CONG_ENOMEM;
        cong_gauge_add(&s->metrics->stream_buffer_bytes, (int64_t)(cap - b->cap));
        b->data = grown;
        b->cap = cap;
    }
    memcpy(b->data + b->len, data, len);
    b->len += len;
    return 0;
}

int cong_stream_begin(cong_req_t *r, int status, const char *content_type, size_t buffer_bytes, cong_stream_cb cb,
                      void *udata, cong_stream_t **stream)
{
    if (buffer_bytes == 0)
        buffer_bytes = CONG_STREAM_DEFAULT_BUFFER;
    if (r == NULL || status < 200 || status > 599 || content_type == NULL || cb == NULL || stream == NULL ||
        buffer_bytes < CONG_STREAM_MIN_BUFFER || buffer_bytes > CONG_STREAM_MAX_BUFFER)
        return CONG_EINVAL;
    if (r->h2o == NULL)
        return CONG_EGONE;
    if (r->replied)
        return CONG_ESTATE;
    h2o_iovec_t type = h2o_strdup(&r->h2o->pool, content_type, strlen(content_type));
    int rc;
    h2o_req_t *req = cong_reply_start(r, status, type.base, &rc);
    if (req == NULL)
        return rc;
    cong_stream_t *s = h2o_mem_alloc_shared(&req->pool, sizeof *s, on_pool_dispose);
    *s = (cong_stream_t){.generator = {on_proceed, on_stop}, .r = r, .metrics = r->worker->metrics, .cb = cb,
                         .udata = udata, .limit = buffer_bytes, .with_h2o = 1,
                         .head = h2o_memis(req->input.method.base, req->input.method.len, H2O_STRLIT("HEAD"))};
    cong_req_retain(r);
    cong_gauge_add(&s->metrics->streams_open, 1);
    own(s);
    *stream = s;
    h2o_start_response(req, &s->generator);
    h2o_send(req, NULL, 0, H2O_SEND_STATE_IN_PROGRESS); /* the headers now: an event stream's client waits for them */
    return 0;
}

int cong_stream_write(cong_stream_t *s, const void *data, size_t len)
{
    if (s == NULL || (len > 0 && data == NULL))
        return CONG_EINVAL;
    if (s->gone)
        return CONG_EGONE;
    if (s->ended)
        return CONG_ESTATE;
    if (len > s->limit)
        return CONG_ETOOBIG;
    if (len == 0 || s->head)
        return 0;
    if (held(s) + len > s->limit) {
        s->want_writable = 1;
        return CONG_EBUSY;
    }
    int rc = buffer_append(s, &s->filling, data, len);
    if (rc != 0)
        return rc;
    if (!s->with_h2o)
        send_filled(s);
    return 0;
}

int cong_stream_end(cong_stream_t *s)
{
    if (s == NULL)
        return CONG_EINVAL;
    if (s->gone)
        return CONG_EGONE;
    if (s->ended)
        return CONG_ESTATE;
    disown(s);
    s->ended = 1;
    s->want_writable = 0;
    if (!s->with_h2o)
        send_filled(s);
    return 0;
}

int cong_stream_abort(cong_stream_t *s)
{
    if (s == NULL)
        return CONG_EINVAL;
    s->failed = 1;
    return cong_stream_end(s);
}

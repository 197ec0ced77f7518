/* The breaker's bounded queue (contract in upstream.h, step 2): a request over max_concurrent with a queue place
 * (cong_breaker_enter's QUEUE; the count of places is the breaker's, shared by every worker) waits on its own worker,
 * first come first served, until a slot frees or limits.queue_timeout_ms passes.
 *
 * Who wakes it: a slot given back on the same worker (cong_breaker_queue_kick: the queue is served on the next turn
 * of the loop, never inside the callback that ended a transfer), and, for slots given back on other workers, a timer
 * that looks again every QUEUE_POLL_MS while the queue holds someone (no cross-thread wake-up: the breaker is shared
 * by atomics only). The same timer ends the waits that ran out: the queue is in arrival order and every wait of one
 * queue is as long, so the first to expire is always the head.
 *
 * Ownership: a queue belongs to one upstream of one generation and one worker (cong_proxy_upstream_t.queues[w]),
 * made at its first use and freed with that worker's parts of the generation (proxy_gen.c), when none of its
 * requests is left. A waiter retains its request and keeps an anchor in the request's pool: a client that leaves
 * takes its waiter out (and gives its place back) at once. Worker thread only. */
#include <stdlib.h>

#include "proxy_internal.h"

/* How soon a queue looks again for a slot another worker gave back. */
#define QUEUE_POLL_MS 5

typedef struct waiter waiter_t;
typedef struct waiter_anchor {
    waiter_t *w; /* NULL once it left the queue */
} waiter_anchor_t;

struct waiter {
    waiter_t *prev, *next;
    cong_req_t *r; /* retained */
    const cong_proxy_route_t *route;
    uint64_t deadline_ms;
    waiter_anchor_t *anchor;
};

struct cong_breaker_waitq {
    cong_proxy_upstream_t *up;
    uv_loop_t *loop;
    uv_timer_t *timer; /* malloc'd; data: the queue */
    waiter_t *head, *tail;
};

static void unlink_waiter(cong_breaker_waitq_t *q, waiter_t *w)
{
    if (w->prev != NULL)
        w->prev->next = w->next;
    else
        q->head = w->next;
    if (w->next != NULL)
        w->next->prev = w->prev;
    else
        q->tail = w->prev;
    if (w->anchor != NULL)
        w->anchor->w = NULL;
}

static void serve(uv_timer_t *timer);

static void schedule(cong_breaker_waitq_t *q, uint64_t now)
{
    if (q->head == NULL) {
        uv_timer_stop(q->timer);
        return;
    }
    uint64_t until = q->head->deadline_ms > now ? q->head->deadline_ms - now : 0;
    uv_timer_start(q->timer, serve, until < QUEUE_POLL_MS ? until : QUEUE_POLL_MS, 0);
}

/* Slots first (a request whose wait ends now but finds a slot is served), then the waits that ran out. */
static void serve(uv_timer_t *timer)
{
    cong_breaker_waitq_t *q = timer->data;
    cong_breaker_t *b = q->up->breaker;
    while (q->head != NULL && cong_breaker_promote(b)) {
        waiter_t *w = q->head;
        unlink_waiter(q, w);
        cong_proxy_forward_admitted(w->r, w->route);
        cong_req_release(w->r);
        free(w);
    }
    uint64_t now = uv_now(q->loop);
    while (q->head != NULL && q->head->deadline_ms <= now) {
        waiter_t *w = q->head;
        unlink_waiter(q, w);
        cong_breaker_leave_queue(b);
        if (w->r->h2o != NULL)
            cong_reply_problem(w->r, 503, "upstream-unavailable", NULL, NULL, cong_breaker_retry_after_s(b));
        cong_req_release(w->r);
        free(w);
    }
    schedule(q, now);
}

/* The client left while waiting: its place goes back, nothing is answered. */
static void on_anchor_dispose(void *p)
{
    waiter_anchor_t *anchor = p;
    waiter_t *w = anchor->w;
    if (w == NULL)
        return;
    cong_breaker_waitq_t *q = w->route->upstream->queues[w->r->worker->index];
    unlink_waiter(q, w);
    cong_breaker_leave_queue(q->up->breaker);
    cong_req_release(w->r);
    free(w);
}

static cong_breaker_waitq_t *queue_of(cong_proxy_upstream_t *up, cong_worker_t *worker)
{
    cong_breaker_waitq_t **q = &up->queues[worker->index];
    if (*q != NULL)
        return *q;
    cong_breaker_waitq_t *made = calloc(1, sizeof *made);
    uv_timer_t *timer = malloc(sizeof *timer);
    if (made == NULL || timer == NULL) {
        free(made);
        free(timer);
        return NULL;
    }
    uv_timer_init(&worker->loop, timer);
    timer->data = made;
    made->up = up;
    made->loop = &worker->loop;
    made->timer = timer;
    return *q = made;
}

void cong_breaker_queue_wait(cong_req_t *r, const cong_proxy_route_t *route)
{
    cong_proxy_upstream_t *up = route->upstream;
    int index = r->worker->index;
    cong_breaker_waitq_t *q = index >= 0 && index < CONG_PROXY_MAX_WORKERS ? queue_of(up, r->worker) : NULL;
    waiter_t *w = q != NULL ? calloc(1, sizeof *w) : NULL;
    if (w == NULL) {
        cong_breaker_leave_queue(up->breaker);
        cong_reply_problem(r, 503, "upstream-unavailable", NULL, NULL, cong_breaker_retry_after_s(up->breaker));
        return;
    }
    w->r = r;
    cong_req_retain(r);
    w->route = route;
    w->deadline_ms = uv_now(q->loop) + (uint64_t)up->config->limits.queue_timeout_ms;
    w->anchor = h2o_mem_alloc_shared(&r->h2o->pool, sizeof *w->anchor, on_anchor_dispose);
    w->anchor->w = w;
    w->prev = q->tail;
    if (q->tail != NULL)
        q->tail->next = w;
    else
        q->head = w;
    q->tail = w;
    if (q->head == w) /* else the timer already runs for the head */
        uv_timer_start(q->timer, serve, 0, 0);
}

void cong_breaker_queue_kick(cong_proxy_upstream_t *up, int w)
{
    cong_breaker_waitq_t *q = w >= 0 && w < CONG_PROXY_MAX_WORKERS ? up->queues[w] : NULL;
    if (q != NULL && q->head != NULL)
        uv_timer_start(q->timer, serve, 0, 0);
}

static void close_timer(uv_handle_t *h)
{
    free(h);
}

void cong_breaker_queue_free(cong_proxy_upstream_t *up, int w, int loop_gone)
{
    cong_breaker_waitq_t *q = up->queues[w];
    if (q == NULL)
        return;
    up->queues[w] = NULL;
    if (loop_gone) {
        free(q->timer); /* the loop is never run again */
    } else {
        uv_timer_stop(q->timer);
        uv_close((uv_handle_t *)q->timer, close_timer);
    }
    free(q);
}

/* tools/standin_common/standin_hold.c — a request held on a timer, with its disposal guard (see the header). */
#include "standin_hold.h"

#include <stdlib.h>

typedef struct hold {
    uv_timer_t timer;
    h2o_req_t *req; /* NULL once h2o disposed of the request */
    struct hold **guard;
    void (*fire)(void *data, h2o_req_t *req);
    void *data;
} hold_t;

static void on_request_disposed(void *p)
{
    hold_t **guard = p;
    if (*guard)
        (*guard)->req = NULL;
}

static void on_timeout(uv_timer_t *t)
{
    hold_t *h = t->data;
    if (h->req)
        *h->guard = NULL;
    h->fire(h->data, h->req);
    uv_close((uv_handle_t *)&h->timer, (uv_close_cb)free);
}

int standin_hold(uv_loop_t *loop, h2o_req_t *req, uint64_t delay_ms, void (*fire)(void *data, h2o_req_t *req),
                 void *data)
{
    hold_t *h = calloc(1, sizeof *h);
    if (!h)
        return -1;
    *h = (hold_t){.req = req, .fire = fire, .data = data};
    h->guard = h2o_mem_alloc_shared(&req->pool, sizeof *h->guard, on_request_disposed);
    *h->guard = h;
    uv_timer_init(loop, &h->timer);
    h->timer.data = h;
    uv_timer_start(&h->timer, on_timeout, delay_ms, 0);
    return 0;
}

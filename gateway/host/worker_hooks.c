/* Modules' per-worker hooks and timers (contract in worker_hooks.h). */
#include "worker_hooks.h"

#include <stdlib.h>

#include "module_loader.h"
#include "gateway/http/http.h"

#define MAX_DELAY_MS (7LL * 24 * 3600 * 1000)

typedef struct module_timer {
    uv_timer_t handle; /* first: the close callback frees the whole struct */
    cong_worker_t *worker;
    cong_timer_id_t id;
    cong_timer_fn fn;
    void *udata;
    int firing;        /* its callback is running: closing waits until it returns */
    int stopped;
} module_timer_t;

/* A timer id is generation << 32 | worker << 20 | (slot + 1): a slot's generation moves on when its timer ends, so an
 * old id never finds the slot's next timer, and the worker's index (12 bits) keeps another worker's ids apart. */
#define SLOT_BITS 20
#define SLOT_MASK ((1u << SLOT_BITS) - 1)
_Static_assert(CONG_TIMERS_PER_WORKER < SLOT_MASK, "a slot number fits its bits");
typedef struct timer_slot {
    module_timer_t *timer; /* NULL: free */
    uint32_t generation;
    uint32_t next_free;    /* slot + 1 of the next free slot, 0: none */
} timer_slot_t;

typedef struct timer_table {
    timer_slot_t *slots;
    uint32_t cap, used;    /* slots allocated, slots ever handed out */
    uint32_t first_free;   /* slot + 1, 0: none */
    int closed;            /* the loop has stopped: no timer starts any more */
} timer_table_t;

static _Thread_local cong_worker_t *this_worker; /* the worker whose loop runs on this thread */
static _Thread_local timer_table_t *timers;

static int on_this_worker(const cong_worker_t *w)
{
    return w != NULL && w == this_worker && timers != NULL;
}

static uint64_t worker_bits(const cong_worker_t *w)
{
    return ((uint64_t)w->index & 0xfff) << SLOT_BITS;
}

static module_timer_t *find_timer(cong_timer_id_t id)
{
    uint64_t slot = (id & SLOT_MASK) - 1, generation = id >> 32;
    if ((id & SLOT_MASK) == 0 || slot >= timers->used || (id & 0xffffffffu & ~SLOT_MASK) != worker_bits(this_worker))
        return NULL; /* never started here */
    timer_slot_t *s = &timers->slots[slot];
    return s->timer != NULL && s->generation == generation ? s->timer : NULL;
}

/* A free slot's index, or -1 when the table is full or cannot grow. */
static long take_slot(void)
{
    if (timers->first_free != 0) {
        uint32_t i = timers->first_free - 1;
        timers->first_free = timers->slots[i].next_free;
        return i;
    }
    if (timers->used == timers->cap) {
        if (timers->cap >= CONG_TIMERS_PER_WORKER)
            return -1;
        uint32_t cap = timers->cap == 0 ? 16 : timers->cap * 2;
        timer_slot_t *slots = realloc(timers->slots, cap * sizeof *slots);
        if (slots == NULL)
            return -1;
        timers->slots = slots;
        timers->cap = cap;
    }
    timers->slots[timers->used] = (timer_slot_t){NULL, 1, 0};
    return timers->used++;
}

/* The id stops naming the timer at once; its handle is closed separately (not while its callback runs). */
static void release_slot(module_timer_t *t)
{
    uint32_t i = (uint32_t)(t->id & SLOT_MASK) - 1;
    timer_slot_t *s = &timers->slots[i];
    s->timer = NULL;
    if (++s->generation == 0)
        s->generation = 1;
    s->next_free = timers->first_free;
    timers->first_free = i + 1;
}

static void free_timer(uv_handle_t *h)
{
    free(h); /* the handle is the timer's first member */
}

static void end_timer(module_timer_t *t)
{
    uv_timer_stop(&t->handle);
    uv_close((uv_handle_t *)&t->handle, free_timer);
}

static void on_fire(uv_timer_t *h)
{
    module_timer_t *t = h->data;
    t->firing = 1;
    t->fn(t->worker, t->id, t->udata);
    t->firing = 0;
    if (t->stopped) { /* stopped from its own callback: the slot is free already */
        end_timer(t);
    } else if (uv_timer_get_repeat(h) == 0) {
        release_slot(t);
        end_timer(t);
    }
}

int cong_api_timer_start(cong_worker_t *w, long long delay_ms, long long repeat_ms, cong_timer_fn fn, void *udata,
                         cong_timer_id_t *id)
{
    if (fn == NULL || delay_ms < 0 || delay_ms > MAX_DELAY_MS || repeat_ms < 0 || repeat_ms > MAX_DELAY_MS)
        return CONG_EINVAL;
    if (!on_this_worker(w) || timers->closed)
        return CONG_ESTATE;
    long slot = take_slot();
    if (slot < 0)
        return timers->cap >= CONG_TIMERS_PER_WORKER ? CONG_EBUSY : CONG_ENOMEM;
    module_timer_t *t = calloc(1, sizeof *t);
    if (t == NULL) {
        timers->slots[slot].next_free = timers->first_free; /* give the slot back */
        timers->first_free = (uint32_t)slot + 1;
        return CONG_ENOMEM;
    }
    timer_slot_t *s = &timers->slots[slot];
    *t = (module_timer_t){.worker = w, .id = (uint64_t)s->generation << 32 | worker_bits(w) | ((uint64_t)slot + 1),
                          .fn = fn, .udata = udata};
    s->timer = t;
    uv_timer_init(&w->loop, &t->handle);
    t->handle.data = t;
    uv_timer_start(&t->handle, on_fire, (uint64_t)delay_ms, (uint64_t)repeat_ms);
    if (id != NULL)
        *id = t->id;
    return 0;
}

int cong_api_timer_stop(cong_worker_t *w, cong_timer_id_t id)
{
    if (!on_this_worker(w))
        return CONG_ESTATE;
    module_timer_t *t = find_timer(id); /* none once the loop has stopped: every slot was released */
    if (t == NULL)
        return CONG_ENOTFOUND;
    release_slot(t);
    t->stopped = 1;
    if (t->firing)
        uv_timer_stop(&t->handle); /* on_fire closes it once the callback returns */
    else
        end_timer(t);
    return 0;
}

cong_worker_t *cong_api_req_worker(cong_req_t *req)
{
    return req != NULL ? req->worker : NULL;
}

int cong_loader_register_worker_hooks(cong_module_ctx_t *ctx, cong_worker_fn on_init, cong_worker_fn on_dispose,
                                      void *udata)
{
    cong_module_entry_t *m = cong_loader_registering(ctx);
    if (m == NULL)
        return CONG_ESTATE;
    if (m->has_worker_hooks)
        return CONG_EEXIST;
    m->on_worker_init = on_init;
    m->on_worker_dispose = on_dispose;
    m->worker_udata = udata;
    m->has_worker_hooks = 1;
    return 0;
}

int cong_worker_hooks_start(cong_worker_t *w)
{
    this_worker = w;
    timers = calloc(1, sizeof *timers);
    const cong_gateway_t *gw = w->gateway;
    for (size_t i = 0; i < gw->module_count; i++)
        if (gw->modules[i]->on_worker_init != NULL)
            gw->modules[i]->on_worker_init(w, w->index, gw->modules[i]->worker_udata);
    return timers != NULL ? 0 : CONG_ENOMEM;
}

void cong_worker_timers_stop(cong_worker_t *w)
{
    if (w != this_worker || timers == NULL)
        return;
    for (uint32_t i = 0; i < timers->used; i++) {
        module_timer_t *t = timers->slots[i].timer;
        if (t != NULL) {
            release_slot(t);
            t->stopped = 1;
            end_timer(t);
        }
    }
    timers->closed = 1;
}

void cong_worker_hooks_dispose(cong_worker_t *w)
{
    if (w != this_worker)
        return;
    cong_worker_timers_stop(w); /* in case the caller did not: dispose hooks never see a running timer */
    const cong_gateway_t *gw = w->gateway;
    for (size_t i = gw->module_count; i-- > 0;)
        if (gw->modules[i]->on_worker_dispose != NULL)
            gw->modules[i]->on_worker_dispose(w, w->index, gw->modules[i]->worker_udata);
    if (timers != NULL)
        free(timers->slots);
    free(timers);
    timers = NULL;
    this_worker = NULL;
}

/* Outbound HTTP on a worker's loop: libcurl's multi interface driven by libuv (contract in http_client.h). */
#include "http_client.h"

#include <stdlib.h>
#include <string.h>

#include "http_call.h"
#include "gateway/http/http.h"

typedef struct http_call http_call_t;

struct cong_http_client {
    cong_worker_t *w;
    CURLM *multi;
    uv_timer_t timer;           /* libcurl's next timeout */
    http_call_t *calls;         /* every call under way, for the close */
    cong_http_owner_t *owners;  /* every transfer attached by another owner, for the close */
    unsigned in_flight;
    struct socket_watch **idle; /* owned: stopped watches by fd, kept for the socket's next transfer */
    size_t idle_cap;
};

/* In the request's pool: its disposal (the request ended) cancels the call it points to. */
typedef struct call_anchor {
    http_call_t *call;          /* NULL once the call is over */
} call_anchor_t;

struct http_call {
    cong_http_owner_t owner;    /* first: what CURLINFO_PRIVATE points to */
    cong_http_transfer_t t;
    cong_http_client_t *client;
    cong_req_t *r;              /* retained */
    cong_http_cb cb;
    void *udata;
    call_anchor_t *anchor;
    http_call_t *prev, *next;
};

typedef struct socket_watch {
    uv_poll_t poll;
    curl_socket_t fd;
    cong_http_client_t *client;
} socket_watch_t;

static void process_done(cong_http_client_t *c);

static void on_poll(uv_poll_t *handle, int status, int events)
{
    socket_watch_t *watch = handle->data;
    int flags = status < 0 ? CURL_CSELECT_ERR : 0;
    if (status >= 0)
        flags = (events & UV_READABLE ? CURL_CSELECT_IN : 0) | (events & UV_WRITABLE ? CURL_CSELECT_OUT : 0);
    int running = 0;
    cong_http_client_t *c = watch->client; /* the action may close the watch */
    curl_multi_socket_action(c->multi, watch->fd, flags, &running);
    process_done(c);
}

static void free_watch(uv_handle_t *handle)
{
    free(handle->data);
}

#define IDLE_FD_LIMIT 65536 /* sockets numbered above keep no idle watch (a new one each time: correct, slower) */

/* libcurl forgets a socket (CURL_POLL_REMOVE) at the end of each transfer, also when it keeps the connection for the
 * next one: the watch is stopped but kept under its fd, so the next transfer on that connection starts it again
 * rather than making a new one (uv_poll_init_socket costs two epoll_ctl and an ioctl to check the fd, and an
 * allocation; per request, a tenth of the proxy's CPU). A stopped watch is in no epoll set, so when libcurl closes
 * an idle connection nothing is left listening; the fd number's next socket of libcurl's reuses the watch, which
 * names the fd only by number. */
static void idle_keep(cong_http_client_t *c, socket_watch_t *watch)
{
    size_t fd = (size_t)watch->fd;
    if (fd >= c->idle_cap && fd < IDLE_FD_LIMIT) {
        size_t cap = c->idle_cap ? c->idle_cap : 64;
        while (cap <= fd)
            cap *= 2;
        socket_watch_t **grown = realloc(c->idle, cap * sizeof *grown);
        if (grown != NULL) {
            memset(grown + c->idle_cap, 0, (cap - c->idle_cap) * sizeof *grown);
            c->idle = grown;
            c->idle_cap = cap;
        }
    }
    if (fd < c->idle_cap && c->idle[fd] == NULL) {
        c->idle[fd] = watch;
        return;
    }
    uv_close((uv_handle_t *)&watch->poll, free_watch);
}

static socket_watch_t *idle_take(cong_http_client_t *c, curl_socket_t fd)
{
    if (fd < 0 || (size_t)fd >= c->idle_cap)
        return NULL;
    socket_watch_t *watch = c->idle[fd];
    c->idle[fd] = NULL;
    return watch;
}

/* libcurl says which events of a socket it waits for, or that it is done with it. */
static int on_socket(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
    (void)easy;
    cong_http_client_t *c = userp;
    socket_watch_t *watch = socketp;
    if (what == CURL_POLL_REMOVE) {
        if (watch != NULL) {
            curl_multi_assign(c->multi, fd, NULL);
            uv_poll_stop(&watch->poll);
            idle_keep(c, watch);
        }
        return 0;
    }
    if (watch == NULL && (watch = idle_take(c, fd)) != NULL)
        curl_multi_assign(c->multi, fd, watch);
    if (watch == NULL) {
        if ((watch = calloc(1, sizeof *watch)) == NULL)
            return -1;
        if (uv_poll_init_socket(&c->w->loop, &watch->poll, fd) != 0) {
            free(watch);
            return -1;
        }
        watch->fd = fd;
        watch->client = c;
        watch->poll.data = watch;
        curl_multi_assign(c->multi, fd, watch);
    }
    int events = (what & CURL_POLL_IN ? UV_READABLE : 0) | (what & CURL_POLL_OUT ? UV_WRITABLE : 0);
    return uv_poll_start(&watch->poll, events, on_poll) == 0 ? 0 : -1;
}

static void on_timer(uv_timer_t *timer)
{
    cong_http_client_t *c = timer->data;
    int running = 0;
    curl_multi_socket_action(c->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    process_done(c);
}

/* libcurl's timer: -1 stops it; 0 means "as soon as possible", which is the loop's next turn (never from inside this
 * callback, as libcurl asks). */
static int on_timer_set(CURLM *multi, long timeout_ms, void *userp)
{
    (void)multi;
    cong_http_client_t *c = userp;
    if (timeout_ms < 0)
        uv_timer_stop(&c->timer);
    else
        uv_timer_start(&c->timer, on_timer, (uint64_t)timeout_ms, 0);
    return 0;
}

/* The connections a worker's multi keeps open between transfers. libcurl's default is 4 x the handles in the multi AT
 * THE MOMENT one is returned: when the load dips, the oldest idle connections are closed, to be opened again at the
 * next rise (the proxy bench saw ~125 reconnections a second at 1,600 req/s). Sized instead to what may be under way
 * at once: every upstream's max_concurrent (its breaker's bound, shared by the workers, so any one worker may reach
 * it; HTTP/1.1 needs a connection per request under way) plus the module calls' limit. Only connections actually
 * opened count; libcurl still closes one idle for CURLOPT_MAXAGE_CONN (118 s). */
static long connection_cache_size(const cong_config_t *config)
{
    long n = config->limits.outbound_http_in_flight;
    const cong_upstreams_config_t *u = config->upstreams;
    for (size_t i = 0; u != NULL && i < u->count; i++)
        n += u->items[i].limits.max_concurrent;
    return n < 65536 ? n : 65536;
}

static cong_http_client_t *client_of(cong_worker_t *w)
{
    if (w->http_client != NULL)
        return w->http_client;
    cong_http_client_t *c = calloc(1, sizeof *c);
    if (c == NULL || cong_http_global_init() != 0 || (c->multi = curl_multi_init()) == NULL) {
        free(c);
        return NULL;
    }
    c->w = w;
    curl_multi_setopt(c->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
    curl_multi_setopt(c->multi, CURLMOPT_SOCKETDATA, c);
    curl_multi_setopt(c->multi, CURLMOPT_TIMERFUNCTION, on_timer_set);
    curl_multi_setopt(c->multi, CURLMOPT_TIMERDATA, c);
    curl_multi_setopt(c->multi, CURLMOPT_MAXCONNECTS, connection_cache_size(w->gateway->config));
    uv_timer_init(&w->loop, &c->timer);
    c->timer.data = c;
    return w->http_client = c;
}

/* Takes the call out of the multi handle and the list, and frees it (its request released). */
static void drop_call(http_call_t *call, int result)
{
    cong_http_client_t *c = call->client;
    curl_multi_remove_handle(c->multi, call->t.easy);
    if (call->prev != NULL)
        call->prev->next = call->next;
    else
        c->calls = call->next;
    if (call->next != NULL)
        call->next->prev = call->prev;
    c->in_flight--;
    cong_gauge_add(&c->w->metrics->http_client_in_flight, -1);
    cong_counter_add(&c->w->metrics->http_client_calls[result], 1);
    if (call->anchor != NULL)
        call->anchor->call = NULL;
    cong_req_release(call->r);
    cong_http_transfer_cleanup(&call->t);
    free(call);
}

static int result_of(int err)
{
    return err == 0 ? CONG_HTTP_RESULT_OK
         : err == CONG_ETIMEDOUT ? CONG_HTTP_RESULT_TIMEOUT
         : err == CONG_ETOOBIG ? CONG_HTTP_RESULT_TOO_BIG : CONG_HTTP_RESULT_ERROR;
}

static void complete(http_call_t *call, CURLcode code)
{
    int err = cong_http_transfer_finish(&call->t, code);
    curl_multi_remove_handle(call->client->multi, call->t.easy); /* before the module may start another call */
    if (call->anchor != NULL) /* whatever the callback does to its request, this call is dropped here */
        call->anchor->call = NULL;
    call->anchor = NULL;
    if (call->r->h2o != NULL)
        call->cb(call->r, err, err == 0 ? &call->t.res : NULL, call->udata);
    drop_call(call, result_of(err));
}

/* Outside libcurl's own callbacks: the calls that finished get their callbacks (which may start or cancel others). */
static void process_done(cong_http_client_t *c)
{
    CURLMsg *msg;
    int left = 0;
    while ((msg = curl_multi_info_read(c->multi, &left)) != NULL) {
        if (msg->msg != CURLMSG_DONE)
            continue;
        cong_http_owner_t *owner = NULL;
        CURLcode code = msg->data.result;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&owner);
        if (owner->is_call) {
            complete((http_call_t *)owner, code);
            continue;
        }
        cong_http_client_detach(c->w, owner);
        owner->done(owner, code);
    }
}

/* The request's pool is going: its client left (or it ended some other way) while the call was under way. */
static void on_anchor_dispose(void *p)
{
    call_anchor_t *anchor = p;
    if (anchor->call != NULL) {
        anchor->call->anchor = NULL;
        drop_call(anchor->call, CONG_HTTP_RESULT_CANCELLED);
    }
}

int cong_http_request(cong_req_t *r, const cong_http_request_t *def, cong_http_cb cb, void *udata)
{
    if (r == NULL || cb == NULL)
        return CONG_EINVAL;
    if (r->h2o == NULL)
        return CONG_EGONE;
    cong_http_client_t *c = client_of(r->worker);
    if (c == NULL)
        return CONG_ENOMEM;
    if (c->in_flight >= (unsigned)r->worker->gateway->config->limits.outbound_http_in_flight) {
        cong_counter_add(&r->worker->metrics->http_client_calls[CONG_HTTP_RESULT_BUSY], 1);
        return CONG_EBUSY;
    }
    http_call_t *call = calloc(1, sizeof *call);
    if (call == NULL)
        return CONG_ENOMEM;
    int rc = cong_http_transfer_init(&call->t, def);
    if (rc != 0) {
        free(call);
        return rc;
    }
    call->owner.is_call = 1;
    curl_easy_setopt(call->t.easy, CURLOPT_PRIVATE, &call->owner);
    if (curl_multi_add_handle(c->multi, call->t.easy) != CURLM_OK) {
        cong_http_transfer_cleanup(&call->t);
        free(call);
        return CONG_ENOMEM;
    }
    call->client = c;
    call->r = r;
    call->cb = cb;
    call->udata = udata;
    call->next = c->calls;
    call->anchor = h2o_mem_alloc_shared(&r->h2o->pool, sizeof *call->anchor, on_anchor_dispose);
    call->anchor->call = call;
    if (c->calls != NULL)
        c->calls->prev = call;
    c->calls = call;
    c->in_flight++;
    cong_gauge_add(&r->worker->metrics->http_client_in_flight, 1);
    cong_req_retain(r);
    return 0;
}

static void free_client(uv_handle_t *handle)
{
    free(handle->data);
}

int cong_http_client_attach(cong_worker_t *w, cong_http_owner_t *owner)
{
    cong_http_client_t *c = client_of(w);
    if (c == NULL)
        return CONG_ENOMEM;
    owner->is_call = 0;
    curl_easy_setopt(owner->easy, CURLOPT_PRIVATE, owner);
    if (curl_multi_add_handle(c->multi, owner->easy) != CURLM_OK)
        return CONG_ENOMEM;
    owner->prev = NULL;
    owner->next = c->owners;
    if (c->owners != NULL)
        c->owners->prev = owner;
    c->owners = owner;
    return 0;
}

void cong_http_client_detach(cong_worker_t *w, cong_http_owner_t *owner)
{
    cong_http_client_t *c = w->http_client;
    curl_multi_remove_handle(c->multi, owner->easy);
    if (owner->prev != NULL)
        owner->prev->next = owner->next;
    else if (c->owners == owner)
        c->owners = owner->next;
    if (owner->next != NULL)
        owner->next->prev = owner->prev;
    owner->prev = owner->next = NULL;
}

void cong_http_client_close(cong_worker_t *w)
{
    cong_http_client_t *c = w->http_client;
    if (c == NULL)
        return;
    while (c->calls != NULL)
        drop_call(c->calls, CONG_HTTP_RESULT_CANCELLED);
    while (c->owners != NULL) {
        cong_http_owner_t *owner = c->owners;
        cong_http_client_detach(w, owner);
        owner->drop(owner);
    }
    curl_multi_cleanup(c->multi); /* closes the cached connections: their watches are closed by on_socket */
    for (size_t fd = 0; fd < c->idle_cap; fd++)
        if (c->idle[fd] != NULL)
            uv_close((uv_handle_t *)&c->idle[fd]->poll, free_watch);
    free(c->idle);
    c->idle = NULL;
    uv_timer_stop(&c->timer);
    uv_close((uv_handle_t *)&c->timer, free_client);
    w->http_client = NULL;
}

/* The kept connections of the HTTP/1.1 upstreams (proxy_h1.c; contract in upstream.h): per worker and target, the
 * idle connections to reuse, kept on the worker's own loop as open h2o sockets (h2o patch 0008 hands them to h2o's
 * client and back), so that reusing one costs no system call.
 *
 * - A stack per worker and target: the newest on top is taken first (under load the same few stay warm), the oldest
 *   at the bottom expire. At most min(max_concurrent, H1_IDLE_MAX) are kept; a connection given back beyond that is
 *   closed.
 * - Idle at most H1_IDLE_MS: a sweep entry on the h2o context's one-second timeout list (no handle of our own to close
 *   at the worker's end), linked while the list is not empty, closes the expired ones; one found expired when taken is
 *   closed then.
 * - Every idle connection is read: the upstream's close, a reset, or bytes nobody asked for close it at once (reading
 *   was on already, so this costs nothing). A connection idle for H1_PEEK_AFTER_MS or more is also asked (recv
 *   MSG_PEEK) before it is used, for a close that arrived while the loop was busy: under load none is that old.
 * - The worker's end (cong_upstream_worker_stop, on its thread once its loop stopped): every kept connection is
 *   closed, and any that a request still under way gives back later too. cong_upstream_proxy_free then frees the
 *   lists.
 * Worker thread only: each list belongs to one worker. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "proxy_internal.h"

#define H1_IDLE_MS 4000       /* a kept connection idle longer is closed: under the shortest common keep-alive (5 s) */
#define H1_IDLE_MAX 256       /* kept connections per worker and target, at most */
#define H1_PEEK_AFTER_MS 1000 /* idle this long: asked whether it is still open before it is used */

typedef struct h1_kept {
    h2o_socket_t *sock;
    uint64_t since_ms; /* idle since (the worker's loop clock) */
} h1_kept_t;

struct cong_proxy_h1_idle {
    h1_kept_t *kept;          /* owned: [0] the oldest .. [count - 1] the newest */
    size_t count, cap, max;
    h2o_timeout_entry_t sweep; /* on worker->h2o.one_sec_timeout while count > 0 */
    cong_worker_t *worker;
    int stopped;               /* the worker's loop stopped: what comes back is closed */
};

static void on_sweep(h2o_timeout_entry_t *entry);

cong_proxy_h1_idle_t *cong_proxy_h1_idle_of(cong_proxy_upstream_t *up, cong_worker_t *w, int target)
{
    if (w->index < 0 || w->index >= CONG_PROXY_MAX_WORKERS || target < 0)
        return NULL;
    cong_proxy_h1_idle_t **lists = &up->idle[w->index];
    if (*lists == NULL) { /* made on the worker's thread at its first request */
        size_t n = up->config->target_count;
        if ((*lists = calloc(n, sizeof **lists)) == NULL)
            return NULL;
        int max = up->config->limits.max_concurrent;
        for (size_t i = 0; i < n; i++) {
            (*lists)[i].max = max < H1_IDLE_MAX ? (size_t)max : H1_IDLE_MAX;
            (*lists)[i].sweep.cb = on_sweep;
            (*lists)[i].worker = w;
        }
    }
    return &(*lists)[target];
}

/* The connections [0, n) leave the list and are closed. */
static void close_oldest(cong_proxy_h1_idle_t *idle, size_t n)
{
    if (n == 0)
        return; /* (kept may be NULL: nothing was ever kept) */
    for (size_t i = 0; i < n; i++)
        h2o_socket_close(idle->kept[i].sock);
    memmove(idle->kept, idle->kept + n, (idle->count - n) * sizeof *idle->kept);
    idle->count -= n;
}

static void on_sweep(h2o_timeout_entry_t *entry)
{
    cong_proxy_h1_idle_t *idle = H2O_STRUCT_FROM_MEMBER(cong_proxy_h1_idle_t, sweep, entry);
    uint64_t now = uv_now(&idle->worker->loop);
    size_t expired = 0;
    while (expired < idle->count && now - idle->kept[expired].since_ms >= H1_IDLE_MS)
        expired++;
    close_oldest(idle, expired);
    if (idle->count > 0)
        h2o_timeout_link(&idle->worker->loop, &idle->worker->h2o.one_sec_timeout, &idle->sweep);
}

/* An idle connection read something: the upstream closed or reset it, or sent what nobody asked for. */
static void on_idle_read(h2o_socket_t *sock, const char *err)
{
    if (err == NULL && sock->bytes_read == 0)
        return; /* libuv's read found nothing (EAGAIN after a full buffer): still idle */
    cong_proxy_h1_idle_t *idle = sock->data;
    for (size_t i = idle->count; i-- > 0;)
        if (idle->kept[i].sock == sock) {
            memmove(idle->kept + i, idle->kept + i + 1, (idle->count - i - 1) * sizeof *idle->kept);
            idle->count--;
            break;
        }
    h2o_socket_close(sock);
}

/* 1 while nothing (no byte, no close, no error) waits on the connection. */
static int still_open(h2o_socket_t *sock)
{
    char byte;
    int fd = h2o_socket_get_fd(sock);
    return fd >= 0 && recv(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT) < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

h2o_socket_t *cong_proxy_h1_take(cong_proxy_h1_idle_t *idle, uint64_t now_ms)
{
    while (idle->count > 0) {
        h1_kept_t k = idle->kept[--idle->count];
        uint64_t idle_ms = now_ms - k.since_ms;
        if (idle_ms < H1_PEEK_AFTER_MS || (idle_ms < H1_IDLE_MS && still_open(k.sock)))
            return k.sock; /* still reading, with on_idle_read: h2o's client takes the reader over */
        h2o_socket_close(k.sock);
    }
    return NULL;
}

void cong_proxy_h1_keep(h2o_http1client_t *client, h2o_socket_t *sock)
{
    cong_proxy_h1_idle_t *idle = client->data; /* let_go (proxy_h1.c) put it there */
    if (idle->stopped || idle->count == idle->max) {
        h2o_socket_close(sock);
        return;
    }
    if (idle->count == idle->cap) {
        size_t cap = idle->cap == 0 ? 4 : idle->cap * 2;
        h1_kept_t *grown = realloc(idle->kept, cap * sizeof *grown);
        if (grown == NULL) {
            h2o_socket_close(sock);
            return;
        }
        idle->kept = grown;
        idle->cap = cap;
    }
    sock->data = idle;
    h2o_socket_read_start(sock, on_idle_read); /* it was reading: only the callback changes */
    idle->kept[idle->count++] = (h1_kept_t){.sock = sock, .since_ms = uv_now(&idle->worker->loop)};
    if (!h2o_timeout_is_linked(&idle->sweep))
        h2o_timeout_link(&idle->worker->loop, &idle->worker->h2o.one_sec_timeout, &idle->sweep);
}

/* Worker w's end: every generation's kept connections of that worker (a generation a reload replaced may still be
 * held by it). Under the generations' lock, which only the adopting and reclaiming code takes, never for long. */
static void stop_upstream(cong_proxy_upstream_t *up, void *arg)
{
    int w = *(const int *)arg;
    cong_proxy_h1_idle_t *lists = up->idle[w];
    for (size_t i = 0; lists != NULL && i < up->config->target_count; i++) {
        lists[i].stopped = 1;
        if (h2o_timeout_is_linked(&lists[i].sweep))
            h2o_timeout_unlink(&lists[i].sweep);
        close_oldest(&lists[i], lists[i].count);
    }
}

void cong_upstream_worker_stop(cong_worker_t *w)
{
    if (w->index < 0 || w->index >= CONG_PROXY_MAX_WORKERS)
        return;
    int index = w->index;
    cong_proxy_gens_each_upstream(stop_upstream, &index);
}

/* A reload (proxy_gen.c): worker w let go of this generation, so none of its attempts holds one of these sockets any
 * more; or the workers stopped (their sockets closed by cong_upstream_worker_stop): only memory is left. On worker
 * w's thread, or after it stopped. */
void cong_proxy_h1_pools_free_worker(cong_proxy_upstream_t *up, int w)
{
    cong_proxy_h1_idle_t *lists = up->idle[w];
    if (lists == NULL)
        return;
    for (size_t i = 0; i < up->config->target_count; i++) {
        if (h2o_timeout_is_linked(&lists[i].sweep))
            h2o_timeout_unlink(&lists[i].sweep);
        close_oldest(&lists[i], lists[i].count);
        free(lists[i].kept);
    }
    free(lists);
    up->idle[w] = NULL;
}

/* Admission at the server (contract in admission.h): the listeners' accept callback, the connection's record that
 * gives its slot back when its uv handle closes, and the pipeline phase that decides a PROXY-protocol connection at
 * its first request. The table itself is admission_table.c. */
#include "admission.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "gateway/config/config.h"
#include "common/common.h"
#include "pipeline.h"
#include "problem.h"

/* What admission knows of one accepted connection; the uv handle comes first, so the handle's close callback has
 * the record. h2o's socket points back to it through on_close.data (h2o uses on_close only for its client-side
 * socket pool, never on a server's socket; on_close.cb stays NULL). */
typedef struct admitted_conn {
    uv_tcp_t tcp;
    cong_admission_key_t key;
    enum { CONN_UNLIMITED, CONN_HOLDS_SLOT, CONN_DEFERRED, CONN_SHED } state;
} admitted_conn_t;

enum { SHED_CONCURRENT, SHED_RATE };

/* The process's table: built before the workers start, freed after they are joined; NULL when admission is off. */
static cong_admission_t *table;
static int deferred_by_proxy_protocol;

int cong_admission_start(const cong_gateway_t *gw)
{
    const cong_config_t *cfg = gw->config;
    cong_admission_limits_t limits = {cfg->admission.max_connections_per_address,
                                      cfg->admission.new_connections_per_second, cfg->admission.new_connections_burst,
                                      CONG_ADMISSION_ADDRESSES};
    deferred_by_proxy_protocol = cfg->server.proxy_protocol;
    if (limits.max_connections == 0 && limits.per_second == 0)
        return 0;
    table = cong_admission_new(&limits);
    return table != NULL ? 0 : CONG_ENOMEM;
}

void cong_admission_stop(void)
{
    cong_admission_free(table);
    table = NULL;
}

/* A real clock, not the loop's: the table is shared and the workers' loop times differ. */
static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void count_shed(cong_worker_t *w, const cong_admission_key_t *key, const cong_admission_outcome_t *out)
{
    int reason = out->verdict == CONG_ADMISSION_SHED_CONCURRENT ? SHED_CONCURRENT : SHED_RATE;
    cong_counter_add(&w->metrics->connections_shed[reason], 1);
    if (!out->log)
        return;
    char text[64], suppressed[64] = "";
    cong_admission_key_text(key, text);
    if (out->suppressed > 0)
        snprintf(suppressed, sizeof suppressed, " (%lu other line(s) suppressed)", out->suppressed);
    cong_log(CONG_LOG_WARN, "admission", "shedding connections from %s: %s%s", text,
             reason == SHED_CONCURRENT ? "too many open connections" : "new connections too fast", suppressed);
}

static int is_trusted_proxy(const cong_worker_t *w, const struct sockaddr *sa)
{
    char text[INET6_ADDRSTRLEN];
    const void *addr = sa->sa_family == AF_INET ? (const void *)&((const struct sockaddr_in *)sa)->sin_addr
                                                : (const void *)&((const struct sockaddr_in6 *)sa)->sin6_addr;
    return inet_ntop(sa->sa_family, addr, text, sizeof text) != NULL &&
           cong_trusted_proxies_contain(&w->live->proxies, text);
}

/* Decides for the client at `sa`; the connection's new state. */
static void decide(cong_worker_t *w, admitted_conn_t *c, const struct sockaddr *sa)
{
    c->state = CONN_UNLIMITED;
    if (!cong_admission_key_of_sockaddr(sa, &c->key) || is_trusted_proxy(w, sa))
        return;
    cong_admission_outcome_t out = cong_admission_enter(table, &c->key, now_ms());
    if (out.verdict == CONG_ADMISSION_ADMITTED) {
        c->state = CONN_HOLDS_SLOT;
    } else if (out.verdict != CONG_ADMISSION_UNTRACKED) {
        c->state = CONN_SHED;
        count_shed(w, &c->key, &out);
    }
}

static void on_conn_closed(uv_handle_t *handle)
{
    admitted_conn_t *c = (admitted_conn_t *)handle;
    if (c->state == CONN_HOLDS_SLOT)
        cong_admission_leave(table, &c->key);
    free(c);
}

/* Closes a shed connection at once, with a reset: no TIME_WAIT left on our side by a reconnecting flood. */
static void shed_now(admitted_conn_t *c)
{
    uv_os_fd_t fd;
    struct linger reset = {1, 0};
    if (uv_fileno((uv_handle_t *)&c->tcp, &fd) == 0)
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
    uv_close((uv_handle_t *)&c->tcp, on_conn_closed);
}

void cong_admission_on_accept(uv_stream_t *listener, int status)
{
    if (status != 0)
        return;
    admitted_conn_t *c = calloc(1, sizeof *c);
    if (c == NULL)
        return;
    uv_tcp_init(listener->loop, &c->tcp);
    if (uv_accept(listener, (uv_stream_t *)&c->tcp) != 0) {
        uv_close((uv_handle_t *)&c->tcp, on_conn_closed);
        return;
    }
    h2o_accept_ctx_t *accept_ctx = listener->data;
    cong_worker_t *w = cong_worker_of(accept_ctx->ctx);
    if (table != NULL && accept_ctx != &w->accept_admin) {
        struct sockaddr_storage peer;
        int len = sizeof peer;
        if (deferred_by_proxy_protocol) /* the peer is the load balancer; the client is known at the first request */
            c->state = CONN_DEFERRED;
        else if (uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&peer, &len) == 0)
            decide(w, c, (struct sockaddr *)&peer);
        if (c->state == CONN_SHED) {
            shed_now(c);
            return;
        }
    }
    uv_tcp_nodelay(&c->tcp, 1);
    h2o_socket_t *sock = h2o_uv_socket_create((uv_stream_t *)&c->tcp, on_conn_closed);
    sock->on_close.data = c;
    h2o_accept(accept_ctx, sock);
}

static admitted_conn_t *conn_of(const cong_req_t *r)
{
    h2o_conn_t *conn = r->h2o->conn;
    h2o_socket_t *sock = conn->callbacks->get_socket != NULL ? conn->callbacks->get_socket(conn) : NULL;
    return sock != NULL ? sock->on_close.data : NULL;
}

cong_phase_result_t cong_phase_admission(cong_req_t *r)
{
    if (table == NULL || r->admin_listener)
        return CONG_PHASE_NEXT;
    admitted_conn_t *c = conn_of(r);
    if (c == NULL)
        return CONG_PHASE_NEXT;
    if (c->state == CONN_DEFERRED) {
        struct sockaddr_storage peer; /* after the PROXY line: the client it names */
        h2o_conn_t *conn = r->h2o->conn;
        c->state = CONN_UNLIMITED;
        if (conn->callbacks->get_peername(conn, (struct sockaddr *)&peer) > 0)
            decide(r->worker, c, (struct sockaddr *)&peer);
    }
    if (c->state != CONN_SHED)
        return CONG_PHASE_NEXT;
    if (r->h2o->version < 0x200)
        r->h2o->http1_is_persistent = 0; /* Connection: close */
    cong_reply_problem(r, 429, "rate-limited", "Quá nhiều kết nối từ địa chỉ này; vui lòng thử lại sau.",
                       "Too many connections from this address; please retry later.", 1);
    return CONG_PHASE_DONE;
}

#include "redis_subscriber.h"

#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "common/common.h"

/* The connection is libuv's own TCP handle with hiredis' reply parser only: hiredis 0.14's async client cannot PING a
 * subscribed connection (it files the reply under a pattern named "" and keeps a callback per PING forever). */

#define BACKOFF_MIN_MS 50
#define BACKOFF_MAX_MS 2000
#define SETUP_TIMEOUT_MS 1000 /* resolve, connect, AUTH and SUBSCRIBE */
#define KEEPALIVE_IDLE_S 10
#define KEEPALIVE_INTERVAL_S 5
#define KEEPALIVE_PROBES 3

/* One connection attempt. Dropping it detaches it from its subscriber at once; it is freed when libuv is done with
 * its handle and its name lookup. */
typedef struct sub_conn {
    cong_redis_subscriber_t *owner; /* NULL once dropped: its callbacks only clean up */
    uv_getaddrinfo_t resolve;
    uv_connect_t connect;
    uv_tcp_t tcp;
    int tcp_open;
    int pending; /* holds: the subscriber's (until dropped), the name lookup's, the TCP handle's (until closed) */
    redisReader *reader;
    char in[16384];
} sub_conn_t;

typedef struct write_req {
    uv_write_t req;
    char *command;
} write_req_t;

struct cong_redis_subscriber {
    uv_loop_t *loop;
    char *host, *password, *channel, port[8];
    int ping_timeout_ms;
    sub_conn_t *conn;
    int up, closing, open_timers;
    unsigned backoff_ms;
    unsigned long drops;
    uv_timer_t timer;     /* setup deadline, PONG deadline, or reconnect backoff: one at a time */
    uv_timer_t heartbeat; /* a PING every CONG_REDIS_SUBSCRIBER_PING_INTERVAL_MS while up */
    int awaiting_pong;
    cong_redis_message_cb on_message;
    cong_redis_subscribed_cb on_subscribed;
    void *udata;
};

static void connect_now(cong_redis_subscriber_t *s);

/* ---- one connection ---- */

static void conn_release(sub_conn_t *conn)
{
    if (--conn->pending > 0)
        return;
    redisReaderFree(conn->reader);
    free(conn);
}

static void on_tcp_closed(uv_handle_t *h)
{
    conn_release(h->data);
}

static void drop_conn(cong_redis_subscriber_t *s)
{
    sub_conn_t *conn = s->conn;
    if (conn == NULL)
        return;
    s->conn = NULL;
    conn->owner = NULL;
    if (conn->tcp_open) {
        conn->tcp_open = 0;
        uv_close((uv_handle_t *)&conn->tcp, on_tcp_closed); /* pending writes and the connect end with ECANCELED */
    } else {
        uv_cancel((uv_req_t *)&conn->resolve); /* harmless when the lookup is over */
    }
    conn_release(conn); /* the subscriber's hold */
}

static void on_backoff_over(uv_timer_t *t)
{
    connect_now(t->data);
}

/* The subscription is gone, or never came: drop the connection, try again after a backoff. */
static void lost(cong_redis_subscriber_t *s, const char *why)
{
    drop_conn(s);
    uv_timer_stop(&s->heartbeat);
    s->awaiting_pong = 0;
    if (s->up) {
        s->drops++;
        cong_log(CONG_LOG_WARN, "redis", "subscription to %s %s; resubscribing", s->channel, why);
    }
    s->up = 0;
    if (s->closing)
        return;
    uv_timer_start(&s->timer, on_backoff_over, s->backoff_ms, 0);
    s->backoff_ms = s->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : s->backoff_ms * 2;
}

static void on_written(uv_write_t *req, int status)
{
    write_req_t *w = (write_req_t *)req;
    sub_conn_t *conn = req->handle->data;
    redisFreeCommand(w->command);
    free(w);
    if (status < 0 && conn->owner != NULL)
        lost(conn->owner, "could not be written to");
}

static void send_command(cong_redis_subscriber_t *s, int argc, const char **argv)
{
    size_t lens[2];
    for (int i = 0; i < argc; i++)
        lens[i] = strlen(argv[i]);
    write_req_t *w = malloc(sizeof *w);
    int len = w != NULL ? redisFormatCommandArgv(&w->command, argc, argv, lens) : -1;
    if (len < 0) {
        free(w);
        lost(s, "ran out of memory");
        return;
    }
    uv_buf_t buf = uv_buf_init(w->command, (unsigned)len);
    if (uv_write(&w->req, (uv_stream_t *)&s->conn->tcp, &buf, 1, on_written) != 0) {
        redisFreeCommand(w->command);
        free(w);
        lost(s, "could not be written to");
    }
}

/* ---- the subscription's life ---- */

static void on_pong_late(uv_timer_t *t)
{
    cong_redis_subscriber_t *s = t->data;
    char why[64];
    snprintf(why, sizeof why, "did not answer a PING within %d ms", s->ping_timeout_ms);
    lost(s, why);
}

static void on_heartbeat(uv_timer_t *t)
{
    cong_redis_subscriber_t *s = t->data;
    if (!s->up || s->awaiting_pong)
        return;
    s->awaiting_pong = 1;
    uv_timer_start(&s->timer, on_pong_late, (uint64_t)s->ping_timeout_ms, 0);
    send_command(s, 1, (const char *[]){"PING"});
}

static void on_subscribed(cong_redis_subscriber_t *s)
{
    s->up = 1;
    s->backoff_ms = BACKOFF_MIN_MS;
    uv_timer_stop(&s->timer);
    uv_timer_start(&s->heartbeat, on_heartbeat, CONG_REDIS_SUBSCRIBER_PING_INTERVAL_MS,
                   CONG_REDIS_SUBSCRIBER_PING_INTERVAL_MS);
    if (s->on_subscribed != NULL)
        s->on_subscribed(s->udata);
}

/* Replies on a subscribed connection: +OK (AUTH), ["subscribe", channel, n], ["message", channel, payload]...,
 * ["pong", ""]. */
static void on_reply(cong_redis_subscriber_t *s, const redisReply *r)
{
    if (r->type == REDIS_REPLY_ERROR) {
        cong_log(CONG_LOG_ERROR, "redis", "subscription to %s refused: %s", s->channel, r->str);
        lost(s, "was refused");
        return;
    }
    if (r->type != REDIS_REPLY_ARRAY || r->elements < 2 || r->element[0]->type != REDIS_REPLY_STRING)
        return;
    const char *kind = r->element[0]->str;
    if (strcmp(kind, "pong") == 0) {
        s->awaiting_pong = 0;
        uv_timer_stop(&s->timer);
    } else if (strcmp(kind, "subscribe") == 0) {
        on_subscribed(s);
    } else if (strcmp(kind, "message") == 0 && r->elements >= 3 && r->element[2]->type == REDIS_REPLY_STRING) {
        s->on_message(r->element[2]->str, r->element[2]->len, s->udata);
    }
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)suggested;
    sub_conn_t *conn = h->data;
    *buf = uv_buf_init(conn->in, sizeof conn->in);
}

static void on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf)
{
    sub_conn_t *conn = stream->data;
    cong_redis_subscriber_t *s = conn->owner;
    if (s == NULL || nread == 0)
        return;
    if (nread < 0 || redisReaderFeed(conn->reader, buf->base, (size_t)nread) != REDIS_OK) {
        lost(s, nread < 0 ? "was lost" : "sent what is not RESP");
        return;
    }
    void *reply;
    while (s->conn == conn) {
        if (redisReaderGetReply(conn->reader, &reply) != REDIS_OK) {
            lost(s, "sent what is not RESP");
            return;
        }
        if (reply == NULL)
            return;
        on_reply(s, reply);
        freeReplyObject(reply);
    }
}

static void keep_alive(sub_conn_t *conn)
{
    uv_os_fd_t fd;
    uv_tcp_nodelay(&conn->tcp, 1);
    uv_tcp_keepalive(&conn->tcp, 1, KEEPALIVE_IDLE_S);
    if (uv_fileno((uv_handle_t *)&conn->tcp, &fd) == 0) {
        int interval = KEEPALIVE_INTERVAL_S, probes = KEEPALIVE_PROBES;
        setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &interval, sizeof interval);
        setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &probes, sizeof probes);
    }
}

static void on_connected(uv_connect_t *req, int status)
{
    sub_conn_t *conn = req->data;
    cong_redis_subscriber_t *s = conn->owner;
    if (s == NULL)
        return;
    if (status < 0 || uv_read_start((uv_stream_t *)&conn->tcp, on_alloc, on_read) != 0) {
        lost(s, "could not connect");
        return;
    }
    keep_alive(conn);
    if (s->password[0] != '\0')
        send_command(s, 2, (const char *[]){"AUTH", s->password});
    if (s->conn == conn)
        send_command(s, 2, (const char *[]){"SUBSCRIBE", s->channel});
}

static void on_resolved(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
    sub_conn_t *conn = req->data;
    cong_redis_subscriber_t *s = conn->owner;
    if (s == NULL || status < 0) {
        if (res != NULL)
            uv_freeaddrinfo(res);
        if (s != NULL)
            lost(s, "could not resolve its host");
        conn_release(conn);
        return;
    }
    conn_release(conn); /* the lookup is over; the connection still holds it */
    int rc = uv_tcp_init(s->loop, &conn->tcp);
    if (rc == 0) {
        conn->tcp.data = conn;
        conn->tcp_open = 1;
        conn->pending++;
        conn->connect.data = conn;
        rc = uv_tcp_connect(&conn->connect, &conn->tcp, res->ai_addr, on_connected);
    }
    uv_freeaddrinfo(res);
    if (rc != 0)
        lost(s, "could not connect");
}

static void on_setup_late(uv_timer_t *t)
{
    cong_redis_subscriber_t *s = t->data;
    cong_log(CONG_LOG_WARN, "redis", "subscribing to %s timed out", s->channel);
    lost(s, "timed out");
}

static void connect_now(cong_redis_subscriber_t *s)
{
    if (s->closing)
        return;
    sub_conn_t *conn = calloc(1, sizeof *conn);
    if (conn == NULL || (conn->reader = redisReaderCreate()) == NULL) {
        free(conn);
        lost(s, "ran out of memory");
        return;
    }
    conn->owner = s;
    conn->resolve.data = conn;
    conn->pending = 2; /* the lookup, and this subscriber until it drops the connection */
    s->conn = conn;
    uv_timer_start(&s->timer, on_setup_late, SETUP_TIMEOUT_MS, 0);
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
    if (uv_getaddrinfo(s->loop, &conn->resolve, on_resolved, s->host, s->port, &hints) != 0) {
        conn->pending--;
        lost(s, "could not resolve its host");
    }
}

/* ---- the public face ---- */

cong_redis_subscriber_t *cong_redis_subscriber_new(uv_loop_t *loop, const char *host, int port, const char *password,
                                                   const char *channel, int ping_timeout_ms,
                                                   cong_redis_message_cb on_message,
                                                   cong_redis_subscribed_cb on_subscribed, void *udata)
{
    cong_redis_subscriber_t *s = calloc(1, sizeof *s);
    if (s == NULL)
        return NULL;
    s->host = strdup(host);
    s->password = strdup(password ? password : "");
    s->channel = strdup(channel);
    if (s->host == NULL || s->password == NULL || s->channel == NULL) {
        free(s->host);
        free(s->password);
        free(s->channel);
        free(s);
        return NULL;
    }
    snprintf(s->port, sizeof s->port, "%d", port);
    s->loop = loop;
    s->ping_timeout_ms = ping_timeout_ms;
    s->backoff_ms = BACKOFF_MIN_MS;
    s->on_message = on_message;
    s->on_subscribed = on_subscribed;
    s->udata = udata;
    uv_timer_init(loop, &s->timer);
    uv_timer_init(loop, &s->heartbeat);
    s->timer.data = s->heartbeat.data = s;
    s->open_timers = 2;
    connect_now(s);
    return s;
}

int cong_redis_subscriber_is_up(const cong_redis_subscriber_t *s)
{
    return s->up;
}

unsigned long cong_redis_subscriber_drops(const cong_redis_subscriber_t *s)
{
    return s->drops;
}

static void on_timer_closed(uv_handle_t *h)
{
    cong_redis_subscriber_t *s = h->data;
    if (--s->open_timers > 0)
        return;
    free(s->host);
    free(s->password);
    free(s->channel);
    free(s);
}

void cong_redis_subscriber_close(cong_redis_subscriber_t *s)
{
    s->closing = 1;
    s->up = 0;
    drop_conn(s);
    uv_timer_stop(&s->timer);
    uv_timer_stop(&s->heartbeat);
    uv_close((uv_handle_t *)&s->timer, on_timer_closed);
    uv_close((uv_handle_t *)&s->heartbeat, on_timer_closed);
}

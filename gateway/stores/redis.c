#include "redis.h"

#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <stdlib.h>
#include <string.h>

#include "cong/errors.h"
#include "common/common.h"

/* hiredis' libuv adapter defines a static function named on_close: keep that name free in this file. */
#include <hiredis/adapters/libuv.h>

#define BACKOFF_MIN_MS 50
#define BACKOFF_MAX_MS 2000

enum redis_state { REDIS_DOWN, REDIS_CONNECTING, REDIS_UP, REDIS_CLOSING };

struct cong_redis {
    uv_loop_t *loop;
    redisAsyncContext *ac;
    enum redis_state state;
    char *host, *password;
    int port, timeout_ms;
    unsigned backoff_ms;
    unsigned long disconnects;
    uv_timer_t timer; /* connect timeout, then reconnect backoff */
    int timer_closed;
};

typedef struct pending_command {
    cong_redis_t *client;
    cong_redis_reply_cb cb;
    void *udata;
    uv_timer_t timer;
    int answered; /* the caller's callback has run */
} pending_command_t;

static void connect_now(cong_redis_t *r);

static void on_reconnect_timer(uv_timer_t *t)
{
    connect_now(t->data);
}

static void schedule_reconnect(cong_redis_t *r)
{
    if (r->state == REDIS_CLOSING)
        return;
    r->state = REDIS_DOWN;
    r->timer.data = r;
    uv_timer_start(&r->timer, on_reconnect_timer, r->backoff_ms, 0);
    r->backoff_ms = r->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : r->backoff_ms * 2;
}

/* Drops the connection: hiredis calls every pending callback with a NULL reply, then the disconnect callback. */
static void drop_connection(cong_redis_t *r)
{
    redisAsyncContext *ac = r->ac;
    if (ac == NULL)
        return;
    r->ac = NULL;
    ac->data = NULL;
    redisAsyncFree(ac);
}

static void on_disconnect(const redisAsyncContext *ac, int status)
{
    (void)status;
    cong_redis_t *r = ac->data;
    if (r == NULL) /* we dropped it ourselves */
        return;
    r->ac = NULL;
    r->disconnects++;
    cong_log(CONG_LOG_WARN, "redis", "connection lost; reconnecting");
    schedule_reconnect(r);
}

static void on_auth_reply(redisAsyncContext *ac, void *reply, void *privdata)
{
    (void)privdata;
    cong_redis_t *r = ac->data;
    redisReply *rep = reply;
    if (r == NULL)
        return;
    if (rep == NULL || rep->type == REDIS_REPLY_ERROR) {
        cong_log(CONG_LOG_ERROR, "redis", "authentication refused");
        drop_connection(r);
        schedule_reconnect(r);
        return;
    }
    r->state = REDIS_UP;
    r->backoff_ms = BACKOFF_MIN_MS;
    cong_log(CONG_LOG_INFO, "redis", "connected to %s:%d", r->host, r->port);
}

static void on_connect(const redisAsyncContext *ac, int status)
{
    cong_redis_t *r = ac->data;
    if (r == NULL)
        return;
    uv_timer_stop(&r->timer);
    if (status != REDIS_OK) {
        /* hiredis frees the context itself after a failed connect */
        r->ac = NULL;
        schedule_reconnect(r);
        return;
    }
    if (r->password[0] != '\0') {
        redisAsyncCommand(r->ac, on_auth_reply, NULL, "AUTH %s", r->password);
        return;
    }
    r->state = REDIS_UP;
    r->backoff_ms = BACKOFF_MIN_MS;
    cong_log(CONG_LOG_INFO, "redis", "connected to %s:%d", r->host, r->port);
}

static void on_connect_timeout(uv_timer_t *t)
{
    cong_redis_t *r = t->data;
    cong_log(CONG_LOG_WARN, "redis", "connect timed out");
    drop_connection(r);
    schedule_reconnect(r);
}

static void connect_now(cong_redis_t *r)
{
    if (r->state == REDIS_CLOSING)
        return;
    redisAsyncContext *ac = redisAsyncConnect(r->host, r->port);
    if (ac == NULL || ac->err) {
        if (ac != NULL)
            redisAsyncFree(ac);
        schedule_reconnect(r);
        return;
    }
    ac->data = r;
    if (redisLibuvAttach(ac, r->loop) != REDIS_OK) {
        /* the adapter may have installed its hooks without its state: free the context without them */
        cong_log(CONG_LOG_WARN, "redis", "cannot watch the new connection's socket");
        if (ac->ev.data == NULL)
            memset(&ac->ev, 0, sizeof ac->ev);
        ac->data = NULL;
        redisAsyncFree(ac);
        schedule_reconnect(r);
        return;
    }
    redisAsyncSetConnectCallback(ac, on_connect);
    redisAsyncSetDisconnectCallback(ac, on_disconnect);
    r->ac = ac;
    r->state = REDIS_CONNECTING;
    r->timer.data = r;
    uv_timer_start(&r->timer, on_connect_timeout, (uint64_t)r->timeout_ms, 0);
}

cong_redis_t *cong_redis_new(uv_loop_t *loop, const char *host, int port, const char *password, int timeout_ms)
{
    cong_redis_t *r = calloc(1, sizeof *r);
    if (r == NULL)
        return NULL;
    r->host = strdup(host);
    r->password = strdup(password ? password : "");
    if (r->host == NULL || r->password == NULL) {
        free(r->host);
        free(r->password);
        free(r);
        return NULL;
    }
    r->loop = loop;
    r->port = port;
    r->timeout_ms = timeout_ms;
    r->backoff_ms = BACKOFF_MIN_MS;
    uv_timer_init(loop, &r->timer);
    r->timer.data = r;
    connect_now(r);
    return r;
}

static void free_pending(uv_handle_t *h)
{
    free(h->data);
}

static void finish_pending(pending_command_t *p, int err, redisReply *reply)
{
    if (!p->answered) {
        p->answered = 1;
        p->cb(err, reply, p->udata);
    }
}

static void on_command_reply(redisAsyncContext *ac, void *reply, void *privdata)
{
    (void)ac;
    pending_command_t *p = privdata;
    uv_timer_stop(&p->timer);
    finish_pending(p, reply == NULL ? CONG_EUNAVAILABLE : 0, reply);
    uv_close((uv_handle_t *)&p->timer, free_pending);
}

static void on_command_timeout(uv_timer_t *t)
{
    pending_command_t *p = t->data;
    cong_redis_t *r = p->client;
    finish_pending(p, CONG_ETIMEDOUT, NULL);
    cong_log(CONG_LOG_WARN, "redis", "command timed out after %d ms; dropping the connection", r->timeout_ms);
    /* Redis is not answering: drop the connection so everything else under way fails now, not one by one. */
    if (r->ac != NULL) {
        r->disconnects++;
        drop_connection(r);
        schedule_reconnect(r);
    }
}

int cong_redis_command(cong_redis_t *r, int argc, const char *const *argv, const size_t *argvlen,
                       cong_redis_reply_cb cb, void *udata)
{
    if (argc <= 0 || argv == NULL || cb == NULL)
        return CONG_EINVAL;
    if (r->state != REDIS_UP || r->ac == NULL)
        return CONG_EUNAVAILABLE;
    pending_command_t *p = calloc(1, sizeof *p);
    if (p == NULL)
        return CONG_ENOMEM;
    p->client = r;
    p->cb = cb;
    p->udata = udata;
    if (redisAsyncCommandArgv(r->ac, on_command_reply, p, argc, (const char **)argv, argvlen) != REDIS_OK) {
        free(p);
        return CONG_EUNAVAILABLE;
    }
    uv_timer_init(r->loop, &p->timer);
    p->timer.data = p;
    uv_timer_start(&p->timer, on_command_timeout, (uint64_t)r->timeout_ms, 0);
    return 0;
}

int cong_redis_is_up(const cong_redis_t *r)
{
    return r->state == REDIS_UP;
}

unsigned long cong_redis_disconnects(const cong_redis_t *r)
{
    return r->disconnects;
}

static void free_client(uv_handle_t *h)
{
    cong_redis_t *r = h->data;
    free(r->host);
    free(r->password);
    free(r);
}

void cong_redis_close(cong_redis_t *r)
{
    r->state = REDIS_CLOSING;
    drop_connection(r);
    uv_timer_stop(&r->timer);
    r->timer.data = r;
    uv_close((uv_handle_t *)&r->timer, free_client);
}

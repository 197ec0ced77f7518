#include "redis_subscriber.h"

#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

#include <hiredis/adapters/libuv.h>

#define BACKOFF_MIN_MS 50
#define BACKOFF_MAX_MS 2000
#define CONNECT_TIMEOUT_MS 1000

struct cong_redis_subscriber {
    uv_loop_t *loop;
    redisAsyncContext *ac;
    char *host, *password, *channel;
    int port;
    int up, closing;
    unsigned backoff_ms;
    uv_timer_t timer;
    cong_redis_message_cb on_message;
    cong_redis_subscribed_cb on_subscribed;
    void *udata;
};

static void connect_now(cong_redis_subscriber_t *s);

static void on_timer(uv_timer_t *t)
{
    cong_redis_subscriber_t *s = t->data;
    if (s->ac != NULL && !s->up) { /* connect or subscribe took too long */
        redisAsyncContext *ac = s->ac;
        s->ac = NULL;
        ac->data = NULL;
        redisAsyncFree(ac);
    }
    connect_now(s);
}

static void retry_later(cong_redis_subscriber_t *s)
{
    s->up = 0;
    if (s->closing)
        return;
    uv_timer_start(&s->timer, on_timer, s->backoff_ms, 0);
    s->backoff_ms = s->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : s->backoff_ms * 2;
}

static void on_disconnect(const redisAsyncContext *ac, int status)
{
    (void)status;
    cong_redis_subscriber_t *s = ac->data;
    if (s == NULL)
        return;
    s->ac = NULL;
    if (s->up)
        cong_log(CONG_LOG_WARN, "redis", "subscription to %s lost; resubscribing", s->channel);
    retry_later(s);
}

/* Replies on a subscribed connection: ["subscribe", channel, n] once, then ["message", channel, payload]... */
static void on_reply(redisAsyncContext *ac, void *reply, void *privdata)
{
    (void)privdata;
    cong_redis_subscriber_t *s = ac->data;
    redisReply *r = reply;
    if (s == NULL || r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements < 3 ||
        r->element[0]->type != REDIS_REPLY_STRING)
        return;
    const char *kind = r->element[0]->str;
    if (strcmp(kind, "subscribe") == 0) {
        s->up = 1;
        s->backoff_ms = BACKOFF_MIN_MS;
        uv_timer_stop(&s->timer);
        if (s->on_subscribed != NULL)
            s->on_subscribed(s->udata);
    } else if (strcmp(kind, "message") == 0 && r->element[2]->type == REDIS_REPLY_STRING) {
        s->on_message(r->element[2]->str, r->element[2]->len, s->udata);
    }
}

static void on_connect(const redisAsyncContext *ac, int status)
{
    cong_redis_subscriber_t *s = ac->data;
    if (s == NULL)
        return;
    if (status != REDIS_OK) {
        s->ac = NULL;
        retry_later(s);
        return;
    }
    if (s->password[0] != '\0')
        redisAsyncCommand(s->ac, NULL, NULL, "AUTH %s", s->password);
    redisAsyncCommand(s->ac, on_reply, NULL, "SUBSCRIBE %s", s->channel);
}

static void connect_now(cong_redis_subscriber_t *s)
{
    if (s->closing)
        return;
    redisAsyncContext *ac = redisAsyncConnect(s->host, s->port);
    if (ac == NULL || ac->err) {
        if (ac != NULL)
            redisAsyncFree(ac);
        retry_later(s);
        return;
    }
    ac->data = s;
    if (redisLibuvAttach(ac, s->loop) != REDIS_OK) {
        if (ac->ev.data == NULL)
            memset(&ac->ev, 0, sizeof ac->ev);
        ac->data = NULL;
        redisAsyncFree(ac);
        retry_later(s);
        return;
    }
    redisAsyncSetConnectCallback(ac, on_connect);
    redisAsyncSetDisconnectCallback(ac, on_disconnect);
    s->ac = ac;
    uv_timer_start(&s->timer, on_timer, CONNECT_TIMEOUT_MS, 0);
}

cong_redis_subscriber_t *cong_redis_subscriber_new(uv_loop_t *loop, const char *host, int port, const char *password,
                                                   const char *channel, cong_redis_message_cb on_message,
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
    s->loop = loop;
    s->port = port;
    s->backoff_ms = BACKOFF_MIN_MS;
    s->on_message = on_message;
    s->on_subscribed = on_subscribed;
    s->udata = udata;
    uv_timer_init(loop, &s->timer);
    s->timer.data = s;
    connect_now(s);
    return s;
}

int cong_redis_subscriber_is_up(const cong_redis_subscriber_t *s)
{
    return s->up;
}

static void free_subscriber(uv_handle_t *h)
{
    cong_redis_subscriber_t *s = h->data;
    free(s->host);
    free(s->password);
    free(s->channel);
    free(s);
}

void cong_redis_subscriber_close(cong_redis_subscriber_t *s)
{
    s->closing = 1;
    s->up = 0;
    if (s->ac != NULL) {
        redisAsyncContext *ac = s->ac;
        s->ac = NULL;
        ac->data = NULL;
        redisAsyncFree(ac);
    }
    uv_timer_stop(&s->timer);
    uv_close((uv_handle_t *)&s->timer, free_subscriber);
}

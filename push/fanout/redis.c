/* push/fanout/redis.c — one blocking Redis connection, reconnected with backoff, and the workers' backlog
 * (fanout.h). */
#include "fanout.h"

#include <string.h>
#include <sys/time.h>

#include "cong/errors.h"
#include "push/pipeline.h"

#define REDIS_TIMEOUT_MS 5000
#define REDIS_BACKOFF_MIN_MS 250
#define REDIS_BACKOFF_MAX_MS 5000

void fanout_redis_close(fanout_redis_t *r)
{
    if (r->ctx)
        redisFree(r->ctx);
    r->ctx = NULL;
}

void fanout_redis_down(fanout_redis_t *r, const char *why)
{
    relay_log_failure("redis", "%s:%d: %s", r->host, r->port, why);
    fanout_redis_close(r);
    r->backoff_ms = r->backoff_ms ? r->backoff_ms * 2 : REDIS_BACKOFF_MIN_MS;
    if (r->backoff_ms > REDIS_BACKOFF_MAX_MS)
        r->backoff_ms = REDIS_BACKOFF_MAX_MS;
    r->retry_at_ms = relay_now_ms() + r->backoff_ms;
}

int fanout_redis_ensure(fanout_redis_t *r)
{
    if (r->ctx)
        return CONG_OK;
    if (relay_now_ms() < r->retry_at_ms)
        return CONG_EUNAVAILABLE;
    struct timeval tv = {REDIS_TIMEOUT_MS / 1000, (REDIS_TIMEOUT_MS % 1000) * 1000};
    r->ctx = redisConnectWithTimeout(r->host, r->port, tv);
    if (!r->ctx || r->ctx->err) {
        fanout_redis_down(r, r->ctx ? r->ctx->errstr : "out of memory");
        return CONG_EUNAVAILABLE;
    }
    redisSetTimeout(r->ctx, tv);
    if (r->backoff_ms)
        relay_log_info("redis: connected to %s:%d", r->host, r->port);
    r->backoff_ms = 0;
    return CONG_OK;
}

/* lag + pending of the group described by `g` (a flat array of names and values), or -1 when not known. */
static long long group_backlog(const redisReply *g)
{
    long long lag = -1, pending = 0;
    for (size_t i = 0; g->type == REDIS_REPLY_ARRAY && i + 1 < g->elements; i += 2) {
        const redisReply *name = g->element[i], *value = g->element[i + 1];
        if (name->type != REDIS_REPLY_STRING && name->type != REDIS_REPLY_STATUS)
            continue;
        if (strcmp(name->str, "lag") == 0 && value->type == REDIS_REPLY_INTEGER)
            lag = value->integer;
        else if (strcmp(name->str, "pending") == 0 && value->type == REDIS_REPLY_INTEGER)
            pending = value->integer;
    }
    return lag < 0 ? -1 : lag + pending;
}

int fanout_redis_backlogged(fanout_redis_t *r, long long max_backlog)
{
    redisReply *reply = redisCommand(r->ctx, "XINFO GROUPS %s", PUSH_EVENT_STREAM_PREFIX PUSH_BROADCAST_TOPIC);
    if (!reply) {
        fanout_redis_down(r, r->ctx->errstr);
        return -1;
    }
    int behind = 0; /* an error reply: no stream yet, so no group and nothing behind */
    for (size_t i = 0; reply->type == REDIS_REPLY_ARRAY && i < reply->elements; i++) {
        const redisReply *g = reply->element[i];
        for (size_t k = 0; g->type == REDIS_REPLY_ARRAY && k + 1 < g->elements; k += 2)
            if (g->element[k]->type == REDIS_REPLY_STRING && strcmp(g->element[k]->str, "name") == 0 &&
                g->element[k + 1]->type == REDIS_REPLY_STRING && strcmp(g->element[k + 1]->str, PUSH_GROUP) == 0)
                behind = group_backlog(g) > max_backlog;
    }
    freeReplyObject(reply);
    return behind;
}

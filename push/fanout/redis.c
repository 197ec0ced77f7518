/* push/fanout/redis.c — the workers' backlog on the broadcast stream (fanout.h), on the runtime's connection. */
#include "fanout.h"

#include <string.h>

#include "cong/errors.h"
#include "push/pipeline.h"

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

int fanout_redis_backlogged(relay_redis_t *r, long long max_backlog)
{
    redisReply *reply = redisCommand(r->ctx, "XINFO GROUPS %s", PUSH_EVENT_STREAM_PREFIX PUSH_BROADCAST_TOPIC);
    if (!reply) {
        relay_redis_down(r, r->ctx->errstr);
        return -1;
    }
    int behind = 0; /* an error reply: no stream yet, so no group and nothing behind */
    for (size_t i = 0; reply->type == REDIS_REPLY_ARRAY && i < reply->elements; i++) {
        const redisReply *g = reply->element[i];
        for (size_t k = 0; g->type == REDIS_REPLY_ARRAY && k + 1 < g->elements; k += 2) {
            if (g->element[k]->type != REDIS_REPLY_STRING || strcmp(g->element[k]->str, "name") != 0 ||
                g->element[k + 1]->type != REDIS_REPLY_STRING || strcmp(g->element[k + 1]->str, PUSH_GROUP) != 0)
                continue;
            /* lag unknown (nil: Redis cannot count what the group has not read, e.g. while a group made at 0
             * catches up over a trimmed stream): held back, never sent blind — MAXLEN could trim unread entries */
            long long backlog = group_backlog(g);
            behind = backlog < 0 || backlog > max_backlog;
        }
    }
    freeReplyObject(reply);
    return behind;
}
